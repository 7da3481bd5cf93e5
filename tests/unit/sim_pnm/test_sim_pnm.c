/* sim_pnm: the PNM header parser fed whole, byte by byte and cut short. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sim_pnm.h"

/* Parses s in pieces of `step` bytes; returns the code and sets *used to
 * the bytes consumed in all. */
static int parse_in_steps(const char *s, size_t len, size_t step, struct sim_pnm_parser *p,
                          size_t *used)
{
    int rc = SIM_PNM_NEED_MORE;
    size_t off = 0;

    sim_pnm_init(p);
    while (off < len && rc == SIM_PNM_NEED_MORE) {
        size_t n = len - off < step ? len - off : step, u = 0;
        rc = sim_pnm_parse(p, (const uint8_t *)s + off, n, &u);
        assert_true(u <= n);
        if (rc == SIM_PNM_NEED_MORE)
            assert_int_equal(u, n);
        off += u;
    }
    *used = off;
    return rc;
}

static int parse(const char *s, struct sim_pnm_parser *p, size_t *used)
{
    return parse_in_steps(s, strlen(s), strlen(s), p, used);
}

static void test_a_p6_header_gives_size_maxval_and_where_the_raster_starts(void **state)
{
    static const char hdr[] = "P6\n640 480\n255\nRGB...";
    struct sim_pnm_parser p;
    size_t used;

    (void)state;
    assert_int_equal(parse(hdr, &p, &used), SIM_PNM_DONE);
    assert_int_equal(used, strlen("P6\n640 480\n255\n"));
    assert_int_equal(p.hdr.format, 6);
    assert_int_equal(p.hdr.width, 640);
    assert_int_equal(p.hdr.height, 480);
    assert_int_equal(p.hdr.maxval, 255);
    assert_int_equal(p.hdr.components, 3);
    assert_int_equal(sim_pnm_row_bytes(&p.hdr), 1920);
}

static void test_every_truncation_point_of_a_valid_header_needs_more(void **state)
{
    static const char *headers[] = {
        "P5\n# a comment\n  12\t34 # another\n200\n",
        "P4 9 2\n",
        "P6#c\n1 1\r255 ",
    };

    (void)state;
    for (size_t h = 0; h < sizeof(headers) / sizeof(headers[0]); h++) {
        const char *s = headers[h];
        size_t len = strlen(s);
        struct sim_pnm_parser p;
        size_t used;

        for (size_t cut = 0; cut < len; cut++) {
            assert_int_equal(parse_in_steps(s, cut, cut ? cut : 1, &p, &used), SIM_PNM_NEED_MORE);
            assert_int_equal(used, cut);
        }
        /* Whole, and one byte at a time: the same header. */
        assert_int_equal(parse_in_steps(s, len, len, &p, &used), SIM_PNM_DONE);
        assert_int_equal(used, len);
        {
            struct sim_pnm_header whole = p.hdr;
            assert_int_equal(parse_in_steps(s, len, 1, &p, &used), SIM_PNM_DONE);
            assert_int_equal(used, len);
            assert_memory_equal(&whole, &p.hdr, sizeof(whole));
        }
    }
}

static void test_comments_may_stand_wherever_whitespace_may(void **state)
{
    struct sim_pnm_parser p;
    size_t used;

    (void)state;
    assert_int_equal(parse("P5#x\n#y\n3#w\n#h\n2\n#m\n7\n", &p, &used), SIM_PNM_DONE);
    assert_int_equal(p.hdr.width, 3);
    assert_int_equal(p.hdr.height, 2);
    assert_int_equal(p.hdr.maxval, 7);
    /* '#' in the middle of a comment, and a CR ending it. */
    assert_int_equal(parse("P4 # a # b\r5 6\n", &p, &used), SIM_PNM_DONE);
    assert_int_equal(p.hdr.width, 5);
    assert_int_equal(p.hdr.maxval, 1);
    assert_int_equal(p.hdr.components, 1);
}

static void test_p4_header_has_no_maxval_and_packs_eight_pixels_a_byte(void **state)
{
    struct sim_pnm_parser p;
    size_t used;
    const uint8_t row[2] = {0xa5, 0x80};
    uint8_t out[9];

    (void)state;
    assert_int_equal(parse("P4\n9 1\n", &p, &used), SIM_PNM_DONE);
    assert_int_equal(sim_pnm_row_bytes(&p.hdr), 2);
    sim_pnm_row_to_8bit(&p.hdr, row, out);
    assert_memory_equal(out, ((uint8_t[]){0, 255, 0, 255, 255, 0, 255, 0, 0}), 9);
}

static void test_samples_below_maxval_255_are_scaled(void **state)
{
    struct sim_pnm_parser p;
    size_t used;
    const uint8_t row[4] = {0, 7, 15, 99};
    uint8_t out[4];

    (void)state;
    assert_int_equal(parse("P5 4 1 15\n", &p, &used), SIM_PNM_DONE);
    sim_pnm_row_to_8bit(&p.hdr, row, out);
    /* 7 * 255 / 15 = 119; a sample above maxval counts as maxval. */
    assert_memory_equal(out, ((uint8_t[]){0, 119, 255, 255}), 4);
}

static void test_limits_on_size_maxval_and_header_length(void **state)
{
    struct sim_pnm_parser p;
    size_t used;
    char big[SIM_PNM_HEADER_MAX + 32];

    (void)state;
    assert_int_equal(parse("P5 20000 20000 255\n", &p, &used), SIM_PNM_DONE);
    assert_int_equal(parse("P5 20001 1 255\n", &p, &used), SIM_PNM_ERR_SIZE);
    assert_int_equal(parse("P5 1 20001 255\n", &p, &used), SIM_PNM_ERR_SIZE);
    assert_int_equal(parse("P5 99999999999999999999 1 255\n", &p, &used), SIM_PNM_ERR_SIZE);
    assert_int_equal(parse("P5 0 1 255\n", &p, &used), SIM_PNM_ERR_SIZE);
    assert_int_equal(parse("P5 1 1 256\n", &p, &used), SIM_PNM_ERR_DEPTH);
    assert_int_equal(parse("P5 1 1 65535\n", &p, &used), SIM_PNM_ERR_DEPTH);
    assert_int_equal(parse("P5 1 1 0\n", &p, &used), SIM_PNM_ERR_DEPTH);
    /* An endless comment stops at the header limit. */
    memset(big, 'c', sizeof(big));
    memcpy(big, "P5 #", 4);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(parse(big, &p, &used), SIM_PNM_ERR_TOO_LONG);
    assert_int_equal(used, SIM_PNM_HEADER_MAX);
}

static void test_bad_magic_and_syntax_are_refused_where_they_occur(void **state)
{
    struct sim_pnm_parser p;
    size_t used;

    (void)state;
    assert_int_equal(parse("\x89PNG", &p, &used), SIM_PNM_ERR_MAGIC);
    assert_int_equal(used, 0);
    assert_int_equal(parse("P3 1 1 255\n", &p, &used), SIM_PNM_ERR_MAGIC); /* ASCII */
    assert_int_equal(used, 1);
    assert_int_equal(parse("P512 1 255\n", &p, &used), SIM_PNM_ERR_SYNTAX);
    assert_int_equal(parse("P5 1x 1 255\n", &p, &used), SIM_PNM_ERR_SYNTAX);
    assert_int_equal(used, 4);
    assert_int_equal(parse("P5 -1 1 255\n", &p, &used), SIM_PNM_ERR_SYNTAX);
    /* The last number ends with exactly one whitespace byte, not a comment. */
    assert_int_equal(parse("P5 1 1 255#\n", &p, &used), SIM_PNM_ERR_SYNTAX);
    assert_string_equal(sim_pnm_strerror(SIM_PNM_ERR_DEPTH),
                        "unsupported maxval (only 8-bit samples, maxval 1..255)");
}

static void test_parse_after_the_end_or_with_null_arguments_is_refused(void **state)
{
    struct sim_pnm_parser p;
    size_t used;

    (void)state;
    assert_int_equal(parse("P5 1 1 255\n", &p, &used), SIM_PNM_DONE);
    assert_int_equal(sim_pnm_parse(&p, (const uint8_t *)"x", 1, &used), SIM_PNM_ERR_BAD_ARG);
    sim_pnm_init(&p);
    assert_int_equal(sim_pnm_parse(&p, NULL, 1, &used), SIM_PNM_ERR_BAD_ARG);
    assert_int_equal(sim_pnm_parse(NULL, (const uint8_t *)"P", 1, &used), SIM_PNM_ERR_BAD_ARG);
    sim_pnm_init(&p);
    assert_int_equal(sim_pnm_parse(&p, NULL, 0, &used), SIM_PNM_NEED_MORE);
    assert_int_equal(used, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_p6_header_gives_size_maxval_and_where_the_raster_starts),
        cmocka_unit_test(test_every_truncation_point_of_a_valid_header_needs_more),
        cmocka_unit_test(test_comments_may_stand_wherever_whitespace_may),
        cmocka_unit_test(test_p4_header_has_no_maxval_and_packs_eight_pixels_a_byte),
        cmocka_unit_test(test_samples_below_maxval_255_are_scaled),
        cmocka_unit_test(test_limits_on_size_maxval_and_header_length),
        cmocka_unit_test(test_bad_magic_and_syntax_are_refused_where_they_occur),
        cmocka_unit_test(test_parse_after_the_end_or_with_null_arguments_is_refused),
    };
    return cmocka_run_group_tests_name("sim_pnm", tests, NULL, NULL);
}
