/*
 * smtp_reply.h - incremental parser of SMTP replies (RFC 5321 4.2).
 *
 * Bytes in; "reply complete", "need more" or an error out. The parser is
 * streaming: it keeps the line being read (at most SMTP_LINE_MAX bytes) in
 * its context, so the caller may hand it a reply in any number of pieces and
 * never has to buffer a whole reply. It never reads past len and never needs
 * NUL termination.
 *
 * Accepted syntax:
 *   "250-text" CRLF ... continuation lines (same code on every line)
 *   "250 text" CRLF     last line
 *   "250" CRLF          a bare code is a valid last line
 * Line ends: CRLF, and also a bare LF (a lone LF cannot be mistaken for
 * anything else in a reply, and some servers send it; being lenient on input
 * here opens no smuggling hole because replies are never forwarded). A CR
 * right before LF is dropped; other control bytes in the text are kept in the
 * stored text as '?'. A NUL anywhere in a line is an error.
 *
 * Kept per reply: the code, the enhanced status code of the first line when
 * present (RFC 2034/3463 "c.s.d" at the start of the text, class equal to the
 * code's first digit), and the text: each line's text with its enhanced code
 * removed, lines joined with SMTP_TEXT_SEP, non-printable and non-ASCII bytes
 * replaced by '?', cut to SMTP_TEXT_MAX - 1 bytes and always NUL terminated.
 */
#ifndef SMTP_REPLY_H
#define SMTP_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "smtp_opts.h"

/* Return codes of smtp_reply_parse(). NEED_MORE is not a failure. */
#define SMTP_REPLY_DONE                 0       /* a whole reply is in the context */
#define SMTP_REPLY_NEED_MORE            1       /* all input used, reply incomplete */
#define SMTP_REPLY_ERR_LINE_TOO_LONG    -0x0101 /* line over SMTP_LINE_MAX with CRLF */
#define SMTP_REPLY_ERR_TOO_MANY_LINES   -0x0102 /* over SMTP_REPLY_LINES_MAX lines */
#define SMTP_REPLY_ERR_BAD_CODE         -0x0103 /* not 3 digits in 2xx..5xx */
#define SMTP_REPLY_ERR_MIXED_CODES      -0x0104 /* lines of one reply disagree */
#define SMTP_REPLY_ERR_BAD_SEPARATOR    -0x0105 /* 4th byte neither '-', ' ' nor end */
#define SMTP_REPLY_ERR_NUL              -0x0106 /* NUL byte inside a line */
#define SMTP_REPLY_ERR_BAD_ARGS         -0x0107 /* NULL context or buffer */

/* Called once per complete, well-formed line, in order, before the reply is
 * known to be complete (a later line may still make the reply invalid).
 * index: 0 for the first line. text/len: the line's text after the separator,
 * CRLF excluded, enhanced code NOT removed, not NUL terminated, valid only
 * during the call. Used by the engine to read EHLO extension lines. */
typedef void (*smtp_reply_line_cb_t)(void *arg, unsigned index, const char *text, size_t len);

typedef struct smtp_reply {
    /* Results, valid after SMTP_REPLY_DONE. */
    int code;                            /* 200..599 */
    char enhanced[SMTP_ENHANCED_MAX];    /* "5.1.1" or "" */
    char text[SMTP_TEXT_MAX];            /* NUL terminated, see above */
    size_t text_len;                     /* strlen(text) */
    unsigned lines;                      /* lines in the reply */
    int truncated;                       /* text was cut to fit */

    /* Optional per-line callback, set by the caller after smtp_reply_init(). */
    smtp_reply_line_cb_t line_cb;
    void *line_arg;

    /* Private. */
    uint8_t line[SMTP_LINE_MAX];
    size_t line_len;
    int done;
} smtp_reply_t;

/* Prepare r for a new reply; keeps line_cb/line_arg. Cannot fail. */
void smtp_reply_init(smtp_reply_t *r);

/* Parse up to len bytes of buf. *consumed receives the bytes used:
 * - SMTP_REPLY_DONE: a whole reply is in r; *consumed stops right after its
 *   last line end, so bytes that follow belong to the next reply. Call
 *   smtp_reply_init() before parsing the next reply.
 * - SMTP_REPLY_NEED_MORE: all len bytes were taken; call again with more.
 * - negative SMTP_REPLY_ERR_*: the reply is invalid; r holds the lines seen
 *   so far (code of the first line, text so far). The stream cannot be
 *   resynchronised: the caller should drop the connection.
 * Calling again after DONE without smtp_reply_init() returns DONE with
 * *consumed = 0. buf may be NULL only when len is 0. */
int smtp_reply_parse(smtp_reply_t *r, const uint8_t *buf, size_t len, size_t *consumed);

/* Short English name of a SMTP_REPLY_* code ("line too long"). Never NULL. */
const char *smtp_reply_strerror(int rc);

#endif /* SMTP_REPLY_H */
