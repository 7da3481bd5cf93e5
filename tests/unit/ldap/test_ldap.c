/*
 * Unit tests of the LDAP client engine (addrbook/ldap_client.c) and the
 * filter builder (addrbook/ldap_filter.c).
 *
 * Request bytes are compared with what ldapsearch (OpenLDAP 2.5, ldap-utils)
 * sent for the same operation, captured with a python3 socket listener:
 *   ldapsearch -x -H ldap://127.0.0.1:P -D cn=admin,dc=example,dc=test -w secret
 *     -b dc=example,dc=test -s sub -z 10 -l 5 -E pr=5/noprompt
 *     '(&(mail=*)(|(cn=ann*)(mail=ann*)))' cn mail
 * Every server transcript goes through feed_all(): in one buffer, one byte at
 * a time and cut in two at every point, the event logs must be equal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <mbedtls/asn1write.h>

#include "ldap_client.h"

#define OUTCAP 2048

typedef struct {
    char log[4096];
    size_t len;
    int search_again;           /* queue this search from SEARCH_DONE */
    ldap_client_t *c;
    const ldap_search_t *again;
} evlog_t;

typedef struct {
    ldap_client_t c;
    ldap_config_t cfg;
    uint8_t out[OUTCAP];
    evlog_t ev;
} fixture_t;

static void on_event(void *arg, const ldap_event_t *ev)
{
    evlog_t *l = arg;
    char line[600];

    switch (ev->type) {
    case LDAP_EV_BIND:
        snprintf(line, sizeof line, "bind id=%d err=%d rc=%d diag=%s;", ev->msgid, ev->error,
                 ev->result_code, ev->diag);
        break;
    case LDAP_EV_ENTRY:
        snprintf(line, sizeof line, "entry id=%d dn=%s v0=%s v1=%s;", ev->msgid, ev->dn,
                 ev->values[0] ? ev->values[0] : "-", ev->values[1] ? ev->values[1] : "-");
        break;
    case LDAP_EV_REFERRAL:
        snprintf(line, sizeof line, "ref;");
        break;
    case LDAP_EV_SEARCH_DONE:
        snprintf(line, sizeof line, "done id=%d err=%d rc=%d partial=%d n=%u pages=%u diag=%s;",
                 ev->msgid, ev->error, ev->result_code, ev->partial, ev->entries, ev->pages,
                 ev->diag);
        break;
    case LDAP_EV_STARTTLS:
        snprintf(line, sizeof line, "starttls err=%d rc=%d;", ev->error, ev->result_code);
        break;
    case LDAP_EV_FAILED:
        snprintf(line, sizeof line, "failed err=%d rc=%d diag=%s;", ev->error, ev->result_code,
                 ev->diag);
        break;
    default:
        snprintf(line, sizeof line, "?;");
    }
    assert_true(l->len + strlen(line) < sizeof l->log);
    memcpy(l->log + l->len, line, strlen(line) + 1);
    l->len += strlen(line);
}

static void fx_init(fixture_t *f, int secure)
{
    memset(f, 0, sizeof(*f));
    f->cfg.event = on_event;
    f->cfg.event_arg = &f->ev;
    f->cfg.secure = secure;
    f->cfg.allow_cleartext = 1;
    f->cfg.timeout_ms = 1000;
    assert_int_equal(ldap_client_init(&f->c, &f->cfg, f->out, sizeof f->out), 0);
    assert_int_equal(ldap_client_start(&f->c, 0), 0);
    f->ev.c = &f->c;
}

/* Take all output, compare with hex (NULL: just drop it). */
static void expect_out(fixture_t *f, const char *hex)
{
    size_t len;
    const uint8_t *p = ldap_client_output(&f->c, &len);
    char got[2 * OUTCAP + 1];
    size_t i;

    for (i = 0; i < len; i++) {
        snprintf(got + 2 * i, 3, "%02x", p[i]);
    }
    got[2 * len] = '\0';
    if (hex != NULL) {
        assert_string_equal(got, hex);
    }
    assert_int_equal(ldap_client_sent(&f->c, len), 0);
}

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned v;

        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* ---- PDU builders (mbedtls asn1write, backwards) ------------------------ */

typedef struct {
    uint8_t buf[1024];
    unsigned char *p;
} pdu_t;

static void pdu_begin(pdu_t *d)
{
    d->p = d->buf + sizeof d->buf;
}

static size_t pdu_wrap(pdu_t *d, size_t len, unsigned char tag)
{
    len += (size_t)mbedtls_asn1_write_len(&d->p, d->buf, len);
    len += (size_t)mbedtls_asn1_write_tag(&d->p, d->buf, tag);
    return len;
}

static size_t pdu_str(pdu_t *d, const char *s)
{
    return (size_t)mbedtls_asn1_write_octet_string(&d->p, d->buf, (const unsigned char *)s,
                                                   strlen(s));
}

/* LDAPResult fields then the op tag, msgid and the outer SEQUENCE. */
static size_t pdu_result(pdu_t *d, size_t ctl, int id, unsigned char tag, int rc, const char *diag)
{
    size_t len = 0;

    len += pdu_str(d, diag);
    len += pdu_str(d, "");
    len += (size_t)mbedtls_asn1_write_enum(&d->p, d->buf, rc);
    len = pdu_wrap(d, len, tag);
    len += ctl;
    len += (size_t)mbedtls_asn1_write_int(&d->p, d->buf, id);
    return pdu_wrap(d, len, 0x30);
}

static size_t pdu_paged_ctl(pdu_t *d, const char *cookie)
{
    size_t len = 0;

    len += pdu_str(d, cookie);
    len += (size_t)mbedtls_asn1_write_int(&d->p, d->buf, 0);
    len = pdu_wrap(d, len, 0x30);
    len = pdu_wrap(d, len, 0x04);
    len += pdu_str(d, "1.2.840.113556.1.4.319");
    len = pdu_wrap(d, len, 0x30);
    return pdu_wrap(d, len, 0xA0);
}

static size_t pdu_entry(pdu_t *d, int id, const char *dn, const char *a1, const char *v1,
                        const char *a2, const char *v2)
{
    size_t attrs = 0;
    size_t one;
    size_t len;

    if (a2 != NULL) {
        one = pdu_str(d, v2);
        one = pdu_wrap(d, one, 0x31);
        one += pdu_str(d, a2);
        attrs += pdu_wrap(d, one, 0x30);
    }
    one = pdu_str(d, v1);
    one = pdu_wrap(d, one, 0x31);
    one += pdu_str(d, a1);
    attrs += pdu_wrap(d, one, 0x30);
    len = pdu_wrap(d, attrs, 0x30);
    len += pdu_str(d, dn);
    len = pdu_wrap(d, len, 0x64);
    len += (size_t)mbedtls_asn1_write_int(&d->p, d->buf, id);
    return pdu_wrap(d, len, 0x30);
}

/* Append a built PDU to a transcript. */
static void add(uint8_t *t, size_t *tl, const pdu_t *d, size_t len)
{
    memcpy(t + *tl, d->p, len);
    *tl += len;
}

/* ---- shared setup -------------------------------------------------------- */

static const char *const attrs_cn_mail[] = {"cn", "mail"};
static const char *const attrs_ac[] = {"cn", "mail"};
static const ldap_filter_spec_t spec_ann = {"ann", 3, attrs_ac, 2, 0, "mail"};

static ldap_search_t search_ann(uint32_t page)
{
    ldap_search_t s = {"dc=example,dc=test", LDAP_SCOPE_SUB, &spec_ann, attrs_cn_mail, 2, 10, 5,
                       page};
    return s;
}

/* Bound (id 1) and a search (id 2) queued; output dropped. */
static void fx_bound_search(fixture_t *f, const ldap_search_t *s)
{
    uint8_t t[64];
    size_t n;

    fx_init(f, 1);
    assert_int_equal(ldap_client_bind(&f->c, "cn=admin,dc=example,dc=test", "secret"), 1);
    n = unhex("300c02010161070a010004000400", t);
    assert_int_equal(ldap_client_feed(&f->c, t, n, 1), 0);
    assert_int_equal(ldap_client_search(&f->c, s), 2);
    expect_out(f, NULL);
    f->ev.len = 0;
    f->ev.log[0] = '\0';
}

/* Feed t whole, byte by byte and split at every point into fresh
 * engines set up by fx_bound_search; every log must equal the whole one,
 * which is returned in *f. */
static void feed_all(fixture_t *f, const ldap_search_t *s, const uint8_t *t, size_t tl)
{
    static fixture_t g;
    size_t i;
    size_t cut;

    fx_bound_search(f, s);
    assert_int_equal(ldap_client_feed(&f->c, t, tl, 2), 0);

    fx_bound_search(&g, s);
    for (i = 0; i < tl; i++) {
        assert_int_equal(ldap_client_feed(&g.c, t + i, 1, 2), 0);
    }
    assert_string_equal(g.ev.log, f->ev.log);
    assert_int_equal(g.c.status, f->c.status);
    for (cut = 1; cut < tl; cut++) {
        fx_bound_search(&g, s);
        assert_int_equal(ldap_client_feed(&g.c, t, cut, 2), 0);
        assert_int_equal(ldap_client_feed(&g.c, t + cut, tl - cut, 2), 0);
        assert_string_equal(g.ev.log, f->ev.log);
    }
}

/* ---- requests ------------------------------------------------------------ */

static void test_bind_request_bytes_match_ldapsearch(void **state)
{
    fixture_t f;

    (void)state;
    fx_init(&f, 0);
    assert_int_equal(ldap_client_bind(&f.c, "cn=admin,dc=example,dc=test", "secret"), 1);
    expect_out(&f, "302d0201016028020103041b636e3d61646d696e2c64633d6578616d706c652c64633d746573"
                   "748006736563726574");
}

static void test_ppolicy_bind_bytes_match_ldapsearch_and_locked_is_told_apart(void **state)
{
    fixture_t f;
    pdu_t d;
    size_t len = 0;
    size_t n;

    (void)state;
    fx_init(&f, 0);
    f.cfg.ppolicy = 1;
    assert_int_equal(ldap_client_bind(&f.c, "cn=u", "p"), 1);
    /* ldapsearch -x -e ppolicy -D cn=u -w p */
    expect_out(&f, "3030020101600c0201030404636e3d75800170a01d301b0419312e332e362e312e342e312e34322e32"
                   "2e32372e382e352e31");
    /* OpenLDAP's answer for a locked account: 49, no text, ppolicy error 1. */
    pdu_begin(&d);
    len += (size_t)mbedtls_asn1_write_raw_buffer(&d.p, d.buf, (const unsigned char *)"\x30\x03\x81\x01\x01", 5);
    len = pdu_wrap(&d, len, 0x04);
    len += pdu_str(&d, "1.3.6.1.4.1.42.2.27.8.5.1");
    len = pdu_wrap(&d, len, 0x30);
    len = pdu_wrap(&d, len, 0xA0);
    n = pdu_result(&d, len, 1, 0x61, 49, "");
    assert_int_equal(ldap_client_feed(&f.c, d.p, n, 1), 0);
    assert_string_equal(f.ev.log, "bind id=1 err=-1804 rc=49 diag=;");
}

static void test_anonymous_bind_and_unbind_bytes_match_ldapsearch(void **state)
{
    fixture_t f;

    (void)state;
    fx_init(&f, 0);
    assert_int_equal(ldap_client_bind(&f.c, NULL, NULL), 1);
    expect_out(&f, "300c020101600702010304008000");
    f.c.op = 0; /* pretend answered */
    f.c.next_id = 3;
    assert_int_equal(ldap_client_unbind(&f.c), 0);
    expect_out(&f, "30050201034200");
    assert_int_equal(ldap_client_status(&f.c), LDAP_CLIENT_DONE);
}

static void test_paged_search_request_bytes_match_ldapsearch(void **state)
{
    fixture_t f;
    ldap_search_t s = search_ann(5);

    (void)state;
    fx_init(&f, 1);
    f.c.next_id = 2;
    assert_int_equal(ldap_client_search(&f.c, &s), 2);
    expect_out(&f, "307f0201026355041264633d6578616d706c652c64633d746573740a01020a010002010a020105"
                   "010100a02487046d61696ca11ca40b0402636e30058003616e6ea40d04046d61696c30058003"
                   "616e6e300a0402636e04046d61696ca02330210416312e322e3834302e3131333535362e312e"
                   "342e333139040730050201050400");
}

static void test_injection_attempt_is_escaped_and_sent_as_a_literal_value(void **state)
{
    static const char *const cn[] = {"cn"};
    static const char *const attrs[] = {"cn"};
    ldap_filter_spec_t spec = {"a*)(mail=*", 10, cn, 1, 0, NULL};
    ldap_search_t s = {"dc=example,dc=test", LDAP_SCOPE_SUB, &spec, attrs, 1, 0, 0, 0};
    char str[128];
    fixture_t f;

    (void)state;
    assert_int_equal(ldap_filter_string(&spec, str, sizeof str), 24);
    assert_string_equal(str, "(cn=a\\2a\\29\\28mail=\\2a*)");
    fx_init(&f, 1);
    f.c.next_id = 2;
    assert_int_equal(ldap_client_search(&f.c, &s), 2);
    /* ldapsearch's bytes for that string filter, sizeLimit 0 -> our 50 (0x32). */
    expect_out(&f, "3042020102633d041264633d6578616d706c652c64633d746573740a01020a0100020132020100"
                   "010100a4120402636e300c800a612a29286d61696c3d2a30040402636e");
}

static void test_equality_filter_bytes_match_ldapsearch(void **state)
{
    static const char *const uid[] = {"uid"};
    static const char *const attrs[] = {"mail"};
    ldap_filter_spec_t spec = {"ann", 3, uid, 1, 1, NULL};
    ldap_search_t s = {"dc=example,dc=test", LDAP_SCOPE_SUB, &spec, attrs, 1, 0, 0, 0};
    char str[64];
    fixture_t f;

    (void)state;
    assert_int_equal(ldap_filter_string(&spec, str, sizeof str), 9);
    assert_string_equal(str, "(uid=ann)");
    fx_init(&f, 1);
    f.c.next_id = 2;
    assert_int_equal(ldap_client_search(&f.c, &s), 2);
    expect_out(&f, "303c0201026337041264633d6578616d706c652c64633d746573740a01020a0100020132020100"
                   "010100a30a04037569640403616e6e300604046d61696c");
}

static void test_filter_escapes_every_rfc4515_special_and_checks_utf8(void **state)
{
    const char v[] = {'x', '*', '(', ')', '\\', '\0', 'y'};
    ldap_filter_spec_t spec = {v, sizeof v, ldap_filter_default_attrs, 5, 0, "mail"};
    char str[512];

    (void)state;
    assert_true(ldap_filter_string(&spec, str, sizeof str) > 0);
    assert_string_equal(str, "(&(mail=*)(|(cn=x\\2a\\28\\29\\5c\\00y*)(displayName=x\\2a\\28\\29\\5c\\00y*)"
                             "(mail=x\\2a\\28\\29\\5c\\00y*)(sn=x\\2a\\28\\29\\5c\\00y*)"
                             "(givenName=x\\2a\\28\\29\\5c\\00y*)))");
    assert_int_equal(ldap_filter_string(&spec, str, 20), LDAP_ERR_NO_ROOM);
    spec.value = "\xd0\x90\xd0\xbd\xd0\xbd"; /* "Анн" */
    spec.value_len = 6;
    assert_int_equal(ldap_filter_check(&spec), 0);
    spec.value = "\xd0";
    spec.value_len = 1;
    assert_int_equal(ldap_filter_check(&spec), LDAP_ERR_BAD_UTF8);
    spec.value = "\xc0\xaf"; /* overlong '/' */
    spec.value_len = 2;
    assert_int_equal(ldap_filter_check(&spec), LDAP_ERR_BAD_UTF8);
    spec.value = "\xed\xa0\x80"; /* surrogate */
    spec.value_len = 3;
    assert_int_equal(ldap_filter_check(&spec), LDAP_ERR_BAD_UTF8);
    spec.value = "a";
    spec.value_len = 1;
    spec.present = "mail)(x";
    assert_int_equal(ldap_filter_check(&spec), LDAP_ERR_BAD_ARGS);
}

/* (mail=*) checked by hand against RFC 4511 4.5.1 / RFC 4515 3:
 *   Filter CHOICE present [7] AttributeDescription, implicit, primitive:
 *   tag 0x80|7 = 0x87, length 4, the bytes of "mail" (no OCTET STRING tag
 *   inside: IMPLICIT replaces it). In the SearchRequest it sits between
 *   typesOnly (01 01 00) and the attribute list. */
static void test_presence_only_filter_string_and_ber_by_hand(void **state)
{
    static const char *const attrs[] = {"mail"};
    ldap_filter_spec_t spec = {NULL, 0, NULL, 0, 0, "mail"};
    ldap_search_t s = {"dc=example,dc=test", LDAP_SCOPE_SUB, &spec, attrs, 1, 0, 0, 0};
    static const unsigned char want[] = {0x87, 0x04, 'm', 'a', 'i', 'l'};
    unsigned char buf[16];
    unsigned char *p = buf + sizeof buf;
    char str[16];
    fixture_t f;

    (void)state;
    assert_int_equal(ldap_filter_check(&spec), 0);
    assert_int_equal(ldap_filter_string(&spec, str, sizeof str), 8);
    assert_string_equal(str, "(mail=*)");
    assert_int_equal(ldap_filter_string(&spec, str, 8), LDAP_ERR_NO_ROOM); /* no room for NUL */
    assert_int_equal(ldap_filter_ber_write(&p, buf, &spec), (int)sizeof want);
    assert_ptr_equal(p, buf + sizeof buf - sizeof want);
    assert_memory_equal(p, want, sizeof want);
    /* Too little room: an error, and nothing written below start. */
    p = buf + 5;
    assert_int_equal(ldap_filter_ber_write(&p, buf, &spec), LDAP_ERR_NO_ROOM);
    assert_true(p >= buf);

    /* The whole request: 30 36 (msgid 2) 63 31 base scope=2 deref=0
     * size=50 time=0 typesOnly=FALSE, filter 87 04 "mail", attrs (mail). */
    fx_init(&f, 1);
    f.c.next_id = 2;
    assert_int_equal(ldap_client_search(&f.c, &s), 2);
    expect_out(&f, "30360201026331041264633d6578616d706c652c64633d746573740a01020a0100020132020100"
                   "010100" "87046d61696c" "300604046d61696c");

    /* Refused shapes: no attribute at all, a bad one, a value without an
     * attribute to match it against. */
    spec.present = NULL;
    assert_int_equal(ldap_filter_check(&spec), LDAP_ERR_BAD_ARGS);
    assert_int_equal(ldap_filter_string(&spec, str, sizeof str), LDAP_ERR_BAD_ARGS);
    spec.present = "ma il";
    assert_int_equal(ldap_filter_check(&spec), LDAP_ERR_BAD_ARGS);
    spec.present = "mail=*)(cn";
    p = buf + sizeof buf;
    assert_int_equal(ldap_filter_ber_write(&p, buf, &spec), LDAP_ERR_BAD_ARGS);
    assert_ptr_equal(p, buf + sizeof buf);
    spec.present = "mail";
    spec.value = "a";
    spec.value_len = 1;
    assert_int_equal(ldap_filter_check(&spec), LDAP_ERR_BAD_ARGS);
}

static void test_attribute_names_follow_rfc4512(void **state)
{
    static const char *const good[] = {"cn", "sAMAccountName", "x-Custom-1", "2.5.4.3",
                                       "0.9.2342.19200300.100.1.3", "cn;lang-en", "mail;x;y"};
    static const char *const bad[] = {"", "1abc", "-mail", "1", "01.2", "2.5..4", "2.5.4.3.",
                                      ".2", "cn;", "cn;;x", "ma il", "mail=*", "m_ail", "cn)(x"};
    const char *one[1];
    ldap_filter_spec_t spec = {"a", 1, one, 1, 0, NULL};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        one[0] = good[i];
        if (ldap_filter_check(&spec) != 0) {
            fail_msg("refused %s", good[i]);
        }
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        one[0] = bad[i];
        if (ldap_filter_check(&spec) != LDAP_ERR_BAD_ARGS) {
            fail_msg("accepted %s", bad[i]);
        }
    }
}

static void test_starttls_request_response_and_injected_bytes(void **state)
{
    fixture_t f;
    pdu_t d;
    size_t n;

    (void)state;
    fx_init(&f, 0);
    assert_int_equal(ldap_client_starttls(&f.c), 1);
    expect_out(&f, "301d02010177188016312e332e362e312e342e312e313436362e3230303337");
    pdu_begin(&d);
    n = pdu_result(&d, 0, 1, 0x78, 0, "");
    assert_int_equal(ldap_client_feed(&f.c, d.p, n, 1), 0);
    assert_true(ldap_client_wants_tls(&f.c));
    assert_string_equal(f.ev.log, "starttls err=0 rc=0;");
    /* A byte before the handshake is a command injection attempt. */
    assert_int_equal(ldap_client_feed(&f.c, (const uint8_t *)"0", 1, 2), 0);
    assert_int_equal(ldap_client_status(&f.c), LDAP_CLIENT_FAILED);
    assert_int_equal(f.c.fail.error, LDAP_ERR_PROTOCOL);

    fx_init(&f, 0);
    assert_int_equal(ldap_client_starttls(&f.c), 1);
    expect_out(&f, NULL);
    assert_int_equal(ldap_client_feed(&f.c, d.p, n, 1), 0);
    assert_int_equal(ldap_client_tls_ready(&f.c, 2), 0);
    assert_int_equal(ldap_client_starttls(&f.c), LDAP_ERR_STATE); /* already secure */

    fx_init(&f, 0);
    assert_int_equal(ldap_client_starttls(&f.c), 1);
    pdu_begin(&d);
    n = pdu_result(&d, 0, 1, 0x78, 2, "unsupported");
    assert_int_equal(ldap_client_feed(&f.c, d.p, n, 1), 0);
    assert_false(ldap_client_wants_tls(&f.c));
    assert_int_equal(ldap_client_tls_ready(&f.c, 2), LDAP_ERR_STATE);
    assert_string_equal(f.ev.log, "starttls err=-1814 rc=2;");
}

static void test_password_bind_in_cleartext_is_refused_unless_allowed(void **state)
{
    fixture_t f;
    size_t len;

    (void)state;
    fx_init(&f, 0);
    f.cfg.allow_cleartext = 0;
    assert_int_equal(ldap_client_bind(&f.c, "cn=a", "pw"), LDAP_ERR_CLEARTEXT);
    (void)ldap_client_output(&f.c, &len);
    assert_int_equal(len, 0);
    assert_int_equal(ldap_client_bind(&f.c, NULL, NULL), 1); /* anonymous is fine */
    fx_init(&f, 1);
    assert_int_equal(ldap_client_bind(&f.c, "cn=a", ""), LDAP_ERR_BAD_ARGS);
    assert_int_equal(ldap_client_bind(&f.c, "cn=a\r\n", "x"), LDAP_ERR_BAD_ARGS);
}

static void test_password_is_wiped_from_the_buffer_once_sent_and_on_free(void **state)
{
    fixture_t f;
    size_t len;
    const uint8_t *p;

    (void)state;
    fx_init(&f, 1);
    assert_int_equal(ldap_client_bind(&f.c, "cn=admin", "Sup3rS3cret!"), 1);
    p = ldap_client_output(&f.c, &len);
    assert_non_null(memmem(p, len, "Sup3rS3cret!", 12));
    assert_null(memmem(f.out + len, sizeof f.out - len, "Sup3rS3cret!", 12));
    assert_int_equal(ldap_client_sent(&f.c, 10), 0);
    assert_int_equal(ldap_client_sent(&f.c, len - 10), 0);
    assert_null(memmem(f.out, sizeof f.out, "Sup3r", 5));

    fx_init(&f, 1);
    assert_int_equal(ldap_client_bind(&f.c, "cn=admin", "Sup3rS3cret!"), 1);
    ldap_client_free(&f.c);
    assert_null(memmem(f.out, sizeof f.out, "Sup3r", 5));
    ldap_client_free(&f.c); /* twice is safe */
}

/* ---- responses ----------------------------------------------------------- */

static void test_bind_results_tell_wrong_password_from_locked_account(void **state)
{
    static const struct {
        int rc;
        const char *diag;
        int err;
    } cases[] = {
        {0, "", 0},
        {49, "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563",
         LDAP_ERR_BAD_CREDENTIALS},
        {49, "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 775, v4563",
         LDAP_ERR_ACCOUNT_LOCKED},
        {49, "... data 533, v4563", LDAP_ERR_ACCOUNT_DISABLED},
        {49, "... data 773, v4563", LDAP_ERR_PASSWORD_EXPIRED},
        {49, "", LDAP_ERR_BAD_CREDENTIALS},
        {13, "TLS confidentiality required", LDAP_ERR_NEED_TLS},
        {53, "unauthenticated bind (DN with no password) disallowed", LDAP_ERR_UNWILLING},
        {80, "other", LDAP_ERR_RESULT},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fixture_t f;
        pdu_t d;
        size_t n;
        char want[300];

        fx_init(&f, 1);
        assert_int_equal(ldap_client_bind(&f.c, "cn=u", "p"), 1);
        pdu_begin(&d);
        n = pdu_result(&d, 0, 1, 0x61, cases[i].rc, cases[i].diag);
        assert_int_equal(ldap_client_feed(&f.c, d.p, n, 1), 0);
        snprintf(want, sizeof want, "bind id=1 err=%d rc=%d diag=%s;", cases[i].err, cases[i].rc,
                 cases[i].diag);
        assert_string_equal(f.ev.log, want);
        assert_true(ldap_client_idle(&f.c));
    }
    assert_string_equal(ldap_strerror(LDAP_ERR_ACCOUNT_LOCKED), "account locked");
}

static void test_search_entries_reference_unknown_and_stale_pdus(void **state)
{
    fixture_t f;
    ldap_search_t s = search_ann(0);
    uint8_t t[2048];
    size_t tl = 0;
    pdu_t d;
    size_t n;

    (void)state;
    pdu_begin(&d);
    n = pdu_entry(&d, 2, "cn=Ann Lee,dc=example,dc=test", "cn", "Ann Lee", "mail", "ann@example.test");
    add(t, &tl, &d, n);
    /* A stale message ID (an abandoned search) is skipped. */
    pdu_begin(&d);
    n = pdu_entry(&d, 7, "cn=Old", "cn", "Old", "mail", "old@example.test");
    add(t, &tl, &d, n);
    /* SearchResultReference: 73 { 04 "ldap://other/" } */
    tl += unhex("3014020102730f040d6c6461703a2f2f6f746865722f", t + tl);
    /* An unknown application tag (0x7a) with the right ID: skipped. */
    tl += unhex("300802010279037a0100", t + tl);
    /* Attributes in another case, a multi-valued one, an unrequested one. */
    pdu_begin(&d);
    n = pdu_entry(&d, 2, "cn=\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0,dc=example,dc=test", "MAIL",
                  "anna@example.test", "sn", "X");
    add(t, &tl, &d, n);
    pdu_begin(&d);
    n = pdu_result(&d, 0, 2, 0x65, 0, "");
    add(t, &tl, &d, n);
    feed_all(&f, &s, t, tl);
    assert_string_equal(f.ev.log,
                        "entry id=2 dn=cn=Ann Lee,dc=example,dc=test v0=Ann Lee v1=ann@example.test;"
                        "ref;"
                        "entry id=2 dn=cn=\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0,dc=example,dc=test v0=- "
                        "v1=anna@example.test;"
                        "done id=2 err=0 rc=0 partial=0 n=2 pages=1 diag=;");
    assert_int_equal(f.c.stats.skipped, 3);
    assert_true(ldap_client_idle(&f.c));
}

static void test_size_limit_exceeded_is_partial_results_not_a_failure(void **state)
{
    fixture_t f;
    ldap_search_t s = search_ann(0);
    uint8_t t[1024];
    size_t tl = 0;
    pdu_t d;
    size_t n;

    (void)state;
    pdu_begin(&d);
    n = pdu_entry(&d, 2, "cn=A", "cn", "A", "mail", "a@example.test");
    add(t, &tl, &d, n);
    pdu_begin(&d);
    n = pdu_result(&d, 0, 2, 0x65, 4, "");
    add(t, &tl, &d, n);
    feed_all(&f, &s, t, tl);
    assert_string_equal(f.ev.log, "entry id=2 dn=cn=A v0=A v1=a@example.test;"
                                  "done id=2 err=0 rc=4 partial=1 n=1 pages=1 diag=;");
}

static void test_local_entry_budget_abandons_the_search(void **state)
{
    fixture_t f;
    ldap_search_t s = search_ann(0);
    uint8_t t[1024];
    size_t tl = 0;
    pdu_t d;
    size_t n;
    int i;

    (void)state;
    s.size_limit = 2;
    for (i = 0; i < 3; i++) {
        pdu_begin(&d);
        n = pdu_entry(&d, 2, "cn=A", "cn", "A", "mail", "a@example.test");
        add(t, &tl, &d, n);
    }
    feed_all(&f, &s, t, tl);
    assert_string_equal(f.ev.log, "entry id=2 dn=cn=A v0=A v1=a@example.test;"
                                  "entry id=2 dn=cn=A v0=A v1=a@example.test;"
                                  "done id=2 err=0 rc=-1 partial=1 n=2 pages=1 diag=;");
    expect_out(&f, "3006020103500102"); /* AbandonRequest for message 2 */
}

static void test_paged_results_cookie_loop_until_empty_cookie(void **state)
{
    fixture_t f;
    ldap_search_t s = search_ann(1);
    pdu_t d;
    size_t n;
    size_t ctl;
    size_t len;
    const uint8_t *out;

    (void)state;
    fx_bound_search(&f, &s);
    pdu_begin(&d);
    n = pdu_entry(&d, 2, "cn=A", "cn", "A", "mail", "a@example.test");
    assert_int_equal(ldap_client_feed(&f.c, d.p, n, 2), 0);
    pdu_begin(&d);
    ctl = pdu_paged_ctl(&d, "COOKIE1");
    n = pdu_result(&d, ctl, 2, 0x65, 0, "");
    assert_int_equal(ldap_client_feed(&f.c, d.p, n, 2), 0);
    /* The next page went out by itself with message ID 3 and the cookie. */
    out = ldap_client_output(&f.c, &len);
    assert_true(len > 20);
    assert_int_equal(out[1], 0x81); /* long form: the ID follows at 3..5 */
    assert_memory_equal(out + 3, "\x02\x01\x03", 3);
    assert_non_null(memmem(out, len, "COOKIE1", 7));
    expect_out(&f, NULL);
    pdu_begin(&d);
    n = pdu_entry(&d, 3, "cn=B", "cn", "B", "mail", "b@example.test");
    assert_int_equal(ldap_client_feed(&f.c, d.p, n, 2), 0);
    pdu_begin(&d);
    ctl = pdu_paged_ctl(&d, "");
    n = pdu_result(&d, ctl, 3, 0x65, 0, "");
    assert_int_equal(ldap_client_feed(&f.c, d.p, n, 2), 0);
    assert_string_equal(f.ev.log, "entry id=2 dn=cn=A v0=A v1=a@example.test;"
                                  "entry id=2 dn=cn=B v0=B v1=b@example.test;"
                                  "done id=2 err=0 rc=0 partial=0 n=2 pages=2 diag=;");
    (void)ldap_client_output(&f.c, &len);
    assert_int_equal(len, 0);
}

static void test_paged_results_stop_at_budget_and_release_the_cookie(void **state)
{
    fixture_t f;
    ldap_search_t s = search_ann(1);
    pdu_t d;
    size_t n;
    size_t ctl;
    size_t len;
    const uint8_t *out;

    (void)state;
    s.size_limit = 1;
    fx_bound_search(&f, &s);
    pdu_begin(&d);
    n = pdu_entry(&d, 2, "cn=A", "cn", "A", "mail", "a@example.test");
    assert_int_equal(ldap_client_feed(&f.c, d.p, n, 2), 0);
    pdu_begin(&d);
    ctl = pdu_paged_ctl(&d, "C2");
    n = pdu_result(&d, ctl, 2, 0x65, 0, "");
    assert_int_equal(ldap_client_feed(&f.c, d.p, n, 2), 0);
    assert_string_equal(f.ev.log, "entry id=2 dn=cn=A v0=A v1=a@example.test;"
                                  "done id=2 err=0 rc=0 partial=1 n=1 pages=2 diag=;");
    out = ldap_client_output(&f.c, &len);
    /* ... 30 07 02 01 00 04 02 "C2": page size 0 with the cookie. */
    assert_non_null(memmem(out, len, "\x30\x07\x02\x01\x00\x04\x02" "C2", 9));
    assert_true(ldap_client_idle(&f.c));
}

static void test_search_errors_keep_the_server_text(void **state)
{
    fixture_t f;
    ldap_search_t s = search_ann(0);
    pdu_t d;
    size_t n;

    (void)state;
    pdu_begin(&d);
    n = pdu_result(&d, 0, 2, 0x65, 32, "no such\r\nobject");
    feed_all(&f, &s, d.p, n);
    assert_string_equal(f.ev.log, "done id=2 err=-1811 rc=32 partial=0 n=0 pages=1 diag=no such  object;");
    assert_int_equal(ldap_client_status(&f.c), LDAP_CLIENT_RUNNING);
}

static void expect_malformed(const char *hex, int err)
{
    fixture_t f;
    ldap_search_t s = search_ann(0);
    uint8_t t[128];
    size_t tl = unhex(hex, t);

    print_message("malformed: %s\n", hex);
    feed_all(&f, &s, t, tl);
    assert_int_equal(ldap_client_status(&f.c), LDAP_CLIENT_FAILED);
    assert_int_equal(f.c.fail.error, err);
}

static void test_malformed_pdus_end_the_session_with_a_clear_error(void **state)
{
    (void)state;
    expect_malformed("3103020102", LDAP_ERR_PROTOCOL);           /* not a SEQUENCE */
    expect_malformed("3080020102", LDAP_ERR_PROTOCOL);           /* indefinite length */
    expect_malformed("3085000000000102", LDAP_ERR_PROTOCOL);     /* 5 length bytes */
    expect_malformed("308400010000", LDAP_ERR_TOO_BIG);          /* 64 KiB > LDAP_PDU_MAX */
    expect_malformed("3084ffffffff", LDAP_ERR_TOO_BIG);
    expect_malformed("30050201026500", LDAP_ERR_PROTOCOL);       /* empty LDAPResult */
    expect_malformed("3005020502026500", LDAP_ERR_PROTOCOL);     /* int length past the end */
    expect_malformed("300c02010265070a010004050400", LDAP_ERR_PROTOCOL); /* inner length */
    expect_malformed("300c02010261070a010004000400", LDAP_ERR_PROTOCOL); /* bind resp to search */
    expect_malformed("300e02010265070a010004000400a100", LDAP_ERR_PROTOCOL); /* junk after op */
    expect_malformed("30030201ff", LDAP_ERR_PROTOCOL);           /* no protocolOp */
    /* An entry whose attribute SET overruns its SEQUENCE. */
    expect_malformed("3010020102640b04014130063004040031" "0a", LDAP_ERR_PROTOCOL);
}

static void test_values_too_long_or_not_utf8_count_as_absent(void **state)
{
    fixture_t f;
    ldap_search_t s = search_ann(0);
    char big[LDAP_VALUE_MAX + 1];
    uint8_t t[2048];
    size_t tl = 0;
    pdu_t d;
    size_t n;

    (void)state;
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pdu_begin(&d);
    n = pdu_entry(&d, 2, "cn=A", "cn", big, "mail", "bad\xff@example.test");
    add(t, &tl, &d, n);
    pdu_begin(&d);
    n = pdu_result(&d, 0, 2, 0x65, 0, "");
    add(t, &tl, &d, n);
    feed_all(&f, &s, t, tl);
    assert_string_equal(f.ev.log, "entry id=2 dn=cn=A v0=- v1=-;done id=2 err=0 rc=0 partial=0 n=1 pages=1 diag=;");
}

static void test_notice_of_disconnection_timeout_and_close(void **state)
{
    fixture_t f;
    ldap_search_t s = search_ann(0);
    pdu_t d;
    size_t n;

    (void)state;
    pdu_begin(&d);
    n = pdu_result(&d, 0, 0, 0x78, 52, "server shutting down");
    feed_all(&f, &s, d.p, n);
    assert_string_equal(f.ev.log, "failed err=-1801 rc=52 diag=server shutting down;");
    assert_int_equal(f.c.fail.error, LDAP_ERR_DISCONNECT);

    fx_bound_search(&f, &s);
    assert_int_equal(ldap_client_tick(&f.c, 100), 0);   /* timer armed: 100 + 1000 */
    assert_int_equal(ldap_client_tick(&f.c, 1099), 0);
    assert_int_equal(ldap_client_status(&f.c), LDAP_CLIENT_RUNNING);
    assert_int_equal(ldap_client_tick(&f.c, 1100), 0);
    assert_string_equal(f.ev.log, "failed err=-1799 rc=-1 diag=;");

    fx_bound_search(&f, &s);
    assert_int_equal(ldap_client_closed(&f.c, 5), 0);
    assert_string_equal(f.ev.log, "failed err=-1800 rc=-1 diag=;");
    assert_int_equal(ldap_client_search(&f.c, &s), LDAP_ERR_STATE);
}

/* The SEARCH_DONE callback starts the next search (what autocomplete does). */
static void again_event(void *arg, const ldap_event_t *ev)
{
    evlog_t *l = arg;

    on_event(arg, ev);
    if (ev->type == LDAP_EV_SEARCH_DONE && l->again != NULL) {
        assert_int_equal(ldap_client_search(l->c, l->again), 3);
        l->again = NULL;
    }
}

static void test_abandon_then_new_search_skips_the_old_answers(void **state)
{
    fixture_t f;
    ldap_search_t s = search_ann(0);
    uint8_t t[1024];
    size_t tl = 0;
    pdu_t d;
    size_t n;

    (void)state;
    fx_bound_search(&f, &s);
    assert_int_equal(ldap_client_abandon(&f.c), 0);
    assert_int_equal(ldap_client_abandon(&f.c), LDAP_ERR_STATE);
    assert_int_equal(ldap_client_search(&f.c, &s), 4);
    expect_out(&f, NULL);
    pdu_begin(&d);
    n = pdu_entry(&d, 2, "cn=Old", "cn", "Old", "mail", "old@example.test");
    add(t, &tl, &d, n);
    pdu_begin(&d);
    n = pdu_result(&d, 0, 2, 0x65, 0, "");
    add(t, &tl, &d, n);
    pdu_begin(&d);
    n = pdu_result(&d, 0, 4, 0x65, 0, "");
    add(t, &tl, &d, n);
    assert_int_equal(ldap_client_feed(&f.c, t, tl, 3), 0);
    assert_string_equal(f.ev.log, "done id=4 err=0 rc=0 partial=0 n=0 pages=1 diag=;");

    /* A search queued from inside the callback. */
    fx_init(&f, 1);
    f.cfg.event = again_event;
    f.ev.again = &s;
    f.c.next_id = 2;
    assert_int_equal(ldap_client_search(&f.c, &s), 2);
    pdu_begin(&d);
    n = pdu_result(&d, 0, 2, 0x65, 0, "");
    assert_int_equal(ldap_client_feed(&f.c, d.p, n, 3), 0);
    assert_false(ldap_client_idle(&f.c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bind_request_bytes_match_ldapsearch),
        cmocka_unit_test(test_anonymous_bind_and_unbind_bytes_match_ldapsearch),
        cmocka_unit_test(test_ppolicy_bind_bytes_match_ldapsearch_and_locked_is_told_apart),
        cmocka_unit_test(test_paged_search_request_bytes_match_ldapsearch),
        cmocka_unit_test(test_injection_attempt_is_escaped_and_sent_as_a_literal_value),
        cmocka_unit_test(test_equality_filter_bytes_match_ldapsearch),
        cmocka_unit_test(test_filter_escapes_every_rfc4515_special_and_checks_utf8),
        cmocka_unit_test(test_presence_only_filter_string_and_ber_by_hand),
        cmocka_unit_test(test_attribute_names_follow_rfc4512),
        cmocka_unit_test(test_starttls_request_response_and_injected_bytes),
        cmocka_unit_test(test_password_bind_in_cleartext_is_refused_unless_allowed),
        cmocka_unit_test(test_password_is_wiped_from_the_buffer_once_sent_and_on_free),
        cmocka_unit_test(test_bind_results_tell_wrong_password_from_locked_account),
        cmocka_unit_test(test_search_entries_reference_unknown_and_stale_pdus),
        cmocka_unit_test(test_size_limit_exceeded_is_partial_results_not_a_failure),
        cmocka_unit_test(test_local_entry_budget_abandons_the_search),
        cmocka_unit_test(test_paged_results_cookie_loop_until_empty_cookie),
        cmocka_unit_test(test_paged_results_stop_at_budget_and_release_the_cookie),
        cmocka_unit_test(test_search_errors_keep_the_server_text),
        cmocka_unit_test(test_malformed_pdus_end_the_session_with_a_clear_error),
        cmocka_unit_test(test_values_too_long_or_not_utf8_count_as_absent),
        cmocka_unit_test(test_notice_of_disconnection_timeout_and_close),
        cmocka_unit_test(test_abandon_then_new_search_skips_the_old_answers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
