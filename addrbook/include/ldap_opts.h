/*
 * ldap_opts.h - budgets and defaults of the LDAP client, filter builder and
 * autocomplete engine.
 *
 * Every option can be overridden by the board (define it before this header
 * is included, e.g. with -D). Impossible combinations fail at compile time.
 */
#ifndef LDAP_OPTS_H
#define LDAP_OPTS_H

/* Largest LDAPMessage accepted from the server, tag and length included.
 * One PDU is held whole while it is decoded; a bigger one ends the session
 * (LDAP_ERR_TOO_BIG) rather than being cut. An entry with name and mail is
 * ~200 bytes; AD entries with many values are larger, hence 8 KiB. */
#ifndef LDAP_PDU_MAX
#define LDAP_PDU_MAX 8192
#endif

/* Most entries one search delivers (over all its pages). The engine stops
 * there, abandons the rest and reports partial results. */
#ifndef LDAP_ENTRIES_MAX
#define LDAP_ENTRIES_MAX 50
#endif

/* Longest attribute value kept, terminating NUL included. A longer value is
 * skipped (as if absent): a cut address would be a wrong address. */
#ifndef LDAP_VALUE_MAX
#define LDAP_VALUE_MAX 256
#endif

/* Longest DN kept (entry names, matchedDN), NUL included; longer: cut. */
#ifndef LDAP_DN_MAX
#define LDAP_DN_MAX 256
#endif

/* Bytes kept of the server's diagnosticMessage, NUL included; longer: cut. */
#ifndef LDAP_DIAG_MAX
#define LDAP_DIAG_MAX 256
#endif

/* Longest paged-results cookie accepted (RFC 2696); longer: protocol error. */
#ifndef LDAP_COOKIE_MAX
#define LDAP_COOKIE_MAX 128
#endif

/* Most attributes one search asks for (entry values[] has this many). */
#ifndef LDAP_ATTRS_MAX
#define LDAP_ATTRS_MAX 8
#endif

/* Most attributes an autocomplete filter ORs together. */
#ifndef LDAP_FILTER_ATTRS_MAX
#define LDAP_FILTER_ATTRS_MAX 8
#endif

/* Longest typed prefix (bytes of UTF-8) a filter is built from. */
#ifndef LDAP_PREFIX_MAX
#define LDAP_PREFIX_MAX 64
#endif

/* Smallest output buffer ldap_client_init() accepts: a bind with a DN and a
 * password of LDAP_VALUE_MAX each, or a search with its filter, fits. */
#ifndef LDAP_OUTBUF_MIN
#define LDAP_OUTBUF_MIN 2048
#endif

/* Default time to wait for a response, in ms (config timeout_ms = 0). */
#ifndef LDAP_TIMEOUT_MS
#define LDAP_TIMEOUT_MS 10000u
#endif

/* Autocomplete: quiet time after the last key before a search goes out. */
#ifndef LDAP_COMPLETE_DEBOUNCE_MS
#define LDAP_COMPLETE_DEBOUNCE_MS 150u
#endif

/* Autocomplete: most suggestions kept per prefix (what the panel shows). */
#ifndef LDAP_COMPLETE_MAX
#define LDAP_COMPLETE_MAX 10
#endif

/* Autocomplete: prefixes whose results are remembered for the session. */
#ifndef LDAP_COMPLETE_CACHE_SLOTS
#define LDAP_COMPLETE_CACHE_SLOTS 8
#endif

/* Autocomplete: bytes kept of a suggestion's name and mail, NUL included. */
#ifndef LDAP_COMPLETE_NAME_MAX
#define LDAP_COMPLETE_NAME_MAX 64
#endif
#ifndef LDAP_COMPLETE_MAIL_MAX
#define LDAP_COMPLETE_MAIL_MAX 128
#endif

#if LDAP_PDU_MAX < 64
#error "LDAP_PDU_MAX must hold at least an LDAPResult"
#endif
#if LDAP_ENTRIES_MAX < 1
#error "LDAP_ENTRIES_MAX must be at least 1"
#endif
#if LDAP_VALUE_MAX < 2 || LDAP_DN_MAX < 2 || LDAP_DIAG_MAX < 2
#error "LDAP_VALUE_MAX, LDAP_DN_MAX and LDAP_DIAG_MAX must hold a byte and the NUL"
#endif
#if LDAP_ATTRS_MAX < 2
#error "LDAP_ATTRS_MAX must allow a name and a mail attribute"
#endif
#if LDAP_OUTBUF_MIN < 2 * LDAP_VALUE_MAX + 64 || LDAP_OUTBUF_MIN < 6 * LDAP_PREFIX_MAX + 64
#error "LDAP_OUTBUF_MIN must hold the largest bind or search request"
#endif
#if LDAP_COMPLETE_MAX < 1 || LDAP_COMPLETE_MAX > LDAP_ENTRIES_MAX
#error "LDAP_COMPLETE_MAX must be between 1 and LDAP_ENTRIES_MAX"
#endif
#if LDAP_COMPLETE_CACHE_SLOTS < 1
#error "LDAP_COMPLETE_CACHE_SLOTS must be at least 1"
#endif
#if LDAP_COMPLETE_MAIL_MAX > LDAP_VALUE_MAX || LDAP_COMPLETE_NAME_MAX > LDAP_VALUE_MAX
#error "LDAP_COMPLETE_*_MAX cannot exceed LDAP_VALUE_MAX"
#endif

#endif /* LDAP_OPTS_H */
