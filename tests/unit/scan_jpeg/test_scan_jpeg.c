/* scan_jpeg: band-by-band encoding, output checked by decoding with libjpeg. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_scanner.h"
#include "jpeg_probe.h"
#include "scan_jpeg.h"

#define W 64
#define H 48

/* A sink that collects the bytes in RAM and can fail on its nth call. */
struct mem_sink {
    uint8_t *data;
    size_t len, cap;
    unsigned calls;
    unsigned fail_at_call; /* 0: never */
    size_t max_chunk;
};

static int mem_sink_write(void *arg, const uint8_t *buf, size_t len)
{
    struct mem_sink *m = arg;

    m->calls++;
    if (m->fail_at_call != 0 && m->calls == m->fail_at_call)
        return -42;
    if (m->len + len > m->cap) {
        m->cap = (m->len + len) * 2;
        m->data = realloc(m->data, m->cap);
        assert_non_null(m->data);
    }
    memcpy(m->data + m->len, buf, len);
    m->len += len;
    if (len > m->max_chunk)
        m->max_chunk = len;
    return 0;
}

static uint8_t *make_page(unsigned components, unsigned index)
{
    uint8_t *px = malloc((size_t)W * H * components);

    assert_non_null(px);
    for (unsigned y = 0; y < H; y++)
        for (unsigned x = 0; x < W; x++)
            for (unsigned c = 0; c < components; c++)
                px[((size_t)y * W + x) * components + c] = fake_scanner_pixel(index, x, y, c);
    return px;
}

static const struct scan_jpeg_params params_rgb = {W, H, 3, 300, 90};

/* Encodes px in bands of `band` lines into m; returns the last rc. */
static int encode(const struct scan_jpeg_params *p, const uint8_t *px, unsigned band,
                  struct mem_sink *m)
{
    struct scan_jpeg j;
    size_t row = (size_t)p->width * p->components;
    int rc = scan_jpeg_init(&j, p, mem_sink_write, m);

    for (unsigned y = 0; rc == 0 && y < p->height; y += band) {
        unsigned n = p->height - y < band ? p->height - y : band;
        rc = scan_jpeg_write_lines(&j, px + y * row, n);
    }
    if (rc == 0)
        rc = scan_jpeg_finish(&j);
    scan_jpeg_abort(&j);
    return rc;
}

static void decode(const uint8_t *data, size_t len, struct jpeg_probe *d)
{
    assert_int_equal(jpeg_probe_decode(data, len, d), 0);
}

static double mean_abs_error(const uint8_t *a, const uint8_t *b, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += abs((int)a[i] - (int)b[i]);
    return sum / (double)n;
}

static void test_colour_page_decodes_to_its_size_components_density_and_pixels(void **state)
{
    struct mem_sink m = {0};
    struct jpeg_probe d;
    uint8_t *px = make_page(3, 0);

    (void)state;
    assert_int_equal(encode(&params_rgb, px, 16, &m), 0);
    decode(m.data, m.len, &d);
    assert_int_equal(d.width, W);
    assert_int_equal(d.height, H);
    assert_int_equal(d.components, 3);
    assert_int_equal(d.density_unit, 1);
    assert_int_equal(d.x_density, 300);
    assert_int_equal(d.y_density, 300);
    assert_false(d.progressive);
    assert_true(mean_abs_error(px, d.px, (size_t)W * H * 3) < 4.0);
    free(d.px);
    free(px);
    free(m.data);
}

static void test_grey_page_decodes_to_one_component(void **state)
{
    struct scan_jpeg_params p = params_rgb;
    struct mem_sink m = {0};
    struct jpeg_probe d;
    uint8_t *px = make_page(1, 3);

    (void)state;
    p.components = 1;
    p.dpi = 200;
    assert_int_equal(encode(&p, px, 5, &m), 0);
    decode(m.data, m.len, &d);
    assert_int_equal(d.components, 1);
    assert_int_equal(d.x_density, 200);
    assert_true(mean_abs_error(px, d.px, (size_t)W * H) < 2.0);
    free(d.px);
    free(px);
    free(m.data);
}

/* The same bytes as libjpeg's own memory destination with the same
 * settings: our destination manager loses, adds or reorders nothing, and
 * the file is baseline with the standard Huffman tables. */
static void test_output_matches_libjpeg_reference_encoder_byte_for_byte(void **state)
{
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr err;
    unsigned char *ref = NULL;
    unsigned long ref_len = 0;
    struct mem_sink m = {0};
    uint8_t *px = make_page(3, 1);

    (void)state;
    cinfo.err = jpeg_std_error(&err);
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &ref, &ref_len);
    cinfo.image_width = W;
    cinfo.image_height = H;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, 90, TRUE);
    cinfo.optimize_coding = FALSE;
    cinfo.density_unit = 1;
    cinfo.X_density = 300;
    cinfo.Y_density = 300;
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < H) {
        JSAMPROW row = px + (size_t)cinfo.next_scanline * W * 3;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);

    assert_int_equal(encode(&params_rgb, px, 16, &m), 0);
    assert_int_equal(m.len, ref_len);
    assert_memory_equal(m.data, ref, ref_len);
    assert_int_equal(m.data[0], 0xFF);
    assert_int_equal(m.data[1], 0xD8);
    free(ref);
    free(px);
    free(m.data);
}

static void test_band_height_does_not_change_the_output(void **state)
{
    static const unsigned bands[] = {1, 7, 16, 17, H};
    struct mem_sink first = {0};
    uint8_t *px = make_page(3, 2);

    (void)state;
    assert_int_equal(encode(&params_rgb, px, bands[0], &first), 0);
    for (size_t i = 1; i < sizeof(bands) / sizeof(bands[0]); i++) {
        struct mem_sink m = {0};
        assert_int_equal(encode(&params_rgb, px, bands[i], &m), 0);
        assert_int_equal(m.len, first.len);
        assert_memory_equal(m.data, first.data, first.len);
        free(m.data);
    }
    free(px);
    free(first.data);
}

static void test_sink_sees_chunks_no_larger_than_the_output_buffer(void **state)
{
    struct scan_jpeg_params p = {640, 480, 3, 300, 100};
    struct mem_sink m = {0};
    uint8_t *px = calloc((size_t)640 * 480, 3);

    (void)state;
    assert_non_null(px);
    for (size_t i = 0; i < (size_t)640 * 480 * 3; i++)
        px[i] = (uint8_t)((i * 2654435761u) >> 13); /* noise: compresses badly */
    assert_int_equal(encode(&p, px, 16, &m), 0);
    assert_true(m.len > 4 * SCAN_JPEG_OUTBUF_SIZE);
    assert_int_equal(m.max_chunk, SCAN_JPEG_OUTBUF_SIZE);
    assert_true(m.calls >= m.len / SCAN_JPEG_OUTBUF_SIZE);
    free(px);
    free(m.data);
}

static void test_sink_failure_stops_the_page_and_keeps_the_sink_code(void **state)
{
    struct scan_jpeg_params p = {640, 480, 3, 300, 100};
    struct mem_sink m = {.fail_at_call = 2};
    struct scan_jpeg j;
    uint8_t *px = calloc((size_t)640 * 16, 3);
    int rc = 0;

    (void)state;
    assert_non_null(px);
    for (size_t i = 0; i < (size_t)640 * 16 * 3; i++)
        px[i] = (uint8_t)((i * 2654435761u) >> 13);
    assert_int_equal(scan_jpeg_init(&j, &p, mem_sink_write, &m), 0);
    for (unsigned y = 0; rc == 0 && y < 480; y += 16)
        rc = scan_jpeg_write_lines(&j, px, 16);
    assert_int_equal(rc, SCAN_JPEG_ERR_SINK);
    assert_int_equal(scan_jpeg_sink_error(&j), -42);
    /* Released: further calls are refused, abort is harmless (ASan checks leaks). */
    assert_int_equal(scan_jpeg_write_lines(&j, px, 16), SCAN_JPEG_ERR_STATE);
    assert_int_equal(scan_jpeg_finish(&j), SCAN_JPEG_ERR_STATE);
    scan_jpeg_abort(&j);
    scan_jpeg_abort(&j);
    free(px);
    free(m.data);
}

static void test_finish_before_the_last_line_is_refused(void **state)
{
    struct mem_sink m = {0};
    struct scan_jpeg j;
    uint8_t *px = make_page(3, 0);

    (void)state;
    assert_int_equal(scan_jpeg_init(&j, &params_rgb, mem_sink_write, &m), 0);
    assert_int_equal(scan_jpeg_write_lines(&j, px, H - 1), 0);
    assert_int_equal(scan_jpeg_lines(&j), H - 1);
    assert_int_equal(scan_jpeg_finish(&j), SCAN_JPEG_ERR_STATE);
    scan_jpeg_abort(&j);
    free(px);
    free(m.data);
}

static void test_more_lines_than_the_page_height_are_refused(void **state)
{
    struct mem_sink m = {0};
    struct scan_jpeg j;
    uint8_t *px = make_page(3, 0);

    (void)state;
    assert_int_equal(scan_jpeg_init(&j, &params_rgb, mem_sink_write, &m), 0);
    assert_int_equal(scan_jpeg_write_lines(&j, px, H - 8), 0);
    assert_int_equal(scan_jpeg_write_lines(&j, px, 9), SCAN_JPEG_ERR_STATE);
    scan_jpeg_abort(&j);
    free(px);
    free(m.data);
}

static void test_bad_parameters_are_refused(void **state)
{
    struct mem_sink m = {0};
    struct scan_jpeg j;
    struct scan_jpeg_params p;

    (void)state;
    p = params_rgb;
    p.quality = 0;
    assert_int_equal(scan_jpeg_init(&j, &p, mem_sink_write, &m), SCAN_JPEG_ERR_BAD_ARG);
    p.quality = 101;
    assert_int_equal(scan_jpeg_init(&j, &p, mem_sink_write, &m), SCAN_JPEG_ERR_BAD_ARG);
    p = params_rgb;
    p.components = 2;
    assert_int_equal(scan_jpeg_init(&j, &p, mem_sink_write, &m), SCAN_JPEG_ERR_BAD_ARG);
    p = params_rgb;
    p.width = 0;
    assert_int_equal(scan_jpeg_init(&j, &p, mem_sink_write, &m), SCAN_JPEG_ERR_BAD_ARG);
    p = params_rgb;
    p.dpi = 0;
    assert_int_equal(scan_jpeg_init(&j, &p, mem_sink_write, &m), SCAN_JPEG_ERR_BAD_ARG);
    assert_int_equal(scan_jpeg_init(&j, &params_rgb, NULL, &m), SCAN_JPEG_ERR_BAD_ARG);
    assert_int_equal(m.calls, 0);
}

static void test_abort_mid_page_releases_libjpeg_and_is_safe_on_a_zeroed_context(void **state)
{
    struct mem_sink m = {0};
    struct scan_jpeg j;
    struct scan_jpeg zero;
    uint8_t *px = make_page(3, 0);

    (void)state;
    memset(&zero, 0, sizeof(zero));
    scan_jpeg_abort(&zero);
    assert_int_equal(scan_jpeg_init(&j, &params_rgb, mem_sink_write, &m), 0);
    assert_int_equal(scan_jpeg_write_lines(&j, px, 16), 0);
    scan_jpeg_abort(&j);
    assert_int_equal(scan_jpeg_write_lines(&j, px, 16), SCAN_JPEG_ERR_STATE);
    free(px);
    free(m.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_colour_page_decodes_to_its_size_components_density_and_pixels),
        cmocka_unit_test(test_grey_page_decodes_to_one_component),
        cmocka_unit_test(test_output_matches_libjpeg_reference_encoder_byte_for_byte),
        cmocka_unit_test(test_band_height_does_not_change_the_output),
        cmocka_unit_test(test_sink_sees_chunks_no_larger_than_the_output_buffer),
        cmocka_unit_test(test_sink_failure_stops_the_page_and_keeps_the_sink_code),
        cmocka_unit_test(test_finish_before_the_last_line_is_refused),
        cmocka_unit_test(test_more_lines_than_the_page_height_are_refused),
        cmocka_unit_test(test_bad_parameters_are_refused),
        cmocka_unit_test(test_abort_mid_page_releases_libjpeg_and_is_safe_on_a_zeroed_context),
    };
    return cmocka_run_group_tests_name("scan_jpeg", tests, NULL, NULL);
}
