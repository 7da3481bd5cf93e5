/*
 * Unit tests of the sans-IO ESMTP engine (smtp/smtp_session.c), driven by
 * scripted server transcripts. run_both() plays every transcript twice, each
 * server chunk fed whole and fed one byte at a time, and asserts that the
 * client bytes, results and statistics are identical.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "smtp_session.h"

#define T_MAXMSG 3
#define T_MAXRCPT 5
#define T_MAXEV 16
#define T_CLIENT_MAX 16384
/* Start near the 32-bit wrap so every timeout crosses it. */
#define T0 (UINT32_MAX - 1500u)

typedef struct {
    const char *from;
    const char *rcpts[T_MAXRCPT];
    size_t nrcpt;
    const char *body;
    uint64_t size;   /* 0: strlen(body) */
    long fail_at;    /* read fails once this many bytes were given; 0: never */
    size_t chunk;    /* bytes per read; 0: as many as asked */
    int rewind;      /* 0: no rewind callback; 1: rewinds; -1: rewind fails */
} msg_spec_t;

/* EV_TLS: the transport's TLS handshake succeeded (smtp_session_tls_ready). */
typedef enum { EV_END = 0, EV_FEED, EV_TICK, EV_CLOSE, EV_TLS } ev_kind_t;

typedef struct {
    ev_kind_t kind;
    const char *data;  /* EV_FEED */
    uint32_t ms;       /* EV_TICK: time since start */
} ev_t;

typedef struct {
    const msg_spec_t *spec;
    size_t pos;
    int rewinds;
} body_src_t;

typedef struct {
    int init_rc;
    smtp_status_t status;
    smtp_failure_t fail;
    smtp_stats_t stats;
    smtp_ext_t ext;
    smtp_message_result_t res[T_MAXMSG];
    smtp_rcpt_result_t rr[T_MAXMSG][T_MAXRCPT];
    char client[T_CLIENT_MAX];
    size_t client_len;
    size_t mark[T_MAXEV + 1]; /* client_len after start and after each event */
    int rewinds[T_MAXMSG];
} outcome_t;

static const smtp_timeouts_t t_timeouts = {
    .greeting_ms = 1000,
    .mail_ms = 2000,
    .rcpt_ms = 3000,
    .data_init_ms = 4000,
    .data_block_ms = 5000,
    .data_term_ms = 6000,
    .quit_ms = 7000,
};

/* TLS and AUTH settings of the next run (zero: none), set by run_both_cfg. */
static smtp_config_t t_extra;

static long body_read(void *arg, uint8_t *buf, size_t cap)
{
    body_src_t *b = arg;
    size_t len = strlen(b->spec->body);
    size_t n = len - b->pos;

    if (b->spec->fail_at > 0 && b->pos >= (size_t)b->spec->fail_at) {
        return -1;
    }
    if (n > cap) {
        n = cap;
    }
    if (b->spec->chunk > 0 && n > b->spec->chunk) {
        n = b->spec->chunk;
    }
    memcpy(buf, b->spec->body + b->pos, n);
    b->pos += n;
    return (long)n;
}

static int body_rewind(void *arg)
{
    body_src_t *b = arg;

    b->rewinds++;
    if (b->spec->rewind < 0) {
        return -1;
    }
    b->pos = 0;
    return 0;
}

static void drain(smtp_session_t *s, outcome_t *o)
{
    const uint8_t *p;
    size_t len;

    while ((p = smtp_session_output(s, &len)) != NULL && len > 0) {
        assert_true(o->client_len + len <= sizeof(o->client));
        memcpy(o->client + o->client_len, p, len);
        o->client_len += len;
        assert_int_equal(smtp_session_sent(s, len), 0);
    }
}

static void run_once(const msg_spec_t *specs, size_t nmsg, const ev_t *evs, int bytewise,
                     size_t outcap, outcome_t *o)
{
    static uint8_t outbuf[T_CLIENT_MAX];
    smtp_message_t msgs[T_MAXMSG];
    body_src_t src[T_MAXMSG];
    smtp_config_t cfg;
    smtp_session_t s;
    size_t i;
    size_t e;

    assert_true(nmsg <= T_MAXMSG && outcap <= sizeof(outbuf));
    memset(o, 0, sizeof(*o));
    memset(msgs, 0, sizeof(msgs));
    memset(&cfg, 0, sizeof(cfg));
    for (i = 0; i < nmsg; i++) {
        src[i].spec = &specs[i];
        src[i].pos = 0;
        src[i].rewinds = 0;
        msgs[i].from = specs[i].from;
        msgs[i].rcpts = specs[i].rcpts;
        msgs[i].rcpt_count = specs[i].nrcpt;
        msgs[i].size = specs[i].size ? specs[i].size : strlen(specs[i].body);
        msgs[i].read = body_read;
        msgs[i].read_arg = &src[i];
        msgs[i].rewind = specs[i].rewind ? body_rewind : NULL;
        msgs[i].result = &o->res[i];
        msgs[i].rcpt_results = o->rr[i];
    }
    cfg.ehlo_domain = "client.example.test";
    cfg.timeouts = t_timeouts;
    cfg.messages = msgs;
    cfg.message_count = nmsg;
    cfg.tls = t_extra.tls;
    cfg.auth_user = t_extra.auth_user;
    cfg.auth_pass = t_extra.auth_pass;
    cfg.auth_mech = t_extra.auth_mech;
    cfg.allow_cleartext_auth = t_extra.allow_cleartext_auth;
    cfg.auth_nonce = t_extra.auth_nonce;
    cfg.auth_rng = t_extra.auth_rng;
    cfg.auth_rng_arg = t_extra.auth_rng_arg;
    cfg.rcpt_max = t_extra.rcpt_max;

    o->init_rc = smtp_session_init(&s, &cfg, outbuf, outcap);
    if (o->init_rc == 0) {
        assert_int_equal(smtp_session_start(&s, T0), 0);
    } else {
        assert_int_equal(smtp_session_start(&s, T0), SMTP_ERR_STATE);
    }
    drain(&s, o);
    o->mark[0] = o->client_len;
    for (e = 0; e < T_MAXEV && evs[e].kind != EV_END; e++) {
        const ev_t *ev = &evs[e];

        if (ev->kind == EV_FEED) {
            const uint8_t *d = (const uint8_t *)ev->data;
            size_t len = strlen(ev->data);

            if (bytewise) {
                for (i = 0; i < len; i++) {
                    assert_int_equal(smtp_session_feed(&s, d + i, 1, T0), 0);
                    drain(&s, o);
                }
            } else {
                assert_int_equal(smtp_session_feed(&s, d, len, T0), 0);
            }
        } else if (ev->kind == EV_TICK) {
            assert_int_equal(smtp_session_tick(&s, T0 + ev->ms), 0);
        } else if (ev->kind == EV_TLS) {
            /* The engine asks for TLS and is silent until it is up. */
            assert_int_equal(smtp_session_wants_tls(&s), 1);
            drain(&s, o);
            assert_int_equal(o->client_len, o->mark[e]);
            assert_int_equal(smtp_session_tls_ready(&s, T0), 0);
            assert_int_equal(smtp_session_wants_tls(&s), 0);
        } else {
            assert_int_equal(smtp_session_closed(&s, T0), 0);
        }
        drain(&s, o);
        o->mark[e + 1] = o->client_len;
    }
    o->status = smtp_session_status(&s);
    o->fail = s.fail;
    o->stats = s.stats;
    o->ext = s.ext;
    for (i = 0; i < nmsg; i++) {
        o->rewinds[i] = src[i].rewinds;
    }
    smtp_session_free(&s);
    /* Every byte released by the transport was wiped (credential lines). */
    for (i = 0; i < outcap; i++) {
        assert_int_equal(outbuf[i], 0);
    }
}

static void assert_info_equal(const smtp_reply_info_t *a, const smtp_reply_info_t *b)
{
    assert_int_equal(a->code, b->code);
    assert_string_equal(a->enhanced, b->enhanced);
    assert_string_equal(a->text, b->text);
}

static void assert_fail_equal(const smtp_failure_t *a, const smtp_failure_t *b)
{
    assert_int_equal(a->error, b->error);
    assert_int_equal(a->stage, b->stage);
    assert_string_equal(a->field, b->field);
    assert_info_equal(&a->reply, &b->reply);
}

/* Play the transcript fed whole and fed byte by byte; both must agree.
 * The whole-fed outcome is left in *o. */
static void run_both_cap(const msg_spec_t *specs, size_t nmsg, const ev_t *evs, size_t outcap,
                         outcome_t *o)
{
    static outcome_t b;
    size_t i;
    size_t j;

    run_once(specs, nmsg, evs, 0, outcap, o);
    run_once(specs, nmsg, evs, 1, outcap, &b);
    assert_int_equal(o->init_rc, b.init_rc);
    assert_int_equal(o->status, b.status);
    assert_fail_equal(&o->fail, &b.fail);
    assert_int_equal(o->client_len, b.client_len);
    assert_memory_equal(o->client, b.client, o->client_len);
    assert_memory_equal(o->mark, b.mark, sizeof(o->mark));
    assert_int_equal(o->stats.flights, b.stats.flights);
    assert_int_equal(o->stats.bytes_in, b.stats.bytes_in);
    assert_int_equal(o->stats.bytes_out, b.stats.bytes_out);
    assert_int_equal(o->stats.replies, b.stats.replies);
    assert_int_equal(o->stats.transactions, b.stats.transactions);
    assert_memory_equal(o->rewinds, b.rewinds, sizeof(o->rewinds));
    assert_memory_equal(&o->ext, &b.ext, sizeof(o->ext));
    for (i = 0; i < nmsg; i++) {
        assert_int_equal(o->res[i].status, b.res[i].status);
        assert_int_equal(o->res[i].accepted, b.res[i].accepted);
        assert_fail_equal(&o->res[i].fail, &b.res[i].fail);
        assert_info_equal(&o->res[i].reply, &b.res[i].reply);
        for (j = 0; j < specs[i].nrcpt; j++) {
            assert_int_equal(o->rr[i][j].accepted, b.rr[i][j].accepted);
            assert_info_equal(&o->rr[i][j].reply, &b.rr[i][j].reply);
            assert_int_equal(o->rr[i][j].delivered, b.rr[i][j].delivered);
            assert_int_equal(o->rr[i][j].error, b.rr[i][j].error);
            assert_int_equal(o->rr[i][j].txn, b.rr[i][j].txn);
            /* Delivered only what the server accepted at RCPT. */
            assert_true(!o->rr[i][j].delivered || o->rr[i][j].accepted);
        }
    }
    /* Statistics agree with what was moved. */
    assert_int_equal(o->stats.bytes_out, o->client_len);
}

static void run_both(const msg_spec_t *specs, size_t nmsg, const ev_t *evs, outcome_t *o)
{
    run_both_cap(specs, nmsg, evs, T_CLIENT_MAX, o);
}

static void assert_client(const outcome_t *o, const char *expect)
{
    char got[T_CLIENT_MAX + 1];

    memcpy(got, o->client, o->client_len);
    got[o->client_len] = '\0';
    assert_string_equal(got, expect);
}

#define FEED(str) {EV_FEED, (str), 0}
#define TICK(ms) {EV_TICK, NULL, (ms)}
#define CLOSE {EV_CLOSE, NULL, 0}
#define END {EV_END, NULL, 0}

#define GREETING "220 mx.example.test ESMTP\r\n"
#define EHLO_PIPE "250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"
#define EHLO_PLAIN "250-mx.example.test\r\n250 8BITMIME\r\n"
#define C_EHLO "EHLO client.example.test\r\n"
#define C_MAIL "MAIL FROM:<alice@example.test>\r\n"
#define C_RCPT1 "RCPT TO:<bob@example.test>\r\n"
#define C_RCPT2 "RCPT TO:<carol@example.test>\r\n"
#define BODY "Subject: hi\r\n\r\nHello\r\n"
#define OK_QUEUED "250 2.0.0 Ok: queued as 1234\r\n"
#define BYE "221 2.0.0 Bye\r\n"

static const msg_spec_t one_msg = {
    .from = "alice@example.test",
    .rcpts = {"bob@example.test", "carol@example.test"},
    .nrcpt = 2,
    .body = BODY,
};

/* The non-pipelined success transcript, one server flight per event. */
static const ev_t plain_ok[] = {
    FEED(GREETING), FEED(EHLO_PLAIN), FEED("250 2.1.0 Ok\r\n"), FEED("250 2.1.5 Ok\r\n"),
    FEED("250 2.1.5 Ok\r\n"), FEED("354 End data\r\n"), FEED(OK_QUEUED), FEED(BYE), END,
};

static void test_session_sends_one_message_in_three_flights_with_pipelining(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING),
        FEED(EHLO_PIPE),
        FEED("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data\r\n"),
        FEED(OK_QUEUED BYE),
        END,
    };
    char expect[1024];

    (void)state;
    run_both(&one_msg, 1, evs, &o);
    snprintf(expect, sizeof(expect),
             C_EHLO "MAIL FROM:<alice@example.test> SIZE=%zu\r\n" C_RCPT1 C_RCPT2 "DATA\r\n" BODY
                    ".\r\nQUIT\r\n",
             strlen(BODY));
    assert_client(&o, expect);
    assert_int_equal(o.stats.flights, 3);
    /* The whole envelope answers the EHLO reply: one burst. */
    assert_int_equal(o.mark[2] - o.mark[1], strlen(expect) - strlen(C_EHLO) - strlen(BODY) -
                                                strlen(".\r\nQUIT\r\n"));
    assert_int_equal(o.stats.replies, 8);
    assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
    assert_int_equal(o.fail.error, 0);
    assert_int_equal(o.res[0].status, SMTP_MSG_SENT);
    assert_int_equal(o.res[0].accepted, 2);
    assert_int_equal(o.res[0].reply.code, 250);
    assert_string_equal(o.res[0].reply.enhanced, "2.0.0");
    assert_string_equal(o.res[0].reply.text, "Ok: queued as 1234");
    assert_int_equal(o.rr[0][1].accepted, 1);
    assert_int_equal(o.rr[0][1].reply.code, 250);
    assert_true(o.ext.ehlo && o.ext.pipelining && o.ext.size && o.ext.eightbitmime);
    assert_int_equal(o.ext.size_max, 10240000);
}

static void test_session_sends_one_command_at_a_time_without_pipelining(void **state)
{
    static outcome_t o;

    (void)state;
    run_both(&one_msg, 1, plain_ok, &o);
    assert_client(&o, C_EHLO C_MAIL C_RCPT1 C_RCPT2 "DATA\r\n" BODY ".\r\nQUIT\r\n");
    assert_int_equal(o.stats.flights, 7);
    assert_int_equal(o.mark[2] - o.mark[1], strlen(C_MAIL)); /* MAIL alone */
    assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
    assert_int_equal(o.res[0].status, SMTP_MSG_SENT);
    assert_int_equal(o.stats.bytes_in, strlen(GREETING EHLO_PLAIN "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
                                              "250 2.1.5 Ok\r\n354 End data\r\n" OK_QUEUED BYE));
    assert_int_equal(o.ext.size, 0);
    assert_int_equal(o.ext.pipelining, 0);
}

static void test_session_parses_every_extension_case_insensitively(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING),
        FEED("250-mx Hi\r\n250-pipelining\r\n250-Size\r\n250-8bitmime\r\n250-ENHANCEDSTATUSCODES\r\n"
             "250-STARTTLS\r\n250-AUTH PLAIN login Cram-MD5 SCRAM-SHA-256 XOAUTH2\r\n"
             "250-AUTH=SCRAM-SHA-1\r\n250-CHUNKING\r\n250-SMTPUTF8\r\n250-XUNKNOWN x\r\n250 DSN\r\n"),
        FEED(BYE),
        END,
    };

    (void)state;
    run_both(NULL, 0, evs, &o);
    assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
    assert_client(&o, C_EHLO "QUIT\r\n");
    assert_true(o.ext.ehlo && o.ext.pipelining && o.ext.size && o.ext.eightbitmime);
    assert_int_equal(o.ext.size_max, 0);
    assert_true(o.ext.enhancedstatuscodes && o.ext.starttls && o.ext.chunking && o.ext.smtputf8);
    assert_true(o.ext.dsn);
    assert_int_equal(o.ext.auth, SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN | SMTP_AUTH_CRAM_MD5 |
                                     SMTP_AUTH_SCRAM_SHA_256 | SMTP_AUTH_XOAUTH2 |
                                     SMTP_AUTH_SCRAM_SHA_1);
}

static void test_session_dot_stuffs_the_body_and_ends_it_with_crlf(void **state)
{
    static outcome_t o;
    msg_spec_t m = one_msg;

    (void)state;
    m.rcpts[1] = NULL;
    m.nrcpt = 1;
    m.body = ".hidden\r\nline\r\n..two\r\nmid.dot\r\n.\r\nend";
    m.chunk = 1; /* state must survive every read boundary */
    {
        static const ev_t evs[] = {
            FEED(GREETING), FEED(EHLO_PLAIN), FEED("250 Ok\r\n"), FEED("250 Ok\r\n"),
            FEED("354 go\r\n"), FEED("250 Ok\r\n"), FEED(BYE), END,
        };
        run_both(&m, 1, evs, &o);
    }
    assert_client(&o, C_EHLO C_MAIL C_RCPT1 "DATA\r\n"
                                            "..hidden\r\nline\r\n...two\r\nmid.dot\r\n..\r\nend\r\n"
                                            ".\r\nQUIT\r\n");
    assert_int_equal(o.res[0].status, SMTP_MSG_SENT);
}

static void test_session_turns_bare_cr_and_lf_into_crlf_in_the_body(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PLAIN), FEED("250 Ok\r\n"), FEED("250 Ok\r\n"),
        FEED("354 go\r\n"), FEED("250 Ok\r\n"), FEED(BYE), END,
    };
    msg_spec_t m = one_msg;

    (void)state;
    m.nrcpt = 1;
    m.body = "a\n.\nb\r.c\r\r\nd\r";
    run_both(&m, 1, evs, &o);
    assert_client(&o, C_EHLO C_MAIL C_RCPT1 "DATA\r\n"
                                            "a\r\n..\r\nb\r\n..c\r\n\r\nd\r\n"
                                            ".\r\nQUIT\r\n");
}

static void test_session_sends_an_empty_body_as_a_lone_dot(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PLAIN), FEED("250 Ok\r\n"), FEED("250 Ok\r\n"),
        FEED("354 go\r\n"), FEED("250 Ok\r\n"), FEED(BYE), END,
    };
    msg_spec_t m = one_msg;

    (void)state;
    m.nrcpt = 1;
    m.body = "";
    m.size = 1;
    run_both(&m, 1, evs, &o);
    assert_client(&o, C_EHLO C_MAIL C_RCPT1 "DATA\r\n.\r\nQUIT\r\n");
    assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
}

static void test_session_refuses_a_message_over_the_size_limit_before_mail(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED("250-mx\r\n250 SIZE 10\r\n"), FEED(BYE), END,
    };

    (void)state;
    run_both(&one_msg, 1, evs, &o);
    assert_client(&o, C_EHLO "QUIT\r\n");
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
    assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);
    assert_int_equal(o.res[0].fail.error, SMTP_ERR_TOO_BIG);
    assert_int_equal(o.res[0].fail.stage, SMTP_STAGE_MAIL);
    assert_int_equal(o.fail.error, SMTP_ERR_TOO_BIG);
    assert_int_equal(o.ext.size_max, 10);
}

/* RFC 6531: a UTF-8 local part goes with SMTPUTF8 when the server offers
 * it, and is never sent when it does not. */
static const msg_spec_t utf8_msg = {
    .from = "alice@example.test",
    .rcpts = {"bob@example.test", "\xd0\xb0\xd0\xbd\xd0\xbd\xd0\xb0@example.test"},
    .nrcpt = 2,
    .body = BODY,
};

static void test_session_sends_smtputf8_for_a_utf8_address_when_offered(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED("250-mx\r\n250 SMTPUTF8\r\n"), FEED("250 2.1.0 Ok\r\n"),
        FEED("250 2.1.5 Ok\r\n"), FEED("250 2.1.5 Ok\r\n"), FEED("354 End data\r\n"),
        FEED(OK_QUEUED), FEED(BYE), END,
    };

    (void)state;
    run_both(&utf8_msg, 1, evs, &o);
    assert_client(&o, C_EHLO "MAIL FROM:<alice@example.test> SMTPUTF8\r\n" C_RCPT1
                      "RCPT TO:<\xd0\xb0\xd0\xbd\xd0\xbd\xd0\xb0@example.test>\r\n"
                      "DATA\r\n" BODY ".\r\nQUIT\r\n");
    assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
    assert_int_equal(o.res[0].status, SMTP_MSG_SENT);
}

static void test_session_refuses_a_utf8_address_without_smtputf8_before_mail(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {FEED(GREETING), FEED(EHLO_PLAIN), FEED(BYE), END};

    (void)state;
    run_both(&utf8_msg, 1, evs, &o);
    assert_client(&o, C_EHLO "QUIT\r\n");
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
    assert_int_equal(o.res[0].fail.error, SMTP_ERR_NO_SMTPUTF8);
    assert_int_equal(o.res[0].fail.stage, SMTP_STAGE_MAIL);
    assert_non_null(strstr(smtp_strerror(SMTP_ERR_NO_SMTPUTF8), "SMTPUTF8"));
}

static void test_session_fails_on_greeting_421_without_quit(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {FEED("421 4.3.2 Service not available\r\n"), END};

    (void)state;
    run_both(&one_msg, 1, evs, &o);
    assert_client(&o, "");
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
    assert_int_equal(o.fail.error, SMTP_ERR_REPLY);
    assert_int_equal(o.fail.stage, SMTP_STAGE_GREETING);
    assert_int_equal(o.fail.reply.code, 421);
    assert_string_equal(o.fail.reply.enhanced, "4.3.2");
    assert_string_equal(o.fail.reply.text, "Service not available");
    assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);
    assert_int_equal(o.res[0].fail.reply.code, 421);
}

static void test_session_fails_on_greeting_554_and_says_quit(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {FEED("554 No SMTP service here\r\n"), FEED(BYE), END};

    (void)state;
    run_both(&one_msg, 1, evs, &o);
    assert_client(&o, "QUIT\r\n");
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
    assert_int_equal(o.fail.stage, SMTP_STAGE_GREETING);
    assert_int_equal(o.fail.reply.code, 554);
    assert_string_equal(o.fail.reply.text, "No SMTP service here");
}

static void test_session_falls_back_to_helo_after_ehlo_5xx(void **state)
{
    static const char *const refusals[] = {"500 unknown\r\n", "502 no\r\n", "504 no\r\n",
                                           "550 no\r\n"};
    size_t k;

    (void)state;
    for (k = 0; k < sizeof(refusals) / sizeof(refusals[0]); k++) {
        static outcome_t o;
        const ev_t evs[] = {
            FEED(GREETING), FEED(refusals[k]), FEED("250 mx.example.test\r\n"),
            FEED("250 Ok\r\n"), FEED("250 Ok\r\n"), FEED("250 Ok\r\n"),
            FEED("354 go\r\n"), FEED(OK_QUEUED), FEED(BYE), END,
        };

        run_both(&one_msg, 1, evs, &o);
        assert_client(&o, C_EHLO "HELO client.example.test\r\n" C_MAIL C_RCPT1 C_RCPT2
                              "DATA\r\n" BODY ".\r\nQUIT\r\n");
        assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
        assert_int_equal(o.ext.ehlo, 0);
    }
}

static void test_session_fails_when_helo_is_refused_too(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED("502 no\r\n"), FEED("550 5.7.1 go away\r\n"), FEED(BYE), END,
    };

    (void)state;
    run_both(&one_msg, 1, evs, &o);
    assert_client(&o, C_EHLO "HELO client.example.test\r\nQUIT\r\n");
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
    assert_int_equal(o.fail.stage, SMTP_STAGE_HELO);
    assert_int_equal(o.fail.reply.code, 550);
    assert_string_equal(o.fail.reply.enhanced, "5.7.1");
}

static void test_session_fails_when_ehlo_gets_4xx(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {FEED(GREETING), FEED("451 later\r\n"), FEED(BYE), END};

    (void)state;
    run_both(&one_msg, 1, evs, &o);
    assert_client(&o, C_EHLO "QUIT\r\n");
    assert_int_equal(o.fail.stage, SMTP_STAGE_EHLO);
    assert_int_equal(o.fail.reply.code, 451);
}

static void test_session_fails_the_message_on_mail_4xx_and_5xx(void **state)
{
    static const int codes[] = {451, 550};
    size_t k;

    (void)state;
    for (k = 0; k < 2; k++) {
        static outcome_t o;
        char reply[64];
        const ev_t evs[] = {FEED(GREETING), FEED(EHLO_PLAIN), FEED(reply), FEED(BYE), END};

        snprintf(reply, sizeof(reply), "%d %d.7.1 sender refused\r\n", codes[k], codes[k] / 100);
        run_both(&one_msg, 1, evs, &o);
        assert_client(&o, C_EHLO C_MAIL "QUIT\r\n");
        assert_int_equal(o.status, SMTP_SESSION_FAILED);
        assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);
        assert_int_equal(o.res[0].fail.error, SMTP_ERR_REPLY);
        assert_int_equal(o.res[0].fail.stage, SMTP_STAGE_MAIL);
        assert_int_equal(o.res[0].fail.reply.code, codes[k]);
        assert_string_equal(o.res[0].fail.reply.text, "sender refused");
        assert_int_equal(o.rr[0][0].reply.code, 0); /* never asked */
    }
}

static void test_session_pipelined_mail_5xx_sends_no_content(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING),
        FEED(EHLO_PIPE),
        FEED("550 5.7.1 no\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n503 5.5.1 no\r\n"),
        FEED(BYE),
        END,
    };
    char expect[512];

    (void)state;
    run_both(&one_msg, 1, evs, &o);
    snprintf(expect, sizeof(expect),
             C_EHLO "MAIL FROM:<alice@example.test> SIZE=%zu\r\n" C_RCPT1 C_RCPT2 "DATA\r\nQUIT\r\n",
             strlen(BODY));
    assert_client(&o, expect);
    assert_int_equal(o.res[0].fail.stage, SMTP_STAGE_MAIL);
    assert_int_equal(o.res[0].fail.reply.code, 550);
    /* The 503s answer a transaction that never started: no recipient's result. */
    assert_int_equal(o.rr[0][0].reply.code, 0);
    assert_int_equal(o.rr[0][0].accepted, 0);
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
}

static void test_session_delivers_to_the_rest_when_one_rcpt_is_refused(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING),
        FEED(EHLO_PIPE),
        FEED("250 2.1.0 Ok\r\n550 5.1.1 <bob@example.test>: Recipient address rejected\r\n"
             "250 2.1.5 Ok\r\n354 go\r\n"),
        FEED(OK_QUEUED BYE),
        END,
    };

    (void)state;
    run_both(&one_msg, 1, evs, &o);
    assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
    assert_int_equal(o.res[0].status, SMTP_MSG_SENT);
    assert_int_equal(o.res[0].accepted, 1);
    assert_int_equal(o.rr[0][0].accepted, 0);
    assert_int_equal(o.rr[0][0].reply.code, 550);
    assert_string_equal(o.rr[0][0].reply.enhanced, "5.1.1");
    assert_string_equal(o.rr[0][0].reply.text, "<bob@example.test>: Recipient address rejected");
    assert_int_equal(o.rr[0][1].accepted, 1);
    assert_non_null(strstr(o.client, BODY ".\r\nQUIT\r\n"));
}

static void test_session_sends_no_data_when_every_rcpt_is_refused(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PLAIN), FEED("250 Ok\r\n"), FEED("550 5.1.1 no bob\r\n"),
        FEED("550 5.1.1 no carol\r\n"), FEED(BYE), END,
    };

    (void)state;
    run_both(&one_msg, 1, evs, &o);
    assert_client(&o, C_EHLO C_MAIL C_RCPT1 C_RCPT2 "QUIT\r\n");
    assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);
    assert_int_equal(o.res[0].fail.error, SMTP_ERR_NO_RECIPIENTS);
    assert_int_equal(o.res[0].fail.stage, SMTP_STAGE_RCPT);
    assert_string_equal(o.res[0].fail.reply.text, "no carol");
    assert_int_equal(o.rr[0][0].reply.code, 550);
    assert_int_equal(o.res[0].accepted, 0);
}

static void test_session_pipelined_all_rcpt_refused_and_data_refused(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PIPE),
        FEED("250 Ok\r\n550 no bob\r\n550 no carol\r\n554 5.5.1 No valid recipients\r\n"),
        FEED(BYE), END,
    };

    (void)state;
    run_both(&one_msg, 1, evs, &o);
    assert_null(strstr(o.client, "Hello"));
    assert_true(o.client_len > 6 && memcmp(o.client + o.client_len - 12, "DATA\r\nQUIT\r\n", 12) == 0);
    assert_int_equal(o.res[0].fail.error, SMTP_ERR_NO_RECIPIENTS);
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
}

static void test_session_answers_354_to_a_refused_envelope_with_a_lone_dot(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PIPE),
        FEED("250 Ok\r\n550 no bob\r\n550 no carol\r\n354 go ahead anyway\r\n"),
        FEED("554 5.5.1 no recipients\r\n" BYE), END,
    };

    (void)state;
    run_both(&one_msg, 1, evs, &o);
    assert_null(strstr(o.client, "Hello"));
    assert_true(memcmp(o.client + o.client_len - 15, "DATA\r\n.\r\nQUIT\r\n", 15) == 0);
    assert_int_equal(o.res[0].fail.error, SMTP_ERR_NO_RECIPIENTS);
    assert_int_equal(o.res[0].reply.code, 0); /* the lone dot's reply is not a result */
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
}

static void test_session_fails_the_message_on_data_5xx(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PLAIN), FEED("250 Ok\r\n"), FEED("250 Ok\r\n"),
        FEED("250 Ok\r\n"), FEED("554 5.3.0 no data today\r\n"), FEED(BYE), END,
    };

    (void)state;
    run_both(&one_msg, 1, evs, &o);
    assert_client(&o, C_EHLO C_MAIL C_RCPT1 C_RCPT2 "DATA\r\nQUIT\r\n");
    assert_int_equal(o.res[0].fail.stage, SMTP_STAGE_DATA);
    assert_int_equal(o.res[0].fail.reply.code, 554);
    assert_int_equal(o.res[0].accepted, 2);
}

static void test_session_fails_the_message_on_final_dot_4xx_and_5xx(void **state)
{
    static const char *const replies[] = {"451 4.3.0 try later\r\n", "554 5.6.0 content refused\r\n"};
    size_t k;

    (void)state;
    for (k = 0; k < 2; k++) {
        static outcome_t o;
        const ev_t evs[] = {
            FEED(GREETING), FEED(EHLO_PLAIN), FEED("250 Ok\r\n"), FEED("250 Ok\r\n"),
            FEED("250 Ok\r\n"), FEED("354 go\r\n"), FEED(replies[k]), FEED(BYE), END,
        };

        run_both(&one_msg, 1, evs, &o);
        assert_client(&o, C_EHLO C_MAIL C_RCPT1 C_RCPT2 "DATA\r\n" BODY ".\r\nQUIT\r\n");
        assert_int_equal(o.status, SMTP_SESSION_FAILED);
        assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);
        assert_int_equal(o.res[0].fail.stage, SMTP_STAGE_CONTENT);
        assert_int_equal(o.res[0].fail.reply.code, k == 0 ? 451 : 554);
        assert_int_equal(o.res[0].reply.code, k == 0 ? 451 : 554);
    }
}

/* plain_ok cut after n server events; the stage awaited at that point. */
static const smtp_stage_t stage_after[] = {
    SMTP_STAGE_GREETING, SMTP_STAGE_EHLO, SMTP_STAGE_MAIL, SMTP_STAGE_RCPT,
    SMTP_STAGE_RCPT, SMTP_STAGE_DATA, SMTP_STAGE_CONTENT, SMTP_STAGE_QUIT,
};

static void test_session_disconnect_at_each_stage_fails_with_that_stage(void **state)
{
    size_t n;

    (void)state;
    for (n = 0; n < sizeof(stage_after) / sizeof(stage_after[0]); n++) {
        static outcome_t o;
        ev_t evs[T_MAXEV];

        memcpy(evs, plain_ok, n * sizeof(ev_t));
        evs[n] = (ev_t)CLOSE;
        evs[n + 1] = (ev_t)END;
        run_both(&one_msg, 1, evs, &o);
        if (stage_after[n] == SMTP_STAGE_QUIT) {
            /* The message was accepted: a close while quitting changes nothing. */
            assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
            assert_int_equal(o.res[0].status, SMTP_MSG_SENT);
            continue;
        }
        assert_int_equal(o.status, SMTP_SESSION_FAILED);
        assert_int_equal(o.fail.error, SMTP_ERR_CLOSED);
        assert_int_equal(o.fail.stage, stage_after[n]);
        assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);
        assert_int_equal(o.res[0].fail.error, SMTP_ERR_CLOSED);
        assert_int_equal(o.mark[n + 1], o.mark[n]); /* nothing more sent */
    }
}

static void test_session_disconnect_during_helo_and_before_connect(void **state)
{
    static outcome_t o;
    static const ev_t helo[] = {FEED(GREETING), FEED("502 no\r\n"), CLOSE, END};
    static const ev_t early[] = {CLOSE, END};

    (void)state;
    run_both(&one_msg, 1, helo, &o);
    assert_int_equal(o.fail.error, SMTP_ERR_CLOSED);
    assert_int_equal(o.fail.stage, SMTP_STAGE_HELO);
    run_both(&one_msg, 1, early, &o);
    assert_int_equal(o.fail.stage, SMTP_STAGE_GREETING);
    assert_string_equal(smtp_stage_name(SMTP_STAGE_CONNECT), "connect");
}

static void test_session_timeout_at_each_stage_fails_with_that_stage(void **state)
{
    /* Timeout figure that applies after plain_ok's first n events. */
    static const uint32_t wait[] = {1000, 2000, 2000, 3000, 3000, 4000, 6000, 7000};
    size_t n;

    (void)state;
    for (n = 0; n < sizeof(wait) / sizeof(wait[0]); n++) {
        static outcome_t o;
        ev_t evs[T_MAXEV];

        memcpy(evs, plain_ok, n * sizeof(ev_t));
        evs[n] = (ev_t)TICK(wait[n] - 1);
        evs[n + 1] = (ev_t)END;
        run_both(&one_msg, 1, evs, &o);
        assert_int_equal(o.status, SMTP_SESSION_RUNNING);

        evs[n + 1] = (ev_t)TICK(wait[n]);
        evs[n + 2] = (ev_t)END;
        run_both(&one_msg, 1, evs, &o);
        if (stage_after[n] == SMTP_STAGE_QUIT) {
            assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
            continue;
        }
        assert_int_equal(o.status, SMTP_SESSION_FAILED);
        assert_int_equal(o.fail.error, SMTP_ERR_TIMEOUT);
        assert_int_equal(o.fail.stage, stage_after[n]);
        assert_int_equal(o.res[0].fail.error, SMTP_ERR_TIMEOUT);
    }
}

static void test_session_times_out_when_the_content_is_not_taken(void **state)
{
    static uint8_t out[SMTP_OUTBUF_MIN];
    static const char big_body[] = "0123456789012345678901234567890123456789012345678901234567890\r\n"
                                   "0123456789012345678901234567890123456789012345678901234567890\r\n"
                                   "0123456789012345678901234567890123456789012345678901234567890\r\n"
                                   "0123456789012345678901234567890123456789012345678901234567890\r\n"
                                   "0123456789012345678901234567890123456789012345678901234567890\r\n"
                                   "0123456789012345678901234567890123456789012345678901234567890\r\n"
                                   "0123456789012345678901234567890123456789012345678901234567890\r\n"
                                   "0123456789012345678901234567890123456789012345678901234567890\r\n"
                                   "0123456789012345678901234567890123456789012345678901234567890\r\n";
    msg_spec_t spec = one_msg;
    body_src_t src = {&spec, 0, 0};
    smtp_message_result_t res;
    smtp_rcpt_result_t rr[2];
    smtp_message_t m = {0};
    smtp_config_t cfg = {0};
    smtp_session_t s;
    const char *srv = GREETING EHLO_PLAIN "250 Ok\r\n250 Ok\r\n250 Ok\r\n354 go\r\n";
    const char *p = srv;
    size_t len;

    (void)state;
    spec.body = big_body;
    m.from = spec.from;
    m.rcpts = spec.rcpts;
    m.rcpt_count = 2;
    m.size = sizeof(big_body) - 1;
    m.read = body_read;
    m.read_arg = &src;
    m.result = &res;
    m.rcpt_results = rr;
    cfg.ehlo_domain = "client.example.test";
    cfg.timeouts = t_timeouts;
    cfg.messages = &m;
    cfg.message_count = 1;
    assert_int_equal(smtp_session_init(&s, &cfg, out, sizeof(out)), 0);
    assert_int_equal(smtp_session_start(&s, T0), 0);
    /* One reply at a time, taking all output, until 354. */
    while (*p != '\0') {
        const char *eol = strstr(p, "\r\n") + 2;
        const char *next = (strncmp(p, "250-", 4) == 0) ? strstr(p, "250 ") : p;

        eol = strstr(next, "\r\n") + 2;
        assert_int_equal(smtp_session_feed(&s, (const uint8_t *)p, (size_t)(eol - p), T0), 0);
        p = eol;
        if (*p != '\0') {
            smtp_session_output(&s, &len);
            smtp_session_sent(&s, len);
        }
    }
    /* The content fills the buffer; the transport takes a little, then stalls. */
    assert_non_null(smtp_session_output(&s, &len));
    assert_true(len > sizeof(out) - 4);
    assert_int_equal(smtp_session_sent(&s, 100), 0);
    smtp_session_tick(&s, T0 + 4999);
    assert_int_equal(smtp_session_status(&s), SMTP_SESSION_RUNNING);
    smtp_session_tick(&s, T0 + 5000);
    assert_int_equal(smtp_session_status(&s), SMTP_SESSION_FAILED);
    assert_int_equal(s.fail.error, SMTP_ERR_TIMEOUT);
    assert_int_equal(s.fail.stage, SMTP_STAGE_CONTENT);
    smtp_session_output(&s, &len);
    assert_int_equal(len, 0);
    smtp_session_free(&s);
}

static void test_session_sends_two_messages_with_rset_after_a_failed_one(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PLAIN),
        FEED("250 Ok\r\n"), FEED("550 no bob\r\n"), FEED("550 no carol\r\n"),
        FEED("250 2.0.0 Flushed\r\n"), FEED("250 Ok\r\n"), FEED("250 Ok\r\n"),
        FEED("354 go\r\n"), FEED(OK_QUEUED), FEED(BYE), END,
    };
    msg_spec_t m[2] = {one_msg, one_msg};

    (void)state;
    m[1].rcpts[0] = "dave@example.test";
    m[1].nrcpt = 1;
    run_both(m, 2, evs, &o);
    assert_client(&o, C_EHLO C_MAIL C_RCPT1 C_RCPT2 "RSET\r\n" C_MAIL
                      "RCPT TO:<dave@example.test>\r\nDATA\r\n" BODY ".\r\nQUIT\r\n");
    assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);
    assert_int_equal(o.res[1].status, SMTP_MSG_SENT);
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
    assert_int_equal(o.fail.error, SMTP_ERR_NO_RECIPIENTS);
}

static void test_session_pipelines_two_good_messages_without_rset(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PIPE),
        FEED("250 Ok\r\n250 Ok\r\n250 Ok\r\n354 go\r\n"),
        FEED(OK_QUEUED),
        FEED("250 Ok\r\n250 Ok\r\n250 Ok\r\n354 go\r\n"),
        FEED(OK_QUEUED BYE), END,
    };
    msg_spec_t m[2] = {one_msg, one_msg};

    (void)state;
    run_both(m, 2, evs, &o);
    assert_null(strstr(o.client, "RSET"));
    /* EHLO, envelope, content + next envelope (RFC 2920 3.1), content + QUIT */
    assert_int_equal(o.stats.flights, 4);
    assert_int_equal(o.stats.transactions, 2);
    assert_int_equal(o.res[0].status, SMTP_MSG_SENT);
    assert_int_equal(o.res[1].status, SMTP_MSG_SENT);
    assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
}

static void test_session_pipelines_rset_with_the_next_envelope(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PIPE),
        FEED("550 no\r\n503 no\r\n503 no\r\n503 no\r\n"),
        FEED("250 Ok\r\n250 Ok\r\n250 Ok\r\n250 Ok\r\n354 go\r\n"),
        FEED(OK_QUEUED BYE), END,
    };
    msg_spec_t m[2] = {one_msg, one_msg};

    (void)state;
    run_both(m, 2, evs, &o);
    assert_int_equal(o.mark[3] - o.mark[2] > 0, 1);
    assert_int_equal(memcmp(o.client + o.mark[2], "RSET\r\nMAIL FROM", 15), 0);
    assert_int_equal(o.stats.flights, 4);
    assert_int_equal(o.res[1].status, SMTP_MSG_SENT);
}

static void test_session_refuses_an_address_with_crlf_before_any_output(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {FEED(GREETING), FEED(EHLO_PLAIN), END};
    msg_spec_t m = one_msg;

    (void)state;
    m.rcpts[1] = "carol@example.test>\r\nRCPT TO:<evil@example.test";
    run_both(&m, 1, evs, &o);
    assert_int_equal(o.init_rc, SMTP_ERR_BAD_ADDRESS);
    assert_int_equal(o.client_len, 0);
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
    assert_string_equal(o.fail.field, "messages[0].rcpts[1]");
    assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);

    m = one_msg;
    m.from = "alice\n@example.test";
    run_both(&m, 1, evs, &o);
    assert_string_equal(o.fail.field, "messages[0].from");
    assert_int_equal(o.client_len, 0);
}

static void test_address_check_enforces_shape_and_rfc5321_lengths(void **state)
{
    char buf[300];

    (void)state;
    assert_int_equal(smtp_address_check("a@b"), 0);
    assert_int_equal(smtp_address_check("first.last+tag@mail.example.test"), 0);
    assert_int_equal(smtp_address_check("x@[198.51.100.1]"), 0);
    assert_int_equal(smtp_address_check(NULL), SMTP_ERR_BAD_ADDRESS);
    assert_int_equal(smtp_address_check(""), SMTP_ERR_BAD_ADDRESS);
    assert_int_equal(smtp_address_check("noat"), SMTP_ERR_BAD_ADDRESS);
    assert_int_equal(smtp_address_check("@b"), SMTP_ERR_BAD_ADDRESS);
    assert_int_equal(smtp_address_check("a@"), SMTP_ERR_BAD_ADDRESS);
    assert_int_equal(smtp_address_check("a@@b"), SMTP_ERR_BAD_ADDRESS);
    assert_int_equal(smtp_address_check("a b@c"), SMTP_ERR_BAD_ADDRESS);
    assert_int_equal(smtp_address_check("a<b@c"), SMTP_ERR_BAD_ADDRESS);
    assert_int_equal(smtp_address_check("a@c>"), SMTP_ERR_BAD_ADDRESS);
    assert_int_equal(smtp_address_check("a\r@c"), SMTP_ERR_BAD_ADDRESS);
    assert_int_equal(smtp_address_check("a@c\x7f"), SMTP_ERR_BAD_ADDRESS);
    assert_int_equal(smtp_address_check(".a@c"), SMTP_ERR_BAD_ADDRESS);
    assert_int_equal(smtp_address_check("a..b@c"), SMTP_ERR_BAD_ADDRESS);
    assert_int_equal(smtp_address_check("a@c..d"), SMTP_ERR_BAD_ADDRESS);
    assert_int_equal(smtp_address_check("a@-c.d"), SMTP_ERR_BAD_ADDRESS);

    memset(buf, 'l', 64);
    strcpy(buf + 64, "@example.test");
    assert_int_equal(smtp_address_check(buf), 0);
    memset(buf, 'l', 65);
    strcpy(buf + 65, "@example.test");
    assert_int_equal(smtp_address_check(buf), SMTP_ERR_BAD_ADDRESS);

    /* 254 bytes is the longest address (path 256 with the brackets). */
    memset(buf, 0, sizeof(buf));
    strcpy(buf, "a@");
    while (strlen(buf) + 4 <= 250) {
        strcat(buf, "abc.");
    }
    while (strlen(buf) < 254) {
        strcat(buf, "x");
    }
    assert_int_equal(smtp_address_check(buf), 0);
    strcat(buf, "y");
    assert_int_equal(smtp_address_check(buf), SMTP_ERR_BAD_ADDRESS);
}

static void test_session_fails_without_quit_on_421_at_any_time(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PLAIN), FEED("250 Ok\r\n"),
        FEED("421 4.4.2 shutting down\r\n"), END,
    };

    (void)state;
    run_both(&one_msg, 1, evs, &o);
    assert_client(&o, C_EHLO C_MAIL C_RCPT1);
    assert_int_equal(o.fail.stage, SMTP_STAGE_RCPT);
    assert_int_equal(o.fail.reply.code, 421);
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
}

static void test_session_fails_on_a_malformed_reply(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {FEED(GREETING), FEED("250-mx\r\n251 odd\r\n"), END};

    (void)state;
    run_both(&one_msg, 1, evs, &o);
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
    assert_int_equal(o.fail.error, SMTP_REPLY_ERR_MIXED_CODES);
    assert_int_equal(o.fail.stage, SMTP_STAGE_EHLO);
    assert_string_equal(smtp_strerror(o.fail.error), "mixed codes in a multi-line reply");
}

static void test_session_drops_the_final_dot_when_the_body_cannot_be_read(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PLAIN), FEED("250 Ok\r\n"), FEED("250 Ok\r\n"),
        FEED("250 Ok\r\n"), FEED("354 go\r\n"), END,
    };
    msg_spec_t m = one_msg;

    (void)state;
    m.fail_at = 5;
    m.chunk = 5;
    run_both(&m, 1, evs, &o);
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
    assert_int_equal(o.fail.error, SMTP_ERR_BODY);
    assert_int_equal(o.fail.stage, SMTP_STAGE_CONTENT);
    assert_null(strstr(o.client, "\r\n.\r\n"));
}

static void test_session_rejects_bad_arguments_and_frees_a_zeroed_context(void **state)
{
    static uint8_t out[SMTP_OUTBUF_MIN];
    smtp_config_t cfg = {0};
    smtp_session_t s;
    size_t len = 7;

    (void)state;
    cfg.ehlo_domain = "client.example.test";
    assert_int_equal(smtp_session_init(NULL, &cfg, out, sizeof(out)), SMTP_ERR_BAD_ARGS);
    assert_int_equal(smtp_session_init(&s, NULL, out, sizeof(out)), SMTP_ERR_BAD_ARGS);
    assert_int_equal(smtp_session_init(&s, &cfg, out, sizeof(out) - 1), SMTP_ERR_BAD_ARGS);
    assert_int_equal(smtp_session_status(&s), SMTP_SESSION_FAILED);
    cfg.ehlo_domain = "bad domain";
    assert_int_equal(smtp_session_init(&s, &cfg, out, sizeof(out)), SMTP_ERR_BAD_ADDRESS);
    assert_string_equal(s.fail.field, "ehlo_domain");
    memset(&s, 0, sizeof(s));
    assert_int_equal(smtp_session_feed(&s, (const uint8_t *)"x", 1, 0), SMTP_ERR_STATE);
    smtp_session_output(&s, &len);
    assert_int_equal(len, 0);
    smtp_session_free(&s);
    smtp_session_free(&s);
    smtp_session_free(NULL);
}

static void test_session_keeps_success_when_quit_gets_garbage(void **state)
{
    static outcome_t o;
    ev_t evs[T_MAXEV];

    (void)state;
    memcpy(evs, plain_ok, sizeof(plain_ok));
    evs[7] = (ev_t)FEED("2x1 what\r\n");
    run_both(&one_msg, 1, evs, &o);
    assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
    assert_int_equal(o.fail.error, 0);
}

static void test_session_close_before_start_fails_at_connect(void **state)
{
    static uint8_t out[SMTP_OUTBUF_MIN];
    static const char *const rcpts[] = {"bob@example.test"};
    smtp_message_result_t res;
    smtp_rcpt_result_t rr[1];
    smtp_message_t m = {0};
    smtp_config_t cfg = {0};
    smtp_session_t s;

    (void)state;
    m.from = "alice@example.test";
    m.rcpts = rcpts;
    m.rcpt_count = 1;
    m.read = body_read;
    m.result = &res;
    m.rcpt_results = rr;
    cfg.ehlo_domain = "[198.51.100.7]";
    cfg.messages = &m;
    cfg.message_count = 1;
    assert_int_equal(smtp_session_init(&s, &cfg, out, sizeof(out)), 0);
    assert_int_equal(smtp_session_status(&s), SMTP_SESSION_RUNNING);
    assert_int_equal(smtp_session_closed(&s, 5), 0);
    assert_int_equal(smtp_session_status(&s), SMTP_SESSION_FAILED);
    assert_int_equal(s.fail.error, SMTP_ERR_CLOSED);
    assert_int_equal(s.fail.stage, SMTP_STAGE_CONNECT);
    assert_int_equal(res.status, SMTP_MSG_FAILED);
    assert_int_equal(smtp_session_start(&s, 6), SMTP_ERR_STATE);
    smtp_session_free(&s);
}

/* ---- STARTTLS and AUTH --------------------------------------------------- */

#define TLS {EV_TLS, NULL, 0}
#define EHLO_TLS "250-mx.example.test\r\n250-PIPELINING\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n"
#define EHLO_AUTH "250-mx.example.test\r\n250-AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256\r\n250 8BITMIME\r\n"
#define READY "220 2.0.0 Ready to start TLS\r\n"
#define AUTH_OK "235 2.7.0 Authentication successful\r\n"
#define C_QUIT "QUIT\r\n"
/* RFC 2195 and RFC 7677 section 3 (see tests/unit/smtp_auth). */
#define CRAM_CHAL "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"
#define CRAM_RESP "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"
#define SCRAM_C1 "AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=\r\n"
#define SCRAM_S1                                                                                  \
    "334 cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3" \
    "c29Fc1VFamI2Z1E9PSxpPTQwOTY=\r\n"
#define SCRAM_C2                                                                                  \
    "Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFw" \
    "V0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==\r\n"
#define SCRAM_S2 "334 dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==\r\n"
#define SCRAM_S2_BAD "334 dj03cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==\r\n"

static void run_both_cfg(const msg_spec_t *specs, size_t nmsg, const ev_t *evs,
                         const smtp_config_t *extra, outcome_t *o)
{
    t_extra = *extra;
    run_both(specs, nmsg, evs, o);
    memset(&t_extra, 0, sizeof(t_extra));
}

static int t_contains(const outcome_t *o, const char *needle)
{
    size_t n = strlen(needle);
    size_t i;

    for (i = 0; i + n <= o->client_len; i++) {
        if (memcmp(o->client + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Neither the password "tanstaaftanstaaf" nor any base64 form of it that
 * PLAIN or LOGIN would send crossed the wire. */
static void assert_no_credentials(const outcome_t *o)
{
    assert_false(t_contains(o, "tanstaaftanstaaf"));
    assert_false(t_contains(o, "dGFuc3RhYWZ0YW5zdGFhZg")); /* base64("tanstaaftanstaaf") */
    assert_false(t_contains(o, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm")); /* PLAIN tim */
    assert_false(t_contains(o, "AUTH"));
}

static void test_starttls_upgrades_then_ehlo_again_and_forgets_old_extensions(void **state)
{
    static outcome_t o;
    /* PIPELINING before TLS only: the MAIL after TLS must wait for replies. */
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_TLS), FEED(READY), TLS, FEED(EHLO_PLAIN),
        FEED("250 2.1.0 Ok\r\n"), FEED("250 2.1.5 Ok\r\n"), FEED("250 2.1.5 Ok\r\n"),
        FEED("354 End data\r\n"), FEED(OK_QUEUED), FEED(BYE), END,
    };
    const smtp_config_t extra = {.tls = SMTP_TLS_STARTTLS};

    (void)state;
    run_both_cfg(&one_msg, 1, evs, &extra, &o);
    assert_client(&o, C_EHLO "STARTTLS\r\n" C_EHLO C_MAIL C_RCPT1 C_RCPT2 "DATA\r\n" BODY
                          ".\r\nQUIT\r\n");
    assert_int_equal(o.mark[2] - o.mark[1], strlen("STARTTLS\r\n")); /* alone */
    assert_int_equal(o.mark[3], o.mark[2]);                          /* silent after 220 */
    assert_int_equal(o.mark[4] - o.mark[3], strlen(C_EHLO));         /* EHLO once TLS is up */
    assert_int_equal(o.mark[6] - o.mark[5], strlen(C_RCPT1));        /* not pipelined now */
    assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
    assert_int_equal(o.res[0].status, SMTP_MSG_SENT);
    assert_int_equal(o.ext.pipelining, 0);
    assert_int_equal(o.ext.starttls, 0);
    assert_int_equal(o.ext.auth, 0);
    assert_string_equal(o.ext.auth_offered, "");
    assert_int_equal(o.ext.eightbitmime, 1);
}

static void test_starttls_not_offered_fails_without_any_mail(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {FEED(GREETING), FEED(EHLO_PIPE), FEED(BYE), END};
    const smtp_config_t extra = {.tls = SMTP_TLS_STARTTLS};

    (void)state;
    run_both_cfg(&one_msg, 1, evs, &extra, &o);
    assert_client(&o, C_EHLO C_QUIT);
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
    assert_int_equal(o.fail.error, SMTP_ERR_NO_STARTTLS);
    assert_int_equal(o.fail.stage, SMTP_STAGE_EHLO);
    assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);
    assert_int_equal(o.res[0].fail.error, SMTP_ERR_NO_STARTTLS);
    assert_string_equal(smtp_strerror(SMTP_ERR_NO_STARTTLS), "the server does not offer STARTTLS");
}

static void test_starttls_454_fails_with_the_reply(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_TLS), FEED("454 4.7.0 TLS not available due to local problem\r\n"),
        FEED(BYE), END,
    };
    const smtp_config_t extra = {.tls = SMTP_TLS_STARTTLS};

    (void)state;
    run_both_cfg(&one_msg, 1, evs, &extra, &o);
    assert_client(&o, C_EHLO "STARTTLS\r\n" C_QUIT);
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
    assert_int_equal(o.fail.error, SMTP_ERR_REPLY);
    assert_int_equal(o.fail.stage, SMTP_STAGE_STARTTLS);
    assert_string_equal(smtp_stage_name(o.fail.stage), "starttls");
    assert_int_equal(o.fail.reply.code, 454);
    assert_string_equal(o.fail.reply.enhanced, "4.7.0");
    assert_string_equal(o.fail.reply.text, "TLS not available due to local problem");
}

static void test_starttls_bytes_after_the_220_are_a_protocol_error(void **state)
{
    static outcome_t o;
    /* Same read, then a later read before the handshake. */
    static const ev_t same[] = {
        FEED(GREETING), FEED(EHLO_TLS), FEED(READY "250-injected\r\n"), END,
    };
    static const ev_t later[] = {
        FEED(GREETING), FEED(EHLO_TLS), FEED(READY), FEED("2"), END,
    };
    const smtp_config_t extra = {.tls = SMTP_TLS_STARTTLS};
    const ev_t *cases[] = {same, later};
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        run_both_cfg(&one_msg, 1, cases[i], &extra, &o);
        assert_client(&o, C_EHLO "STARTTLS\r\n");
        assert_int_equal(o.status, SMTP_SESSION_FAILED);
        assert_int_equal(o.fail.error, SMTP_ERR_PROTOCOL);
        assert_int_equal(o.fail.stage, SMTP_STAGE_STARTTLS);
        assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);
    }
}

static void test_tls_ready_out_of_turn_is_refused(void **state)
{
    static uint8_t out[SMTP_OUTBUF_MIN];
    smtp_config_t cfg;
    smtp_session_t s;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    cfg.ehlo_domain = "client.example.test";
    cfg.tls = SMTP_TLS_STARTTLS;
    assert_int_equal(smtp_session_init(&s, &cfg, out, sizeof(out)), 0);
    assert_int_equal(smtp_session_tls_ready(&s, 0), SMTP_ERR_STATE);
    assert_int_equal(smtp_session_start(&s, 0), 0);
    assert_int_equal(smtp_session_wants_tls(&s), 0);
    assert_int_equal(smtp_session_tls_ready(&s, 0), SMTP_ERR_STATE);
    /* Closed during the handshake: stage starttls. */
    assert_int_equal(smtp_session_feed(&s, (const uint8_t *)GREETING, strlen(GREETING), 0), 0);
    assert_int_equal(smtp_session_feed(&s, (const uint8_t *)EHLO_TLS, strlen(EHLO_TLS), 0), 0);
    assert_int_equal(smtp_session_feed(&s, (const uint8_t *)READY, strlen(READY), 0), 0);
    assert_int_equal(smtp_session_wants_tls(&s), 0); /* EHLO and STARTTLS not yet taken */
    {
        size_t len;

        (void)smtp_session_output(&s, &len);
        assert_int_equal(len, strlen(C_EHLO "STARTTLS\r\n"));
        assert_int_equal(smtp_session_sent(&s, len), 0);
    }
    assert_int_equal(smtp_session_wants_tls(&s), 1);
    assert_int_equal(smtp_session_closed(&s, 0), 0);
    assert_int_equal(s.fail.error, SMTP_ERR_CLOSED);
    assert_int_equal(s.fail.stage, SMTP_STAGE_STARTTLS);
    smtp_session_free(&s);
}

typedef struct {
    unsigned forced;
    const char *auth_line;   /* the client's first AUTH line */
    ev_t evs[8];
    const char *client;      /* whole client transcript */
} auth_case_t;

static void test_auth_sends_exact_bytes_for_each_mechanism(void **state)
{
    static outcome_t o;
    static const auth_case_t cases[] = {
        {SMTP_AUTH_PLAIN, NULL,
         {FEED(GREETING), FEED(EHLO_AUTH), FEED(AUTH_OK), FEED(BYE), END},
         C_EHLO "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n" C_QUIT},
        {SMTP_AUTH_LOGIN, NULL,
         {FEED(GREETING), FEED(EHLO_AUTH), FEED("334 VXNlcm5hbWU6\r\n"), FEED("334 UGFzc3dvcmQ6\r\n"),
          FEED(AUTH_OK), FEED(BYE), END},
         C_EHLO "AUTH LOGIN\r\ndGlt\r\ndGFuc3RhYWZ0YW5zdGFhZg==\r\n" C_QUIT},
        {SMTP_AUTH_CRAM_MD5, NULL,
         {FEED(GREETING), FEED(EHLO_AUTH), FEED(CRAM_CHAL), FEED(AUTH_OK), FEED(BYE), END},
         C_EHLO "AUTH CRAM-MD5\r\n" CRAM_RESP C_QUIT},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const smtp_config_t extra = {
            .tls = SMTP_TLS_IMPLICIT,
            .auth_user = "tim",
            .auth_pass = "tanstaaftanstaaf",
            .auth_mech = cases[i].forced,
        };

        run_both_cfg(NULL, 0, cases[i].evs, &extra, &o);
        assert_client(&o, cases[i].client);
        assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
        assert_int_equal(o.fail.error, 0);
    }
}

static void test_auth_scram_sha256_matches_rfc7677_then_sends_mail(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_AUTH), FEED(SCRAM_S1), FEED(SCRAM_S2), FEED(AUTH_OK),
        FEED("250 2.1.0 Ok\r\n"), FEED("250 2.1.5 Ok\r\n"), FEED("250 2.1.5 Ok\r\n"),
        FEED("354 End data\r\n"), FEED(OK_QUEUED), FEED(BYE), END,
    };
    const smtp_config_t extra = {
        .tls = SMTP_TLS_IMPLICIT,
        .auth_user = "user",
        .auth_pass = "pencil",
        .auth_nonce = "rOprNGfwEbeRWgbNEkqO",
    };

    (void)state;
    run_both_cfg(&one_msg, 1, evs, &extra, &o);
    assert_client(&o, C_EHLO SCRAM_C1 SCRAM_C2 "\r\n" C_MAIL C_RCPT1 C_RCPT2 "DATA\r\n" BODY
                          ".\r\nQUIT\r\n");
    assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
    assert_int_equal(o.res[0].status, SMTP_MSG_SENT);
    assert_int_equal(o.ext.auth, SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN | SMTP_AUTH_CRAM_MD5 |
                                     SMTP_AUTH_SCRAM_SHA_256);
}

static void test_auth_scram_with_a_wrong_server_signature_fails_and_cancels(void **state)
{
    static outcome_t o;
    static const ev_t bad_sig[] = {
        FEED(GREETING), FEED(EHLO_AUTH), FEED(SCRAM_S1), FEED(SCRAM_S2_BAD),
        FEED("501 5.7.0 Authentication cancelled\r\n"), FEED(BYE), END,
    };
    /* The server skips its proof and says 235 at once. */
    static const ev_t no_sig[] = {
        FEED(GREETING), FEED(EHLO_AUTH), FEED(SCRAM_S1), FEED(AUTH_OK), FEED(BYE), END,
    };
    const smtp_config_t extra = {
        .tls = SMTP_TLS_IMPLICIT,
        .auth_user = "user",
        .auth_pass = "pencil",
        .auth_nonce = "rOprNGfwEbeRWgbNEkqO",
    };

    (void)state;
    run_both_cfg(&one_msg, 1, bad_sig, &extra, &o);
    assert_client(&o, C_EHLO SCRAM_C1 SCRAM_C2 "*\r\n" C_QUIT);
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
    assert_int_equal(o.fail.error, SMTP_AUTH_ERR_SERVER_PROOF);
    assert_int_equal(o.fail.stage, SMTP_STAGE_AUTH);
    assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);
    assert_string_equal(smtp_strerror(o.fail.error),
                        "the server failed to prove it knows the password");

    run_both_cfg(&one_msg, 1, no_sig, &extra, &o);
    assert_client(&o, C_EHLO SCRAM_C1 SCRAM_C2 C_QUIT);
    assert_int_equal(o.fail.error, SMTP_AUTH_ERR_SERVER_PROOF);
    assert_int_equal(o.fail.stage, SMTP_STAGE_AUTH);
    assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);
}

static void test_auth_535_fails_at_stage_auth_with_the_text(void **state)
{
    static outcome_t o;
    static const ev_t refused[] = {
        FEED(GREETING), FEED(EHLO_AUTH),
        FEED("535 5.7.8 Error: authentication failed: authentication failure\r\n"), FEED(BYE), END,
    };
    static const ev_t temporary[] = {
        FEED(GREETING), FEED(EHLO_AUTH),
        FEED("454 4.7.0 Temporary authentication failure\r\n"), FEED(BYE), END,
    };
    const smtp_config_t extra = {
        .tls = SMTP_TLS_IMPLICIT,
        .auth_user = "tim",
        .auth_pass = "tanstaaftanstaaf",
        .auth_mech = SMTP_AUTH_PLAIN,
    };

    (void)state;
    run_both_cfg(&one_msg, 1, refused, &extra, &o);
    assert_client(&o, C_EHLO "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n" C_QUIT);
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
    assert_int_equal(o.fail.error, SMTP_ERR_AUTH_REFUSED);
    assert_string_equal(smtp_stage_name(o.fail.stage), "auth");
    assert_int_equal(o.fail.reply.code, 535);
    assert_string_equal(o.fail.reply.enhanced, "5.7.8");
    assert_string_equal(o.fail.reply.text, "Error: authentication failed: authentication failure");
    assert_int_equal(o.res[0].fail.error, SMTP_ERR_AUTH_REFUSED);
    assert_string_equal(smtp_strerror(SMTP_ERR_AUTH_REFUSED), "sign-in refused by the gateway");

    run_both_cfg(&one_msg, 1, temporary, &extra, &o);
    assert_int_equal(o.fail.error, SMTP_ERR_REPLY);
    assert_int_equal(o.fail.stage, SMTP_STAGE_AUTH);
    assert_int_equal(o.fail.reply.code, 454);
}

static void test_auth_refuses_to_send_credentials_in_cleartext(void **state)
{
    static outcome_t o;
    static const ev_t plain[] = {FEED(GREETING), FEED(EHLO_AUTH), FEED(BYE), END};
    /* STARTTLS required but not offered: no credentials either. */
    static const ev_t no_tls[] = {FEED(GREETING), FEED(EHLO_AUTH), FEED(BYE), END};
    smtp_config_t extra = {
        .tls = SMTP_TLS_NONE,
        .auth_user = "tim",
        .auth_pass = "tanstaaftanstaaf",
        .auth_mech = SMTP_AUTH_PLAIN,
    };
    unsigned mechs[] = {SMTP_AUTH_PLAIN, SMTP_AUTH_LOGIN, 0};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
        extra.auth_mech = mechs[i];
        extra.auth_nonce = "rOprNGfwEbeRWgbNEkqO";
        run_both_cfg(&one_msg, 1, plain, &extra, &o);
        assert_client(&o, C_EHLO C_QUIT);
        assert_no_credentials(&o);
        assert_int_equal(o.status, SMTP_SESSION_FAILED);
        assert_int_equal(o.fail.error, SMTP_ERR_CLEARTEXT_AUTH);
        assert_int_equal(o.fail.stage, SMTP_STAGE_AUTH);
        assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);
    }
    extra.tls = SMTP_TLS_STARTTLS;
    run_both_cfg(&one_msg, 1, no_tls, &extra, &o);
    assert_client(&o, C_EHLO C_QUIT);
    assert_no_credentials(&o);
    assert_int_equal(o.fail.error, SMTP_ERR_NO_STARTTLS);
}

static void test_auth_in_cleartext_only_when_explicitly_allowed(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {FEED(GREETING), FEED(EHLO_AUTH), FEED(AUTH_OK), FEED(BYE), END};
    const smtp_config_t extra = {
        .auth_user = "tim",
        .auth_pass = "tanstaaftanstaaf",
        .auth_mech = SMTP_AUTH_PLAIN,
        .allow_cleartext_auth = 1,
    };

    (void)state;
    run_both_cfg(NULL, 0, evs, &extra, &o);
    assert_client(&o, C_EHLO "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n" C_QUIT);
    assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
}

static void test_starttls_then_auth_sends_credentials_only_inside_tls(void **state)
{
    static outcome_t o;
    /* AUTH PLAIN is offered before TLS too: it must not be used there. */
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_TLS), FEED(READY), TLS,
        FEED("250-mx.example.test\r\n250-PIPELINING\r\n250 AUTH LOGIN PLAIN CRAM-MD5\r\n"),
        FEED(CRAM_CHAL), FEED(AUTH_OK),
        FEED("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data\r\n"),
        FEED(OK_QUEUED BYE), END,
    };
    const smtp_config_t extra = {
        .tls = SMTP_TLS_STARTTLS,
        .auth_user = "tim",
        .auth_pass = "tanstaaftanstaaf",
        .auth_nonce = "rOprNGfwEbeRWgbNEkqO",
    };

    (void)state;
    run_both_cfg(&one_msg, 1, evs, &extra, &o);
    assert_client(&o, C_EHLO "STARTTLS\r\n" C_EHLO "AUTH CRAM-MD5\r\n" CRAM_RESP C_MAIL C_RCPT1
                          C_RCPT2 "DATA\r\n" BODY ".\r\nQUIT\r\n");
    assert_int_equal(o.mark[3], o.mark[2]);
    assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
    assert_int_equal(o.res[0].status, SMTP_MSG_SENT);
    assert_int_equal(o.ext.auth, SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN | SMTP_AUTH_CRAM_MD5);
    assert_string_equal(o.ext.auth_offered, "LOGIN PLAIN CRAM-MD5");
    /* Five client flights after the greeting with STARTTLS + AUTH. */
    assert_int_equal(o.stats.flights, 7);
}

static void test_auth_selects_the_strongest_mechanism_or_fails_naming_the_offer(void **state)
{
    static outcome_t o;
    static const ev_t login_plain[] = {
        FEED(GREETING), FEED("250-mx\r\n250-AUTH LOGIN\r\n250 AUTH=PLAIN\r\n"), FEED(AUTH_OK),
        FEED(BYE), END,
    };
    static const ev_t unusable[] = {
        FEED(GREETING), FEED("250-mx\r\n250 AUTH XOAUTH2 GSSAPI\r\n"), FEED(BYE), END,
    };
    static const ev_t no_auth[] = {FEED(GREETING), FEED(EHLO_PLAIN), FEED(BYE), END};
    smtp_config_t extra = {
        .tls = SMTP_TLS_IMPLICIT,
        .auth_user = "tim",
        .auth_pass = "tanstaaftanstaaf",
        .auth_nonce = "rOprNGfwEbeRWgbNEkqO",
    };

    (void)state;
    run_both_cfg(NULL, 0, login_plain, &extra, &o);
    assert_client(&o, C_EHLO "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n" C_QUIT);
    assert_string_equal(o.ext.auth_offered, "LOGIN PLAIN");

    run_both_cfg(&one_msg, 1, unusable, &extra, &o);
    assert_client(&o, C_EHLO C_QUIT);
    assert_int_equal(o.fail.error, SMTP_ERR_NO_AUTH_MECH);
    assert_int_equal(o.fail.stage, SMTP_STAGE_AUTH);
    assert_string_equal(o.fail.field, "offered: XOAUTH2 GSSAPI");
    assert_string_equal(o.res[0].fail.field, "offered: XOAUTH2 GSSAPI");

    run_both_cfg(&one_msg, 1, no_auth, &extra, &o);
    assert_int_equal(o.fail.error, SMTP_ERR_NO_AUTH_MECH);
    assert_string_equal(o.fail.field, "offered: none");

    /* Forced CRAM-MD5, server offers LOGIN and PLAIN only: no substitute. */
    extra.auth_mech = SMTP_AUTH_CRAM_MD5;
    run_both_cfg(NULL, 0, login_plain, &extra, &o);
    assert_client(&o, C_EHLO C_QUIT);
    assert_int_equal(o.fail.error, SMTP_ERR_NO_AUTH_MECH);
}

static int t_rng_counting(void *arg, uint8_t *buf, size_t len)
{
    size_t i;

    (void)arg;
    for (i = 0; i < len; i++) {
        buf[i] = (uint8_t)i;
    }
    return 0;
}

static void test_auth_scram_nonce_comes_from_the_rng_when_none_is_fixed(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {FEED(GREETING), FEED(EHLO_AUTH), FEED("535 5.7.8 no\r\n"),
                               FEED(BYE), END};
    const smtp_config_t extra = {
        .tls = SMTP_TLS_IMPLICIT,
        .auth_user = "user",
        .auth_pass = "pencil",
        .auth_rng = t_rng_counting,
    };

    (void)state;
    run_both_cfg(NULL, 0, evs, &extra, &o);
    /* base64("n,,n=user,r=AAECAwQFBgcICQoLDA0ODxAR") */
    assert_client(&o, C_EHLO "AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9QUFFQ0F3UUZCZ2NJQ1FvTERBME9EeEFS\r\n"
                             C_QUIT);
    assert_int_equal(o.fail.error, SMTP_ERR_AUTH_REFUSED);
}

static void test_auth_line_longer_than_the_output_buffer_goes_in_pieces(void **state)
{
    static outcome_t o;
    static char user[SMTP_AUTH_USER_MAX + 1];
    static char pass[SMTP_AUTH_PASS_MAX + 1];
    static const ev_t evs[] = {FEED(GREETING), FEED(EHLO_AUTH), FEED(AUTH_OK), FEED(BYE), END};
    smtp_config_t extra = {
        .tls = SMTP_TLS_IMPLICIT,
        .auth_mech = SMTP_AUTH_PLAIN,
    };
    /* "\0" + 255 'u' + "\0" + 255 'p' is 512 bytes: 684 base64 characters. */
    size_t line = strlen("AUTH PLAIN ") + 684 + 2;

    (void)state;
    memset(user, 'u', SMTP_AUTH_USER_MAX);
    memset(pass, 'p', SMTP_AUTH_PASS_MAX);
    extra.auth_user = user;
    extra.auth_pass = pass;
    t_extra = extra;
    run_both_cap(NULL, 0, evs, SMTP_OUTBUF_MIN, &o);
    memset(&t_extra, 0, sizeof(t_extra));
    assert_true(line > SMTP_OUTBUF_MIN);
    assert_int_equal(o.client_len, strlen(C_EHLO) + line + strlen(C_QUIT));
    assert_memory_equal(o.client + strlen(C_EHLO), "AUTH PLAIN AHV1", 15);
    assert_memory_equal(o.client + strlen(C_EHLO) + line - 2, "\r\n" C_QUIT, 8);
    assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
}

static void test_init_refuses_bad_tls_and_auth_settings(void **state)
{
    static uint8_t out[SMTP_OUTBUF_MIN];
    smtp_config_t cfg;
    smtp_session_t s;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    cfg.ehlo_domain = "client.example.test";
    cfg.auth_user = "tim";
    cfg.auth_pass = "tanstaaftanstaaf";
    /* SCRAM may be chosen but there is no nonce source. */
    assert_int_equal(smtp_session_init(&s, &cfg, out, sizeof(out)), SMTP_ERR_BAD_ARGS);
    assert_string_equal(s.fail.field, "auth_rng");
    cfg.auth_mech = SMTP_AUTH_PLAIN;
    assert_int_equal(smtp_session_init(&s, &cfg, out, sizeof(out)), 0);
    cfg.auth_pass = "pw\r\nMAIL FROM:<x@y>";
    assert_int_equal(smtp_session_init(&s, &cfg, out, sizeof(out)), SMTP_ERR_BAD_ARGS);
    assert_string_equal(s.fail.field, "auth_pass");
    cfg.auth_pass = "pw";
    cfg.auth_mech = SMTP_AUTH_XOAUTH2;
    assert_int_equal(smtp_session_init(&s, &cfg, out, sizeof(out)), SMTP_ERR_BAD_ARGS);
    assert_string_equal(s.fail.field, "auth_mech");
    cfg.auth_mech = 0;
    cfg.auth_nonce = "rOprNGfwEbeRWgbNEkqO";
    cfg.tls = (smtp_tls_mode_t)7;
    assert_int_equal(smtp_session_init(&s, &cfg, out, sizeof(out)), SMTP_ERR_BAD_ARGS);
    assert_string_equal(s.fail.field, "tls");
    smtp_session_free(&s);
}

/* ---- recipient limit: further transactions ------------------------------- */

#define C_MAILS "MAIL FROM:<alice@example.test> SIZE=22\r\n" /* strlen(BODY) == 22 */
#define C_R(n) "RCPT TO:<r" #n "@example.test>\r\n"
#define LIMIT "452 4.5.3 Too many recipients\r\n"
#define OK "250 Ok\r\n"
#define GO "354 go\r\n"

static const msg_spec_t five = {
    .from = "alice@example.test",
    .rcpts = {"r1@example.test", "r2@example.test", "r3@example.test", "r4@example.test",
              "r5@example.test"},
    .nrcpt = 5,
    .body = BODY,
    .rewind = 1,
};

static void assert_rcpt(const outcome_t *o, size_t m, size_t i, int code, int delivered,
                        uint32_t txn)
{
    assert_int_equal(o->rr[m][i].reply.code, code);
    assert_int_equal(o->rr[m][i].accepted, code / 100 == 2);
    assert_int_equal(o->rr[m][i].delivered, delivered);
    assert_int_equal(o->rr[m][i].txn, txn);
}

static void test_rcpt_452_sends_the_rest_in_a_second_transaction_with_the_content_again(
    void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PIPE),
        FEED(OK OK OK LIMIT LIMIT LIMIT GO),
        FEED(OK_QUEUED OK OK OK OK GO),
        FEED(OK_QUEUED BYE), END,
    };
    size_t i;

    (void)state;
    assert_int_equal(strlen(BODY), 22);
    run_both(&five, 1, evs, &o);
    assert_client(&o, C_EHLO C_MAILS C_R(1) C_R(2) C_R(3) C_R(4) C_R(5) "DATA\r\n"
                      BODY ".\r\n" C_MAILS C_R(3) C_R(4) C_R(5) "DATA\r\n"
                      BODY ".\r\nQUIT\r\n");
    /* The content and the second envelope answer the 354: one burst. */
    assert_int_equal(o.mark[3] - o.mark[2],
                     strlen(BODY ".\r\n" C_MAILS C_R(3) C_R(4) C_R(5) "DATA\r\n"));
    assert_int_equal(o.stats.flights, 4);
    assert_int_equal(o.stats.transactions, 2);
    assert_int_equal(o.rewinds[0], 1);
    assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
    assert_int_equal(o.res[0].status, SMTP_MSG_SENT);
    assert_int_equal(o.res[0].accepted, 5);
    for (i = 0; i < 5; i++) {
        assert_rcpt(&o, 0, i, 250, 1, i < 2 ? 1 : 2);
        assert_int_equal(o.rr[0][i].error, 0);
    }
}

static void test_rcpt_max_2_sends_5_recipients_in_3_transactions(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PIPE),
        FEED(OK OK OK GO),
        FEED(OK_QUEUED OK OK OK GO),
        FEED(OK_QUEUED OK OK GO),
        FEED(OK_QUEUED BYE), END,
    };
    const smtp_config_t extra = {.rcpt_max = 2};
    size_t i;

    (void)state;
    run_both_cfg(&five, 1, evs, &extra, &o);
    assert_client(&o, C_EHLO C_MAILS C_R(1) C_R(2) "DATA\r\n"
                      BODY ".\r\n" C_MAILS C_R(3) C_R(4) "DATA\r\n"
                      BODY ".\r\n" C_MAILS C_R(5) "DATA\r\n"
                      BODY ".\r\nQUIT\r\n");
    assert_int_equal(o.stats.transactions, 3);
    assert_int_equal(o.stats.flights, 5);
    assert_int_equal(o.rewinds[0], 2);
    assert_int_equal(o.res[0].status, SMTP_MSG_SENT);
    assert_int_equal(o.res[0].accepted, 5);
    for (i = 0; i < 5; i++) {
        assert_rcpt(&o, 0, i, 250, 1, (uint32_t)(i / 2 + 1));
    }
}

static void test_rcpt_max_without_pipelining_waits_for_the_dot_reply_before_mail(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PLAIN), FEED(OK), FEED(OK), FEED(OK), FEED(GO),
        FEED(OK_QUEUED), FEED(OK), FEED(OK), FEED(GO), FEED(OK_QUEUED), FEED(BYE), END,
    };
    const smtp_config_t extra = {.rcpt_max = 2};
    msg_spec_t m = five;

    (void)state;
    m.nrcpt = 3;
    run_both_cfg(&m, 1, evs, &extra, &o);
    assert_client(&o, C_EHLO "MAIL FROM:<alice@example.test>\r\n" C_R(1) C_R(2) "DATA\r\n"
                      BODY ".\r\nMAIL FROM:<alice@example.test>\r\n" C_R(3) "DATA\r\n"
                      BODY ".\r\nQUIT\r\n");
    assert_int_equal(o.mark[6] - o.mark[5], strlen(BODY ".\r\n")); /* no MAIL yet */
    assert_int_equal(o.mark[7] - o.mark[6], strlen("MAIL FROM:<alice@example.test>\r\n"));
    assert_null(strstr(o.client, "RSET"));
    assert_int_equal(o.stats.transactions, 2);
    assert_int_equal(o.res[0].status, SMTP_MSG_SENT);
    assert_rcpt(&o, 0, 2, 250, 1, 2);
}

static void test_rcpt_550_stays_refused_and_452_is_retried(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PIPE),
        FEED(OK "550 5.1.1 <r1@example.test>: unknown\r\n" OK LIMIT LIMIT LIMIT GO),
        FEED(OK_QUEUED OK OK "550 5.1.1 <r4@example.test>: unknown\r\n" OK GO),
        FEED(OK_QUEUED BYE), END,
    };

    (void)state;
    run_both(&five, 1, evs, &o);
    assert_true(t_contains(&o, BODY ".\r\n" C_MAILS C_R(3) C_R(4) C_R(5) "DATA\r\n"));
    assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
    assert_int_equal(o.res[0].status, SMTP_MSG_SENT);
    assert_int_equal(o.res[0].accepted, 3);
    assert_rcpt(&o, 0, 0, 550, 0, 1);
    assert_string_equal(o.rr[0][0].reply.enhanced, "5.1.1");
    assert_rcpt(&o, 0, 1, 250, 1, 1);
    assert_rcpt(&o, 0, 2, 250, 1, 2);
    assert_rcpt(&o, 0, 3, 550, 0, 2);
    assert_string_equal(o.rr[0][3].reply.text, "<r4@example.test>: unknown");
    assert_rcpt(&o, 0, 4, 250, 1, 2);
    assert_int_equal(o.stats.transactions, 2);
}

static void test_rcpt_452_to_the_first_recipient_fails_without_a_loop(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PIPE),
        FEED(OK LIMIT LIMIT LIMIT LIMIT LIMIT "554 5.5.1 No valid recipients\r\n"),
        FEED(BYE), END,
    };
    size_t i;

    (void)state;
    run_both(&five, 1, evs, &o);
    assert_client(&o, C_EHLO C_MAILS C_R(1) C_R(2) C_R(3) C_R(4) C_R(5) "DATA\r\nQUIT\r\n");
    assert_int_equal(o.stats.transactions, 1);
    assert_int_equal(o.rewinds[0], 0);
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
    assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);
    assert_int_equal(o.res[0].fail.error, SMTP_ERR_NO_RECIPIENTS);
    assert_int_equal(o.res[0].fail.stage, SMTP_STAGE_RCPT);
    assert_int_equal(o.res[0].fail.reply.code, 452);
    assert_string_equal(o.res[0].fail.reply.enhanced, "4.5.3");
    for (i = 0; i < 5; i++) {
        assert_rcpt(&o, 0, i, 452, 0, 1);
    }
}

static void test_rcpt_452_to_the_first_of_a_later_transaction_ends_the_rest_with_it(
    void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PIPE),
        FEED(OK OK OK GO),
        FEED(OK_QUEUED OK LIMIT LIMIT "554 5.5.1 No valid recipients\r\n"),
        FEED(BYE), END,
    };
    const smtp_config_t extra = {.rcpt_max = 2};

    (void)state;
    run_both_cfg(&five, 1, evs, &extra, &o);
    assert_client(&o, C_EHLO C_MAILS C_R(1) C_R(2) "DATA\r\n"
                      BODY ".\r\n" C_MAILS C_R(3) C_R(4) "DATA\r\nQUIT\r\n");
    assert_int_equal(o.stats.transactions, 2);
    assert_int_equal(o.res[0].status, SMTP_MSG_SENT); /* to r1 and r2 */
    assert_int_equal(o.res[0].accepted, 2);
    assert_rcpt(&o, 0, 1, 250, 1, 1);
    assert_rcpt(&o, 0, 2, 452, 0, 2);
    assert_rcpt(&o, 0, 3, 452, 0, 2);
    assert_rcpt(&o, 0, 4, 452, 0, 0); /* never sent: ends with that reply */
    assert_string_equal(o.rr[0][4].reply.text, "Too many recipients");
}

static void test_rcpt_452_without_rewind_fails_the_deferred_recipients_clearly(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PIPE),
        FEED(OK OK OK LIMIT LIMIT LIMIT GO),
        FEED(OK_QUEUED BYE), END,
    };
    static const ev_t capped[] = {
        FEED(GREETING), FEED(EHLO_PIPE), FEED(OK OK OK GO), FEED(OK_QUEUED BYE), END,
    };
    const smtp_config_t extra = {.rcpt_max = 2};
    msg_spec_t m = five;
    size_t i;

    (void)state;
    m.rewind = 0;
    run_both(&m, 1, evs, &o);
    assert_client(&o, C_EHLO C_MAILS C_R(1) C_R(2) C_R(3) C_R(4) C_R(5) "DATA\r\n"
                      BODY ".\r\nQUIT\r\n");
    assert_int_equal(o.stats.transactions, 1);
    assert_int_equal(o.res[0].status, SMTP_MSG_SENT);
    assert_int_equal(o.res[0].accepted, 2);
    for (i = 2; i < 5; i++) {
        assert_rcpt(&o, 0, i, 452, 0, 1);
        assert_int_equal(o.rr[0][i].error, SMTP_ERR_NO_REWIND);
    }
    assert_int_equal(o.rr[0][1].error, 0);
    assert_string_equal(smtp_strerror(SMTP_ERR_NO_REWIND),
                        "recipient limit: the message cannot be sent again");

    /* The administrator's limit: the recipients past it were never sent. */
    run_both_cfg(&m, 1, capped, &extra, &o);
    assert_int_equal(o.stats.transactions, 1);
    assert_rcpt(&o, 0, 2, 0, 0, 0);
    assert_int_equal(o.rr[0][2].error, SMTP_ERR_NO_REWIND);
    assert_int_equal(o.rr[0][4].error, SMTP_ERR_NO_REWIND);

    /* The first batch refused and no rewind: the message reached nobody. */
    {
        static const ev_t refused[] = {
            FEED(GREETING), FEED(EHLO_PIPE), FEED(OK "550 no\r\n550 no\r\n554 no\r\n"),
            FEED(BYE), END,
        };

        run_both_cfg(&m, 1, refused, &extra, &o);
        assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);
        assert_int_equal(o.res[0].fail.error, SMTP_ERR_NO_REWIND);
        assert_int_equal(o.fail.error, SMTP_ERR_NO_REWIND);
        assert_rcpt(&o, 0, 1, 550, 0, 1);
        assert_int_equal(o.rr[0][2].error, SMTP_ERR_NO_REWIND);
        assert_true(memcmp(o.client + o.client_len - 12, "DATA\r\nQUIT\r\n", 12) == 0);
    }
}

static void test_rcpt_452_with_a_failing_rewind_fails_the_deferred_recipients(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PIPE),
        FEED(OK OK OK LIMIT LIMIT LIMIT GO),
        FEED(OK_QUEUED BYE), END,
    };
    msg_spec_t m = five;

    (void)state;
    m.rewind = -1;
    run_both(&m, 1, evs, &o);
    assert_int_equal(o.rewinds[0], 1);
    assert_int_equal(o.stats.transactions, 1);
    assert_int_equal(o.rr[0][3].error, SMTP_ERR_BODY);
    assert_int_equal(o.res[0].status, SMTP_MSG_SENT);
    assert_true(memcmp(o.client + o.client_len - 9, ".\r\nQUIT\r\n", 9) == 0);
}

static void test_rcpt_retry_delivers_even_when_the_first_content_is_refused(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PIPE),
        FEED(OK OK OK LIMIT LIMIT LIMIT GO),
        FEED("554 5.6.0 content refused\r\n" OK OK OK OK GO),
        FEED(OK_QUEUED BYE), END,
    };
    size_t i;

    (void)state;
    run_both(&five, 1, evs, &o);
    /* The message failed (first failure kept); who got it is per recipient. */
    assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);
    assert_int_equal(o.res[0].fail.stage, SMTP_STAGE_CONTENT);
    assert_int_equal(o.res[0].fail.reply.code, 554);
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
    for (i = 0; i < 5; i++) {
        assert_rcpt(&o, 0, i, 250, i >= 2, i < 2 ? 1 : 2);
    }
}

/* Issue 5: three e-mails to five recipients in at most 5 client flights.
 * Counted: every burst of client output between two server replies; EHLO is
 * the first (the greeting is the server's). EHLO; MAIL+RCPT*5+DATA;
 * content1+MAIL+RCPT*5+DATA; content2+MAIL+RCPT*5+DATA; content3+QUIT. */
static void test_three_messages_to_five_recipients_take_five_flights(void **state)
{
    static outcome_t o;
#define ENV5 OK OK OK OK OK OK GO
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PIPE), FEED(ENV5),
        FEED(OK_QUEUED ENV5), FEED(OK_QUEUED ENV5), FEED(OK_QUEUED BYE), END,
    };
#undef ENV5
    const msg_spec_t m[3] = {five, five, five};
    size_t k;
    size_t i;

    (void)state;
    run_both(m, 3, evs, &o);
    assert_int_equal(o.stats.flights, 5);
    assert_int_equal(o.stats.transactions, 3);
    assert_int_equal(o.status, SMTP_SESSION_SUCCESS);
    /* Each 354 is answered by the content and the next envelope at once. */
    for (k = 2; k < 5; k++) {
        assert_true(o.mark[k + 1] > o.mark[k]);
        assert_int_equal(memcmp(o.client + o.mark[k], BODY ".\r\n", strlen(BODY ".\r\n")), 0);
    }
    for (k = 0; k < 3; k++) {
        assert_int_equal(o.res[k].status, SMTP_MSG_SENT);
        for (i = 0; i < 5; i++) {
            assert_rcpt(&o, k, i, 250, 1, (uint32_t)(k + 1));
        }
    }
}

static void test_close_with_a_final_dot_unanswered_fails_both_messages(void **state)
{
    static outcome_t o;
    static const ev_t evs[] = {
        FEED(GREETING), FEED(EHLO_PIPE), FEED(OK OK OK GO), CLOSE, END,
    };
    static const ev_t late[] = {
        FEED(GREETING), FEED(EHLO_PIPE), FEED(OK OK OK GO), TICK(6000), END,
    };
    msg_spec_t m[2] = {one_msg, one_msg};

    (void)state;
    run_both(m, 2, evs, &o);
    assert_true(t_contains(&o, BODY ".\r\n" C_MAILS));
    assert_int_equal(o.status, SMTP_SESSION_FAILED);
    assert_int_equal(o.fail.error, SMTP_ERR_CLOSED);
    assert_int_equal(o.fail.stage, SMTP_STAGE_CONTENT);
    assert_int_equal(o.res[0].status, SMTP_MSG_FAILED);
    assert_int_equal(o.res[1].status, SMTP_MSG_FAILED);
    assert_int_equal(o.rr[0][0].delivered, 0);

    /* Waiting for the dot's reply uses the DATA-termination figure. */
    run_both(m, 2, late, &o);
    assert_int_equal(o.fail.error, SMTP_ERR_TIMEOUT);
    assert_int_equal(o.fail.stage, SMTP_STAGE_CONTENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_sends_one_message_in_three_flights_with_pipelining),
        cmocka_unit_test(test_session_sends_one_command_at_a_time_without_pipelining),
        cmocka_unit_test(test_session_parses_every_extension_case_insensitively),
        cmocka_unit_test(test_session_dot_stuffs_the_body_and_ends_it_with_crlf),
        cmocka_unit_test(test_session_turns_bare_cr_and_lf_into_crlf_in_the_body),
        cmocka_unit_test(test_session_sends_an_empty_body_as_a_lone_dot),
        cmocka_unit_test(test_session_refuses_a_message_over_the_size_limit_before_mail),
        cmocka_unit_test(test_session_sends_smtputf8_for_a_utf8_address_when_offered),
        cmocka_unit_test(test_session_refuses_a_utf8_address_without_smtputf8_before_mail),
        cmocka_unit_test(test_session_fails_on_greeting_421_without_quit),
        cmocka_unit_test(test_session_fails_on_greeting_554_and_says_quit),
        cmocka_unit_test(test_session_falls_back_to_helo_after_ehlo_5xx),
        cmocka_unit_test(test_session_fails_when_helo_is_refused_too),
        cmocka_unit_test(test_session_fails_when_ehlo_gets_4xx),
        cmocka_unit_test(test_session_fails_the_message_on_mail_4xx_and_5xx),
        cmocka_unit_test(test_session_pipelined_mail_5xx_sends_no_content),
        cmocka_unit_test(test_session_delivers_to_the_rest_when_one_rcpt_is_refused),
        cmocka_unit_test(test_session_sends_no_data_when_every_rcpt_is_refused),
        cmocka_unit_test(test_session_pipelined_all_rcpt_refused_and_data_refused),
        cmocka_unit_test(test_session_answers_354_to_a_refused_envelope_with_a_lone_dot),
        cmocka_unit_test(test_session_fails_the_message_on_data_5xx),
        cmocka_unit_test(test_session_fails_the_message_on_final_dot_4xx_and_5xx),
        cmocka_unit_test(test_session_disconnect_at_each_stage_fails_with_that_stage),
        cmocka_unit_test(test_session_disconnect_during_helo_and_before_connect),
        cmocka_unit_test(test_session_timeout_at_each_stage_fails_with_that_stage),
        cmocka_unit_test(test_session_times_out_when_the_content_is_not_taken),
        cmocka_unit_test(test_session_sends_two_messages_with_rset_after_a_failed_one),
        cmocka_unit_test(test_session_pipelines_two_good_messages_without_rset),
        cmocka_unit_test(test_session_pipelines_rset_with_the_next_envelope),
        cmocka_unit_test(test_session_refuses_an_address_with_crlf_before_any_output),
        cmocka_unit_test(test_address_check_enforces_shape_and_rfc5321_lengths),
        cmocka_unit_test(test_session_fails_without_quit_on_421_at_any_time),
        cmocka_unit_test(test_session_fails_on_a_malformed_reply),
        cmocka_unit_test(test_session_drops_the_final_dot_when_the_body_cannot_be_read),
        cmocka_unit_test(test_session_rejects_bad_arguments_and_frees_a_zeroed_context),
        cmocka_unit_test(test_session_keeps_success_when_quit_gets_garbage),
        cmocka_unit_test(test_session_close_before_start_fails_at_connect),
        cmocka_unit_test(test_starttls_upgrades_then_ehlo_again_and_forgets_old_extensions),
        cmocka_unit_test(test_starttls_not_offered_fails_without_any_mail),
        cmocka_unit_test(test_starttls_454_fails_with_the_reply),
        cmocka_unit_test(test_starttls_bytes_after_the_220_are_a_protocol_error),
        cmocka_unit_test(test_tls_ready_out_of_turn_is_refused),
        cmocka_unit_test(test_auth_sends_exact_bytes_for_each_mechanism),
        cmocka_unit_test(test_auth_scram_sha256_matches_rfc7677_then_sends_mail),
        cmocka_unit_test(test_auth_scram_with_a_wrong_server_signature_fails_and_cancels),
        cmocka_unit_test(test_auth_535_fails_at_stage_auth_with_the_text),
        cmocka_unit_test(test_auth_refuses_to_send_credentials_in_cleartext),
        cmocka_unit_test(test_auth_in_cleartext_only_when_explicitly_allowed),
        cmocka_unit_test(test_starttls_then_auth_sends_credentials_only_inside_tls),
        cmocka_unit_test(test_auth_selects_the_strongest_mechanism_or_fails_naming_the_offer),
        cmocka_unit_test(test_auth_scram_nonce_comes_from_the_rng_when_none_is_fixed),
        cmocka_unit_test(test_auth_line_longer_than_the_output_buffer_goes_in_pieces),
        cmocka_unit_test(test_init_refuses_bad_tls_and_auth_settings),
        cmocka_unit_test(test_rcpt_452_sends_the_rest_in_a_second_transaction_with_the_content_again),
        cmocka_unit_test(test_rcpt_max_2_sends_5_recipients_in_3_transactions),
        cmocka_unit_test(test_rcpt_max_without_pipelining_waits_for_the_dot_reply_before_mail),
        cmocka_unit_test(test_rcpt_550_stays_refused_and_452_is_retried),
        cmocka_unit_test(test_rcpt_452_to_the_first_recipient_fails_without_a_loop),
        cmocka_unit_test(test_rcpt_452_to_the_first_of_a_later_transaction_ends_the_rest_with_it),
        cmocka_unit_test(test_rcpt_452_without_rewind_fails_the_deferred_recipients_clearly),
        cmocka_unit_test(test_rcpt_452_with_a_failing_rewind_fails_the_deferred_recipients),
        cmocka_unit_test(test_rcpt_retry_delivers_even_when_the_first_content_is_refused),
        cmocka_unit_test(test_three_messages_to_five_recipients_take_five_flights),
        cmocka_unit_test(test_close_with_a_final_dot_unanswered_fails_both_messages),
    };

    return cmocka_run_group_tests_name("smtp_session", tests, NULL, NULL);
}
