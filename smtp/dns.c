/*
 * dns.c - sans-IO DNS queries and answers for A, MX and SRV (see dns.h).
 */
#include "dns.h"

#include <string.h>

#define DNS_FLAG_QR 0x8000u
#define DNS_FLAG_AA 0x0400u
#define DNS_FLAG_TC 0x0200u
#define DNS_FLAG_RD 0x0100u
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xFu)
#define DNS_RCODE(flags) ((flags)&0xFu)

/* A pointer's two top bits; 0x40 and 0x80 are reserved label types. */
#define DNS_LABEL_PTR 0xC0u

/* One resource record as found in a message; the data is left in place. */
typedef struct dns_wire_rr {
    uint8_t owner[DNS_WIRE_NAME_MAX];
    size_t owner_len;
    uint16_t type;
    uint16_t cls;
    uint32_t ttl;
    size_t rd;    /* offset of the data in the message */
    size_t rdlen; /* its length, rd + rdlen <= message length */
} dns_wire_rr_t;

static int qtype_check(uint16_t qtype);
static int name_encode(const char *name, uint16_t qtype, uint8_t *wire, size_t *wire_len);
static int name_read(const uint8_t *msg, size_t len, size_t *off, uint8_t *wire, size_t *wire_len);
static int name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
static int name_to_text(const uint8_t *wire, size_t wire_len, char *text);
static int text_equal(const char *a, const char *b);
static int rr_read(const uint8_t *msg, size_t len, size_t *off, dns_wire_rr_t *rr);
static int rdata_name(const uint8_t *msg, size_t len, const dns_wire_rr_t *rr, size_t at,
                      uint8_t *wire, size_t *wire_len);
static int answer_record(const uint8_t *msg, size_t len, const dns_wire_rr_t *rr,
                         dns_answer_t *out);
static void additional_record(const uint8_t *msg, const dns_wire_rr_t *rr, dns_answer_t *out);
static int rr_before(const dns_rr_t *a, const dns_rr_t *b);
static const char *rr_target(const dns_rr_t *rr);
static uint16_t rd16(const uint8_t *p);
static uint32_t rd32(const uint8_t *p);
static void wr16(uint8_t *p, uint16_t v);

int dns_query_build(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype,
                    size_t *len)
{
    uint8_t wire[DNS_WIRE_NAME_MAX];
    size_t wire_len = 0;
    size_t need;
    int rc;

    if (buf == NULL || name == NULL || len == NULL)
        return DNS_ERR_BAD_ARGS;
    rc = qtype_check(qtype);
    if (rc == 0)
        rc = name_encode(name, qtype, wire, &wire_len);
    if (rc != 0)
        return rc;
    need = DNS_HEADER_LEN + wire_len + 4;
    if (cap < need)
        return DNS_ERR_BUFFER_TOO_SMALL;

    memset(buf, 0, DNS_HEADER_LEN);
    wr16(buf, id);
    wr16(buf + 2, DNS_FLAG_RD);
    wr16(buf + 4, 1); /* QDCOUNT */
    memcpy(buf + DNS_HEADER_LEN, wire, wire_len);
    wr16(buf + DNS_HEADER_LEN + wire_len, qtype);
    wr16(buf + DNS_HEADER_LEN + wire_len + 2, DNS_CLASS_IN);
    *len = need;
    return DNS_OK;
}

int dns_response_parse(const uint8_t *buf, size_t len, uint16_t id, const char *name,
                       uint16_t qtype, dns_answer_t *out)
{
    uint8_t qwire[DNS_WIRE_NAME_MAX];
    size_t qwire_len = 0;
    dns_wire_rr_t rr;
    unsigned flags, qdcount, ancount, nscount, arcount, i;
    size_t off = DNS_HEADER_LEN;
    int rc;

    if (out == NULL)
        return DNS_ERR_BAD_ARGS;
    memset(out, 0, sizeof(*out));
    if ((buf == NULL && len != 0) || name == NULL)
        return DNS_ERR_BAD_ARGS;
    rc = qtype_check(qtype);
    if (rc == 0)
        rc = name_encode(name, qtype, qwire, &qwire_len);
    if (rc != 0)
        return rc;
    out->qtype = qtype;

    if (len < DNS_HEADER_LEN)
        return DNS_ERR_SHORT;
    flags = rd16(buf + 2);
    if (!(flags & DNS_FLAG_QR))
        return DNS_ERR_NOT_RESPONSE;
    if (rd16(buf) != id)
        return DNS_ERR_ID_MISMATCH;
    out->rcode = (uint8_t)DNS_RCODE(flags);
    out->authoritative = (flags & DNS_FLAG_AA) != 0;
    if (DNS_OPCODE(flags) != 0)
        return DNS_ERR_OPCODE;
    qdcount = rd16(buf + 4);
    ancount = rd16(buf + 6);
    nscount = rd16(buf + 8);
    arcount = rd16(buf + 10);

    if (qdcount > 1)
        return DNS_ERR_BAD_COUNT;
    if (qdcount == 1) {
        uint8_t wire[DNS_WIRE_NAME_MAX];
        size_t wire_len;

        rc = name_read(buf, len, &off, wire, &wire_len);
        if (rc != 0)
            return rc;
        if (len - off < 4)
            return DNS_ERR_SHORT;
        if (!name_equal(wire, wire_len, qwire, qwire_len) || rd16(buf + off) != qtype ||
            rd16(buf + off + 2) != DNS_CLASS_IN)
            return DNS_ERR_QUESTION;
        off += 4;
    } else if (out->rcode == DNS_RCODE_NOERROR) {
        /* Servers may drop the question from an error reply, but an answer
         * without one cannot be tied to our query. */
        return DNS_ERR_QUESTION;
    }
    if (flags & DNS_FLAG_TC)
        return DNS_ERR_TRUNCATED;
    switch (out->rcode) {
    case DNS_RCODE_NOERROR:
        break;
    case DNS_RCODE_NXDOMAIN:
        return DNS_ERR_NXDOMAIN;
    case DNS_RCODE_SERVFAIL:
        return DNS_ERR_SERVFAIL;
    case DNS_RCODE_REFUSED:
        return DNS_ERR_REFUSED;
    default:
        return DNS_ERR_RCODE;
    }

    /* The owner wanted: the query name, then each CNAME target in turn (the
     * question was checked, so qwire is free to follow the chain). */
    for (i = 0; i < ancount; i++) {
        rc = rr_read(buf, len, &off, &rr);
        if (rc != 0)
            return rc;
        if (rr.cls != DNS_CLASS_IN || !name_equal(rr.owner, rr.owner_len, qwire, qwire_len)) {
            out->skipped++;
            continue;
        }
        if (rr.type == DNS_TYPE_CNAME) {
            rc = rdata_name(buf, len, &rr, 0, qwire, &qwire_len);
            if (rc != 0)
                return rc;
            out->skipped++;
            continue;
        }
        if (rr.type != qtype) {
            out->skipped++;
            continue;
        }
        rc = answer_record(buf, len, &rr, out);
        if (rc != 0)
            return rc;
    }
    /* Authority records (SOA, NS) are not used, but must be whole. */
    for (i = 0; i < nscount; i++) {
        rc = rr_read(buf, len, &off, &rr);
        if (rc != 0)
            return rc;
    }
    for (i = 0; i < arcount; i++) {
        rc = rr_read(buf, len, &off, &rr);
        if (rc != 0)
            return rc;
        additional_record(buf, &rr, out);
    }
    return DNS_OK;
}

void dns_answer_sort(dns_answer_t *a)
{
    unsigned i, j;

    if (a == NULL || a->count > DNS_ANSWERS_MAX)
        return;
    /* Insertion sort: at most DNS_ANSWERS_MAX records, and stable. */
    for (i = 1; i < a->count; i++) {
        dns_rr_t tmp = a->rr[i];

        for (j = i; j > 0 && rr_before(&tmp, &a->rr[j - 1]); j--)
            a->rr[j] = a->rr[j - 1];
        a->rr[j] = tmp;
    }
}

int dns_answer_is_null(const dns_answer_t *a)
{
    unsigned i;

    if (a == NULL || a->count == 0 || a->count > DNS_ANSWERS_MAX)
        return 0;
    for (i = 0; i < a->count; i++) {
        const char *t = rr_target(&a->rr[i]);

        if (t == NULL || strcmp(t, ".") != 0)
            return 0;
    }
    return 1;
}

int dns_answer_addr(const dns_answer_t *a, const char *host, uint8_t addr[4])
{
    unsigned i;

    if (a == NULL || host == NULL || addr == NULL)
        return DNS_ERR_BAD_ARGS;
    for (i = 0; i < a->addr_count && i < DNS_ADDRS_MAX; i++) {
        if (text_equal(a->addr[i].name, host)) {
            memcpy(addr, a->addr[i].a, 4);
            return DNS_OK;
        }
    }
    return DNS_ERR_NOT_FOUND;
}

const char *dns_strerror(int rc)
{
    switch (rc) {
    case DNS_OK:
        return "ok";
    case DNS_ERR_BAD_ARGS:
        return "bad arguments";
    case DNS_ERR_BAD_QTYPE:
        return "query type not supported";
    case DNS_ERR_NAME_EMPTY_LABEL:
        return "empty label in name";
    case DNS_ERR_NAME_LABEL_LONG:
        return "label longer than 63 bytes";
    case DNS_ERR_NAME_TOO_LONG:
        return "name longer than 253 characters";
    case DNS_ERR_NAME_BAD_CHAR:
        return "character not allowed in name";
    case DNS_ERR_BUFFER_TOO_SMALL:
        return "buffer too small";
    case DNS_ERR_NOT_FOUND:
        return "no address given";
    case DNS_ERR_NOT_RESPONSE:
        return "not a response";
    case DNS_ERR_ID_MISMATCH:
        return "response to another query id";
    case DNS_ERR_QUESTION:
        return "response to another question";
    case DNS_ERR_TRUNCATED:
        return "response truncated (TC)";
    case DNS_ERR_NXDOMAIN:
        return "name does not exist";
    case DNS_ERR_SERVFAIL:
        return "server failure";
    case DNS_ERR_REFUSED:
        return "query refused";
    case DNS_ERR_RCODE:
        return "server error";
    case DNS_ERR_OPCODE:
        return "unexpected opcode";
    case DNS_ERR_SHORT:
        return "response shorter than announced";
    case DNS_ERR_BAD_POINTER:
        return "bad compression pointer";
    case DNS_ERR_BAD_LABEL:
        return "reserved label type";
    case DNS_ERR_LONG_NAME:
        return "name longer than 255 bytes";
    case DNS_ERR_BAD_RDATA:
        return "malformed record data";
    case DNS_ERR_BAD_COUNT:
        return "more than one question";
    default:
        return "unknown error";
    }
}

static int qtype_check(uint16_t qtype)
{
    if (qtype == DNS_TYPE_A || qtype == DNS_TYPE_MX || qtype == DNS_TYPE_SRV)
        return 0;
    return DNS_ERR_BAD_QTYPE;
}

/* Text name to uncompressed wire form, validated (see dns_query_build()). */
static int name_encode(const char *name, uint16_t qtype, uint8_t *wire, size_t *wire_len)
{
    size_t n = strnlen(name, DNS_NAME_TEXT_MAX + 1);
    size_t i, label = 0; /* offset of the current label's length byte */

    if (n > 0 && name[n - 1] == '.' && n <= DNS_NAME_TEXT_MAX)
        n--; /* a fully qualified name: the root label is implicit anyway */
    if (n > DNS_NAME_TEXT_MAX - 1)
        return DNS_ERR_NAME_TOO_LONG;
    if (n == 0)
        return DNS_ERR_NAME_EMPTY_LABEL;
    wire[0] = 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c == '.') {
            if (wire[label] == 0)
                return DNS_ERR_NAME_EMPTY_LABEL;
            label = i + 1;
            wire[label] = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || (c == '_' && qtype == DNS_TYPE_SRV)))
            return DNS_ERR_NAME_BAD_CHAR;
        if (wire[label] == DNS_LABEL_MAX)
            return DNS_ERR_NAME_LABEL_LONG;
        wire[label]++;
        wire[i + 1] = c;
    }
    if (wire[label] == 0)
        return DNS_ERR_NAME_EMPTY_LABEL;
    wire[n + 1] = 0; /* root */
    *wire_len = n + 2;
    return 0;
}

/* Read the possibly compressed name at *off into wire (uncompressed, root
 * included) and move *off past it. Every pointer must point into the
 * message body and strictly before the run of labels it ends, so each jump
 * lands lower than the last: no loop is possible, and DNS_NAME_JUMPS_MAX
 * bounds the work anyway. */
static int name_read(const uint8_t *msg, size_t len, size_t *off, uint8_t *wire, size_t *wire_len)
{
    size_t pos = *off, run = *off, end = 0, n = 0;
    unsigned jumps = 0;

    for (;;) {
        unsigned c;

        if (pos >= len)
            return DNS_ERR_SHORT;
        c = msg[pos];
        if ((c & DNS_LABEL_PTR) == DNS_LABEL_PTR) {
            size_t target;

            if (len - pos < 2)
                return DNS_ERR_SHORT;
            target = ((size_t)(c & 0x3Fu) << 8) | msg[pos + 1];
            if (target < DNS_HEADER_LEN || target >= run || ++jumps > DNS_NAME_JUMPS_MAX)
                return DNS_ERR_BAD_POINTER;
            if (jumps == 1)
                end = pos + 2;
            run = pos = target;
            continue;
        }
        if (c & DNS_LABEL_PTR)
            return DNS_ERR_BAD_LABEL;
        if (c != 0 && n + c + 2 > DNS_WIRE_NAME_MAX)
            return DNS_ERR_LONG_NAME; /* no room left for this label and the root */
        if (len - pos < 1 + (size_t)c)
            return DNS_ERR_SHORT;
        memcpy(wire + n, msg + pos, 1 + (size_t)c);
        n += 1 + (size_t)c;
        pos += 1 + (size_t)c;
        if (c == 0)
            break;
    }
    *off = jumps ? end : pos;
    *wire_len = n;
    return 0;
}

/* Wire names, ASCII case ignored (length bytes are below 64, so folding
 * 'A'..'Z' never touches them). */
static int name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t i;

    if (alen != blen)
        return 0;
    for (i = 0; i < alen; i++) {
        unsigned x = a[i], y = b[i];

        if (x >= 'A' && x <= 'Z')
            x += 'a' - 'A';
        if (y >= 'A' && y <= 'Z')
            y += 'a' - 'A';
        if (x != y)
            return 0;
    }
    return 1;
}

/* Wire name to text into text[DNS_NAME_TEXT_MAX]; -1 when it is not a host
 * name (a byte other than LDH or '_', which includes a '.' inside a label). */
static int name_to_text(const uint8_t *wire, size_t wire_len, char *text)
{
    size_t i = 0, n = 0;

    if (wire_len == 1) {
        memcpy(text, ".", 2);
        return 0;
    }
    while (i < wire_len && wire[i] != 0) {
        size_t l = wire[i++], k;

        if (n > 0)
            text[n++] = '.';
        for (k = 0; k < l; k++, i++) {
            unsigned char c = wire[i];

            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_'))
                return -1;
            text[n++] = (char)c;
        }
    }
    /* wire_len <= 255 gives at most 253 characters: it always fits. */
    text[n] = '\0';
    return 0;
}

static int text_equal(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned x = (unsigned char)*a, y = (unsigned char)*b;

        if (x >= 'A' && x <= 'Z')
            x += 'a' - 'A';
        if (y >= 'A' && y <= 'Z')
            y += 'a' - 'A';
        if (x != y)
            return 0;
        if (x == 0)
            return 1;
    }
}

static int rr_read(const uint8_t *msg, size_t len, size_t *off, dns_wire_rr_t *rr)
{
    size_t pos = *off;
    int rc = name_read(msg, len, &pos, rr->owner, &rr->owner_len);

    if (rc != 0)
        return rc;
    if (len - pos < 10)
        return DNS_ERR_SHORT;
    rr->type = rd16(msg + pos);
    rr->cls = rd16(msg + pos + 2);
    rr->ttl = rd32(msg + pos + 4);
    rr->rdlen = rd16(msg + pos + 8);
    rr->rd = pos + 10;
    if (len - rr->rd < rr->rdlen)
        return DNS_ERR_SHORT;
    *off = rr->rd + rr->rdlen;
    return 0;
}

/* The name that ends the record's data, starting at rd + at. Its in-place
 * part must end exactly where the data ends. */
static int rdata_name(const uint8_t *msg, size_t len, const dns_wire_rr_t *rr, size_t at,
                      uint8_t *wire, size_t *wire_len)
{
    size_t pos = rr->rd + at;
    int rc;

    if (rr->rdlen <= at)
        return DNS_ERR_BAD_RDATA;
    rc = name_read(msg, len, &pos, wire, wire_len);
    if (rc != 0)
        return rc;
    return pos == rr->rd + rr->rdlen ? 0 : DNS_ERR_BAD_RDATA;
}

/* A record of the query's type and owner: decode it and store it if there
 * is room. Targets that are not host names are skipped, not fatal. */
static int answer_record(const uint8_t *msg, size_t len, const dns_wire_rr_t *rr, dns_answer_t *out)
{
    const uint8_t *d = msg + rr->rd;
    uint8_t wire[DNS_WIRE_NAME_MAX];
    size_t wire_len;
    dns_rr_t r;
    int rc = 0;

    memset(&r, 0, sizeof(r));
    r.type = rr->type;
    r.ttl = rr->ttl;
    switch (rr->type) {
    case DNS_TYPE_A:
        if (rr->rdlen != 4)
            return DNS_ERR_BAD_RDATA;
        memcpy(r.u.a, d, 4);
        break;
    case DNS_TYPE_MX:
        rc = rdata_name(msg, len, rr, 2, wire, &wire_len);
        if (rc != 0)
            return rc;
        r.u.mx.preference = rd16(d);
        rc = name_to_text(wire, wire_len, r.u.mx.exchange);
        break;
    default: /* DNS_TYPE_SRV: qtype_check() allowed nothing else */
        if (rr->rdlen < 7)
            return DNS_ERR_BAD_RDATA;
        rc = rdata_name(msg, len, rr, 6, wire, &wire_len);
        if (rc != 0)
            return rc;
        r.u.srv.priority = rd16(d);
        r.u.srv.weight = rd16(d + 2);
        r.u.srv.port = rd16(d + 4);
        rc = name_to_text(wire, wire_len, r.u.srv.target);
        break;
    }
    if (rc != 0) {
        out->skipped++;
        return 0;
    }
    out->total++;
    if (out->count < DNS_ANSWERS_MAX)
        out->rr[out->count++] = r;
    return 0;
}

/* Keep an A record of the additional section when its owner is one of the
 * stored targets; anything else there is ignored. */
static void additional_record(const uint8_t *msg, const dns_wire_rr_t *rr, dns_answer_t *out)
{
    char owner[DNS_NAME_TEXT_MAX];
    unsigned i;

    if (rr->type != DNS_TYPE_A || rr->cls != DNS_CLASS_IN || rr->rdlen != 4 || rr->owner_len == 1 ||
        out->addr_count >= DNS_ADDRS_MAX || name_to_text(rr->owner, rr->owner_len, owner) != 0)
        return;
    for (i = 0; i < out->count; i++) {
        const char *t = rr_target(&out->rr[i]);

        if (t != NULL && text_equal(t, owner)) {
            dns_addr_t *a = &out->addr[out->addr_count++];

            memcpy(a->name, owner, sizeof(a->name));
            memcpy(a->a, msg + rr->rd, 4);
            a->ttl = rr->ttl;
            return;
        }
    }
}

static int rr_before(const dns_rr_t *a, const dns_rr_t *b)
{
    if (a->type == DNS_TYPE_MX && b->type == DNS_TYPE_MX)
        return a->u.mx.preference < b->u.mx.preference;
    if (a->type == DNS_TYPE_SRV && b->type == DNS_TYPE_SRV)
        return a->u.srv.priority < b->u.srv.priority ||
               (a->u.srv.priority == b->u.srv.priority && a->u.srv.weight > b->u.srv.weight);
    return 0;
}

static const char *rr_target(const dns_rr_t *rr)
{
    if (rr->type == DNS_TYPE_MX)
        return rr->u.mx.exchange;
    if (rr->type == DNS_TYPE_SRV)
        return rr->u.srv.target;
    return NULL;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
