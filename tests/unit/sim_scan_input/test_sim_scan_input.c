/* sim_scan_input: PNG and PNM files scanned as pages, checked pixel by pixel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <png.h>

#include "scan_job.h"
#include "sim_scan_input.h"

#define A4_W 2100
#define A4_H 2970

static char tmpdir[64];

/* ---- writing test files ---- */

static const char *tmp_path(const char *name)
{
    static char path[8][128];
    static unsigned next;
    char *p = path[next++ % 8];

    snprintf(p, 128, "%s/%s", tmpdir, name);
    return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A P5 (components 1) or P6 (3) file whose pixels come from px(x, y, c). */
static void write_pnm(const char *path, unsigned w, unsigned h, unsigned comp,
                      uint8_t (*px)(unsigned, unsigned, unsigned))
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    fprintf(f, "P%u\n# made by test_sim_scan_input\n%u %u\n255\n", comp == 3 ? 6u : 5u, w, h);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++)
            for (unsigned c = 0; c < comp; c++)
                fputc(px(x, y, c), f);
    assert_int_equal(fclose(f), 0);
}

/* An 8-bit PNG of colour type PNG_COLOR_TYPE_GRAY (comp 1), RGB (3) or
 * RGBA (4), optionally interlaced. */
static void write_png(const char *path, unsigned w, unsigned h, unsigned comp, int interlace,
                      uint8_t (*px)(unsigned, unsigned, unsigned))
{
    FILE *f = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    int type = comp == 1   ? PNG_COLOR_TYPE_GRAY
               : comp == 3 ? PNG_COLOR_TYPE_RGB
                           : PNG_COLOR_TYPE_RGBA;
    uint8_t *img = malloc((size_t)w * h * comp);
    png_bytep *rows = malloc(h * sizeof(png_bytep));

    assert_non_null(f);
    assert_non_null(png);
    assert_non_null(info);
    assert_non_null(img);
    assert_non_null(rows);
    for (unsigned y = 0; y < h; y++) {
        rows[y] = img + (size_t)y * w * comp;
        for (unsigned x = 0; x < w; x++)
            for (unsigned c = 0; c < comp; c++)
                rows[y][x * comp + c] = px(x, y, c);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, w, h, 8, type, interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_rows(png, info, rows);
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
    png_destroy_write_struct(&png, &info);
    assert_int_equal(fclose(f), 0);
    free(rows);
    free(img);
}

static uint8_t px_red(unsigned x, unsigned y, unsigned c)
{
    static const uint8_t rgb[3] = {200, 30, 60};
    (void)x;
    (void)y;
    return rgb[c];
}

/* Left half black, right half white. */
static uint8_t px_halves_10000(unsigned x, unsigned y, unsigned c)
{
    (void)y;
    (void)c;
    return x < 5000 ? 0 : 255;
}

/* 2 x 2 quadrants: red, green / blue, grey 100. */
static uint8_t px_quadrants(unsigned x, unsigned y, unsigned c)
{
    static const uint8_t q[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {100, 100, 100}};
    return q[(y >= 1) * 2 + (x >= 1)][c];
}

/* Half transparent black over white: 50% grey. */
static uint8_t px_half_alpha(unsigned x, unsigned y, unsigned c)
{
    (void)x;
    (void)y;
    return c == 3 ? 128 : 0;
}

/* ---- scanning ---- */

struct page {
    struct hal_scan_page info;
    uint8_t *px;
};

static void params_for(struct hal_scan_params *p, unsigned dpi, enum hal_scan_color color)
{
    memset(p, 0, sizeof(*p));
    p->dpi = dpi;
    p->width_mm10 = A4_W;
    p->height_mm10 = A4_H;
    p->color = color;
}

/* Scans the next page whole (in bands of 16 lines); returns the HAL code. */
static int scan_page(const struct hal_scanner *hal, struct page *pg)
{
    size_t row;
    int rc = hal_scanner_next_page(hal, &pg->info);
    unsigned y = 0;

    pg->px = NULL;
    if (rc != 0)
        return rc;
    row = (size_t)pg->info.width * pg->info.components;
    pg->px = malloc(row * pg->info.height);
    assert_non_null(pg->px);
    for (;;) {
        unsigned want = pg->info.height - y < 16 ? pg->info.height - y : 16;
        int n = hal_scanner_read_band(hal, pg->px + row * y, want ? want : 16);
        if (n < 0)
            return n;
        if (n == 0)
            break;
        y += (unsigned)n;
    }
    assert_int_equal(y, pg->info.height);
    return 0;
}

static const uint8_t *pixel(const struct page *pg, unsigned x, unsigned y)
{
    return pg->px + ((size_t)y * pg->info.width + x) * pg->info.components;
}

static int row_is_white(const struct page *pg, unsigned y)
{
    const uint8_t *p = pixel(pg, 0, y);
    for (size_t i = 0; i < (size_t)pg->info.width * pg->info.components; i++)
        if (p[i] != 255)
            return 0;
    return 1;
}

static int column_is_white(const struct page *pg, unsigned x)
{
    for (unsigned y = 0; y < pg->info.height; y++)
        for (unsigned c = 0; c < pg->info.components; c++)
            if (pixel(pg, x, y)[c] != 255)
                return 0;
    return 1;
}

/* One file scanned as one page at dpi and color; the test owns pg->px. */
static void scan_one(const char *path, unsigned dpi, enum hal_scan_color color, struct page *pg)
{
    struct sim_input s;
    struct hal_scanner hal;
    struct hal_scan_params p;
    const char *paths[1] = {path};
    struct sim_input_cfg cfg = {paths, 1};
    struct page end;

    assert_int_equal(sim_input_init(&s, &cfg), 0);
    sim_input_hal(&s, &hal);
    params_for(&p, dpi, color);
    assert_int_equal(hal_scanner_start(&hal, &p), 0);
    assert_int_equal(scan_page(&hal, pg), 0);
    assert_int_equal(scan_page(&hal, &end), HAL_SCAN_NO_MORE_PAGES);
    hal_scanner_stop(&hal);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sim_input_XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- tests ---- */

static void test_page_has_the_size_of_the_original_at_75_and_300_dpi(void **state)
{
    const char *path = tmp_path("red.ppm");
    struct page pg;

    (void)state;
    write_pnm(path, 40, 30, 3, px_red);
    scan_one(path, 75, HAL_SCAN_COLOR, &pg);
    assert_int_equal(pg.info.width, scan_job_pixels(A4_W, 75));
    assert_int_equal(pg.info.height, scan_job_pixels(A4_H, 75));
    assert_int_equal(pg.info.components, 3);
    free(pg.px);
    scan_one(path, 300, HAL_SCAN_GREY, &pg);
    assert_int_equal(pg.info.width, 2480);
    assert_int_equal(pg.info.height, 3508);
    assert_int_equal(pg.info.components, 1);
    free(pg.px);
}

static void test_wide_image_fills_the_width_and_is_centred_on_white(void **state)
{
    const char *path = tmp_path("wide.png");
    struct page pg;
    unsigned w, h, img_h, top;

    (void)state;
    write_png(path, 200, 100, 3, 0, px_red);
    scan_one(path, 75, HAL_SCAN_COLOR, &pg);
    w = pg.info.width;
    h = pg.info.height;
    img_h = (100 * w + 100) / 200;
    top = (h - img_h) / 2;
    assert_true(row_is_white(&pg, top - 1));
    assert_false(row_is_white(&pg, top));
    assert_false(row_is_white(&pg, top + img_h - 1));
    assert_true(row_is_white(&pg, top + img_h));
    assert_true(row_is_white(&pg, 0));
    assert_true(row_is_white(&pg, h - 1));
    /* Top and bottom margins differ by at most one line. */
    assert_true(h - (top + img_h) - top <= 1);
    /* The image spans the whole width, in its exact colour. */
    assert_memory_equal(pixel(&pg, 0, top), ((uint8_t[]){200, 30, 60}), 3);
    assert_memory_equal(pixel(&pg, w - 1, top + img_h / 2), ((uint8_t[]){200, 30, 60}), 3);
    free(pg.px);
}

static void test_tall_image_fills_the_height_and_is_centred_on_white(void **state)
{
    const char *path = tmp_path("tall.pgm");
    struct page pg;
    unsigned w, h, img_w, left;

    (void)state;
    write_pnm(path, 10, 100, 1, px_red); /* grey 200 */
    scan_one(path, 300, HAL_SCAN_GREY, &pg);
    w = pg.info.width;
    h = pg.info.height;
    img_w = (10 * h + 50) / 100;
    left = (w - img_w) / 2;
    assert_true(column_is_white(&pg, left - 1));
    assert_false(column_is_white(&pg, left));
    assert_false(column_is_white(&pg, left + img_w - 1));
    assert_true(column_is_white(&pg, left + img_w));
    assert_int_equal(pixel(&pg, left, 0)[0], 200);
    assert_int_equal(pixel(&pg, left + img_w / 2, h - 1)[0], 200);
    free(pg.px);
}

static void test_colour_image_scanned_in_grey_uses_integer_luma(void **state)
{
    const char *path = tmp_path("red_grey.png");
    struct page pg;
    uint8_t luma = (uint8_t)((77 * 200 + 150 * 30 + 29 * 60 + 128) >> 8);

    (void)state;
    write_png(path, 30, 40, 3, 0, px_red);
    scan_one(path, 150, HAL_SCAN_GREY, &pg);
    assert_int_equal(pg.info.components, 1);
    assert_int_equal(pixel(&pg, pg.info.width / 2, pg.info.height / 2)[0], luma);
    free(pg.px);
}

static void test_grey_image_scanned_in_colour_is_replicated(void **state)
{
    const char *path = tmp_path("grey.png");
    struct page pg;

    (void)state;
    write_png(path, 30, 40, 1, 0, px_red); /* grey 200 */
    scan_one(path, 75, HAL_SCAN_COLOR, &pg);
    assert_memory_equal(pixel(&pg, pg.info.width / 2, pg.info.height / 2),
                        ((uint8_t[]){200, 200, 200}), 3);
    free(pg.px);
}

static void test_enlarged_image_keeps_its_quadrant_colours(void **state)
{
    const char *path = tmp_path("quad.png");
    struct page pg;
    unsigned w, h, top, q;

    (void)state;
    write_png(path, 2, 2, 3, 0, px_quadrants);
    scan_one(path, 75, HAL_SCAN_COLOR, &pg);
    w = pg.info.width;
    h = pg.info.height;
    top = (h - w) / 2; /* a square image fills the width */
    q = w / 4;
    assert_memory_equal(pixel(&pg, q, top + q), ((uint8_t[]){255, 0, 0}), 3);
    assert_memory_equal(pixel(&pg, 3 * q, top + q), ((uint8_t[]){0, 255, 0}), 3);
    assert_memory_equal(pixel(&pg, q, top + 3 * q), ((uint8_t[]){0, 0, 255}), 3);
    assert_memory_equal(pixel(&pg, 3 * q, top + 3 * q), ((uint8_t[]){100, 100, 100}), 3);
    free(pg.px);
}

static void test_alpha_is_composited_over_white(void **state)
{
    const char *path = tmp_path("alpha.png");
    struct page pg;
    uint8_t v;

    (void)state;
    write_png(path, 8, 8, 4, 0, px_half_alpha);
    scan_one(path, 75, HAL_SCAN_GREY, &pg);
    v = pixel(&pg, pg.info.width / 2, pg.info.height / 2)[0];
    assert_true(v >= 126 && v <= 128);
    free(pg.px);
}

static void test_10000_pixel_wide_image_shrinks_by_area(void **state)
{
    const char *path = tmp_path("wide10000.pgm");
    struct page pg;
    unsigned w, h, img_h, top;

    (void)state;
    write_pnm(path, 10000, 100, 1, px_halves_10000);
    scan_one(path, 75, HAL_SCAN_GREY, &pg);
    w = pg.info.width; /* 620: a 16:1 shrink */
    h = pg.info.height;
    img_h = (100 * w + 5000) / 10000;
    top = (h - img_h) / 2;
    assert_true(img_h >= 1);
    assert_int_equal(pixel(&pg, 0, top)[0], 0);
    assert_int_equal(pixel(&pg, w / 2 - 2, top)[0], 0);
    assert_int_equal(pixel(&pg, w / 2 + 1, top)[0], 255);
    assert_int_equal(pixel(&pg, w - 1, top + img_h - 1)[0], 255);
    assert_true(row_is_white(&pg, top - 1));
    assert_true(row_is_white(&pg, top + img_h));
    free(pg.px);
}

static void test_several_files_are_several_pages_in_order(void **state)
{
    const char *paths[3] = {tmp_path("m1.png"), tmp_path("m2.ppm"), tmp_path("m3.pgm")};
    struct sim_input_cfg cfg = {paths, 3};
    struct sim_input s;
    struct hal_scanner hal;
    struct hal_scan_params p;
    struct page pg;

    (void)state;
    write_png(paths[0], 4, 4, 3, 0, px_red);
    write_pnm(paths[1], 4, 4, 3, px_quadrants);
    write_pnm(paths[2], 4, 4, 1, px_red);
    assert_int_equal(sim_input_init(&s, &cfg), 0);
    sim_input_hal(&s, &hal);
    params_for(&p, 75, HAL_SCAN_COLOR);
    p.duplex = 1;
    assert_int_equal(hal_scanner_start(&hal, &p), 0);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(scan_page(&hal, &pg), 0);
        assert_int_equal(pg.info.index, i);
        assert_int_equal(pg.info.side, i & 1);
        if (i == 0)
            assert_memory_equal(pixel(&pg, pg.info.width / 2, pg.info.height / 2),
                                ((uint8_t[]){200, 30, 60}), 3);
        free(pg.px);
    }
    assert_int_equal(scan_page(&hal, &pg), HAL_SCAN_NO_MORE_PAGES);
    hal_scanner_stop(&hal);
    assert_string_equal(sim_input_error(&s), "");
}

/* start() must refuse the job with SIM_INPUT_ERR_FILE and a message that
 * names the file and contains `why`. */
static void assert_start_refuses(const char *path, const char *why)
{
    const char *paths[2] = {tmp_path("good.ppm"), path};
    struct sim_input_cfg cfg = {paths, 2};
    struct sim_input s;
    struct hal_scanner hal;
    struct hal_scan_params p;
    struct hal_scan_page pg;

    write_pnm(paths[0], 4, 4, 3, px_red);
    assert_int_equal(sim_input_init(&s, &cfg), 0);
    sim_input_hal(&s, &hal);
    params_for(&p, 75, HAL_SCAN_COLOR);
    assert_int_equal(hal_scanner_start(&hal, &p), SIM_INPUT_ERR_FILE);
    assert_non_null(strstr(sim_input_error(&s), path));
    if (strstr(sim_input_error(&s), why) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", sim_input_error(&s), why);
    /* A refused job delivers nothing. */
    assert_int_equal(hal_scanner_next_page(&hal, &pg), HAL_SCAN_ERR_BAD_ARG);
    hal_scanner_stop(&hal);
}

static void test_truncated_pnm_is_refused_at_start_naming_the_file(void **state)
{
    const char *path = tmp_path("trunc.ppm");
    static const char data[] = "P6\n4 4\n255\nabcdefgh";

    (void)state;
    write_file(path, data, sizeof(data) - 1);
    assert_start_refuses(path, "truncated");
    write_file(path, "P6\n4 4\n25", 9);
    assert_start_refuses(path, "truncated in the header");
}

static void test_bad_headers_are_refused_at_start_naming_the_file(void **state)
{
    const char *path = tmp_path("bad.pnm");

    (void)state;
    write_file(path, "GIF89a....", 10);
    assert_start_refuses(path, "not a PNM");
    write_file(path, "P5 4 4 65535\n", 13);
    assert_start_refuses(path, "maxval");
    write_file(path, "P5 30000 4 255\n", 15);
    assert_start_refuses(path, "larger than the limit");
    write_file(path, "\x89PNG\r\n\x1a\x0bjunk", 12);
    assert_start_refuses(path, "PNG error");
    write_file(path, "", 0);
    assert_start_refuses(path, "empty");
    assert_start_refuses(tmp_path("does-not-exist.png"), "cannot open");
}

static void test_interlaced_png_is_refused_with_a_clear_message(void **state)
{
    const char *path = tmp_path("adam7.png");

    (void)state;
    write_png(path, 16, 16, 3, 1, px_red);
    assert_start_refuses(path, "interlaced");
}

/* Reads a PNG whose body is damaged: start() passes (the header is fine),
 * the failure comes from read_band with the file named. */
static void assert_damaged_png_fails_while_reading(const char *path)
{
    const char *paths[1] = {path};
    struct sim_input_cfg cfg = {paths, 1};
    struct sim_input s;
    struct hal_scanner hal;
    struct hal_scan_params p;
    struct page pg;

    assert_int_equal(sim_input_init(&s, &cfg), 0);
    sim_input_hal(&s, &hal);
    params_for(&p, 75, HAL_SCAN_GREY);
    assert_int_equal(hal_scanner_start(&hal, &p), 0);
    assert_int_equal(scan_page(&hal, &pg), SIM_INPUT_ERR_FILE);
    assert_non_null(strstr(sim_input_error(&s), path));
    assert_non_null(strstr(sim_input_error(&s), "PNG error"));
    free(pg.px);
    hal_scanner_stop(&hal);
}

static uint8_t px_noise(unsigned x, unsigned y, unsigned c)
{
    return (uint8_t)((x * 2654435761u) ^ (y * 40503u) ^ (c * 97u));
}

static void test_truncated_or_corrupt_png_fails_while_reading_naming_the_file(void **state)
{
    const char *path = tmp_path("noise.png");
    const char *cut = tmp_path("cut.png");
    const char *bad = tmp_path("corrupt.png");
    FILE *f;
    uint8_t *data;
    long len;

    (void)state;
    write_png(path, 64, 64, 3, 0, px_noise);
    f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    data = malloc((size_t)len);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    write_file(cut, data, (size_t)len / 2);
    assert_damaged_png_fails_while_reading(cut);
    /* Garble the middle of the compressed data: CRC or zlib error. */
    for (long i = len / 3; i < len / 3 + 64; i++)
        data[i] ^= 0x5a;
    write_file(bad, data, (size_t)len);
    assert_damaged_png_fails_while_reading(bad);
    free(data);
}

static void test_bad_configuration_and_calls_out_of_order_are_refused(void **state)
{
    const char *paths[1] = {NULL};
    struct sim_input_cfg cfg = {paths, 1};
    struct sim_input s, zero;
    struct hal_scanner hal;
    struct hal_scan_params p;
    struct hal_scan_page pg;
    uint8_t buf[16];

    (void)state;
    assert_int_equal(sim_input_init(&s, &cfg), HAL_SCAN_ERR_BAD_ARG);
    cfg.count = SIM_INPUT_MAX_FILES + 1;
    assert_int_equal(sim_input_init(&s, &cfg), HAL_SCAN_ERR_BAD_ARG);
    assert_int_equal(sim_input_init(&s, NULL), 0);
    sim_input_hal(&s, &hal);
    assert_int_equal(hal_scanner_next_page(&hal, &pg), HAL_SCAN_ERR_BAD_ARG);
    assert_int_equal(hal_scanner_read_band(&hal, buf, 1), HAL_SCAN_ERR_BAD_ARG);
    params_for(&p, 50, HAL_SCAN_COLOR);
    assert_int_equal(hal_scanner_start(&hal, &p), HAL_SCAN_ERR_BAD_ARG);
    params_for(&p, 75, HAL_SCAN_COLOR);
    assert_int_equal(hal_scanner_start(&hal, &p), 0);
    assert_int_equal(hal_scanner_next_page(&hal, &pg), HAL_SCAN_NO_MORE_PAGES);
    hal_scanner_stop(&hal);
    memset(&zero, 0, sizeof(zero));
    sim_input_free(&zero);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_has_the_size_of_the_original_at_75_and_300_dpi),
        cmocka_unit_test(test_wide_image_fills_the_width_and_is_centred_on_white),
        cmocka_unit_test(test_tall_image_fills_the_height_and_is_centred_on_white),
        cmocka_unit_test(test_colour_image_scanned_in_grey_uses_integer_luma),
        cmocka_unit_test(test_grey_image_scanned_in_colour_is_replicated),
        cmocka_unit_test(test_enlarged_image_keeps_its_quadrant_colours),
        cmocka_unit_test(test_alpha_is_composited_over_white),
        cmocka_unit_test(test_10000_pixel_wide_image_shrinks_by_area),
        cmocka_unit_test(test_several_files_are_several_pages_in_order),
        cmocka_unit_test(test_truncated_pnm_is_refused_at_start_naming_the_file),
        cmocka_unit_test(test_bad_headers_are_refused_at_start_naming_the_file),
        cmocka_unit_test(test_interlaced_png_is_refused_with_a_clear_message),
        cmocka_unit_test(test_truncated_or_corrupt_png_fails_while_reading_naming_the_file),
        cmocka_unit_test(test_bad_configuration_and_calls_out_of_order_are_refused),
    };
    return cmocka_run_group_tests_name("sim_scan_input", tests, setup, teardown);
}
