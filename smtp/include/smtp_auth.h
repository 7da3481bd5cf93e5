/*
 * smtp_auth.h - sans-IO SASL client for SMTP AUTH (RFC 4954): SCRAM-SHA-256
 * (RFC 5802, RFC 7677), CRAM-MD5 (RFC 2195), PLAIN (RFC 4616), LOGIN.
 *
 * The mechanism produces the client's lines; the ESMTP engine moves them and
 * hands back the text of each 334 challenge:
 *
 *   smtp_auth_start(&a, SMTP_AUTH_PLAIN, user, pass, NULL);  // a.line: "AUTH PLAIN ...\r\n"
 *   on "334 <text>":  smtp_auth_step(&a, text, len);          // a.line: the response
 *   on "235":         smtp_auth_done(&a) == 0 -> signed in
 *   always:           smtp_auth_free(&a);                     // wipes every secret
 *
 * Exchanges:
 *   PLAIN          AUTH PLAIN b64("\0user\0pass")        (initial response)
 *   LOGIN          AUTH LOGIN; 334 -> b64(user); 334 -> b64(pass)
 *   CRAM-MD5       AUTH CRAM-MD5; 334 b64(challenge) -> b64("user " hex(HMAC-MD5(pass, challenge)))
 *   SCRAM-SHA-256  AUTH SCRAM-SHA-256 b64("n,,n=user,r=cnonce");
 *                  334 b64(server-first) -> b64(client-final with proof);
 *                  334 b64("v=" server signature) -> empty line once the
 *                  signature matches. A 235 before a verified server
 *                  signature is a failure (the server did not prove it knows
 *                  the password), so is a wrong signature.
 * SCRAM: the user name is escaped ("," -> "=2C", "=" -> "=3D") but not
 * SASLprepped (non-ASCII names are sent as given); no channel binding
 * ("n,,"); the iteration count must be SMTP_AUTH_SCRAM_ITER_MIN..MAX.
 *
 * Secrets (password, salted password, keys, the credential lines) are wiped
 * with mbedtls_platform_zeroize as soon as they are not needed; the caller
 * wipes a.line after copying it out (smtp_auth_line_wipe) and calls
 * smtp_auth_free() at the end.
 */
#ifndef SMTP_AUTH_H
#define SMTP_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "smtp_opts.h"

/* Mechanism bits, as learned from the EHLO reply (smtp_ext_t.auth). */
#define SMTP_AUTH_PLAIN (1u << 0)
#define SMTP_AUTH_LOGIN (1u << 1)
#define SMTP_AUTH_CRAM_MD5 (1u << 2)
#define SMTP_AUTH_SCRAM_SHA_1 (1u << 3)
#define SMTP_AUTH_SCRAM_SHA_256 (1u << 4)
#define SMTP_AUTH_XOAUTH2 (1u << 5)
#define SMTP_AUTH_OAUTHBEARER (1u << 6)

/* The mechanisms this client can use, strongest first in smtp_auth_select. */
#define SMTP_AUTH_USABLE                                                                           \
    (SMTP_AUTH_SCRAM_SHA_256 | SMTP_AUTH_CRAM_MD5 | SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN)

/* Longest client line (base64 and CRLF included). The engine copies it to
 * its output in pieces, so it may exceed the output buffer. */
#ifndef SMTP_AUTH_LINE_MAX
#define SMTP_AUTH_LINE_MAX 1024
#endif
/* Longest user name and password accepted (bytes). */
#ifndef SMTP_AUTH_USER_MAX
#define SMTP_AUTH_USER_MAX 255
#endif
#ifndef SMTP_AUTH_PASS_MAX
#define SMTP_AUTH_PASS_MAX 255
#endif
/* SCRAM client nonce length limits (printable ASCII except ','). */
#ifndef SMTP_AUTH_NONCE_MAX
#define SMTP_AUTH_NONCE_MAX 64
#endif
/* Random bytes behind a generated nonce (base64: 4/3 as many characters). */
#ifndef SMTP_AUTH_NONCE_RANDOM
#define SMTP_AUTH_NONCE_RANDOM 18
#endif
/* SCRAM iteration counts accepted: RFC 7677 asks for at least 4096; the
 * maximum bounds the time a hostile server can make the device spend. */
#ifndef SMTP_AUTH_SCRAM_ITER_MIN
#define SMTP_AUTH_SCRAM_ITER_MIN 4096
#endif
#ifndef SMTP_AUTH_SCRAM_ITER_MAX
#define SMTP_AUTH_SCRAM_ITER_MAX 100000
#endif

/* "AUTH PLAIN " + base64 of "\0user\0pass" + CRLF must fit; so must the
 * SCRAM client-final with a server nonce from a full reply line. */
#if SMTP_AUTH_LINE_MAX < 16 + (2 + SMTP_AUTH_USER_MAX + SMTP_AUTH_PASS_MAX + 2) / 3 * 4
#error "SMTP_AUTH_LINE_MAX cannot hold AUTH PLAIN with the longest user and password"
#endif
#if SMTP_AUTH_LINE_MAX < 4 + (64 + SMTP_AUTH_NONCE_MAX + SMTP_LINE_MAX * 3 / 4 + 2) / 3 * 4
#error "SMTP_AUTH_LINE_MAX cannot hold the SCRAM client-final message"
#endif
#if SMTP_AUTH_NONCE_RANDOM * 4 / 3 + 4 > SMTP_AUTH_NONCE_MAX
#error "SMTP_AUTH_NONCE_MAX must hold the base64 of SMTP_AUTH_NONCE_RANDOM bytes"
#endif

/* Error codes. */
#define SMTP_AUTH_ERR_BAD_ARGS -0x0B01     /* NULL, unknown mechanism, bad user/password/nonce */
#define SMTP_AUTH_ERR_STATE -0x0B02        /* a challenge when none was expected */
#define SMTP_AUTH_ERR_CHALLENGE -0x0B03    /* malformed challenge (base64, SCRAM syntax, nonce) */
#define SMTP_AUTH_ERR_SERVER_PROOF -0x0B04 /* SCRAM: wrong or missing server signature */
#define SMTP_AUTH_ERR_SERVER_ERROR -0x0B05 /* SCRAM: the server sent "e=..." */
#define SMTP_AUTH_ERR_ITERATIONS -0x0B06   /* SCRAM iteration count out of bounds */
#define SMTP_AUTH_ERR_CRYPTO -0x0B07       /* Mbed TLS failed (allocation) */
#define SMTP_AUTH_ERR_TOO_LONG -0x0B08     /* a line over SMTP_AUTH_LINE_MAX */

typedef struct smtp_auth {
    /* Output: the next client line, CRLF included. Read-only for the caller. */
    char line[SMTP_AUTH_LINE_MAX];
    size_t line_len;

    /* Private. */
    unsigned mech;
    int step;     /* challenges answered so far */
    int verified; /* SCRAM: server signature checked */
    const char *user;
    const char *pass;
    char first_bare[SMTP_AUTH_USER_MAX * 3 + SMTP_AUTH_NONCE_MAX + 8]; /* "n=user,r=nonce" */
    size_t first_bare_len;
    size_t cnonce_len;      /* the nonce is first_bare's tail */
    uint8_t server_sig[32]; /* SCRAM: expected ServerSignature */
} smtp_auth_t;

/* The mechanism to use: forced (one SMTP_AUTH_* bit, 0 = automatic) if the
 * server offers it, else the strongest usable one offered: SCRAM-SHA-256 >
 * CRAM-MD5 > PLAIN > LOGIN. Returns the bit, or 0 when there is none. */
unsigned smtp_auth_select(unsigned offered, unsigned forced);

/* Check settings before any connection: user and password 1..
 * SMTP_AUTH_USER_MAX / _PASS_MAX bytes without CR or LF; mech 0 or one
 * usable SMTP_AUTH_* bit; nonce NULL or 1..SMTP_AUTH_NONCE_MAX printable
 * ASCII bytes without ','. 0 or SMTP_AUTH_ERR_BAD_ARGS; *field (when not
 * NULL) names the bad one: "auth_user", "auth_pass", "auth_mech",
 * "auth_nonce". */
int smtp_auth_check(const char *user, const char *pass, unsigned mech, const char *nonce,
                    const char **field);

/* Begin mech for user/pass (caller-owned, kept until smtp_auth_free; at most
 * SMTP_AUTH_USER_MAX / _PASS_MAX bytes, no CR or LF). nonce: the SCRAM client
 * nonce, 1..SMTP_AUTH_NONCE_MAX printable ASCII bytes without ',' (ignored by
 * other mechanisms). Writes "AUTH <mech>[ <initial response>]\r\n" to a->line.
 * 0 or SMTP_AUTH_ERR_BAD_ARGS / _TOO_LONG. */
int smtp_auth_start(smtp_auth_t *a, unsigned mech, const char *user, const char *pass,
                    const char *nonce);

/* Answer a 334 challenge: text/len is the reply text (base64, not NUL
 * terminated). Writes the response line to a->line. 0 or SMTP_AUTH_ERR_*;
 * on error a->line is empty and the caller should cancel with "*". */
int smtp_auth_step(smtp_auth_t *a, const char *text, size_t len);

/* The server said 235: 0 if the exchange may end here (for SCRAM, only once
 * the server signature was verified), else SMTP_AUTH_ERR_SERVER_PROOF. */
int smtp_auth_done(const smtp_auth_t *a);

/* Wipe a->line (after the caller copied it out). */
void smtp_auth_line_wipe(smtp_auth_t *a);

/* Wipe everything. Safe on a zeroed context, and twice. */
void smtp_auth_free(smtp_auth_t *a);

/* "SCRAM-SHA-256", ...; "" for 0 or several bits. Never NULL. */
const char *smtp_auth_mech_name(unsigned mech);

/* English text of SMTP_AUTH_ERR_*; NULL for other codes. */
const char *smtp_auth_strerror(int err);

/* Make a SCRAM nonce from random bytes: base64 of SMTP_AUTH_NONCE_RANDOM
 * bytes from fill(), NUL terminated, into out (cap >= SMTP_AUTH_NONCE_MAX+1).
 * 0, SMTP_AUTH_ERR_BAD_ARGS, or SMTP_AUTH_ERR_CRYPTO when fill() fails. */
int smtp_auth_make_nonce(int (*fill)(void *arg, uint8_t *buf, size_t len), void *arg, char *out,
                         size_t cap);

#endif /* SMTP_AUTH_H */
