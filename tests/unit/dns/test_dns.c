/*
 * Unit tests of the sans-IO DNS client (smtp/dns.c).
 *
 * The LAB_* vectors are real answers of the lab's dnsmasq (sim/lab/up,
 * 198.51.100.1:53) to queries built by dns_query_build(), captured once with
 * a throwaway UDP client run in the lab namespace. The other messages are
 * built by hand with the msg_* helpers below, with name compression where
 * a real server would use it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dns.h"

/* MX example.test, id 0x1234: "MX 10 mail.example.test" + its A record in
 * the additional section (owner compressed to the MX exchange). */
static const char LAB_MX[] =
    "123485800001000100000001076578616d706c65047465737400000f0001c00c000f00010000003c0015000a04"
    "6d61696c076578616d706c65047465737400c02c000100010000003c0004c6336401";
/* SRV _submission._tcp.example.test, id 0x1235: "0 0 587 mail.example.test". */
static const char LAB_SRV[] =
    "1235858000010001000000010b5f7375626d697373696f6e045f746370076578616d706c6504746573740000210"
    "001c00c002100010000003c001900000000024b046d61696c076578616d706c65047465737400c041000100010000"
    "003c0004c6336401";
/* A mail.example.test, id 0x1236: 198.51.100.1. */
static const char LAB_A[] = "123685800001000100000000046d61696c076578616d706c650474657374000001000"
                            "1c00c000100010000003c0004c6336401";
/* MX nosuch.example.test, id 0x1237: NXDOMAIN. */
static const char LAB_NXDOMAIN[] =
    "123781830001000000000000066e6f73756368076578616d706c65047465737400000f0001";
/* MX MAIL.Example.Test, id 0x1239: the name exists, no MX (NODATA). */
static const char LAB_NODATA[] =
    "123981800001000000000000044d41494c074578616d706c65045465737400000f0001";

typedef struct {
    uint8_t b[2048];
    size_t n;
} msg_t;

static size_t hex_decode(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2, i;

    assert_true(n <= cap);
    for (i = 0; i < n; i++) {
        unsigned v;

        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

static void msg_u8(msg_t *m, unsigned v)
{
    assert_true(m->n < sizeof(m->b));
    m->b[m->n++] = (uint8_t)v;
}

static void msg_u16(msg_t *m, unsigned v)
{
    msg_u8(m, v >> 8);
    msg_u8(m, v & 0xFF);
}

static void msg_u32(msg_t *m, uint32_t v)
{
    msg_u16(m, v >> 16);
    msg_u16(m, v & 0xFFFF);
}

/* Labels of text; ends with the root unless ptr >= 0, then with a pointer. */
static void msg_name(msg_t *m, const char *text, int ptr)
{
    while (*text) {
        const char *dot = strchr(text, '.');
        size_t l = dot ? (size_t)(dot - text) : strlen(text);

        msg_u8(m, (unsigned)l);
        memcpy(m->b + m->n, text, l);
        m->n += l;
        text += l + (dot ? 1 : 0);
    }
    if (ptr >= 0)
        msg_u16(m, 0xC000u | (unsigned)ptr);
    else
        msg_u8(m, 0);
}

static void msg_header(msg_t *m, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns,
                       unsigned ar)
{
    m->n = 0;
    msg_u16(m, id);
    msg_u16(m, flags);
    msg_u16(m, qd);
    msg_u16(m, an);
    msg_u16(m, ns);
    msg_u16(m, ar);
}

/* Header + question for (name, qtype); the name starts at offset 12. */
static void msg_start(msg_t *m, unsigned id, unsigned flags, const char *name, unsigned qtype,
                      unsigned an, unsigned ns, unsigned ar)
{
    msg_header(m, id, flags, 1, an, ns, ar);
    msg_name(m, name, -1);
    msg_u16(m, qtype);
    msg_u16(m, DNS_CLASS_IN);
}

/* Record header: owner written by the caller before; returns the offset of
 * RDLENGTH, to be patched by msg_rdlen_end(). */
static size_t msg_rr(msg_t *m, unsigned type, uint32_t ttl)
{
    size_t at;

    msg_u16(m, type);
    msg_u16(m, DNS_CLASS_IN);
    msg_u32(m, ttl);
    at = m->n;
    msg_u16(m, 0);
    return at;
}

static void msg_rdlen_end(msg_t *m, size_t at)
{
    size_t l = m->n - at - 2;

    m->b[at] = (uint8_t)(l >> 8);
    m->b[at + 1] = (uint8_t)l;
}

static void msg_mx(msg_t *m, int owner_ptr, unsigned pref, const char *exch, int exch_ptr)
{
    size_t at;

    msg_u16(m, 0xC000u | (unsigned)owner_ptr);
    at = msg_rr(m, DNS_TYPE_MX, 300);
    msg_u16(m, pref);
    msg_name(m, exch, exch_ptr);
    msg_rdlen_end(m, at);
}

static void msg_srv(msg_t *m, int owner_ptr, unsigned prio, unsigned weight, unsigned port,
                    const char *target, int target_ptr)
{
    size_t at;

    msg_u16(m, 0xC000u | (unsigned)owner_ptr);
    at = msg_rr(m, DNS_TYPE_SRV, 300);
    msg_u16(m, prio);
    msg_u16(m, weight);
    msg_u16(m, port);
    msg_name(m, target, target_ptr);
    msg_rdlen_end(m, at);
}

#define RESPONSE 0x8180u /* QR, RD, RA, NOERROR */

/* Offsets in a message started with msg_start(m, ..., "example.test", ...). */
#define OFF_EXAMPLE_TEST 12

static void test_query_builder_writes_an_mx_query_with_rd_set(void **state)
{
    static const uint8_t want[] = {0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0,   0,   0,
                                   0,    0,    7,    'e',  'x', 'a', 'm', 'p', 'l', 'e',
                                   4,    't',  'e',  's',  't', 0,   0,   15,  0,   1};
    uint8_t buf[DNS_QUERY_MAX];
    size_t len = 0;

    (void)state;
    assert_int_equal(dns_query_build(buf, sizeof(buf), 0x1234, "example.test", DNS_TYPE_MX, &len),
                     DNS_OK);
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
}

static void test_query_builder_accepts_a_trailing_dot_and_underscores_for_srv(void **state)
{
    uint8_t a[DNS_QUERY_MAX], b[DNS_QUERY_MAX];
    size_t la = 0, lb = 0;

    (void)state;
    assert_int_equal(
        dns_query_build(a, sizeof(a), 7, "_submission._tcp.example.test", DNS_TYPE_SRV, &la),
        DNS_OK);
    assert_int_equal(
        dns_query_build(b, sizeof(b), 7, "_submission._tcp.example.test.", DNS_TYPE_SRV, &lb),
        DNS_OK);
    assert_int_equal(la, 12 + 31 + 4);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    assert_int_equal(a[la - 3], DNS_TYPE_SRV);
    assert_int_equal(dns_query_build(a, sizeof(a), 7, "mail.example.test", DNS_TYPE_A, &la),
                     DNS_OK);
    assert_int_equal(a[la - 3], DNS_TYPE_A);
}

static void test_query_builder_rejects_bad_names_with_named_errors(void **state)
{
    uint8_t buf[DNS_QUERY_MAX];
    char name[300];
    size_t len = 99;

    (void)state;
    assert_int_equal(dns_query_build(buf, sizeof(buf), 1, "", DNS_TYPE_MX, &len),
                     DNS_ERR_NAME_EMPTY_LABEL);
    assert_int_equal(dns_query_build(buf, sizeof(buf), 1, ".", DNS_TYPE_MX, &len),
                     DNS_ERR_NAME_EMPTY_LABEL);
    assert_int_equal(dns_query_build(buf, sizeof(buf), 1, "a..b", DNS_TYPE_MX, &len),
                     DNS_ERR_NAME_EMPTY_LABEL);
    assert_int_equal(dns_query_build(buf, sizeof(buf), 1, ".a", DNS_TYPE_MX, &len),
                     DNS_ERR_NAME_EMPTY_LABEL);
    assert_int_equal(dns_query_build(buf, sizeof(buf), 1, "a.b..", DNS_TYPE_MX, &len),
                     DNS_ERR_NAME_EMPTY_LABEL);
    assert_int_equal(dns_query_build(buf, sizeof(buf), 1, "exa mple.test", DNS_TYPE_MX, &len),
                     DNS_ERR_NAME_BAD_CHAR);
    assert_int_equal(dns_query_build(buf, sizeof(buf), 1, "_smtp.example.test", DNS_TYPE_MX, &len),
                     DNS_ERR_NAME_BAD_CHAR);
    assert_int_equal(dns_query_build(buf, sizeof(buf), 1, "ex\xc3\xa9.test", DNS_TYPE_A, &len),
                     DNS_ERR_NAME_BAD_CHAR);

    memset(name, 'a', 64); /* one label of 64 */
    strcpy(name + 64, ".test");
    assert_int_equal(dns_query_build(buf, sizeof(buf), 1, name, DNS_TYPE_MX, &len),
                     DNS_ERR_NAME_LABEL_LONG);
    strcpy(name + 63, ".test"); /* 63 is fine */
    assert_int_equal(dns_query_build(buf, sizeof(buf), 1, name, DNS_TYPE_MX, &len), DNS_OK);

    /* 63+1+63+1+63+1+61 = 253 characters is the longest name; 254 is too long. */
    memset(name, 'b', sizeof(name));
    name[63] = name[127] = name[191] = '.';
    name[253] = '\0';
    assert_int_equal(dns_query_build(buf, sizeof(buf), 1, name, DNS_TYPE_MX, &len), DNS_OK);
    assert_int_equal(len, DNS_QUERY_MAX);
    name[253] = '.'; /* with the trailing dot still fine */
    name[254] = '\0';
    assert_int_equal(dns_query_build(buf, sizeof(buf), 1, name, DNS_TYPE_MX, &len), DNS_OK);
    name[253] = 'b';
    assert_int_equal(dns_query_build(buf, sizeof(buf), 1, name, DNS_TYPE_MX, &len),
                     DNS_ERR_NAME_TOO_LONG);
    name[299] = '\0';
    assert_int_equal(dns_query_build(buf, sizeof(buf), 1, name, DNS_TYPE_MX, &len),
                     DNS_ERR_NAME_TOO_LONG);
    assert_int_equal(len, DNS_QUERY_MAX); /* untouched by the failures */
}

static void test_query_builder_rejects_other_types_small_buffers_and_null(void **state)
{
    uint8_t buf[DNS_QUERY_MAX];
    size_t len = 0;

    (void)state;
    assert_int_equal(dns_query_build(buf, sizeof(buf), 1, "example.test", 28, &len),
                     DNS_ERR_BAD_QTYPE);
    assert_int_equal(dns_query_build(buf, 29, 1, "example.test", DNS_TYPE_MX, &len),
                     DNS_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(dns_query_build(buf, 30, 1, "example.test", DNS_TYPE_MX, &len), DNS_OK);
    assert_int_equal(len, 30);
    assert_int_equal(dns_query_build(NULL, 30, 1, "example.test", DNS_TYPE_MX, &len),
                     DNS_ERR_BAD_ARGS);
    assert_int_equal(dns_query_build(buf, 30, 1, NULL, DNS_TYPE_MX, &len), DNS_ERR_BAD_ARGS);
    assert_int_equal(dns_query_build(buf, 30, 1, "example.test", DNS_TYPE_MX, NULL),
                     DNS_ERR_BAD_ARGS);
}

static void test_parser_reads_the_lab_mx_answer_and_its_address(void **state)
{
    uint8_t buf[DNS_UDP_MAX];
    size_t len = hex_decode(LAB_MX, buf, sizeof(buf));
    dns_answer_t a;
    uint8_t addr[4];
    static const uint8_t gw[4] = {198, 51, 100, 1};

    (void)state;
    assert_int_equal(dns_response_parse(buf, len, 0x1234, "example.test", DNS_TYPE_MX, &a), DNS_OK);
    assert_int_equal(a.count, 1);
    assert_int_equal(a.total, 1);
    assert_int_equal(a.skipped, 0);
    assert_int_equal(a.rr[0].type, DNS_TYPE_MX);
    assert_int_equal(a.rr[0].ttl, 60);
    assert_int_equal(a.rr[0].u.mx.preference, 10);
    assert_string_equal(a.rr[0].u.mx.exchange, "mail.example.test");
    assert_int_equal(a.addr_count, 1);
    assert_int_equal(dns_answer_addr(&a, "MAIL.example.test", addr), DNS_OK);
    assert_memory_equal(addr, gw, 4);
    assert_int_equal(dns_answer_addr(&a, "smtp.example.test", addr), DNS_ERR_NOT_FOUND);
    assert_false(dns_answer_is_null(&a));
}

static void test_parser_reads_the_lab_srv_answer(void **state)
{
    uint8_t buf[DNS_UDP_MAX];
    size_t len = hex_decode(LAB_SRV, buf, sizeof(buf));
    dns_answer_t a;
    uint8_t addr[4];

    (void)state;
    assert_int_equal(
        dns_response_parse(buf, len, 0x1235, "_submission._tcp.example.test", DNS_TYPE_SRV, &a),
        DNS_OK);
    assert_int_equal(a.count, 1);
    assert_int_equal(a.rr[0].type, DNS_TYPE_SRV);
    assert_int_equal(a.rr[0].u.srv.priority, 0);
    assert_int_equal(a.rr[0].u.srv.weight, 0);
    assert_int_equal(a.rr[0].u.srv.port, 587);
    assert_string_equal(a.rr[0].u.srv.target, "mail.example.test");
    assert_int_equal(dns_answer_addr(&a, "mail.example.test", addr), DNS_OK);
    assert_int_equal(addr[0], 198);
}

static void test_parser_reads_the_lab_a_answer(void **state)
{
    uint8_t buf[DNS_UDP_MAX];
    size_t len = hex_decode(LAB_A, buf, sizeof(buf));
    dns_answer_t a;
    static const uint8_t gw[4] = {198, 51, 100, 1};

    (void)state;
    assert_int_equal(dns_response_parse(buf, len, 0x1236, "mail.example.test", DNS_TYPE_A, &a),
                     DNS_OK);
    assert_int_equal(a.count, 1);
    assert_memory_equal(a.rr[0].u.a, gw, 4);
}

static void test_parser_reports_nxdomain_and_nodata_from_the_lab(void **state)
{
    uint8_t buf[DNS_UDP_MAX];
    size_t len = hex_decode(LAB_NXDOMAIN, buf, sizeof(buf));
    dns_answer_t a;

    (void)state;
    assert_int_equal(dns_response_parse(buf, len, 0x1237, "nosuch.example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_NXDOMAIN);
    assert_int_equal(a.rcode, DNS_RCODE_NXDOMAIN);
    /* The question echoes "MAIL.Example.Test": compared without case. */
    len = hex_decode(LAB_NODATA, buf, sizeof(buf));
    assert_int_equal(dns_response_parse(buf, len, 0x1239, "mail.example.test", DNS_TYPE_MX, &a),
                     DNS_OK);
    assert_int_equal(a.count, 0);
    assert_int_equal(a.total, 0);
}

/* Every proper prefix of a complete response must fail, never succeed and
 * never read past the prefix (ASan watches a copy of exactly that size). */
static void expect_every_truncation_fails(const uint8_t *msg, size_t len, uint16_t id,
                                          const char *name, uint16_t qtype)
{
    dns_answer_t a;
    size_t cut;

    assert_int_equal(dns_response_parse(msg, len, id, name, qtype, &a), DNS_OK);
    for (cut = 0; cut < len; cut++) {
        uint8_t *copy = test_malloc(cut ? cut : 1);
        int rc;

        memcpy(copy, msg, cut);
        rc = dns_response_parse(copy, cut, id, name, qtype, &a);
        test_free(copy);
        if (rc == DNS_OK)
            fail_msg("prefix of %zu bytes of %zu accepted", cut, len);
        assert_int_equal(rc, DNS_ERR_SHORT);
    }
}

static void test_parser_fails_at_every_truncation_point(void **state)
{
    uint8_t buf[DNS_UDP_MAX];
    size_t len;
    msg_t m;

    (void)state;
    len = hex_decode(LAB_MX, buf, sizeof(buf));
    expect_every_truncation_fails(buf, len, 0x1234, "example.test", DNS_TYPE_MX);
    len = hex_decode(LAB_SRV, buf, sizeof(buf));
    expect_every_truncation_fails(buf, len, 0x1235, "_submission._tcp.example.test", DNS_TYPE_SRV);
    len = hex_decode(LAB_A, buf, sizeof(buf));
    expect_every_truncation_fails(buf, len, 0x1236, "mail.example.test", DNS_TYPE_A);

    /* A hand-built answer with two MX records and an authority record. */
    msg_start(&m, 9, RESPONSE, "example.test", DNS_TYPE_MX, 2, 1, 0);
    msg_mx(&m, OFF_EXAMPLE_TEST, 20, "mx2", OFF_EXAMPLE_TEST);
    msg_mx(&m, OFF_EXAMPLE_TEST, 10, "mx1", OFF_EXAMPLE_TEST);
    msg_u16(&m, 0xC000u | OFF_EXAMPLE_TEST);
    msg_rdlen_end(&m, msg_rr(&m, 2 /* NS */, 300)); /* empty NS data: skipped, not read */
    expect_every_truncation_fails(m.b, m.n, 9, "example.test", DNS_TYPE_MX);
}

static void test_parser_reports_each_failure_rcode_distinctly(void **state)
{
    static const struct {
        unsigned rcode;
        int rc;
    } cases[] = {
        {DNS_RCODE_NXDOMAIN, DNS_ERR_NXDOMAIN}, {DNS_RCODE_SERVFAIL, DNS_ERR_SERVFAIL},
        {DNS_RCODE_REFUSED, DNS_ERR_REFUSED},   {DNS_RCODE_FORMERR, DNS_ERR_RCODE},
        {DNS_RCODE_NOTIMP, DNS_ERR_RCODE},
    };
    dns_answer_t a;
    size_t i;
    msg_t m;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        msg_start(&m, 5, RESPONSE | cases[i].rcode, "example.test", DNS_TYPE_MX, 0, 0, 0);
        assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a),
                         cases[i].rc);
        assert_int_equal(a.rcode, cases[i].rcode);
        /* Servers may leave the question out of an error reply. */
        msg_header(&m, 5, RESPONSE | cases[i].rcode, 0, 0, 0, 0);
        assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a),
                         cases[i].rc);
    }
    assert_string_equal(dns_strerror(DNS_ERR_REFUSED), "query refused");
}

static void test_parser_reports_a_truncated_answer(void **state)
{
    dns_answer_t a;
    msg_t m;

    (void)state;
    msg_start(&m, 5, RESPONSE | 0x0200u, "example.test", DNS_TYPE_MX, 3, 0, 0);
    msg_mx(&m, OFF_EXAMPLE_TEST, 10, "mx1", OFF_EXAMPLE_TEST); /* the rest was cut off */
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_TRUNCATED);
    assert_int_equal(a.count, 0);
}

static void test_parser_rejects_responses_to_other_queries(void **state)
{
    uint8_t buf[DNS_UDP_MAX];
    size_t len = hex_decode(LAB_MX, buf, sizeof(buf));
    dns_answer_t a;
    msg_t m;

    (void)state;
    assert_int_equal(dns_response_parse(buf, len, 0x1235, "example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_ID_MISMATCH);
    assert_int_equal(dns_response_parse(buf, len, 0x1234, "example.org", DNS_TYPE_MX, &a),
                     DNS_ERR_QUESTION);
    assert_int_equal(dns_response_parse(buf, len, 0x1234, "mail.example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_QUESTION);
    assert_int_equal(dns_response_parse(buf, len, 0x1234, "example.test", DNS_TYPE_SRV, &a),
                     DNS_ERR_QUESTION);
    buf[2] &= 0x7F; /* QR clear: a query, not an answer */
    assert_int_equal(dns_response_parse(buf, len, 0x1234, "example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_NOT_RESPONSE);
    buf[2] |= 0x80 | (2 << 3); /* opcode STATUS */
    assert_int_equal(dns_response_parse(buf, len, 0x1234, "example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_OPCODE);

    /* Class CH instead of IN. */
    msg_header(&m, 5, RESPONSE, 1, 0, 0, 0);
    msg_name(&m, "example.test", -1);
    msg_u16(&m, DNS_TYPE_MX);
    msg_u16(&m, 3);
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_QUESTION);
    /* A NOERROR answer without its question cannot be tied to the query. */
    msg_header(&m, 5, RESPONSE, 0, 1, 0, 0);
    msg_name(&m, "example.test", -1);
    msg_rdlen_end(&m, msg_rr(&m, DNS_TYPE_A, 1));
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_QUESTION);
    /* Two questions. */
    msg_header(&m, 5, RESPONSE, 2, 0, 0, 0);
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_BAD_COUNT);
}

/* An answer of an opaque TXT record (owner example.test) whose data is
 * written by the caller, then an MX whose exchange is a bare pointer to
 * ptr: raw names are planted in the TXT data, where nothing else reads them.
 * Returns the offset of the TXT data; call msg_finish_mx() after writing. */
static size_t msg_start_planted(msg_t *m, size_t *at)
{
    msg_start(m, 5, RESPONSE, "example.test", DNS_TYPE_MX, 2, 0, 0);
    msg_u16(m, 0xC000u | OFF_EXAMPLE_TEST);
    *at = msg_rr(m, 16 /* TXT */, 60);
    return m->n;
}

static int msg_finish_mx(msg_t *m, size_t at, size_t ptr)
{
    dns_answer_t a;

    msg_rdlen_end(m, at);
    msg_mx(m, OFF_EXAMPLE_TEST, 10, "", (int)ptr);
    return dns_response_parse(m->b, m->n, 5, "example.test", DNS_TYPE_MX, &a);
}

static void test_parser_rejects_pointer_loops_and_forward_pointers(void **state)
{
    dns_answer_t a;
    size_t at, o;
    msg_t m;

    (void)state;
    /* An owner name that points at itself. */
    msg_start(&m, 5, RESPONSE, "example.test", DNS_TYPE_MX, 1, 0, 0);
    msg_u16(&m, 0xC000u | (unsigned)m.n);
    msg_rdlen_end(&m, msg_rr(&m, DNS_TYPE_MX, 1));
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_BAD_POINTER);

    /* Two names pointing at each other, "a" -> "b" -> "a"; the MX enters
     * the loop at "b". */
    o = msg_start_planted(&m, &at);
    msg_name(&m, "a", (int)o + 4);
    msg_name(&m, "b", (int)o);
    assert_int_equal(msg_finish_mx(&m, at, o + 4), DNS_ERR_BAD_POINTER);

    /* A forward pointer to a valid name later in the message. */
    msg_start(&m, 5, RESPONSE, "example.test", DNS_TYPE_MX, 1, 0, 0);
    msg_mx(&m, OFF_EXAMPLE_TEST, 10, "", (int)m.n + 16); /* just past this pointer */
    msg_name(&m, "mx.example.test", -1);
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_BAD_POINTER);

    /* A pointer into the header. */
    msg_start(&m, 5, RESPONSE, "example.test", DNS_TYPE_MX, 1, 0, 0);
    msg_mx(&m, 4, 10, "mx", OFF_EXAMPLE_TEST);
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_BAD_POINTER);

    /* Reserved label types 0x40 and 0x80 (the "mx" label of the exchange). */
    msg_start(&m, 5, RESPONSE, "example.test", DNS_TYPE_MX, 1, 0, 0);
    msg_mx(&m, OFF_EXAMPLE_TEST, 10, "mx", OFF_EXAMPLE_TEST);
    m.b[m.n - 5] = 0x42;
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_BAD_LABEL);
    m.b[m.n - 5] = 0x82;
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_BAD_LABEL);
}

/* n pointers, each to the one before, the first to "example.test". */
static size_t plant_pointer_chain(msg_t *m, size_t o, unsigned n)
{
    unsigned k;

    msg_u16(m, 0xC000u | OFF_EXAMPLE_TEST);
    for (k = 1; k < n; k++)
        msg_u16(m, 0xC000u | (unsigned)(o + 2 * (k - 1)));
    return o + 2 * (n - 1);
}

static void test_parser_bounds_the_pointers_followed_per_name(void **state)
{
    size_t at, o, last;
    msg_t m;

    (void)state;
    /* MX -> 10 chained pointers -> example.test: 11 jumps, fine. */
    o = msg_start_planted(&m, &at);
    last = plant_pointer_chain(&m, o, 10);
    assert_int_equal(msg_finish_mx(&m, at, last), DNS_OK);
    /* DNS_NAME_JUMPS_MAX + 1 jumps: refused although each points backwards. */
    o = msg_start_planted(&m, &at);
    last = plant_pointer_chain(&m, o, DNS_NAME_JUMPS_MAX);
    assert_int_equal(msg_finish_mx(&m, at, last), DNS_ERR_BAD_POINTER);
}

static void test_parser_rejects_names_over_255_bytes_built_by_compression(void **state)
{
    char label[64];
    size_t at, prev;
    unsigned i;
    msg_t m;

    (void)state;
    memset(label, 'x', 63);
    label[63] = '\0';
    /* Names of 63-byte labels, each ending with a pointer to the one before:
     * k labels + "example.test" take 64 k + 14 wire bytes. */
    for (i = 3; i <= 4; i++) {
        unsigned k;

        (void)msg_start_planted(&m, &at);
        prev = OFF_EXAMPLE_TEST;
        for (k = 0; k < i; k++) {
            size_t here = m.n;

            msg_name(&m, label, (int)prev);
            prev = here;
        }
        /* 206 bytes is fine, 270 is over 255. */
        assert_int_equal(msg_finish_mx(&m, at, prev), i == 3 ? DNS_OK : DNS_ERR_LONG_NAME);
    }
}

static void test_parser_stores_up_to_the_maximum_and_counts_the_rest(void **state)
{
    const unsigned n = DNS_ANSWERS_MAX + 4;
    dns_answer_t a;
    char exch[16];
    unsigned i;
    msg_t m;

    (void)state;
    msg_start(&m, 5, RESPONSE, "example.test", DNS_TYPE_MX, n, 0, 0);
    for (i = 0; i < n; i++) {
        snprintf(exch, sizeof(exch), "mx%u", i);
        msg_mx(&m, OFF_EXAMPLE_TEST, i, exch, OFF_EXAMPLE_TEST);
    }
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a), DNS_OK);
    assert_int_equal(a.count, DNS_ANSWERS_MAX);
    assert_int_equal(a.total, n);
    assert_string_equal(a.rr[DNS_ANSWERS_MAX - 1].u.mx.exchange, "mx15.example.test");
}

static void test_parser_follows_cnames_and_skips_other_records(void **state)
{
    dns_answer_t a;
    size_t alias, target, at;
    msg_t m;

    (void)state;
    /* MX alias.example.test: CNAME -> mx-host.example.test, an unknown TXT
     * record, an MX of an unrelated owner, then the MX of the target. */
    msg_start(&m, 5, RESPONSE, "alias.example.test", DNS_TYPE_MX, 4, 0, 0);
    alias = OFF_EXAMPLE_TEST;
    msg_u16(&m, 0xC000u | (unsigned)alias);
    at = msg_rr(&m, DNS_TYPE_CNAME, 60);
    target = m.n;
    msg_name(&m, "mx-host", OFF_EXAMPLE_TEST + 6);
    msg_rdlen_end(&m, at);
    msg_u16(&m, 0xC000u | (unsigned)target);
    at = msg_rr(&m, 16 /* TXT */, 60);
    msg_u8(&m, 3);
    msg_u8(&m, 'h');
    msg_u8(&m, 'i');
    msg_u8(&m, '!');
    msg_rdlen_end(&m, at);
    msg_mx(&m, OFF_EXAMPLE_TEST + 6, 1, "evil", OFF_EXAMPLE_TEST + 6); /* owner example.test */
    msg_mx(&m, (int)target, 5, "relay", OFF_EXAMPLE_TEST + 6);
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "Alias.Example.Test", DNS_TYPE_MX, &a),
                     DNS_OK);
    assert_int_equal(a.count, 1);
    assert_int_equal(a.skipped, 3);
    assert_int_equal(a.rr[0].u.mx.preference, 5);
    assert_string_equal(a.rr[0].u.mx.exchange, "relay.example.test");
}

static void test_parser_skips_targets_that_are_not_host_names(void **state)
{
    dns_answer_t a;
    msg_t m;

    (void)state;
    msg_start(&m, 5, RESPONSE, "example.test", DNS_TYPE_MX, 2, 0, 0);
    msg_mx(&m, OFF_EXAMPLE_TEST, 10, "bad", OFF_EXAMPLE_TEST);
    m.b[m.n - 4] = '.'; /* "b.d": a dot inside a label */
    msg_mx(&m, OFF_EXAMPLE_TEST, 20, "good", OFF_EXAMPLE_TEST);
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a), DNS_OK);
    assert_int_equal(a.count, 1);
    assert_int_equal(a.skipped, 1);
    assert_string_equal(a.rr[0].u.mx.exchange, "good.example.test");
}

static void test_parser_rejects_record_data_of_the_wrong_length(void **state)
{
    uint8_t buf[DNS_UDP_MAX];
    size_t len = hex_decode(LAB_A, buf, sizeof(buf));
    dns_answer_t a;
    msg_t m;

    (void)state;
    /* An A record of 3 bytes (RDLENGTH patched, message cut to match). */
    buf[len - 5] = 3;
    assert_int_equal(dns_response_parse(buf, len - 1, 0x1236, "mail.example.test", DNS_TYPE_A, &a),
                     DNS_ERR_BAD_RDATA);
    /* An MX whose name ends before its RDLENGTH says. */
    msg_start(&m, 5, RESPONSE, "example.test", DNS_TYPE_MX, 1, 0, 0);
    msg_mx(&m, OFF_EXAMPLE_TEST, 10, "mx", OFF_EXAMPLE_TEST);
    m.b[m.n - 8]++; /* RDLENGTH one more than the data */
    msg_u8(&m, 0);
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_BAD_RDATA);
    /* An SRV of 6 bytes: no target. */
    msg_start(&m, 5, RESPONSE, "_s._tcp.example.test", DNS_TYPE_SRV, 1, 0, 0);
    msg_u16(&m, 0xC000u | OFF_EXAMPLE_TEST);
    msg_u16(&m, DNS_TYPE_SRV);
    msg_u16(&m, DNS_CLASS_IN);
    msg_u32(&m, 1);
    msg_u16(&m, 6);
    msg_u32(&m, 0);
    msg_u16(&m, 25);
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "_s._tcp.example.test", DNS_TYPE_SRV, &a),
                     DNS_ERR_BAD_RDATA);
}

static void test_sort_orders_mx_by_preference_keeping_ties_in_server_order(void **state)
{
    static const unsigned pref[] = {20, 10, 30, 10};
    dns_answer_t a;
    char exch[8];
    unsigned i;
    msg_t m;

    (void)state;
    msg_start(&m, 5, RESPONSE, "example.test", DNS_TYPE_MX, 4, 0, 0);
    for (i = 0; i < 4; i++) {
        snprintf(exch, sizeof(exch), "m%u", i);
        msg_mx(&m, OFF_EXAMPLE_TEST, pref[i], exch, OFF_EXAMPLE_TEST);
    }
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a), DNS_OK);
    dns_answer_sort(&a);
    assert_string_equal(a.rr[0].u.mx.exchange, "m1.example.test");
    assert_string_equal(a.rr[1].u.mx.exchange, "m3.example.test");
    assert_string_equal(a.rr[2].u.mx.exchange, "m0.example.test");
    assert_string_equal(a.rr[3].u.mx.exchange, "m2.example.test");
    dns_answer_sort(NULL);
}

static void test_sort_orders_srv_by_priority_then_heaviest_weight(void **state)
{
    static const unsigned prio[] = {1, 0, 0, 0};
    static const unsigned weight[] = {100, 5, 60, 5};
    const char *q = "_submission._tcp.example.test";
    dns_answer_t a;
    char target[8];
    unsigned i;
    msg_t m;

    (void)state;
    msg_start(&m, 5, RESPONSE, q, DNS_TYPE_SRV, 4, 0, 0);
    for (i = 0; i < 4; i++) {
        snprintf(target, sizeof(target), "s%u", i);
        msg_srv(&m, OFF_EXAMPLE_TEST, prio[i], weight[i], 587, target,
                OFF_EXAMPLE_TEST + 17); /* "example.test" inside the question */
    }
    assert_int_equal(dns_response_parse(m.b, m.n, 5, q, DNS_TYPE_SRV, &a), DNS_OK);
    dns_answer_sort(&a);
    assert_string_equal(a.rr[0].u.srv.target, "s2.example.test");
    assert_string_equal(a.rr[1].u.srv.target, "s1.example.test");
    assert_string_equal(a.rr[2].u.srv.target, "s3.example.test");
    assert_string_equal(a.rr[3].u.srv.target, "s0.example.test");
}

static void test_a_dot_target_means_no_service(void **state)
{
    const char *q = "_submissions._tcp.example.test";
    dns_answer_t a;
    msg_t m;

    (void)state;
    msg_start(&m, 5, RESPONSE, q, DNS_TYPE_SRV, 1, 0, 0);
    msg_srv(&m, OFF_EXAMPLE_TEST, 0, 0, 0, "", -1);
    assert_int_equal(dns_response_parse(m.b, m.n, 5, q, DNS_TYPE_SRV, &a), DNS_OK);
    assert_int_equal(a.count, 1);
    assert_string_equal(a.rr[0].u.srv.target, ".");
    assert_true(dns_answer_is_null(&a));

    /* RFC 7505 null MX. */
    msg_start(&m, 5, RESPONSE, "example.test", DNS_TYPE_MX, 1, 0, 0);
    msg_mx(&m, OFF_EXAMPLE_TEST, 0, "", -1);
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a), DNS_OK);
    assert_true(dns_answer_is_null(&a));

    /* No record is not "null": it is NODATA. */
    msg_start(&m, 5, RESPONSE, "example.test", DNS_TYPE_MX, 0, 0, 0);
    assert_int_equal(dns_response_parse(m.b, m.n, 5, "example.test", DNS_TYPE_MX, &a), DNS_OK);
    assert_false(dns_answer_is_null(&a));
    assert_false(dns_answer_is_null(NULL));
}

static void test_parser_refuses_null_arguments_and_bad_names(void **state)
{
    uint8_t buf[DNS_UDP_MAX];
    size_t len = hex_decode(LAB_MX, buf, sizeof(buf));
    dns_answer_t a;

    (void)state;
    assert_int_equal(dns_response_parse(buf, len, 0x1234, "example.test", DNS_TYPE_MX, NULL),
                     DNS_ERR_BAD_ARGS);
    assert_int_equal(dns_response_parse(NULL, 5, 0x1234, "example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_BAD_ARGS);
    assert_int_equal(dns_response_parse(NULL, 0, 0x1234, "example.test", DNS_TYPE_MX, &a),
                     DNS_ERR_SHORT);
    assert_int_equal(dns_response_parse(buf, len, 0x1234, NULL, DNS_TYPE_MX, &a), DNS_ERR_BAD_ARGS);
    assert_int_equal(dns_response_parse(buf, len, 0x1234, "example..test", DNS_TYPE_MX, &a),
                     DNS_ERR_NAME_EMPTY_LABEL);
    assert_int_equal(dns_response_parse(buf, len, 0x1234, "example.test", 28, &a),
                     DNS_ERR_BAD_QTYPE);
    assert_int_equal(dns_answer_addr(NULL, "x", buf), DNS_ERR_BAD_ARGS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_builder_writes_an_mx_query_with_rd_set),
        cmocka_unit_test(test_query_builder_accepts_a_trailing_dot_and_underscores_for_srv),
        cmocka_unit_test(test_query_builder_rejects_bad_names_with_named_errors),
        cmocka_unit_test(test_query_builder_rejects_other_types_small_buffers_and_null),
        cmocka_unit_test(test_parser_reads_the_lab_mx_answer_and_its_address),
        cmocka_unit_test(test_parser_reads_the_lab_srv_answer),
        cmocka_unit_test(test_parser_reads_the_lab_a_answer),
        cmocka_unit_test(test_parser_reports_nxdomain_and_nodata_from_the_lab),
        cmocka_unit_test(test_parser_fails_at_every_truncation_point),
        cmocka_unit_test(test_parser_reports_each_failure_rcode_distinctly),
        cmocka_unit_test(test_parser_reports_a_truncated_answer),
        cmocka_unit_test(test_parser_rejects_responses_to_other_queries),
        cmocka_unit_test(test_parser_rejects_pointer_loops_and_forward_pointers),
        cmocka_unit_test(test_parser_bounds_the_pointers_followed_per_name),
        cmocka_unit_test(test_parser_rejects_names_over_255_bytes_built_by_compression),
        cmocka_unit_test(test_parser_stores_up_to_the_maximum_and_counts_the_rest),
        cmocka_unit_test(test_parser_follows_cnames_and_skips_other_records),
        cmocka_unit_test(test_parser_skips_targets_that_are_not_host_names),
        cmocka_unit_test(test_parser_rejects_record_data_of_the_wrong_length),
        cmocka_unit_test(test_sort_orders_mx_by_preference_keeping_ties_in_server_order),
        cmocka_unit_test(test_sort_orders_srv_by_priority_then_heaviest_weight),
        cmocka_unit_test(test_a_dot_target_means_no_service),
        cmocka_unit_test(test_parser_refuses_null_arguments_and_bad_names),
    };

    return cmocka_run_group_tests_name("dns", tests, NULL, NULL);
}
