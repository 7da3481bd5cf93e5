/*
 * mime.h - streaming writer of a scan-to-email message (RFC 5322, 2045-2047,
 * 2183, 2231).
 *
 * The message is multipart/mixed: one text/plain; charset=utf-8 part, then
 * one base64 part per attachment. It is produced a few bytes at a time by
 * mime_writer_read(); its exact size is known after mime_writer_init(), before
 * the first byte (for SMTP's SIZE=). No allocation, nothing of an attachment
 * is kept but one 57-byte input chunk and one 78-byte output line: attachment
 * bytes are pulled from the caller's read callback in order.
 *
 * Output, byte for byte decided by the inputs (the same inputs always give the
 * same bytes):
 *
 *   Date: Mon, 23 Nov 2026 15:16:03 +0000          UTC, computed without libc
 *   From: "Display Name" <addr>                     see "Display names"
 *   Reply-To: <addr>                                only when set
 *   To: a@x, b@y,                                   folded after a comma
 *    c@z
 *   Cc: ...                                         omitted when empty
 *   Subject: ...                                    see "Subject"
 *   Message-ID: <...>
 *   MIME-Version: 1.0
 *   Content-Type: multipart/mixed;
 *    boundary="=_mfp_<32 hex digits>"
 *
 *   --boundary
 *   Content-Type: text/plain; charset=utf-8
 *   Content-Transfer-Encoding: 7bit | base64
 *
 *   text
 *   --boundary
 *   Content-Type: image/jpeg; name="scan.jpg"
 *   Content-Disposition: attachment; filename="scan.jpg"
 *   Content-Transfer-Encoding: base64
 *
 *   76-character lines ...
 *   --boundary--
 *
 * There is no Bcc input: Bcc recipients are given to the SMTP envelope only
 * and can never appear in the message.
 *
 * Lines: CRLF only. Header lines are folded to at most MIME_FOLD_COLS (78)
 * columns; the one exception is a single address longer than a line, which is
 * kept whole (at most 1 + 254 + 2 columns, far below RFC 5322's 998). Base64
 * lines are exactly 76 characters (57 input bytes), the last one shorter.
 *
 * Text part encoding: the text's line breaks (CRLF, LF or a lone CR) become
 * CRLF. It is sent as 7bit when it is printable ASCII (plus TAB) with lines
 * of at most MIME_TEXT_7BIT_COLS characters and does not contain the
 * boundary; otherwise as base64 of the UTF-8 bytes (base64 rather than
 * quoted-printable: the size is a formula, the encoder is the attachments'
 * one, and a scan-to-email note is short, so readability of the raw form
 * costs nothing worth the extra code).
 *
 * Boundary: "=_mfp_" followed by the hex of the caller's random bytes
 * (mime_message_t.boundary_rnd, fill it from the RNG HAL). "=_" cannot occur
 * in base64 ('_' is not in its alphabet and '=' is only final padding), nor in
 * an RFC 2047 encoded word, and 7bit text containing the boundary is sent as
 * base64 instead, so no part body can contain a delimiter line.
 *
 * Display names: empty -> "From: addr". Printable ASCII whose quoted form
 * fits on the From line -> a quoted string ('"' and '\' escaped), whether or
 * not it has specials. Anything else (non-ASCII, or too long) -> RFC 2047
 * encoded words "=?utf-8?B?...?=".
 *
 * Subject: printable ASCII that fits on the Subject line and has no "=?"
 * (which a reader would try to decode) is written as is; anything else as
 * RFC 2047 B encoded words, each at most 75 characters, never splitting a
 * UTF-8 character, folded so no line exceeds 78 columns.
 *
 * File names: written as name="..." / filename="..." when printable ASCII and
 * short enough for one folded line; otherwise with RFC 2231 (name*=utf-8''...,
 * split into name*0*=, name*1*=... continuations when long).
 *
 * Validation (mime_message_validate(), also run by mime_writer_init()): every
 * header value is a length-counted string and may not contain any C0 control
 * byte (CR, LF, NUL, TAB, ...) nor DEL; UTF-8 values must be valid UTF-8. The
 * first bad field is named ("From name", "From", "Reply-To", "To", "Cc",
 * "Subject", "Text", "Message-ID", "Date", "Attachment file name",
 * "Attachment content type", "Attachment"). Limits:
 *   - addresses: ASCII addr-spec local@domain, local part a dot-atom of
 *     RFC 5322 atext (quoted local parts are refused), at most 64 bytes;
 *     domain made of LDH labels of 1..63 bytes (no leading/trailing '-'),
 *     at most 255 bytes; whole address at most 254 bytes (RFC 5321 path 256
 *     with the angle brackets).
 *   - display name: UTF-8, at most MIME_NAME_MAX bytes.
 *   - subject: UTF-8, at most MIME_SUBJECT_MAX bytes.
 *   - text: UTF-8, no control byte but TAB, CR and LF.
 *   - Message-ID: "<left@right>", printable ASCII without spaces, at most
 *     MIME_MSGID_MAX bytes with the brackets.
 *   - file name: UTF-8, 1..MIME_FILENAME_MAX bytes, no '/', '\', '"'.
 *   - content type: "type/subtype" of RFC 2045 token characters, at most
 *     MIME_CTYPE_MAX bytes.
 *   - date: 1970-01-01 .. 9999-12-31 (RFC 5322 needs a 4-digit year).
 *   - at least one To address; each attachment has a read callback.
 */
#ifndef MIME_H
#define MIME_H

#include <stddef.h>
#include <stdint.h>

/* ---- Options (define before including to override) ---------------------- */

/* Longest display name, in UTF-8 bytes. */
#ifndef MIME_NAME_MAX
#define MIME_NAME_MAX 128
#endif

/* Longest subject, in UTF-8 bytes. */
#ifndef MIME_SUBJECT_MAX
#define MIME_SUBJECT_MAX 998
#endif

/* Longest attachment file name, in UTF-8 bytes (the common file system
 * limit; longer names are split into RFC 2231 continuations anyway). */
#ifndef MIME_FILENAME_MAX
#define MIME_FILENAME_MAX 255
#endif

/* Longest content type "type/subtype". */
#ifndef MIME_CTYPE_MAX
#define MIME_CTYPE_MAX 127
#endif

/* Longest Message-ID, angle brackets included. */
#ifndef MIME_MSGID_MAX
#define MIME_MSGID_MAX 250
#endif

/* Random bytes in the boundary (2 hex digits each). */
#ifndef MIME_BOUNDARY_RND_LEN
#define MIME_BOUNDARY_RND_LEN 16
#endif

/* Longest text line, in characters, still sent as 7bit. */
#ifndef MIME_TEXT_7BIT_COLS
#define MIME_TEXT_7BIT_COLS 76
#endif

/* Fixed by the standards, not options. */
#define MIME_FOLD_COLS 78     /* RFC 5322 2.1.1 SHOULD limit of a line */
#define MIME_ADDR_MAX 254     /* RFC 5321 4.5.3.1.3 path 256 minus <> */
#define MIME_LOCAL_MAX 64     /* RFC 5321 4.5.3.1.1 */
#define MIME_DOMAIN_MAX 255   /* RFC 5321 4.5.3.1.2 */
#define MIME_B64_IN 57        /* input bytes per base64 line */
#define MIME_B64_COLS 76      /* RFC 2045 6.8 */
#define MIME_BOUNDARY_PREFIX "=_mfp_" /* 6 characters */
#define MIME_BOUNDARY_LEN (6 + 2 * MIME_BOUNDARY_RND_LEN)

#if MIME_BOUNDARY_RND_LEN < 8 || MIME_BOUNDARY_LEN > 70
#error "MIME_BOUNDARY_RND_LEN: at least 8 random bytes, boundary at most 70 chars (RFC 2046)"
#endif
#if MIME_TEXT_7BIT_COLS < 1 || MIME_TEXT_7BIT_COLS > 998
#error "MIME_TEXT_7BIT_COLS must be 1..998 (RFC 5322 line limit)"
#endif
#if MIME_MSGID_MAX < 5 || MIME_MSGID_MAX > 900
#error "MIME_MSGID_MAX must be 5..900 so the Message-ID line stays under 998"
#endif
#if MIME_CTYPE_MAX < 3 || MIME_CTYPE_MAX > 900
#error "MIME_CTYPE_MAX must be 3..900"
#endif

/* ---- Return codes -------------------------------------------------------- */

#define MIME_ERR_BAD_ARGS       -0x0301 /* NULL pointer, or cap 0 */
#define MIME_ERR_CONTROL_CHAR   -0x0302 /* CR, LF, NUL or other control byte */
#define MIME_ERR_UTF8           -0x0303 /* not valid UTF-8 */
#define MIME_ERR_TOO_LONG       -0x0304 /* over the field's length limit */
#define MIME_ERR_ADDRESS        -0x0305 /* not a sane addr-spec */
#define MIME_ERR_FILENAME       -0x0306 /* empty, or '/', '\' or '"' in it */
#define MIME_ERR_CONTENT_TYPE   -0x0307 /* not type/subtype tokens */
#define MIME_ERR_MESSAGE_ID     -0x0308 /* not <left@right> */
#define MIME_ERR_DATE           -0x0309 /* before 1970 or after year 9999 */
#define MIME_ERR_NO_RECIPIENT   -0x030A /* no To address */
#define MIME_ERR_NO_READER      -0x030B /* attachment without read callback */
#define MIME_ERR_READ           -0x030C /* an attachment's read callback failed */
#define MIME_ERR_SHORT_READ     -0x030D /* attachment ended before its size, or
                                           callback returned more than asked */
#define MIME_ERR_BUF_TOO_SMALL  -0x030E /* output buffer too small */
#define MIME_ERR_STATE          -0x030F /* writer not initialised, or the
                                           message changed after init */

/* ---- Inputs ------------------------------------------------------------- */

/* A length-counted string: values are not NUL terminated, so a NUL inside
 * one is seen (and refused). ptr may be NULL when len is 0. */
typedef struct mime_str {
    const char *ptr;
    size_t len;
} mime_str_t;

/* Reads up to cap bytes of an attachment starting at byte off into buf.
 * Returns the number of bytes read (1..cap; fewer than cap is fine, the
 * writer calls again), 0 at the end, or a negative number on error. The
 * writer reads each attachment once, in order (off grows by what was
 * returned), and never past the declared size. */
typedef long (*mime_read_fn)(void *arg, uint32_t off, uint8_t *buf, size_t cap);

typedef struct mime_attachment {
    mime_str_t filename;      /* e.g. "scan_0001.jpg" */
    mime_str_t content_type;  /* e.g. "image/jpeg" */
    uint32_t size;            /* exact size in bytes: the callback must give this many */
    mime_read_fn read;
    void *arg;
} mime_attachment_t;

/* Everything a message is made of. Caller-owned; it and every string and
 * callback argument it points to must stay valid and unchanged from
 * mime_writer_init() until the last mime_writer_read(). */
typedef struct mime_message {
    mime_str_t from_name;     /* display name, UTF-8, may be empty */
    mime_str_t from_addr;
    mime_str_t reply_to;      /* empty: no Reply-To header */
    const mime_str_t *to;     /* to_count addresses, at least one */
    size_t to_count;
    const mime_str_t *cc;     /* may be NULL when cc_count is 0 */
    size_t cc_count;
    mime_str_t subject;       /* UTF-8, may be empty */
    mime_str_t text;          /* UTF-8, may be empty, lines end in \n or \r\n */
    int64_t date;             /* unix seconds, written as UTC */
    mime_str_t message_id;    /* "<left@right>", see mime_make_message_id() */
    uint8_t boundary_rnd[MIME_BOUNDARY_RND_LEN]; /* fresh random bytes */
    const mime_attachment_t *attachments; /* may be NULL when count is 0 */
    size_t attachment_count;
} mime_message_t;

/* A C string as a mime_str_t (NULL gives the empty string). */
mime_str_t mime_str(const char *s);

/* ---- Writer ------------------------------------------------------------- */

/* Writer state. Treat as opaque; the caller owns the memory (about 300 bytes). */
typedef struct mime_writer {
    const mime_message_t *msg;
    uint64_t size;            /* exact size of the whole message */
    uint64_t produced;        /* bytes returned so far */
    int err;                  /* sticky error, 0 while fine */
    int section;              /* where in the message the writer is */
    size_t att;               /* current attachment */
    uint64_t sec_off;         /* bytes of the current header section given */
    int text_7bit;            /* text part sent as 7bit, else base64 */
    uint64_t text_size;       /* text bytes with line breaks made CRLF */
    size_t text_pos;          /* next byte of msg->text to read */
    int text_lf_due;          /* a CR was written, its LF is still due */
    uint64_t src_off;         /* body bytes read from the source so far */
    uint64_t src_size;        /* body bytes of the source in all */
    uint8_t in[MIME_B64_IN];  /* one chunk of input */
    uint8_t line[2 + MIME_B64_COLS + 1]; /* CRLF + one base64 line + NUL */
    size_t line_len;
    size_t line_pos;
    char boundary[MIME_BOUNDARY_LEN + 1];
} mime_writer_t;

/* Checks every input as described at the top of this file. Returns 0, or a
 * negative MIME_ERR_* code and, when field is not NULL, sets *field to the
 * name of the first bad field (a static string; NULL on success). */
int mime_message_validate(const mime_message_t *msg, const char **field);

/* Validates msg (as mime_message_validate(), same field reporting), then
 * prepares w to produce the message and computes its exact size (read it
 * with mime_writer_size()). msg must outlive the writer. Returns 0 or a
 * negative MIME_ERR_* code; on error w is left unusable (reads return
 * MIME_ERR_STATE). */
int mime_writer_init(mime_writer_t *w, const mime_message_t *msg, const char **field);

/* The exact number of bytes the whole message has (0 if w was not
 * initialised). Known before the first mime_writer_read(). */
uint64_t mime_writer_size(const mime_writer_t *w);

/* Copies the next bytes of the message into buf (cap >= 1). Returns the
 * number of bytes written (1..cap; fewer than cap only at the end or when
 * cap exceeds LONG_MAX), 0 once the whole message has been returned, or a
 * negative MIME_ERR_* code: MIME_ERR_READ when an attachment's callback
 * failed, MIME_ERR_SHORT_READ when it ended before its declared size,
 * MIME_ERR_STATE when w is not initialised (or the text changed after init).
 * An error is sticky: every later call returns it. */
long mime_writer_read(mime_writer_t *w, uint8_t *buf, size_t cap);

/* Wipes the writer. Safe on a zeroed writer. */
void mime_writer_free(mime_writer_t *w);

/* ---- Helpers ------------------------------------------------------------ */

/* Formats unix time t as an RFC 5322 date in UTC, "Mon, 23 Nov 2026
 * 15:16:03 +0000" (31 characters), into out and NUL terminates it. Plain
 * integer arithmetic (no gmtime), so it runs the same on the board.
 * Returns 0, MIME_ERR_DATE when t is outside 1970..9999, or
 * MIME_ERR_BUF_TOO_SMALL when cap < 32. */
int mime_format_date(char *out, size_t cap, int64_t t);

/* 0 when p[0..len) is well-formed UTF-8 (no overlong forms, no surrogates,
 * nothing past U+10FFFF), else MIME_ERR_UTF8. */
int mime_utf8_check(const char *p, size_t len);

/* Builds a Message-ID "<hex.time@domain>" into out (NUL terminated): hex is
 * rnd_len random bytes (8..32) as lower-case hex, time is now in decimal
 * unix seconds, domain is from_addr's domain (a NUL-terminated address that
 * must pass the address check). Returns 0, MIME_ERR_BAD_ARGS (NULL, or
 * rnd_len out of range), MIME_ERR_ADDRESS, MIME_ERR_DATE (now < 0),
 * MIME_ERR_MESSAGE_ID (result over MIME_MSGID_MAX) or
 * MIME_ERR_BUF_TOO_SMALL. */
int mime_make_message_id(char *out, size_t cap, const uint8_t *rnd, size_t rnd_len, int64_t now,
                         const char *from_addr);

#endif /* MIME_H */
