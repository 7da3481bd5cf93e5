/*
 * libFuzzer target: the ESMTP engine fed arbitrary server bytes after start.
 * Build and run (from the project root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ismtp/include \
 *     tests/fuzz/fuzz_smtp_session.c smtp/smtp_session.c smtp/smtp_reply.c \
 *     smtp/smtp_auth.c -lmbedcrypto \
 *     -o build/fuzz_smtp_session && ./build/fuzz_smtp_session -max_total_time=60
 *
 * Input layout: byte 0 = feed chunk size, byte 1 = how much output the
 * "transport" takes each time, byte 2 = tick/close controls and the TLS/AUTH
 * settings (bits 2-3: none, STARTTLS + AUTH automatic, implicit TLS + AUTH
 * forced by bits 4-5, cleartext AUTH allowed); the rest is what the server
 * says; bit 6 sets rcpt_max = 1, bit 7 drops message 0's rewind callback
 * (so 452s and the limit make further transactions, or fail recipients).
 * Whenever the engine wants TLS, the "transport" says it is up.
 * Invariant checked: no AUTH command leaves before the channel is secure
 * unless cleartext AUTH was allowed; no more transactions than recipients;
 * a recipient delivered only if accepted. The output buffer is the smallest allowed, so partial
 * writes and a full buffer are exercised.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_session.h"

typedef struct {
    const char *text;
    size_t pos;
} fuzz_body_t;

static long fuzz_read(void *arg, uint8_t *buf, size_t cap)
{
    fuzz_body_t *b = arg;
    size_t n = strlen(b->text) - b->pos;

    if (n > cap) {
        n = cap;
    }
    memcpy(buf, b->text + b->pos, n);
    b->pos += n;
    return (long)n;
}

static int fuzz_rewind(void *arg)
{
    ((fuzz_body_t *)arg)->pos = 0;
    return 0;
}

static void fuzz_drain(smtp_session_t *s, size_t take, int *secure)
{
    const uint8_t *p;
    size_t len;
    int rounds = 0;

    while ((p = smtp_session_output(s, &len)) != NULL && len > 0 && rounds++ < 64) {
        size_t n = (take == 0 || take > len) ? len : take;

        if (len > SMTP_OUTBUF_MIN) {
            abort();
        }
        if (!*secure && memmem(p, n, "AUTH", 4) != NULL) {
            abort(); /* credentials before TLS */
        }
        if (smtp_session_sent(s, n) != 0) {
            abort();
        }
    }
    if (smtp_session_wants_tls(s)) {
        if (smtp_session_tls_ready(s, 0) != 0) {
            abort();
        }
        *secure = 1;
        fuzz_drain(s, take, secure);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const rcpts[] = {"bob@example.test", "carol@example.test",
                                        "dave@example.test"};
    static uint8_t out[SMTP_OUTBUF_MIN];
    fuzz_body_t body[2] = {
        {"Subject: a\r\n\r\n.dot\r\nline\nbare\rcr\r\n", 0},
        {"x", 0},
    };
    smtp_message_result_t res[2];
    smtp_rcpt_result_t rr[2][3];
    smtp_message_t msgs[2];
    smtp_config_t cfg;
    smtp_session_t s;
    uint32_t now = UINT32_MAX - 100u;
    size_t chunk;
    size_t take;
    uint8_t ctl;
    int secure;
    size_t i;

    if (size < 3) {
        return 0;
    }
    chunk = (size_t)(data[0] % 64) + 1;
    take = data[1] % 40;
    ctl = data[2];
    data += 3;
    size -= 3;

    memset(msgs, 0, sizeof(msgs));
    for (i = 0; i < 2; i++) {
        msgs[i].from = "alice@example.test";
        msgs[i].rcpts = rcpts;
        msgs[i].rcpt_count = 3 - 2 * i;
        msgs[i].size = (i == 0) ? 5000 : 1;
        msgs[i].read = fuzz_read;
        msgs[i].read_arg = &body[i];
        msgs[i].result = &res[i];
        msgs[i].rcpt_results = rr[i];
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.ehlo_domain = "client.example.test";
    cfg.messages = msgs;
    cfg.message_count = 2;
    cfg.rcpt_max = (ctl & 0x40) ? 1 : 0;
    msgs[0].rewind = (ctl & 0x80) ? NULL : fuzz_rewind;
    switch ((ctl >> 2) & 3) {
    case 1:
        cfg.tls = SMTP_TLS_STARTTLS;
        break;
    case 2:
        cfg.tls = SMTP_TLS_IMPLICIT;
        cfg.auth_mech =
            (unsigned[]){0, SMTP_AUTH_PLAIN, SMTP_AUTH_LOGIN, SMTP_AUTH_CRAM_MD5}[(ctl >> 4) & 3];
        break;
    case 3:
        cfg.allow_cleartext_auth = 1;
        break;
    default:
        break;
    }
    if ((ctl >> 2) & 3) {
        cfg.auth_user = "user";
        cfg.auth_pass = "pencil";
        cfg.auth_nonce = "rOprNGfwEbeRWgbNEkqO";
    }
    /* What the no-credentials-before-TLS invariant may assume. */
    secure = (cfg.tls == SMTP_TLS_IMPLICIT || cfg.allow_cleartext_auth);
    if (smtp_session_init(&s, &cfg, out, sizeof(out)) != 0 || smtp_session_start(&s, now) != 0) {
        abort();
    }
    fuzz_drain(&s, take, &secure);
    for (i = 0; i < size; i += chunk) {
        size_t n = (size - i < chunk) ? size - i : chunk;

        smtp_session_feed(&s, data + i, n, now);
        fuzz_drain(&s, take, &secure);
        if (ctl & 1) {
            now += 61u * 1000u;
            smtp_session_tick(&s, now);
        }
    }
    if (ctl & 2) {
        smtp_session_closed(&s, now);
    }
    smtp_session_tick(&s, now + 3600u * 1000u);
    fuzz_drain(&s, 0, &secure);
    if (!smtp_session_done(&s)) {
        abort(); /* an hour later everything has timed out */
    }
    for (i = 0; i < 2; i++) {
        if (res[i].status == SMTP_MSG_PENDING ||
            (res[i].status == SMTP_MSG_SENT) != (res[i].fail.error == 0)) {
            abort();
        }
    }
    if (s.stats.transactions > 4) {
        abort(); /* 3 + 1 recipients: a transaction each at most */
    }
    for (i = 0; i < 3; i++) {
        if ((rr[0][i].delivered && !rr[0][i].accepted) || (i < 1 && rr[1][i].delivered &&
                                                           !rr[1][i].accepted)) {
            abort();
        }
    }
    if ((smtp_session_status(&s) == SMTP_SESSION_SUCCESS) !=
        (res[0].status == SMTP_MSG_SENT && res[1].status == SMTP_MSG_SENT)) {
        abort();
    }
    smtp_session_free(&s);
    return 0;
}
