/*
 * libFuzzer target: the DNS response parser and query builder (smtp/dns.c).
 * Built by `make fuzz` (smtp/dns.c is in FUZZ_LIB), or by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_DEFAULT_SOURCE \
 *     -Ismtp/include tests/fuzz/fuzz_dns.c smtp/dns.c -o build/fuzz_dns
 * Good seeds: the LAB_* answers in tests/unit/dns/test_dns.c, as binary.
 *
 * The input is parsed as a response to an MX, an SRV and an A query whose id
 * is the input's first two bytes (so the id check does not stop every
 * input). An accepted answer must hold its bounds, its names must be valid
 * host names (the builder accepts them) and the helpers must not fail on it.
 * The input is also tried as a name: a query the builder accepts must parse
 * as an empty answer to itself once its QR bit is set.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

static void check_name(const char *name)
{
    uint8_t q[DNS_QUERY_MAX];
    size_t len = strnlen(name, DNS_NAME_TEXT_MAX);

    if (len >= DNS_NAME_TEXT_MAX)
        abort();
    if (strcmp(name, ".") != 0 && dns_query_build(q, sizeof(q), 0, name, DNS_TYPE_SRV, &len) != 0)
        abort();
}

static void check_answer(const dns_answer_t *a)
{
    uint8_t addr[4];
    unsigned i;

    if (a->count > DNS_ANSWERS_MAX || a->count > a->total || a->addr_count > DNS_ADDRS_MAX)
        abort();
    for (i = 0; i < a->count; i++) {
        const dns_rr_t *r = &a->rr[i];

        if (r->type != a->qtype)
            abort();
        if (r->type == DNS_TYPE_MX)
            check_name(r->u.mx.exchange);
        else if (r->type == DNS_TYPE_SRV)
            check_name(r->u.srv.target);
    }
    for (i = 0; i < a->addr_count; i++) {
        check_name(a->addr[i].name);
        if (dns_answer_addr(a, a->addr[i].name, addr) != DNS_OK)
            abort();
    }
}

static void fuzz_response(const uint8_t *data, size_t size, const char *name, uint16_t qtype)
{
    uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
    dns_answer_t a;
    unsigned i;

    if (dns_response_parse(data, size, id, name, qtype, &a) != DNS_OK)
        return;
    check_answer(&a);
    dns_answer_sort(&a);
    check_answer(&a);
    for (i = 1; i < a.count; i++) {
        const dns_rr_t *p = &a.rr[i - 1], *r = &a.rr[i];

        if ((qtype == DNS_TYPE_MX && p->u.mx.preference > r->u.mx.preference) ||
            (qtype == DNS_TYPE_SRV && p->u.srv.priority > r->u.srv.priority))
            abort();
    }
    (void)dns_answer_is_null(&a);
}

static void fuzz_query(const uint8_t *data, size_t size)
{
    char name[300];
    uint8_t q[DNS_QUERY_MAX];
    size_t len = 0, n = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
    static const uint16_t types[] = {DNS_TYPE_A, DNS_TYPE_MX, DNS_TYPE_SRV};
    dns_answer_t a;
    size_t t;

    memcpy(name, data, n);
    name[n] = '\0';
    for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        if (dns_query_build(q, sizeof(q), 0x4242, name, types[t], &len) != DNS_OK)
            continue;
        if (len > DNS_QUERY_MAX)
            abort();
        q[2] |= 0x80; /* QR: the query echoed back as an empty answer */
        if (dns_response_parse(q, len, 0x4242, name, types[t], &a) != DNS_OK || a.count != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_response(data, size, "example.test", DNS_TYPE_MX);
    fuzz_response(data, size, "_submission._tcp.example.test", DNS_TYPE_SRV);
    fuzz_response(data, size, "mail.example.test", DNS_TYPE_A);
    fuzz_query(data, size);
    return 0;
}
