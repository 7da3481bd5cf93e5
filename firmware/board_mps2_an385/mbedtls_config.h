/* Mbed TLS 2.28 configuration for the mps2-an385 board (Cortex-M3, no OS).
 *
 * The build installs this file as mbedtls/config.h in $(BUILD)/arm/include,
 * so Mbed TLS itself, lwIP's altcp_tls_mbedtls.c and our firmware all see the
 * same structure layouts: a second config on the include path would be an
 * ABI mismatch that compiles silently.
 *
 * What stays is what the firmware uses, nothing more:
 * - TLS 1.2 client only (Mbed TLS 2.28's TLS 1.3 is experimental), with the
 *   certificate and host name verified (X.509 parse + verify, SNI);
 * - key exchanges RSA, ECDHE-RSA and ECDHE-ECDSA; AES-GCM and
 *   ChaCha20-Poly1305 record protection (the AEAD suites the host build
 *   offers to Postfix); no CBC, CCM, ARC4, 3DES, Camellia or ARIA;
 * - curves P-256, P-384 and X25519; SHA-256 and SHA-384 (no SHA-1: TLS 1.2
 *   with these suites and SHA-256-signed certificates does not need it);
 * - MD5 + HMAC for SMTP CRAM-MD5, PKCS#5 PBKDF2 for SCRAM-SHA-256,
 *   base64 for MIME and SMTP AUTH, ASN.1 parse/write for the LDAP client.
 *
 * What goes, and why:
 * - sockets, timing, file IO, time and date (no OS; the board has no
 *   calendar until SNTP exists, so certificate dates are NOT checked);
 * - PSA crypto and its storage (unused by TLS 1.2 without USE_PSA; the
 *   `baremetal` preset's PSA setting breaks lwIP's handshake);
 * - the platform entropy: the board has none. MBEDTLS_ENTROPY_HARDWARE_ALT
 *   makes Mbed TLS call mbedtls_hardware_poll(), which the board provides
 *   (a lab-only source on the emulated board, the TRNG on a real one);
 * - mbedtls_strerror's tables (MBEDTLS_ERROR_C): about 20 KB of strings;
 *   smtp_tls.c prints the numeric code instead.
 */
#ifndef MBEDTLS_CONFIG_H
#define MBEDTLS_CONFIG_H

/* ---- System ------------------------------------------------------------ */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_PLATFORM_C
/* No MBEDTLS_PLATFORM_MEMORY: with it, lwIP's altcp_tls moves Mbed TLS's
 * allocations into lwIP's 48 KiB heap, where the 2 x 16 KiB record buffers
 * starve TCP (measured: 2,915 failed lwIP allocations in a 3-page job, none
 * without). Mbed TLS uses calloc/free: the board's bounded heap, whose peak
 * the firmware reports. */
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_HARDWARE_ALT

/* ---- Features ----------------------------------------------------------- */
/* Constant tables in flash rather than built in RAM at first use (~8 KB). */
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_CIPHER_PADDING_PKCS7
#define MBEDTLS_REMOVE_ARC4_CIPHERSUITES
#define MBEDTLS_REMOVE_3DES_CIPHERSUITES

#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM

#define MBEDTLS_KEY_EXCHANGE_RSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED

#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PK_PARSE_EC_EXTENDED

#define MBEDTLS_SSL_ALL_ALERT_MESSAGES
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_SERVER_NAME_INDICATION

#define MBEDTLS_X509_CHECK_KEY_USAGE
#define MBEDTLS_X509_CHECK_EXTENDED_KEY_USAGE

/* ---- Modules ------------------------------------------------------------ */
#define MBEDTLS_AES_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_GCM_C
#define MBEDTLS_MD_C
#define MBEDTLS_MD5_C
#define MBEDTLS_OID_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PKCS5_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_RSA_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C

#include "mbedtls/check_config.h"

#endif /* MBEDTLS_CONFIG_H */
