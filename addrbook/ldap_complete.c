/*
 * ldap_complete.c - sans-IO autocomplete over an LDAP directory. Contract
 * in ldap_complete.h.
 */
#include "ldap_complete.h"

#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <string.h>

static uint32_t ldap_ac_max(const ldap_complete_t *ac);
static int ldap_ac_local(ldap_complete_t *ac);
static void ldap_ac_start(ldap_complete_t *ac);
static void ldap_ac_abandon(ldap_complete_t *ac);
static ldap_complete_slot_t *ldap_ac_find(ldap_complete_t *ac, const char *key, size_t len,
                                          int *exact);
static ldap_complete_slot_t *ldap_ac_new_slot(ldap_complete_t *ac, const char *key, size_t len);
static void ldap_ac_filter(ldap_complete_slot_t *dst, const ldap_complete_slot_t *src);
static int ldap_ac_add(ldap_complete_t *ac, const char *name, const char *mail);
static void ldap_ac_error(ldap_complete_t *ac, int err, const char *diag);
static size_t ldap_fold(const char *in, size_t n, char *out, size_t cap);
static int ldap_word_prefix(const char *s, const char *key, size_t key_len);
static void ldap_strlcpy(char *dst, const char *src, size_t cap);

int ldap_complete_init(ldap_complete_t *ac, const ldap_complete_config_t *cfg, ldap_client_t *client)
{
    if (ac == NULL) {
        return LDAP_ERR_BAD_ARGS;
    }
    memset(ac, 0, sizeof(*ac));
    if (cfg == NULL || client == NULL || cfg->base_dn == NULL ||
        (cfg->filter_attrs != NULL && cfg->filter_attr_count == 0)) {
        return LDAP_ERR_BAD_ARGS;
    }
    ac->cfg = cfg;
    ac->client = client;
    ac->attrs[0] = cfg->name_attr != NULL ? cfg->name_attr : "displayName";
    ac->attrs[1] = cfg->mail_attr != NULL ? cfg->mail_attr : "mail";
    ac->spec.attrs = cfg->filter_attrs != NULL ? cfg->filter_attrs : ldap_filter_default_attrs;
    ac->spec.attr_count = cfg->filter_attrs != NULL ? cfg->filter_attr_count : 5;
    ac->spec.present = ac->attrs[1];
    ac->spec.value = ac->q;
    ac->spec.value_len = 1;
    ac->q[0] = 'a';
    /* Check the attribute names once with a dummy value. */
    if (ldap_filter_check(&ac->spec) != 0) {
        return LDAP_ERR_BAD_ARGS;
    }
    ac->search.base_dn = cfg->base_dn;
    ac->search.scope = LDAP_SCOPE_SUB;
    ac->search.filter = &ac->spec;
    ac->search.attrs = ac->attrs;
    ac->search.attr_count = 2;
    ac->search.size_limit = ldap_ac_max(ac) + 1;
    ac->search.time_limit_s = cfg->time_limit_s;
    ac->search.page_size = cfg->page_size;
    return 0;
}

int ldap_complete_input(ldap_complete_t *ac, const char *text, size_t len, uint32_t now_ms)
{
    int rc;

    if (ac == NULL || ac->cfg == NULL || (text == NULL && len > 0)) {
        return LDAP_ERR_BAD_ARGS;
    }
    if (len == ac->text_len && (len == 0 || memcmp(text, ac->text, len) == 0)) {
        return 0; /* same text (a cursor key): nothing changes */
    }
    ldap_ac_abandon(ac);
    ac->slot = NULL;
    ac->error = 0;
    ac->message[0] = '\0';
    ac->text_len = 0;
    ac->key_pending = 0;
    if (len == 0) {
        ac->state = LDAP_COMPLETE_IDLE;
        return 0;
    }
    rc = len > LDAP_PREFIX_MAX ? LDAP_ERR_BAD_ARGS : ldap_utf8_check(text, len);
    if (rc != 0) {
        ldap_ac_error(ac, rc, NULL);
        return rc;
    }
    memcpy(ac->text, text, len);
    ac->text_len = len;
    /* The debounce only spares the server a search per key: what the cache
     * holds is shown at once. */
    if (ldap_ac_local(ac)) {
        return 0;
    }
    ac->key_pending = 1;
    ac->key_at = now_ms;
    ac->state = LDAP_COMPLETE_WAITING;
    return 0;
}

int ldap_complete_tick(ldap_complete_t *ac, uint32_t now_ms)
{
    uint32_t debounce;

    if (ac == NULL || ac->cfg == NULL || !ac->key_pending) {
        return 0;
    }
    debounce = ac->cfg->debounce_ms != 0 ? ac->cfg->debounce_ms : LDAP_COMPLETE_DEBOUNCE_MS;
    if ((uint32_t)(now_ms - ac->key_at) < debounce) {
        return 0;
    }
    if (ldap_client_status(ac->client) != LDAP_CLIENT_RUNNING) {
        ac->key_pending = 0;
        ldap_ac_error(ac, ac->client->fail.error != 0 ? ac->client->fail.error : LDAP_ERR_CLOSED,
                      ac->client->fail.diag);
        return 0;
    }
    if (!ldap_client_idle(ac->client)) {
        return 0; /* a bind or StartTLS still runs: ask later */
    }
    ac->key_pending = 0;
    ldap_ac_start(ac);
    return 0;
}

void ldap_complete_event(ldap_complete_t *ac, const ldap_event_t *ev)
{
    if (ac == NULL || ev == NULL || ac->cfg == NULL) {
        return;
    }
    if (ev->type == LDAP_EV_FAILED) {
        ac->inflight = 0;
        ldap_ac_error(ac, ev->error, ev->diag);
        return;
    }
    if (!ac->inflight || ac->slot == NULL) {
        return; /* a bind's, or nothing we asked for */
    }
    if (ev->type == LDAP_EV_ENTRY) {
        if (ldap_ac_add(ac, ev->values[0], ev->values[1]) != 0) {
            ac->more = 1;
        }
    } else if (ev->type == LDAP_EV_SEARCH_DONE) {
        ac->inflight = 0;
        if (ev->error != 0) {
            ldap_ac_error(ac, ev->error, ev->diag);
            return;
        }
        ac->slot->complete = !ev->partial && !ac->more;
        ac->slot->used = 1;
        ac->state = ac->slot->complete ? LDAP_COMPLETE_DONE : LDAP_COMPLETE_PARTIAL;
    }
}

const ldap_suggestion_t *ldap_complete_results(const ldap_complete_t *ac, size_t *count)
{
    if (count != NULL) {
        *count = 0;
    }
    if (ac == NULL || ac->slot == NULL) {
        return NULL;
    }
    if (count != NULL) {
        *count = ac->slot->n;
    }
    return ac->slot->r;
}

ldap_complete_state_t ldap_complete_state(const ldap_complete_t *ac)
{
    return ac != NULL ? ac->state : LDAP_COMPLETE_ERROR;
}

const char *ldap_complete_message(const ldap_complete_t *ac)
{
    return ac != NULL ? ac->message : "";
}

const char *ldap_complete_state_name(ldap_complete_state_t st)
{
    switch (st) {
    case LDAP_COMPLETE_IDLE: return "idle";
    case LDAP_COMPLETE_WAITING: return "waiting";
    case LDAP_COMPLETE_SEARCHING: return "searching";
    case LDAP_COMPLETE_DONE: return "done";
    case LDAP_COMPLETE_PARTIAL: return "partial";
    case LDAP_COMPLETE_ERROR: return "error";
    default: return "unknown";
    }
}

void ldap_complete_free(ldap_complete_t *ac)
{
    if (ac != NULL) {
        mbedtls_platform_zeroize(ac, sizeof(*ac));
    }
}

static uint32_t ldap_ac_max(const ldap_complete_t *ac)
{
    uint32_t m = ac->cfg->max_results;

    return m == 0 || m > LDAP_COMPLETE_MAX ? LDAP_COMPLETE_MAX : m;
}

/* Answer ac->text from the cache: its exact slot, or the results of a
 * complete shorter prefix filtered here. 1 when answered, 0 when only the
 * server can. */
static int ldap_ac_local(ldap_complete_t *ac)
{
    char key[sizeof(ac->cache[0].key)];
    size_t key_len = ldap_fold(ac->text, ac->text_len, key, sizeof(key));
    ldap_complete_slot_t *hit;
    int exact = 0;

    hit = ldap_ac_find(ac, key, key_len, &exact);
    if (hit == NULL) {
        return 0;
    }
    if (exact) {
        hit->age = ++ac->clock;
        ac->slot = hit;
        ac->state = hit->complete ? LDAP_COMPLETE_DONE : LDAP_COMPLETE_PARTIAL;
        ac->stats.cache_hits++;
        return 1;
    }
    ac->slot = ldap_ac_new_slot(ac, key, key_len);
    ldap_ac_filter(ac->slot, hit);
    ac->slot->complete = 1;
    ac->slot->used = 1;
    ac->state = LDAP_COMPLETE_DONE;
    ac->stats.local_hits++;
    return 1;
}

/* The debounce ran out for ac->text, which the cache cannot answer: a
 * search into a new slot. */
static void ldap_ac_start(ldap_complete_t *ac)
{
    char key[sizeof(ac->cache[0].key)];
    size_t key_len = ldap_fold(ac->text, ac->text_len, key, sizeof(key));
    int rc;

    ac->slot = ldap_ac_new_slot(ac, key, key_len);
    memcpy(ac->q, ac->text, ac->text_len);
    ac->spec.value_len = ac->text_len;
    ac->more = 0;
    rc = ldap_client_search(ac->client, &ac->search);
    if (rc < 0) {
        ldap_ac_error(ac, rc, NULL);
        return;
    }
    ac->inflight = 1;
    ac->state = LDAP_COMPLETE_SEARCHING;
    ac->stats.searches++;
}

static void ldap_ac_abandon(ldap_complete_t *ac)
{
    if (ac->inflight) {
        ac->inflight = 0;
        if (ldap_client_abandon(ac->client) == 0) {
            ac->stats.abandons++;
        }
    }
}

/* An exact slot for key, else the longest complete slot whose key is a
 * prefix of key (its results hold every match of key). */
static ldap_complete_slot_t *ldap_ac_find(ldap_complete_t *ac, const char *key, size_t len,
                                          int *exact)
{
    ldap_complete_slot_t *best = NULL;
    size_t i;

    for (i = 0; i < LDAP_COMPLETE_CACHE_SLOTS; i++) {
        ldap_complete_slot_t *s = &ac->cache[i];

        if (!s->used || s->key_len > len || memcmp(s->key, key, s->key_len) != 0) {
            continue;
        }
        if (s->key_len == len) {
            *exact = 1;
            return s;
        }
        if (s->complete && (best == NULL || s->key_len > best->key_len)) {
            best = s;
        }
    }
    return best;
}

/* A free slot, else the least recently used one. */
static ldap_complete_slot_t *ldap_ac_new_slot(ldap_complete_t *ac, const char *key, size_t len)
{
    ldap_complete_slot_t *s = &ac->cache[0];
    size_t i;

    for (i = 0; i < LDAP_COMPLETE_CACHE_SLOTS; i++) {
        if (!ac->cache[i].used) {
            s = &ac->cache[i];
            break;
        }
        if (ac->cache[i].age < s->age) {
            s = &ac->cache[i];
        }
    }
    memset(s, 0, sizeof(*s));
    memcpy(s->key, key, len);
    s->key_len = len;
    s->age = ++ac->clock;
    return s;
}

/* dst gets the entries of src that match dst's (longer) key. */
static void ldap_ac_filter(ldap_complete_slot_t *dst, const ldap_complete_slot_t *src)
{
    size_t i;

    for (i = 0; i < src->n; i++) {
        if (ldap_word_prefix(src->r[i].mail, dst->key, dst->key_len) ||
            ldap_word_prefix(src->r[i].name, dst->key, dst->key_len)) {
            dst->r[dst->n++] = src->r[i];
        }
    }
}

/* Returns 1 when the list is full (the entry is one too many). */
static int ldap_ac_add(ldap_complete_t *ac, const char *name, const char *mail)
{
    ldap_complete_slot_t *s = ac->slot;
    size_t i;

    if (mail == NULL || strlen(mail) >= LDAP_COMPLETE_MAIL_MAX) {
        return 0;
    }
    for (i = 0; i < s->n; i++) {
        if (strcasecmp(s->r[i].mail, mail) == 0) {
            return 0;
        }
    }
    if (s->n >= ldap_ac_max(ac)) {
        return 1;
    }
    ldap_strlcpy(s->r[s->n].mail, mail, sizeof(s->r[0].mail));
    ldap_strlcpy(s->r[s->n].name, name != NULL ? name : mail, sizeof(s->r[0].name));
    s->n++;
    return 0;
}

static void ldap_ac_error(ldap_complete_t *ac, int err, const char *diag)
{
    ac->state = LDAP_COMPLETE_ERROR;
    ac->error = err;
    if (diag != NULL && diag[0] != '\0') {
        snprintf(ac->message, sizeof(ac->message), "%s (%s)", ldap_strerror(err), diag);
    } else {
        snprintf(ac->message, sizeof(ac->message), "%s", ldap_strerror(err));
    }
}

/* Fold case for comparison: ASCII, Latin-1 capitals U+00C0..U+00DE (not
 * U+00D7) and Cyrillic U+0400..U+042F; other bytes unchanged. The length
 * never changes (each folded letter keeps its UTF-8 length). */
static size_t ldap_fold(const char *in, size_t n, char *out, size_t cap)
{
    const unsigned char *u = (const unsigned char *)in;
    size_t i;

    if (n > cap - 1) {
        n = cap - 1;
    }
    for (i = 0; i < n; i++) {
        unsigned c = u[i];

        if (c >= 'A' && c <= 'Z') {
            c += 32;
        } else if (i + 1 < n && (c == 0xC3 || c == 0xD0)) {
            unsigned cp = ((c & 0x1F) << 6) | (u[i + 1] & 0x3F);

            if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) {
                cp += 0x20;
            } else if (cp >= 0x410 && cp <= 0x42F) {
                cp += 0x20;
            } else if (cp >= 0x400 && cp <= 0x40F) {
                cp += 0x50;
            }
            out[i] = (char)(0xC0 | (cp >> 6));
            out[i + 1] = (char)(0x80 | (cp & 0x3F));
            i++;
            continue;
        }
        out[i] = (char)c;
    }
    out[n] = '\0';
    return n;
}

/* 1 when s, or one of its words, starts with key (folded). */
static int ldap_word_prefix(const char *s, const char *key, size_t key_len)
{
    char f[LDAP_COMPLETE_MAIL_MAX > LDAP_COMPLETE_NAME_MAX ? LDAP_COMPLETE_MAIL_MAX
                                                           : LDAP_COMPLETE_NAME_MAX];
    size_t n = ldap_fold(s, strlen(s), f, sizeof(f));
    size_t i;

    for (i = 0; i + key_len <= n; i++) {
        int word_start = i == 0 || strchr(" -.,'_(", f[i - 1]) != NULL;

        if (word_start && memcmp(f + i, key, key_len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Copy with a cut on a UTF-8 boundary. */
static void ldap_strlcpy(char *dst, const char *src, size_t cap)
{
    size_t n = strlen(src);

    if (n > cap - 1) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}
