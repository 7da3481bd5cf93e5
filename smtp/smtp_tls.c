#include "smtp_tls.h"

#include <stdio.h>
#include <string.h>

#include "lwip/altcp_tls.h"
#include "lwip/ip4_addr.h"
#include "mbedtls/asn1.h"
#include "mbedtls/error.h"
#include "mbedtls/oid.h"
#include "mbedtls/ssl_internal.h"

#define SMTP_TLS_DRBG_PERSONAL "mfp smtp tls"

static mbedtls_ssl_config *smtp_tls_ssl_conf(struct altcp_tls_config *altcp);
static int smtp_tls_rng_entropy(void *arg, unsigned char *buf, size_t len);
static int smtp_tls_ip_literal(const char *host, ip4_addr_t *addr);
static size_t smtp_tls_dns_names(const mbedtls_x509_crt *crt, char *buf, size_t cap);
static const char *smtp_tls_stage(int state);
static const char *smtp_tls_alert(unsigned desc);
static void smtp_tls_lib_text(int lib_err, char *buf, size_t cap);
static int smtp_tls_fail(smtp_tls_config_t *c, int err, int lib_err, const char *fmt, const char *arg);

int smtp_tls_config_init(smtp_tls_config_t *c, const smtp_tls_options_t *opts)
{
    mbedtls_x509_crt ca;
    mbedtls_ssl_config *conf;
    char lib[96];
    int ret;

    if (!c || !opts)
        return SMTP_TLS_ERR_BAD_ARGS;
    memset(c, 0, sizeof(*c));
    mbedtls_x509_crt_init(&ca);
    c->insecure_skip_verify = opts->insecure_skip_verify != 0;
    if (!opts->ca || opts->ca_len == 0) {
        if (!c->insecure_skip_verify) {
            ret = smtp_tls_fail(c, SMTP_TLS_ERR_NO_CA, 0,
                                "no CA certificate is installed: install the CA that signed the "
                                "server's certificate%s", "");
            goto exit;
        }
    } else {
        /* Parsed here first because altcp_tls only says "failed". */
        if (memmem(opts->ca, opts->ca_len, "-----BEGIN", 10) && opts->ca[opts->ca_len - 1] != '\0') {
            ret = smtp_tls_fail(c, SMTP_TLS_ERR_CA_PARSE, 0,
                                "the CA certificates (PEM) must be passed with their terminating "
                                "NUL%s", "");
            goto exit;
        }
        ret = mbedtls_x509_crt_parse(&ca, opts->ca, opts->ca_len);
        if (ret < 0) {
            smtp_tls_lib_text(ret, lib, sizeof(lib));
            ret = smtp_tls_fail(c, SMTP_TLS_ERR_CA_PARSE, ret, "the CA certificates cannot be read: %s",
                                lib);
            goto exit;
        }
        if (ret > 0) {
            snprintf(lib, sizeof(lib), "%d", ret);
            ret = smtp_tls_fail(c, SMTP_TLS_ERR_CA_PARSE, 0,
                                "%s of the CA certificates cannot be read", lib);
            goto exit;
        }
    }

    c->altcp = altcp_tls_create_config_client(opts->ca_len ? opts->ca : NULL, opts->ca_len);
    if (!c->altcp) {
        ret = smtp_tls_fail(c, SMTP_TLS_ERR_SETUP, 0, "cannot set up TLS (out of memory, or no "
                            "entropy to seed the random generator)%s", "");
        goto exit;
    }
    conf = smtp_tls_ssl_conf(c->altcp);
    if (!conf) {
        ret = smtp_tls_fail(c, SMTP_TLS_ERR_SETUP, 0, "altcp_tls is not the expected version%s", "");
        goto exit;
    }
    mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    /* VERIFY_OPTIONAL stays: the handshake completes, and smtp_tls_verify_peer()
     * refuses before any application byte (and can say why, in words). */
    if (opts->rng) {
        c->rng = opts->rng;
        mbedtls_ctr_drbg_init(&c->drbg);
        c->have_drbg = 1;
        ret = mbedtls_ctr_drbg_seed(&c->drbg, smtp_tls_rng_entropy, c,
                                    (const unsigned char *)SMTP_TLS_DRBG_PERSONAL,
                                    sizeof(SMTP_TLS_DRBG_PERSONAL) - 1);
        if (ret != 0) {
            smtp_tls_lib_text(ret, lib, sizeof(lib));
            ret = smtp_tls_fail(c, SMTP_TLS_ERR_SETUP, ret, "cannot seed the TLS random generator: %s",
                                lib);
            goto exit;
        }
        mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, &c->drbg);
    }
    ret = 0;
exit:
    mbedtls_x509_crt_free(&ca);
    if (ret != 0) {
        int lib_err = c->lib_err;
        char detail[SMTP_TLS_TEXT_MAX];
        memcpy(detail, c->detail, sizeof(detail));
        smtp_tls_config_free(c);
        c->lib_err = lib_err;
        memcpy(c->detail, detail, sizeof(detail));
    }
    return ret;
}

void smtp_tls_config_free(smtp_tls_config_t *c)
{
    if (!c)
        return;
    if (c->altcp) {
        altcp_tls_free_config(c->altcp);
        altcp_tls_free_entropy(); /* lwIP's shared DRBG, once no config uses it */
    }
    if (c->have_drbg)
        mbedtls_ctr_drbg_free(&c->drbg);
    memset(c, 0, sizeof(*c));
}

int smtp_tls_session_setup(mbedtls_ssl_context *ssl, const char *host)
{
    ip4_addr_t addr;

    if (!ssl || !host || !host[0])
        return SMTP_TLS_ERR_BAD_ARGS;
    /* An address is checked by smtp_tls_check_cert() and is no SNI (RFC 6066). */
    if (smtp_tls_ip_literal(host, &addr))
        return 0;
    return mbedtls_ssl_set_hostname(ssl, host) == 0 ? 0 : SMTP_TLS_ERR_SETUP;
}

int smtp_tls_verify_peer(const smtp_tls_config_t *c, const mbedtls_ssl_context *ssl,
                         const char *host, smtp_tls_info_t *info)
{
    uint32_t flags;

    if (!c || !ssl || !host || !info)
        return SMTP_TLS_ERR_BAD_ARGS;
    snprintf(info->version, sizeof(info->version), "%s", mbedtls_ssl_get_version(ssl));
    snprintf(info->ciphersuite, sizeof(info->ciphersuite), "%s", mbedtls_ssl_get_ciphersuite(ssl));
    if (ssl->major_ver < MBEDTLS_SSL_MAJOR_VERSION_3 || ssl->minor_ver < MBEDTLS_SSL_MINOR_VERSION_3) {
        info->error = SMTP_TLS_ERR_VERSION;
        snprintf(info->detail, sizeof(info->detail), "the server negotiated %s; TLS 1.2 or newer "
                 "is required", info->version);
        return info->error;
    }
    flags = mbedtls_ssl_get_verify_result(ssl);
    if (flags == (uint32_t)-1) /* no verification took place */
        flags = MBEDTLS_X509_BADCERT_NOT_TRUSTED;
    return smtp_tls_check_cert(mbedtls_ssl_get_peer_cert(ssl), flags, host, c->insecure_skip_verify,
                               info);
}

int smtp_tls_check_cert(const mbedtls_x509_crt *peer, uint32_t flags, const char *host,
                        int insecure_skip_verify, smtp_tls_info_t *info)
{
    ip4_addr_t addr;
    char problems[SMTP_TLS_TEXT_MAX - 40]; /* room for the words around it */
    char names[SMTP_TLS_TEXT_MAX / 2];

    if (!host || !info)
        return SMTP_TLS_ERR_BAD_ARGS;
    if (!peer)
        flags |= MBEDTLS_X509_BADCERT_MISSING;
    if (smtp_tls_ip_literal(host, &addr) && !smtp_tls_cert_has_ip(peer, host))
        flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    info->verify_flags = flags;
    info->skipped = 0;
    info->error = 0;
    info->detail[0] = '\0';
    if (flags == 0)
        return 0;

    smtp_tls_verify_text(flags, problems, sizeof(problems));
    if (insecure_skip_verify) {
        info->skipped = 1;
        snprintf(info->detail, sizeof(info->detail), "verification is off (insecure): %s", problems);
        return 0;
    }
    if (flags & (MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_MISSING))
        info->error = SMTP_TLS_ERR_CERT_UNTRUSTED;
    else if (flags & (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE))
        info->error = SMTP_TLS_ERR_CERT_EXPIRED;
    else if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
        info->error = SMTP_TLS_ERR_CERT_NAME;
    else
        info->error = SMTP_TLS_ERR_CERT_INVALID;

    if (info->error == SMTP_TLS_ERR_CERT_NAME && smtp_tls_dns_names(peer, names, sizeof(names)) > 0)
        snprintf(info->detail, sizeof(info->detail), "the certificate is for %s, not %s", names, host);
    else
        snprintf(info->detail, sizeof(info->detail), "%s", problems);
    return info->error;
}

int smtp_tls_cert_has_ip(const mbedtls_x509_crt *crt, const char *ip)
{
    ip4_addr_t addr;

    if (!crt || !ip || !smtp_tls_ip_literal(ip, &addr))
        return 0;
    if (!(crt->ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME))
        return 0;
    for (const mbedtls_x509_sequence *cur = &crt->subject_alt_names; cur; cur = cur->next) {
        if (cur->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_IP_ADDRESS) &&
            cur->buf.len == 4 && memcmp(cur->buf.p, &addr.addr, 4) == 0)
            return 1;
    }
    return 0;
}

void smtp_tls_handshake_failed(const mbedtls_ssl_context *ssl, smtp_tls_info_t *info)
{
    uint32_t flags;
    char extra[SMTP_TLS_TEXT_MAX / 2] = "";

    if (!info)
        return;
    info->error = SMTP_TLS_ERR_HANDSHAKE;
    info->lib_err = 0;
    if (!ssl) {
        snprintf(info->detail, sizeof(info->detail), "the TLS handshake failed");
        return;
    }
    /* lwIP 2.1.3 drops mbedtls_ssl_handshake()'s code: say what the context
     * still shows (the stage, the alert the server sent, cleartext). */
    if (ssl->in_msgtype == MBEDTLS_SSL_MSG_ALERT && ssl->in_msg && ssl->in_msglen >= 2 &&
        ssl->in_msg[0] == MBEDTLS_SSL_ALERT_LEVEL_FATAL) {
        info->lib_err = MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE;
        snprintf(extra, sizeof(extra), ": the server sent alert %s (%u)",
                 smtp_tls_alert(ssl->in_msg[1]), ssl->in_msg[1]);
    } else if (ssl->state <= MBEDTLS_SSL_SERVER_HELLO && ssl->in_hdr && ssl->in_left > 0 &&
               ssl->in_hdr[0] >= 0x20 && ssl->in_hdr[0] < 0x7f) {
        snprintf(extra, sizeof(extra), ": the server answered in cleartext (is this a STARTTLS "
                 "port, not implicit TLS?)");
    }
    flags = mbedtls_ssl_get_verify_result(ssl);
    if (flags != (uint32_t)-1)
        info->verify_flags = flags;
    snprintf(info->detail, sizeof(info->detail), "the TLS handshake failed at %s%s",
             smtp_tls_stage(ssl->state), extra);
}

int smtp_tls_handshake_begun(const mbedtls_ssl_context *ssl)
{
    return ssl && ssl->state > MBEDTLS_SSL_CLIENT_HELLO;
}

size_t smtp_tls_verify_text(uint32_t flags, char *buf, size_t cap)
{
    int n;
    size_t len;

    if (!buf || cap == 0)
        return 0;
    buf[0] = '\0';
    if (flags == 0)
        return 0;
    n = mbedtls_x509_crt_verify_info(buf, cap, "", flags);
    if (n < 0) /* truncated: keep what fitted */
        buf[cap - 1] = '\0';
    /* One line per problem: make it one line, "; " between. */
    len = strlen(buf);
    while (len > 0 && buf[len - 1] == '\n')
        buf[--len] = '\0';
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n') {
            if (len + 1 < cap) {
                memmove(buf + i + 2, buf + i + 1, len - i); /* includes the NUL */
                buf[i] = ';';
                buf[i + 1] = ' ';
                len++;
                i++;
            } else {
                buf[i] = ';';
            }
        }
    }
    return len;
}

const char *smtp_tls_strerror(int err)
{
    switch (err) {
    case 0: return "no error";
    case SMTP_TLS_ERR_BAD_ARGS: return "bad TLS arguments";
    case SMTP_TLS_ERR_NO_CA: return "no CA certificate installed";
    case SMTP_TLS_ERR_CA_PARSE: return "the CA certificates cannot be read";
    case SMTP_TLS_ERR_SETUP: return "cannot set up TLS";
    case SMTP_TLS_ERR_HANDSHAKE: return "the TLS handshake failed";
    case SMTP_TLS_ERR_CERT_UNTRUSTED: return "the server's certificate is not trusted";
    case SMTP_TLS_ERR_CERT_EXPIRED: return "the server's certificate has expired or is not yet valid";
    case SMTP_TLS_ERR_CERT_NAME: return "the server's certificate is for another name";
    case SMTP_TLS_ERR_CERT_INVALID: return "the server's certificate is not acceptable";
    case SMTP_TLS_ERR_VERSION: return "the server offers no TLS 1.2 or newer";
    case SMTP_TLS_ERR_TIMEOUT: return "the TLS handshake timed out";
    default: return "unknown TLS error";
    }
}

/* lwIP 2.1.3 keeps struct altcp_tls_config private; its first member is the
 * mbedtls_ssl_config (altcp_tls_mbedtls.c), which C lets us address through
 * the struct's pointer. Checked against what altcp_tls_create_config_client()
 * just set, so another layout fails the setup instead of corrupting memory. */
static mbedtls_ssl_config *smtp_tls_ssl_conf(struct altcp_tls_config *altcp)
{
    mbedtls_ssl_config *conf = (mbedtls_ssl_config *)(void *)altcp;

    if (conf->endpoint != MBEDTLS_SSL_IS_CLIENT || conf->transport != MBEDTLS_SSL_TRANSPORT_STREAM ||
        conf->authmode != MBEDTLS_SSL_VERIFY_OPTIONAL || conf->f_rng == NULL)
        return NULL;
    return conf;
}

static int smtp_tls_rng_entropy(void *arg, unsigned char *buf, size_t len)
{
    const smtp_tls_config_t *c = arg;
    return hal_rng_fill(c->rng, buf, len) == 0 ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

/* The same test the transport applies to decide between address and name. */
static int smtp_tls_ip_literal(const char *host, ip4_addr_t *addr)
{
    return host && ip4addr_aton(host, addr);
}

/* The certificate's DNS names, ", "-separated (the subject CN if none). */
static size_t smtp_tls_dns_names(const mbedtls_x509_crt *crt, char *buf, size_t cap)
{
    size_t len = 0;

    buf[0] = '\0';
    if (!crt || !(crt->ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME))
        return 0;
    for (const mbedtls_x509_sequence *cur = &crt->subject_alt_names; cur; cur = cur->next) {
        int n;
        if (cur->buf.tag != (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_DNS_NAME))
            continue;
        n = snprintf(buf + len, cap - len, "%s%.*s", len ? ", " : "", (int)cur->buf.len,
                     (const char *)cur->buf.p);
        if (n < 0 || (size_t)n >= cap - len) {
            buf[len] = '\0';
            break;
        }
        len += (size_t)n;
    }
    return len;
}

static const char *smtp_tls_stage(int state)
{
    switch (state) {
    case MBEDTLS_SSL_HELLO_REQUEST:
    case MBEDTLS_SSL_CLIENT_HELLO: return "the client hello";
    case MBEDTLS_SSL_SERVER_HELLO: return "the server hello";
    case MBEDTLS_SSL_SERVER_CERTIFICATE: return "the server certificate";
    case MBEDTLS_SSL_SERVER_KEY_EXCHANGE: return "the server key exchange";
    case MBEDTLS_SSL_CERTIFICATE_REQUEST: return "the certificate request";
    case MBEDTLS_SSL_SERVER_HELLO_DONE: return "the server hello done";
    case MBEDTLS_SSL_CLIENT_CERTIFICATE:
    case MBEDTLS_SSL_CLIENT_KEY_EXCHANGE:
    case MBEDTLS_SSL_CERTIFICATE_VERIFY: return "the client key exchange";
    case MBEDTLS_SSL_CLIENT_CHANGE_CIPHER_SPEC:
    case MBEDTLS_SSL_CLIENT_FINISHED: return "the client finished message";
    case MBEDTLS_SSL_SERVER_CHANGE_CIPHER_SPEC:
    case MBEDTLS_SSL_SERVER_FINISHED: return "the server finished message";
    default: return "the end of the handshake";
    }
}

static const char *smtp_tls_alert(unsigned desc)
{
    switch (desc) {
    case MBEDTLS_SSL_ALERT_MSG_CLOSE_NOTIFY: return "close_notify";
    case MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE: return "handshake_failure (no common cipher suite?)";
    case MBEDTLS_SSL_ALERT_MSG_BAD_CERT: return "bad_certificate";
    case MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT: return "unsupported_certificate";
    case MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN: return "certificate_unknown";
    case MBEDTLS_SSL_ALERT_MSG_ILLEGAL_PARAMETER: return "illegal_parameter";
    case MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA: return "unknown_ca";
    case MBEDTLS_SSL_ALERT_MSG_DECODE_ERROR: return "decode_error";
    case MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION: return "protocol_version (no common TLS version)";
    case MBEDTLS_SSL_ALERT_MSG_INSUFFICIENT_SECURITY: return "insufficient_security";
    case MBEDTLS_SSL_ALERT_MSG_INTERNAL_ERROR: return "internal_error";
    case MBEDTLS_SSL_ALERT_MSG_UNRECOGNIZED_NAME: return "unrecognized_name";
    default: return "fatal";
    }
}

static void smtp_tls_lib_text(int lib_err, char *buf, size_t cap)
{
#if defined(MBEDTLS_ERROR_C)
    mbedtls_strerror(lib_err, buf, cap);
#else
    snprintf(buf, cap, "Mbed TLS error -0x%04x", (unsigned)-lib_err);
#endif
}

/* Records a failed init: fmt has one %s for arg. */
static int smtp_tls_fail(smtp_tls_config_t *c, int err, int lib_err, const char *fmt, const char *arg)
{
    c->lib_err = lib_err;
    snprintf(c->detail, sizeof(c->detail), fmt, arg);
    return err;
}
