/*
 * smtp_session.c - sans-IO ESMTP client engine. Contract and protocol
 * decisions in smtp_session.h.
 *
 * A transaction is a fixed sequence of steps, numbered so that two counters
 * describe a pipelined flight: s->cmd is the next step to send, s->rep the
 * next step whose reply is awaited (replies come in order, RFC 2920).
 *   0 RSET (only after an abandoned transaction), 1 MAIL, 2..n+1 RCPT (n =
 *   the recipients this transaction carries), n+2 DATA, n+3 content.
 * Once its final dot is written a transaction is over for the sender: the
 * next one (or QUIT) starts at once, and the dot's reply is remembered as
 * dot_pending, the first reply to come, so that with PIPELINING the content
 * and the next envelope share a flight.
 * Recipient state lives in the caller's rcpt_results: a recipient is still
 * to do while it is not accepted and was never sent or got a 452.
 */
#include "smtp_session.h"

#include "mime.h"

#include <inttypes.h>
#include <mbedtls/platform_util.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum {
    SMTP_PH_IDLE = 0, /* initialised, not started */
    SMTP_PH_GREETING,
    SMTP_PH_EHLO,
    SMTP_PH_HELO,
    SMTP_PH_TXN,
    SMTP_PH_QUIT,
    SMTP_PH_DONE,
    SMTP_PH_STARTTLS,   /* STARTTLS sent (or to send: cmd == 0) */
    SMTP_PH_TLS_WAIT,   /* 220 received: silent until smtp_session_tls_ready() */
    SMTP_PH_AUTH,       /* SASL exchange: auth.line to send, then a reply */
    SMTP_PH_AUTH_ABORT  /* "*" to send (cmd == 0), then its reply, then QUIT */
};

#define SMTP_STEP_RSET 0u
#define SMTP_STEP_MAIL 1u
#define SMTP_STEP_RCPT0 2u

/* Largest output of one body byte: "\r\n" for a pending lone CR, then "..". */
#define SMTP_BODY_BYTE_MAX 4u
/* Largest end of content: "\r\n" to close the last line, then ".\r\n". */
#define SMTP_BODY_END_MAX 5u

static const smtp_message_t *smtp_cur_msg(const smtp_session_t *s);
static size_t smtp_step_data(const smtp_session_t *s);
static smtp_stage_t smtp_cur_stage(const smtp_session_t *s);
static uint32_t smtp_wait_ms(const smtp_session_t *s);
static void smtp_timer_restart(smtp_session_t *s);
static void smtp_out_put(smtp_session_t *s, const void *p, size_t n);
static int smtp_put_cmd(smtp_session_t *s, const char *fmt, ...);
static void smtp_pump(smtp_session_t *s);
static void smtp_pump_txn(smtp_session_t *s);
static void smtp_pump_body(smtp_session_t *s);
static int smtp_msg_utf8(const smtp_message_t *m);
static int smtp_ascii(const char *str);
static int smtp_put_step(smtp_session_t *s, size_t step);
static void smtp_handle_reply(smtp_session_t *s);
static void smtp_handle_txn_reply(smtp_session_t *s);
static void smtp_after_hello(smtp_session_t *s);
static void smtp_auth_begin(smtp_session_t *s);
static void smtp_handle_auth_reply(smtp_session_t *s);
static void smtp_pump_auth(smtp_session_t *s);
static int smtp_check_auth_cfg(smtp_session_t *s);
static void smtp_txn_begin(smtp_session_t *s);
static void smtp_txn_end(smtp_session_t *s);
static int smtp_txn_retry(smtp_session_t *s);
static void smtp_rcpts_decide(smtp_session_t *s);
static int smtp_rcpt_unsent(const smtp_rcpt_result_t *rr);
static size_t smtp_rcpt_find(const smtp_session_t *s, size_t from, uint32_t txn);
static void smtp_handle_dot_reply(smtp_session_t *s);
static int smtp_quitting(const smtp_session_t *s);
static void smtp_msg_record(smtp_session_t *s, size_t msg, int err, smtp_stage_t stage,
                            const smtp_reply_t *r);
static void smtp_enter_quit(smtp_session_t *s);
static void smtp_finish(smtp_session_t *s);
static void smtp_msg_fail(smtp_session_t *s, int err, smtp_stage_t stage, const smtp_reply_t *r);
static void smtp_session_fail(smtp_session_t *s, int err, smtp_stage_t stage, const smtp_reply_t *r,
                              int quit);
static void smtp_failure_set(smtp_failure_t *f, int err, smtp_stage_t stage, const smtp_reply_t *r);
static void smtp_info_set(smtp_reply_info_t *info, const smtp_reply_t *r);
static void smtp_reply_reset(smtp_session_t *s);
static void smtp_ehlo_line(void *arg, unsigned index, const char *text, size_t len);
static int smtp_kw_eq(const char *p, size_t n, const char *kw);
static int smtp_domain_check(const char *d, size_t len);
static int smtp_validate(smtp_session_t *s);
static int smtp_check_messages(smtp_session_t *s);

/* ---- public functions ---------------------------------------------------- */

int smtp_session_init(smtp_session_t *s, const smtp_config_t *cfg, uint8_t *outbuf, size_t outcap)
{
    size_t i;
    int rc = 0;

    if (s == NULL) {
        return SMTP_ERR_BAD_ARGS;
    }
    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    s->out = outbuf;
    s->outcap = outcap;
    if (cfg == NULL || outbuf == NULL || outcap < SMTP_OUTBUF_MIN) {
        rc = SMTP_ERR_BAD_ARGS;
        goto exit;
    }
    s->secure = (cfg->tls == SMTP_TLS_IMPLICIT);
    s->authed = (cfg->auth_user == NULL);
    rc = smtp_check_auth_cfg(s);
    if (rc == 0) {
        rc = smtp_check_messages(s);
    }
exit:
    if (rc != 0) {
        const char *keep = s->fail.field;
        smtp_failure_t f;

        memset(&f, 0, sizeof(f));
        f.error = rc;
        snprintf(f.field, sizeof(f.field), "%s", keep);
        s->fail = f;
        /* Arrays are known good only for an address error. */
        if (rc == SMTP_ERR_BAD_ADDRESS && cfg->messages != NULL) {
            for (i = 0; i < cfg->message_count; i++) {
                cfg->messages[i].result->status = SMTP_MSG_FAILED;
                cfg->messages[i].result->fail = f;
            }
        }
        s->phase = SMTP_PH_DONE;
        s->status = SMTP_SESSION_FAILED;
    }
    return rc;
}

void smtp_session_free(smtp_session_t *s)
{
    if (s != NULL) {
        if (s->out != NULL) {
            mbedtls_platform_zeroize(s->out, s->out_len); /* may hold an unsent AUTH line */
        }
        mbedtls_platform_zeroize(s, sizeof(*s));
    }
}

int smtp_session_start(smtp_session_t *s, uint32_t now_ms)
{
    if (s == NULL || s->phase != SMTP_PH_IDLE || s->cfg == NULL) {
        return SMTP_ERR_STATE;
    }
    s->now = now_ms;
    s->phase = SMTP_PH_GREETING;
    smtp_reply_reset(s);
    smtp_timer_restart(s);
    return 0;
}

int smtp_session_feed(smtp_session_t *s, const uint8_t *data, size_t len, uint32_t now_ms)
{
    int got_reply = 0;

    if (s == NULL || (data == NULL && len > 0)) {
        return SMTP_ERR_BAD_ARGS;
    }
    if (s->phase == SMTP_PH_IDLE) {
        return SMTP_ERR_STATE;
    }
    s->now = now_ms;
    s->stats.bytes_in += len;
    while (len > 0 && s->phase != SMTP_PH_DONE) {
        size_t used = 0;
        int rc;

        if (s->phase == SMTP_PH_TLS_WAIT) {
            /* RFC 3207 5: bytes after the 220 were sent before TLS, e.g.
             * injected by a man in the middle; they must never be read as
             * replies inside TLS. */
            smtp_session_fail(s, SMTP_ERR_PROTOCOL, SMTP_STAGE_STARTTLS, NULL, 0);
            break;
        }
        rc = smtp_reply_parse(&s->reply, data, len, &used);

        data += used;
        len -= used;
        if (rc == SMTP_REPLY_NEED_MORE) {
            break;
        }
        if (rc < 0) {
            if (smtp_quitting(s)) {
                smtp_finish(s); /* garbage after QUIT changes no outcome */
            } else {
                smtp_session_fail(s, rc, smtp_cur_stage(s), &s->reply, 0);
            }
            break;
        }
        got_reply = 1;
        s->stats.replies++;
        s->flight_open = 0;
        smtp_handle_reply(s);
        smtp_reply_reset(s);
        smtp_pump(s);
    }
    if (got_reply) {
        smtp_timer_restart(s);
    }
    return 0;
}

int smtp_session_tick(smtp_session_t *s, uint32_t now_ms)
{
    if (s == NULL) {
        return SMTP_ERR_BAD_ARGS;
    }
    s->now = now_ms;
    if (s->phase == SMTP_PH_IDLE || s->phase == SMTP_PH_DONE || !s->timer_on) {
        return 0;
    }
    /* Signed difference: correct across the 2^32 ms wrap. */
    if ((int32_t)(now_ms - s->deadline) >= 0) {
        if (smtp_quitting(s)) {
            smtp_finish(s);
        } else {
            smtp_session_fail(s, SMTP_ERR_TIMEOUT, smtp_cur_stage(s), NULL, 0);
        }
    }
    return 0;
}

const uint8_t *smtp_session_output(smtp_session_t *s, size_t *len)
{
    if (len != NULL) {
        *len = 0;
    }
    if (s == NULL || len == NULL || s->out == NULL) {
        return NULL;
    }
    if (s->phase != SMTP_PH_DONE) {
        smtp_pump(s);
    }
    *len = s->out_len;
    return s->out;
}

int smtp_session_sent(smtp_session_t *s, size_t n)
{
    if (s == NULL || n > s->out_len) {
        return SMTP_ERR_BAD_ARGS;
    }
    if (n == 0) {
        return 0;
    }
    memmove(s->out, s->out + n, s->out_len - n);
    s->out_len -= n;
    /* The released tail may hold a credential line: never leave it behind. */
    mbedtls_platform_zeroize(s->out + s->out_len, n);
    s->stats.bytes_out += n;
    smtp_timer_restart(s);
    return 0;
}

int smtp_session_closed(smtp_session_t *s, uint32_t now_ms)
{
    if (s == NULL) {
        return SMTP_ERR_BAD_ARGS;
    }
    s->now = now_ms;
    switch (s->phase) {
    case SMTP_PH_DONE:
        break;
    case SMTP_PH_IDLE:
        smtp_session_fail(s, SMTP_ERR_CLOSED, SMTP_STAGE_CONNECT, NULL, 0);
        break;
    default:
        if (smtp_quitting(s)) {
            smtp_finish(s);
        } else {
            smtp_session_fail(s, SMTP_ERR_CLOSED, smtp_cur_stage(s), NULL, 0);
        }
        break;
    }
    return 0;
}

int smtp_session_wants_tls(const smtp_session_t *s)
{
    return s != NULL && s->phase == SMTP_PH_TLS_WAIT && s->out_len == 0;
}

int smtp_session_tls_ready(smtp_session_t *s, uint32_t now_ms)
{
    if (s == NULL || s->phase != SMTP_PH_TLS_WAIT) {
        return SMTP_ERR_STATE;
    }
    s->now = now_ms;
    s->secure = 1;
    /* RFC 3207 4.2: forget everything learned before TLS. */
    memset(&s->ext, 0, sizeof(s->ext));
    s->phase = SMTP_PH_EHLO;
    s->cmd = 0;
    smtp_reply_reset(s);
    smtp_timer_restart(s);
    smtp_pump(s);
    return 0;
}

smtp_status_t smtp_session_status(const smtp_session_t *s)
{
    if (s == NULL) {
        return SMTP_SESSION_FAILED;
    }
    return s->status;
}

int smtp_session_done(const smtp_session_t *s)
{
    return smtp_session_status(s) != SMTP_SESSION_RUNNING;
}

int smtp_address_check(const char *addr)
{
    size_t len;
    size_t at;
    size_t i;

    if (addr == NULL) {
        return SMTP_ERR_BAD_ADDRESS;
    }
    len = strnlen(addr, SMTP_PATH_MAX);
    if (len == 0 || len > SMTP_PATH_MAX - 2) {
        return SMTP_ERR_BAD_ADDRESS;
    }
    for (at = len; at > 0 && addr[at - 1] != '@'; at--) {
    }
    if (at == 0) {
        return SMTP_ERR_BAD_ADDRESS;
    }
    at--; /* index of the last '@' */
    if (at == 0 || at > SMTP_LOCAL_MAX || addr[0] == '.' || addr[at - 1] == '.') {
        return SMTP_ERR_BAD_ADDRESS;
    }
    /* Dot-atom local part (RFC 5321 4.1.2), UTF-8 letters allowed (RFC 6531:
     * sent only with SMTPUTF8); a second '@' fails here too. */
    if (mime_utf8_check(addr, at) != 0) {
        return SMTP_ERR_BAD_ADDRESS;
    }
    for (i = 0; i < at; i++) {
        unsigned char c = (unsigned char)addr[i];

        if (c >= 0x80) {
            continue;
        }
        if (c == '.') {
            if (addr[i + 1] == '.') {
                return SMTP_ERR_BAD_ADDRESS;
            }
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL) ||
            c == '\0') {
            return SMTP_ERR_BAD_ADDRESS;
        }
    }
    return smtp_domain_check(addr + at + 1, len - at - 1);
}

const char *smtp_stage_name(smtp_stage_t stage)
{
    switch (stage) {
    case SMTP_STAGE_NONE: return "none";
    case SMTP_STAGE_GREETING: return "greeting";
    case SMTP_STAGE_EHLO: return "ehlo";
    case SMTP_STAGE_HELO: return "helo";
    case SMTP_STAGE_MAIL: return "mail";
    case SMTP_STAGE_RCPT: return "rcpt";
    case SMTP_STAGE_DATA: return "data";
    case SMTP_STAGE_CONTENT: return "content";
    case SMTP_STAGE_RSET: return "rset";
    case SMTP_STAGE_QUIT: return "quit";
    case SMTP_STAGE_CONNECT: return "connect";
    case SMTP_STAGE_STARTTLS: return "starttls";
    case SMTP_STAGE_AUTH: return "auth";
    default: return "unknown";
    }
}

const char *smtp_strerror(int err)
{
    switch (err) {
    case 0: return "ok";
    case SMTP_ERR_BAD_ARGS: return "bad arguments";
    case SMTP_ERR_BAD_ADDRESS: return "invalid address";
    case SMTP_ERR_REPLY: return "refused by the server";
    case SMTP_ERR_TIMEOUT: return "timed out";
    case SMTP_ERR_CLOSED: return "connection closed";
    case SMTP_ERR_TOO_BIG: return "message larger than the server accepts";
    case SMTP_ERR_NO_RECIPIENTS: return "every recipient was refused";
    case SMTP_ERR_BODY: return "message body could not be read";
    case SMTP_ERR_PROTOCOL: return "unexpected reply from the server";
    case SMTP_ERR_STATE: return "call out of order";
    case SMTP_ERR_PREPARE: return "the messages could not be fitted to the server";
    case SMTP_ERR_NO_STARTTLS: return "the server does not offer STARTTLS";
    case SMTP_ERR_CLEARTEXT_AUTH: return "sign-in refused without TLS";
    case SMTP_ERR_NO_AUTH_MECH: return "no sign-in method in common with the server";
    case SMTP_ERR_AUTH_REFUSED: return "sign-in refused by the gateway";
    case SMTP_ERR_NO_REWIND: return "recipient limit: the message cannot be sent again";
    case SMTP_ERR_NO_SMTPUTF8:
        return "an address has non-ASCII letters and the gateway does not offer SMTPUTF8";
    default:
        return (smtp_auth_strerror(err) != NULL) ? smtp_auth_strerror(err) : smtp_reply_strerror(err);
    }
}

/* ---- state and timers ---------------------------------------------------- */

static const smtp_message_t *smtp_cur_msg(const smtp_session_t *s)
{
    return &s->cfg->messages[s->msg];
}

static size_t smtp_step_data(const smtp_session_t *s)
{
    return SMTP_STEP_RCPT0 + s->txn_rcpts;
}

/* QUIT is the only thing left to answer: a close or garbage ends nothing. */
static int smtp_quitting(const smtp_session_t *s)
{
    return s->phase == SMTP_PH_QUIT && !s->dot_pending;
}

static smtp_stage_t smtp_cur_stage(const smtp_session_t *s)
{
    size_t data;

    if (s->dot_pending && (s->phase == SMTP_PH_TXN || s->phase == SMTP_PH_QUIT)) {
        return SMTP_STAGE_CONTENT; /* that reply comes first */
    }
    switch (s->phase) {
    case SMTP_PH_GREETING: return SMTP_STAGE_GREETING;
    case SMTP_PH_EHLO: return SMTP_STAGE_EHLO;
    case SMTP_PH_HELO: return SMTP_STAGE_HELO;
    case SMTP_PH_QUIT: return SMTP_STAGE_QUIT;
    case SMTP_PH_STARTTLS:
    case SMTP_PH_TLS_WAIT: return SMTP_STAGE_STARTTLS;
    case SMTP_PH_AUTH:
    case SMTP_PH_AUTH_ABORT: return SMTP_STAGE_AUTH;
    case SMTP_PH_TXN:
        data = smtp_step_data(s);
        if (s->rep == SMTP_STEP_RSET) {
            return SMTP_STAGE_RSET;
        }
        if (s->rep == SMTP_STEP_MAIL) {
            return SMTP_STAGE_MAIL;
        }
        if (s->rep < data) {
            return SMTP_STAGE_RCPT;
        }
        return (s->rep == data) ? SMTP_STAGE_DATA : SMTP_STAGE_CONTENT;
    default: return SMTP_STAGE_NONE;
    }
}

static uint32_t smtp_wait_ms(const smtp_session_t *s)
{
    const smtp_timeouts_t *t = &s->cfg->timeouts;
    uint32_t ms;
    uint32_t dflt;

    switch (smtp_cur_stage(s)) {
    case SMTP_STAGE_GREETING:
        ms = t->greeting_ms;
        dflt = SMTP_TIMEOUT_GREETING_MS;
        break;
    case SMTP_STAGE_RCPT:
        ms = t->rcpt_ms;
        dflt = SMTP_TIMEOUT_RCPT_MS;
        break;
    case SMTP_STAGE_DATA:
        ms = t->data_init_ms;
        dflt = SMTP_TIMEOUT_DATA_INIT_MS;
        break;
    case SMTP_STAGE_CONTENT:
        /* Handing content over vs. waiting for the final-dot reply. */
        if (s->out_len > 0 || (s->content && !s->body_done)) {
            ms = t->data_block_ms;
            dflt = SMTP_TIMEOUT_DATA_BLOCK_MS;
        } else {
            ms = t->data_term_ms;
            dflt = SMTP_TIMEOUT_DATA_TERM_MS;
        }
        break;
    case SMTP_STAGE_QUIT:
        ms = t->quit_ms;
        dflt = SMTP_TIMEOUT_QUIT_MS;
        break;
    default:
        ms = t->mail_ms;
        dflt = SMTP_TIMEOUT_MAIL_MS;
        break;
    }
    return (ms != 0) ? ms : dflt;
}

static void smtp_timer_restart(smtp_session_t *s)
{
    s->timer_on = (s->phase != SMTP_PH_IDLE && s->phase != SMTP_PH_DONE);
    if (s->timer_on) {
        s->deadline = s->now + smtp_wait_ms(s);
    }
}

/* ---- output -------------------------------------------------------------- */

static void smtp_out_put(smtp_session_t *s, const void *p, size_t n)
{
    if (!s->flight_open) {
        s->flight_open = 1;
        s->stats.flights++;
    }
    memcpy(s->out + s->out_len, p, n);
    s->out_len += n;
}

/* Append one command and CRLF when it fits whole. Returns 1 if appended. */
static int smtp_put_cmd(smtp_session_t *s, const char *fmt, ...)
{
    char line[SMTP_OUTBUF_MIN];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
    va_end(ap);
    /* Inputs are validated at init, so this cannot be cut; be safe anyway. */
    if (n < 0 || (size_t)n >= sizeof(line) - 2 || s->outcap - s->out_len < (size_t)n + 2) {
        return 0;
    }
    line[n++] = '\r';
    line[n++] = '\n';
    smtp_out_put(s, line, (size_t)n);
    return 1;
}

/* Produce whatever output the current state allows and the buffer holds. */
static void smtp_pump(smtp_session_t *s)
{
    switch (s->phase) {
    case SMTP_PH_EHLO:
        if (s->cmd == 0 && smtp_put_cmd(s, "EHLO %s", s->cfg->ehlo_domain)) {
            s->cmd = 1;
        }
        break;
    case SMTP_PH_HELO:
        if (s->cmd == 0 && smtp_put_cmd(s, "HELO %s", s->cfg->ehlo_domain)) {
            s->cmd = 1;
        }
        break;
    case SMTP_PH_STARTTLS:
        if (s->cmd == 0 && smtp_put_cmd(s, "STARTTLS")) {
            s->cmd = 1;
        }
        break;
    case SMTP_PH_AUTH:
        smtp_pump_auth(s);
        break;
    case SMTP_PH_AUTH_ABORT:
        if (s->cmd == 0 && smtp_put_cmd(s, "*")) {
            s->cmd = 1;
        }
        break;
    case SMTP_PH_TXN:
        smtp_pump_txn(s);
        break;
    case SMTP_PH_QUIT:
        /* RFC 2920: QUIT may end the group that carries the last final dot. */
        if (!s->quit_sent && (s->ext.pipelining || !s->dot_pending) && smtp_put_cmd(s, "QUIT")) {
            s->quit_sent = 1;
        }
        break;
    default:
        break;
    }
}

static void smtp_pump_txn(smtp_session_t *s)
{
    size_t data = smtp_step_data(s);
    int pipe = s->ext.pipelining;

    /* Without PIPELINING a command waits for every earlier reply; with it,
     * the whole envelope goes out (behind the previous content), unless a
     * failure is already known. */
    while (s->cmd <= data && !s->txn_failed &&
           (pipe || (s->rep == s->cmd && !s->dot_pending))) {
        if (!smtp_put_step(s, s->cmd)) {
            return;
        }
        s->cmd++;
    }
    if (s->content && !s->body_done) {
        smtp_pump_body(s);
        if (s->body_done) {
            smtp_txn_end(s);
            smtp_pump(s); /* the next envelope or QUIT, in the same flight */
        }
    }
}

/* 1 when the message has an address that is not ASCII: it needs SMTPUTF8. */
static int smtp_msg_utf8(const smtp_message_t *m)
{
    int utf8 = !smtp_ascii(m->from);

    for (size_t i = 0; i < m->rcpt_count && !utf8; i++) {
        utf8 = !smtp_ascii(m->rcpts[i]);
    }
    return utf8;
}

static int smtp_ascii(const char *str)
{
    while (*str != '\0' && (unsigned char)*str < 0x80) {
        str++;
    }
    return *str == '\0';
}

static int smtp_put_step(smtp_session_t *s, size_t step)
{
    const smtp_message_t *m = smtp_cur_msg(s);
    size_t data = smtp_step_data(s);

    if (step == SMTP_STEP_RSET) {
        return smtp_put_cmd(s, "RSET");
    }
    if (step == SMTP_STEP_MAIL) {
        /* %lu, not PRIu64: newlib-nano's printf has no long long. A message
         * is never near 4 GiB (the spool and every gateway's SIZE are far
         * below), so an unsigned long holds it on a 32-bit board too. */
        const char *utf8 = smtp_msg_utf8(m) ? " SMTPUTF8" : "";
        int ok = s->ext.size ? smtp_put_cmd(s, "MAIL FROM:<%s> SIZE=%lu%s", m->from,
                                            (unsigned long)m->size, utf8)
                             : smtp_put_cmd(s, "MAIL FROM:<%s>%s", m->from, utf8);

        if (ok) {
            s->txn_no = ++s->stats.transactions;
        }
        return ok;
    }
    if (step < data) {
        size_t i = smtp_rcpt_find(s, s->rcpt_next, 0);

        if (!smtp_put_cmd(s, "RCPT TO:<%s>", m->rcpts[i])) {
            return 0;
        }
        m->rcpt_results[i].txn = s->txn_no;
        s->rcpt_next = i + 1;
        return 1;
    }
    return smtp_put_cmd(s, "DATA");
}

/* Move body bytes into the output: bare CR/LF become CRLF, a leading '.' is
 * doubled, the last line gets its CRLF, then the final dot. */
static void smtp_pump_body(smtp_session_t *s)
{
    const smtp_message_t *m = smtp_cur_msg(s);
    static const uint8_t crlf[2] = {'\r', '\n'};

    while (!s->body_done) {
        uint8_t c;

        if (s->chunk_pos == s->chunk_len && !s->body_eof) {
            long n = s->discard ? 0 : m->read(m->read_arg, s->chunk, sizeof(s->chunk));

            if (n < 0 || (size_t)n > sizeof(s->chunk)) {
                smtp_session_fail(s, SMTP_ERR_BODY, SMTP_STAGE_CONTENT, NULL, 0);
                return;
            }
            s->chunk_len = (size_t)n;
            s->chunk_pos = 0;
            s->body_eof = (n == 0);
            continue;
        }
        if (s->body_eof) {
            if (s->outcap - s->out_len < SMTP_BODY_END_MAX) {
                return;
            }
            if (s->cr || !s->bol) {
                smtp_out_put(s, crlf, 2);
            }
            smtp_out_put(s, ".\r\n", 3);
            s->cr = 0;
            s->body_done = 1;
            return;
        }
        if (s->outcap - s->out_len < SMTP_BODY_BYTE_MAX) {
            return;
        }
        if (!s->cr && !s->bol) {
            /* Inside a line nothing changes: copy up to the next CR or LF at once. */
            const uint8_t *p = s->chunk + s->chunk_pos;
            const uint8_t *lf, *cr;
            size_t n, max = s->chunk_len - s->chunk_pos;

            if (max > s->outcap - s->out_len) {
                max = s->outcap - s->out_len;
            }
            /* memchr: the C library's fastest scan (every byte sent passes here). */
            lf = memchr(p, '\n', max);
            n = lf != NULL ? (size_t)(lf - p) : max;
            cr = memchr(p, '\r', n);
            if (cr != NULL) {
                n = (size_t)(cr - p);
            }
            if (n > 0) {
                smtp_out_put(s, p, n);
                s->chunk_pos += n;
                continue;
            }
        }
        c = s->chunk[s->chunk_pos++];
        if (c == '\r') {
            if (s->cr) {
                smtp_out_put(s, crlf, 2); /* the earlier CR stood alone */
            }
            s->cr = 1;
            s->bol = 1;
            continue;
        }
        if (c == '\n' || s->cr) {
            smtp_out_put(s, crlf, 2);
            s->cr = 0;
            s->bol = 1;
            if (c == '\n') {
                continue;
            }
        }
        if (s->bol && c == '.') {
            smtp_out_put(s, ".", 1);
        }
        smtp_out_put(s, &c, 1);
        s->bol = 0;
    }
}

/* ---- replies ------------------------------------------------------------- */

static void smtp_handle_reply(smtp_session_t *s)
{
    const smtp_reply_t *r = &s->reply;
    int cls = r->code / 100;

    /* RFC 5321 3.8: 421 may come at any time; the server is closing. */
    if (r->code == 421 && s->phase != SMTP_PH_QUIT) {
        smtp_session_fail(s, SMTP_ERR_REPLY, smtp_cur_stage(s), r, 0);
        return;
    }
    switch (s->phase) {
    case SMTP_PH_GREETING:
        if (r->code == 220) {
            s->phase = SMTP_PH_EHLO;
            s->cmd = 0;
            memset(&s->ext, 0, sizeof(s->ext));
        } else {
            smtp_session_fail(s, SMTP_ERR_REPLY, SMTP_STAGE_GREETING, r, 1);
        }
        break;
    case SMTP_PH_EHLO:
    case SMTP_PH_HELO:
        if (s->cmd == 0) {
            smtp_session_fail(s, SMTP_ERR_PROTOCOL, smtp_cur_stage(s), r, 0);
        } else if (cls == 2) {
            s->ext.ehlo = (s->phase == SMTP_PH_EHLO);
            smtp_after_hello(s);
        } else if (cls == 5 && s->phase == SMTP_PH_EHLO) {
            memset(&s->ext, 0, sizeof(s->ext));
            s->phase = SMTP_PH_HELO;
            s->cmd = 0;
        } else {
            memset(&s->ext, 0, sizeof(s->ext));
            smtp_session_fail(s, SMTP_ERR_REPLY, smtp_cur_stage(s), r, 1);
        }
        break;
    case SMTP_PH_STARTTLS:
        if (s->cmd == 0) {
            smtp_session_fail(s, SMTP_ERR_PROTOCOL, SMTP_STAGE_STARTTLS, r, 0);
        } else if (r->code == 220) {
            s->phase = SMTP_PH_TLS_WAIT;
        } else {
            smtp_session_fail(s, SMTP_ERR_REPLY, SMTP_STAGE_STARTTLS, r, 1);
        }
        break;
    case SMTP_PH_AUTH:
        smtp_handle_auth_reply(s);
        break;
    case SMTP_PH_AUTH_ABORT:
        if (s->cmd == 0) {
            smtp_session_fail(s, SMTP_ERR_PROTOCOL, SMTP_STAGE_AUTH, r, 0);
        } else {
            smtp_enter_quit(s); /* the reply to "*" (501) changes nothing */
        }
        break;
    case SMTP_PH_TXN:
        if (s->dot_pending) {
            smtp_handle_dot_reply(s);
        } else {
            smtp_handle_txn_reply(s);
        }
        break;
    case SMTP_PH_QUIT:
        if (s->dot_pending) {
            smtp_handle_dot_reply(s);
        } else {
            smtp_finish(s);
        }
        break;
    default:
        break;
    }
}

static void smtp_handle_txn_reply(smtp_session_t *s)
{
    const smtp_reply_t *r = &s->reply;
    const smtp_message_t *m = smtp_cur_msg(s);
    size_t data = smtp_step_data(s);
    size_t step = s->rep;
    int ok = (r->code / 100 == 2);

    if (s->rep >= s->cmd) {
        /* Nothing was asked: e.g. a reply in the middle of the content. */
        smtp_session_fail(s, SMTP_ERR_PROTOCOL, smtp_cur_stage(s), r, 0);
        return;
    }
    s->rep++;
    if (step == SMTP_STEP_RSET) {
        if (!ok) {
            smtp_session_fail(s, SMTP_ERR_REPLY, SMTP_STAGE_RSET, r, 0);
            return;
        }
    } else if (step == SMTP_STEP_MAIL) {
        if (!ok) {
            smtp_msg_fail(s, SMTP_ERR_REPLY, SMTP_STAGE_MAIL, r);
        }
    } else if (step < data) {
        size_t i = smtp_rcpt_find(s, s->rcpt_rep, s->txn_no);
        smtp_rcpt_result_t *rr = &m->rcpt_results[i];

        s->rcpt_rep = i + 1;
        if (s->txn_failed) {
            /* MAIL was refused: the pipelined RCPT's reply (503 "need MAIL")
             * says nothing of the recipient, whose fate is the MAIL reply's. */
        } else {
            smtp_info_set(&rr->reply, r);
            rr->accepted = ok;
            if (ok) {
                s->accepted++;
                m->result->accepted++;
            }
            if (step + 1 == data) {
                smtp_rcpts_decide(s);
            }
        }
    } else if (step == data) {
        if (r->code == 354) {
            /* A failed transaction gets a lone dot (RFC 2920 3.1). */
            s->discard = s->txn_failed;
            s->content = 1;
        } else {
            smtp_msg_fail(s, SMTP_ERR_REPLY, SMTP_STAGE_DATA, r);
        }
    }
    /* A failed transaction is over once every reply is in (unless 354 asked
     * for the lone dot, which ends it in smtp_pump_txn). */
    if (s->txn_failed && s->rep == s->cmd && !s->content) {
        smtp_txn_end(s);
    }
}

/* The reply to an earlier transaction's final dot. */
static void smtp_handle_dot_reply(smtp_session_t *s)
{
    const smtp_reply_t *r = &s->reply;
    const smtp_message_t *m = &s->cfg->messages[s->dot_msg];
    size_t i;

    s->dot_pending = 0;
    if (s->dot_discard) {
        return; /* the lone dot's reply is no result */
    }
    smtp_info_set(&m->result->reply, r);
    if (r->code / 100 != 2) {
        smtp_msg_record(s, s->dot_msg, SMTP_ERR_REPLY, SMTP_STAGE_CONTENT, r);
        return;
    }
    if (m->result->status == SMTP_MSG_PENDING) {
        m->result->status = SMTP_MSG_SENT;
    }
    for (i = 0; i < m->rcpt_count; i++) {
        smtp_rcpt_result_t *rr = &m->rcpt_results[i];

        if (rr->accepted && rr->txn == s->dot_txn) {
            rr->delivered = 1;
        }
    }
    if (s->cfg->accepted != NULL) {
        s->cfg->accepted(s->cfg->accepted_arg, s->dot_msg);
    }
}

/* Every RCPT reply of the transaction is in: does another transaction of
 * this message follow, and does this one carry any recipient? */
static void smtp_rcpts_decide(smtp_session_t *s)
{
    const smtp_message_t *m = smtp_cur_msg(s);
    const smtp_reply_info_t *limit = NULL;
    size_t unsent = 0;
    size_t i;

    for (i = 0; i < m->rcpt_count; i++) {
        const smtp_rcpt_result_t *rr = &m->rcpt_results[i];

        unsent += smtp_rcpt_unsent(rr);
        if (limit == NULL && rr->txn == s->txn_no && rr->reply.code == 452) {
            limit = &rr->reply;
        }
    }
    if (s->accepted == 0) {
        s->txn_failed = 1; /* no content for nobody */
        if (limit != NULL) {
            /* The server takes no recipient at all now: trying again in this
             * session would loop. The rest end with its 452. */
            for (i = 0; i < m->rcpt_count; i++) {
                smtp_rcpt_result_t *rr = &m->rcpt_results[i];

                if (rr->txn == 0) {
                    rr->reply = *limit;
                }
            }
            unsent = 0;
        }
    }
    s->retry = (unsent > 0 && m->result->status != SMTP_MSG_FAILED);
    if (!s->retry && m->result->accepted == 0) {
        smtp_msg_record(s, s->msg, SMTP_ERR_NO_RECIPIENTS, SMTP_STAGE_RCPT, &s->reply);
    }
}

/* Not accepted and never sent, or deferred by a 452. */
static int smtp_rcpt_unsent(const smtp_rcpt_result_t *rr)
{
    return !rr->accepted && rr->error == 0 && (rr->txn == 0 || rr->reply.code == 452);
}

/* First recipient from index `from` on that is still to do (txn == 0) or
 * was carried by transaction txn. The caller knows there is one. */
static size_t smtp_rcpt_find(const smtp_session_t *s, size_t from, uint32_t txn)
{
    const smtp_message_t *m = smtp_cur_msg(s);
    size_t i;

    for (i = from; i + 1 < m->rcpt_count; i++) {
        const smtp_rcpt_result_t *rr = &m->rcpt_results[i];

        if (txn == 0 ? smtp_rcpt_unsent(rr) : rr->txn == txn) {
            break;
        }
    }
    return i;
}

/* EHLO (or HELO) succeeded: STARTTLS first when required, then AUTH when
 * configured, then the caller's prepare() and the first transaction. */
static void smtp_after_hello(smtp_session_t *s)
{
    const smtp_config_t *cfg = s->cfg;

    if (cfg->tls == SMTP_TLS_STARTTLS && !s->secure) {
        if (!s->ext.starttls) {
            /* Never fall back to cleartext. */
            smtp_session_fail(s, SMTP_ERR_NO_STARTTLS, smtp_cur_stage(s), &s->reply, 1);
            return;
        }
        s->phase = SMTP_PH_STARTTLS;
        s->cmd = 0;
        return;
    }
    if (!s->authed) {
        smtp_auth_begin(s);
        return;
    }
    /* The caller may now fit its messages to what the server offers
     * (SIZE): they are checked again before the first MAIL. */
    if (cfg->prepare != NULL) {
        int rc = cfg->prepare(cfg->prepare_arg, &s->ext);

        if (rc == 0) {
            rc = smtp_check_messages(s);
        }
        if (rc != 0) {
            smtp_session_fail(s, rc == SMTP_ERR_BAD_ADDRESS ? rc : SMTP_ERR_PREPARE,
                              s->ext.ehlo ? SMTP_STAGE_EHLO : SMTP_STAGE_HELO, NULL, 1);
            return;
        }
    }
    smtp_txn_begin(s);
}

/* Pick the mechanism and make the AUTH line; nothing is produced unless the
 * channel may carry credentials. */
static void smtp_auth_begin(smtp_session_t *s)
{
    const smtp_config_t *cfg = s->cfg;
    char nonce[SMTP_AUTH_NONCE_MAX + 1];
    const char *n = cfg->auth_nonce;
    unsigned mech;
    size_t i;
    int rc;

    if (!s->secure && !cfg->allow_cleartext_auth) {
        smtp_session_fail(s, SMTP_ERR_CLEARTEXT_AUTH, SMTP_STAGE_AUTH, NULL, 1);
        return;
    }
    mech = smtp_auth_select(s->ext.auth, cfg->auth_mech);
    if (mech == 0) {
        smtp_session_fail(s, SMTP_ERR_NO_AUTH_MECH, SMTP_STAGE_AUTH, NULL, 1);
        /* Cut to the field: "offered: " and as much of the list as fits. */
        snprintf(s->fail.field, sizeof(s->fail.field), "offered: %.*s",
                 (int)(sizeof(s->fail.field) - sizeof("offered: ")),
                 s->ext.auth_offered[0] != '\0' ? s->ext.auth_offered : "none");
        for (i = 0; i < cfg->message_count; i++) {
            smtp_failure_t *f = &cfg->messages[i].result->fail;

            if (f->error == SMTP_ERR_NO_AUTH_MECH) {
                memcpy(f->field, s->fail.field, sizeof(f->field));
            }
        }
        return;
    }
    nonce[0] = '\0';
    if (mech == SMTP_AUTH_SCRAM_SHA_256 && n == NULL) {
        rc = smtp_auth_make_nonce(cfg->auth_rng, cfg->auth_rng_arg, nonce, sizeof(nonce));
        if (rc != 0) {
            smtp_session_fail(s, rc, SMTP_STAGE_AUTH, NULL, 1);
            return;
        }
        n = nonce;
    }
    rc = smtp_auth_start(&s->auth, mech, cfg->auth_user, cfg->auth_pass, n);
    mbedtls_platform_zeroize(nonce, sizeof(nonce));
    if (rc != 0) {
        smtp_auth_free(&s->auth);
        smtp_session_fail(s, rc, SMTP_STAGE_AUTH, NULL, 1);
        return;
    }
    s->phase = SMTP_PH_AUTH;
    s->cmd = 0;
    s->auth_pos = 0;
}

/* Copy the pending AUTH line into the output as room allows (it may be
 * longer than the output buffer); wipe it once all of it is there. */
static void smtp_pump_auth(smtp_session_t *s)
{
    size_t n;

    if (s->cmd != 0) {
        return;
    }
    n = s->auth.line_len - s->auth_pos;
    if (n > s->outcap - s->out_len) {
        n = s->outcap - s->out_len;
    }
    if (n > 0) {
        smtp_out_put(s, s->auth.line + s->auth_pos, n);
        s->auth_pos += n;
    }
    if (s->auth_pos == s->auth.line_len) {
        smtp_auth_line_wipe(&s->auth);
        s->auth_pos = 0;
        s->cmd = 1;
    }
}

static void smtp_handle_auth_reply(smtp_session_t *s)
{
    const smtp_reply_t *r = &s->reply;
    int err;
    int rc;

    if (s->cmd == 0) {
        /* A reply before our line was complete: out of step. */
        smtp_session_fail(s, SMTP_ERR_PROTOCOL, SMTP_STAGE_AUTH, r, 0);
        return;
    }
    if (r->code == 334) {
        rc = r->truncated ? SMTP_AUTH_ERR_CHALLENGE : smtp_auth_step(&s->auth, r->text, r->text_len);
        if (rc == 0) {
            s->cmd = 0;
            s->auth_pos = 0;
            return;
        }
        /* Cancel the exchange (RFC 4954 4: "*"), then QUIT. */
        smtp_auth_free(&s->auth);
        smtp_session_fail(s, rc, SMTP_STAGE_AUTH, r, 1);
        s->phase = SMTP_PH_AUTH_ABORT;
        s->cmd = 0;
        return;
    }
    if (r->code / 100 == 2) {
        rc = smtp_auth_done(&s->auth);
        smtp_auth_free(&s->auth);
        if (rc != 0) {
            smtp_session_fail(s, rc, SMTP_STAGE_AUTH, r, 1);
            return;
        }
        s->authed = 1;
        smtp_after_hello(s);
        return;
    }
    smtp_auth_free(&s->auth);
    err = (r->code == 535 || strncmp(r->enhanced, "5.7.", 4) == 0) ? SMTP_ERR_AUTH_REFUSED
                                                                   : SMTP_ERR_REPLY;
    smtp_session_fail(s, err, SMTP_STAGE_AUTH, r, 1);
}

/* Start the next transaction of message s->msg (its recipients still to
 * do, at most rcpt_max), skipping messages over the server's SIZE limit;
 * QUIT when none is left. */
static void smtp_txn_begin(smtp_session_t *s)
{
    const smtp_message_t *m;
    size_t i;

    while (s->msg < s->cfg->message_count) {
        m = smtp_cur_msg(s);
        if (smtp_msg_utf8(m) && !s->ext.smtputf8) {
            smtp_msg_record(s, s->msg, SMTP_ERR_NO_SMTPUTF8, SMTP_STAGE_MAIL, NULL);
        } else if (s->ext.size_max == 0 || m->size <= s->ext.size_max) {
            break;
        } else {
            smtp_msg_record(s, s->msg, SMTP_ERR_TOO_BIG, SMTP_STAGE_MAIL, NULL);
        }
        s->msg++;
    }
    if (s->msg >= s->cfg->message_count) {
        smtp_enter_quit(s);
        return;
    }
    m = smtp_cur_msg(s);
    s->txn_rcpts = 0;
    for (i = 0; i < m->rcpt_count; i++) {
        s->txn_rcpts += smtp_rcpt_unsent(&m->rcpt_results[i]);
    }
    if (s->cfg->rcpt_max != 0 && s->txn_rcpts > s->cfg->rcpt_max) {
        s->txn_rcpts = s->cfg->rcpt_max;
    }
    s->phase = SMTP_PH_TXN;
    s->cmd = s->rset_needed ? SMTP_STEP_RSET : SMTP_STEP_MAIL;
    s->rep = s->cmd;
    s->rset_needed = 0;
    s->accepted = 0;
    s->rcpt_next = 0;
    s->rcpt_rep = 0;
    s->retry = 0;
    s->txn_failed = 0;
    s->discard = 0;
    s->content = 0;
    s->body_done = 0;
    s->body_eof = 0;
    s->bol = 1;
    s->cr = 0;
    s->chunk_len = 0;
    s->chunk_pos = 0;
}

/* The transaction has nothing more to send: its final dot is written (its
 * reply is then awaited first), or it failed and every reply is in. */
static void smtp_txn_end(smtp_session_t *s)
{
    s->rset_needed = s->txn_failed && !s->body_done;
    if (s->body_done) {
        s->dot_pending = 1;
        s->dot_msg = s->msg;
        s->dot_txn = s->txn_no;
        s->dot_discard = s->discard;
    }
    if (!smtp_txn_retry(s)) {
        s->msg++;
    }
    smtp_txn_begin(s);
}

/* 1 when the current message goes again, its content rewound, for the
 * recipients still to do; else those end with the reason. */
static int smtp_txn_retry(smtp_session_t *s)
{
    const smtp_message_t *m = smtp_cur_msg(s);
    int err = SMTP_ERR_NO_REWIND;
    size_t i;

    /* A failure seen since the RCPT replies (DATA refused) ends the message. */
    if (!s->retry || m->result->status == SMTP_MSG_FAILED) {
        return 0;
    }
    if (m->rewind != NULL) {
        err = (m->rewind(m->read_arg) == 0) ? 0 : SMTP_ERR_BODY;
    }
    if (err == 0) {
        return 1;
    }
    for (i = 0; i < m->rcpt_count; i++) {
        smtp_rcpt_result_t *rr = &m->rcpt_results[i];

        if (smtp_rcpt_unsent(rr)) {
            rr->error = err;
        }
    }
    /* Nobody accepted so far (the first batch was refused): the message
     * ends here, failed for that reason. */
    if (m->result->accepted == 0) {
        smtp_msg_record(s, s->msg, err, SMTP_STAGE_RCPT, NULL);
    }
    return 0;
}

static void smtp_enter_quit(smtp_session_t *s)
{
    s->phase = SMTP_PH_QUIT;
}

static void smtp_finish(smtp_session_t *s)
{
    s->phase = SMTP_PH_DONE;
    s->timer_on = 0;
    if (s->out != NULL) {
        mbedtls_platform_zeroize(s->out, s->out_len);
    }
    s->out_len = 0;
    smtp_auth_free(&s->auth);
    s->status = (s->fail.error != 0) ? SMTP_SESSION_FAILED : SMTP_SESSION_SUCCESS;
}

/* The current transaction failed: its first failure fails the message. */
static void smtp_msg_fail(smtp_session_t *s, int err, smtp_stage_t stage, const smtp_reply_t *r)
{
    if (s->txn_failed) {
        return;
    }
    s->txn_failed = 1;
    smtp_msg_record(s, s->msg, err, stage, r);
}

/* Message msg failed; the first failure of a message is its evidence. */
static void smtp_msg_record(smtp_session_t *s, size_t msg, int err, smtp_stage_t stage,
                            const smtp_reply_t *r)
{
    smtp_message_result_t *res = s->cfg->messages[msg].result;

    if (res->status == SMTP_MSG_FAILED) {
        return;
    }
    res->status = SMTP_MSG_FAILED;
    smtp_failure_set(&res->fail, err, stage, r);
    if (s->fail.error == 0) {
        s->fail = res->fail;
    }
}

/* The session cannot go on: every unfinished message fails with the same
 * evidence. quit: the connection is still in step, say goodbye. */
static void smtp_session_fail(smtp_session_t *s, int err, smtp_stage_t stage, const smtp_reply_t *r,
                              int quit)
{
    smtp_failure_t f;
    size_t i;

    smtp_failure_set(&f, err, stage, r);
    if (s->fail.error == 0) {
        s->fail = f;
    }
    /* Unfinished: from the message whose final-dot reply is awaited, or
     * the current one; a SENT one among them has a transaction unanswered. */
    for (i = s->dot_pending ? s->dot_msg : s->msg; s->cfg != NULL && i < s->cfg->message_count;
         i++) {
        smtp_message_result_t *res = s->cfg->messages[i].result;

        if (res->status != SMTP_MSG_FAILED) {
            res->status = SMTP_MSG_FAILED;
            res->fail = f;
        }
    }
    if (s->cfg != NULL) {
        s->msg = s->cfg->message_count;
    }
    s->dot_pending = 0;
    if (quit) {
        smtp_enter_quit(s);
    } else {
        smtp_finish(s);
    }
}

static void smtp_failure_set(smtp_failure_t *f, int err, smtp_stage_t stage, const smtp_reply_t *r)
{
    memset(f, 0, sizeof(*f));
    f->error = err;
    f->stage = stage;
    if (r != NULL) {
        smtp_info_set(&f->reply, r);
    }
}

static void smtp_info_set(smtp_reply_info_t *info, const smtp_reply_t *r)
{
    info->code = r->code;
    memcpy(info->enhanced, r->enhanced, sizeof(info->enhanced));
    memcpy(info->text, r->text, sizeof(info->text));
}

/* Fresh parser for the next reply; EHLO lines go to the extension reader. */
static void smtp_reply_reset(smtp_session_t *s)
{
    smtp_reply_init(&s->reply);
    s->reply.line_cb = (s->phase == SMTP_PH_EHLO) ? smtp_ehlo_line : NULL;
    s->reply.line_arg = s;
}

/* One EHLO line after the first: "KEYWORD[ params]" (RFC 5321 4.1.1.1);
 * "AUTH=..." is the pre-standard form some servers still send. */
static void smtp_ehlo_line(void *arg, unsigned index, const char *text, size_t len)
{
    static const struct {
        const char *name;
        unsigned bit;
    } mechs[] = {
        {"PLAIN", SMTP_AUTH_PLAIN},
        {"LOGIN", SMTP_AUTH_LOGIN},
        {"CRAM-MD5", SMTP_AUTH_CRAM_MD5},
        {"SCRAM-SHA-1", SMTP_AUTH_SCRAM_SHA_1},
        {"SCRAM-SHA-256", SMTP_AUTH_SCRAM_SHA_256},
        {"XOAUTH2", SMTP_AUTH_XOAUTH2},
        {"OAUTHBEARER", SMTP_AUTH_OAUTHBEARER},
    };
    smtp_session_t *s = arg;
    smtp_ext_t *e = &s->ext;
    size_t kw = 0;
    size_t p;

    if (index == 0) {
        return; /* the server's name and greeting */
    }
    while (kw < len && text[kw] != ' ' && text[kw] != '=') {
        kw++;
    }
    p = (kw < len) ? kw + 1 : len;
    if (smtp_kw_eq(text, kw, "SIZE")) {
        uint64_t v = 0;

        e->size = 1;
        for (; p < len && text[p] >= '0' && text[p] <= '9'; p++) {
            unsigned d = (unsigned)(text[p] - '0');

            v = (v > (UINT64_MAX - d) / 10) ? UINT64_MAX : v * 10 + d;
        }
        e->size_max = v;
    } else if (smtp_kw_eq(text, kw, "AUTH")) {
        size_t o = strlen(e->auth_offered);

        /* Kept as sent (printable bytes only) so a failure can name it;
         * a second AUTH line (AUTH=...) is appended after a space. */
        if (o > 0 && p < len && o + 1 < sizeof(e->auth_offered)) {
            e->auth_offered[o++] = ' ';
        }
        for (size_t i = p; i < len && o + 1 < sizeof(e->auth_offered); i++) {
            e->auth_offered[o++] = (text[i] > ' ' && text[i] < 0x7f) ? text[i] : ' ';
        }
        e->auth_offered[o] = '\0';
        while (p < len) {
            size_t start = p;
            size_t i;

            while (p < len && text[p] != ' ') {
                p++;
            }
            for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
                if (smtp_kw_eq(text + start, p - start, mechs[i].name)) {
                    e->auth |= mechs[i].bit;
                }
            }
            p++;
        }
    } else if (smtp_kw_eq(text, kw, "PIPELINING")) {
        e->pipelining = 1;
    } else if (smtp_kw_eq(text, kw, "8BITMIME")) {
        e->eightbitmime = 1;
    } else if (smtp_kw_eq(text, kw, "ENHANCEDSTATUSCODES")) {
        e->enhancedstatuscodes = 1;
    } else if (smtp_kw_eq(text, kw, "STARTTLS")) {
        e->starttls = 1;
    } else if (smtp_kw_eq(text, kw, "CHUNKING")) {
        e->chunking = 1;
    } else if (smtp_kw_eq(text, kw, "SMTPUTF8")) {
        e->smtputf8 = 1;
    } else if (smtp_kw_eq(text, kw, "DSN")) {
        e->dsn = 1;
    }
}

/* Case-insensitive p[0..n) == kw (ASCII only, no locale). */
static int smtp_kw_eq(const char *p, size_t n, const char *kw)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char a = p[i];
        char b = kw[i];

        if (b == '\0') {
            return 0;
        }
        if (a >= 'a' && a <= 'z') {
            a = (char)(a - 'a' + 'A');
        }
        if (a != b) {
            return 0;
        }
    }
    return kw[n] == '\0';
}

/* ---- validation ---------------------------------------------------------- */

/* A domain of LDH labels, or an address literal "[...]" of printable bytes. */
static int smtp_domain_check(const char *d, size_t len)
{
    size_t i;
    size_t label = 0;

    if (len == 0 || len > SMTP_DOMAIN_MAX) {
        return SMTP_ERR_BAD_ADDRESS;
    }
    if (d[0] == '[') {
        if (len < 3 || d[len - 1] != ']') {
            return SMTP_ERR_BAD_ADDRESS;
        }
        for (i = 1; i + 1 < len; i++) {
            unsigned char c = (unsigned char)d[i];

            if (c <= ' ' || c >= 0x7f || c == '[' || c == ']' || c == '\\' || c == '<' || c == '>') {
                return SMTP_ERR_BAD_ADDRESS;
            }
        }
        return 0;
    }
    for (i = 0; i <= len; i++) {
        char c = (i < len) ? d[i] : '.';

        if (c == '.') {
            if (label == 0 || label > 63 || d[i - 1] == '-') {
                return SMTP_ERR_BAD_ADDRESS;
            }
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c == '-' && label > 0))) {
            return SMTP_ERR_BAD_ADDRESS;
        }
        label++;
    }
    return 0;
}

/* Every address and the EHLO domain, before any byte can be sent. */
/* Checks the messages' arrays and addresses and clears their results. */
static int smtp_check_messages(smtp_session_t *s)
{
    const smtp_config_t *cfg = s->cfg;

    if (cfg->messages == NULL && cfg->message_count > 0)
        return SMTP_ERR_BAD_ARGS;
    for (size_t i = 0; i < cfg->message_count; i++) {
        const smtp_message_t *m = &cfg->messages[i];

        if (m->rcpts == NULL || m->rcpt_count == 0 || m->read == NULL || m->result == NULL ||
            m->rcpt_results == NULL) {
            snprintf(s->fail.field, sizeof(s->fail.field), "messages[%u]", (unsigned)i);
            return SMTP_ERR_BAD_ARGS;
        }
        memset(m->result, 0, sizeof(*m->result));
        memset(m->rcpt_results, 0, m->rcpt_count * sizeof(*m->rcpt_results));
    }
    return smtp_validate(s);
}

/* TLS mode and credentials, before any byte can be sent. */
static int smtp_check_auth_cfg(smtp_session_t *s)
{
    const smtp_config_t *cfg = s->cfg;
    const char *field = NULL;

    if (cfg->tls != SMTP_TLS_NONE && cfg->tls != SMTP_TLS_STARTTLS && cfg->tls != SMTP_TLS_IMPLICIT) {
        field = "tls";
    } else if (cfg->auth_user == NULL) {
        return 0;
    } else if (smtp_auth_check(cfg->auth_user, cfg->auth_pass, cfg->auth_mech, cfg->auth_nonce,
                               &field) == 0 &&
               (cfg->auth_mech == 0 || cfg->auth_mech == SMTP_AUTH_SCRAM_SHA_256) &&
               cfg->auth_nonce == NULL && cfg->auth_rng == NULL) {
        field = "auth_rng"; /* SCRAM may be chosen: it needs a nonce */
    }
    if (field != NULL) {
        snprintf(s->fail.field, sizeof(s->fail.field), "%s", field);
        return SMTP_ERR_BAD_ARGS;
    }
    return 0;
}

static int smtp_validate(smtp_session_t *s)
{
    const smtp_config_t *cfg = s->cfg;
    size_t i;
    size_t j;

    if (cfg->ehlo_domain == NULL ||
        smtp_domain_check(cfg->ehlo_domain, strnlen(cfg->ehlo_domain, SMTP_DOMAIN_MAX + 1)) != 0) {
        snprintf(s->fail.field, sizeof(s->fail.field), "ehlo_domain");
        return SMTP_ERR_BAD_ADDRESS;
    }
    for (i = 0; i < cfg->message_count; i++) {
        const smtp_message_t *m = &cfg->messages[i];

        if (smtp_address_check(m->from) != 0) {
            snprintf(s->fail.field, sizeof(s->fail.field), "messages[%u].from",
                     (unsigned)i);
            return SMTP_ERR_BAD_ADDRESS;
        }
        for (j = 0; j < m->rcpt_count; j++) {
            if (smtp_address_check(m->rcpts[j]) != 0) {
                snprintf(s->fail.field, sizeof(s->fail.field), "messages[%u].rcpts[%u]",
                         (unsigned)i, (unsigned)j);
                return SMTP_ERR_BAD_ADDRESS;
            }
        }
    }
    return 0;
}
