/*
 * smtp_auth.c - sans-IO SASL client mechanisms for SMTP AUTH. Contract in
 * smtp_auth.h.
 */
#include "smtp_auth.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/version.h>

#define SMTP_AUTH_SHA256_LEN 32
#define SMTP_AUTH_MD5_LEN 16
/* A decoded challenge: at most a reply line's base64. */
#define SMTP_AUTH_CHALLENGE_MAX (SMTP_LINE_MAX * 3 / 4 + 3)

static int smtp_auth_put(smtp_auth_t *a, const char *prefix, const uint8_t *raw, size_t len);
static int smtp_auth_decode(const char *text, size_t len, uint8_t *out, size_t cap, size_t *olen);
static int smtp_auth_cram(smtp_auth_t *a, const uint8_t *chal, size_t len);
static int smtp_auth_scram_first(smtp_auth_t *a, const uint8_t *sf, size_t len);
static int smtp_auth_scram_final(smtp_auth_t *a, const uint8_t *msg, size_t len);
static int smtp_auth_hmac(mbedtls_md_type_t md, const uint8_t *key, size_t klen,
                          const uint8_t *const *parts, const size_t *lens, size_t n, uint8_t *out);
static int smtp_auth_pbkdf2(const char *pass, const uint8_t *salt, size_t slen, unsigned iter,
                            uint8_t out[SMTP_AUTH_SHA256_LEN]);
static int smtp_auth_text_ok(const char *s, size_t max, int scram_nonce);

/* ---- public functions ---------------------------------------------------- */

unsigned smtp_auth_select(unsigned offered, unsigned forced)
{
    static const unsigned order[] = {SMTP_AUTH_SCRAM_SHA_256, SMTP_AUTH_CRAM_MD5, SMTP_AUTH_PLAIN,
                                     SMTP_AUTH_LOGIN};
    size_t i;

    if (forced != 0) {
        return ((forced & SMTP_AUTH_USABLE) == forced && (offered & forced) == forced &&
                (forced & (forced - 1)) == 0)
                   ? forced
                   : 0;
    }
    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (offered & order[i]) {
            return order[i];
        }
    }
    return 0;
}

int smtp_auth_check(const char *user, const char *pass, unsigned mech, const char *nonce,
                    const char **field)
{
    const char *bad = NULL;

    if (!smtp_auth_text_ok(user, SMTP_AUTH_USER_MAX, 0)) {
        bad = "auth_user";
    } else if (!smtp_auth_text_ok(pass, SMTP_AUTH_PASS_MAX, 0)) {
        bad = "auth_pass";
    } else if (mech != 0 && smtp_auth_select(mech, mech) == 0) {
        bad = "auth_mech";
    } else if (nonce != NULL && !smtp_auth_text_ok(nonce, SMTP_AUTH_NONCE_MAX, 1)) {
        bad = "auth_nonce";
    }
    if (field != NULL) {
        *field = bad;
    }
    return (bad != NULL) ? SMTP_AUTH_ERR_BAD_ARGS : 0;
}

int smtp_auth_start(smtp_auth_t *a, unsigned mech, const char *user, const char *pass,
                    const char *nonce)
{
    /* "\0user\0pass", or "n,," and the SCRAM client-first-bare. */
    uint8_t plain[3 + sizeof(a->first_bare) + SMTP_AUTH_PASS_MAX];
    char prefix[32];
    size_t ul;
    size_t pl;
    size_t i;
    int rc;

    if (a == NULL) {
        return SMTP_AUTH_ERR_BAD_ARGS;
    }
    smtp_auth_free(a);
    if (mech == 0 || smtp_auth_check(user, pass, mech, nonce, NULL) != 0 ||
        (mech == SMTP_AUTH_SCRAM_SHA_256 && nonce == NULL)) {
        return SMTP_AUTH_ERR_BAD_ARGS;
    }
    a->mech = mech;
    a->user = user;
    a->pass = pass;
    ul = strlen(user);
    pl = strlen(pass);
    snprintf(prefix, sizeof(prefix), "AUTH %s", smtp_auth_mech_name(mech));
    switch (mech) {
    case SMTP_AUTH_PLAIN:
        /* authzid empty: "\0user\0pass" (RFC 4616). */
        plain[0] = 0;
        memcpy(plain + 1, user, ul);
        plain[1 + ul] = 0;
        memcpy(plain + 2 + ul, pass, pl);
        strcat(prefix, " ");
        rc = smtp_auth_put(a, prefix, plain, 2 + ul + pl);
        mbedtls_platform_zeroize(plain, sizeof(plain));
        return rc;
    case SMTP_AUTH_SCRAM_SHA_256:
        /* client-first-message-bare "n=<escaped user>,r=<nonce>". */
        a->first_bare_len = 0;
        a->first_bare[a->first_bare_len++] = 'n';
        a->first_bare[a->first_bare_len++] = '=';
        for (i = 0; i < ul; i++) {
            const char *esc = (user[i] == ',') ? "=2C" : (user[i] == '=') ? "=3D" : NULL;

            if (esc != NULL) {
                memcpy(a->first_bare + a->first_bare_len, esc, 3);
                a->first_bare_len += 3;
            } else {
                a->first_bare[a->first_bare_len++] = user[i];
            }
        }
        a->cnonce_len = strlen(nonce);
        a->first_bare_len +=
            (size_t)snprintf(a->first_bare + a->first_bare_len,
                             sizeof(a->first_bare) - a->first_bare_len, ",r=%s", nonce);
        /* gs2-header "n,," then the bare message. */
        memcpy(plain, "n,,", 3);
        memcpy(plain + 3, a->first_bare, a->first_bare_len);
        strcat(prefix, " ");
        rc = smtp_auth_put(a, prefix, plain, 3 + a->first_bare_len);
        mbedtls_platform_zeroize(plain, sizeof(plain));
        return rc;
    default:
        /* LOGIN and CRAM-MD5 wait for the server's first challenge. */
        return smtp_auth_put(a, prefix, NULL, 0);
    }
}

int smtp_auth_step(smtp_auth_t *a, const char *text, size_t len)
{
    uint8_t chal[SMTP_AUTH_CHALLENGE_MAX];
    size_t clen = 0;
    int rc;

    if (a == NULL || (text == NULL && len > 0)) {
        return SMTP_AUTH_ERR_BAD_ARGS;
    }
    smtp_auth_line_wipe(a);
    rc = smtp_auth_decode(text, len, chal, sizeof(chal), &clen);
    if (rc != 0) {
        goto exit;
    }
    switch (a->mech) {
    case SMTP_AUTH_LOGIN:
        /* The prompts ("Username:", "Password:") are not checked: servers
         * word them differently; the order is fixed. */
        if (a->step == 0) {
            rc = smtp_auth_put(a, "", (const uint8_t *)a->user, strlen(a->user));
        } else if (a->step == 1) {
            rc = smtp_auth_put(a, "", (const uint8_t *)a->pass, strlen(a->pass));
        } else {
            rc = SMTP_AUTH_ERR_STATE;
        }
        break;
    case SMTP_AUTH_CRAM_MD5:
        rc = (a->step == 0) ? smtp_auth_cram(a, chal, clen) : SMTP_AUTH_ERR_STATE;
        break;
    case SMTP_AUTH_SCRAM_SHA_256:
        if (a->step == 0) {
            rc = smtp_auth_scram_first(a, chal, clen);
        } else if (a->step == 1) {
            rc = smtp_auth_scram_final(a, chal, clen);
        } else {
            rc = SMTP_AUTH_ERR_STATE;
        }
        break;
    default:
        rc = SMTP_AUTH_ERR_STATE; /* PLAIN sent everything at once */
        break;
    }
exit:
    mbedtls_platform_zeroize(chal, sizeof(chal));
    if (rc != 0) {
        smtp_auth_line_wipe(a);
    } else {
        a->step++;
    }
    return rc;
}

int smtp_auth_done(const smtp_auth_t *a)
{
    if (a == NULL || (a->mech == SMTP_AUTH_SCRAM_SHA_256 && !a->verified)) {
        return SMTP_AUTH_ERR_SERVER_PROOF;
    }
    return 0;
}

void smtp_auth_line_wipe(smtp_auth_t *a)
{
    if (a != NULL) {
        mbedtls_platform_zeroize(a->line, sizeof(a->line));
        a->line_len = 0;
    }
}

void smtp_auth_free(smtp_auth_t *a)
{
    if (a != NULL) {
        mbedtls_platform_zeroize(a, sizeof(*a));
    }
}

const char *smtp_auth_mech_name(unsigned mech)
{
    switch (mech) {
    case SMTP_AUTH_PLAIN:
        return "PLAIN";
    case SMTP_AUTH_LOGIN:
        return "LOGIN";
    case SMTP_AUTH_CRAM_MD5:
        return "CRAM-MD5";
    case SMTP_AUTH_SCRAM_SHA_1:
        return "SCRAM-SHA-1";
    case SMTP_AUTH_SCRAM_SHA_256:
        return "SCRAM-SHA-256";
    case SMTP_AUTH_XOAUTH2:
        return "XOAUTH2";
    case SMTP_AUTH_OAUTHBEARER:
        return "OAUTHBEARER";
    default:
        return "";
    }
}

const char *smtp_auth_strerror(int err)
{
    switch (err) {
    case SMTP_AUTH_ERR_BAD_ARGS:
        return "bad sign-in settings";
    case SMTP_AUTH_ERR_STATE:
        return "unexpected sign-in challenge";
    case SMTP_AUTH_ERR_CHALLENGE:
        return "malformed sign-in challenge from the server";
    case SMTP_AUTH_ERR_SERVER_PROOF:
        return "the server failed to prove it knows the password";
    case SMTP_AUTH_ERR_SERVER_ERROR:
        return "the server reported a sign-in error";
    case SMTP_AUTH_ERR_ITERATIONS:
        return "SCRAM iteration count out of bounds";
    case SMTP_AUTH_ERR_CRYPTO:
        return "cryptography failed";
    case SMTP_AUTH_ERR_TOO_LONG:
        return "sign-in line too long";
    default:
        return NULL;
    }
}

int smtp_auth_make_nonce(int (*fill)(void *arg, uint8_t *buf, size_t len), void *arg, char *out,
                         size_t cap)
{
    uint8_t rnd[SMTP_AUTH_NONCE_RANDOM];
    size_t olen = 0;
    int rc = 0;

    if (fill == NULL || out == NULL || cap < SMTP_AUTH_NONCE_MAX + 1) {
        return SMTP_AUTH_ERR_BAD_ARGS;
    }
    if (fill(arg, rnd, sizeof(rnd)) != 0 ||
        mbedtls_base64_encode((unsigned char *)out, cap, &olen, rnd, sizeof(rnd)) != 0) {
        rc = SMTP_AUTH_ERR_CRYPTO;
        out[0] = '\0';
    }
    mbedtls_platform_zeroize(rnd, sizeof(rnd));
    return rc;
}

/* ---- lines and encodings ------------------------------------------------- */

/* a->line = prefix + base64(raw) + CRLF (raw NULL: prefix + CRLF). */
static int smtp_auth_put(smtp_auth_t *a, const char *prefix, const uint8_t *raw, size_t len)
{
    size_t pl = strlen(prefix);
    size_t olen = 0;

    a->line_len = 0;
    if (pl + 2 > sizeof(a->line)) {
        return SMTP_AUTH_ERR_TOO_LONG;
    }
    memcpy(a->line, prefix, pl);
    if (raw != NULL && len > 0 &&
        mbedtls_base64_encode((unsigned char *)a->line + pl, sizeof(a->line) - pl - 2, &olen, raw,
                              len) != 0) {
        smtp_auth_line_wipe(a);
        return SMTP_AUTH_ERR_TOO_LONG;
    }
    memcpy(a->line + pl + olen, "\r\n", 2);
    a->line_len = pl + olen + 2;
    return 0;
}

static int smtp_auth_decode(const char *text, size_t len, uint8_t *out, size_t cap, size_t *olen)
{
    *olen = 0;
    if (len == 0) {
        return 0;
    }
    if (mbedtls_base64_decode(out, cap, olen, (const unsigned char *)text, len) != 0) {
        return SMTP_AUTH_ERR_CHALLENGE;
    }
    return 0;
}

/* user and password: present, 1..max bytes, no CR, LF or (for a SCRAM
 * nonce) anything but printable ASCII other than ','. */
static int smtp_auth_text_ok(const char *s, size_t max, int scram_nonce)
{
    size_t n;
    size_t i;

    if (s == NULL) {
        return 0;
    }
    n = strnlen(s, max + 1);
    if (n == 0 || n > max) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\r' || c == '\n' || (scram_nonce && (c < 0x21 || c > 0x7e || c == ','))) {
            return 0;
        }
    }
    return 1;
}

/* ---- CRAM-MD5 ------------------------------------------------------------ */

static int smtp_auth_cram(smtp_auth_t *a, const uint8_t *chal, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t mac[SMTP_AUTH_MD5_LEN];
    uint8_t resp[SMTP_AUTH_USER_MAX + 1 + 2 * SMTP_AUTH_MD5_LEN];
    const uint8_t *parts[1] = {chal};
    size_t ul = strlen(a->user);
    size_t i;
    int rc;

    rc = smtp_auth_hmac(MBEDTLS_MD_MD5, (const uint8_t *)a->pass, strlen(a->pass), parts, &len, 1,
                        mac);
    if (rc != 0) {
        goto exit;
    }
    memcpy(resp, a->user, ul);
    resp[ul] = ' ';
    for (i = 0; i < sizeof(mac); i++) {
        resp[ul + 1 + 2 * i] = (uint8_t)hex[mac[i] >> 4];
        resp[ul + 2 + 2 * i] = (uint8_t)hex[mac[i] & 15];
    }
    rc = smtp_auth_put(a, "", resp, ul + 1 + 2 * sizeof(mac));
exit:
    mbedtls_platform_zeroize(mac, sizeof(mac));
    mbedtls_platform_zeroize(resp, sizeof(resp));
    return rc;
}

/* ---- SCRAM-SHA-256 ------------------------------------------------------- */

/* server-first "r=<nonce>,s=<salt>,i=<count>[,ext...]": answer with the
 * client-final message and keep the expected server signature. */
static int smtp_auth_scram_first(smtp_auth_t *a, const uint8_t *sf, size_t len)
{
    static const char no_proof_head[] = "c=biws,r="; /* biws = base64("n,,") */
    const char *nonce = a->first_bare + a->first_bare_len - a->cnonce_len;
    uint8_t salt[SMTP_AUTH_CHALLENGE_MAX];
    uint8_t salted[SMTP_AUTH_SHA256_LEN];
    uint8_t ckey[SMTP_AUTH_SHA256_LEN];
    uint8_t skey[SMTP_AUTH_SHA256_LEN];
    uint8_t stored[SMTP_AUTH_SHA256_LEN];
    uint8_t csig[SMTP_AUTH_SHA256_LEN];
    uint8_t final[SMTP_AUTH_CHALLENGE_MAX + 64];
    const uint8_t *r = NULL, *s = NULL, *it = NULL;
    size_t rlen = 0, slen = 0, itlen = 0, saltlen = 0, flen, i, p = 0;
    unsigned long iter = 0;
    int rc = SMTP_AUTH_ERR_CHALLENGE;

    /* Split into attributes; r, s and i must come first, in that order. */
    for (i = 0; p < len; i++) {
        size_t e = p;

        while (e < len && sf[e] != ',') {
            e++;
        }
        if (e - p < 2 || sf[p + 1] != '=') {
            goto exit;
        }
        if (i == 0 && sf[p] == 'r') {
            r = sf + p + 2;
            rlen = e - p - 2;
        } else if (i == 1 && sf[p] == 's') {
            s = sf + p + 2;
            slen = e - p - 2;
        } else if (i == 2 && sf[p] == 'i') {
            it = sf + p + 2;
            itlen = e - p - 2;
        } else if (i < 3 || sf[p] == 'm') {
            goto exit; /* missing attribute, or a mandatory extension we lack */
        }
        p = e + 1;
    }
    if (r == NULL || s == NULL || it == NULL || itlen > 9) {
        goto exit;
    }
    /* The server's nonce extends ours (RFC 5802 5.1), printable, no ','. */
    if (rlen <= a->cnonce_len || memcmp(r, nonce, a->cnonce_len) != 0) {
        goto exit;
    }
    for (i = 0; i < rlen; i++) {
        if (r[i] < 0x21 || r[i] > 0x7e) {
            goto exit;
        }
    }
    for (i = 0; i < itlen; i++) {
        if (it[i] < '0' || it[i] > '9') {
            goto exit;
        }
        iter = iter * 10 + (unsigned long)(it[i] - '0');
    }
    if (slen == 0 || smtp_auth_decode((const char *)s, slen, salt, sizeof(salt), &saltlen) != 0 ||
        saltlen == 0) {
        goto exit;
    }
    if (iter < SMTP_AUTH_SCRAM_ITER_MIN || iter > SMTP_AUTH_SCRAM_ITER_MAX) {
        rc = SMTP_AUTH_ERR_ITERATIONS;
        goto exit;
    }
    /* client-final-message-without-proof "c=biws,r=<nonce>". */
    flen = sizeof(no_proof_head) - 1;
    memcpy(final, no_proof_head, flen);
    memcpy(final + flen, r, rlen);
    flen += rlen;

    rc = smtp_auth_pbkdf2(a->pass, salt, saltlen, (unsigned)iter, salted);
    if (rc != 0) {
        goto exit;
    }
    {
        static const uint8_t comma = ',';
        const uint8_t *ck[1] = {(const uint8_t *)"Client Key"};
        const uint8_t *sk[1] = {(const uint8_t *)"Server Key"};
        const size_t kl[1] = {10};
        /* AuthMessage = client-first-bare "," server-first "," final-without-proof */
        const uint8_t *am[5] = {(const uint8_t *)a->first_bare, &comma, sf, &comma, final};
        const size_t aml[5] = {a->first_bare_len, 1, len, 1, flen};
        const mbedtls_md_info_t *sha = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);

        if ((rc = smtp_auth_hmac(MBEDTLS_MD_SHA256, salted, sizeof(salted), ck, kl, 1, ckey)) !=
                0 ||
            (rc = smtp_auth_hmac(MBEDTLS_MD_SHA256, salted, sizeof(salted), sk, kl, 1, skey)) !=
                0) {
            goto exit;
        }
        if (sha == NULL || mbedtls_md(sha, ckey, sizeof(ckey), stored) != 0) {
            rc = SMTP_AUTH_ERR_CRYPTO;
            goto exit;
        }
        if ((rc = smtp_auth_hmac(MBEDTLS_MD_SHA256, stored, sizeof(stored), am, aml, 5, csig)) !=
                0 ||
            (rc = smtp_auth_hmac(MBEDTLS_MD_SHA256, skey, sizeof(skey), am, aml, 5,
                                 a->server_sig)) != 0) {
            goto exit;
        }
    }
    /* ClientProof = ClientKey XOR ClientSignature, appended as ",p=<b64>". */
    for (i = 0; i < sizeof(ckey); i++) {
        ckey[i] ^= csig[i];
    }
    memcpy(final + flen, ",p=", 3);
    flen += 3;
    {
        size_t olen = 0;

        if (mbedtls_base64_encode(final + flen, sizeof(final) - flen, &olen, ckey, sizeof(ckey)) !=
            0) {
            rc = SMTP_AUTH_ERR_TOO_LONG;
            goto exit;
        }
        flen += olen;
    }
    rc = smtp_auth_put(a, "", final, flen);
exit:
    mbedtls_platform_zeroize(salted, sizeof(salted));
    mbedtls_platform_zeroize(ckey, sizeof(ckey));
    mbedtls_platform_zeroize(skey, sizeof(skey));
    mbedtls_platform_zeroize(stored, sizeof(stored));
    mbedtls_platform_zeroize(csig, sizeof(csig));
    mbedtls_platform_zeroize(final, sizeof(final));
    if (rc != 0) {
        mbedtls_platform_zeroize(a->server_sig, sizeof(a->server_sig));
    }
    return rc;
}

/* server-final "v=<signature>" (or "e=<error>"): compare in constant time;
 * the answer is an empty line. */
static int smtp_auth_scram_final(smtp_auth_t *a, const uint8_t *msg, size_t len)
{
    uint8_t sig[SMTP_AUTH_CHALLENGE_MAX];
    size_t slen = 0;
    uint8_t diff = 0;
    size_t i;
    int rc = SMTP_AUTH_ERR_SERVER_PROOF;

    if (len >= 2 && msg[0] == 'e' && msg[1] == '=') {
        rc = SMTP_AUTH_ERR_SERVER_ERROR;
        goto exit;
    }
    if (len < 2 || msg[0] != 'v' || msg[1] != '=' ||
        smtp_auth_decode((const char *)msg + 2, len - 2, sig, sizeof(sig), &slen) != 0 ||
        slen != sizeof(a->server_sig)) {
        goto exit;
    }
    for (i = 0; i < slen; i++) {
        diff |= (uint8_t)(sig[i] ^ a->server_sig[i]);
    }
    if (diff != 0) {
        goto exit;
    }
    a->verified = 1;
    rc = smtp_auth_put(a, "", NULL, 0);
exit:
    mbedtls_platform_zeroize(a->server_sig, sizeof(a->server_sig));
    return rc;
}

/* ---- Mbed TLS ------------------------------------------------------------ */

/* out = HMAC(key, parts[0] || ... || parts[n-1]). */
static int smtp_auth_hmac(mbedtls_md_type_t md, const uint8_t *key, size_t klen,
                          const uint8_t *const *parts, const size_t *lens, size_t n, uint8_t *out)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
    mbedtls_md_context_t ctx;
    size_t i;
    int rc = SMTP_AUTH_ERR_CRYPTO;

    mbedtls_md_init(&ctx);
    if (info == NULL || mbedtls_md_setup(&ctx, info, 1) != 0 ||
        mbedtls_md_hmac_starts(&ctx, key, klen) != 0) {
        goto exit;
    }
    for (i = 0; i < n; i++) {
        if (mbedtls_md_hmac_update(&ctx, parts[i], lens[i]) != 0) {
            goto exit;
        }
    }
    if (mbedtls_md_hmac_finish(&ctx, out) != 0) {
        goto exit;
    }
    rc = 0;
exit:
    mbedtls_md_free(&ctx); /* zeroizes the HMAC pads */
    return rc;
}

static int smtp_auth_pbkdf2(const char *pass, const uint8_t *salt, size_t slen, unsigned iter,
                            uint8_t out[SMTP_AUTH_SHA256_LEN])
{
    int rc = SMTP_AUTH_ERR_CRYPTO;
#if MBEDTLS_VERSION_NUMBER >= 0x03030000
    if (mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256, (const unsigned char *)pass, strlen(pass),
                                      salt, slen, iter, SMTP_AUTH_SHA256_LEN, out) == 0) {
        rc = 0;
    }
#else
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    mbedtls_md_context_t ctx;

    mbedtls_md_init(&ctx);
    if (info != NULL && mbedtls_md_setup(&ctx, info, 1) == 0 &&
        mbedtls_pkcs5_pbkdf2_hmac(&ctx, (const unsigned char *)pass, strlen(pass), salt, slen, iter,
                                  SMTP_AUTH_SHA256_LEN, out) == 0) {
        rc = 0;
    }
    mbedtls_md_free(&ctx);
#endif
    return rc;
}
