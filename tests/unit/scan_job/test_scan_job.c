/* scan_job: scanner -> JPEG -> spool, step by step, with faults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_scanner.h"
#include "fake_storage.h"
#include "jpeg_probe.h"
#include "scan_job.h"
#include "sim_scanner.h"

#include <math.h>
#include <tiffio.h>
#include <unistd.h>

static const struct hal_scan_params a4_colour_300 = {300, 2100, 2970, HAL_SCAN_COLOR, 1, HAL_SCAN_ADF, 0};

struct env {
    struct fake_storage fs;
    struct hal_storage st;
    struct sim_scanner sim;
    struct fake_scanner fake;
    struct hal_scanner scanner;
    struct scan_job job;
    struct scan_job_cfg cfg;
    uint8_t *band;
};

static int setup(void **state)
{
    static struct env e;

    memset(&e, 0, sizeof(e));
    fake_storage_init(&e.fs);
    fake_storage_hal(&e.fs, &e.st);
    *state = &e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;

    scan_job_free(&e->job);
    assert_int_equal(fake_storage_open_handles(&e->fs), 0);
    fake_storage_free(&e->fs);
    free(e->band);
    return 0;
}

static void use_sim(struct env *e, const struct sim_scanner_cfg *cfg)
{
    sim_scanner_init(&e->sim, cfg);
    sim_scanner_hal(&e->sim, &e->scanner);
}

static void use_fake(struct env *e, const struct fake_scanner_cfg *cfg)
{
    fake_scanner_init(&e->fake, cfg);
    fake_scanner_hal(&e->fake, &e->scanner);
}

/* A job over e->scanner and the fake storage with a right-sized band buffer. */
static void start_job(struct env *e, const struct hal_scan_params *p, unsigned band_lines,
                      const char *prefix)
{
    memset(&e->cfg, 0, sizeof(e->cfg));
    e->cfg.scanner = &e->scanner;
    e->cfg.storage = &e->st;
    e->cfg.params = *p;
    e->cfg.quality = 80;
    e->cfg.band_lines = band_lines;
    e->cfg.band_buf_size = scan_job_band_buffer_size(p, band_lines, 0);
    e->cfg.prefix = prefix;
    free(e->band);
    e->band = malloc(e->cfg.band_buf_size);
    assert_non_null(e->band);
    e->cfg.band_buf = e->band;
    assert_int_equal(scan_job_init(&e->job, &e->cfg), 0);
}

/* Steps until the job is no longer AGAIN; returns its result, *steps the count. */
static int run_job(struct env *e, unsigned *steps)
{
    unsigned n = 0;
    int rc;

    while ((rc = scan_job_step(&e->job)) == SCAN_JOB_AGAIN) {
        n++;
        assert_true(n < 100000);
    }
    if (steps != NULL)
        *steps = n;
    return rc;
}

static void decode_blob(struct env *e, const char *name, struct jpeg_probe *d)
{
    size_t len = 0;
    const uint8_t *data = fake_storage_blob(&e->fs, name, &len);

    assert_non_null(data);
    assert_int_equal(jpeg_probe_decode(data, len, d), 0);
}

/* Mean absolute difference between decoded row y and what the simulated
 * scanner renders for row render_y. */
static double row_error(const struct jpeg_probe *d, unsigned index, unsigned dpi, unsigned y,
                        unsigned render_y)
{
    struct hal_scan_page page = {d->width, d->height, d->components, index, 0};
    size_t n = (size_t)d->width * d->components;
    uint8_t *want = malloc(n);
    double sum = 0;

    assert_non_null(want);
    sim_scanner_render_line(&page, dpi, render_y, want);
    for (size_t i = 0; i < n; i++)
        sum += abs((int)want[i] - (int)d->px[(size_t)y * n + i]);
    free(want);
    return sum / (double)n;
}

/* Row y came back close to what the scanner drew for it, and closer than
 * to the row `shift` lines away (so a lost or repeated band would show). */
static void assert_row_matches(const struct jpeg_probe *d, unsigned index, unsigned dpi, unsigned y,
                               unsigned shift)
{
    double here = row_error(d, index, dpi, y, y);

    assert_true(here < 3.0);
    if (shift != 0)
        assert_true(row_error(d, index, dpi, y, y + shift) > here + 2.0);
}

static void test_band_buffer_is_one_band_of_lines(void **state)
{
    struct hal_scan_params grey = a4_colour_300;

    (void)state;
    assert_int_equal(scan_job_pixels(2100, 300), 2480);
    assert_int_equal(scan_job_pixels(2970, 300), 3508);
    assert_int_equal(scan_job_band_buffer_size(&a4_colour_300, 16, 0), 2480 * 3 * 16);
    assert_int_equal(scan_job_band_buffer_size(&a4_colour_300, 0, 0),
                     2480 * 3 * SCAN_JOB_BAND_LINES_DEFAULT);
    grey.color = HAL_SCAN_GREY;
    assert_int_equal(scan_job_band_buffer_size(&grey, 16, 0), 2480 * 16);
    assert_int_equal(scan_job_band_buffer_size(NULL, 16, 0), 0);
}

static void test_a4_colour_page_from_the_sim_scanner_decodes_to_2480x3508_rgb_at_300_dpi(void **state)
{
    struct env *e = *state;
    struct jpeg_probe d;
    struct spool_page pg;
    unsigned steps = 0;
    uint8_t buf[777];
    size_t len = 0;
    const uint8_t *blob;

    use_sim(e, NULL);
    start_job(e, &a4_colour_300, 16, NULL);
    /* Progress is visible mid-page. */
    for (int i = 0; i < 12; i++)
        assert_int_equal(scan_job_step(&e->job), SCAN_JOB_AGAIN);
    assert_int_equal(scan_job_page_index(&e->job), 0);
    assert_int_equal(scan_job_page_height(&e->job), 3508);
    assert_int_equal(scan_job_lines_done(&e->job), 10 * 16);

    assert_int_equal(run_job(e, &steps), SCAN_JOB_DONE);
    /* start + page start + 220 bands + finish + the DONE step, less the 12 above. */
    assert_int_equal(steps + 12, 1 + 1 + (3508 + 15) / 16 + 1);
    assert_int_equal(scan_job_lines_done(&e->job), 3508);
    assert_int_equal(scan_job_page_count(&e->job), 1);
    assert_string_equal(scan_job_page(&e->job, 0)->name, "p0001.jpg");
    assert_null(scan_job_page(&e->job, 1));
    assert_int_equal(e->sim.armed, 0); /* scanner stopped */

    decode_blob(e, "p0001.jpg", &d);
    assert_int_equal(d.width, 2480);
    assert_int_equal(d.height, 3508);
    assert_int_equal(d.components, 3);
    assert_int_equal(d.density_unit, 1);
    assert_int_equal(d.x_density, 300);
    assert_int_equal(d.y_density, 300);
    /* Lines arrive where the scanner drew them: header, text, photo, ramp. */
    for (unsigned y = 0; y < 3508; y += 97)
        assert_row_matches(&d, 0, 300, y, 0);
    assert_row_matches(&d, 0, 300, 200, 0);   /* header bar and logo */
    assert_row_matches(&d, 0, 300, 1000, 16); /* a line of text: a band off shows */
    assert_row_matches(&d, 0, 300, 2000, 16); /* photo and text column */
    free(d.px);

    /* The committed page reads back through the spool reader, byte for byte. */
    blob = fake_storage_blob(&e->fs, "p0001.jpg", &len);
    assert_int_equal(scan_job_page(&e->job, 0)->size, len);
    assert_int_equal(spool_page_open(&pg, &e->st, "p0001.jpg"), 0);
    assert_int_equal(spool_page_size(&pg), len);
    assert_int_equal(spool_page_read(&pg, 1000, buf, sizeof(buf)), sizeof(buf));
    assert_memory_equal(buf, blob + 1000, sizeof(buf));
    spool_page_close(&pg);
}

/* PSNR of the decoded page against the raster the scanner drew. The floor,
 * 30 dB at quality 80, is where JPEG artefacts stay invisible on office
 * documents at reading distance; the test chart measures 40.7 dB. */
static void test_colour_page_decodes_above_30_db_psnr(void **state)
{
    static struct sim_scanner_doc doc;
    struct env *e = *state;
    struct jpeg_probe d;
    struct hal_scan_page page = {2480, 3508, 3, 0, 0};
    uint8_t *line = malloc(2480 * 3);
    double se = 0, psnr;

    use_sim(e, NULL);
    start_job(e, &a4_colour_300, 16, NULL);
    assert_int_equal(run_job(e, NULL), SCAN_JOB_DONE);
    decode_blob(e, "p0001.jpg", &d);
    sim_scanner_layout(&doc, &page, 300);
    for (unsigned y = 0; y < 3508; y++) {
        const uint8_t *row = d.px + (size_t)y * 2480 * 3;
        sim_scanner_draw_line(&doc, y, line);
        for (unsigned x = 0; x < 2480 * 3; x++)
            se += (double)(row[x] - line[x]) * (row[x] - line[x]);
    }
    psnr = 10 * log10(255.0 * 255.0 / (se / (2480.0 * 3508 * 3)));
    print_message("PSNR %.2f dB\n", psnr);
    assert_true(psnr >= 30.0);
    free(d.px);
    free(line);
}

/* Black and white: the G4 page decodes bit-exact to the bilevel raster that
 * the threshold makes of what the scanner drew. */
static void test_black_and_white_page_is_g4_and_decodes_bit_exact(void **state)
{
    static struct sim_scanner_doc doc;
    struct env *e = *state;
    struct hal_scan_params p = {200, 2100, 2970, HAL_SCAN_GREY, 1, HAL_SCAN_ADF, 0};
    struct hal_scan_page page = {1654, 2339, 1, 0, 0};
    const struct scan_job_page *pg;
    size_t len = 0, row_bytes = (1654 + 7) / 8;
    const uint8_t *blob;
    uint8_t grey[1654], want[(1654 + 7) / 8], got[(1654 + 7) / 8];
    struct scan_bilevel bl;
    struct scan_bilevel_cfg bc = {1654, SCAN_BILEVEL_THRESHOLD, 0, 0, NULL, 0};
    char path[] = "/tmp/test_scan_job_g4.XXXXXX";
    int fd;
    TIFF *tif;

    use_sim(e, NULL);
    memset(&e->cfg, 0, sizeof(e->cfg));
    e->cfg = (struct scan_job_cfg){.scanner = &e->scanner, .storage = &e->st, .params = p,
                                   .band_lines = 16, .bilevel = 1};
    e->cfg.band_buf_size = scan_job_band_buffer_size(&p, 16, 1);
    free(e->band);
    e->band = malloc(e->cfg.band_buf_size);
    e->cfg.band_buf = e->band;
    assert_int_equal(scan_job_init(&e->job, &e->cfg), 0);
    assert_int_equal(run_job(e, NULL), SCAN_JOB_DONE);
    pg = scan_job_page(&e->job, 0);
    assert_int_equal(pg->kind, SCAN_PAGE_G4);
    assert_string_equal(pg->name, "p0001.tif");
    assert_int_equal(pg->strip_off, 8);
    blob = fake_storage_blob(&e->fs, pg->name, &len);
    assert_int_equal(len, pg->size);

    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, blob, len), (ssize_t)len);
    close(fd);
    tif = TIFFOpen(path, "r");
    assert_non_null(tif);
    sim_scanner_layout(&doc, &page, 200);
    assert_int_equal(scan_bilevel_init(&bl, &bc), 0);
    for (unsigned y = 0; y < 2339; y++) {
        sim_scanner_draw_line(&doc, y, grey);
        scan_bilevel_convert(&bl, grey, 1, want);
        assert_int_equal(TIFFReadScanline(tif, got, y, 0), 1);
        got[row_bytes - 1] &= (uint8_t)(0xff << (8 - 1654 % 8)); /* padding bits */
        assert_memory_equal(got, want, row_bytes);
    }
    TIFFClose(tif);
    unlink(path);
}

static void test_grey_page_has_one_component(void **state)
{
    struct env *e = *state;
    struct hal_scan_params p = {150, 2100, 2970, HAL_SCAN_GREY, 1, HAL_SCAN_ADF, 0};
    struct jpeg_probe d;

    use_sim(e, NULL);
    start_job(e, &p, 16, NULL);
    assert_int_equal(e->cfg.band_buf_size, 1240 * 16);
    assert_int_equal(run_job(e, NULL), SCAN_JOB_DONE);
    decode_blob(e, "p0001.jpg", &d);
    assert_int_equal(d.width, 1240);
    assert_int_equal(d.height, 1754);
    assert_int_equal(d.components, 1);
    assert_int_equal(d.x_density, 150);
    for (unsigned y = 0; y < 1754; y += 61)
        assert_row_matches(&d, 0, 150, y, 0);
    assert_row_matches(&d, 0, 150, 500, 16);
    free(d.px);
}

static void test_pages_differ_and_carry_their_number_in_the_name(void **state)
{
    struct env *e = *state;
    struct hal_scan_params p = {75, 2100, 2970, HAL_SCAN_COLOR, 3, HAL_SCAN_ADF, 0};
    size_t l1 = 0, l2 = 0;
    const uint8_t *b1, *b2;

    use_sim(e, NULL);
    start_job(e, &p, 0, "j0007-");
    assert_int_equal(run_job(e, NULL), SCAN_JOB_DONE);
    assert_int_equal(scan_job_page_count(&e->job), 3);
    assert_string_equal(scan_job_page(&e->job, 2)->name, "j0007-p0003.jpg");
    assert_int_equal(spool_page_verify(&e->st, "j0007-p0003.jpg", NULL), 0);
    b1 = fake_storage_blob(&e->fs, "j0007-p0001.jpg", &l1);
    b2 = fake_storage_blob(&e->fs, "j0007-p0002.jpg", &l2);
    assert_non_null(b1);
    assert_non_null(b2);
    assert_true(l1 != l2 || memcmp(b1, b2, l1) != 0);
}

static void test_the_same_job_twice_gives_the_same_bytes(void **state)
{
    struct env *e = *state;
    struct hal_scan_params p = {100, 2100, 2970, HAL_SCAN_COLOR, 2, HAL_SCAN_ADF, 0};
    uint8_t *first;
    size_t l1 = 0, l2 = 0;
    const uint8_t *b;

    use_sim(e, NULL);
    start_job(e, &p, 16, NULL);
    assert_int_equal(run_job(e, NULL), SCAN_JOB_DONE);
    b = fake_storage_blob(&e->fs, "p0002.jpg", &l1);
    assert_non_null(b);
    first = malloc(l1);
    assert_non_null(first);
    memcpy(first, b, l1);

    use_sim(e, NULL);
    start_job(e, &p, 32, NULL); /* another band height: same pixels, same file */
    assert_int_equal(run_job(e, NULL), SCAN_JOB_DONE);
    b = fake_storage_blob(&e->fs, "p0002.jpg", &l2);
    assert_int_equal(l2, l1);
    assert_memory_equal(b, first, l1);
    free(first);
}

static void test_jam_at_page_2_fails_with_that_page_and_keeps_page_1(void **state)
{
    struct env *e = *state;
    struct sim_scanner_cfg faults = {.jam_at_page = 2};
    struct hal_scan_params p = {75, 2100, 2970, HAL_SCAN_COLOR, 3, HAL_SCAN_ADF, 0};

    use_sim(e, &faults);
    start_job(e, &p, 16, NULL);
    assert_int_equal(run_job(e, NULL), SCAN_JOB_ERR_JAM);
    assert_int_equal(scan_job_error(&e->job), SCAN_JOB_ERR_JAM);
    assert_int_equal(scan_job_error_detail(&e->job), HAL_SCAN_ERR_JAM);
    assert_int_equal(scan_job_error_page_index(&e->job), 1);
    assert_int_equal(scan_job_page_count(&e->job), 1);
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", NULL), 0);
    assert_int_equal(spool_page_verify(&e->st, "p0002.jpg", NULL), SPOOL_ERR_NO_PAGE);
    assert_int_equal(e->sim.armed, 0);
    /* The result sticks. */
    assert_int_equal(scan_job_step(&e->job), SCAN_JOB_ERR_JAM);
}

static void test_cover_open_and_stall_surface_as_their_own_errors(void **state)
{
    struct env *e = *state;
    struct sim_scanner_cfg cover = {.cover_open_at_page = 1};
    struct sim_scanner_cfg stall = {.stall_at_page = 2, .stall_at_line = 40};
    struct hal_scan_params p = {75, 2100, 2970, HAL_SCAN_COLOR, 2, HAL_SCAN_ADF, 0};

    use_sim(e, &cover);
    start_job(e, &p, 16, NULL);
    assert_int_equal(run_job(e, NULL), SCAN_JOB_ERR_COVER_OPEN);
    assert_int_equal(scan_job_error_page_index(&e->job), 0);
    assert_int_equal(fake_storage_count(&e->fs), 0);

    use_sim(e, &stall);
    start_job(e, &p, 16, NULL);
    assert_int_equal(run_job(e, NULL), SCAN_JOB_ERR_STALLED);
    assert_int_equal(scan_job_error_page_index(&e->job), 1);
    assert_int_equal(scan_job_lines_done(&e->job), 40);
    assert_int_equal(scan_job_page_count(&e->job), 1);
    assert_int_equal(spool_page_verify(&e->st, "p0002.jpg", NULL), SPOOL_ERR_NO_PAGE);
    assert_null(fake_storage_blob(&e->fs, "p0002.jpg", NULL));
}

static void test_write_fault_mid_page_leaves_no_page_and_the_next_job_works(void **state)
{
    struct env *e = *state;
    struct hal_scan_params p = {100, 2100, 2970, HAL_SCAN_COLOR, 2, HAL_SCAN_ADF, 0};
    unsigned first_page;

    use_sim(e, NULL);
    start_job(e, &p, 16, NULL);
    assert_int_equal(run_job(e, NULL), SCAN_JOB_DONE);
    first_page = scan_job_page(&e->job, 0)->size;
    fake_storage_free(&e->fs);

    fake_storage_fail_after(&e->fs, first_page + SPOOL_HDR_SIZE + first_page / 2);
    use_sim(e, NULL);
    start_job(e, &p, 16, NULL);
    assert_int_equal(run_job(e, NULL), SCAN_JOB_ERR_STORAGE);
    assert_int_equal(scan_job_error_detail(&e->job), SCAN_JPEG_ERR_SINK);
    assert_int_equal(scan_job_error_page_index(&e->job), 1);
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", NULL), 0);
    assert_int_equal(spool_page_verify(&e->st, "p0002.jpg", NULL), SPOOL_ERR_NO_PAGE);
    assert_int_equal(fake_storage_open_handles(&e->fs), 0);

    fake_storage_fail_after(&e->fs, -1);
    use_sim(e, NULL);
    start_job(e, &p, 16, NULL);
    assert_int_equal(run_job(e, NULL), SCAN_JOB_DONE);
    assert_int_equal(spool_page_verify(&e->st, "p0002.jpg", NULL), 0);
}

static void test_full_storage_is_reported_as_full(void **state)
{
    struct env *e = *state;
    struct fake_scanner_cfg small = {.width = 32, .height = 32};
    struct hal_scan_params p = {75, 2100, 2970, HAL_SCAN_COLOR, 1, HAL_SCAN_ADF, 0};

    for (unsigned i = 0; i < FAKE_STORAGE_BLOBS; i++) {
        char name[16];
        snprintf(name, sizeof(name), "b%u", i);
        assert_int_equal(fake_storage_put(&e->fs, name, "x", 1), 0);
    }
    use_fake(e, &small);
    start_job(e, &p, 16, NULL);
    assert_int_equal(run_job(e, NULL), SCAN_JOB_ERR_STORAGE_FULL);
}

static void test_uneven_bands_from_the_scanner_give_the_exact_pattern(void **state)
{
    struct env *e = *state;
    struct fake_scanner_cfg cfg = {.width = 80, .height = 50, .max_lines = 5};
    struct hal_scan_params p = {75, 2100, 2970, HAL_SCAN_COLOR, 2, HAL_SCAN_ADF, 0};
    struct jpeg_probe d;
    double sum = 0;

    use_fake(e, &cfg);
    start_job(e, &p, 16, NULL);
    assert_int_equal(run_job(e, NULL), SCAN_JOB_DONE);
    assert_int_equal(e->fake.stops, 1);
    decode_blob(e, "p0002.jpg", &d);
    assert_int_equal(d.width, 80);
    assert_int_equal(d.height, 50);
    for (unsigned y = 0; y < 50; y++)
        for (unsigned x = 0; x < 80; x++)
            for (unsigned c = 0; c < 3; c++)
                sum += abs((int)d.px[(y * 80 + x) * 3 + c] - (int)fake_scanner_pixel(1, x, y, c));
    assert_true(sum / (80.0 * 50 * 3) < 5.0);
    free(d.px);
}

static void test_each_step_reads_at_most_one_band(void **state)
{
    struct env *e = *state;
    struct fake_scanner_cfg cfg = {.width = 40, .height = 100};
    struct hal_scan_params p = {75, 2100, 2970, HAL_SCAN_COLOR, 3, HAL_SCAN_ADF, 0};
    unsigned bands = 0;
    int rc;

    use_fake(e, &cfg);
    start_job(e, &p, 8, NULL);
    do {
        rc = scan_job_step(&e->job);
        assert_true(e->fake.bands - bands <= 1);
        bands = e->fake.bands;
    } while (rc == SCAN_JOB_AGAIN);
    assert_int_equal(rc, SCAN_JOB_DONE);
    assert_int_equal(bands, 3 * ((100 + 7) / 8));
}

static void test_a_page_that_ends_early_is_refused(void **state)
{
    struct env *e = *state;
    struct fake_scanner_cfg cfg = {.width = 40, .height = 64, .fail_at_page = 1,
                                   .fail_at_line = 20, .fail_code = 0};
    struct hal_scan_params p = {75, 2100, 2970, HAL_SCAN_GREY, 1, HAL_SCAN_ADF, 0};

    use_fake(e, &cfg);
    start_job(e, &p, 16, NULL);
    assert_int_equal(run_job(e, NULL), SCAN_JOB_ERR_SHORT_PAGE);
    assert_int_equal(fake_storage_count(&e->fs), 0);
    assert_int_equal(e->fake.stops, 1);
}

static void test_a_driver_returning_more_lines_than_asked_is_refused(void **state)
{
    struct env *e = *state;
    struct fake_scanner_cfg cfg = {.width = 40, .height = 64, .extra_lines = 1};
    struct hal_scan_params p = {75, 2100, 2970, HAL_SCAN_GREY, 1, HAL_SCAN_ADF, 0};

    use_fake(e, &cfg);
    start_job(e, &p, 16, NULL);
    assert_int_equal(run_job(e, NULL), SCAN_JOB_ERR_SCANNER);
}

static void test_a_page_wider_than_the_band_buffer_is_refused(void **state)
{
    struct env *e = *state;
    struct fake_scanner_cfg cfg = {.width = 4000, .height = 64};

    use_fake(e, &cfg);
    start_job(e, &a4_colour_300, 16, NULL);
    assert_int_equal(run_job(e, NULL), SCAN_JOB_ERR_PAGE_SIZE);
}

static void test_a_scanner_that_will_not_start_fails_the_job(void **state)
{
    struct env *e = *state;
    struct fake_scanner_cfg cfg = {.start_error = HAL_SCAN_ERR_COVER_OPEN};

    use_fake(e, &cfg);
    start_job(e, &a4_colour_300, 16, NULL);
    assert_int_equal(run_job(e, NULL), SCAN_JOB_ERR_COVER_OPEN);
    assert_int_equal(e->fake.stops, 0);
}

static void test_more_sheets_than_the_page_list_holds_fail_the_job(void **state)
{
    struct env *e = *state;
    struct fake_scanner_cfg cfg = {.width = 16, .height = 16};
    struct hal_scan_params p = {75, 2100, 2970, HAL_SCAN_GREY, SCAN_JOB_MAX_PAGES + 1, HAL_SCAN_ADF, 0};

    use_fake(e, &cfg);
    start_job(e, &p, 16, "t");
    assert_int_equal(run_job(e, NULL), SCAN_JOB_ERR_TOO_MANY_PAGES);
    assert_int_equal(scan_job_page_count(&e->job), SCAN_JOB_MAX_PAGES);
    assert_int_equal(scan_job_error_page_index(&e->job), SCAN_JOB_MAX_PAGES);
}

static void test_stopping_mid_page_discards_it_and_stops_the_scanner(void **state)
{
    struct env *e = *state;
    struct fake_scanner_cfg cfg = {.width = 64, .height = 64};
    struct hal_scan_params p = {75, 2100, 2970, HAL_SCAN_COLOR, 1, HAL_SCAN_ADF, 0};

    use_fake(e, &cfg);
    start_job(e, &p, 16, NULL);
    for (int i = 0; i < 4; i++)
        assert_int_equal(scan_job_step(&e->job), SCAN_JOB_AGAIN);
    assert_int_equal(fake_storage_open_handles(&e->fs), 1);
    scan_job_free(&e->job);
    scan_job_free(&e->job);
    assert_int_equal(e->fake.stops, 1);
    assert_int_equal(fake_storage_open_handles(&e->fs), 0);
    assert_int_equal(fake_storage_count(&e->fs), 0);
}

static void test_init_refuses_bad_configurations(void **state)
{
    struct env *e = *state;
    struct scan_job_cfg cfg;
    struct scan_job job;
    static uint8_t buf[2480 * 3 * 16];
    char long_prefix[SPOOL_PREFIX_MAX + 2];

    use_fake(e, NULL);
    memset(&cfg, 0, sizeof(cfg));
    cfg.scanner = &e->scanner;
    cfg.storage = &e->st;
    cfg.params = a4_colour_300;
    cfg.band_buf = buf;
    cfg.band_buf_size = sizeof(buf);
    assert_int_equal(scan_job_init(&job, &cfg), 0);
    cfg.band_buf_size = sizeof(buf) - 1;
    assert_int_equal(scan_job_init(&job, &cfg), SCAN_JOB_ERR_BAD_ARG);
    cfg.band_buf_size = sizeof(buf);
    cfg.band_lines = 17;
    assert_int_equal(scan_job_init(&job, &cfg), SCAN_JOB_ERR_BAD_ARG);
    cfg.band_lines = 0;
    cfg.quality = 101;
    assert_int_equal(scan_job_init(&job, &cfg), SCAN_JOB_ERR_BAD_ARG);
    cfg.quality = 0;
    memset(long_prefix, 'x', sizeof(long_prefix));
    long_prefix[sizeof(long_prefix) - 1] = '\0';
    cfg.prefix = long_prefix;
    assert_int_equal(scan_job_init(&job, &cfg), SCAN_JOB_ERR_BAD_ARG);
    cfg.prefix = NULL;
    cfg.storage = NULL;
    assert_int_equal(scan_job_init(&job, &cfg), SCAN_JOB_ERR_BAD_ARG);
    assert_int_equal(scan_job_init(&job, NULL), SCAN_JOB_ERR_BAD_ARG);
    assert_int_equal(e->fake.starts, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_band_buffer_is_one_band_of_lines),
        cmocka_unit_test_setup_teardown(test_a4_colour_page_from_the_sim_scanner_decodes_to_2480x3508_rgb_at_300_dpi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_colour_page_decodes_above_30_db_psnr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_black_and_white_page_is_g4_and_decodes_bit_exact,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_grey_page_has_one_component, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages_differ_and_carry_their_number_in_the_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_same_job_twice_gives_the_same_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jam_at_page_2_fails_with_that_page_and_keeps_page_1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cover_open_and_stall_surface_as_their_own_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_fault_mid_page_leaves_no_page_and_the_next_job_works, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_storage_is_reported_as_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uneven_bands_from_the_scanner_give_the_exact_pattern, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_step_reads_at_most_one_band, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_page_that_ends_early_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_driver_returning_more_lines_than_asked_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_page_wider_than_the_band_buffer_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_scanner_that_will_not_start_fails_the_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_more_sheets_than_the_page_list_holds_fail_the_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stopping_mid_page_discards_it_and_stops_the_scanner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_refuses_bad_configurations, setup, teardown),
    };
    return cmocka_run_group_tests_name("scan_job", tests, NULL, NULL);
}
