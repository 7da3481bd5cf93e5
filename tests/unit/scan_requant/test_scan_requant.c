/* scan_requant: streaming re-encoding of spooled JPEG pages at a lower
 * quality, and the policy that lowers the quality until a page fits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jpeglib.h>

#include "fake_storage.h"
#include "jpeg_probe.h"
#include "scan_jpeg.h"
#include "scan_requant.h"
#include "spool.h"

/* A4 at 300 dpi. */
#define A4_W 2480
#define A4_H 3508
#define A4_DPI 300
#define A4_QUALITY 85
#define BAND_LINES 16

/* PSNR floor of a quality-50 re-encoding against the decoded original.
 * JPEG at quality 50 quantises the 8x8 DCT with the standard tables as they
 * are; on photographs that lands at 30-35 dB, on text edges lower. This page
 * is half photo-like texture and half text strokes, and we measured 33.0 dB
 * (libjpeg-turbo 2.1, islow DCT, 4:2:0). 30 dB leaves room for other libjpeg
 * versions while a broken pipeline (shifted lines, swapped channels, wrong
 * subsampling, a grey page) lands far below: one line off gives 17.7 dB,
 * which the test checks as a control. */
#define PSNR_FLOOR_DB 30.0

struct fixture {
    struct fake_storage fs;
    struct hal_storage st;
    uint8_t *band;
    size_t band_cap;
    struct scan_requant rq;
};

/* ---- Test pages ------------------------------------------------------- */

static uint32_t hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

static unsigned tri(unsigned v, unsigned period)
{
    unsigned p = v % period;
    return p < period / 2 ? p * 510 / period : (period - p) * 510 / period;
}

/* A document-like page: a photo-like region (smooth waves plus fine
 * texture), then lines of text-like glyphs (thin dark strokes on white),
 * then a grey ramp. Pure function of (x, y, c). */
static uint8_t page_pixel(unsigned x, unsigned y, unsigned c, unsigned h)
{
    unsigned photo_end = h * 2 / 5, ramp_start = h * 19 / 20;

    if (y < photo_end) {
        unsigned v = (tri(x + 40 * c, 397) + tri(y + x / 3, 263) + tri(x * 2 + y, 911)) / 3;
        return (uint8_t)(v * 3 / 4 + (hash32(x * 7919u + y * 104729u + c) & 31));
    }
    if (y >= ramp_start)
        return (uint8_t)(x * 255 / A4_W);
    /* Glyph cells of 24x36 px on 50 px lines; strokes 3 px wide. */
    unsigned line = (y - photo_end) / 50, ly = (y - photo_end) % 50;
    unsigned cell = x / 24, lx = x % 24;
    if (ly >= 36 || lx >= 20 || cell % 7 == 6)
        return 250;
    uint32_t g = hash32(line * 1000u + cell);
    int ink = ((g & 1) && lx < 3) || ((g & 2) && lx >= 17) || ((g & 4) && ly < 3) ||
              ((g & 8) && ly >= 33) || ((g & 16) && ly >= 16 && ly < 19) ||
              ((g & 32) && lx >= 8 && lx < 11);
    return ink ? (uint8_t)(20 + c * 10) : 250;
}

static void fill_band(uint8_t *band, unsigned w, unsigned h, unsigned comps, unsigned y0,
                      unsigned n)
{
    for (unsigned y = 0; y < n; y++)
        for (unsigned x = 0; x < w; x++)
            for (unsigned c = 0; c < comps; c++)
                band[((size_t)y * w + x) * comps + c] = page_pixel(x, y0 + y, c, h);
}

static int spool_sink(void *arg, const uint8_t *buf, size_t len)
{
    return spool_writer_write(arg, buf, len);
}

/* Scans a page into spool page `name` with scan_jpeg, band by band. */
static void spool_jpeg_page(struct fixture *f, const char *name, unsigned w, unsigned h,
                            unsigned comps, unsigned dpi, unsigned quality)
{
    struct spool_writer sw;
    struct scan_jpeg j;
    struct scan_jpeg_params p = {w, h, comps, dpi, quality};

    assert_true((size_t)w * comps * BAND_LINES <= f->band_cap);
    assert_int_equal(spool_writer_open(&sw, &f->st, name), 0);
    assert_int_equal(scan_jpeg_init(&j, &p, spool_sink, &sw), 0);
    for (unsigned y = 0; y < h; y += BAND_LINES) {
        unsigned n = h - y < BAND_LINES ? h - y : BAND_LINES;
        fill_band(f->band, w, h, comps, y, n);
        assert_int_equal(scan_jpeg_write_lines(&j, f->band, n), 0);
    }
    assert_int_equal(scan_jpeg_finish(&j), 0);
    assert_int_equal(spool_writer_commit(&sw), 0);
}

/* A JPEG made directly with libjpeg, for sources scan_jpeg never makes. */
struct custom_jpeg {
    int progressive;
    int jfif;
    unsigned density_unit, density;
    unsigned comps;
};

static void put_custom_jpeg(struct fixture *f, const char *name, const struct custom_jpeg *cj)
{
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr err;
    unsigned char *out = NULL;
    unsigned long len = 0;
    uint8_t row[64 * 3];

    ci.err = jpeg_std_error(&err);
    jpeg_create_compress(&ci);
    jpeg_mem_dest(&ci, &out, &len);
    ci.image_width = 64;
    ci.image_height = 48;
    ci.input_components = (int)cj->comps;
    ci.in_color_space = cj->comps == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&ci);
    ci.write_JFIF_header = cj->jfif ? TRUE : FALSE;
    ci.density_unit = (UINT8)cj->density_unit;
    ci.X_density = ci.Y_density = (UINT16)cj->density;
    if (cj->progressive)
        jpeg_simple_progression(&ci);
    jpeg_start_compress(&ci, TRUE);
    for (unsigned y = 0; y < 48; y++) {
        JSAMPROW r = row;
        fill_band(row, 64, 48, cj->comps, y, 1);
        jpeg_write_scanlines(&ci, &r, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    assert_int_equal(fake_storage_put(&f->fs, name, out, len), 0);
    free(out);
}

/* ---- Reading and checking --------------------------------------------- */

struct mem_src {
    const uint8_t *data;
    size_t len;
    uint32_t fail_at; /* a read at or past this offset fails; 0: never */
};

static long mem_read(void *arg, uint32_t off, uint8_t *buf, size_t cap)
{
    struct mem_src *m = arg;

    if (m->fail_at != 0 && off >= m->fail_at)
        return -77;
    if (off >= m->len)
        return 0;
    size_t n = m->len - off < cap ? m->len - off : cap;
    memcpy(buf, m->data + off, n);
    return (long)n;
}

struct count_sink {
    size_t bytes;
    unsigned calls, fail_at_call;
};

static int count_sink_write(void *arg, const uint8_t *buf, size_t len)
{
    struct count_sink *s = arg;

    (void)buf;
    if (++s->calls == s->fail_at_call)
        return -42;
    s->bytes += len;
    return 0;
}

static const uint8_t *blob(struct fixture *f, const char *name, size_t *len)
{
    const uint8_t *b = fake_storage_blob(&f->fs, name, len);

    assert_non_null(b);
    return b;
}

static void decode_blob(struct fixture *f, const char *name, struct jpeg_probe *d)
{
    size_t len;
    const uint8_t *b = blob(f, name, &len);

    assert_int_equal(jpeg_probe_decode(b, len, d), 0);
}

/* 10 * log10(x) for x >= 1, without libm (not linked into the tests):
 * powers of ten off first, then ln(x) = 2 atanh((x - 1) / (x + 1)). */
static double decibels(double x)
{
    double db = 0, z, z2, term, ln = 0;

    while (x >= 10) {
        x /= 10;
        db += 10;
    }
    z = (x - 1) / (x + 1);
    z2 = z * z;
    term = z;
    for (int k = 1; k < 60; k += 2) {
        ln += term / k;
        term *= z2;
    }
    return db + 10 * (2 * ln) / 2.302585092994046;
}

/* PSNR of b against a, in dB (99 when identical), comparing line y of a
 * with line y + shift of b over the lines both have. */
static double psnr_shifted(const struct jpeg_probe *a, const struct jpeg_probe *b, unsigned shift)
{
    size_t row = (size_t)a->width * a->components;
    size_t n = row * (a->height - shift);
    double se = 0;

    for (size_t i = 0; i < n; i++) {
        int d = (int)a->px[i] - (int)b->px[i + shift * row];
        se += (double)(d * d);
    }
    if (se == 0)
        return 99.0;
    return decibels(255.0 * 255.0 * (double)n / se);
}

/* ---- Fixture ---------------------------------------------------------- */

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    fake_storage_init(&f->fs);
    fake_storage_hal(&f->fs, &f->st);
    f->band_cap = (size_t)A4_W * 3 * BAND_LINES;
    f->band = malloc(f->band_cap);
    assert_non_null(f->band);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(fake_storage_open_handles(&f->fs), 0);
    fake_storage_free(&f->fs);
    free(f->band);
    free(f);
    return 0;
}

/* ---- Tests ------------------------------------------------------------ */

static void test_a4_page_at_quality_50_keeps_size_and_density_shrinks_and_stays_close(void **state)
{
    struct fixture *f = *state;
    struct jpeg_probe a = {0}, b = {0};
    uint32_t size = 0, src_size = 0;
    size_t len;

    spool_jpeg_page(f, "p0001.jpg", A4_W, A4_H, 3, A4_DPI, A4_QUALITY);
    assert_int_equal(spool_page_verify(&f->st, "p0001.jpg", &src_size), 0);
    assert_int_equal(scan_requant_spool(&f->rq, &f->st, "p0001.jpg", "r0001.jpg", 50, f->band,
                                        f->band_cap, &size),
                     0);
    assert_int_equal(scan_requant_width(&f->rq), A4_W);
    assert_int_equal(scan_requant_dpi(&f->rq), A4_DPI);
    blob(f, "r0001.jpg", &len);
    assert_int_equal(size, len);
    assert_int_equal(spool_page_verify(&f->st, "r0001.jpg", NULL), 0);
    assert_true(size < src_size);

    decode_blob(f, "p0001.jpg", &a);
    decode_blob(f, "r0001.jpg", &b);
    assert_int_equal(b.width, A4_W);
    assert_int_equal(b.height, A4_H);
    assert_int_equal(b.components, 3);
    assert_int_equal(b.density_unit, 1);
    assert_int_equal(b.x_density, A4_DPI);
    assert_int_equal(b.y_density, A4_DPI);
    assert_false(b.progressive);
    double db = psnr_shifted(&a, &b, 0), off = psnr_shifted(&a, &b, 1);
    printf("A4 colour: q%d %u bytes -> q50 %u bytes (%.1f%%), PSNR %.2f dB "
           "(%.2f dB one line off)\n",
           A4_QUALITY, (unsigned)src_size, (unsigned)size, 100.0 * size / src_size, db, off);
    assert_true(db >= PSNR_FLOOR_DB);
    /* The floor tells a right page from a slightly wrong one. */
    assert_true(off < PSNR_FLOOR_DB - 5);
    free(a.px);
    free(b.px);
}

/* Runs a re-encoding from memory into a counting sink with a band of
 * band_lines lines; returns the last result. */
static int requant_mem(struct fixture *f, struct mem_src *src, struct count_sink *sink,
                       unsigned quality, size_t band_cap)
{
    struct scan_requant_params p = {mem_read,         src, quality, f->band, band_cap,
                                    count_sink_write, sink};
    int rc = scan_requant_init(&f->rq, &p);

    if (rc == 0) {
        do
            rc = scan_requant_step(&f->rq);
        while (rc == SCAN_REQUANT_AGAIN);
    }
    scan_requant_abort(&f->rq);
    return rc;
}

static void test_band_size_does_not_change_the_output(void **state)
{
    struct fixture *f = *state;
    size_t row = 200 * 3, len1, len16, lenall;
    const uint8_t *b;
    uint8_t *one, *sixteen;

    spool_jpeg_page(f, "p0001.jpg", 200, 150, 3, 200, 90);
    assert_int_equal(
        scan_requant_spool(&f->rq, &f->st, "p0001.jpg", "r1.jpg", 40, f->band, row, NULL), 0);
    assert_int_equal(scan_requant_spool(&f->rq, &f->st, "p0001.jpg", "r16.jpg", 40, f->band,
                                        row * 16 + row - 1, NULL),
                     0);
    assert_int_equal(
        scan_requant_spool(&f->rq, &f->st, "p0001.jpg", "rall.jpg", 40, f->band, f->band_cap, NULL),
        0);
    b = blob(f, "r1.jpg", &len1);
    one = malloc(len1);
    memcpy(one, b, len1);
    b = blob(f, "r16.jpg", &len16);
    sixteen = malloc(len16);
    memcpy(sixteen, b, len16);
    b = blob(f, "rall.jpg", &lenall);
    assert_int_equal(len1, len16);
    assert_int_equal(len1, lenall);
    assert_memory_equal(one, sixteen, len1);
    assert_memory_equal(one, b, len1);
    free(one);
    free(sixteen);
}

static void test_steps_report_progress_one_band_at_a_time(void **state)
{
    struct fixture *f = *state;
    struct count_sink sink = {0};
    size_t len;
    struct mem_src src;
    unsigned steps = 0;

    spool_jpeg_page(f, "p0001.jpg", 320, 100, 1, 150, 85);
    src = (struct mem_src){blob(f, "p0001.jpg", &len), 0, 0};
    src.len = len;
    struct scan_requant_params p = {mem_read, &src, 50, f->band, 320 * 16, count_sink_write, &sink};
    assert_int_equal(scan_requant_init(&f->rq, &p), 0);
    assert_int_equal(scan_requant_components(&f->rq), 1);
    assert_int_equal(scan_requant_height(&f->rq), 100);
    assert_int_equal(scan_requant_dpi(&f->rq), 150);
    int rc;
    while ((rc = scan_requant_step(&f->rq)) == SCAN_REQUANT_AGAIN) {
        steps++;
        assert_int_equal(scan_requant_lines(&f->rq), steps * 16);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(steps, 6); /* 6 x 16 + the last 4 lines */
    assert_int_equal(scan_requant_lines(&f->rq), 100);
    assert_true(sink.bytes > 0);
    assert_int_equal(scan_requant_step(&f->rq), SCAN_REQUANT_ERR_STATE);
    scan_requant_abort(&f->rq);
}

static void test_grey_page_in_dots_per_cm_keeps_its_density_in_dpi(void **state)
{
    struct fixture *f = *state;
    struct custom_jpeg cj = {.jfif = 1, .density_unit = 2, .density = 118, .comps = 1};
    struct count_sink sink = {0};
    struct mem_src src;
    size_t len;

    put_custom_jpeg(f, "src.jpg", &cj);
    src = (struct mem_src){blob(f, "src.jpg", &len), 0, 0};
    src.len = len;
    assert_int_equal(requant_mem(f, &src, &sink, 50, f->band_cap), 0);
    assert_int_equal(scan_requant_dpi(&f->rq), 300); /* 118 dots/cm = 299.7 dpi */
    assert_int_equal(scan_requant_components(&f->rq), 1);
    assert_true(sink.bytes > 0);
}

static void test_sources_we_cannot_stream_or_place_are_refused(void **state)
{
    struct fixture *f = *state;
    static const struct custom_jpeg bad[] = {
        {.progressive = 1, .jfif = 1, .density_unit = 1, .density = 300, .comps = 3},
        {.jfif = 0, .comps = 3},
        {.jfif = 1, .density_unit = 0, .density = 1, .comps = 3}, /* aspect ratio only */
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len;
        struct count_sink sink = {0};
        put_custom_jpeg(f, "src.jpg", &bad[i]);
        struct mem_src src = {blob(f, "src.jpg", &len), 0, 0};
        src.len = len;
        assert_int_equal(requant_mem(f, &src, &sink, 50, f->band_cap), SCAN_REQUANT_ERR_FORMAT);
        assert_int_equal(sink.bytes, 0);
    }
}

static void test_truncated_or_foreign_source_is_a_decode_error(void **state)
{
    struct fixture *f = *state;
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    struct count_sink sink = {0};
    struct mem_src src = {png, sizeof png, 0};
    size_t len;

    assert_int_equal(requant_mem(f, &src, &sink, 50, f->band_cap), SCAN_REQUANT_ERR_DECODE);
    assert_int_not_equal(scan_requant_detail(&f->rq), 0);

    spool_jpeg_page(f, "p0001.jpg", 200, 150, 3, 200, 90);
    src = (struct mem_src){blob(f, "p0001.jpg", &len), 0, 0};
    src.len = len / 2;
    assert_int_equal(requant_mem(f, &src, &sink, 50, f->band_cap), SCAN_REQUANT_ERR_DECODE);
}

static void test_read_and_sink_failures_are_reported_with_their_codes(void **state)
{
    struct fixture *f = *state;
    struct count_sink sink = {0};
    struct mem_src src;
    size_t len;

    spool_jpeg_page(f, "p0001.jpg", 800, 600, 3, 200, 90);
    src = (struct mem_src){blob(f, "p0001.jpg", &len), 0, 0};
    src.len = len;
    assert_true(len > 3 * SCAN_REQUANT_INBUF_SIZE);
    src.fail_at = 2 * SCAN_REQUANT_INBUF_SIZE; /* mid-page, after init */
    assert_int_equal(requant_mem(f, &src, &sink, 50, f->band_cap), SCAN_REQUANT_ERR_READ);
    assert_int_equal(scan_requant_detail(&f->rq), -77);

    src.fail_at = 0;
    sink = (struct count_sink){.fail_at_call = 2};
    assert_int_equal(requant_mem(f, &src, &sink, 50, f->band_cap), SCAN_REQUANT_ERR_SINK);
    assert_int_equal(scan_requant_detail(&f->rq), -42);
}

static void test_bad_arguments_and_a_band_under_one_line_are_refused(void **state)
{
    struct fixture *f = *state;
    struct count_sink sink = {0};
    struct mem_src src;
    size_t len;

    spool_jpeg_page(f, "p0001.jpg", 200, 150, 3, 200, 90);
    src = (struct mem_src){blob(f, "p0001.jpg", &len), 0, 0};
    src.len = len;
    assert_int_equal(requant_mem(f, &src, &sink, 50, 200 * 3 - 1), SCAN_REQUANT_ERR_BAND);
    assert_int_equal(requant_mem(f, &src, &sink, 0, f->band_cap), SCAN_REQUANT_ERR_BAD_ARG);
    assert_int_equal(requant_mem(f, &src, &sink, 101, f->band_cap), SCAN_REQUANT_ERR_BAD_ARG);
    assert_int_equal(scan_requant_init(&f->rq, NULL), SCAN_REQUANT_ERR_BAD_ARG);
    assert_int_equal(scan_requant_spool(&f->rq, &f->st, "p0001.jpg", "p0001.jpg", 50, f->band,
                                        f->band_cap, NULL),
                     SCAN_REQUANT_ERR_BAD_ARG);
    assert_int_equal(scan_requant_step(&f->rq), SCAN_REQUANT_ERR_STATE);
    scan_requant_abort(NULL);
}

static void test_spool_faults_leave_no_destination_page(void **state)
{
    struct fixture *f = *state;

    spool_jpeg_page(f, "p0001.jpg", 800, 600, 3, 200, 90);
    /* Missing source. */
    assert_int_equal(scan_requant_spool(&f->rq, &f->st, "p0002.jpg", "r0002.jpg", 50, f->band,
                                        f->band_cap, NULL),
                     SCAN_REQUANT_ERR_SPOOL);
    assert_int_equal(scan_requant_detail(&f->rq), SPOOL_ERR_NO_PAGE);
    /* Flash write cut mid-page. */
    fake_storage_fail_after(&f->fs, 5000);
    assert_int_equal(scan_requant_spool(&f->rq, &f->st, "p0001.jpg", "r0001.jpg", 50, f->band,
                                        f->band_cap, NULL),
                     SCAN_REQUANT_ERR_SPOOL);
    assert_int_equal(scan_requant_detail(&f->rq), SPOOL_ERR_IO);
    fake_storage_fail_after(&f->fs, -1);
    assert_int_equal(spool_page_verify(&f->st, "r0001.jpg", NULL), SPOOL_ERR_NO_PAGE);
    assert_null(fake_storage_blob(&f->fs, "r0001.jpg", NULL));
    /* Commit refused. */
    fake_storage_fail_commit(&f->fs, 1);
    assert_int_equal(scan_requant_spool(&f->rq, &f->st, "p0001.jpg", "r0001.jpg", 50, f->band,
                                        f->band_cap, NULL),
                     SCAN_REQUANT_ERR_SPOOL);
    assert_int_equal(spool_page_verify(&f->st, "r0001.jpg", NULL), SPOOL_ERR_NO_PAGE);
    /* The source is intact after all that. */
    assert_int_equal(spool_page_verify(&f->st, "p0001.jpg", NULL), 0);
}

static void test_quality_ladder_steps_down_to_the_floor_then_stops(void **state)
{
    (void)state;
    assert_int_equal(scan_requant_next_quality(85), 70);
    assert_int_equal(scan_requant_next_quality(70), 55);
    assert_int_equal(scan_requant_next_quality(55), 40);
    assert_int_equal(scan_requant_next_quality(40), SCAN_REQUANT_QUALITY_FLOOR);
    assert_int_equal(scan_requant_next_quality(30), SCAN_REQUANT_QUALITY_FLOOR);
    assert_int_equal(scan_requant_next_quality(SCAN_REQUANT_QUALITY_FLOOR), 0);
    assert_int_equal(scan_requant_next_quality(10), 0);
}

static void test_fit_lowers_the_quality_until_the_page_fits(void **state)
{
    struct fixture *f = *state;
    struct scan_requant_outcome out;
    uint32_t src_size, limit, above;
    struct jpeg_probe d = {0};

    spool_jpeg_page(f, "p0001.jpg", A4_W, A4_H, 3, A4_DPI, A4_QUALITY);
    assert_int_equal(spool_page_verify(&f->st, "p0001.jpg", &src_size), 0);
    limit = src_size / 2;
    assert_int_equal(scan_requant_fit(&f->rq, &f->st, "p0001.jpg", "r0001.jpg", A4_QUALITY, limit,
                                      f->band, f->band_cap, &out),
                     0);
    printf("fit under %u bytes (half of q%d): q%u, %u bytes, %u tries\n", (unsigned)limit,
           A4_QUALITY, out.quality, (unsigned)out.size, out.tries);
    assert_true(out.size <= limit);
    assert_true(out.quality < A4_QUALITY);
    assert_true(out.tries >= 1);
    assert_int_equal(spool_page_verify(&f->st, "r0001.jpg", &src_size), 0);
    assert_int_equal(src_size, out.size);
    decode_blob(f, "r0001.jpg", &d);
    assert_int_equal(d.width, A4_W);
    assert_int_equal(d.height, A4_H);
    assert_int_equal(d.x_density, A4_DPI);
    free(d.px);
    /* It stopped at the first quality that fits: the one before did not. */
    if (out.tries > 1) {
        unsigned prev = A4_QUALITY;
        while (scan_requant_next_quality(prev) != out.quality)
            prev = scan_requant_next_quality(prev);
        assert_int_equal(scan_requant_spool(&f->rq, &f->st, "p0001.jpg", "t.jpg", prev, f->band,
                                            f->band_cap, &above),
                         0);
        assert_true(above > limit);
    }
}

/* The super-loop's form: one band per step, the same outcome as the blocking fit. */
static void test_stepwise_job_fits_in_many_bounded_steps_like_the_blocking_fit(void **state)
{
    struct fixture *f = *state;
    struct scan_requant_job j;
    struct scan_requant_outcome blocking;
    uint32_t src_size, size;
    unsigned steps = 0;
    int rc;

    spool_jpeg_page(f, "p0001.jpg", 800, 600, 3, 200, 85);
    assert_int_equal(spool_page_verify(&f->st, "p0001.jpg", &src_size), 0);
    assert_int_equal(scan_requant_fit(&f->rq, &f->st, "p0001.jpg", "b.jpg", 85, src_size * 2 / 3,
                                      f->band, f->band_cap, &blocking), 0);
    rc = scan_requant_job_start(&j, &f->rq, &f->st, "p0001.jpg", "s.jpg", 70, src_size * 2 / 3,
                                f->band, 16 * 800 * 3);
    while (rc == SCAN_REQUANT_AGAIN) {
        rc = scan_requant_job_step(&j);
        steps++;
    }
    assert_int_equal(rc, 0);
    assert_true(steps > 600 / 16); /* at least one step per band */
    assert_int_equal(j.out.quality, blocking.quality);
    assert_int_equal(j.out.size, blocking.size);
    assert_int_equal(spool_page_verify(&f->st, "s.jpg", &size), 0);
    assert_int_equal(size, blocking.size);
    assert_int_equal(fake_storage_open_handles(&f->fs), 0);
}

static void test_fit_reports_failure_with_the_floor_size_for_an_impossible_limit(void **state)
{
    struct fixture *f = *state;
    struct scan_requant_outcome out;

    spool_jpeg_page(f, "p0001.jpg", 800, 600, 3, 200, 85);
    assert_int_equal(scan_requant_fit(&f->rq, &f->st, "p0001.jpg", "r0001.jpg", 85, 1000, f->band,
                                      f->band_cap, &out),
                     SCAN_REQUANT_ERR_NO_FIT);
    assert_int_equal(out.tries, 4); /* 70, 55, 40, 25 */
    assert_int_equal(out.quality, SCAN_REQUANT_QUALITY_FLOOR);
    assert_true(out.size > 1000);
    assert_int_equal(spool_page_verify(&f->st, "r0001.jpg", NULL), SPOOL_ERR_NO_PAGE);
    assert_null(fake_storage_blob(&f->fs, "r0001.jpg", NULL));
    /* Already at the floor: nothing to try. */
    assert_int_equal(scan_requant_fit(&f->rq, &f->st, "p0001.jpg", "r0001.jpg", 25, 1000, f->band,
                                      f->band_cap, &out),
                     SCAN_REQUANT_ERR_NO_FIT);
    assert_int_equal(out.tries, 0);
}

static void test_decibels_helper_is_accurate(void **state)
{
    (void)state;
    assert_true(decibels(1000.0) > 29.999 && decibels(1000.0) < 30.001);
    assert_true(decibels(2.0) > 3.0102 && decibels(2.0) < 3.0104);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decibels_helper_is_accurate),
        cmocka_unit_test_setup_teardown(
            test_a4_page_at_quality_50_keeps_size_and_density_shrinks_and_stays_close, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_band_size_does_not_change_the_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_steps_report_progress_one_band_at_a_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_grey_page_in_dots_per_cm_keeps_its_density_in_dpi,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sources_we_cannot_stream_or_place_are_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_truncated_or_foreign_source_is_a_decode_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_read_and_sink_failures_are_reported_with_their_codes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments_and_a_band_under_one_line_are_refused,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_spool_faults_leave_no_destination_page, setup,
                                        teardown),
        cmocka_unit_test(test_quality_ladder_steps_down_to_the_floor_then_stops),
        cmocka_unit_test_setup_teardown(test_fit_lowers_the_quality_until_the_page_fits, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_stepwise_job_fits_in_many_bounded_steps_like_the_blocking_fit, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_fit_reports_failure_with_the_floor_size_for_an_impossible_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
