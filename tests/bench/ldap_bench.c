/* Benchmark: the LDAP client decoding a recorded search response. Prints
 * figures; never judges time. tests/bench/ldap.sh records the response from
 * the lab's slapd (an anonymous bind, then the autocomplete search for "a"
 * with the largest size limit the client accepts), builds this file by hand
 * and runs it under callgrind:
 *
 *   cc -O2 -g -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Iaddrbook/include \
 *      -o ldap_bench tests/bench/ldap_bench.c addrbook/ldap_client.c \
 *      addrbook/ldap_filter.c addrbook/ldap_complete.c -lmbedcrypto
 *   valgrind --tool=callgrind --callgrind-out-file=cg.out ./ldap_bench response.ber
 *   callgrind_annotate --inclusive=yes cg.out | grep ldap_bench_decode
 *
 * and divide ldap_bench_decode's inclusive count by the entries printed.
 * The response is fed in 1460-byte pieces (one TCP segment each), as the
 * transport would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldap_client.h"
#include "ldap_complete.h"

#define BENCH_SEGMENT 1460
#define BENCH_FILE_MAX (1024 * 1024)

typedef struct {
    unsigned entries;
    unsigned with_mail;
    int done;
    int done_error;
    int done_rc;
    int failed;
} bench_count_t;

static uint8_t bench_file[BENCH_FILE_MAX];
static uint8_t bench_out[LDAP_OUTBUF_MIN];

static void bench_event(void *arg, const ldap_event_t *ev)
{
    bench_count_t *n = arg;

    if (ev->type == LDAP_EV_ENTRY) {
        n->entries++;
        n->with_mail += ev->values[1] != NULL;
    } else if (ev->type == LDAP_EV_SEARCH_DONE) {
        n->done = 1;
        n->done_error = ev->error;
        n->done_rc = ev->result_code;
    } else if (ev->type == LDAP_EV_FAILED) {
        n->failed = ev->error;
    }
}

/* Length of the BER element at p (tag, length, contents), 0 if not whole. */
static size_t bench_pdu_len(const uint8_t *p, size_t len)
{
    size_t hdr = 2;
    size_t body = 0;
    size_t i;

    if (len < 2) {
        return 0;
    }
    if (p[1] & 0x80) {
        hdr += p[1] & 0x7F;
        if (hdr > len || hdr > 6) {
            return 0;
        }
        for (i = 2; i < hdr; i++) {
            body = (body << 8) | p[i];
        }
    } else {
        body = p[1];
    }
    return hdr + body <= len ? hdr + body : 0;
}

static void bench_drain(ldap_client_t *c)
{
    size_t len;

    (void)ldap_client_output(c, &len);
    (void)ldap_client_sent(c, len);
}

__attribute__((noinline)) static int ldap_bench_decode(ldap_client_t *c, const uint8_t *p,
                                                       size_t len)
{
    size_t off;

    for (off = 0; off < len; off += BENCH_SEGMENT) {
        size_t n = len - off < BENCH_SEGMENT ? len - off : BENCH_SEGMENT;

        if (ldap_client_feed(c, p + off, n, 1) != 0) {
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const char *const attrs[] = {"displayName", "mail"};
    ldap_filter_spec_t spec = {"a", 1, ldap_filter_default_attrs, 5, 0, "mail"};
    ldap_search_t s = {
        "dc=example,dc=test", LDAP_SCOPE_SUB, &spec, attrs, 2, LDAP_ENTRIES_MAX, 0, 0};
    ldap_config_t cfg;
    static ldap_client_t c;
    bench_count_t n;
    size_t len;
    size_t first;
    FILE *f;
    int rc = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: ldap_bench RESPONSE.ber (bind response, then the search's)\n");
        return 2;
    }
    f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    len = fread(bench_file, 1, sizeof bench_file, f);
    fclose(f);
    first = bench_pdu_len(bench_file, len);
    if (first == 0) {
        fprintf(stderr, "ldap_bench: %s does not start with a whole LDAPMessage\n", argv[1]);
        return 1;
    }
    memset(&cfg, 0, sizeof cfg);
    memset(&n, 0, sizeof n);
    cfg.event = bench_event;
    cfg.event_arg = &n;
    if (ldap_client_init(&c, &cfg, bench_out, sizeof bench_out) != 0 ||
        ldap_client_start(&c, 0) != 0 || ldap_client_bind(&c, NULL, NULL) != 1) {
        fprintf(stderr, "ldap_bench: cannot start the client\n");
        goto exit;
    }
    bench_drain(&c);
    if (ldap_client_feed(&c, bench_file, first, 1) != 0 || ldap_client_search(&c, &s) != 2) {
        fprintf(stderr, "ldap_bench: the recorded bind response was not accepted\n");
        goto exit;
    }
    bench_drain(&c);
    if (ldap_bench_decode(&c, bench_file + first, len - first) != 0 || !n.done || n.failed) {
        fprintf(stderr, "ldap_bench: the recorded search did not decode (failed %d, %s)\n",
                n.failed, c.fail.diag);
        goto exit;
    }
    printf("response_bytes %zu\n", len - first);
    printf("pdus %u\n", (unsigned)c.stats.pdus_in - 1);
    printf("entries %u\n", n.entries);
    printf("entries_with_mail %u\n", n.with_mail);
    printf("result_code %d\n", n.done_rc);
    printf("sizeof_ldap_client_t %zu\n", sizeof(ldap_client_t));
    printf("client_outbuf %zu\n", sizeof bench_out);
    printf("sizeof_ldap_complete_t %zu\n", sizeof(ldap_complete_t));
    rc = 0;
exit:
    ldap_client_free(&c);
    return rc;
}
