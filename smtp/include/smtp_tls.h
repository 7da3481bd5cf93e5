/* TLS for the SMTP transport: a thin binding of lwIP's altcp_tls (Mbed TLS
 * 2.28) that adds what altcp_tls lacks for a mail client:
 * - TLS 1.2 minimum;
 * - REQUIRED verification semantics: altcp_tls_create_config_client() sets
 *   MBEDTLS_SSL_VERIFY_OPTIONAL, so a foreign CA or a wrong name still
 *   completes the handshake. The transport calls smtp_tls_verify_peer() once
 *   the handshake is over and aborts the connection, before any application
 *   byte, unless it returns 0;
 * - the host name checked and sent as SNI (mbedtls_ssl_set_hostname), or an
 *   IP literal checked against the certificate's iPAddress subjectAltNames
 *   by this module: Mbed TLS 2.28 compares every subjectAltName, whatever its
 *   type, as DNS text, so an IP SAN never matches an address written as text;
 * - errors in words: the CA file, the handshake stage and the server's
 *   alert, the certificate problems decoded from the verify flags.
 * Only this file and smtp_tls.c know Mbed TLS 2.28 and altcp_tls: a port to
 * Mbed TLS 3.6 replaces them and keeps the contract. */
#ifndef SMTP_TLS_H
#define SMTP_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "hal/hal_rng.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"

struct altcp_tls_config;

/* Room for a message in words (config errors, handshake failures). */
#ifndef SMTP_TLS_TEXT_MAX
#define SMTP_TLS_TEXT_MAX 200
#endif

#define SMTP_TLS_ERR_BAD_ARGS      (-0x0601)
#define SMTP_TLS_ERR_NO_CA         (-0x0602) /* verification on, but no CA certificate installed */
#define SMTP_TLS_ERR_CA_PARSE      (-0x0603) /* the CA certificates cannot be read */
#define SMTP_TLS_ERR_SETUP         (-0x0604) /* out of memory, or the RNG cannot be seeded */
#define SMTP_TLS_ERR_HANDSHAKE     (-0x0605) /* no TLS session: see info.detail */
#define SMTP_TLS_ERR_CERT_UNTRUSTED (-0x0606) /* the chain does not lead to an installed CA */
#define SMTP_TLS_ERR_CERT_EXPIRED  (-0x0607) /* out of its validity dates (chain trusted) */
#define SMTP_TLS_ERR_CERT_NAME     (-0x0608) /* trusted, but not for the gateway's name or address */
#define SMTP_TLS_ERR_CERT_INVALID  (-0x0609) /* other certificate problem (key usage, weak key, ...) */
#define SMTP_TLS_ERR_VERSION       (-0x060A) /* the session is older than TLS 1.2 */
#define SMTP_TLS_ERR_TIMEOUT       (-0x060B) /* the handshake did not finish in time */

/* What the administrator configured. */
typedef struct smtp_tls_options {
    /* The CA certificates to trust: PEM (including the terminating NUL, as
     * Mbed TLS wants: strlen + 1) or DER. Copied: the caller may free it. */
    const uint8_t *ca;
    size_t ca_len;
    /* Nonzero: certificate problems are reported (smtp_tls_info_t) but do
     * not stop the connection. An explicit setting the panel marks as
     * insecure; never a default. */
    int insecure_skip_verify;
    /* Optional: the random source for the TLS session (seeds a CTR_DRBG).
     * NULL: the DRBG altcp_tls seeds from Mbed TLS's default entropy. */
    const struct hal_rng *rng;
} smtp_tls_options_t;

/* A client configuration, shared by every connection made with it. The
 * caller owns it; it must outlive those connections. */
typedef struct smtp_tls_config {
    struct altcp_tls_config *altcp; /* pass to altcp_tls_new / altcp_tls_wrap */
    int insecure_skip_verify;
    int have_drbg;
    mbedtls_ctr_drbg_context drbg;  /* used when options.rng was given */
    const struct hal_rng *rng;
    int lib_err;                    /* Mbed TLS's code behind a failed init */
    char detail[SMTP_TLS_TEXT_MAX]; /* a failed init, in words */
} smtp_tls_config_t;

/* What one TLS session negotiated, or why it failed. */
typedef struct smtp_tls_info {
    char version[16];               /* "TLSv1.2" */
    char ciphersuite[64];           /* "TLS-ECDHE-RSA-WITH-AES-256-GCM-SHA384" */
    uint32_t verify_flags;          /* MBEDTLS_X509_BADCERT_* (plus our IP SAN check) */
    int skipped;                    /* verify_flags != 0, accepted by insecure_skip_verify */
    int error;                      /* 0 or SMTP_TLS_ERR_* */
    int lib_err;                    /* Mbed TLS's code behind error, when known */
    uint32_t handshake_ms;          /* filled in by the transport */
    char detail[SMTP_TLS_TEXT_MAX]; /* the problem in words ("" when none) */
} smtp_tls_info_t;

/* Builds a client configuration: the CA certificates parsed (all of them
 * must parse), TLS 1.2 minimum, verification as described above.
 * 0; SMTP_TLS_ERR_BAD_ARGS; SMTP_TLS_ERR_NO_CA (no CA and verification on);
 * SMTP_TLS_ERR_CA_PARSE (c->detail says which and why, c->lib_err holds
 * Mbed TLS's code); SMTP_TLS_ERR_SETUP. On failure c is left freed. */
int smtp_tls_config_init(smtp_tls_config_t *c, const smtp_tls_options_t *opts);

/* Frees the configuration. Safe on a zeroed or already freed one. */
void smtp_tls_config_free(smtp_tls_config_t *c);

/* Prepares one connection's Mbed TLS context (from altcp_tls_context() of a
 * TLS pcb, before its handshake): host (the gateway's name or IP literal,
 * as configured) is checked later and, when a name, sent as SNI.
 * 0, SMTP_TLS_ERR_BAD_ARGS or SMTP_TLS_ERR_SETUP. */
int smtp_tls_session_setup(mbedtls_ssl_context *ssl, const char *host);

/* After the handshake: fills info (version, cipher suite, verify flags) and
 * decides. 0 when the session may carry mail (the certificate is valid for
 * host, or verification is skipped by the configuration: info->skipped);
 * else SMTP_TLS_ERR_VERSION or SMTP_TLS_ERR_CERT_* with info->detail. */
int smtp_tls_verify_peer(const smtp_tls_config_t *c, const mbedtls_ssl_context *ssl,
                         const char *host, smtp_tls_info_t *info);

/* The decision of smtp_tls_verify_peer() on its own: peer is the server's
 * certificate (NULL if none was sent), flags the chain verification result.
 * Adds MBEDTLS_X509_BADCERT_CN_MISMATCH when host is an IP literal that is
 * not among the certificate's iPAddress subjectAltNames. */
int smtp_tls_check_cert(const mbedtls_x509_crt *peer, uint32_t flags, const char *host,
                        int insecure_skip_verify, smtp_tls_info_t *info);

/* 1 when the certificate lists the IPv4 address ip (text, "198.51.100.1")
 * as an iPAddress subjectAltName; 0 otherwise or when ip is not IPv4. */
int smtp_tls_cert_has_ip(const mbedtls_x509_crt *crt, const char *ip);

/* After a failed handshake, while the context still exists: fills info
 * with SMTP_TLS_ERR_HANDSHAKE and the stage reached, the server's alert if
 * one came, and the certificate verify flags seen so far. */
void smtp_tls_handshake_failed(const mbedtls_ssl_context *ssl, smtp_tls_info_t *info);

/* 1 once the client hello went out (a failure after it is a handshake
 * failure, before it a connection failure). */
int smtp_tls_handshake_begun(const mbedtls_ssl_context *ssl);

/* The certificate problems of flags in words, "; "-separated, into buf
 * (always terminated). Returns the length written. */
size_t smtp_tls_verify_text(uint32_t flags, char *buf, size_t cap);

/* Text for SMTP_TLS_ERR_*; never NULL. */
const char *smtp_tls_strerror(int err);

#endif
