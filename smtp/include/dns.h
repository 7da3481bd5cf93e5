/*
 * dns.h - sans-IO DNS client for the record types lwIP's resolver lacks.
 *
 * lwIP's dns.c resolves A/AAAA only. Finding gateways (RFC 6186 SRV
 * _submission._tcp / _submissions._tcp, then MX) needs MX and SRV, so this
 * module builds one query into a caller buffer and parses the server's
 * answer from (buf, len); the transport (lwIP raw UDP, or a test) moves the
 * bytes. No allocation, no globals, no I/O; the parser never reads past len
 * and never needs a NUL.
 *
 * Names given to and returned by this module are text: labels joined by '.',
 * no trailing dot (one is accepted on input), the root written ".".
 * Received names are kept only when they are host names (letters, digits,
 * '-' and '_'), so a name returned here is always safe to print, to compare
 * and to hand to a resolver.
 */
#ifndef DNS_H
#define DNS_H

#include <stddef.h>
#include <stdint.h>

/* --- options (the board may override them) ------------------------------ */

/* Answer records kept in a dns_answer_t; further ones are counted only. */
#ifndef DNS_ANSWERS_MAX
#define DNS_ANSWERS_MAX 16
#endif

/* Additional-section A records kept (addresses of MX / SRV targets). */
#ifndef DNS_ADDRS_MAX
#define DNS_ADDRS_MAX 8
#endif

/* Most compression pointers followed while reading one name. Pointers must
 * also point strictly backwards, which alone rules out loops; this bounds
 * the work on hostile input. */
#ifndef DNS_NAME_JUMPS_MAX
#define DNS_NAME_JUMPS_MAX 32
#endif

#if DNS_ANSWERS_MAX < 1 || DNS_ANSWERS_MAX > 255
#error "DNS_ANSWERS_MAX must be 1..255"
#endif
#if DNS_ADDRS_MAX < 1 || DNS_ADDRS_MAX > 255
#error "DNS_ADDRS_MAX must be 1..255"
#endif
#if DNS_NAME_JUMPS_MAX < 1
#error "DNS_NAME_JUMPS_MAX must be at least 1"
#endif

/* --- protocol constants (RFC 1035, 2782) -------------------------------- */

#define DNS_PORT 53
#define DNS_UDP_MAX 512 /* classic UDP payload: size a receive buffer with it */
#define DNS_HEADER_LEN 12
#define DNS_WIRE_NAME_MAX 255 /* a name on the wire, length bytes and root included */
#define DNS_NAME_TEXT_MAX 254 /* 253 characters + NUL */
#define DNS_LABEL_MAX 63
/* Largest query dns_query_build() writes: header, longest name, type, class. */
#define DNS_QUERY_MAX (DNS_HEADER_LEN + DNS_WIRE_NAME_MAX + 4)

#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_MX 15
#define DNS_TYPE_SRV 33
#define DNS_CLASS_IN 1

#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_REFUSED 5

/* --- return codes ------------------------------------------------------- */

#define DNS_OK 0
/* Arguments and names given by the caller (builder and parser). */
#define DNS_ERR_BAD_ARGS -0x0D01         /* NULL pointer */
#define DNS_ERR_BAD_QTYPE -0x0D02        /* not A, MX or SRV */
#define DNS_ERR_NAME_EMPTY_LABEL -0x0D03 /* "", ".", "a..b", ".a" */
#define DNS_ERR_NAME_LABEL_LONG -0x0D04  /* a label over 63 bytes */
#define DNS_ERR_NAME_TOO_LONG -0x0D05    /* over 253 characters / 255 wire bytes */
#define DNS_ERR_NAME_BAD_CHAR -0x0D06    /* not LDH ('_' also allowed for SRV) */
#define DNS_ERR_BUFFER_TOO_SMALL -0x0D07 /* cap below the query's length */
#define DNS_ERR_NOT_FOUND -0x0D08        /* dns_answer_addr(): no address given */
/* The response is not the answer to our query: ignore it and keep waiting
 * (an off-path spoofer or a late answer to an earlier query may send these). */
#define DNS_ERR_NOT_RESPONSE -0x0D10 /* QR bit clear */
#define DNS_ERR_ID_MISMATCH -0x0D11  /* another query's id */
#define DNS_ERR_QUESTION -0x0D12     /* question is not our name, type and class IN */
/* The server answered our query with a failure. */
#define DNS_ERR_TRUNCATED -0x0D20 /* TC set: the answer did not fit in UDP */
#define DNS_ERR_NXDOMAIN -0x0D21  /* the name does not exist */
#define DNS_ERR_SERVFAIL -0x0D22  /* the server could not answer */
#define DNS_ERR_REFUSED -0x0D23   /* the server will not answer us */
#define DNS_ERR_RCODE -0x0D24     /* another RCODE (FORMERR, NOTIMP...): see out->rcode */
#define DNS_ERR_OPCODE -0x0D25    /* opcode other than QUERY */
/* The response is malformed. */
#define DNS_ERR_SHORT -0x0D30       /* a field or record runs past len */
#define DNS_ERR_BAD_POINTER -0x0D31 /* compression pointer not backwards, or too many */
#define DNS_ERR_BAD_LABEL -0x0D32   /* reserved label type (0x40 / 0x80) */
#define DNS_ERR_LONG_NAME -0x0D33   /* decompressed name over 255 bytes */
#define DNS_ERR_BAD_RDATA -0x0D34   /* record data inconsistent with its length */
#define DNS_ERR_BAD_COUNT -0x0D35   /* more than one question */

/* --- results ------------------------------------------------------------ */

typedef struct dns_mx {
    uint16_t preference;              /* lower is preferred */
    char exchange[DNS_NAME_TEXT_MAX]; /* "." is RFC 7505's null MX: no mail */
} dns_mx_t;

typedef struct dns_srv {
    uint16_t priority; /* lower is preferred */
    uint16_t weight;   /* share among equal priorities */
    uint16_t port;
    char target[DNS_NAME_TEXT_MAX]; /* "." : service not available (RFC 2782) */
} dns_srv_t;

typedef struct dns_rr {
    uint16_t type; /* DNS_TYPE_A, _MX or _SRV: the query's type */
    uint32_t ttl;  /* seconds */
    union {
        dns_mx_t mx;
        dns_srv_t srv;
        uint8_t a[4]; /* IPv4 address, network order */
    } u;
} dns_rr_t;

/* An address given in the additional section for an MX or SRV target. */
typedef struct dns_addr {
    char name[DNS_NAME_TEXT_MAX];
    uint8_t a[4];
    uint32_t ttl;
} dns_addr_t;

/* Caller-owned result of dns_response_parse(). Only the fields named valid
 * for a return code are meaningful. About 6.4 KB with the default options:
 * keep it in the caller's context rather than on a small task stack. */
typedef struct dns_answer {
    uint16_t qtype;        /* the type asked for */
    uint8_t rcode;         /* the header's RCODE, valid once the header was read */
    uint8_t authoritative; /* AA bit */
    unsigned count;        /* records stored in rr[], at most DNS_ANSWERS_MAX */
    unsigned total;        /* matching records in the answer, stored or not */
    unsigned skipped;      /* answer records ignored: CNAMEs, other types,
                              classes or owners, targets that are not host names */
    dns_rr_t rr[DNS_ANSWERS_MAX];
    unsigned addr_count; /* additional A records stored in addr[] */
    dns_addr_t addr[DNS_ADDRS_MAX];
} dns_answer_t;

/* --- API ---------------------------------------------------------------- */

/* Write a standard query (opcode QUERY, RD set, one question of class IN)
 * for name and qtype (DNS_TYPE_A, _MX or _SRV) into buf[0..cap).
 * name: text, an optional trailing dot; labels of 1..63 bytes, at most 253
 * characters, letters, digits and '-' (and '_' when qtype is SRV, for
 * "_submission._tcp"). id: the caller's random query id (hal_rng).
 * Returns DNS_OK and the query's length in *len (at most DNS_QUERY_MAX), or
 * DNS_ERR_BAD_ARGS, DNS_ERR_BAD_QTYPE, DNS_ERR_NAME_* or
 * DNS_ERR_BUFFER_TOO_SMALL with *len left unchanged. */
int dns_query_build(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype,
                    size_t *len);

/* Parse the response buf[0..len) to the query built with (id, name, qtype).
 * Checks, in order: header present, QR set, id, opcode QUERY; the question
 * (when present) is name and qtype of class IN, name compared without regard
 * to ASCII case; TC clear; RCODE. Then reads every record of the answer,
 * authority and additional sections, each length checked against len (bytes
 * after the last record are ignored).
 * Answer records are stored in out->rr[] when they are of qtype and class
 * IN and their owner is name or the target of a CNAME met earlier in the
 * answer (the chain a recursive server puts in front); up to
 * DNS_ANSWERS_MAX are stored, all counted in out->total. MX exchanges and
 * SRV targets that are not host names are skipped. Additional-section A
 * records whose owner is a stored MX exchange or SRV target go to addr[].
 * Records stay in the server's order: see dns_answer_sort().
 * Returns:
 *   DNS_OK: out holds the answer; count 0 means the name exists but has no
 *     record of that type (NODATA): try the next kind of candidate.
 *   DNS_ERR_NXDOMAIN / _SERVFAIL / _REFUSED / _RCODE / _TRUNCATED /
 *     _OPCODE: the server's answer to our question; out->rcode is valid.
 *   DNS_ERR_NOT_RESPONSE / _ID_MISMATCH / _QUESTION: not our answer.
 *   DNS_ERR_SHORT / _BAD_POINTER / _BAD_LABEL / _LONG_NAME / _BAD_RDATA /
 *     _BAD_COUNT: malformed.
 *   DNS_ERR_BAD_ARGS / _BAD_QTYPE / _NAME_*: bad arguments (as the builder).
 * out is always written (zeroed first) when it is not NULL; on failure its
 * records must not be used. */
int dns_response_parse(const uint8_t *buf, size_t len, uint16_t id, const char *name,
                       uint16_t qtype, dns_answer_t *out);

/* Put the stored records in the order to try them, stable (ties keep the
 * server's order): MX by preference; SRV by priority, then by weight
 * heaviest first. This deterministic order replaces RFC 2782's weighted
 * random pick: the panel lists every candidate and the user or the probe
 * picks one, so spreading load across devices is not our concern. A
 * records are left as they are. Cannot fail; NULL is ignored. */
void dns_answer_sort(dns_answer_t *a);

/* 1 when the answer says "no service here": at least one record stored and
 * every stored MX exchange or SRV target is "." (RFC 7505 null MX,
 * RFC 2782 "service decidedly not available"); else 0 (also for NULL). */
int dns_answer_is_null(const dns_answer_t *a);

/* The IPv4 address given for host (a stored target) in the additional
 * section: copies it to addr and returns DNS_OK, or returns
 * DNS_ERR_NOT_FOUND when none was given (ask for A with another query), or
 * DNS_ERR_BAD_ARGS. Host names compare without regard to ASCII case. The
 * first one is returned when several were given. */
int dns_answer_addr(const dns_answer_t *a, const char *host, uint8_t addr[4]);

/* Short English name of a DNS_* return code ("name does not exist"). Never
 * NULL. */
const char *dns_strerror(int rc);

#endif /* DNS_H */
