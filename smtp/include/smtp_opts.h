/*
 * smtp_opts.h - budgets and defaults of the SMTP reply parser and engine.
 *
 * Every option can be overridden by the board (define it before this header is
 * included, e.g. with -D). Impossible combinations fail at compile time.
 */
#ifndef SMTP_OPTS_H
#define SMTP_OPTS_H

/* Longest reply line accepted, CRLF included (RFC 5321 4.5.3.1.5: 512). */
#ifndef SMTP_LINE_MAX
#define SMTP_LINE_MAX 512
#endif

/* Most lines in one multi-line reply (an EHLO reply has one per extension). */
#ifndef SMTP_REPLY_LINES_MAX
#define SMTP_REPLY_LINES_MAX 32
#endif

/* Bytes kept of a reply's text, terminating NUL included; longer text is cut. */
#ifndef SMTP_TEXT_MAX
#define SMTP_TEXT_MAX 512
#endif

/* Separator put between the texts of the lines of a multi-line reply. */
#ifndef SMTP_TEXT_SEP
#define SMTP_TEXT_SEP " "
#endif

/* Room for an enhanced status code "c.sss.ddd" and its NUL (RFC 3463). */
#ifndef SMTP_ENHANCED_MAX
#define SMTP_ENHANCED_MAX 12
#endif

/* RFC 5321 4.5.3.1 length limits of addresses. The path limit counts the
 * angle brackets, so an address itself has at most SMTP_PATH_MAX - 2 bytes. */
#ifndef SMTP_LOCAL_MAX
#define SMTP_LOCAL_MAX 64
#endif
#ifndef SMTP_DOMAIN_MAX
#define SMTP_DOMAIN_MAX 255
#endif
#ifndef SMTP_PATH_MAX
#define SMTP_PATH_MAX 256
#endif

/* Smallest output buffer smtp_session_init() accepts: the longest command
 * ("MAIL FROM:<path> SIZE=20digits" or "EHLO domain") must fit whole. */
#ifndef SMTP_OUTBUF_MIN
#define SMTP_OUTBUF_MIN 512
#endif

/* Body bytes pulled from the message's read callback at a time. */
#ifndef SMTP_BODY_CHUNK
#define SMTP_BODY_CHUNK 256
#endif

/* Default timeouts in ms, RFC 5321 4.5.3.2. EHLO, HELO and RSET use the MAIL
 * figure (the RFC's generic command figure). QUIT has no RFC figure. */
#ifndef SMTP_TIMEOUT_GREETING_MS
#define SMTP_TIMEOUT_GREETING_MS (5u * 60u * 1000u)
#endif
#ifndef SMTP_TIMEOUT_MAIL_MS
#define SMTP_TIMEOUT_MAIL_MS (5u * 60u * 1000u)
#endif
#ifndef SMTP_TIMEOUT_RCPT_MS
#define SMTP_TIMEOUT_RCPT_MS (5u * 60u * 1000u)
#endif
#ifndef SMTP_TIMEOUT_DATA_INIT_MS
#define SMTP_TIMEOUT_DATA_INIT_MS (2u * 60u * 1000u)
#endif
#ifndef SMTP_TIMEOUT_DATA_BLOCK_MS
#define SMTP_TIMEOUT_DATA_BLOCK_MS (3u * 60u * 1000u)
#endif
#ifndef SMTP_TIMEOUT_DATA_TERM_MS
#define SMTP_TIMEOUT_DATA_TERM_MS (10u * 60u * 1000u)
#endif
#ifndef SMTP_TIMEOUT_QUIT_MS
#define SMTP_TIMEOUT_QUIT_MS (30u * 1000u)
#endif

#if SMTP_LINE_MAX < 8
#error "SMTP_LINE_MAX must hold at least a code, a separator and CRLF"
#endif
#if SMTP_REPLY_LINES_MAX < 1
#error "SMTP_REPLY_LINES_MAX must be at least 1"
#endif
#if SMTP_TEXT_MAX < 2
#error "SMTP_TEXT_MAX must hold at least one byte and the NUL"
#endif
#if SMTP_ENHANCED_MAX < 12
#error "SMTP_ENHANCED_MAX must hold \"c.sss.ddd\" and its NUL"
#endif
#if SMTP_OUTBUF_MIN < SMTP_PATH_MAX + 64 || SMTP_OUTBUF_MIN < SMTP_DOMAIN_MAX + 8
#error "SMTP_OUTBUF_MIN must hold the longest MAIL FROM or EHLO command"
#endif
#if SMTP_BODY_CHUNK < 1
#error "SMTP_BODY_CHUNK must be at least 1"
#endif

#endif /* SMTP_OPTS_H */
