/*
 * libFuzzer target: the LDAP client engine (addrbook/ldap_client.c) fed
 * arbitrary server bytes after a bind and a paged search, with the
 * autocomplete engine (addrbook/ldap_complete.c) listening to its events.
 * Build: make BUILD=... BUILD/fuzz/fuzz_ldap
 *
 * Input layout: byte 0 = feed chunk size (0: all at once), byte 1 bit 0 =
 * page size 1 (else no paging), bit 1 = tick past the timeout at the end,
 * bit 2 = abandon and search again midway, bit 3 = ppolicy control on the
 * bind; the rest is what the server says.
 * Invariants checked: the output never exceeds the buffer; entries
 * delivered never exceed the budget; a finished search leaves the engine
 * idle or failed; the completer never shows more than its maximum.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ldap_complete.h"

typedef struct {
    ldap_complete_t *ac;
    unsigned entries;
} fuzz_ctx_t;

static void fuzz_event(void *arg, const ldap_event_t *ev)
{
    fuzz_ctx_t *x = arg;

    if (ev->type == LDAP_EV_ENTRY) {
        x->entries++;
        if (ev->dn == NULL || strlen(ev->dn) >= LDAP_DN_MAX) {
            abort();
        }
    }
    if (ev->type == LDAP_EV_SEARCH_DONE && ev->entries > LDAP_COMPLETE_MAX + 1) {
        abort();
    }
    ldap_complete_event(x->ac, ev);
}

static void fuzz_drain(ldap_client_t *c)
{
    size_t len;
    const uint8_t *p = ldap_client_output(c, &len);

    if (p != NULL && len > LDAP_OUTBUF_MIN) {
        abort();
    }
    (void)ldap_client_sent(c, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[LDAP_OUTBUF_MIN];
    static ldap_client_t c;
    static ldap_complete_t ac;
    fuzz_ctx_t x = {&ac, 0};
    ldap_config_t cfg = {fuzz_event, &x, 1000, 1, 0, 0};
    ldap_complete_config_t acfg = {"dc=example,dc=test", NULL, 0, "cn", "mail", 0, 10, 0, 0};
    size_t chunk;
    size_t pos = 3;
    uint32_t now = 0;
    uint8_t flags;
    size_t n;
    const ldap_suggestion_t *r;

    if (size < 3) {
        return 0;
    }
    chunk = data[0];
    flags = data[1];
    acfg.page_size = (flags & 1) ? 1 : 0;
    cfg.ppolicy = (flags & 8) != 0;
    if (ldap_client_init(&c, &cfg, out, sizeof out) != 0 || ldap_client_start(&c, 0) != 0 ||
        ldap_complete_init(&ac, &acfg, &c) != 0) {
        abort();
    }
    (void)ldap_client_bind(&c, "cn=svc,dc=example,dc=test", "pw");
    fuzz_drain(&c);
    /* Let the bind be answered by the input; the completer asks once idle. */
    (void)ldap_complete_input(&ac, "an", 2, now);
    while (pos < size) {
        n = chunk == 0 ? size - pos : (chunk < size - pos ? chunk : size - pos);
        now += 20;
        (void)ldap_client_feed(&c, data + pos, n, now);
        (void)ldap_complete_tick(&ac, now);
        (void)ldap_client_tick(&c, now);
        fuzz_drain(&c);
        if ((flags & 4) && pos < size / 2 && pos + n >= size / 2) {
            (void)ldap_complete_input(&ac, "ann", 3, now);
        }
        pos += n;
        r = ldap_complete_results(&ac, &n);
        if (n > LDAP_COMPLETE_MAX || (n > 0 && r == NULL)) {
            abort();
        }
    }
    if (flags & 2) {
        (void)ldap_client_tick(&c, now + 5000);
        (void)ldap_complete_tick(&ac, now + 5000);
    }
    if (ldap_client_status(&c) == LDAP_CLIENT_RUNNING && c.op == 0 && c.search != NULL) {
        abort();
    }
    ldap_complete_free(&ac);
    ldap_client_free(&c);
    return 0;
}
