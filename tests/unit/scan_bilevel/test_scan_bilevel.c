/* scan_bilevel: threshold and error diffusion, checked pixel by pixel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan_bilevel.h"

static int bit_at(const uint8_t *row, unsigned x)
{
    return (row[x >> 3] >> (7 - (x & 7))) & 1;
}

/* One line holding 0, 1, ..., 255. */
static void ramp(uint8_t *grey)
{
    for (unsigned x = 0; x < 256; x++)
        grey[x] = (uint8_t)x;
}

static void threshold_ramp(int darkness, uint8_t *out)
{
    struct scan_bilevel b;
    struct scan_bilevel_cfg cfg = {256, SCAN_BILEVEL_THRESHOLD, darkness, 0, NULL, 0};
    uint8_t grey[256];

    ramp(grey);
    assert_int_equal(scan_bilevel_init(&b, &cfg), 0);
    assert_int_equal(scan_bilevel_convert(&b, grey, 1, out), 0);
}

static void test_threshold_turns_exactly_the_greys_below_128_black_on_a_ramp(void **state)
{
    uint8_t out[32];

    (void)state;
    threshold_ramp(0, out);
    for (unsigned x = 0; x < 256; x++)
        assert_int_equal(bit_at(out, x), x < 128 ? 1 : 0);
    /* MSB first: pixels 0..7 are the top bits of byte 0. */
    assert_int_equal(out[0], 0xff);
    assert_int_equal(out[31], 0x00);
}

static void test_darkness_moves_the_threshold_by_steps_of_24(void **state)
{
    static const int expected[7] = {56, 80, 104, 128, 152, 176, 200};
    uint8_t out[32];

    (void)state;
    for (int d = -3; d <= 3; d++) {
        assert_int_equal(scan_bilevel_threshold(d), expected[d + 3]);
        threshold_ramp(d, out);
        for (unsigned x = 0; x < 256; x++)
            assert_int_equal(bit_at(out, x), (int)x < expected[d + 3] ? 1 : 0);
    }
    assert_int_equal(scan_bilevel_threshold(-9), 56);
    assert_int_equal(scan_bilevel_threshold(9), 200);
}

static void test_row_padding_bits_are_white(void **state)
{
    struct scan_bilevel b;
    struct scan_bilevel_cfg cfg = {10, SCAN_BILEVEL_THRESHOLD, 0, 0, NULL, 0};
    uint8_t grey[20], out[4];

    (void)state;
    memset(grey, 0, sizeof(grey));
    assert_int_equal(scan_bilevel_row_bytes(10), 2);
    assert_int_equal(scan_bilevel_init(&b, &cfg), 0);
    assert_int_equal(scan_bilevel_convert(&b, grey, 2, out), 0);
    assert_memory_equal(out, ((uint8_t[]){0xff, 0xc0, 0xff, 0xc0}), 4);
}

/* Fraction of black pixels over a w x h area of flat grey g (diffusion). */
static double diffused_black_fraction(unsigned w, unsigned h, uint8_t g, int darkness,
                                      int serpentine)
{
    struct scan_bilevel b;
    size_t esz = scan_bilevel_err_buffer_size(w), row = scan_bilevel_row_bytes(w);
    int16_t *err = malloc(esz);
    uint8_t *grey = malloc(w), *out = malloc(row);
    struct scan_bilevel_cfg cfg = {w, SCAN_BILEVEL_DIFFUSION, darkness, serpentine, err, esz};
    unsigned long black = 0;

    assert_non_null(err);
    assert_non_null(grey);
    assert_non_null(out);
    memset(grey, g, w);
    assert_int_equal(scan_bilevel_init(&b, &cfg), 0);
    for (unsigned y = 0; y < h; y++) {
        assert_int_equal(scan_bilevel_convert(&b, grey, 1, out), 0);
        for (unsigned x = 0; x < w; x++)
            black += (unsigned long)bit_at(out, x);
    }
    free(err);
    free(grey);
    free(out);
    return (double)black / ((double)w * h);
}

static void test_error_diffusion_keeps_the_mean_of_flat_greys(void **state)
{
    static const uint8_t greys[] = {128, 64, 192, 32, 230};

    (void)state;
    for (int serp = 0; serp <= 1; serp++) {
        for (size_t i = 0; i < sizeof(greys); i++) {
            double want = 1.0 - greys[i] / 255.0;
            double got = diffused_black_fraction(200, 200, greys[i], 0, serp);
            assert_true(got > want - 0.01 && got < want + 0.01);
        }
    }
    /* 50% grey really is half black. */
    {
        double got = diffused_black_fraction(256, 256, 128, 0, 0);
        assert_true(got > 0.49 && got < 0.51);
    }
}

static void test_error_diffusion_darkness_prints_darker(void **state)
{
    double light, normal, dark;

    (void)state;
    light = diffused_black_fraction(128, 128, 128, -2, 0);
    normal = diffused_black_fraction(128, 128, 128, 0, 0);
    dark = diffused_black_fraction(128, 128, 128, 2, 0);
    assert_true(light < normal - 0.1);
    assert_true(dark > normal + 0.1);
}

static void test_error_diffusion_mixes_a_flat_50_percent_grey_into_a_pattern(void **state)
{
    struct scan_bilevel b;
    int16_t err[16 + 2];
    uint8_t grey[16], out[2];
    struct scan_bilevel_cfg cfg = {16, SCAN_BILEVEL_DIFFUSION, 0, 0, err, sizeof(err)};

    (void)state;
    memset(grey, 128, sizeof(grey));
    assert_int_equal(scan_bilevel_init(&b, &cfg), 0);
    assert_int_equal(scan_bilevel_convert(&b, grey, 1, out), 0);
    /* Neither all black nor all white: a threshold would give all white. */
    assert_true(out[0] != 0x00 && out[0] != 0xff);
}

/* A page of w x h with text-like edges, photo-like gradients and flat areas. */
static uint8_t page_pixel(unsigned x, unsigned y)
{
    if ((x / 9 + y / 5) % 7 == 0)
        return 10;
    return (uint8_t)((x * 3 + y * 5 + (x * y) % 17) & 0xff);
}

/* The page converted in bands of `band` lines (the last band shorter). */
static uint8_t *convert_in_bands(enum scan_bilevel_mode mode, int serp, unsigned w, unsigned h,
                                 unsigned band)
{
    struct scan_bilevel b;
    size_t esz = scan_bilevel_err_buffer_size(w), row = scan_bilevel_row_bytes(w);
    int16_t *err = malloc(esz);
    uint8_t *grey = malloc((size_t)w * band), *out = malloc(row * h);
    struct scan_bilevel_cfg cfg = {w, mode, 1, serp, err, esz};

    assert_non_null(err);
    assert_non_null(grey);
    assert_non_null(out);
    assert_int_equal(scan_bilevel_init(&b, &cfg), 0);
    for (unsigned y = 0; y < h; y += band) {
        unsigned n = h - y < band ? h - y : band;
        for (unsigned i = 0; i < n; i++)
            for (unsigned x = 0; x < w; x++)
                grey[(size_t)i * w + x] = page_pixel(x, y + i);
        assert_int_equal(scan_bilevel_convert(&b, grey, n, out + row * y), 0);
    }
    free(err);
    free(grey);
    return out;
}

static void test_band_height_does_not_change_the_output(void **state)
{
    static const unsigned bands[] = {7, 16, 100};
    const unsigned w = 301, h = 100;

    (void)state;
    for (int mode = 0; mode <= 2; mode++) {
        enum scan_bilevel_mode m = mode == 0 ? SCAN_BILEVEL_THRESHOLD : SCAN_BILEVEL_DIFFUSION;
        int serp = mode == 2;
        uint8_t *ref = convert_in_bands(m, serp, w, h, 1);
        for (size_t i = 0; i < sizeof(bands) / sizeof(bands[0]); i++) {
            uint8_t *got = convert_in_bands(m, serp, w, h, bands[i]);
            assert_memory_equal(got, ref, scan_bilevel_row_bytes(w) * h);
            free(got);
        }
        free(ref);
    }
}

static void test_serpentine_scanning_changes_the_pattern(void **state)
{
    uint8_t *plain, *serp;
    size_t n = scan_bilevel_row_bytes(301) * 100;

    (void)state;
    plain = convert_in_bands(SCAN_BILEVEL_DIFFUSION, 0, 301, 100, 16);
    serp = convert_in_bands(SCAN_BILEVEL_DIFFUSION, 1, 301, 100, 16);
    assert_true(memcmp(plain, serp, n) != 0);
    free(plain);
    free(serp);
}

static void test_bad_configurations_are_refused(void **state)
{
    struct scan_bilevel b;
    int16_t err[12];
    uint8_t grey[10] = {0}, out[2];
    struct scan_bilevel_cfg cfg = {10, SCAN_BILEVEL_DIFFUSION, 0, 0, err, sizeof(err)};

    (void)state;
    assert_int_equal(scan_bilevel_err_buffer_size(10), sizeof(err));
    assert_int_equal(scan_bilevel_err_buffer_size(0), 0);
    assert_int_equal(scan_bilevel_init(NULL, &cfg), SCAN_BILEVEL_ERR_BAD_ARG);
    assert_int_equal(scan_bilevel_init(&b, NULL), SCAN_BILEVEL_ERR_BAD_ARG);
    cfg.err_buf_size = sizeof(err) - 1;
    assert_int_equal(scan_bilevel_init(&b, &cfg), SCAN_BILEVEL_ERR_BAD_ARG);
    cfg.err_buf_size = sizeof(err);
    cfg.err_buf = NULL;
    assert_int_equal(scan_bilevel_init(&b, &cfg), SCAN_BILEVEL_ERR_BAD_ARG);
    cfg.err_buf = err;
    cfg.darkness = 4;
    assert_int_equal(scan_bilevel_init(&b, &cfg), SCAN_BILEVEL_ERR_BAD_ARG);
    cfg.darkness = 0;
    cfg.width = 0;
    assert_int_equal(scan_bilevel_init(&b, &cfg), SCAN_BILEVEL_ERR_BAD_ARG);
    /* A refused init leaves a context that refuses to convert. */
    assert_int_equal(scan_bilevel_convert(&b, grey, 1, out), SCAN_BILEVEL_ERR_BAD_ARG);
    cfg.width = 10;
    cfg.mode = (enum scan_bilevel_mode)7;
    assert_int_equal(scan_bilevel_init(&b, &cfg), SCAN_BILEVEL_ERR_BAD_ARG);
    cfg.mode = SCAN_BILEVEL_DIFFUSION;
    assert_int_equal(scan_bilevel_init(&b, &cfg), 0);
    assert_int_equal(scan_bilevel_convert(&b, NULL, 1, out), SCAN_BILEVEL_ERR_BAD_ARG);
    assert_int_equal(scan_bilevel_convert(&b, grey, 0, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threshold_turns_exactly_the_greys_below_128_black_on_a_ramp),
        cmocka_unit_test(test_darkness_moves_the_threshold_by_steps_of_24),
        cmocka_unit_test(test_row_padding_bits_are_white),
        cmocka_unit_test(test_error_diffusion_keeps_the_mean_of_flat_greys),
        cmocka_unit_test(test_error_diffusion_darkness_prints_darker),
        cmocka_unit_test(test_error_diffusion_mixes_a_flat_50_percent_grey_into_a_pattern),
        cmocka_unit_test(test_band_height_does_not_change_the_output),
        cmocka_unit_test(test_serpentine_scanning_changes_the_pattern),
        cmocka_unit_test(test_bad_configurations_are_refused),
    };
    return cmocka_run_group_tests_name("scan_bilevel", tests, NULL, NULL);
}
