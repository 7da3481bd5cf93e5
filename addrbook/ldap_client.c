/*
 * ldap_client.c - sans-IO LDAPv3 client engine. Contract and protocol
 * decisions in ldap_client.h.
 *
 * Requests are written with mbedtls_asn1_write_* backwards from the end of
 * the free part of the output buffer, then moved down behind the output
 * already queued; the space they passed through is wiped (a bind leaves its
 * password there). Responses are gathered one LDAPMessage at a time in
 * c->rx and read with mbedtls_asn1_get_*.
 */
#include "ldap_client.h"

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/platform_util.h>
#include <stdlib.h>
#include <string.h>

/* Operations in flight (c->op). */
enum {
    LDAP_OP_NONE = 0,
    LDAP_OP_BIND,
    LDAP_OP_SEARCH,
    LDAP_OP_STARTTLS
};

/* protocolOp tags (RFC 4511 4.2 ff., APPLICATION class). */
#define LDAP_TAG_BIND_REQ     0x60
#define LDAP_TAG_BIND_RESP    0x61
#define LDAP_TAG_UNBIND_REQ   0x42
#define LDAP_TAG_SEARCH_REQ   0x63
#define LDAP_TAG_SEARCH_ENTRY 0x64
#define LDAP_TAG_SEARCH_DONE  0x65
#define LDAP_TAG_SEARCH_REF   0x73
#define LDAP_TAG_ABANDON_REQ  0x50
#define LDAP_TAG_EXT_REQ      0x77
#define LDAP_TAG_EXT_RESP     0x78
#define LDAP_TAG_INTERMEDIATE 0x79
#define LDAP_TAG_CONTROLS     0xA0 /* [0] Controls in an LDAPMessage */
#define LDAP_TAG_AUTH_SIMPLE  0x80 /* [0] simple in a BindRequest */
#define LDAP_TAG_EXT_NAME     0x80 /* [0] requestName */

#define LDAP_SEQ (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)
#define LDAP_SET (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET)

static const char ldap_oid_paged[] = "1.2.840.113556.1.4.319";
static const char ldap_oid_starttls[] = "1.3.6.1.4.1.1466.20037";
/* Password policy (draft-behera-ldap-password-policy, OpenLDAP ppolicy). */
static const char ldap_oid_ppolicy[] = "1.3.6.1.4.1.42.2.27.8.5.1";

/* Add what a write call wrote to len, or fail with NO_ROOM. */
#define LDAP_W(len, expr)                                                      \
    do {                                                                       \
        int w_ = (expr);                                                       \
        if (w_ < 0) {                                                          \
            return w_ == MBEDTLS_ERR_ASN1_BUF_TOO_SMALL ? LDAP_ERR_NO_ROOM : w_; \
        }                                                                      \
        (len) += (size_t)w_;                                                   \
    } while (0)

static int ldap_can_queue(const ldap_client_t *c);
static int ldap_queue(ldap_client_t *c, int op, int (*body)(ldap_client_t *c, unsigned char **p,
                                                           unsigned char *start, const void *arg),
                      const void *arg);
static int ldap_body_bind(ldap_client_t *c, unsigned char **p, unsigned char *start, const void *arg);
static int ldap_body_search(ldap_client_t *c, unsigned char **p, unsigned char *start,
                            const void *arg);
static int ldap_body_starttls(ldap_client_t *c, unsigned char **p, unsigned char *start,
                              const void *arg);
static int ldap_body_abandon(ldap_client_t *c, unsigned char **p, unsigned char *start,
                             const void *arg);
static int ldap_body_unbind(ldap_client_t *c, unsigned char **p, unsigned char *start,
                            const void *arg);
static int ldap_search_page(ldap_client_t *c, uint32_t page_size);
static size_t ldap_hdr_len(const ldap_client_t *c);
static void ldap_take(ldap_client_t *c, const uint8_t **data, size_t *len, size_t want);
static void ldap_gather(ldap_client_t *c, const uint8_t **data, size_t *len);
static int ldap_known_response(int tag);
static int ldap_decode(ldap_client_t *c, unsigned char *p, unsigned char *end);
static int ldap_decode_result(ldap_client_t *c, unsigned char **p, unsigned char *end, int *rc);
static int ldap_decode_entry(ldap_client_t *c, unsigned char *p, unsigned char *end);
static int ldap_decode_controls(ldap_client_t *c, unsigned char *p, unsigned char *end);
static void ldap_on_result(ldap_client_t *c, int tag, int rc);
static void ldap_on_entry(ldap_client_t *c);
static void ldap_search_end(ldap_client_t *c, int rc, int local_partial);
static int ldap_skip(unsigned char **p, unsigned char *end);
static int ldap_get_string(unsigned char **p, unsigned char *end, unsigned char **s, size_t *n);
static void ldap_copy_text(char *dst, size_t cap, const unsigned char *s, size_t n);
static int ldap_value_ok(const unsigned char *s, size_t n);
static int ldap_text_ok(const char *s, size_t max);
static int ldap_attr_eq(const unsigned char *a, size_t n, const char *b);
static void ldap_event_init(const ldap_client_t *c, ldap_event_t *ev, ldap_event_type_t type);
static void ldap_emit(ldap_client_t *c, ldap_event_t *ev);
static void ldap_fail(ldap_client_t *c, int err, int rc);
static uint32_t ldap_timeout(const ldap_client_t *c);
static void ldap_timer_restart(ldap_client_t *c);

int ldap_client_init(ldap_client_t *c, const ldap_config_t *cfg, uint8_t *outbuf, size_t outcap)
{
    if (c == NULL) {
        return LDAP_ERR_BAD_ARGS;
    }
    memset(c, 0, sizeof(*c));
    c->fail.result_code = -1;
    if (cfg == NULL || cfg->event == NULL || outbuf == NULL || outcap < LDAP_OUTBUF_MIN) {
        c->status = LDAP_CLIENT_FAILED;
        c->fail.error = LDAP_ERR_BAD_ARGS;
        return LDAP_ERR_BAD_ARGS;
    }
    c->cfg = cfg;
    c->out = outbuf;
    c->outcap = outcap;
    c->secure = cfg->secure != 0;
    c->next_id = 1;
    mbedtls_platform_zeroize(outbuf, outcap);
    return 0;
}

void ldap_client_free(ldap_client_t *c)
{
    if (c == NULL) {
        return;
    }
    if (c->out != NULL) {
        mbedtls_platform_zeroize(c->out, c->outcap);
    }
    mbedtls_platform_zeroize(c, sizeof(*c));
}

int ldap_client_start(ldap_client_t *c, uint32_t now_ms)
{
    if (c == NULL || c->cfg == NULL || c->status != LDAP_CLIENT_IDLE) {
        return LDAP_ERR_STATE;
    }
    c->status = LDAP_CLIENT_RUNNING;
    c->now = now_ms;
    return 0;
}

int ldap_client_starttls(ldap_client_t *c)
{
    int rc = ldap_can_queue(c);

    if (rc != 0) {
        return rc;
    }
    if (c->secure) {
        return LDAP_ERR_STATE;
    }
    return ldap_queue(c, LDAP_OP_STARTTLS, ldap_body_starttls, NULL);
}

int ldap_client_bind(ldap_client_t *c, const char *dn, const char *password)
{
    const char *creds[2];
    int rc = ldap_can_queue(c);

    if (rc != 0) {
        return rc;
    }
    dn = dn != NULL ? dn : "";
    password = password != NULL ? password : "";
    if (ldap_text_ok(dn, LDAP_VALUE_MAX - 1) != 0 ||
        ldap_text_ok(password, LDAP_VALUE_MAX - 1) != 0 || (dn[0] != '\0' && password[0] == '\0') ||
        (dn[0] == '\0' && password[0] != '\0')) {
        return LDAP_ERR_BAD_ARGS;
    }
    if (password[0] != '\0' && !c->secure && !c->cfg->allow_cleartext) {
        return LDAP_ERR_CLEARTEXT;
    }
    creds[0] = dn;
    creds[1] = password;
    return ldap_queue(c, LDAP_OP_BIND, ldap_body_bind, creds);
}

int ldap_client_search(ldap_client_t *c, const ldap_search_t *search)
{
    size_t i;
    int rc = ldap_can_queue(c);

    if (rc != 0) {
        return rc;
    }
    if (search == NULL || search->base_dn == NULL || search->attrs == NULL ||
        search->attr_count == 0 || search->attr_count > LDAP_ATTRS_MAX ||
        search->scope > LDAP_SCOPE_SUB || ldap_text_ok(search->base_dn, LDAP_DN_MAX - 1) != 0) {
        return LDAP_ERR_BAD_ARGS;
    }
    for (i = 0; i < search->attr_count; i++) {
        if (search->attrs[i] == NULL || ldap_text_ok(search->attrs[i], 64) != 0 ||
            search->attrs[i][0] == '\0') {
            return LDAP_ERR_BAD_ARGS;
        }
    }
    rc = ldap_filter_check(search->filter);
    if (rc != 0) {
        return rc;
    }
    c->search = search;
    c->entries = 0;
    c->pages = 0;
    c->cookie_len = 0;
    c->entry_budget = search->size_limit;
    if (c->entry_budget == 0 || c->entry_budget > LDAP_ENTRIES_MAX) {
        c->entry_budget = LDAP_ENTRIES_MAX;
    }
    rc = ldap_search_page(c, search->page_size);
    if (rc < 0) {
        c->search = NULL;
    }
    return rc;
}

int ldap_client_abandon(ldap_client_t *c)
{
    int id;
    int rc;

    if (c == NULL || c->status != LDAP_CLIENT_RUNNING || c->op != LDAP_OP_SEARCH) {
        return LDAP_ERR_STATE;
    }
    id = c->op_id;
    rc = ldap_queue(c, LDAP_OP_NONE, ldap_body_abandon, &id);
    if (rc < 0) {
        return rc;
    }
    c->op = LDAP_OP_NONE;
    c->search = NULL;
    return 0;
}

int ldap_client_unbind(ldap_client_t *c)
{
    int rc;

    if (c == NULL || c->status != LDAP_CLIENT_RUNNING || c->tls_wait) {
        return LDAP_ERR_STATE;
    }
    rc = ldap_queue(c, LDAP_OP_NONE, ldap_body_unbind, NULL);
    if (rc < 0) {
        return rc;
    }
    c->op = LDAP_OP_NONE;
    c->search = NULL;
    c->status = LDAP_CLIENT_DONE;
    return 0;
}

int ldap_client_feed(ldap_client_t *c, const uint8_t *data, size_t len, uint32_t now_ms)
{
    if (c == NULL || (data == NULL && len > 0)) {
        return LDAP_ERR_BAD_ARGS;
    }
    if (c->status == LDAP_CLIENT_IDLE) {
        return LDAP_ERR_STATE;
    }
    c->now = now_ms;
    c->stats.bytes_in += len;
    while (len > 0 && c->status == LDAP_CLIENT_RUNNING) {
        if (c->tls_wait) {
            /* Bytes between the StartTLS response and the handshake would be
             * read as if they came over TLS (RFC 4513 3.1.3 injection). */
            ldap_fail(c, LDAP_ERR_PROTOCOL, -1);
            break;
        }
        ldap_gather(c, &data, &len);
    }
    return 0;
}

int ldap_client_tick(ldap_client_t *c, uint32_t now_ms)
{
    if (c == NULL) {
        return 0;
    }
    c->now = now_ms;
    if (c->timer_arm) {
        /* Requests carry no time: their wait starts at the next tick. */
        c->timer_arm = 0;
        c->deadline = now_ms + ldap_timeout(c);
    }
    if (c->status == LDAP_CLIENT_RUNNING && (c->op != LDAP_OP_NONE || c->tls_wait) &&
        (int32_t)(now_ms - c->deadline) >= 0) {
        ldap_fail(c, LDAP_ERR_TIMEOUT, -1);
    }
    return 0;
}

const uint8_t *ldap_client_output(ldap_client_t *c, size_t *len)
{
    if (len != NULL) {
        *len = 0;
    }
    if (c == NULL || len == NULL || c->out == NULL) {
        return NULL;
    }
    *len = c->out_len;
    return c->out;
}

int ldap_client_sent(ldap_client_t *c, size_t n)
{
    if (c == NULL || n > c->out_len) {
        return LDAP_ERR_BAD_ARGS;
    }
    if (n == 0) {
        return 0;
    }
    memmove(c->out, c->out + n, c->out_len - n);
    c->out_len -= n;
    /* The released tail may hold a password: never leave it behind. */
    mbedtls_platform_zeroize(c->out + c->out_len, n);
    c->stats.bytes_out += n;
    return 0;
}

int ldap_client_closed(ldap_client_t *c, uint32_t now_ms)
{
    if (c == NULL) {
        return 0;
    }
    c->now = now_ms;
    if (c->status == LDAP_CLIENT_RUNNING || c->status == LDAP_CLIENT_IDLE) {
        ldap_fail(c, LDAP_ERR_CLOSED, -1);
    }
    return 0;
}

int ldap_client_wants_tls(const ldap_client_t *c)
{
    return c != NULL && c->status == LDAP_CLIENT_RUNNING && c->tls_wait && c->out_len == 0;
}

int ldap_client_tls_ready(ldap_client_t *c, uint32_t now_ms)
{
    if (c == NULL || c->status != LDAP_CLIENT_RUNNING || !c->tls_wait) {
        return LDAP_ERR_STATE;
    }
    c->now = now_ms;
    c->tls_wait = 0;
    c->secure = 1;
    return 0;
}

ldap_status_t ldap_client_status(const ldap_client_t *c)
{
    return c != NULL ? c->status : LDAP_CLIENT_FAILED;
}

int ldap_client_idle(const ldap_client_t *c)
{
    return c != NULL && c->status == LDAP_CLIENT_RUNNING && c->op == LDAP_OP_NONE && !c->tls_wait;
}

int ldap_result_error(int result_code, const char *diag)
{
    const char *d;
    long data;

    switch (result_code) {
    case LDAP_RC_SUCCESS:
        return 0;
    case LDAP_RC_INVALID_CREDENTIALS:
        /* Active Directory: "80090308: LdapErr: DSID-0C09044E, comment:
         * AcceptSecurityContext error, data 775, v4563". */
        d = diag != NULL ? strstr(diag, "data ") : NULL;
        data = d != NULL ? strtol(d + 5, NULL, 16) : 0;
        switch (data) {
        case 0x775:
            return LDAP_ERR_ACCOUNT_LOCKED;
        case 0x533:
            return LDAP_ERR_ACCOUNT_DISABLED;
        case 0x532:
        case 0x773:
            return LDAP_ERR_PASSWORD_EXPIRED;
        case 0x701:
            return LDAP_ERR_ACCOUNT_EXPIRED;
        case 0x530:
        case 0x531:
            return LDAP_ERR_LOGON_RESTRICTED;
        default:
            return LDAP_ERR_BAD_CREDENTIALS;
        }
    case LDAP_RC_STRONGER_AUTH_REQUIRED:
    case LDAP_RC_CONFIDENTIALITY_REQUIRED:
        return LDAP_ERR_NEED_TLS;
    case LDAP_RC_UNWILLING_TO_PERFORM:
        return LDAP_ERR_UNWILLING;
    case LDAP_RC_NO_SUCH_OBJECT:
        return LDAP_ERR_NO_SUCH_OBJECT;
    case LDAP_RC_REFERRAL:
        return LDAP_ERR_REFERRAL;
    default:
        return LDAP_ERR_RESULT;
    }
}

const char *ldap_strerror(int err)
{
    switch (err) {
    case 0: return "ok";
    case LDAP_ERR_BAD_ARGS: return "invalid arguments";
    case LDAP_ERR_NO_ROOM: return "output buffer full";
    case LDAP_ERR_STATE: return "operation out of order";
    case LDAP_ERR_BAD_UTF8: return "text is not valid UTF-8";
    case LDAP_ERR_TOO_BIG: return "server message too large";
    case LDAP_ERR_PROTOCOL: return "malformed or unexpected server message";
    case LDAP_ERR_TIMEOUT: return "no answer from the directory in time";
    case LDAP_ERR_CLOSED: return "connection to the directory closed";
    case LDAP_ERR_DISCONNECT: return "the directory ended the session";
    case LDAP_ERR_CLEARTEXT: return "password not sent: the connection is not encrypted";
    case LDAP_ERR_BAD_CREDENTIALS: return "wrong user name or password";
    case LDAP_ERR_ACCOUNT_LOCKED: return "account locked";
    case LDAP_ERR_ACCOUNT_DISABLED: return "account disabled";
    case LDAP_ERR_PASSWORD_EXPIRED: return "password expired or must be changed";
    case LDAP_ERR_ACCOUNT_EXPIRED: return "account expired";
    case LDAP_ERR_LOGON_RESTRICTED: return "sign-in not allowed at this time or from this device";
    case LDAP_ERR_NEED_TLS: return "the directory requires an encrypted connection";
    case LDAP_ERR_UNWILLING: return "the directory refused (e.g. anonymous access disabled)";
    case LDAP_ERR_NO_SUCH_OBJECT: return "base DN not found";
    case LDAP_ERR_REFERRAL: return "the directory referred elsewhere (not followed)";
    case LDAP_ERR_RESULT: return "the directory returned an error";
    case LDAP_ERR_STARTTLS: return "the directory refused StartTLS";
    case LDAP_ERR_BUSY: return "limit reached";
    default: return "unknown error";
    }
}

/* ---- requests ---------------------------------------------------------- */

static int ldap_can_queue(const ldap_client_t *c)
{
    if (c == NULL || c->status != LDAP_CLIENT_RUNNING || c->op != LDAP_OP_NONE || c->tls_wait) {
        return LDAP_ERR_STATE;
    }
    return 0;
}

/* Write one LDAPMessage (body() writes the protocolOp and, before it since
 * writing goes backwards, nothing else; controls are part of the search
 * body) behind the queued output. Returns the message ID or an error. */
static int ldap_queue(ldap_client_t *c, int op, int (*body)(ldap_client_t *c, unsigned char **p,
                                                           unsigned char *start, const void *arg),
                      const void *arg)
{
    unsigned char *start = c->out + c->out_len;
    unsigned char *p = c->out + c->outcap;
    size_t len = 0;
    int id = c->next_id;
    int rc;

    rc = body(c, &p, start, arg);
    if (rc < 0) {
        goto exit;
    }
    len = (size_t)rc;
    rc = mbedtls_asn1_write_int(&p, start, id);
    if (rc < 0) {
        goto exit;
    }
    len += (size_t)rc;
    rc = ldap_ber_wrap(&p, start, len, LDAP_SEQ);
    if (rc < 0) {
        goto exit;
    }
    len += (size_t)rc;
    memmove(start, p, len);
    c->out_len += len;
    c->next_id = id == 0x7FFFFFFF ? 1 : id + 1;
    c->stats.requests++;
    if (op != LDAP_OP_NONE) {
        c->op = op;
        c->op_id = id;
        c->timer_arm = 1;
    }
    rc = id;
exit:
    /* The request passed through the free space (a bind's password too). */
    mbedtls_platform_zeroize(c->out + c->out_len, c->outcap - c->out_len);
    if (rc == MBEDTLS_ERR_ASN1_BUF_TOO_SMALL) {
        rc = LDAP_ERR_NO_ROOM;
    }
    return rc;
}

/* BindRequest ::= [APPLICATION 0] SEQUENCE { version 3, name, simple [0] } */
static int ldap_body_bind(ldap_client_t *c, unsigned char **p, unsigned char *start, const void *arg)
{
    const char *const *creds = arg;
    size_t len = 0;
    size_t ctl = 0;
    size_t pw = strlen(creds[1]);

    if (c->cfg->ppolicy) {
        /* Controls [0] { Control { ppolicy OID } }: non-critical, no value. */
        LDAP_W(ctl, mbedtls_asn1_write_octet_string(p, start, (const unsigned char *)ldap_oid_ppolicy,
                                                    strlen(ldap_oid_ppolicy)));
        LDAP_W(ctl, ldap_ber_wrap(p, start, ctl, LDAP_SEQ));
        LDAP_W(ctl, ldap_ber_wrap(p, start, ctl, LDAP_TAG_CONTROLS));
    }
    LDAP_W(len, mbedtls_asn1_write_raw_buffer(p, start, (const unsigned char *)creds[1], pw));
    LDAP_W(len, mbedtls_asn1_write_len(p, start, pw));
    LDAP_W(len, mbedtls_asn1_write_tag(p, start, LDAP_TAG_AUTH_SIMPLE));
    LDAP_W(len, mbedtls_asn1_write_octet_string(p, start, (const unsigned char *)creds[0],
                                                strlen(creds[0])));
    LDAP_W(len, mbedtls_asn1_write_int(p, start, 3));
    LDAP_W(len, ldap_ber_wrap(p, start, len, LDAP_TAG_BIND_REQ));
    return (int)(len + ctl);
}

/* SearchRequest (RFC 4511 4.5.1), then the paged control when asked for. */
static int ldap_body_search(ldap_client_t *c, unsigned char **p, unsigned char *start,
                            const void *arg)
{
    const ldap_search_t *s = c->search;
    const uint32_t *page_size = arg;
    size_t len = 0;
    size_t sub = 0;
    size_t i;

    if (*page_size > 0 || c->cookie_len > 0) {
        /* Controls [0] { Control { type, controlValue OCTET STRING {
         * realSearchControlValue { size, cookie } } } }; criticality FALSE
         * (the default, so absent): a server without paging still answers. */
        LDAP_W(sub, mbedtls_asn1_write_octet_string(p, start, c->cookie, c->cookie_len));
        LDAP_W(sub, mbedtls_asn1_write_int(p, start, (int)*page_size));
        LDAP_W(sub, ldap_ber_wrap(p, start, sub, LDAP_SEQ));
        LDAP_W(sub, ldap_ber_wrap(p, start, sub, MBEDTLS_ASN1_OCTET_STRING));
        LDAP_W(sub, mbedtls_asn1_write_octet_string(p, start, (const unsigned char *)ldap_oid_paged,
                                                    strlen(ldap_oid_paged)));
        LDAP_W(sub, ldap_ber_wrap(p, start, sub, LDAP_SEQ));
        LDAP_W(sub, ldap_ber_wrap(p, start, sub, LDAP_TAG_CONTROLS));
    }
    for (i = s->attr_count; i-- > 0;) {
        LDAP_W(len, mbedtls_asn1_write_octet_string(p, start, (const unsigned char *)s->attrs[i],
                                                    strlen(s->attrs[i])));
    }
    LDAP_W(len, ldap_ber_wrap(p, start, len, LDAP_SEQ));
    LDAP_W(len, ldap_filter_ber_write(p, start, s->filter));
    LDAP_W(len, mbedtls_asn1_write_bool(p, start, 0));
    LDAP_W(len, mbedtls_asn1_write_int(p, start, (int)(s->time_limit_s & 0x7FFFFFFF)));
    LDAP_W(len, mbedtls_asn1_write_int(p, start, (int)c->entry_budget));
    LDAP_W(len, mbedtls_asn1_write_enum(p, start, 0)); /* derefAliases: never */
    LDAP_W(len, mbedtls_asn1_write_enum(p, start, (int)s->scope));
    LDAP_W(len, mbedtls_asn1_write_octet_string(p, start, (const unsigned char *)s->base_dn,
                                                strlen(s->base_dn)));
    LDAP_W(len, ldap_ber_wrap(p, start, len, LDAP_TAG_SEARCH_REQ));
    return (int)(len + sub);
}

/* ExtendedRequest ::= [APPLICATION 23] SEQUENCE { requestName [0] } */
static int ldap_body_starttls(ldap_client_t *c, unsigned char **p, unsigned char *start,
                              const void *arg)
{
    size_t len = 0;

    (void)c;
    (void)arg;
    LDAP_W(len, mbedtls_asn1_write_raw_buffer(p, start, (const unsigned char *)ldap_oid_starttls,
                                              strlen(ldap_oid_starttls)));
    LDAP_W(len, ldap_ber_wrap(p, start, len, LDAP_TAG_EXT_NAME));
    LDAP_W(len, ldap_ber_wrap(p, start, len, LDAP_TAG_EXT_REQ));
    return (int)len;
}

/* AbandonRequest ::= [APPLICATION 16] MessageID: an INTEGER with the tag
 * replaced (implicit tagging). */
static int ldap_body_abandon(ldap_client_t *c, unsigned char **p, unsigned char *start,
                             const void *arg)
{
    size_t len = 0;

    (void)c;
    LDAP_W(len, mbedtls_asn1_write_int(p, start, *(const int *)arg));
    **p = LDAP_TAG_ABANDON_REQ;
    return (int)len;
}

/* UnbindRequest ::= [APPLICATION 2] NULL */
static int ldap_body_unbind(ldap_client_t *c, unsigned char **p, unsigned char *start,
                            const void *arg)
{
    size_t len = 0;

    (void)c;
    (void)arg;
    LDAP_W(len, ldap_ber_wrap(p, start, 0, LDAP_TAG_UNBIND_REQ));
    return (int)len;
}

/* Queue the search request for the next page (or the first). */
static int ldap_search_page(ldap_client_t *c, uint32_t page_size)
{
    int rc = ldap_queue(c, LDAP_OP_SEARCH, ldap_body_search, &page_size);

    if (rc > 0) {
        if (c->pages == 0) {
            c->op_first_id = rc;
        }
        c->pages++;
    }
    return rc;
}

/* ---- responses --------------------------------------------------------- */

/* Bytes of the LDAPMessage header once rx holds its first two: tag, first
 * length byte, then 1..4 more length bytes in the long form. Longer forms
 * (and the indefinite form) are left to mbedtls to refuse. */
static size_t ldap_hdr_len(const ldap_client_t *c)
{
    if (c->rx_len >= 2 && (c->rx[1] & 0x80) && (c->rx[1] & 0x7F) <= 4) {
        return 2u + (c->rx[1] & 0x7Fu);
    }
    return 2;
}

/* Take up to want - rx_len bytes from *data into rx. */
static void ldap_take(ldap_client_t *c, const uint8_t **data, size_t *len, size_t want)
{
    size_t n = want - c->rx_len < *len ? want - c->rx_len : *len;

    memcpy(c->rx + c->rx_len, *data, n);
    c->rx_len += n;
    *data += n;
    *len -= n;
}

/* Take bytes of the current LDAPMessage from *data; decode it once whole. */
static void ldap_gather(ldap_client_t *c, const uint8_t **data, size_t *len)
{
    if (c->rx_need == 0) {
        unsigned char *p = c->rx;
        size_t body;
        int rc;

        while (c->rx_len < ldap_hdr_len(c)) {
            if (*len == 0) {
                return;
            }
            ldap_take(c, data, len, ldap_hdr_len(c));
        }
        /* The end is the whole buffer: a length over it is "too big", and
         * only header bytes already received are read. */
        rc = mbedtls_asn1_get_tag(&p, c->rx + sizeof(c->rx), &body, LDAP_SEQ);
        if (rc == MBEDTLS_ERR_ASN1_OUT_OF_DATA) {
            ldap_fail(c, LDAP_ERR_TOO_BIG, -1);
            return;
        }
        if (rc != 0) {
            ldap_fail(c, LDAP_ERR_PROTOCOL, -1);
            return;
        }
        c->rx_need = (size_t)(p - c->rx) + body;
    }
    ldap_take(c, data, len, c->rx_need);
    if (c->rx_len == c->rx_need) {
        size_t whole = c->rx_need;

        c->rx_len = 0;
        c->rx_need = 0;
        c->stats.pdus_in++;
        if (ldap_decode(c, c->rx, c->rx + whole) != 0) {
            ldap_fail(c, LDAP_ERR_PROTOCOL, -1);
        }
    }
}

/* One whole LDAPMessage. Returns 0, or -1 for a malformed one. */
static int ldap_decode(ldap_client_t *c, unsigned char *p, unsigned char *end)
{
    unsigned char *op_end;
    ldap_event_t ev;
    size_t len;
    int id;
    int tag;
    int rc = -1;

    if (mbedtls_asn1_get_tag(&p, end, &len, LDAP_SEQ) != 0 || p + len != end ||
        mbedtls_asn1_get_int(&p, end, &id) != 0 || p >= end) {
        return -1;
    }
    tag = *p;
    if (mbedtls_asn1_get_tag(&p, end, &len, tag) != 0) {
        return -1;
    }
    op_end = p + len;
    if (op_end < end && (*op_end != LDAP_TAG_CONTROLS || ldap_skip(&op_end, end) != 0 ||
                         op_end != end)) {
        return -1; /* only Controls may follow the protocolOp */
    }
    op_end = p + len;

    if (id == 0 && tag == LDAP_TAG_EXT_RESP) {
        /* Notice of Disconnection (RFC 4511 4.4.1): the session is over. */
        if (ldap_decode_result(c, &p, op_end, &rc) != 0) {
            return -1;
        }
        ldap_fail(c, LDAP_ERR_DISCONNECT, rc);
        return 0;
    }
    if (c->op == LDAP_OP_NONE || id != c->op_id || tag == LDAP_TAG_INTERMEDIATE) {
        c->stats.skipped++; /* abandoned, stale, or informational */
        return 0;
    }
    ldap_timer_restart(c);
    if (tag == LDAP_TAG_SEARCH_REF && c->op == LDAP_OP_SEARCH) {
        c->stats.skipped++;
        c->diag[0] = '\0';
        c->dn[0] = '\0';
        ldap_event_init(c, &ev, LDAP_EV_REFERRAL);
        ldap_emit(c, &ev);
        return 0;
    }
    if (tag == LDAP_TAG_SEARCH_ENTRY) {
        if (c->op != LDAP_OP_SEARCH || ldap_decode_entry(c, p, op_end) != 0) {
            return -1;
        }
        ldap_on_entry(c);
        return 0;
    }
    if ((tag == LDAP_TAG_BIND_RESP && c->op == LDAP_OP_BIND) ||
        (tag == LDAP_TAG_SEARCH_DONE && c->op == LDAP_OP_SEARCH) ||
        (tag == LDAP_TAG_EXT_RESP && c->op == LDAP_OP_STARTTLS)) {
        if (ldap_decode_result(c, &p, op_end, &rc) != 0) {
            return -1;
        }
        c->cookie_len = 0;
        c->ppolicy_error = -1;
        if (op_end < end && ldap_decode_controls(c, op_end, end) != 0) {
            return -1;
        }
        ldap_on_result(c, tag, rc);
        return 0;
    }
    if (ldap_known_response(tag)) {
        return -1; /* a known response type that does not answer this operation */
    }
    c->stats.skipped++; /* a tag from a later RFC or an extension */
    return 0;
}

/* RFC 4511 response protocolOps (bind, entry, done, modify, add, delete,
 * modDN, compare, reference, extended). */
static int ldap_known_response(int tag)
{
    static const unsigned char known[] = {0x61, 0x64, 0x65, 0x67, 0x69, 0x6B,
                                          0x6D, 0x6F, 0x73, 0x78};
    size_t i;

    for (i = 0; i < sizeof(known); i++) {
        if (known[i] == tag) {
            return 1;
        }
    }
    return 0;
}

/* LDAPResult's components: resultCode, matchedDN, diagnosticMessage; the
 * optional referral and anything after it are ignored. */
static int ldap_decode_result(ldap_client_t *c, unsigned char **p, unsigned char *end, int *rc)
{
    unsigned char *s;
    size_t n;

    if (mbedtls_asn1_get_enum(p, end, rc) != 0) {
        return -1;
    }
    if (ldap_get_string(p, end, &s, &n) != 0) {
        return -1;
    }
    ldap_copy_text(c->dn, sizeof(c->dn), s, n);
    if (ldap_get_string(p, end, &s, &n) != 0) {
        return -1;
    }
    ldap_copy_text(c->diag, sizeof(c->diag), s, n);
    return 0;
}

/* SearchResultEntry: objectName, attributes SEQUENCE OF { type, SET OF
 * value }. Keeps the first acceptable value of each requested attribute. */
static int ldap_decode_entry(ldap_client_t *c, unsigned char *p, unsigned char *end)
{
    const ldap_search_t *s = c->search;
    unsigned char *str;
    unsigned char *attrs_end;
    size_t n;
    size_t i;

    for (i = 0; i < LDAP_ATTRS_MAX; i++) {
        c->values[i][0] = '\0';
    }
    if (ldap_get_string(&p, end, &str, &n) != 0) {
        return -1;
    }
    ldap_copy_text(c->dn, sizeof(c->dn), str, n);
    if (mbedtls_asn1_get_tag(&p, end, &n, LDAP_SEQ) != 0) {
        return -1;
    }
    attrs_end = p + n;
    while (p < attrs_end) {
        unsigned char *type;
        size_t type_len;
        unsigned char *attr_end;
        unsigned char *vals_end;
        size_t want = s->attr_count;

        if (mbedtls_asn1_get_tag(&p, attrs_end, &n, LDAP_SEQ) != 0) {
            return -1;
        }
        attr_end = p + n;
        if (ldap_get_string(&p, attr_end, &type, &type_len) != 0 ||
            mbedtls_asn1_get_tag(&p, attr_end, &n, LDAP_SET) != 0) {
            return -1;
        }
        vals_end = p + n;
        for (i = 0; i < s->attr_count; i++) {
            if (c->values[i][0] == '\0' && ldap_attr_eq(type, type_len, s->attrs[i])) {
                want = i;
                break;
            }
        }
        while (p < vals_end) {
            if (ldap_get_string(&p, vals_end, &str, &n) != 0) {
                return -1;
            }
            if (want < s->attr_count && c->values[want][0] == '\0' && ldap_value_ok(str, n)) {
                memcpy(c->values[want], str, n);
                c->values[want][n] = '\0';
            }
        }
        p = attr_end;
    }
    return 0;
}

/* Controls of a response: the paged results cookie, the password policy
 * error; others skipped. */
static int ldap_decode_controls(ldap_client_t *c, unsigned char *p, unsigned char *end)
{
    size_t n;

    c->cookie_len = 0;
    if (mbedtls_asn1_get_tag(&p, end, &n, LDAP_TAG_CONTROLS) != 0) {
        return -1;
    }
    while (p < end) {
        unsigned char *ctl_end;
        unsigned char *oid;
        size_t oid_len;
        unsigned char *val;
        size_t val_len;
        unsigned char *seq_end;
        unsigned char *cookie;
        size_t cookie_len;

        if (mbedtls_asn1_get_tag(&p, end, &n, LDAP_SEQ) != 0) {
            return -1;
        }
        ctl_end = p + n;
        if (ldap_get_string(&p, ctl_end, &oid, &oid_len) != 0) {
            return -1;
        }
        if (p < ctl_end && *p == MBEDTLS_ASN1_BOOLEAN && ldap_skip(&p, ctl_end) != 0) {
            return -1;
        }
        if (oid_len == strlen(ldap_oid_ppolicy) &&
            memcmp(oid, ldap_oid_ppolicy, oid_len) == 0 && p < ctl_end) {
            /* PasswordPolicyResponseValue ::= SEQUENCE { warning [0]
             * OPTIONAL, error [1] ENUMERATED OPTIONAL } */
            if (ldap_get_string(&p, ctl_end, &val, &val_len) != 0 ||
                mbedtls_asn1_get_tag(&val, val + val_len, &n, LDAP_SEQ) != 0) {
                return -1;
            }
            seq_end = val + n;
            if (val < seq_end && *val == 0xA0 && ldap_skip(&val, seq_end) != 0) {
                return -1;
            }
            if (val < seq_end && *val == 0x81) {
                if (mbedtls_asn1_get_tag(&val, seq_end, &n, 0x81) != 0 || n != 1) {
                    return -1;
                }
                c->ppolicy_error = *val;
            }
        } else if (oid_len == strlen(ldap_oid_paged) && memcmp(oid, ldap_oid_paged, oid_len) == 0 &&
            p < ctl_end) {
            /* realSearchControlValue ::= SEQUENCE { size INTEGER, cookie } */
            if (ldap_get_string(&p, ctl_end, &val, &val_len) != 0 ||
                mbedtls_asn1_get_tag(&val, val + val_len, &n, LDAP_SEQ) != 0) {
                return -1;
            }
            seq_end = val + n;
            if (mbedtls_asn1_get_tag(&val, seq_end, &n, MBEDTLS_ASN1_INTEGER) != 0) {
                return -1;
            }
            val += n;
            if (ldap_get_string(&val, seq_end, &cookie, &cookie_len) != 0 ||
                cookie_len > sizeof(c->cookie)) {
                return -1;
            }
            memcpy(c->cookie, cookie, cookie_len);
            c->cookie_len = cookie_len;
        }
        p = ctl_end;
    }
    return 0;
}

static void ldap_on_result(ldap_client_t *c, int tag, int rc)
{
    ldap_event_t ev;
    int op = c->op;

    if (op == LDAP_OP_SEARCH) {
        if (rc == LDAP_RC_SUCCESS && c->cookie_len > 0) {
            if (c->entries < c->entry_budget) {
                if (ldap_search_page(c, c->search->page_size) < 0) {
                    ldap_fail(c, LDAP_ERR_NO_ROOM, -1);
                }
                return;
            }
            /* Budget reached with pages left: release the server's state
             * (RFC 2696 3: size 0 with the cookie); its answer is skipped. */
            c->op = LDAP_OP_NONE;
            (void)ldap_search_page(c, 0);
            c->op = LDAP_OP_NONE;
            ldap_search_end(c, rc, 1);
            return;
        }
        ldap_search_end(c, rc, 0);
        return;
    }
    (void)tag;
    c->op = LDAP_OP_NONE;
    ldap_event_init(c, &ev, op == LDAP_OP_BIND ? LDAP_EV_BIND : LDAP_EV_STARTTLS);
    ev.result_code = rc;
    ev.error = ldap_result_error(rc, c->diag);
    if (rc != LDAP_RC_SUCCESS && c->ppolicy_error >= 0) {
        /* ppolicy errors: 0 expired, 1 locked, 2 must change after reset. */
        ev.error = c->ppolicy_error == 1 ? LDAP_ERR_ACCOUNT_LOCKED
                   : c->ppolicy_error <= 2 ? LDAP_ERR_PASSWORD_EXPIRED
                                           : ev.error;
    }
    if (op == LDAP_OP_STARTTLS) {
        if (rc == LDAP_RC_SUCCESS) {
            c->tls_wait = 1;
            ldap_timer_restart(c); /* the handshake must end in time too */
        } else {
            ev.error = LDAP_ERR_STARTTLS;
        }
    }
    ldap_emit(c, &ev);
}

static void ldap_on_entry(ldap_client_t *c)
{
    ldap_event_t ev;
    size_t i;

    if (c->entries >= c->entry_budget) {
        /* More than wanted: stop the server and report what we have. */
        int id = c->op_id;

        (void)ldap_queue(c, LDAP_OP_NONE, ldap_body_abandon, &id);
        c->diag[0] = '\0';
        c->dn[0] = '\0';
        ldap_search_end(c, -1, 1);
        return;
    }
    c->entries++;
    ldap_event_init(c, &ev, LDAP_EV_ENTRY);
    ev.dn = c->dn;
    for (i = 0; i < c->search->attr_count; i++) {
        ev.values[i] = c->values[i][0] != '\0' ? c->values[i] : NULL;
    }
    ldap_emit(c, &ev);
}

/* rc: the server's resultCode, or -1 when the engine stopped by itself. */
static void ldap_search_end(ldap_client_t *c, int rc, int local_partial)
{
    ldap_event_t ev;

    c->op = LDAP_OP_NONE;
    c->search = NULL;
    c->cookie_len = 0;
    ldap_event_init(c, &ev, LDAP_EV_SEARCH_DONE);
    ev.result_code = rc;
    ev.entries = c->entries;
    ev.pages = c->pages;
    ev.partial = local_partial;
    if (rc == LDAP_RC_SIZE_LIMIT_EXCEEDED || rc == LDAP_RC_TIME_LIMIT_EXCEEDED) {
        ev.partial = 1;
    } else if (rc > 0) {
        ev.error = ldap_result_error(rc, c->diag);
    }
    ldap_emit(c, &ev);
}

/* ---- helpers ----------------------------------------------------------- */

static int ldap_skip(unsigned char **p, unsigned char *end)
{
    size_t n;

    if (*p >= end || mbedtls_asn1_get_tag(p, end, &n, **p) != 0) {
        return -1;
    }
    *p += n;
    return 0;
}

static int ldap_get_string(unsigned char **p, unsigned char *end, unsigned char **s, size_t *n)
{
    if (mbedtls_asn1_get_tag(p, end, n, MBEDTLS_ASN1_OCTET_STRING) != 0) {
        return -1;
    }
    *s = *p;
    *p += *n;
    return 0;
}

/* Server text for display and logs: cut to fit on a UTF-8 boundary, control
 * bytes (CR, LF, NUL, ...) turned into spaces. */
static void ldap_copy_text(char *dst, size_t cap, const unsigned char *s, size_t n)
{
    size_t i;

    if (n > cap - 1) {
        n = cap - 1;
        while (n > 0 && (s[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    for (i = 0; i < n; i++) {
        dst[i] = (s[i] < 0x20 || s[i] == 0x7F) ? ' ' : (char)s[i];
    }
    dst[n] = '\0';
    if (ldap_utf8_check(dst, n) != 0) {
        /* Not text: keep the ASCII so the evidence stays readable. */
        for (i = 0; i < n; i++) {
            if ((unsigned char)dst[i] >= 0x80) {
                dst[i] = '?';
            }
        }
    }
}

/* A value kept exactly or not at all: fits, valid UTF-8, no control bytes. */
static int ldap_value_ok(const unsigned char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > LDAP_VALUE_MAX - 1 || ldap_utf8_check((const char *)s, n) != 0) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] == 0x7F) {
            return 0;
        }
    }
    return 1;
}

/* Caller text sent as is: at most max bytes, no control bytes. */
static int ldap_text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    size_t i;

    if (n > max) {
        return LDAP_ERR_BAD_ARGS;
    }
    for (i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) {
            return LDAP_ERR_BAD_ARGS;
        }
    }
    return 0;
}

/* Attribute descriptions compare case-insensitively (ASCII). */
static int ldap_attr_eq(const unsigned char *a, size_t n, const char *b)
{
    size_t i;

    if (strlen(b) != n) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        unsigned char x = a[i];
        unsigned char y = (unsigned char)b[i];

        if (x >= 'A' && x <= 'Z') {
            x = (unsigned char)(x - 'A' + 'a');
        }
        if (y >= 'A' && y <= 'Z') {
            y = (unsigned char)(y - 'A' + 'a');
        }
        if (x != y) {
            return 0;
        }
    }
    return 1;
}

static void ldap_event_init(const ldap_client_t *c, ldap_event_t *ev, ldap_event_type_t type)
{
    memset(ev, 0, sizeof(*ev));
    ev->type = type;
    ev->msgid = c->op == LDAP_OP_SEARCH || type == LDAP_EV_SEARCH_DONE ? c->op_first_id : c->op_id;
    ev->result_code = -1;
    ev->diag = c->diag;
    ev->matched_dn = type == LDAP_EV_ENTRY ? "" : c->dn;
}

static void ldap_emit(ldap_client_t *c, ldap_event_t *ev)
{
    c->cfg->event(c->cfg->event_arg, ev);
}

/* End the session. rc: the server's resultCode when it told us why. */
static void ldap_fail(ldap_client_t *c, int err, int rc)
{
    ldap_event_t ev;

    if (c->status == LDAP_CLIENT_FAILED || c->status == LDAP_CLIENT_DONE) {
        return;
    }
    if (rc < 0) {
        c->diag[0] = '\0';
        c->dn[0] = '\0';
    }
    c->status = LDAP_CLIENT_FAILED;
    c->op = LDAP_OP_NONE;
    c->search = NULL;
    c->tls_wait = 0;
    c->fail.error = err;
    c->fail.result_code = rc;
    memcpy(c->fail.diag, c->diag, sizeof(c->fail.diag));
    if (c->cfg == NULL) {
        return;
    }
    ldap_event_init(c, &ev, LDAP_EV_FAILED);
    ev.error = err;
    ev.result_code = rc;
    ldap_emit(c, &ev);
}

static uint32_t ldap_timeout(const ldap_client_t *c)
{
    return c->cfg->timeout_ms != 0 ? c->cfg->timeout_ms : LDAP_TIMEOUT_MS;
}

static void ldap_timer_restart(ldap_client_t *c)
{
    c->deadline = c->now + ldap_timeout(c);
    c->timer_arm = 0;
}
