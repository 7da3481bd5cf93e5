/*
 * ldap_client.h - sans-IO LDAPv3 client engine (RFC 4511): simple bind,
 * search with the paged results control (RFC 2696), abandon, unbind and the
 * StartTLS extended operation (RFC 4511 4.14, RFC 4513). BER is read and
 * written with Mbed TLS's asn1 functions.
 *
 * The engine never touches a socket or a clock. A transport moves bytes:
 *
 *   ldap_client_init(&c, &cfg, outbuf, sizeof outbuf);      // check rc
 *   on connected (and, for LDAPS, after the verified handshake):
 *       ldap_client_start(&c, now_ms);
 *   operations (each queues one request): ldap_client_starttls(),
 *       ldap_client_bind(), ldap_client_search(), ldap_client_abandon(),
 *       ldap_client_unbind()
 *   on bytes received:   ldap_client_feed(&c, data, len, now_ms);
 *   every few hundred ms: ldap_client_tick(&c, now_ms);
 *   on peer close/error: ldap_client_closed(&c, now_ms);
 *   after each of the above, move output as in smtp_session.h:
 *       while ((p = ldap_client_output(&c, &len)) && len > 0) {
 *           n = write what the stack takes; ldap_client_sent(&c, n);
 *           if (n < len) break;
 *       }
 *   ldap_client_free(&c).
 *
 * Results arrive through cfg.event (called from inside feed/tick/closed and
 * from the operation calls that fail locally). The callback may call
 * ldap_client_search/abandon/unbind: they only queue output.
 *
 * Protocol behaviour (tested in tests/unit/ldap):
 * - One operation at a time (bind, search, StartTLS): another one while it
 *   runs is LDAP_ERR_STATE, except that ldap_client_abandon() ends the
 *   search in flight at once (AbandonRequest sent; whatever the server still
 *   sends for it is skipped by message ID) so a new search may follow.
 * - Responses with a message ID that is no longer awaited, SearchResult
 *   References (referrals are not followed: LDAP_EV_REFERRAL reports them),
 *   IntermediateResponses, unknown protocolOp tags and unknown controls are
 *   skipped. Unknown trailing elements inside known ones are ignored.
 * - Framing: one LDAPMessage is gathered whole (at most LDAP_PDU_MAX bytes)
 *   and decoded; a bad outer tag, an indefinite or oversized length, a PDU
 *   over the limit or a malformed known PDU ends the session (status
 *   FAILED, LDAP_EV_FAILED with LDAP_ERR_PROTOCOL / LDAP_ERR_TOO_BIG). The
 *   result is the same whether bytes come one by one or all at once.
 * - Bind: resultCode 0 = bound. 49 invalidCredentials is told apart by the
 *   Active Directory "data <code>" in the diagnosticMessage (52e wrong
 *   password, 775 locked, 533 disabled, 532/773 password expired or must
 *   change, 701 account expired, 530/531 logon restricted) or, with
 *   cfg.ppolicy, by the password policy response control (OpenLDAP:
 *   accountLocked, passwordExpired, changeAfterReset); the code and
 *   the server's text are kept as evidence in the event. A bind with a
 *   password on a channel that is not secure is refused locally
 *   (LDAP_ERR_CLEARTEXT, nothing sent) unless cfg.allow_cleartext. The
 *   password is copied into the output only; the output buffer is wiped as
 *   the transport takes it and on free.
 * - Search: every entry is an LDAP_EV_ENTRY with the DN and the first value
 *   of each requested attribute (values longer than LDAP_VALUE_MAX, or not
 *   valid UTF-8, count as absent). With page_size > 0 each request carries
 *   the paged control; a SearchResultDone with a non-empty cookie sends the
 *   next page by itself (same message flow, new message ID) until the
 *   cookie is empty or the entry budget (size_limit, at most
 *   LDAP_ENTRIES_MAX) is reached; then a last request with size 0 and the
 *   cookie releases the server's state (RFC 2696 3), its answer skipped.
 *   Reaching the budget mid-page abandons the search. LDAP_EV_SEARCH_DONE
 *   once at the end: error 0 for success, sizeLimitExceeded (4),
 *   timeLimitExceeded (3) or the local budget (partial = 1); else the
 *   LDAP_ERR_* for the resultCode (32 no such object, 10 referral, ...).
 * - StartTLS: ExtendedRequest 1.3.6.1.4.1.1466.20037; success: no more
 *   output, ldap_client_wants_tls() is 1 until the transport did the
 *   verified handshake and called ldap_client_tls_ready(); a byte fed
 *   meanwhile is a protocol failure. Refused: LDAP_EV_STARTTLS with
 *   LDAP_ERR_STARTTLS; the caller must not go on in cleartext if TLS was
 *   required.
 * - Timeout: an operation without its final response after timeout_ms
 *   ends the session: LDAP_ERR_TIMEOUT. The wait starts at the first
 *   ldap_client_tick() after the request (requests take no time argument)
 *   and restarts with every PDU for the operation.
 * - Notice of Disconnection (unsolicited ExtendedResponse, ID 0): ends the
 *   session with LDAP_ERR_DISCONNECT and the server's text.
 * - Unbind: queues the UnbindRequest; the session is then over (status
 *   DONE); the transport closes once the output is sent.
 */
#ifndef LDAP_CLIENT_H
#define LDAP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ldap_err.h"
#include "ldap_filter.h"
#include "ldap_opts.h"

/* RFC 4511 resultCodes the engine treats specially. */
#define LDAP_RC_SUCCESS                 0
#define LDAP_RC_TIME_LIMIT_EXCEEDED     3
#define LDAP_RC_SIZE_LIMIT_EXCEEDED     4
#define LDAP_RC_STRONGER_AUTH_REQUIRED  8
#define LDAP_RC_REFERRAL                10
#define LDAP_RC_CONFIDENTIALITY_REQUIRED 13
#define LDAP_RC_NO_SUCH_OBJECT          32
#define LDAP_RC_INVALID_CREDENTIALS     49
#define LDAP_RC_UNWILLING_TO_PERFORM    53

typedef enum ldap_scope {
    LDAP_SCOPE_BASE = 0,
    LDAP_SCOPE_ONE = 1,
    LDAP_SCOPE_SUB = 2
} ldap_scope_t;

typedef enum ldap_status {
    LDAP_CLIENT_IDLE = 0,    /* initialised, not started */
    LDAP_CLIENT_RUNNING,     /* connected: operations may be queued */
    LDAP_CLIENT_DONE,        /* unbind queued */
    LDAP_CLIENT_FAILED       /* see c.fail */
} ldap_status_t;

typedef enum ldap_event_type {
    LDAP_EV_BIND = 1,        /* bind finished: error 0 = bound */
    LDAP_EV_ENTRY,           /* one search entry: dn, values[] */
    LDAP_EV_REFERRAL,        /* a SearchResultReference was skipped */
    LDAP_EV_SEARCH_DONE,     /* search finished: error, partial, entries */
    LDAP_EV_STARTTLS,        /* StartTLS answered: error 0 = do the handshake */
    LDAP_EV_FAILED           /* the session ended: error, diag */
} ldap_event_type_t;

/* One event. Pointers are valid during the callback only. */
typedef struct ldap_event {
    ldap_event_type_t type;
    int msgid;               /* the operation's first message ID */
    int error;               /* 0 or LDAP_ERR_* */
    int result_code;         /* the server's resultCode (-1: none) */
    const char *diag;        /* the server's diagnosticMessage ("" if none) */
    const char *matched_dn;  /* the server's matchedDN ("" if none) */
    /* LDAP_EV_ENTRY */
    const char *dn;
    const char *values[LDAP_ATTRS_MAX]; /* first value of search attrs[i], NULL: none */
    /* LDAP_EV_SEARCH_DONE */
    int partial;             /* 1: size/time limit or local budget cut the results */
    unsigned entries;        /* entries delivered */
    unsigned pages;          /* search requests sent (paged) */
} ldap_event_t;

typedef void (*ldap_event_cb_t)(void *arg, const ldap_event_t *ev);

/* Constant configuration; the engine keeps the pointer. */
typedef struct ldap_config {
    ldap_event_cb_t event;
    void *event_arg;
    uint32_t timeout_ms;     /* per operation; 0: LDAP_TIMEOUT_MS */
    int secure;              /* 1: the channel is TLS from the start (LDAPS) */
    int allow_cleartext;     /* 1: password binds without TLS (insecure) */
    int ppolicy;             /* 1: binds carry the password policy control, so an
                              * OpenLDAP ppolicy lock or expiry is told apart */
} ldap_config_t;

/* One search. The engine keeps the pointer (and filter's) until its
 * LDAP_EV_SEARCH_DONE or ldap_client_abandon(). */
typedef struct ldap_search {
    const char *base_dn;
    ldap_scope_t scope;
    const ldap_filter_spec_t *filter;
    const char *const *attrs;   /* attributes returned; values[] in this order */
    size_t attr_count;          /* 1..LDAP_ATTRS_MAX */
    uint32_t size_limit;        /* entries wanted (sent to the server); 0 or more
                                 * than LDAP_ENTRIES_MAX: LDAP_ENTRIES_MAX */
    uint32_t time_limit_s;      /* server time limit; 0: none */
    uint32_t page_size;         /* 0: no paged control */
} ldap_search_t;

typedef struct ldap_failure {
    int error;                  /* 0 or LDAP_ERR_* */
    int result_code;            /* -1 when no server result */
    char diag[LDAP_DIAG_MAX];
} ldap_failure_t;

typedef struct ldap_stats {
    uint32_t pdus_in;           /* LDAPMessages decoded */
    uint32_t requests;          /* requests queued */
    uint32_t skipped;           /* PDUs skipped (stale ID, reference, unknown) */
    uint64_t bytes_in;
    uint64_t bytes_out;         /* taken by the transport */
} ldap_stats_t;

/* The context. Public (read-only): fail, stats. The rest is private. */
typedef struct ldap_client {
    ldap_failure_t fail;
    ldap_stats_t stats;

    const ldap_config_t *cfg;
    uint8_t *out;
    size_t outcap;
    size_t out_len;
    ldap_status_t status;
    int secure;
    int tls_wait;               /* StartTLS accepted: waiting for tls_ready */
    int next_id;
    int op;                     /* operation in flight (private enum), 0: none */
    int op_id;                  /* its current message ID */
    int op_first_id;            /* its first message ID (events) */
    const ldap_search_t *search;
    unsigned entries;
    unsigned pages;
    uint32_t entry_budget;
    uint32_t now;
    uint32_t deadline;
    int timer_arm;              /* a request was queued: deadline from the next tick */
    uint8_t rx[LDAP_PDU_MAX];
    size_t rx_len;
    size_t rx_need;             /* bytes of the PDU being gathered; 0: header unknown */
    uint8_t cookie[LDAP_COOKIE_MAX];
    size_t cookie_len;
    int ppolicy_error;          /* the last response's ppolicy error, -1: none */
    char dn[LDAP_DN_MAX];
    char diag[LDAP_DIAG_MAX];
    char values[LDAP_ATTRS_MAX][LDAP_VALUE_MAX];
} ldap_client_t;

/* Set up c with cfg and the caller's output buffer (outcap >=
 * LDAP_OUTBUF_MIN). 0 or LDAP_ERR_BAD_ARGS. */
int ldap_client_init(ldap_client_t *c, const ldap_config_t *cfg, uint8_t *outbuf, size_t outcap);

/* Wipe c and the caller's output buffer (it may hold a password): the
 * buffer must still be valid. Safe on a zeroed context and twice. */
void ldap_client_free(ldap_client_t *c);

/* The connection is up (for LDAPS: handshake verified). 0 or LDAP_ERR_STATE. */
int ldap_client_start(ldap_client_t *c, uint32_t now_ms);

/* Queue a StartTLS request. 0, LDAP_ERR_STATE (not running, an operation in
 * flight, already secure) or LDAP_ERR_NO_ROOM. Returns the message ID (>0)
 * on success. */
int ldap_client_starttls(ldap_client_t *c);

/* Queue a simple bind. dn NULL or "" with password NULL or "": anonymous;
 * a DN with an empty password is refused (LDAP_ERR_BAD_ARGS: it would be an
 * unauthenticated bind that "succeeds" without checking anything, RFC 4513
 * 5.1.2). DN and password: no NUL/CR/LF, at most LDAP_VALUE_MAX - 1 bytes.
 * Returns the message ID (>0), LDAP_ERR_CLEARTEXT, LDAP_ERR_STATE,
 * LDAP_ERR_NO_ROOM or LDAP_ERR_BAD_ARGS. */
int ldap_client_bind(ldap_client_t *c, const char *dn, const char *password);

/* Queue a search. Returns the message ID (>0) or a negative code
 * (LDAP_ERR_BAD_ARGS, LDAP_ERR_STATE, LDAP_ERR_NO_ROOM, a filter error). */
int ldap_client_search(ldap_client_t *c, const ldap_search_t *search);

/* Abandon the search in flight (no event for it follows). 0, or
 * LDAP_ERR_STATE when no search runs, or LDAP_ERR_NO_ROOM. */
int ldap_client_abandon(ldap_client_t *c);

/* Queue an UnbindRequest and end the session (status DONE). Anything in
 * flight is dropped without event. 0, LDAP_ERR_STATE or LDAP_ERR_NO_ROOM. */
int ldap_client_unbind(ldap_client_t *c);

/* Bytes from the server (all taken). 0, LDAP_ERR_STATE or LDAP_ERR_BAD_ARGS;
 * protocol outcomes come as events and in the status. */
int ldap_client_feed(ldap_client_t *c, const uint8_t *data, size_t len, uint32_t now_ms);

/* Check the timeout. now_ms may wrap. Returns 0. */
int ldap_client_tick(ldap_client_t *c, uint32_t now_ms);

/* Bytes ready to send; *len = 0 when none. Valid until the next call. */
const uint8_t *ldap_client_output(ldap_client_t *c, size_t *len);

/* The transport took the first n bytes (they are wiped). 0 or LDAP_ERR_BAD_ARGS. */
int ldap_client_sent(ldap_client_t *c, size_t n);

/* The peer closed or the connection failed: an operation in flight fails
 * with LDAP_ERR_CLOSED (LDAP_EV_FAILED). Returns 0. */
int ldap_client_closed(ldap_client_t *c, uint32_t now_ms);

/* 1 while the engine waits for the TLS handshake after StartTLS. */
int ldap_client_wants_tls(const ldap_client_t *c);

/* The StartTLS handshake succeeded and was verified. 0 or LDAP_ERR_STATE. */
int ldap_client_tls_ready(ldap_client_t *c, uint32_t now_ms);

ldap_status_t ldap_client_status(const ldap_client_t *c);

/* 1 when no operation is in flight (a new one may be queued). */
int ldap_client_idle(const ldap_client_t *c);

/* Turn a resultCode and diagnosticMessage into LDAP_ERR_* (0 for success). */
int ldap_result_error(int result_code, const char *diag);

#endif /* LDAP_CLIENT_H */
