/*
 * Unit tests of the TLS binding (smtp/smtp_tls.c) that need no network:
 * configuration from CA bytes, the errors in words, and the certificate
 * decision, fed with certificates made once with openssl (P-256, a lab-like
 * CA, valid until 2124) and verified here with Mbed TLS itself.
 * The handshake over lwIP is tested against the lab (tests/integration).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lwip/init.h"
#include "smtp_tls.h"

/* ca: "Unit CA" (basicConstraints critical CA:TRUE); good: mail.example.test,
 * smtp.example.test, IP 198.51.100.1; wrong: wrong.example.test; self: the
 * right names, self-signed. */
static const char ca_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBijCCATGgAwIBAgIUFhoDW6sLepHrfKYEDlPJuC1q5L4wCgYIKoZIzj0EAwIw\n"
    "EjEQMA4GA1UEAwwHVW5pdCBDQTAgFw0yNjExMjMxNjMzMzNaGA8yMTI2MTAzMDE2\n"
    "MzMzM1owEjEQMA4GA1UEAwwHVW5pdCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
    "A0IABO+bjfhfr4i11AIgqJN09zWTkswfKAnClzvaYanvxL5BWWRCeQW2TCTqsB+f\n"
    "09n8rJKkuvHRovvqwqwDiydlH6WjYzBhMB0GA1UdDgQWBBQ9JSmruCRS9f3Q9wSz\n"
    "j45cOoLhlDAfBgNVHSMEGDAWgBQ9JSmruCRS9f3Q9wSzj45cOoLhlDAPBgNVHRMB\n"
    "Af8EBTADAQH/MA4GA1UdDwEB/wQEAwICBDAKBggqhkjOPQQDAgNHADBEAiA+xYc8\n"
    "0BJkroMOw7OFSGxauED5Ccrx88kQ7vI1XnIOlQIgDXCFfkvlrKXsRH16Zr8odLt0\n"
    "GB8IcG7gAMkLWpmTXAc=\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char good_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIB0DCCAXagAwIBAgIUPjrRj2B5Buh12FZQzMCv04Cw/t0wCgYIKoZIzj0EAwIw\n"
    "EjEQMA4GA1UEAwwHVW5pdCBDQTAgFw0yNjExMjMxNjMzMzRaGA8yMTI2MTAzMDE2\n"
    "MzMzNFowHDEaMBgGA1UEAwwRbWFpbC5leGFtcGxlLnRlc3QwWTATBgcqhkjOPQIB\n"
    "BggqhkjOPQMBBwNCAAR4wm7G9ogIa/vzs8ndHi3FsSInDsX84ACd4cQbxqT6jVxJ\n"
    "lmVCRExphVWoZMMflimNMk7khb/DEwmP4y11B4mZo4GdMIGaMAwGA1UdEwEB/wQC\n"
    "MAAwEwYDVR0lBAwwCgYIKwYBBQUHAwEwNQYDVR0RBC4wLIIRbWFpbC5leGFtcGxl\n"
    "LnRlc3SCEXNtdHAuZXhhbXBsZS50ZXN0hwTGM2QBMB0GA1UdDgQWBBR+WUSUPIRk\n"
    "8wSCIPtZPqh6m57mPjAfBgNVHSMEGDAWgBQ9JSmruCRS9f3Q9wSzj45cOoLhlDAK\n"
    "BggqhkjOPQQDAgNIADBFAiBgQnXwPuzbJ2E2u/j2RgnVpmEVsSOmD9lqUo9rTeZy\n"
    "4wIhAMSGSY0/nWNR90okPSVOgviZ31YEeDSCZsu4peX+Ts/f\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char wrong_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBuTCCAV+gAwIBAgIUPjrRj2B5Buh12FZQzMCv04Cw/t4wCgYIKoZIzj0EAwIw\n"
    "EjEQMA4GA1UEAwwHVW5pdCBDQTAgFw0yNjExMjMxNjMzMzRaGA8yMTI2MTAzMDE2\n"
    "MzMzNFowHTEbMBkGA1UEAwwSd3JvbmcuZXhhbXBsZS50ZXN0MFkwEwYHKoZIzj0C\n"
    "AQYIKoZIzj0DAQcDQgAE2w+/MpjcjfCZCZWaRpeAjFcQwQtsT0zWci2nQwAZ7tOm\n"
    "Pcy7LayE/N258UsScagEtfx/gz7GJenTlEXKbDWCGqOBhTCBgjAMBgNVHRMBAf8E\n"
    "AjAAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMB0GA1UdEQQWMBSCEndyb25nLmV4YW1w\n"
    "bGUudGVzdDAdBgNVHQ4EFgQUJl4cG2sgtDC3UP7RgsY/xGXA/iQwHwYDVR0jBBgw\n"
    "FoAUPSUpq7gkUvX90PcEs4+OXDqC4ZQwCgYIKoZIzj0EAwIDSAAwRQIhAP3Q9Ck+\n"
    "1LICcroznajcjPm0ggjycb+Jtj1PPsNeI5/jAiA45dYMaPFJmgizi5DmQ35mAlkZ\n"
    "xxxeePISfDy1EsHG7w==\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char self_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBsTCCAVigAwIBAgITZwA0a/Yb+CMFlsOHjVZJ9lpmgzAKBggqhkjOPQQDAjAc\n"
    "MRowGAYDVQQDDBFtYWlsLmV4YW1wbGUudGVzdDAgFw0yNjExMjMxNjMzMzRaGA8y\n"
    "MTI2MTAzMDE2MzMzNFowHDEaMBgGA1UEAwwRbWFpbC5leGFtcGxlLnRlc3QwWTAT\n"
    "BgcqhkjOPQIBBggqhkjOPQMBBwNCAASxonol9tIOt5xfIzcLNA3RboAN8WIKv3Yj\n"
    "qh/4HPtSLK5nDuD+DO+kSFTbQgr6Ye3oxJrL0xdbDHAnarPgGNmgo3cwdTAdBgNV\n"
    "HQ4EFgQUoPzfSF3RRyduSlHpL3vjsoJDBLUwHwYDVR0jBBgwFoAUoPzfSF3RRydu\n"
    "SlHpL3vjsoJDBLUwDwYDVR0TAQH/BAUwAwEB/zAiBgNVHREEGzAZghFtYWlsLmV4\n"
    "YW1wbGUudGVzdIcExjNkATAKBggqhkjOPQQDAgNHADBEAiAQ79yTcrfVHH7ouX+S\n"
    "OSDp6HfXNxx1b3EUPjx5QPBHBgIgOGgbOc+xiWVRDuuPNPXoAhu9DlFzkvbGx0cD\n"
    "Pnmfm3c=\n"
    "-----END CERTIFICATE-----\n"
    ;

typedef struct fake_rng {
    int calls;
    int fail;
} fake_rng_t;

static int fake_rng_fill(void *ctx, uint8_t *buf, size_t len)
{
    fake_rng_t *r = ctx;
    r->calls++;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 131u + 7u);
    return r->fail ? -1 : 0;
}

static const struct hal_rng_api fake_rng_api = {fake_rng_fill};

static smtp_tls_options_t ca_options(const char *pem)
{
    smtp_tls_options_t o = {0};
    o.ca = (const uint8_t *)pem;
    o.ca_len = strlen(pem) + 1;
    return o;
}

/* A certificate parsed, and its chain verified against the unit CA for
 * name (NULL: no name check), the way the handshake would. */
typedef struct peer {
    mbedtls_x509_crt crt;
    mbedtls_x509_crt ca;
    uint32_t flags;
} peer_t;

static void peer_load(peer_t *p, const char *pem, const char *name)
{
    mbedtls_x509_crt_init(&p->crt);
    mbedtls_x509_crt_init(&p->ca);
    assert_int_equal(mbedtls_x509_crt_parse(&p->crt, (const unsigned char *)pem, strlen(pem) + 1), 0);
    assert_int_equal(mbedtls_x509_crt_parse(&p->ca, (const unsigned char *)ca_pem, sizeof(ca_pem)), 0);
    p->flags = 0;
    mbedtls_x509_crt_verify(&p->crt, &p->ca, NULL, name, &p->flags, NULL, NULL);
}

static void peer_free(peer_t *p)
{
    mbedtls_x509_crt_free(&p->crt);
    mbedtls_x509_crt_free(&p->ca);
}

static void test_config_from_ca_pem_requires_tls_1_2(void **state)
{
    smtp_tls_config_t c;
    smtp_tls_options_t o = ca_options(ca_pem);
    (void)state;

    assert_int_equal(smtp_tls_config_init(&c, &o), 0);
    assert_non_null(c.altcp);
    assert_int_equal(c.insecure_skip_verify, 0);
    /* lwIP's struct altcp_tls_config starts with the mbedtls_ssl_config. */
    const mbedtls_ssl_config *conf = (const mbedtls_ssl_config *)(const void *)c.altcp;
    assert_int_equal(conf->min_major_ver, MBEDTLS_SSL_MAJOR_VERSION_3);
    assert_int_equal(conf->min_minor_ver, MBEDTLS_SSL_MINOR_VERSION_3);
    assert_int_equal(conf->endpoint, MBEDTLS_SSL_IS_CLIENT);
    smtp_tls_config_free(&c);
    assert_null(c.altcp);
    smtp_tls_config_free(&c); /* twice is safe */
}

static void test_config_without_ca_fails_while_verification_is_on(void **state)
{
    smtp_tls_config_t c;
    smtp_tls_options_t o = {0};
    (void)state;

    assert_int_equal(smtp_tls_config_init(&c, &o), SMTP_TLS_ERR_NO_CA);
    assert_null(c.altcp);
    assert_non_null(strstr(c.detail, "no CA certificate"));
}

static void test_config_without_ca_is_allowed_when_verification_is_off(void **state)
{
    smtp_tls_config_t c;
    smtp_tls_options_t o = {0};
    (void)state;

    o.insecure_skip_verify = 1;
    assert_int_equal(smtp_tls_config_init(&c, &o), 0);
    assert_non_null(c.altcp);
    assert_int_equal(c.insecure_skip_verify, 1);
    smtp_tls_config_free(&c);
}

static void test_config_rejects_garbage_pem_with_mbedtls_text(void **state)
{
    static const char bad[] = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
    smtp_tls_config_t c;
    smtp_tls_options_t o = ca_options(bad);
    (void)state;

    assert_int_equal(smtp_tls_config_init(&c, &o), SMTP_TLS_ERR_CA_PARSE);
    assert_null(c.altcp);
    assert_true(c.lib_err < 0);
    assert_non_null(strstr(c.detail, "the CA certificates cannot be read: "));
    assert_true(strlen(c.detail) > strlen("the CA certificates cannot be read: ") + 5);
}

static void test_config_rejects_pem_without_its_terminating_nul(void **state)
{
    smtp_tls_config_t c;
    smtp_tls_options_t o = ca_options(ca_pem);
    (void)state;

    o.ca_len = strlen(ca_pem); /* the classic mistake */
    assert_int_equal(smtp_tls_config_init(&c, &o), SMTP_TLS_ERR_CA_PARSE);
    assert_non_null(strstr(c.detail, "terminating NUL"));
}

static void test_config_rejects_a_bundle_with_one_unreadable_certificate(void **state)
{
    char bundle[4096];
    smtp_tls_config_t c;
    smtp_tls_options_t o;
    (void)state;

    snprintf(bundle, sizeof(bundle), "%s%s", ca_pem,
             "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
    o = ca_options(bundle);
    assert_int_equal(smtp_tls_config_init(&c, &o), SMTP_TLS_ERR_CA_PARSE);
    assert_string_equal(c.detail, "1 of the CA certificates cannot be read");
}

static void test_config_with_rng_hal_seeds_from_it(void **state)
{
    fake_rng_t r = {0};
    struct hal_rng rng = {&fake_rng_api, &r};
    smtp_tls_config_t c;
    smtp_tls_options_t o = ca_options(ca_pem);
    (void)state;

    o.rng = &rng;
    assert_int_equal(smtp_tls_config_init(&c, &o), 0);
    assert_true(r.calls > 0);
    assert_int_equal(c.have_drbg, 1);
    const mbedtls_ssl_config *conf = (const mbedtls_ssl_config *)(const void *)c.altcp;
    assert_ptr_equal(conf->p_rng, &c.drbg);
    smtp_tls_config_free(&c);
}

static void test_config_fails_when_the_rng_hal_fails(void **state)
{
    fake_rng_t r = {.fail = 1};
    struct hal_rng rng = {&fake_rng_api, &r};
    smtp_tls_config_t c;
    smtp_tls_options_t o = ca_options(ca_pem);
    (void)state;

    o.rng = &rng;
    assert_int_equal(smtp_tls_config_init(&c, &o), SMTP_TLS_ERR_SETUP);
    assert_null(c.altcp);
    assert_non_null(strstr(c.detail, "random generator"));
}

static void test_certificate_for_the_gateway_name_is_accepted(void **state)
{
    peer_t p;
    smtp_tls_info_t info = {0};
    (void)state;

    peer_load(&p, good_pem, "smtp.example.test");
    assert_int_equal(p.flags, 0);
    assert_int_equal(smtp_tls_check_cert(&p.crt, p.flags, "smtp.example.test", 0, &info), 0);
    assert_int_equal(info.error, 0);
    assert_int_equal(info.verify_flags, 0);
    assert_string_equal(info.detail, "");
    peer_free(&p);
}

static void test_certificate_for_another_name_is_refused_naming_both(void **state)
{
    peer_t p;
    smtp_tls_info_t info = {0};
    (void)state;

    peer_load(&p, wrong_pem, "mail.example.test");
    assert_int_equal(p.flags, MBEDTLS_X509_BADCERT_CN_MISMATCH);
    assert_int_equal(smtp_tls_check_cert(&p.crt, p.flags, "mail.example.test", 0, &info),
                     SMTP_TLS_ERR_CERT_NAME);
    assert_string_equal(info.detail,
                        "the certificate is for wrong.example.test, not mail.example.test");
    peer_free(&p);
}

static void test_self_signed_certificate_is_refused_as_untrusted(void **state)
{
    peer_t p;
    smtp_tls_info_t info = {0};
    (void)state;

    peer_load(&p, self_pem, "mail.example.test");
    assert_true(p.flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    assert_int_equal(smtp_tls_check_cert(&p.crt, p.flags, "mail.example.test", 0, &info),
                     SMTP_TLS_ERR_CERT_UNTRUSTED);
    assert_non_null(strstr(info.detail, "not correctly signed by the trusted CA"));
    peer_free(&p);
}

/* Mbed TLS 2.28 compares an iPAddress SAN's raw bytes as DNS text: the
 * address never matches through set_hostname. Our own check does. */
static void test_ip_literal_matches_the_ip_subject_alt_name(void **state)
{
    peer_t p;
    smtp_tls_info_t info = {0};
    (void)state;

    peer_load(&p, good_pem, "198.51.100.1");
    assert_true(p.flags & MBEDTLS_X509_BADCERT_CN_MISMATCH); /* the 2.28 limitation */
    peer_free(&p);
    peer_load(&p, good_pem, NULL);                            /* what the transport gets */
    assert_int_equal(p.flags, 0);
    assert_true(smtp_tls_cert_has_ip(&p.crt, "198.51.100.1"));
    assert_int_equal(smtp_tls_check_cert(&p.crt, p.flags, "198.51.100.1", 0, &info), 0);
    assert_int_equal(smtp_tls_check_cert(&p.crt, p.flags, "198.51.100.2", 0, &info),
                     SMTP_TLS_ERR_CERT_NAME);
    assert_true(info.verify_flags & MBEDTLS_X509_BADCERT_CN_MISMATCH);
    assert_non_null(strstr(info.detail, "not 198.51.100.2"));
    peer_free(&p);
}

static void test_ip_literal_does_not_match_a_certificate_without_ip_names(void **state)
{
    peer_t p;
    (void)state;

    peer_load(&p, wrong_pem, NULL);
    assert_false(smtp_tls_cert_has_ip(&p.crt, "198.51.100.1"));
    assert_false(smtp_tls_cert_has_ip(&p.crt, "mail.example.test"));
    assert_false(smtp_tls_cert_has_ip(NULL, "198.51.100.1"));
    peer_free(&p);
}

static void test_no_certificate_at_all_is_untrusted(void **state)
{
    smtp_tls_info_t info = {0};
    (void)state;

    assert_int_equal(smtp_tls_check_cert(NULL, 0, "mail.example.test", 0, &info),
                     SMTP_TLS_ERR_CERT_UNTRUSTED);
    assert_true(info.verify_flags & MBEDTLS_X509_BADCERT_MISSING);
}

static void test_expired_certificate_is_refused_as_expired(void **state)
{
    peer_t p;
    smtp_tls_info_t info = {0};
    (void)state;

    peer_load(&p, good_pem, NULL);
    assert_int_equal(smtp_tls_check_cert(&p.crt, MBEDTLS_X509_BADCERT_EXPIRED, "mail.example.test", 0,
                                         &info),
                     SMTP_TLS_ERR_CERT_EXPIRED);
    assert_non_null(strstr(info.detail, "expired"));
    peer_free(&p);
}

static void test_insecure_setting_accepts_but_reports_the_problem(void **state)
{
    peer_t p;
    smtp_tls_info_t info = {0};
    (void)state;

    peer_load(&p, self_pem, "mail.example.test");
    assert_int_equal(smtp_tls_check_cert(&p.crt, p.flags, "mail.example.test", 1, &info), 0);
    assert_int_equal(info.skipped, 1);
    assert_int_equal(info.error, 0);
    assert_true(info.verify_flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    assert_non_null(strstr(info.detail, "verification is off (insecure): "));
    peer_free(&p);
}

static void test_verify_text_joins_every_problem_on_one_line(void **state)
{
    char buf[SMTP_TLS_TEXT_MAX];
    size_t n;
    (void)state;

    n = smtp_tls_verify_text(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_CN_MISMATCH |
                                 MBEDTLS_X509_BADCERT_NOT_TRUSTED,
                             buf, sizeof(buf));
    assert_int_equal(n, strlen(buf));
    assert_null(strchr(buf, '\n'));
    assert_non_null(strstr(buf, "The certificate validity has expired"));
    assert_non_null(strstr(buf, "; "));
    assert_non_null(strstr(buf, "Common Name (CN) does not match"));
    assert_non_null(strstr(buf, "not correctly signed by the trusted CA"));
    assert_int_equal(smtp_tls_verify_text(0, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
}

static void test_verify_text_truncates_within_the_buffer(void **state)
{
    char buf[24];
    (void)state;

    memset(buf, 'x', sizeof(buf));
    smtp_tls_verify_text(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_NOT_TRUSTED, buf,
                         sizeof(buf));
    assert_true(strlen(buf) < sizeof(buf));
}

static void test_every_error_has_its_own_text(void **state)
{
    static const int codes[] = {SMTP_TLS_ERR_BAD_ARGS, SMTP_TLS_ERR_NO_CA, SMTP_TLS_ERR_CA_PARSE,
                                SMTP_TLS_ERR_SETUP, SMTP_TLS_ERR_HANDSHAKE,
                                SMTP_TLS_ERR_CERT_UNTRUSTED, SMTP_TLS_ERR_CERT_EXPIRED,
                                SMTP_TLS_ERR_CERT_NAME, SMTP_TLS_ERR_CERT_INVALID,
                                SMTP_TLS_ERR_VERSION, SMTP_TLS_ERR_TIMEOUT};
    (void)state;

    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_string_not_equal(smtp_tls_strerror(codes[i]), "unknown TLS error");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(smtp_tls_strerror(codes[i]), smtp_tls_strerror(codes[j]));
    }
    assert_string_equal(smtp_tls_strerror(-1), "unknown TLS error");
}

static void test_handshake_failure_without_context_still_says_so(void **state)
{
    smtp_tls_info_t info = {0};
    (void)state;

    smtp_tls_handshake_failed(NULL, &info);
    assert_int_equal(info.error, SMTP_TLS_ERR_HANDSHAKE);
    assert_string_equal(info.detail, "the TLS handshake failed");
    assert_false(smtp_tls_handshake_begun(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_from_ca_pem_requires_tls_1_2),
        cmocka_unit_test(test_config_without_ca_fails_while_verification_is_on),
        cmocka_unit_test(test_config_without_ca_is_allowed_when_verification_is_off),
        cmocka_unit_test(test_config_rejects_garbage_pem_with_mbedtls_text),
        cmocka_unit_test(test_config_rejects_pem_without_its_terminating_nul),
        cmocka_unit_test(test_config_rejects_a_bundle_with_one_unreadable_certificate),
        cmocka_unit_test(test_config_with_rng_hal_seeds_from_it),
        cmocka_unit_test(test_config_fails_when_the_rng_hal_fails),
        cmocka_unit_test(test_certificate_for_the_gateway_name_is_accepted),
        cmocka_unit_test(test_certificate_for_another_name_is_refused_naming_both),
        cmocka_unit_test(test_self_signed_certificate_is_refused_as_untrusted),
        cmocka_unit_test(test_ip_literal_matches_the_ip_subject_alt_name),
        cmocka_unit_test(test_ip_literal_does_not_match_a_certificate_without_ip_names),
        cmocka_unit_test(test_no_certificate_at_all_is_untrusted),
        cmocka_unit_test(test_expired_certificate_is_refused_as_expired),
        cmocka_unit_test(test_insecure_setting_accepts_but_reports_the_problem),
        cmocka_unit_test(test_verify_text_joins_every_problem_on_one_line),
        cmocka_unit_test(test_verify_text_truncates_within_the_buffer),
        cmocka_unit_test(test_every_error_has_its_own_text),
        cmocka_unit_test(test_handshake_failure_without_context_still_says_so),
    };
    lwip_init(); /* altcp_tls keeps its configurations on lwIP's heap */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
