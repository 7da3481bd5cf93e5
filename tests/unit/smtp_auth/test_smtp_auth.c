/*
 * Unit tests of the SASL client mechanisms (smtp/smtp_auth.c) against the
 * RFCs' own examples: CRAM-MD5 from RFC 2195, SCRAM-SHA-256 from RFC 7677
 * section 3, PLAIN from RFC 4616's layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "smtp_auth.h"

/* RFC 7677 section 3 (user "user", password "pencil"). */
#define SCRAM_NONCE "rOprNGfwEbeRWgbNEkqO"
#define SCRAM_C1 "biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8="
#define SCRAM_S1                                                                                   \
    "cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29F" \
    "c1VFamI2Z1E9PSxpPTQwOTY="
#define SCRAM_C2                                                                                   \
    "Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFw" \
    "V0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ=="
#define SCRAM_S2 "dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ=="
/* The same server-final with its first signature byte changed. */
#define SCRAM_S2_BAD "dj03cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ=="

static void step_ok(smtp_auth_t *a, const char *chal, const char *expect_line)
{
    assert_int_equal(smtp_auth_step(a, chal, strlen(chal)), 0);
    assert_int_equal(a->line_len, strlen(expect_line));
    assert_memory_equal(a->line, expect_line, a->line_len);
}

static void test_plain_sends_authzid_user_and_password_as_initial_response(void **state)
{
    smtp_auth_t a;

    (void)state;
    memset(&a, 0, sizeof(a));
    assert_int_equal(smtp_auth_start(&a, SMTP_AUTH_PLAIN, "tim", "tanstaaftanstaaf", NULL), 0);
    assert_string_equal(a.line, "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n");
    assert_int_equal(smtp_auth_done(&a), 0);
    /* PLAIN expects no challenge. */
    assert_int_equal(smtp_auth_step(&a, "", 0), SMTP_AUTH_ERR_STATE);
    smtp_auth_free(&a);
}

static void test_login_answers_user_then_password(void **state)
{
    smtp_auth_t a;

    (void)state;
    memset(&a, 0, sizeof(a));
    assert_int_equal(smtp_auth_start(&a, SMTP_AUTH_LOGIN, "user", "pencil", NULL), 0);
    assert_string_equal(a.line, "AUTH LOGIN\r\n");
    step_ok(&a, "VXNlcm5hbWU6", "dXNlcg==\r\n");
    step_ok(&a, "UGFzc3dvcmQ6", "cGVuY2ls\r\n");
    assert_int_equal(smtp_auth_step(&a, "UGFzc3dvcmQ6", 12), SMTP_AUTH_ERR_STATE);
    assert_int_equal(a.line_len, 0);
    smtp_auth_free(&a);
}

static void test_cram_md5_matches_rfc2195(void **state)
{
    smtp_auth_t a;

    (void)state;
    memset(&a, 0, sizeof(a));
    assert_int_equal(smtp_auth_start(&a, SMTP_AUTH_CRAM_MD5, "tim", "tanstaaftanstaaf", NULL), 0);
    assert_string_equal(a.line, "AUTH CRAM-MD5\r\n");
    /* "<1896.697170952@postoffice.reston.mci.net>" -> "tim b913a602c7eda7a495b4e6e7334d3890" */
    step_ok(&a, "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+",
            "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n");
    assert_int_equal(smtp_auth_done(&a), 0);
    smtp_auth_free(&a);
}

static void test_cram_md5_refuses_a_challenge_that_is_not_base64(void **state)
{
    smtp_auth_t a;

    (void)state;
    memset(&a, 0, sizeof(a));
    assert_int_equal(smtp_auth_start(&a, SMTP_AUTH_CRAM_MD5, "tim", "tanstaaftanstaaf", NULL), 0);
    assert_int_equal(smtp_auth_step(&a, "not base64!", 11), SMTP_AUTH_ERR_CHALLENGE);
    assert_int_equal(a.line_len, 0);
    smtp_auth_free(&a);
}

static void test_scram_sha256_matches_rfc7677_and_verifies_the_server(void **state)
{
    smtp_auth_t a;

    (void)state;
    memset(&a, 0, sizeof(a));
    assert_int_equal(smtp_auth_start(&a, SMTP_AUTH_SCRAM_SHA_256, "user", "pencil", SCRAM_NONCE),
                     0);
    assert_string_equal(a.line, "AUTH SCRAM-SHA-256 " SCRAM_C1 "\r\n");
    step_ok(&a, SCRAM_S1, SCRAM_C2 "\r\n");
    /* A 235 before the server proved itself is a failure. */
    assert_int_equal(smtp_auth_done(&a), SMTP_AUTH_ERR_SERVER_PROOF);
    step_ok(&a, SCRAM_S2, "\r\n");
    assert_int_equal(smtp_auth_done(&a), 0);
    smtp_auth_free(&a);
}

static void test_scram_sha256_fails_on_a_wrong_server_signature(void **state)
{
    smtp_auth_t a;

    (void)state;
    memset(&a, 0, sizeof(a));
    assert_int_equal(smtp_auth_start(&a, SMTP_AUTH_SCRAM_SHA_256, "user", "pencil", SCRAM_NONCE),
                     0);
    step_ok(&a, SCRAM_S1, SCRAM_C2 "\r\n");
    assert_int_equal(smtp_auth_step(&a, SCRAM_S2_BAD, strlen(SCRAM_S2_BAD)),
                     SMTP_AUTH_ERR_SERVER_PROOF);
    assert_int_equal(a.line_len, 0);
    assert_int_equal(smtp_auth_done(&a), SMTP_AUTH_ERR_SERVER_PROOF);
    smtp_auth_free(&a);
}

static void test_scram_sha256_refuses_a_foreign_nonce_and_few_iterations(void **state)
{
    /* "r=XXprNGfw...,s=...,i=4096": nonce does not extend ours. */
    static const char foreign[] =
        "cj1YWHByTkdmd0ViZVJXZ2JORWtxTyVodlkscz1XMjJaYUowU05ZN3NvRXNVRWpiNmdRPT0saT00MDk2";
    /* RFC 7677's server-first with i=1000. */
    static const char few[] = "cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRr"
                              "MCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTEwMDA=";
    /* "e=other-error" as server-final. */
    static const char err[] = "ZT1vdGhlci1lcnJvcg==";
    smtp_auth_t a;

    (void)state;
    memset(&a, 0, sizeof(a));
    assert_int_equal(smtp_auth_start(&a, SMTP_AUTH_SCRAM_SHA_256, "user", "pencil", SCRAM_NONCE),
                     0);
    assert_int_equal(smtp_auth_step(&a, foreign, strlen(foreign)), SMTP_AUTH_ERR_CHALLENGE);
    assert_int_equal(smtp_auth_start(&a, SMTP_AUTH_SCRAM_SHA_256, "user", "pencil", SCRAM_NONCE),
                     0);
    assert_int_equal(smtp_auth_step(&a, few, strlen(few)), SMTP_AUTH_ERR_ITERATIONS);
    assert_int_equal(smtp_auth_start(&a, SMTP_AUTH_SCRAM_SHA_256, "user", "pencil", SCRAM_NONCE),
                     0);
    step_ok(&a, SCRAM_S1, SCRAM_C2 "\r\n");
    assert_int_equal(smtp_auth_step(&a, err, strlen(err)), SMTP_AUTH_ERR_SERVER_ERROR);
    smtp_auth_free(&a);
}

static void test_scram_escapes_comma_and_equals_in_the_user_name(void **state)
{
    /* base64("n,,n=a=2Cb=3Dc,r=abc") */
    smtp_auth_t a;

    (void)state;
    memset(&a, 0, sizeof(a));
    assert_int_equal(smtp_auth_start(&a, SMTP_AUTH_SCRAM_SHA_256, "a,b=c", "pw", "abc"), 0);
    assert_string_equal(a.line, "AUTH SCRAM-SHA-256 biwsbj1hPTJDYj0zRGMscj1hYmM=\r\n");
    smtp_auth_free(&a);
}

static void test_select_prefers_the_strongest_common_mechanism_or_the_forced_one(void **state)
{
    (void)state;
    assert_int_equal(smtp_auth_select(SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN | SMTP_AUTH_CRAM_MD5 |
                                          SMTP_AUTH_SCRAM_SHA_256,
                                      0),
                     SMTP_AUTH_SCRAM_SHA_256);
    assert_int_equal(smtp_auth_select(SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN | SMTP_AUTH_CRAM_MD5, 0),
                     SMTP_AUTH_CRAM_MD5);
    assert_int_equal(smtp_auth_select(SMTP_AUTH_LOGIN | SMTP_AUTH_PLAIN, 0), SMTP_AUTH_PLAIN);
    assert_int_equal(smtp_auth_select(SMTP_AUTH_LOGIN | SMTP_AUTH_XOAUTH2, 0), SMTP_AUTH_LOGIN);
    assert_int_equal(smtp_auth_select(SMTP_AUTH_XOAUTH2 | SMTP_AUTH_SCRAM_SHA_1, 0), 0);
    assert_int_equal(smtp_auth_select(SMTP_AUTH_PLAIN | SMTP_AUTH_SCRAM_SHA_256, SMTP_AUTH_PLAIN),
                     SMTP_AUTH_PLAIN);
    /* Forced but not offered: none (never a silent substitute). */
    assert_int_equal(smtp_auth_select(SMTP_AUTH_PLAIN, SMTP_AUTH_CRAM_MD5), 0);
    assert_int_equal(smtp_auth_select(SMTP_AUTH_XOAUTH2, SMTP_AUTH_XOAUTH2), 0);
}

static void test_check_names_the_bad_setting(void **state)
{
    const char *field = NULL;

    (void)state;
    assert_int_equal(smtp_auth_check("u", "p", 0, NULL, &field), 0);
    assert_null(field);
    assert_int_equal(smtp_auth_check("u\r\nRSET", "p", 0, NULL, &field), SMTP_AUTH_ERR_BAD_ARGS);
    assert_string_equal(field, "auth_user");
    assert_int_equal(smtp_auth_check("u", "", 0, NULL, &field), SMTP_AUTH_ERR_BAD_ARGS);
    assert_string_equal(field, "auth_pass");
    assert_int_equal(smtp_auth_check("u", "p", SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN, NULL, &field),
                     SMTP_AUTH_ERR_BAD_ARGS);
    assert_string_equal(field, "auth_mech");
    assert_int_equal(smtp_auth_check("u", "p", 0, "a,b", &field), SMTP_AUTH_ERR_BAD_ARGS);
    assert_string_equal(field, "auth_nonce");
}

static int fill_counting(void *arg, uint8_t *buf, size_t len)
{
    size_t i;

    (void)arg;
    for (i = 0; i < len; i++) {
        buf[i] = (uint8_t)i;
    }
    return 0;
}

static int fill_failing(void *arg, uint8_t *buf, size_t len)
{
    (void)arg;
    (void)buf;
    (void)len;
    return -1;
}

static void test_make_nonce_encodes_random_bytes_and_reports_rng_failure(void **state)
{
    char n[SMTP_AUTH_NONCE_MAX + 1];

    (void)state;
    assert_int_equal(smtp_auth_make_nonce(fill_counting, NULL, n, sizeof(n)), 0);
    assert_string_equal(n, "AAECAwQFBgcICQoLDA0ODxAR");
    assert_int_equal(smtp_auth_make_nonce(fill_failing, NULL, n, sizeof(n)), SMTP_AUTH_ERR_CRYPTO);
    assert_string_equal(n, "");
}

static void test_free_wipes_the_context(void **state)
{
    static const uint8_t zero[sizeof(smtp_auth_t)];
    smtp_auth_t a;

    (void)state;
    memset(&a, 0, sizeof(a));
    smtp_auth_free(&a);
    assert_int_equal(smtp_auth_start(&a, SMTP_AUTH_PLAIN, "user", "pencil", NULL), 0);
    smtp_auth_free(&a);
    assert_memory_equal(&a, zero, sizeof(a));
    smtp_auth_free(NULL);
    assert_string_equal(smtp_auth_mech_name(SMTP_AUTH_SCRAM_SHA_256), "SCRAM-SHA-256");
    assert_string_equal(smtp_auth_mech_name(3), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_sends_authzid_user_and_password_as_initial_response),
        cmocka_unit_test(test_login_answers_user_then_password),
        cmocka_unit_test(test_cram_md5_matches_rfc2195),
        cmocka_unit_test(test_cram_md5_refuses_a_challenge_that_is_not_base64),
        cmocka_unit_test(test_scram_sha256_matches_rfc7677_and_verifies_the_server),
        cmocka_unit_test(test_scram_sha256_fails_on_a_wrong_server_signature),
        cmocka_unit_test(test_scram_sha256_refuses_a_foreign_nonce_and_few_iterations),
        cmocka_unit_test(test_scram_escapes_comma_and_equals_in_the_user_name),
        cmocka_unit_test(test_select_prefers_the_strongest_common_mechanism_or_the_forced_one),
        cmocka_unit_test(test_check_names_the_bad_setting),
        cmocka_unit_test(test_make_nonce_encodes_random_bytes_and_reports_rng_failure),
        cmocka_unit_test(test_free_wipes_the_context),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
