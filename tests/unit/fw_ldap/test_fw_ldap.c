/*
 * Unit tests of the LDAP settings check (fw_ldap_config_check in
 * firmware/fw_ldap.c): every field is refused with its own reason, the
 * reason names the field and never carries the password.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fw_ldap.h"

static const uint8_t ca_pem[] = "-----BEGIN CERTIFICATE-----\n";
static const char *const attrs_ok[] = {"cn", "mail"};

/* A configuration every check accepts: StartTLS, a CA, a service account. */
static fw_ldap_config_t good(void)
{
    fw_ldap_config_t c;

    memset(&c, 0, sizeof c);
    c.server = "ldap.example.test";
    c.port = 389;
    c.tls = LDAP_TLS_STARTTLS;
    c.ca = ca_pem;
    c.ca_len = sizeof ca_pem;
    c.bind_dn = "cn=reader,ou=services,dc=example,dc=test";
    c.bind_password = "s3cret-Pw";
    c.base_dn = "ou=people,dc=example,dc=test";
    return c;
}

/* c is refused and the reason starts with field (and is not the password). */
static void refused(const fw_ldap_config_t *c, const char *field)
{
    char why[FW_LDAP_MSG_MAX];

    memset(why, 'x', sizeof why);
    assert_int_equal(fw_ldap_config_check(c, why, sizeof why), FW_LDAP_ERR_CONFIG);
    assert_true(strlen(why) < sizeof why);
    if (strncmp(why, field, strlen(field)) != 0) {
        fail_msg("expected a reason for \"%s\", got \"%s\"", field, why);
    }
    assert_null(strstr(why, "s3cret"));
}

static void accepted(const fw_ldap_config_t *c)
{
    char why[FW_LDAP_MSG_MAX];

    if (fw_ldap_config_check(c, why, sizeof why) != 0) {
        fail_msg("refused: %s", why);
    }
    assert_string_equal(why, "");
}

static void test_a_complete_configuration_is_accepted(void **state)
{
    fw_ldap_config_t c = good();

    (void)state;
    accepted(&c);
    c.server = "198.51.100.1";
    c.tls = LDAP_TLS_LDAPS;
    c.search_attrs = attrs_ok;
    c.search_attr_count = 2;
    c.name_attr = "cn";
    c.mail_attr = "mail";
    c.login_attr = "sAMAccountName";
    c.max_results = LDAP_COMPLETE_MAX;
    c.timeout_ms = FW_LDAP_TIMEOUT_MAX_MS;
    accepted(&c);
    c.timeout_ms = FW_LDAP_TIMEOUT_MIN_MS;
    c.max_results = 1;
    accepted(&c);
    /* Anonymous: no DN and no password. */
    c.bind_dn = NULL;
    c.bind_password = NULL;
    accepted(&c);
    c.bind_dn = "";
    c.bind_password = "";
    accepted(&c);
}

static void test_no_settings_is_refused_and_why_is_optional(void **state)
{
    char why[8];
    fw_ldap_config_t c = good();

    (void)state;
    assert_int_equal(fw_ldap_config_check(NULL, why, sizeof why), FW_LDAP_ERR_CONFIG);
    assert_string_equal(why, "no LDAP"); /* cut to the room given, terminated */
    c.server = NULL;
    assert_int_equal(fw_ldap_config_check(&c, NULL, 0), FW_LDAP_ERR_CONFIG);
}

static void test_bad_server_names_are_refused(void **state)
{
    static const char *const bad[] = {
        "",
        "ldap..example.test",
        ".ldap.example.test",
        "ldap-.example.test",
        "-ldap.example.test",
        "ldap example.test",
        "ldap.example.test\r\n",
        "ldap_x.example.test",
        "ldap.example.test/",
        "ldap.example.test:389",
        "a234567890123456789012345678901234567890123456789012345678901234.test",
    };
    char longname[300];
    fw_ldap_config_t c = good();
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c.server = bad[i];
        refused(&c, "Server:");
    }
    c.server = NULL;
    refused(&c, "Server:");
    /* 254 characters: over the 253 a DNS name may have. */
    for (i = 0; i < 254; i++) {
        longname[i] = (i % 10 == 9) ? '.' : 'a';
    }
    longname[254] = '\0';
    c.server = longname;
    refused(&c, "Server:");
    longname[253] = '\0';
    c.server = longname; /* 253, ends in a label */
    accepted(&c);
}

static void test_port_zero_means_the_default_port_not_a_refusal(void **state)
{
    fw_ldap_config_t c = good();

    (void)state;
    /* fw_ldap.h: "0: 389, or 636 for LDAPS". Every uint16_t port above 0 is a
     * real port, so the port field has nothing to refuse. */
    c.port = 0;
    accepted(&c);
    c.tls = LDAP_TLS_LDAPS;
    accepted(&c);
    c.port = 65535;
    accepted(&c);
}

static void test_tls_without_a_ca_is_refused_unless_insecure_is_chosen(void **state)
{
    fw_ldap_config_t c = good();

    (void)state;
    c.ca = NULL;
    refused(&c, "CA certificate:");
    c.ca = ca_pem;
    c.ca_len = 0;
    refused(&c, "CA certificate:");
    c.tls = LDAP_TLS_LDAPS;
    refused(&c, "CA certificate:");
    c.insecure = 1;
    accepted(&c);
    /* Without TLS no CA is needed (anonymous, or cleartext allowed). */
    c.insecure = 0;
    c.tls = LDAP_TLS_NONE;
    c.allow_cleartext = 1;
    accepted(&c);
    c.tls = (ldap_tls_mode_t)7;
    refused(&c, "TLS:");
}

static void test_bind_dn_and_password_go_together(void **state)
{
    fw_ldap_config_t c = good();

    (void)state;
    c.bind_password = NULL;
    refused(&c, "Bind password:");
    c.bind_password = "";
    refused(&c, "Bind password:");
    c = good();
    c.bind_dn = NULL;
    refused(&c, "Bind DN:");
    c.bind_dn = "";
    refused(&c, "Bind DN:");
    c = good();
    c.bind_dn = "reader"; /* not a DN */
    refused(&c, "Bind DN:");
}

static void test_a_cleartext_password_is_refused_unless_allowed(void **state)
{
    fw_ldap_config_t c = good();

    (void)state;
    c.tls = LDAP_TLS_NONE;
    refused(&c, "TLS:");
    c.allow_cleartext = 1;
    accepted(&c);
    /* Anonymous over cleartext sends no secret: no need to allow it. */
    c.allow_cleartext = 0;
    c.bind_dn = NULL;
    c.bind_password = NULL;
    accepted(&c);
}

static void test_cr_lf_and_control_characters_in_dn_or_password_are_refused(void **state)
{
    static const char *const dns[] = {"cn=a\r\nb,dc=x", "cn=a\n,dc=x", "cn=a\r,dc=x", "cn=a\t,dc=x",
                                      "cn=a\x7f,dc=x"};
    static const char *const pws[] = {"s3cret\r\n", "s3cret\nx", "s3\rcret", "s3cret\x01"};
    char longpw[LDAP_VALUE_MAX + 1];
    fw_ldap_config_t c = good();
    size_t i;

    (void)state;
    for (i = 0; i < sizeof dns / sizeof dns[0]; i++) {
        c = good();
        c.bind_dn = dns[i];
        refused(&c, "Bind DN:");
        c = good();
        c.base_dn = dns[i];
        refused(&c, "Base DN:");
    }
    for (i = 0; i < sizeof pws / sizeof pws[0]; i++) {
        c = good();
        c.bind_password = pws[i];
        refused(&c, "Bind password:");
    }
    /* A NUL ends a C string: what follows it is never read, checked or
     * sent, so "s3cret\0\r\n" is the password "s3cret" and passes. */
    c = good();
    c.bind_password = "s3cret\0\r\nINJECT";
    accepted(&c);
    memset(longpw, 'p', sizeof longpw - 1);
    longpw[sizeof longpw - 1] = '\0';
    c.bind_password = longpw;
    refused(&c, "Bind password:");
}

static void test_base_dn_is_required(void **state)
{
    fw_ldap_config_t c = good();

    (void)state;
    c.base_dn = NULL;
    refused(&c, "Base DN:");
    c.base_dn = "";
    refused(&c, "Base DN:");
    c.base_dn = "people";
    refused(&c, "Base DN:");
}

static void test_bad_attribute_names_are_refused_per_field(void **state)
{
    static const char *const bad[] = {"",     "ma il", "mail=*",     "mail)(cn",
                                      "1abc", "-mail", "m\xc3\xa4il"};
    static const char *const one_bad[] = {"cn", "mail)(x"};
    static const char *const with_null[] = {"cn", NULL};
    static const char *const six[] = {"cn", "sn", "mail", "uid", "o", "ou", "l", "st", "c"};
    fw_ldap_config_t c = good();
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = good();
        c.name_attr = bad[i];
        refused(&c, "Name attribute:");
        c = good();
        c.mail_attr = bad[i];
        refused(&c, "Mail attribute:");
        c = good();
        c.login_attr = bad[i];
        refused(&c, "Sign-in attribute:");
    }
    c = good();
    c.search_attrs = one_bad;
    c.search_attr_count = 2;
    refused(&c, "Search attributes:");
    c.search_attrs = with_null;
    refused(&c, "Search attributes:");
    c.search_attrs = attrs_ok;
    c.search_attr_count = 0;
    refused(&c, "Search attributes:");
    c.search_attrs = six;
    c.search_attr_count = LDAP_FILTER_ATTRS_MAX + 1;
    assert_true(c.search_attr_count <= sizeof six / sizeof six[0]);
    refused(&c, "Search attributes:");
    c.search_attr_count = LDAP_FILTER_ATTRS_MAX;
    accepted(&c);
}

static void test_max_results_and_timeout_ranges(void **state)
{
    fw_ldap_config_t c = good();

    (void)state;
    c.max_results = 0; /* the default */
    accepted(&c);
    c.max_results = LDAP_COMPLETE_MAX + 1;
    refused(&c, "Maximum results:");
    c = good();
    c.timeout_ms = 0; /* the default */
    accepted(&c);
    c.timeout_ms = FW_LDAP_TIMEOUT_MIN_MS - 1;
    refused(&c, "Timeout:");
    c.timeout_ms = FW_LDAP_TIMEOUT_MAX_MS + 1;
    refused(&c, "Timeout:");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_complete_configuration_is_accepted),
        cmocka_unit_test(test_no_settings_is_refused_and_why_is_optional),
        cmocka_unit_test(test_bad_server_names_are_refused),
        cmocka_unit_test(test_port_zero_means_the_default_port_not_a_refusal),
        cmocka_unit_test(test_tls_without_a_ca_is_refused_unless_insecure_is_chosen),
        cmocka_unit_test(test_bind_dn_and_password_go_together),
        cmocka_unit_test(test_a_cleartext_password_is_refused_unless_allowed),
        cmocka_unit_test(test_cr_lf_and_control_characters_in_dn_or_password_are_refused),
        cmocka_unit_test(test_base_dn_is_required),
        cmocka_unit_test(test_bad_attribute_names_are_refused_per_field),
        cmocka_unit_test(test_max_results_and_timeout_ranges),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
