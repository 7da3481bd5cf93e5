/*
 * Unit tests of the autocomplete engine (addrbook/ldap_complete.c) over the
 * real LDAP client engine; the "server" is PDUs built here and fed in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <mbedtls/asn1write.h>

#include "ldap_complete.h"

typedef struct {
    ldap_client_t c;
    ldap_config_t cfg;
    ldap_complete_t ac;
    ldap_complete_config_t acfg;
    uint8_t out[LDAP_OUTBUF_MIN];
    unsigned requests;    /* search requests seen in the output */
    unsigned abandons;    /* abandon requests seen */
    int last_id;
} fx_t;

static void on_event(void *arg, const ldap_event_t *ev)
{
    ldap_complete_event(arg, ev);
}

/* Take the output, counting search (0x63) and abandon (0x50) requests. */
static void drain(fx_t *f)
{
    size_t len;
    const uint8_t *p = ldap_client_output(&f->c, &len);
    size_t i = 0;

    while (i + 2 < len) {
        size_t hdr = (p[i + 1] & 0x80) ? 2 + (p[i + 1] & 0x7F) : 2;
        size_t body = 0;
        size_t k;

        for (k = 0; hdr > 2 && k < hdr - 2; k++) {
            body = (body << 8) | p[i + 2 + k];
        }
        if (hdr == 2) {
            body = p[i + 1];
        }
        /* 02 01 id, then the op tag */
        f->last_id = p[i + hdr + 2];
        if (p[i + hdr + 3] == 0x63) {
            f->requests++;
        } else if (p[i + hdr + 3] == 0x50) {
            f->abandons++;
        }
        i += hdr + body;
    }
    assert_int_equal(ldap_client_sent(&f->c, len), 0);
}

static void fx_init(fx_t *f, uint32_t max)
{
    memset(f, 0, sizeof(*f));
    f->cfg.event = on_event;
    f->cfg.event_arg = &f->ac;
    f->cfg.secure = 1;
    f->acfg.base_dn = "dc=example,dc=test";
    f->acfg.max_results = max;
    f->acfg.debounce_ms = 150;
    assert_int_equal(ldap_client_init(&f->c, &f->cfg, f->out, sizeof f->out), 0);
    assert_int_equal(ldap_client_start(&f->c, 0), 0);
    assert_int_equal(ldap_complete_init(&f->ac, &f->acfg, &f->c), 0);
}

static void feed_pdu(fx_t *f, const unsigned char *p, size_t n, uint32_t now)
{
    assert_int_equal(ldap_client_feed(&f->c, p, n, now), 0);
}

static void entry(fx_t *f, int id, const char *name, const char *mail)
{
    unsigned char buf[512];
    unsigned char *p = buf + sizeof buf;
    size_t one;
    size_t attrs = 0;
    size_t len;

    one = (size_t)mbedtls_asn1_write_octet_string(&p, buf, (const unsigned char *)mail, strlen(mail));
    one += (size_t)mbedtls_asn1_write_len(&p, buf, one);
    one += (size_t)mbedtls_asn1_write_tag(&p, buf, 0x31);
    one += (size_t)mbedtls_asn1_write_octet_string(&p, buf, (const unsigned char *)"mail", 4);
    one += (size_t)mbedtls_asn1_write_len(&p, buf, one);
    one += (size_t)mbedtls_asn1_write_tag(&p, buf, 0x30);
    attrs += one;
    one = (size_t)mbedtls_asn1_write_octet_string(&p, buf, (const unsigned char *)name, strlen(name));
    one += (size_t)mbedtls_asn1_write_len(&p, buf, one);
    one += (size_t)mbedtls_asn1_write_tag(&p, buf, 0x31);
    one += (size_t)mbedtls_asn1_write_octet_string(&p, buf, (const unsigned char *)"displayName", 11);
    one += (size_t)mbedtls_asn1_write_len(&p, buf, one);
    one += (size_t)mbedtls_asn1_write_tag(&p, buf, 0x30);
    attrs += one;
    len = attrs + (size_t)mbedtls_asn1_write_len(&p, buf, attrs);
    len += (size_t)mbedtls_asn1_write_tag(&p, buf, 0x30);
    len += (size_t)mbedtls_asn1_write_octet_string(&p, buf, (const unsigned char *)"cn=x", 4);
    len += (size_t)mbedtls_asn1_write_len(&p, buf, len);
    len += (size_t)mbedtls_asn1_write_tag(&p, buf, 0x64);
    len += (size_t)mbedtls_asn1_write_int(&p, buf, id);
    len += (size_t)mbedtls_asn1_write_len(&p, buf, len);
    len += (size_t)mbedtls_asn1_write_tag(&p, buf, 0x30);
    feed_pdu(f, p, len, 0);
}

static void done(fx_t *f, int id, int rc)
{
    unsigned char pdu[] = {0x30, 0x0c, 0x02, 0x01, (unsigned char)id, 0x65, 0x07,
                           0x0a, 0x01, (unsigned char)rc, 0x04, 0x00, 0x04, 0x00};

    feed_pdu(f, pdu, sizeof pdu, 0);
}

static void type(fx_t *f, const char *text, uint32_t now)
{
    assert_int_equal(ldap_complete_input(&f->ac, text, strlen(text), now), 0);
    assert_int_equal(ldap_complete_tick(&f->ac, now), 0);
    drain(f);
}

static void test_search_starts_after_the_debounce_only(void **state)
{
    fx_t f;
    size_t n;
    const ldap_suggestion_t *r;

    (void)state;
    fx_init(&f, 5);
    type(&f, "a", 0);
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_WAITING);
    type(&f, "an", 100);
    ldap_complete_tick(&f.ac, 249);
    drain(&f);
    assert_int_equal(f.requests, 0);
    ldap_complete_tick(&f.ac, 250);
    drain(&f);
    assert_int_equal(f.requests, 1);
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_SEARCHING);
    entry(&f, f.last_id, "Ann Lee", "ann.lee@example.test");
    entry(&f, f.last_id, "Ann Lee (dup)", "Ann.Lee@example.test");
    entry(&f, f.last_id, "Nameless", "");
    r = ldap_complete_results(&f.ac, &n);
    assert_int_equal(n, 1); /* shown while the search runs; duplicate mail kept once */
    done(&f, f.last_id, 0);
    r = ldap_complete_results(&f.ac, &n);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].name, "Ann Lee");
    assert_string_equal(r[0].mail, "ann.lee@example.test");
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_DONE);
}

static void test_a_new_key_abandons_the_search_in_flight(void **state)
{
    fx_t f;
    int old;
    size_t n;

    (void)state;
    fx_init(&f, 5);
    type(&f, "a", 0);
    type(&f, "a", 200); /* same text: no change */
    ldap_complete_tick(&f.ac, 200);
    drain(&f);
    old = f.last_id;
    assert_int_equal(f.requests, 1);
    type(&f, "an", 210);
    assert_int_equal(f.abandons, 1);
    assert_int_equal(f.ac.stats.abandons, 1);
    /* The old search's answers are ignored. */
    entry(&f, old, "Al Old", "al@example.test");
    done(&f, old, 0);
    (void)ldap_complete_results(&f.ac, &n);
    assert_int_equal(n, 0);
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_WAITING);
    ldap_complete_tick(&f.ac, 360);
    drain(&f);
    assert_int_equal(f.requests, 2);
    done(&f, f.last_id, 0);
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_DONE);
}

static void test_cache_answers_the_same_prefix_and_narrows_complete_results(void **state)
{
    fx_t f;
    const ldap_suggestion_t *r;
    size_t n;

    (void)state;
    fx_init(&f, 5);
    type(&f, "an", 0);
    ldap_complete_tick(&f.ac, 150);
    drain(&f);
    entry(&f, f.last_id, "Ann Lee", "ann.lee@example.test");
    entry(&f, f.last_id, "Bob Anders", "bob@example.test");
    entry(&f, f.last_id, "\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0 Petrova", "anna.p@example.test");
    done(&f, f.last_id, 0);
    assert_int_equal(f.requests, 1);

    /* "And": narrower, answered locally (word of the name, any case). */
    type(&f, "AnD", 1000);
    ldap_complete_tick(&f.ac, 1150);
    drain(&f);
    assert_int_equal(f.requests, 1);
    r = ldap_complete_results(&f.ac, &n);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].mail, "bob@example.test");
    assert_int_equal(f.ac.stats.local_hits, 1);

    /* Back to "an": the exact slot, nothing sent. */
    type(&f, "an", 2000);
    ldap_complete_tick(&f.ac, 2150);
    drain(&f);
    assert_int_equal(f.requests, 1);
    (void)ldap_complete_results(&f.ac, &n);
    assert_int_equal(n, 3);
    assert_int_equal(f.ac.stats.cache_hits, 1);
}

static void test_cyrillic_prefix_is_matched_without_case(void **state)
{
    fx_t f;
    const ldap_suggestion_t *r;
    size_t n;

    (void)state;
    fx_init(&f, 5);
    type(&f, "\xd0\xb0", 0); /* "а" */
    ldap_complete_tick(&f.ac, 150);
    drain(&f);
    entry(&f, f.last_id, "\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0 Petrova", "anna.p@example.test");
    entry(&f, f.last_id, "\xd0\x90\xd0\xbb\xd0\xb8\xd1\x81\xd0\xb0", "alisa@example.test");
    done(&f, f.last_id, 0);
    type(&f, "\xd0\xb0\xd0\x9d", 500); /* "аН" */
    ldap_complete_tick(&f.ac, 650);
    r = ldap_complete_results(&f.ac, &n);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].mail, "anna.p@example.test");
    assert_int_equal(f.requests, 1);
}

static void test_truncated_results_are_partial_and_a_longer_prefix_asks_again(void **state)
{
    fx_t f;
    size_t n;

    (void)state;
    fx_init(&f, 2);
    type(&f, "a", 0);
    ldap_complete_tick(&f.ac, 150);
    drain(&f);
    entry(&f, f.last_id, "A1", "a1@example.test");
    entry(&f, f.last_id, "A2", "a2@example.test");
    entry(&f, f.last_id, "A3", "a3@example.test"); /* the (max+1)th */
    done(&f, f.last_id, 0);
    (void)ldap_complete_results(&f.ac, &n);
    assert_int_equal(n, 2);
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_PARTIAL);
    type(&f, "a1", 500);
    ldap_complete_tick(&f.ac, 650);
    drain(&f);
    assert_int_equal(f.requests, 2);

    /* sizeLimitExceeded from the server: partial as well. */
    done(&f, f.last_id, 4);
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_PARTIAL);
    type(&f, "a12", 1000);
    ldap_complete_tick(&f.ac, 1150);
    drain(&f);
    assert_int_equal(f.requests, 3);
}

static void test_errors_give_a_message_and_empty_text_clears(void **state)
{
    fx_t f;
    size_t n;

    (void)state;
    fx_init(&f, 5);
    type(&f, "zz", 0);
    ldap_complete_tick(&f.ac, 150);
    drain(&f);
    ldap_client_tick(&f.c, 200);
    ldap_client_tick(&f.c, 200 + LDAP_TIMEOUT_MS);
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_ERROR);
    assert_string_equal(ldap_complete_message(&f.ac), "no answer from the directory in time");
    type(&f, "", 20000);
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_IDLE);
    (void)ldap_complete_results(&f.ac, &n);
    assert_int_equal(n, 0);
    /* The connection is gone: a new text says so instead of hanging. */
    type(&f, "zy", 20000);
    ldap_complete_tick(&f.ac, 20150);
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_ERROR);
    assert_int_equal(ldap_complete_input(&f.ac, "\xff", 1, 30000), LDAP_ERR_BAD_UTF8);
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_ERROR);
}


/* Typed without a tick: only ldap_complete_input() runs for the key. */
static void key(fx_t *f, const char *text, uint32_t now)
{
    assert_int_equal(ldap_complete_input(&f->ac, text, strlen(text), now), 0);
    drain(f);
}

/* "an" searched and answered completely with three entries at t=150. */
static void fx_an_answered(fx_t *f)
{
    fx_init(f, 5);
    key(f, "an", 0);
    ldap_complete_tick(&f->ac, 150);
    drain(f);
    entry(f, f->last_id, "Ann Lee", "ann.lee@example.test");
    entry(f, f->last_id, "Bob Anders", "bob@example.test");
    entry(f, f->last_id, "Andrea Ruiz", "andrea@example.test");
    done(f, f->last_id, 0);
    assert_int_equal(f->requests, 1);
    assert_int_equal(ldap_complete_state(&f->ac), LDAP_COMPLETE_DONE);
}

static void test_a_cached_prefix_is_answered_at_once_without_the_debounce(void **state)
{
    fx_t f;
    size_t n;

    (void)state;
    fx_an_answered(&f);
    key(&f, "a", 1000);          /* not cached: waits for the debounce */
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_WAITING);
    (void)ldap_complete_results(&f.ac, &n);
    assert_int_equal(n, 0);
    key(&f, "an", 1010);         /* cached: shown before any tick */
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_DONE);
    (void)ldap_complete_results(&f.ac, &n);
    assert_int_equal(n, 3);
    assert_int_equal(f.ac.stats.cache_hits, 1);
    /* The debounce of "a" was cancelled: no tick sends anything later. */
    ldap_complete_tick(&f.ac, 5000);
    drain(&f);
    assert_int_equal(f.requests, 1);
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_DONE);
}

static void test_a_longer_prefix_of_complete_results_is_filtered_at_once(void **state)
{
    fx_t f;
    const ldap_suggestion_t *r;
    size_t n;

    (void)state;
    fx_an_answered(&f);
    key(&f, "and", 1000);
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_DONE);
    r = ldap_complete_results(&f.ac, &n);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].mail, "bob@example.test");
    assert_string_equal(r[1].mail, "andrea@example.test");
    key(&f, "andr", 1001);       /* from the new "and" slot, still at once */
    r = ldap_complete_results(&f.ac, &n);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].mail, "andrea@example.test");
    key(&f, "andx", 1002);       /* no match: an empty, complete answer */
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_DONE);
    (void)ldap_complete_results(&f.ac, &n);
    assert_int_equal(n, 0);
    assert_int_equal(f.ac.stats.local_hits, 3);
    ldap_complete_tick(&f.ac, 5000);
    drain(&f);
    assert_int_equal(f.requests, 1);
}

static void test_a_key_answered_from_the_cache_abandons_the_search_in_flight(void **state)
{
    fx_t f;
    int old;
    size_t n;

    (void)state;
    fx_an_answered(&f);
    key(&f, "b", 1000);
    ldap_complete_tick(&f.ac, 1150);
    drain(&f);
    old = f.last_id;
    assert_int_equal(f.requests, 2);
    key(&f, "an", 1200);         /* back to a cached text while "b" runs */
    assert_int_equal(f.abandons, 1);
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_DONE);
    /* The abandoned search's late answers change nothing. */
    entry(&f, old, "Bea Old", "bea@example.test");
    done(&f, old, 0);
    (void)ldap_complete_results(&f.ac, &n);
    assert_int_equal(n, 3);
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_DONE);
}

static void test_partial_results_answer_their_own_prefix_at_once_but_not_longer_ones(void **state)
{
    fx_t f;
    size_t n;

    (void)state;
    fx_init(&f, 2);
    key(&f, "a", 0);
    ldap_complete_tick(&f.ac, 150);
    drain(&f);
    entry(&f, f.last_id, "A1", "a1@example.test");
    entry(&f, f.last_id, "A2", "a2@example.test");
    done(&f, f.last_id, 4); /* sizeLimitExceeded */
    key(&f, "ab", 500);     /* "a" is partial: ask the server, after the debounce */
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_WAITING);
    key(&f, "a", 510);      /* its own slot: shown at once, still partial */
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_PARTIAL);
    (void)ldap_complete_results(&f.ac, &n);
    assert_int_equal(n, 2);
    ldap_complete_tick(&f.ac, 2000);
    drain(&f);
    assert_int_equal(f.requests, 1);
}

static void test_cached_answers_still_show_when_the_connection_is_gone(void **state)
{
    fx_t f;
    size_t n;

    (void)state;
    fx_an_answered(&f);
    ldap_client_closed(&f.c, 900);
    key(&f, "ann", 1000);
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_DONE);
    (void)ldap_complete_results(&f.ac, &n);
    assert_int_equal(n, 1);
    key(&f, "x", 1100);     /* needs the server: the error, after the debounce */
    ldap_complete_tick(&f.ac, 1250);
    assert_int_equal(ldap_complete_state(&f.ac), LDAP_COMPLETE_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_starts_after_the_debounce_only),
        cmocka_unit_test(test_a_new_key_abandons_the_search_in_flight),
        cmocka_unit_test(test_cache_answers_the_same_prefix_and_narrows_complete_results),
        cmocka_unit_test(test_cyrillic_prefix_is_matched_without_case),
        cmocka_unit_test(test_truncated_results_are_partial_and_a_longer_prefix_asks_again),
        cmocka_unit_test(test_errors_give_a_message_and_empty_text_clears),
        cmocka_unit_test(test_a_cached_prefix_is_answered_at_once_without_the_debounce),
        cmocka_unit_test(test_a_longer_prefix_of_complete_results_is_filtered_at_once),
        cmocka_unit_test(test_a_key_answered_from_the_cache_abandons_the_search_in_flight),
        cmocka_unit_test(test_partial_results_answer_their_own_prefix_at_once_but_not_longer_ones),
        cmocka_unit_test(test_cached_answers_still_show_when_the_connection_is_gone),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
