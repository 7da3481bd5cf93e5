/*
 * ldap_complete.h - sans-IO autocomplete over an LDAP directory.
 *
 * Driven by the text of the field (after each key) and the time; talks to
 * the directory through a running, bound ldap_client_t that the caller owns
 * (and whose event callback forwards to ldap_complete_event()):
 *
 *   ldap_complete_init(&ac, &cfg, &client);
 *   on each key:          ldap_complete_input(&ac, text, len, now_ms);
 *   in the super-loop:    ldap_complete_tick(&ac, now_ms);
 *   client event:         ldap_complete_event(&ac, ev);   // from cfg.event
 *   read:                 ldap_complete_results(&ac, &n), ldap_complete_state(&ac)
 *
 * Behaviour (tested in tests/unit/ldap_complete):
 * - A new text abandons the search in flight at once (its results would be
 *   for an older prefix). When the cache (below) answers the new text, the
 *   answer is there when ldap_complete_input() returns (state DONE or
 *   PARTIAL, no debounce, nothing sent, even with the connection down);
 *   otherwise, after debounce_ms without another key, a search starts for
 *   it. The debounce only spares the server one search per key. An empty
 *   text clears everything.
 * - Results are cached for the session by prefix (ASCII, Latin-1 and
 *   Cyrillic letters compared without case). The same prefix again is
 *   answered from the cache. A longer prefix whose shorter prefix returned
 *   complete results (not cut by max_results, a size or time limit) is
 *   answered by filtering those locally: an entry stays when a word of its
 *   name or of its mail starts with the prefix (a superset of the server's
 *   match on cn/displayName/sn/givenName/mail). Nothing is sent then.
 * - Each search asks for max_results + 1 entries: the extra one only tells
 *   that there are more (status PARTIAL, the prefix not cached as complete).
 * - Entries without a usable mail are skipped; duplicates (same mail) kept once.
 * - Errors (refused search, timeout, closed connection) give status ERROR
 *   with a message; suggestions already shown stay.
 */
#ifndef LDAP_COMPLETE_H
#define LDAP_COMPLETE_H

#include <stddef.h>
#include <stdint.h>

#include "ldap_client.h"

typedef enum ldap_complete_state {
    LDAP_COMPLETE_IDLE = 0,   /* empty text */
    LDAP_COMPLETE_WAITING,    /* debounce running */
    LDAP_COMPLETE_SEARCHING,  /* request sent (results may already show) */
    LDAP_COMPLETE_DONE,       /* every match is shown */
    LDAP_COMPLETE_PARTIAL,    /* more matches exist than shown: type more */
    LDAP_COMPLETE_ERROR       /* see ldap_complete_message() */
} ldap_complete_state_t;

typedef struct ldap_suggestion {
    char name[LDAP_COMPLETE_NAME_MAX];
    char mail[LDAP_COMPLETE_MAIL_MAX];
} ldap_suggestion_t;

/* Constant configuration; kept by pointer. */
typedef struct ldap_complete_config {
    const char *base_dn;
    const char *const *filter_attrs;  /* NULL: ldap_filter_default_attrs */
    size_t filter_attr_count;
    const char *name_attr;            /* NULL: "displayName" */
    const char *mail_attr;            /* NULL: "mail" */
    uint32_t max_results;             /* 0 or > LDAP_COMPLETE_MAX: LDAP_COMPLETE_MAX */
    uint32_t debounce_ms;             /* 0: LDAP_COMPLETE_DEBOUNCE_MS */
    uint32_t page_size;               /* 0: no paged control */
    uint32_t time_limit_s;            /* server time limit, 0: none */
} ldap_complete_config_t;

typedef struct ldap_complete_slot {
    char key[LDAP_PREFIX_MAX * 2 + 1];  /* folded prefix */
    size_t key_len;
    int used;
    int complete;                       /* every match of key is in r[] */
    uint32_t age;                       /* for replacement: oldest goes */
    size_t n;
    ldap_suggestion_t r[LDAP_COMPLETE_MAX];
} ldap_complete_slot_t;

typedef struct ldap_complete_stats {
    uint32_t searches;      /* searches sent */
    uint32_t abandons;      /* searches abandoned for a newer text */
    uint32_t cache_hits;    /* answered from an exact cache slot */
    uint32_t local_hits;    /* answered by filtering a shorter prefix's results */
} ldap_complete_stats_t;

typedef struct ldap_complete {
    ldap_complete_stats_t stats;   /* public, read-only */

    const ldap_complete_config_t *cfg;
    ldap_client_t *client;
    ldap_complete_state_t state;
    int error;
    char message[LDAP_DIAG_MAX + 64];
    char text[LDAP_PREFIX_MAX];     /* the field's text */
    size_t text_len;
    int key_pending;
    uint32_t key_at;
    /* The search in flight: its text and request (the client keeps pointers). */
    int inflight;
    char q[LDAP_PREFIX_MAX];
    ldap_filter_spec_t spec;
    ldap_search_t search;
    const char *attrs[2];
    int more;                       /* a (max+1)th entry came */
    ldap_complete_slot_t *slot;     /* the results shown (a cache slot) */
    ldap_complete_slot_t cache[LDAP_COMPLETE_CACHE_SLOTS];
    uint32_t clock;                 /* slot ages */
} ldap_complete_t;

/* 0 or LDAP_ERR_BAD_ARGS (NULL, no base DN, bad attribute names). */
int ldap_complete_init(ldap_complete_t *ac, const ldap_complete_config_t *cfg, ldap_client_t *client);

/* The field's text changed. Text longer than LDAP_PREFIX_MAX or not UTF-8:
 * LDAP_ERR_BAD_ARGS / LDAP_ERR_BAD_UTF8 (state ERROR, nothing sent). */
int ldap_complete_input(ldap_complete_t *ac, const char *text, size_t len, uint32_t now_ms);

/* Run the debounce: may answer from the cache or send a search. Returns 0. */
int ldap_complete_tick(ldap_complete_t *ac, uint32_t now_ms);

/* Give it every event of the client. */
void ldap_complete_event(ldap_complete_t *ac, const ldap_event_t *ev);

/* The suggestions for the current text (*count of them). */
const ldap_suggestion_t *ldap_complete_results(const ldap_complete_t *ac, size_t *count);
ldap_complete_state_t ldap_complete_state(const ldap_complete_t *ac);
/* Why the state is ERROR ("" otherwise). */
const char *ldap_complete_message(const ldap_complete_t *ac);
const char *ldap_complete_state_name(ldap_complete_state_t st);

/* Wipe the cache (names and addresses are personal data). */
void ldap_complete_free(ldap_complete_t *ac);

#endif /* LDAP_COMPLETE_H */
