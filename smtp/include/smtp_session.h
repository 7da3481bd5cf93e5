/*
 * smtp_session.h - sans-IO ESMTP client engine (RFC 5321, RFC 2920 PIPELINING,
 * RFC 1870 SIZE, RFC 2034 ENHANCEDSTATUSCODES).
 *
 * The engine never touches a socket or a clock. A transport moves the bytes:
 *
 *   smtp_session_init(&s, &cfg, outbuf, sizeof outbuf);   // check rc
 *   connect ... on connected:   smtp_session_start(&s, now_ms);
 *   on bytes received:          smtp_session_feed(&s, data, len, now_ms);
 *   every few hundred ms:       smtp_session_tick(&s, now_ms);
 *   on peer close / error:      smtp_session_closed(&s, now_ms);
 *   after each of the above, and when the TCP send buffer has room:
 *       while ((p = smtp_session_output(&s, &len)) && len > 0) {
 *           n = write as much of p[0..len) as the stack takes;
 *           smtp_session_sent(&s, n);
 *           if (n < len) break;                 // wait for room
 *       }
 *   when smtp_session_status(&s) != SMTP_SESSION_RUNNING: close the
 *   connection (there is never output left to flush then), read the results
 *   (per-message results in the caller's arrays, s.fail, s.ext, s.stats),
 *   then smtp_session_free(&s).
 *
 * Protocol behaviour (decisions documented here, tested in
 * tests/unit/smtp_session):
 * - Greeting: 220 goes on with EHLO. 421: failure, no QUIT (the server is
 *   closing). Anything else (554, ...): failure, then QUIT.
 * - EHLO: 250 with extensions parsed into s.ext. Any 5xx reply to EHLO (500,
 *   502, 504, 550, ...) falls back to HELO (a server that does not know EHLO
 *   may answer any 5xx; a 5xx to HELO then ends the session anyway). 421:
 *   failure, no QUIT. 4xx: failure, QUIT. HELO: 250 goes on, else as EHLO.
 * - Each message: if the server's SIZE limit is nonzero and the message is
 *   larger, the message fails (SMTP_ERR_TOO_BIG, stage MAIL) without a byte
 *   sent. Otherwise MAIL FROM:<from> [SIZE=n when SIZE offered], one RCPT TO
 *   per recipient, DATA, the content dot-stuffed, the final dot.
 *   With PIPELINING, [RSET,] MAIL, all RCPTs and DATA are one flight, and a
 *   transaction's content and final dot go in one flight with the next
 *   transaction's MAIL, RCPTs and DATA (RFC 2920 3.1: content may start a
 *   group), or with QUIT after the last one; without it, one command at a
 *   time. Three messages to five recipients: EHLO, then 4 flights.
 * - Transactions: a message goes in as many transactions as needed, one after
 *   the other in the same session. A transaction carries the recipients still
 *   to do, in order, at most cfg.rcpt_max of them (0: all). A 452 to RCPT
 *   (RFC 5321 4.5.3.1.10: too many recipients; with PIPELINING the server may
 *   answer 452 to every RCPT past its limit) defers that recipient to the
 *   next transaction; every other refusal is final for the recipient. After
 *   a transaction whose content was sent, the recipients still to do go in a
 *   further transaction of the same message: the engine calls the message's
 *   rewind() first, then sends the same content from the start. No rewind
 *   callback: those recipients end with error SMTP_ERR_NO_REWIND (and rewind
 *   failing: SMTP_ERR_BODY) and the engine goes on with the next message. A
 *   transaction that accepted no recipient and got a 452 ends the message:
 *   every recipient still to do ends with that 452 reply (the server refuses
 *   any more; the job retries later), so the engine never loops. A message
 *   that failed (MAIL, DATA or the final dot refused, ...) gets no further
 *   transaction. s.stats.transactions counts the MAIL commands sent.
 * - Message result: SENT when at least one of its transactions was accepted
 *   at the final dot and none failed; FAILED with the first failure's
 *   evidence otherwise. With several transactions a FAILED message may still
 *   have reached some recipients: rcpt_results[i].delivered says which (a
 *   retry must leave them out). accepted counts the recipients accepted at
 *   RCPT over all transactions.
 * - Recipients refused individually are recorded with their reply; the
 *   message goes to the others (result: SENT, accepted < rcpt_count). When
 *   every recipient is refused the message fails (SMTP_ERR_NO_RECIPIENTS,
 *   stage RCPT, reply = last refusal) and no content is sent: without
 *   PIPELINING DATA is not sent at all; with PIPELINING, if the server still
 *   answers DATA with 354, the engine sends a lone "." (RFC 2920 3.1) so the
 *   server gets an empty message for no recipient, and ignores its reply.
 * - After a transaction abandoned before its final dot, RSET precedes the
 *   next MAIL (after a final dot the transaction is over whatever the reply,
 *   RFC 5321 4.1.1.4, so no RSET). A refused RSET ends the session (failure,
 *   no QUIT).
 * - Body: bytes from the message's read callback. Bare CR and bare LF are
 *   turned into CRLF (so no "\n.\n" end-of-data smuggling can pass through),
 *   a '.' at the start of a line is doubled, a missing final CRLF is added,
 *   then ".\r\n". A read error (negative) ends the session at once WITHOUT
 *   the final dot: the transport closes the connection, so the server drops
 *   the partial message. A read returning more than cap is a read error.
 *   The byte count is not checked against the declared size (SIZE= is
 *   advisory per RFC 1870).
 * - 421 to any command: that message and the session fail, no QUIT.
 * - A reply arriving while the content is still being sent, or a malformed
 *   reply: failure SMTP_ERR_PROTOCOL (s.fail.error holds the reply parser's
 *   SMTP_REPLY_ERR_* code for a malformed one), no QUIT.
 * - Timeouts: the current wait's figure from the config, restarted by every
 *   reply received and every smtp_session_sent() with n > 0. While content
 *   is being handed over the data-block figure applies; once the final dot
 *   is taken, the DATA-termination figure. Timeout: failure, no QUIT.
 * - Peer close (smtp_session_closed) before the QUIT phase: failure
 *   SMTP_ERR_CLOSED with the stage that was in progress.
 * - Once QUIT is sent, its reply, a close or a timeout all simply end the
 *   session; they never change the outcome (mail that was accepted stays
 *   accepted: the job must not send it twice).
 * - A session failure (greeting, EHLO, 421, timeout, close, protocol) also
 *   fails the message in progress and every message not yet attempted, each
 *   with the same evidence.
 * - STARTTLS (cfg.tls = SMTP_TLS_STARTTLS, RFC 3207): after EHLO, if
 *   STARTTLS is not offered: failure SMTP_ERR_NO_STARTTLS (stage EHLO, or
 *   HELO after a fallback), QUIT, never a cleartext MAIL. Else STARTTLS
 *   alone (never pipelined); 220: no more output, smtp_session_wants_tls()
 *   turns 1; bytes after the 220 (same read or later, before
 *   smtp_session_tls_ready) fail with SMTP_ERR_PROTOCOL, stage STARTTLS, no
 *   QUIT. Any other reply: failure SMTP_ERR_REPLY, stage STARTTLS, QUIT.
 *   After tls_ready: s.ext cleared, EHLO again, extensions learned anew.
 *   SMTP_TLS_IMPLICIT: the channel is secure from the start.
 * - AUTH (cfg.auth_user set, RFC 4954) after the (last) EHLO, before
 *   prepare() and the first MAIL: on a channel that is not secure, unless
 *   allow_cleartext_auth: failure SMTP_ERR_CLEARTEXT_AUTH, stage AUTH, QUIT,
 *   no credential byte sent. Mechanism by smtp_auth_select(); none usable:
 *   SMTP_ERR_NO_AUTH_MECH, stage AUTH, QUIT, s.fail.field = "offered: ..."
 *   (the AUTH line's mechanisms, or "none"). 235: on to MAIL. 535 or a 5.7.x
 *   enhanced code: SMTP_ERR_AUTH_REFUSED with the reply, stage AUTH, QUIT;
 *   any other refusal (454 4.7.0 ...): SMTP_ERR_REPLY, stage AUTH, QUIT.
 *   A challenge the mechanism cannot answer, or a SCRAM server signature
 *   that does not match (or a 235 before it): the SMTP_AUTH_ERR_* code,
 *   stage AUTH; the exchange is cancelled with "*", then QUIT.
 *   Credential lines are wiped from the engine and from the output buffer
 *   as soon as the transport took them (smtp_session_sent zeroes the bytes
 *   it releases).
 * - Status SUCCESS iff every message was accepted at the final dot (for
 *   message_count == 0, a "gateway test": iff greeting and EHLO/HELO passed).
 */
#ifndef SMTP_SESSION_H
#define SMTP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "smtp_auth.h"
#include "smtp_opts.h"
#include "smtp_reply.h"

/* Error codes (s.fail.error, message results, return values). */
#define SMTP_ERR_BAD_ARGS       -0x0201 /* NULL, outcap < SMTP_OUTBUF_MIN, ... */
#define SMTP_ERR_BAD_ADDRESS    -0x0202 /* an address or the EHLO domain is invalid */
#define SMTP_ERR_REPLY          -0x0203 /* the server refused: see the reply */
#define SMTP_ERR_TIMEOUT        -0x0204 /* no reply / no progress in time */
#define SMTP_ERR_CLOSED         -0x0205 /* connection closed or failed */
#define SMTP_ERR_TOO_BIG        -0x0206 /* message over the server's SIZE limit */
#define SMTP_ERR_NO_RECIPIENTS  -0x0207 /* every RCPT was refused */
#define SMTP_ERR_BODY           -0x0208 /* the body read callback failed */
#define SMTP_ERR_PROTOCOL       -0x0209 /* unexpected or malformed reply */
#define SMTP_ERR_STATE          -0x020A /* call out of order (feed before start) */
#define SMTP_ERR_PREPARE        -0x020B /* the config's prepare() refused the server's offer */
#define SMTP_ERR_NO_STARTTLS    -0x020C /* STARTTLS required but not offered (stage EHLO/HELO) */
#define SMTP_ERR_CLEARTEXT_AUTH -0x020D /* AUTH configured, channel not secure, cleartext not allowed */
#define SMTP_ERR_NO_AUTH_MECH   -0x020E /* no usable mechanism offered; s.fail.field lists the offer */
#define SMTP_ERR_AUTH_REFUSED   -0x020F /* sign-in refused: 535 or a 5.7.x reply to AUTH */
#define SMTP_ERR_NO_REWIND      -0x0210 /* a further transaction was needed, the message has no rewind() */
#define SMTP_ERR_NO_SMTPUTF8    -0x0211 /* an address is not ASCII and the server lacks SMTPUTF8 */
/* Failures inside the SASL exchange (bad server signature, malformed
 * challenge) carry the SMTP_AUTH_ERR_* code of smtp_auth.h. */

/* Where a failure happened: the step in progress. */
typedef enum smtp_stage {
    SMTP_STAGE_NONE = 0,   /* before start, or validation of the config */
    SMTP_STAGE_GREETING,
    SMTP_STAGE_EHLO,
    SMTP_STAGE_HELO,
    SMTP_STAGE_MAIL,
    SMTP_STAGE_RCPT,
    SMTP_STAGE_DATA,       /* waiting for the 354 */
    SMTP_STAGE_CONTENT,    /* sending content, or waiting for the final-dot reply */
    SMTP_STAGE_RSET,
    SMTP_STAGE_QUIT,
    SMTP_STAGE_CONNECT,    /* smtp_session_closed() before smtp_session_start() */
    SMTP_STAGE_STARTTLS,   /* STARTTLS sent, or waiting for smtp_session_tls_ready() */
    SMTP_STAGE_AUTH        /* the AUTH exchange */
} smtp_stage_t;

/* How the channel is protected. */
typedef enum smtp_tls_mode {
    SMTP_TLS_NONE = 0,     /* cleartext */
    SMTP_TLS_STARTTLS,     /* required: no STARTTLS offered = failure, never cleartext */
    SMTP_TLS_IMPLICIT      /* the transport did the TLS handshake before start (port 465) */
} smtp_tls_mode_t;

typedef enum smtp_status {
    SMTP_SESSION_RUNNING = 0,
    SMTP_SESSION_SUCCESS,
    SMTP_SESSION_FAILED
} smtp_status_t;

typedef enum smtp_msg_status {
    SMTP_MSG_PENDING = 0,  /* not finished yet */
    SMTP_MSG_SENT,         /* accepted at the final dot */
    SMTP_MSG_FAILED
} smtp_msg_status_t;

/* One server reply as kept for the caller. code 0: no reply. */
typedef struct smtp_reply_info {
    int code;
    char enhanced[SMTP_ENHANCED_MAX];
    char text[SMTP_TEXT_MAX];
} smtp_reply_info_t;

/* Evidence of a failure. */
typedef struct smtp_failure {
    int error;               /* 0 or SMTP_ERR_* (or SMTP_REPLY_ERR_* for a malformed reply) */
    smtp_stage_t stage;      /* step in progress */
    smtp_reply_info_t reply; /* the server's reply, when there was one */
    char field[64];          /* SMTP_ERR_BAD_ADDRESS: "messages[0].rcpts[2]", ... */
} smtp_failure_t;

/* Per recipient; code 0 = no reply (never sent). The engine also reads these
 * back while the session runs: do not change them until it has ended. */
typedef struct smtp_rcpt_result {
    int accepted;            /* 1 when the server answered 2xx to RCPT */
    smtp_reply_info_t reply; /* the last RCPT reply (452 then 250: the 250) */
    int delivered;           /* 1: its transaction was accepted at the final dot */
    int error;               /* 0, or why it was not sent although the server did not
                              * refuse it: SMTP_ERR_NO_REWIND, SMTP_ERR_BODY (rewind failed) */
    uint32_t txn;            /* the transaction (1 = the session's first MAIL) that
                              * carried it last; 0: never sent */
} smtp_rcpt_result_t;

typedef struct smtp_message_result {
    smtp_msg_status_t status;
    size_t accepted;         /* recipients accepted */
    smtp_failure_t fail;     /* when FAILED: error, stage, reply */
    smtp_reply_info_t reply; /* the final-dot reply when there was one */
} smtp_message_result_t;

/* Body source: copy up to cap raw RFC 5322 bytes (CRLF line ends) into buf.
 * Returns bytes copied, 0 at the end, negative on error. */
typedef long (*smtp_body_read_t)(void *arg, uint8_t *buf, size_t cap);

typedef struct smtp_message {
    const char *from;                   /* envelope sender "user@domain" */
    const char *const *rcpts;           /* To, Cc and Bcc together */
    size_t rcpt_count;                  /* >= 1 */
    uint64_t size;                      /* exact message size, for SIZE= */
    smtp_body_read_t read;
    void *read_arg;
    /* Optional: start the content again from its first byte (same read_arg);
     * 0 on success. Called before a further transaction of this message
     * (recipient limit); NULL: no further transaction (see above). */
    int (*rewind)(void *arg);
    smtp_message_result_t *result;      /* caller owned, written by the engine */
    smtp_rcpt_result_t *rcpt_results;   /* caller owned, rcpt_count entries */
} smtp_message_t;

/* Timeouts in ms; 0 selects the SMTP_TIMEOUT_*_MS default. */
typedef struct smtp_timeouts {
    uint32_t greeting_ms;
    uint32_t mail_ms;        /* also EHLO, HELO, RSET */
    uint32_t rcpt_ms;
    uint32_t data_init_ms;
    uint32_t data_block_ms;
    uint32_t data_term_ms;
    uint32_t quit_ms;
} smtp_timeouts_t;

/* Constant configuration; the engine keeps the pointer (and the messages'
 * pointers): keep them alive until smtp_session_free(). */
struct smtp_ext;

typedef struct smtp_config {
    const char *ehlo_domain;            /* FQDN or address literal "[192.0.2.1]" */
    smtp_timeouts_t timeouts;
    const smtp_message_t *messages;
    size_t message_count;               /* 0: greeting, EHLO, QUIT (gateway test) */
    /* Optional: called once EHLO (or HELO) succeeded, before the first MAIL,
     * with what the server offers; it may change messages and message_count
     * (e.g. split to fit SIZE). They are checked again as in init. Non-zero:
     * the session fails with SMTP_ERR_PREPARE (stage EHLO/HELO) and QUITs. */
    int (*prepare)(void *arg, const struct smtp_ext *ext);
    void *prepare_arg;
    /* Optional: called as soon as the gateway answered 2xx to a message's
     * final dot (its recipient results are final), before any other reply
     * is handled, so that the caller records it durably and never sends it
     * again; index is into messages. */
    void (*accepted)(void *arg, size_t index);
    void *accepted_arg;

    /* TLS: SMTP_TLS_NONE (0) keeps the behaviour without TLS. */
    smtp_tls_mode_t tls;
    /* Authentication: none when auth_user is NULL. user and password are
     * caller owned (the engine never copies them except into the AUTH
     * lines, which it wipes once sent). */
    const char *auth_user;
    const char *auth_pass;
    unsigned auth_mech;                 /* 0: strongest both offer; else one SMTP_AUTH_* bit */
    int allow_cleartext_auth;           /* 1: AUTH even without TLS (insecure) */
    /* Recipients per transaction (the administrator's limit); 0: no limit
     * but the server's 452. */
    size_t rcpt_max;
    /* SCRAM client nonce: a fixed string (tests only), else auth_rng makes
     * one; one of the two is required unless auth_mech forces another
     * mechanism. auth_rng returns 0 on success (hal_rng's fill shape). */
    const char *auth_nonce;
    int (*auth_rng)(void *arg, uint8_t *buf, size_t len);
    void *auth_rng_arg;
} smtp_config_t;

/* SMTP_AUTH_* mechanism bits: smtp_auth.h. */

/* Extensions from the EHLO reply (all 0 after HELO). */
typedef struct smtp_ext {
    int ehlo;                /* 1: EHLO accepted (else HELO was used) */
    int size;                /* SIZE offered */
    uint64_t size_max;       /* its limit, 0 = no limit given */
    int pipelining;
    int eightbitmime;
    int enhancedstatuscodes;
    int starttls;
    unsigned auth;           /* SMTP_AUTH_* bits */
    int chunking;
    int smtputf8;
    int dsn;
    char auth_offered[64];   /* the AUTH line's mechanisms as sent, cut to fit */
} smtp_ext_t;

typedef struct smtp_stats {
    uint32_t flights;        /* client output bursts (see below) */
    uint64_t bytes_out;      /* bytes taken by the transport (smtp_session_sent) */
    uint64_t bytes_in;       /* bytes fed */
    uint32_t replies;        /* complete replies received */
    uint32_t transactions;   /* MAIL commands sent */
} smtp_stats_t;
/* A flight is counted when the engine produces output after having received
 * a reply (or for its very first output): output produced without a reply in
 * between, however many output/sent calls it takes, is one flight. */

/* The context. Read-only for the caller: status via smtp_session_status(),
 * and the public results fail, ext, stats. Everything else is private. */
typedef struct smtp_session {
    /* Public results. */
    smtp_failure_t fail;     /* the session's first failure */
    smtp_ext_t ext;
    smtp_stats_t stats;

    /* Private. */
    const smtp_config_t *cfg;
    uint8_t *out;
    size_t outcap;
    size_t out_len;
    smtp_reply_t reply;
    int phase;
    smtp_status_t status;
    uint32_t now;
    uint32_t deadline;
    int timer_on;
    int flight_open;
    size_t msg;              /* index of the current message */
    size_t cmd;              /* next transaction step to send */
    size_t rep;              /* next transaction step whose reply is awaited */
    size_t accepted;         /* recipients accepted in this transaction */
    size_t txn_rcpts;        /* recipients this transaction carries */
    size_t rcpt_next;        /* next recipient index to consider for RCPT */
    size_t rcpt_rep;         /* next recipient index whose RCPT reply is awaited */
    uint32_t txn_no;         /* this transaction's number (stats.transactions) */
    int retry;               /* another transaction of this message follows */
    int dot_pending;         /* an earlier transaction's final-dot reply comes first */
    size_t dot_msg;          /* its message */
    uint32_t dot_txn;        /* its transaction number */
    int dot_discard;         /* it was a lone dot: the reply is no result */
    int txn_failed;
    int rset_needed;
    int discard;             /* 354 to a failed transaction: lone dot */
    int content;             /* 1 while content is produced */
    int body_done;           /* final dot written to out */
    int quit_sent;
    int body_eof;            /* read callback returned 0 */
    int bol;                 /* at the beginning of a body line */
    int cr;                  /* last body byte was a CR */
    uint8_t chunk[SMTP_BODY_CHUNK];
    size_t chunk_len;
    size_t chunk_pos;
    int secure;              /* TLS is up (implicit, or after tls_ready) */
    int authed;              /* AUTH done (or not configured) */
    size_t auth_pos;         /* bytes of auth.line already in out */
    smtp_auth_t auth;
} smtp_session_t;

/* Set up s for cfg with the caller's output buffer (outcap >=
 * SMTP_OUTBUF_MIN; bigger lets a pipelined flight with many recipients go
 * in one piece). Validates every address and the EHLO domain; resets every
 * message's result and recipient results.
 * Returns 0, SMTP_ERR_BAD_ARGS (NULL, outcap too small, a message without
 * recipients, read or result arrays, ...), or SMTP_ERR_BAD_ADDRESS (s.fail
 * names the field). On error the status is SMTP_SESSION_FAILED (when s is
 * not NULL), no byte will ever be produced: do not connect. */
int smtp_session_init(smtp_session_t *s, const smtp_config_t *cfg, uint8_t *outbuf, size_t outcap);

/* Wipe s, and the output not yet taken from the caller's output buffer
 * (it may hold an AUTH line): the buffer must still be valid. Safe on a
 * zeroed or failed context, and twice. */
void smtp_session_free(smtp_session_t *s);

/* TCP is connected: start waiting for the greeting. 0 or SMTP_ERR_STATE.
 * (The connect timeout itself belongs to the transport; a failed connect is
 * reported with smtp_session_closed() before start: stage CONNECT.) */
int smtp_session_start(smtp_session_t *s, uint32_t now_ms);

/* Bytes from the server. Always takes all len bytes (bytes after the end of
 * the session are counted and ignored). 0, SMTP_ERR_STATE (not started) or
 * SMTP_ERR_BAD_ARGS. Protocol outcomes show in the status, not here. */
int smtp_session_feed(smtp_session_t *s, const uint8_t *data, size_t len, uint32_t now_ms);

/* Check timeouts. now_ms may wrap (differences are taken modulo 2^32). */
int smtp_session_tick(smtp_session_t *s, uint32_t now_ms);

/* Bytes ready to send; *len = 0 when none. Pulls body bytes as room allows.
 * The pointer stays valid until the next call into the engine. */
const uint8_t *smtp_session_output(smtp_session_t *s, size_t *len);

/* The transport took the first n bytes of the output (n <= *len). */
int smtp_session_sent(smtp_session_t *s, size_t n);

/* The peer closed or the connection failed. */
int smtp_session_closed(smtp_session_t *s, uint32_t now_ms);

/* 1 when the engine waits for the TLS upgrade: the server answered 220 to
 * STARTTLS and there is no output left. The transport then runs the TLS
 * handshake (verifying the certificate) and calls smtp_session_tls_ready(),
 * or smtp_session_closed() if it failed. Feeding any byte meanwhile is a
 * protocol failure (RFC 3207 command injection defence). */
int smtp_session_wants_tls(const smtp_session_t *s);

/* The TLS handshake succeeded and the certificate was verified: the engine
 * forgets every extension learned (s.ext is cleared) and sends EHLO again.
 * 0, or SMTP_ERR_STATE when no upgrade was awaited. */
int smtp_session_tls_ready(smtp_session_t *s, uint32_t now_ms);

/* SMTP_SESSION_RUNNING, _SUCCESS or _FAILED. */
smtp_status_t smtp_session_status(const smtp_session_t *s);

/* 1 when the session has ended (status != RUNNING). */
int smtp_session_done(const smtp_session_t *s);

/* Check one address: "local@domain", local 1..SMTP_LOCAL_MAX dot-atom bytes,
 * domain of LDH labels or an address literal "[...]", at most
 * SMTP_PATH_MAX - 2 bytes; printable ASCII only (no CR, LF, NUL, '<', '>',
 * space, control bytes; quoted local parts are not supported).
 * 0 or SMTP_ERR_BAD_ADDRESS. */
int smtp_address_check(const char *addr);

/* Names for logs and the panel; never NULL. */
const char *smtp_stage_name(smtp_stage_t stage);       /* "greeting", "rcpt", ... */
const char *smtp_strerror(int err);                    /* SMTP_ERR_* and SMTP_REPLY_ERR_* */

#endif /* SMTP_SESSION_H */
