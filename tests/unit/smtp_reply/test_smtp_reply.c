/*
 * Unit tests of the SMTP reply parser (smtp/smtp_reply.c).
 * Every input goes through parse_both(): whole and one byte at a time must
 * give the same result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "smtp_reply.h"

typedef struct {
    unsigned calls;
    char lines[SMTP_REPLY_LINES_MAX][SMTP_LINE_MAX];
} line_log_t;

static void log_line(void *arg, unsigned index, const char *text, size_t len)
{
    line_log_t *log = arg;

    assert_int_equal(index, log->calls);
    assert_true(len < SMTP_LINE_MAX);
    memcpy(log->lines[index], text, len);
    log->lines[index][len] = '\0';
    log->calls++;
}

/* Parse in as one buffer and one byte at a time; both must agree. Returns
 * the rc, *r and *consumed from the one-buffer run. */
static int parse_both(const char *in, size_t len, smtp_reply_t *r, size_t *consumed)
{
    smtp_reply_t one;
    size_t used = 0;
    size_t total = 0;
    size_t i;
    int rc1;
    int rc2 = SMTP_REPLY_NEED_MORE;

    memset(r, 0, sizeof(*r));
    smtp_reply_init(r);
    rc1 = smtp_reply_parse(r, (const uint8_t *)in, len, consumed);

    memset(&one, 0, sizeof(one));
    smtp_reply_init(&one);
    for (i = 0; i < len && rc2 == SMTP_REPLY_NEED_MORE; i++) {
        rc2 = smtp_reply_parse(&one, (const uint8_t *)in + i, 1, &used);
        assert_int_equal(used, 1);
        total += used;
    }
    assert_int_equal(rc1, rc2);
    assert_int_equal(*consumed, total);
    assert_int_equal(r->code, one.code);
    assert_string_equal(r->enhanced, one.enhanced);
    assert_string_equal(r->text, one.text);
    assert_int_equal(r->lines, one.lines);
    assert_int_equal(r->truncated, one.truncated);
    return rc1;
}

static int parse_str(const char *in, smtp_reply_t *r, size_t *consumed)
{
    return parse_both(in, strlen(in), r, consumed);
}

static void test_reply_parser_reads_a_single_line_reply(void **state)
{
    smtp_reply_t r;
    size_t used;

    (void)state;
    assert_int_equal(parse_str("250 OK\r\n", &r, &used), SMTP_REPLY_DONE);
    assert_int_equal(used, 8);
    assert_int_equal(r.code, 250);
    assert_string_equal(r.text, "OK");
    assert_string_equal(r.enhanced, "");
    assert_int_equal(r.lines, 1);
}

static void test_reply_parser_joins_the_lines_of_a_multi_line_reply(void **state)
{
    const char *in = "250-mail.example.test Hello\r\n250-SIZE 10240000\r\n250 PIPELINING\r\n";
    smtp_reply_t r;
    size_t used;

    (void)state;
    assert_int_equal(parse_str(in, &r, &used), SMTP_REPLY_DONE);
    assert_int_equal(used, strlen(in));
    assert_int_equal(r.code, 250);
    assert_int_equal(r.lines, 3);
    assert_string_equal(r.text, "mail.example.test Hello SIZE 10240000 PIPELINING");
}

static void test_reply_parser_hands_every_line_to_the_callback(void **state)
{
    const char *in = "250-mx Hi\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n";
    static line_log_t log;
    smtp_reply_t r;
    size_t used;

    (void)state;
    memset(&log, 0, sizeof(log));
    smtp_reply_init(&r);
    r.line_cb = log_line;
    r.line_arg = &log;
    assert_int_equal(smtp_reply_parse(&r, (const uint8_t *)in, strlen(in), &used), SMTP_REPLY_DONE);
    assert_int_equal(log.calls, 3);
    assert_string_equal(log.lines[0], "mx Hi");
    assert_string_equal(log.lines[1], "8BITMIME");
    assert_string_equal(log.lines[2], "AUTH PLAIN LOGIN");
}

static void test_reply_parser_accepts_a_bare_code_line(void **state)
{
    smtp_reply_t r;
    size_t used;

    (void)state;
    assert_int_equal(parse_str("250\r\n", &r, &used), SMTP_REPLY_DONE);
    assert_int_equal(r.code, 250);
    assert_string_equal(r.text, "");
    assert_int_equal(parse_str("250-first\r\n250\r\n", &r, &used), SMTP_REPLY_DONE);
    assert_int_equal(r.lines, 2);
    assert_string_equal(r.text, "first");
}

static void test_reply_parser_accepts_a_bare_lf_line_end(void **state)
{
    smtp_reply_t r;
    size_t used;

    (void)state;
    assert_int_equal(parse_str("250-a\n250 b\n", &r, &used), SMTP_REPLY_DONE);
    assert_int_equal(used, 12);
    assert_string_equal(r.text, "a b");
}

static void test_reply_parser_keeps_the_enhanced_code_apart_from_the_text(void **state)
{
    smtp_reply_t r;
    size_t used;

    (void)state;
    assert_int_equal(parse_str("550-5.1.1 <bob@example.test>: Recipient\r\n550 5.1.1 address rejected\r\n",
                               &r, &used),
                     SMTP_REPLY_DONE);
    assert_int_equal(r.code, 550);
    assert_string_equal(r.enhanced, "5.1.1");
    assert_string_equal(r.text, "<bob@example.test>: Recipient address rejected");

    assert_int_equal(parse_str("451 4.123.456\r\n", &r, &used), SMTP_REPLY_DONE);
    assert_string_equal(r.enhanced, "4.123.456");
    assert_string_equal(r.text, "");
}

static void test_reply_parser_ignores_an_enhanced_code_of_another_class(void **state)
{
    smtp_reply_t r;
    size_t used;

    (void)state;
    assert_int_equal(parse_str("550 2.1.1 odd\r\n", &r, &used), SMTP_REPLY_DONE);
    assert_string_equal(r.enhanced, "");
    assert_string_equal(r.text, "2.1.1 odd");
    assert_int_equal(parse_str("550 5.1234.1 odd\r\n", &r, &used), SMTP_REPLY_DONE);
    assert_string_equal(r.enhanced, "");
    assert_int_equal(parse_str("550 5.1.1x odd\r\n", &r, &used), SMTP_REPLY_DONE);
    assert_string_equal(r.enhanced, "");
}

static void test_reply_parser_stops_at_the_end_of_the_reply(void **state)
{
    const char *in = "250 first\r\n354 second\r\n";
    smtp_reply_t r;
    size_t used;

    (void)state;
    assert_int_equal(parse_str(in, &r, &used), SMTP_REPLY_DONE);
    assert_int_equal(used, 11);
    assert_int_equal(r.code, 250);
    /* Calling again without init changes nothing. */
    assert_int_equal(smtp_reply_parse(&r, (const uint8_t *)in + used, 12, &used), SMTP_REPLY_DONE);
    assert_int_equal(used, 0);
    smtp_reply_init(&r);
    assert_int_equal(smtp_reply_parse(&r, (const uint8_t *)in + 11, 12, &used), SMTP_REPLY_DONE);
    assert_int_equal(r.code, 354);
    assert_string_equal(r.text, "second");
}

static void test_reply_parser_needs_more_at_every_truncation_point(void **state)
{
    static const char *const replies[] = {
        "250 OK\r\n",
        "250\r\n",
        "250-mx.example.test\r\n250-PIPELINING\r\n250 SIZE 100\r\n",
        "550-5.1.1 no\r\n550 5.1.1 such user\r\n",
    };
    size_t k;

    (void)state;
    for (k = 0; k < sizeof(replies) / sizeof(replies[0]); k++) {
        size_t len = strlen(replies[k]);
        size_t cut;

        for (cut = 0; cut < len; cut++) {
            smtp_reply_t r;
            size_t used = 99;

            assert_int_equal(parse_both(replies[k], cut, &r, &used), SMTP_REPLY_NEED_MORE);
            assert_int_equal(used, cut);
        }
    }
}

static void test_reply_parser_rejects_a_line_longer_than_512(void **state)
{
    char in[SMTP_LINE_MAX + 8];
    smtp_reply_t r;
    size_t used;

    (void)state;
    /* 510 bytes + CRLF = 512: the longest line accepted. */
    memset(in, 'x', sizeof(in));
    memcpy(in, "250 ", 4);
    memcpy(in + SMTP_LINE_MAX - 2, "\r\n", 2);
    assert_int_equal(parse_both(in, SMTP_LINE_MAX, &r, &used), SMTP_REPLY_DONE);
    assert_int_equal(used, SMTP_LINE_MAX);

    /* 511 bytes + CRLF = 513. */
    memset(in, 'x', sizeof(in));
    memcpy(in, "250 ", 4);
    memcpy(in + SMTP_LINE_MAX - 1, "\r\n", 2);
    assert_int_equal(parse_both(in, SMTP_LINE_MAX + 1, &r, &used), SMTP_REPLY_ERR_LINE_TOO_LONG);

    /* No line end at all: refused as soon as the limit is passed. */
    memset(in, 'x', sizeof(in));
    memcpy(in, "250 ", 4);
    assert_int_equal(parse_both(in, sizeof(in), &r, &used), SMTP_REPLY_ERR_LINE_TOO_LONG);
    assert_true(used <= SMTP_LINE_MAX);
}

static void test_reply_parser_rejects_too_many_lines(void **state)
{
    char in[(SMTP_REPLY_LINES_MAX + 1) * 8 + 1];
    smtp_reply_t r;
    size_t used;
    size_t n = 0;
    unsigned i;

    (void)state;
    for (i = 0; i < SMTP_REPLY_LINES_MAX - 1; i++) {
        n += (size_t)sprintf(in + n, "250-%02u\r\n", i % 100);
    }
    n += (size_t)sprintf(in + n, "250 zz\r\n");
    assert_int_equal(parse_both(in, n, &r, &used), SMTP_REPLY_DONE);
    assert_int_equal(r.lines, SMTP_REPLY_LINES_MAX);

    n = 0;
    for (i = 0; i < SMTP_REPLY_LINES_MAX; i++) {
        n += (size_t)sprintf(in + n, "250-%02u\r\n", i % 100);
    }
    n += (size_t)sprintf(in + n, "250 zz\r\n");
    assert_int_equal(parse_both(in, n, &r, &used), SMTP_REPLY_ERR_TOO_MANY_LINES);
}

static void test_reply_parser_rejects_bad_codes(void **state)
{
    static const char *const bad[] = {
        "099 x\r\n", "150 x\r\n", "600 x\r\n", "25 x\r\n", "2a0 x\r\n", "\r\n", "25\r\n", " 250 x\r\n",
    };
    size_t k;

    (void)state;
    for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        smtp_reply_t r;
        size_t used;

        assert_int_equal(parse_str(bad[k], &r, &used), SMTP_REPLY_ERR_BAD_CODE);
    }
}

static void test_reply_parser_rejects_mixed_codes_in_a_multi_line_reply(void **state)
{
    smtp_reply_t r;
    size_t used;

    (void)state;
    assert_int_equal(parse_str("250-a\r\n251 b\r\n", &r, &used), SMTP_REPLY_ERR_MIXED_CODES);
    assert_int_equal(r.code, 250);
    assert_string_equal(r.text, "a");
}

static void test_reply_parser_rejects_a_bad_separator(void **state)
{
    smtp_reply_t r;
    size_t used;

    (void)state;
    assert_int_equal(parse_str("250_OK\r\n", &r, &used), SMTP_REPLY_ERR_BAD_SEPARATOR);
    assert_int_equal(parse_str("2500\r\n", &r, &used), SMTP_REPLY_ERR_BAD_SEPARATOR);
}

static void test_reply_parser_rejects_a_nul_byte(void **state)
{
    smtp_reply_t r;
    size_t used;

    (void)state;
    assert_int_equal(parse_both("250 a\0b\r\n", 9, &r, &used), SMTP_REPLY_ERR_NUL);
    assert_int_equal(used, 6);
}

static void test_reply_parser_cuts_long_text_safely(void **state)
{
    static char in[SMTP_REPLY_LINES_MAX * SMTP_LINE_MAX];
    smtp_reply_t r;
    size_t used;
    size_t n = 0;
    unsigned i;

    (void)state;
    for (i = 0; i < 4; i++) {
        memcpy(in + n, i < 3 ? "250-" : "250 ", 4);
        memset(in + n + 4, 'a' + (char)i, 300);
        memcpy(in + n + 304, "\r\n", 2);
        n += 306;
    }
    assert_int_equal(parse_both(in, n, &r, &used), SMTP_REPLY_DONE);
    assert_int_equal(r.truncated, 1);
    assert_int_equal(r.text_len, SMTP_TEXT_MAX - 1);
    assert_int_equal(strlen(r.text), SMTP_TEXT_MAX - 1);
    assert_int_equal(r.text[300], ' ');
}

static void test_reply_parser_replaces_control_bytes_in_the_text(void **state)
{
    smtp_reply_t r;
    size_t used;

    (void)state;
    assert_int_equal(parse_str("554 bad\tstuff\r here\xff\r\n", &r, &used), SMTP_REPLY_DONE);
    assert_string_equal(r.text, "bad?stuff? here?");
}

static void test_reply_parser_refuses_null_arguments(void **state)
{
    smtp_reply_t r;
    size_t used;

    (void)state;
    smtp_reply_init(&r);
    assert_int_equal(smtp_reply_parse(NULL, (const uint8_t *)"2", 1, &used), SMTP_REPLY_ERR_BAD_ARGS);
    assert_int_equal(smtp_reply_parse(&r, NULL, 1, &used), SMTP_REPLY_ERR_BAD_ARGS);
    assert_int_equal(smtp_reply_parse(&r, NULL, 0, &used), SMTP_REPLY_NEED_MORE);
    assert_string_equal(smtp_reply_strerror(SMTP_REPLY_ERR_MIXED_CODES),
                        "mixed codes in a multi-line reply");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_parser_reads_a_single_line_reply),
        cmocka_unit_test(test_reply_parser_joins_the_lines_of_a_multi_line_reply),
        cmocka_unit_test(test_reply_parser_hands_every_line_to_the_callback),
        cmocka_unit_test(test_reply_parser_accepts_a_bare_code_line),
        cmocka_unit_test(test_reply_parser_accepts_a_bare_lf_line_end),
        cmocka_unit_test(test_reply_parser_keeps_the_enhanced_code_apart_from_the_text),
        cmocka_unit_test(test_reply_parser_ignores_an_enhanced_code_of_another_class),
        cmocka_unit_test(test_reply_parser_stops_at_the_end_of_the_reply),
        cmocka_unit_test(test_reply_parser_needs_more_at_every_truncation_point),
        cmocka_unit_test(test_reply_parser_rejects_a_line_longer_than_512),
        cmocka_unit_test(test_reply_parser_rejects_too_many_lines),
        cmocka_unit_test(test_reply_parser_rejects_bad_codes),
        cmocka_unit_test(test_reply_parser_rejects_mixed_codes_in_a_multi_line_reply),
        cmocka_unit_test(test_reply_parser_rejects_a_bad_separator),
        cmocka_unit_test(test_reply_parser_rejects_a_nul_byte),
        cmocka_unit_test(test_reply_parser_cuts_long_text_safely),
        cmocka_unit_test(test_reply_parser_replaces_control_bytes_in_the_text),
        cmocka_unit_test(test_reply_parser_refuses_null_arguments),
    };

    return cmocka_run_group_tests_name("smtp_reply", tests, NULL, NULL);
}
