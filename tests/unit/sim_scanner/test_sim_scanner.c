/* sim_scanner: sizes, resolutions, sources, duplex, faults and what the
 * rendered pages contain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan_job.h"
#include "scan_sizes.h"
#include "sim_scanner.h"

static const unsigned dpis[] = {75, 150, 200, 300, 400, 600};
#define DPIS (sizeof(dpis) / sizeof(dpis[0]))

struct env {
    struct sim_scanner sim;
    struct hal_scanner hal;
};

/* What one page delivered: geometry, a hash of every byte, and how many
 * pixels are dark (luma < 96 in grey, all channels < 96 in colour). */
struct page_sum {
    struct hal_scan_page page;
    uint64_t hash;
    uint64_t dark;
    unsigned lines;
};

static struct hal_scan_params params(const char *size, unsigned dpi, enum hal_scan_color color,
                                     unsigned pages)
{
    const scan_size_t *s = scan_size_by_name(size);
    struct hal_scan_params p = {0};

    assert_non_null(s);
    p.dpi = dpi;
    p.width_mm10 = s->width_mm10;
    p.height_mm10 = s->height_mm10;
    p.color = color;
    p.pages = pages;
    p.source = HAL_SCAN_ADF;
    return p;
}

static void env_start(struct env *e, const struct sim_scanner_cfg *cfg,
                      const struct hal_scan_params *p)
{
    sim_scanner_init(&e->sim, cfg);
    sim_scanner_hal(&e->sim, &e->hal);
    assert_int_equal(hal_scanner_start(&e->hal, p), 0);
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t count_dark(const uint8_t *p, size_t pixels, unsigned comps)
{
    uint64_t n = 0;

    for (size_t i = 0; i < pixels; i++) {
        const uint8_t *px = p + i * comps;
        int dark = px[0] < 96;
        for (unsigned c = 1; c < comps; c++)
            dark = dark && px[c] < 96;
        n += (uint64_t)dark;
    }
    return n;
}

/* Reads the current page to its end in bands of `band` lines. */
static void read_page(struct env *e, const struct hal_scan_page *pg, unsigned band,
                      struct page_sum *out)
{
    size_t row = (size_t)pg->width * pg->components;
    uint8_t *buf = malloc(row * band);
    int n;

    assert_non_null(buf);
    memset(out, 0, sizeof(*out));
    out->page = *pg;
    out->hash = 0xcbf29ce484222325ULL;
    while ((n = hal_scanner_read_band(&e->hal, buf, band)) > 0) {
        assert_true((unsigned)n <= band);
        out->hash = fnv(out->hash, buf, row * (size_t)n);
        out->dark += count_dark(buf, (size_t)pg->width * (size_t)n, pg->components);
        out->lines += (unsigned)n;
    }
    assert_int_equal(n, 0);
    assert_int_equal(out->lines, pg->height);
    free(buf);
}

/* Feeds and reads the next page. */
static void next_and_read(struct env *e, unsigned band, struct page_sum *out)
{
    struct hal_scan_page pg;

    assert_int_equal(hal_scanner_next_page(&e->hal, &pg), 0);
    read_page(e, &pg, band, out);
}

/* ---- sizes and resolutions ---- */

static void test_every_size_and_resolution_gives_the_pixels_of_its_millimetres(void **state)
{
    struct env *e = *state;

    for (unsigned s = 0; s < SCAN_SIZE_COUNT; s++) {
        const scan_size_t *size = scan_size_get((enum scan_size_id)s);
        for (unsigned d = 0; d < DPIS; d++) {
            struct hal_scan_params p = params(size->name, dpis[d], HAL_SCAN_COLOR, 1);
            struct hal_scan_page pg;

            env_start(e, NULL, &p);
            assert_int_equal(hal_scanner_next_page(&e->hal, &pg), 0);
            assert_int_equal(pg.width, scan_job_pixels(size->width_mm10, dpis[d]));
            assert_int_equal(pg.height, scan_job_pixels(size->height_mm10, dpis[d]));
            assert_int_equal(pg.components, 3);
            hal_scanner_stop(&e->hal);
        }
    }
}

static void test_known_sizes_have_their_familiar_pixel_counts(void **state)
{
    static const struct {
        const char *size;
        unsigned dpi, w, h;
    } known[] = {
        {"a4", 300, 2480, 3508},        {"A4", 600, 4961, 7016}, {"letter", 300, 2550, 3300},
        {"legal", 300, 2550, 4200},     {"a5", 75, 437, 620},    {"Letter", 75, 638, 825},
        {"executive", 600, 4351, 6300},
    };
    struct env *e = *state;

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        struct hal_scan_params p = params(known[i].size, known[i].dpi, HAL_SCAN_GREY, 1);
        struct hal_scan_page pg;

        env_start(e, NULL, &p);
        assert_int_equal(hal_scanner_next_page(&e->hal, &pg), 0);
        assert_int_equal(pg.width, known[i].w);
        assert_int_equal(pg.height, known[i].h);
        assert_int_equal(pg.components, 1);
    }
}

static void test_every_size_reads_to_the_end_at_75_and_300_dpi_with_text_on_it(void **state)
{
    static const unsigned some[] = {75, 300};
    struct env *e = *state;

    for (unsigned s = 0; s < SCAN_SIZE_COUNT; s++) {
        for (unsigned d = 0; d < 2; d++) {
            struct hal_scan_params p =
                params(scan_size_get((enum scan_size_id)s)->name, some[d], HAL_SCAN_GREY, 1);
            struct page_sum sum;

            env_start(e, NULL, &p);
            next_and_read(e, 32, &sum);
            /* Text, rules and the page number ink 1-15 % of a page. */
            assert_true(sum.dark * 100 > (uint64_t)sum.page.width * sum.page.height);
            assert_true(sum.dark * 100 < (uint64_t)sum.page.width * sum.page.height * 15);
            assert_int_equal(hal_scanner_next_page(&e->hal, &sum.page), HAL_SCAN_NO_MORE_PAGES);
        }
    }
}

static void test_a4_at_600_dpi_reads_band_by_band_through_a_16_line_buffer(void **state)
{
    struct env *e = *state;
    struct hal_scan_params p = params("a4", 600, HAL_SCAN_COLOR, 1);
    struct page_sum sum;

    env_start(e, NULL, &p);
    next_and_read(e, 16, &sum);
    assert_int_equal(sum.page.width, 4961);
    assert_int_equal(sum.lines, 7016);
    assert_true(sum.dark > 0);
}

static void test_every_resolution_shows_the_same_document(void **state)
{
    const struct hal_scan_page a4_300 = {2480, 3508, 1, 0, 0};
    struct sim_scanner_doc *ref = malloc(sizeof(*ref)), *doc = malloc(sizeof(*doc));
    struct env *e = *state;
    double ref_ink = 0;

    (void)e;
    assert_non_null(ref);
    assert_non_null(doc);
    sim_scanner_layout(ref, &a4_300, 300);
    for (unsigned d = 0; d < DPIS; d++) {
        struct hal_scan_params p = params("a4", dpis[d], HAL_SCAN_GREY, 1);
        struct hal_scan_page pg;
        struct page_sum sum;
        double ink;

        env_start(e, NULL, &p);
        assert_int_equal(hal_scanner_next_page(&e->hal, &pg), 0);
        sim_scanner_layout(doc, &pg, dpis[d]);
        /* Same items with the same words, at positions that scale with dpi. */
        assert_int_equal(doc->count, ref->count);
        for (unsigned i = 0; i < doc->count; i++) {
            const struct sim_scanner_item *a = &doc->item[i], *b = &ref->item[i];
            assert_int_equal(a->kind, b->kind);
            assert_int_equal(a->len, b->len);
            assert_memory_equal(sim_scanner_item_text(doc, a), sim_scanner_item_text(ref, b),
                                a->len);
            assert_true(labs((long)a->y0 * 300 / (long)dpis[d] - b->y0) <= 300 / 75 + 1);
            assert_true(labs((long)a->x0 * 300 / (long)dpis[d] - b->x0) <= 300 / 75 + 1);
        }
        if (dpis[d] > 300)
            continue; /* the ink check reads whole pages; 300 dpi is enough */
        read_page(e, &pg, 64, &sum);
        /* The dark share of the page is the same document-wide figure. */
        ink = (double)sum.dark / ((double)pg.width * pg.height);
        if (ref_ink == 0)
            ref_ink = ink;
        assert_true(ink > ref_ink * 0.7 && ink < ref_ink * 1.3);
    }
    free(ref);
    free(doc);
}

/* ---- text ---- */

/* Some pixel inside every text item's box has (nearly) the text's colour:
 * the glyphs are really drawn, white ones on the letterhead included. */
static void test_every_text_line_puts_its_colour_on_the_page(void **state)
{
    static const unsigned some[] = {75, 300, 600};
    const struct sim_scanner_item *it;
    struct sim_scanner_doc *doc = malloc(sizeof(*doc));
    unsigned texts = 0;

    (void)state;
    assert_non_null(doc);
    for (unsigned d = 0; d < 3; d++) {
        struct hal_scan_page pg = {scan_job_pixels(2100, some[d]), scan_job_pixels(2970, some[d]),
                                   3, 1, 0};
        uint8_t *row = malloc((size_t)pg.width * 3);

        assert_non_null(row);
        sim_scanner_layout(doc, &pg, some[d]);
        texts = 0;
        for (unsigned i = 0; i < doc->count; i++) {
            int seen = 0;
            it = &doc->item[i];
            if (it->kind != SIM_ITEM_TEXT)
                continue;
            texts++;
            for (long y = it->y0; y < it->y1 && !seen; y++) {
                sim_scanner_draw_line(doc, (unsigned)y, row);
                for (long x = it->x0; x < it->x1 && x < (long)pg.width && !seen; x++) {
                    const uint8_t *p = row + x * 3;
                    seen = abs(p[0] - it->rgb[0]) < 40 && abs(p[1] - it->rgb[1]) < 40 &&
                           abs(p[2] - it->rgb[2]) < 40;
                }
            }
            if (!seen)
                fail_msg("text '%.*s' at %u dpi left no ink", it->len,
                         sim_scanner_item_text(doc, it), some[d]);
        }
        assert_true(texts > 40);
        free(row);
    }
    free(doc);
}

static void test_the_intro_paragraph_area_is_dark_with_glyphs(void **state)
{
    /* A4 at 300 dpi: the paragraph under the title, 86 .. 108 mm down. */
    struct hal_scan_page pg = {2480, 3508, 1, 0, 0};
    uint8_t row[2480];
    uint64_t dark = 0, text_rows = 0;

    (void)state;
    for (unsigned y = scan_job_pixels(860, 300); y < scan_job_pixels(1080, 300); y++) {
        uint64_t d;
        sim_scanner_render_line(&pg, 300, y, row);
        d = count_dark(row, sizeof(row), 1);
        dark += d;
        text_rows += d > 0;
    }
    /* Four lines of 10 pt text: dozens of rows carry ink, and a few percent of
     * the area is ink, as in any printed paragraph. */
    assert_true(text_rows > 4 * 25);
    assert_true(dark * 100 >
                2ULL * 2480 * (scan_job_pixels(1080, 300) - scan_job_pixels(860, 300)));
}

/* ---- determinism and bands ---- */

static void test_same_parameters_give_the_same_bytes_and_pages_differ(void **state)
{
    struct env *e = *state;
    struct hal_scan_params p = params("letter", 150, HAL_SCAN_COLOR, 3);
    struct page_sum a[3], b[3];

    env_start(e, NULL, &p);
    for (unsigned i = 0; i < 3; i++)
        next_and_read(e, 16, &a[i]);
    env_start(e, NULL, &p);
    for (unsigned i = 0; i < 3; i++)
        next_and_read(e, 16, &b[i]);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(a[i].page.index, i);
        assert_true(a[i].hash == b[i].hash);
    }
    assert_true(a[0].hash != a[1].hash);
    assert_true(a[1].hash != a[2].hash);
    assert_true(a[0].hash != a[2].hash);
}

static void test_band_reads_of_any_height_give_the_same_page(void **state)
{
    static const unsigned bands[] = {1, 7, 16, 64, 1000, 5000};
    struct env *e = *state;
    struct hal_scan_params p = params("a4", 150, HAL_SCAN_COLOR, 1);
    uint64_t first = 0;

    for (unsigned i = 0; i < sizeof(bands) / sizeof(bands[0]); i++) {
        struct page_sum sum;
        env_start(e, NULL, &p);
        next_and_read(e, bands[i], &sum);
        if (i == 0)
            first = sum.hash;
        assert_true(sum.hash == first);
    }
}

static void test_render_line_matches_what_the_scanner_delivers(void **state)
{
    struct env *e = *state;
    struct hal_scan_params p = params("a5", 200, HAL_SCAN_COLOR, 2);
    struct hal_scan_page pg;
    size_t row;
    uint8_t *band, *want;
    unsigned y = 0;
    int n;

    p.duplex = 1;
    env_start(e, NULL, &p);
    assert_int_equal(hal_scanner_next_page(&e->hal, &pg), 0);
    assert_int_equal(hal_scanner_next_page(&e->hal, &pg), 0); /* the back of sheet 1 */
    row = (size_t)pg.width * pg.components;
    band = malloc(row * 50);
    want = malloc(row);
    assert_non_null(band);
    assert_non_null(want);
    while ((n = hal_scanner_read_band(&e->hal, band, 50)) > 0) {
        for (int i = 0; i < n; i += 13) {
            sim_scanner_render_line(&pg, 200, y + (unsigned)i, want);
            assert_memory_equal(band + (size_t)i * row, want, row);
        }
        y += (unsigned)n;
    }
    assert_int_equal(y, pg.height);
    free(band);
    free(want);
}

static void test_grey_pages_are_the_luma_of_the_colour_pages(void **state)
{
    struct hal_scan_page colour = {1240, 1754, 3, 0, 0}, grey = {1240, 1754, 1, 0, 0};
    uint8_t rgb[1240 * 3], g[1240];

    (void)state;
    for (unsigned y = 0; y < 1754; y += 37) {
        sim_scanner_render_line(&colour, 150, y, rgb);
        sim_scanner_render_line(&grey, 150, y, g);
        for (unsigned x = 0; x < 1240; x++) {
            int luma = (77 * rgb[x * 3] + 150 * rgb[x * 3 + 1] + 29 * rgb[x * 3 + 2] + 128) >> 8;
            /* Text is blended once per channel in colour, once in grey. */
            assert_true(abs(luma - g[x]) <= 2);
        }
    }
}

/* ---- sources and duplex ---- */

static void test_adf_duplex_delivers_front_then_back_of_every_sheet(void **state)
{
    struct env *e = *state;
    struct hal_scan_params p = params("a4", 75, HAL_SCAN_GREY, 3);
    struct page_sum sides[6];

    p.duplex = 1;
    env_start(e, NULL, &p);
    for (unsigned i = 0; i < 6; i++) {
        next_and_read(e, 64, &sides[i]);
        assert_int_equal(sides[i].page.index, i);
        assert_int_equal(sides[i].page.side, i % 2);
    }
    assert_int_equal(hal_scanner_next_page(&e->hal, &sides[0].page), HAL_SCAN_NO_MORE_PAGES);
    for (unsigned i = 0; i < 6; i += 2) {
        /* The back carries less: terms only, no letterhead, table or photo. */
        assert_true(sides[i + 1].dark > 0);
        assert_true(sides[i + 1].dark * 2 < sides[i].dark);
        assert_true(sides[i + 1].hash != sides[i].hash);
    }
    assert_true(sides[1].hash != sides[3].hash);
}

static void test_adf_simplex_delivers_one_front_per_sheet(void **state)
{
    struct env *e = *state;
    struct hal_scan_params p = params("a5", 75, HAL_SCAN_COLOR, 3);
    struct hal_scan_page pg;

    env_start(e, NULL, &p);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(hal_scanner_next_page(&e->hal, &pg), 0);
        assert_int_equal(pg.index, i);
        assert_int_equal(pg.side, 0);
    }
    assert_int_equal(hal_scanner_next_page(&e->hal, &pg), HAL_SCAN_NO_MORE_PAGES);
}

static void test_an_empty_feeder_has_no_pages(void **state)
{
    struct env *e = *state;
    struct hal_scan_params p = params("a4", 75, HAL_SCAN_COLOR, 0);
    struct hal_scan_page pg;

    p.duplex = 1;
    env_start(e, NULL, &p);
    assert_int_equal(hal_scanner_next_page(&e->hal, &pg), HAL_SCAN_NO_MORE_PAGES);
}

static void test_flatbed_scans_exactly_one_page(void **state)
{
    static const unsigned pages[] = {0, 1};
    struct env *e = *state;

    for (unsigned i = 0; i < 2; i++) {
        struct hal_scan_params p = params("letter", 75, HAL_SCAN_COLOR, pages[i]);
        struct page_sum sum;

        p.source = HAL_SCAN_FLATBED;
        env_start(e, NULL, &p);
        next_and_read(e, 100, &sum);
        assert_int_equal(sum.page.index, 0);
        assert_int_equal(sum.page.side, 0);
        assert_int_equal(hal_scanner_next_page(&e->hal, &sum.page), HAL_SCAN_NO_MORE_PAGES);
    }
}

static void test_flatbed_refuses_several_pages_duplex_and_legal(void **state)
{
    struct env *e = *state;
    struct hal_scan_params p = params("a4", 300, HAL_SCAN_COLOR, 2);

    sim_scanner_init(&e->sim, NULL);
    sim_scanner_hal(&e->sim, &e->hal);
    p.source = HAL_SCAN_FLATBED;
    assert_int_equal(hal_scanner_start(&e->hal, &p), HAL_SCAN_ERR_BAD_ARG);
    p.pages = 1;
    p.duplex = 1;
    assert_int_equal(hal_scanner_start(&e->hal, &p), HAL_SCAN_ERR_BAD_ARG);
    p = params("legal", 300, HAL_SCAN_COLOR, 1);
    p.source = HAL_SCAN_FLATBED;
    assert_int_equal(hal_scanner_start(&e->hal, &p), HAL_SCAN_ERR_BAD_ARG);
    /* Every other size fits the glass. */
    for (unsigned s = 0; s < SCAN_SIZE_COUNT; s++) {
        if (s == SCAN_SIZE_LEGAL)
            continue;
        p = params(scan_size_get((enum scan_size_id)s)->name, 300, HAL_SCAN_COLOR, 1);
        p.source = HAL_SCAN_FLATBED;
        assert_int_equal(hal_scanner_start(&e->hal, &p), 0);
    }
    /* The feeder takes Legal. */
    p = params("legal", 300, HAL_SCAN_COLOR, 2);
    assert_int_equal(hal_scanner_start(&e->hal, &p), 0);
}

static void test_start_refuses_bad_parameters(void **state)
{
    struct env *e = *state;
    struct hal_scan_params p = params("a4", 300, HAL_SCAN_COLOR, 1), q;
    struct hal_scan_page pg;
    uint8_t buf[16];

    sim_scanner_init(&e->sim, NULL);
    sim_scanner_hal(&e->sim, &e->hal);
    assert_int_equal(hal_scanner_next_page(&e->hal, &pg), HAL_SCAN_ERR_BAD_ARG);
    assert_int_equal(hal_scanner_read_band(&e->hal, buf, 1), HAL_SCAN_ERR_BAD_ARG);
    q = p, q.dpi = 74;
    assert_int_equal(hal_scanner_start(&e->hal, &q), HAL_SCAN_ERR_BAD_ARG);
    q = p, q.dpi = 601;
    assert_int_equal(hal_scanner_start(&e->hal, &q), HAL_SCAN_ERR_BAD_ARG);
    q = p, q.height_mm10 = 3600; /* longer than Legal */
    assert_int_equal(hal_scanner_start(&e->hal, &q), HAL_SCAN_ERR_BAD_ARG);
    q = p, q.width_mm10 = 0;
    assert_int_equal(hal_scanner_start(&e->hal, &q), HAL_SCAN_ERR_BAD_ARG);
    q = p, q.color = (enum hal_scan_color)7;
    assert_int_equal(hal_scanner_start(&e->hal, &q), HAL_SCAN_ERR_BAD_ARG);
    q = p, q.source = (enum hal_scan_source)7;
    assert_int_equal(hal_scanner_start(&e->hal, &q), HAL_SCAN_ERR_BAD_ARG);
    assert_int_equal(hal_scanner_start(&e->hal, NULL), HAL_SCAN_ERR_BAD_ARG);
    assert_int_equal(hal_scanner_start(&e->hal, &p), 0);
    hal_scanner_stop(&e->hal);
    assert_int_equal(hal_scanner_next_page(&e->hal, &pg), HAL_SCAN_ERR_BAD_ARG);
}

/* ---- faults, counted by sheet ---- */

static void test_a_jam_in_duplex_stops_at_the_sheet_after_both_sides_of_the_last(void **state)
{
    struct env *e = *state;
    struct sim_scanner_cfg jam = {.jam_at_page = 2};
    struct hal_scan_params p = params("a4", 75, HAL_SCAN_GREY, 3);
    struct page_sum sum;

    p.duplex = 1;
    env_start(e, &jam, &p);
    next_and_read(e, 64, &sum);
    next_and_read(e, 64, &sum);
    assert_int_equal(sum.page.side, 1);
    assert_int_equal(hal_scanner_next_page(&e->hal, &sum.page), HAL_SCAN_ERR_JAM);
    assert_int_equal(hal_scanner_next_page(&e->hal, &sum.page), HAL_SCAN_ERR_JAM);
}

static void test_an_open_cover_is_found_when_the_sheet_is_fed(void **state)
{
    struct env *e = *state;
    struct sim_scanner_cfg cover = {.cover_open_at_page = 1};
    struct hal_scan_params p = params("letter", 75, HAL_SCAN_COLOR, 1);
    struct hal_scan_page pg;

    p.source = HAL_SCAN_FLATBED;
    env_start(e, &cover, &p);
    assert_int_equal(hal_scanner_next_page(&e->hal, &pg), HAL_SCAN_ERR_COVER_OPEN);
}

static void test_a_stall_counts_lines_across_both_sides_of_the_sheet(void **state)
{
    struct env *e = *state;
    struct hal_scan_params p = params("a4", 75, HAL_SCAN_GREY, 2);
    struct sim_scanner_cfg stall = {.stall_at_page = 2, .stall_at_line = 877 + 10};
    struct page_sum sum;
    struct hal_scan_page pg;
    uint8_t buf[620 * 8];
    unsigned got = 0;
    int n;

    p.duplex = 1;
    env_start(e, &stall, &p);
    next_and_read(e, 8, &sum); /* sheet 1, both sides, untouched */
    next_and_read(e, 8, &sum);
    next_and_read(e, 8, &sum); /* front of sheet 2: 877 lines, whole */
    assert_int_equal(sum.page.index, 2);
    assert_int_equal(hal_scanner_next_page(&e->hal, &pg), 0);
    assert_int_equal(pg.side, 1);
    while ((n = hal_scanner_read_band(&e->hal, buf, 8)) > 0)
        got += (unsigned)n;
    assert_int_equal(n, HAL_SCAN_ERR_STALLED);
    assert_int_equal(got, 10);
    assert_int_equal(hal_scanner_read_band(&e->hal, buf, 8), HAL_SCAN_ERR_STALLED);
}

static void test_a_simplex_stall_hits_mid_page(void **state)
{
    struct env *e = *state;
    struct hal_scan_params p = params("a4", 75, HAL_SCAN_COLOR, 2);
    struct sim_scanner_cfg stall = {.stall_at_page = 1, .stall_at_line = 40};
    struct hal_scan_page pg;
    uint8_t buf[620 * 3 * 16];

    env_start(e, &stall, &p);
    assert_int_equal(hal_scanner_next_page(&e->hal, &pg), 0);
    assert_int_equal(hal_scanner_read_band(&e->hal, buf, 16), 16);
    assert_int_equal(hal_scanner_read_band(&e->hal, buf, 16), 16);
    assert_int_equal(hal_scanner_read_band(&e->hal, buf, 16), 8);
    assert_int_equal(hal_scanner_read_band(&e->hal, buf, 16), HAL_SCAN_ERR_STALLED);
}

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));

    if (e == NULL)
        return -1;
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_every_size_and_resolution_gives_the_pixels_of_its_millimetres),
        T(test_known_sizes_have_their_familiar_pixel_counts),
        T(test_every_size_reads_to_the_end_at_75_and_300_dpi_with_text_on_it),
        T(test_a4_at_600_dpi_reads_band_by_band_through_a_16_line_buffer),
        T(test_every_resolution_shows_the_same_document),
        T(test_every_text_line_puts_its_colour_on_the_page),
        T(test_the_intro_paragraph_area_is_dark_with_glyphs),
        T(test_same_parameters_give_the_same_bytes_and_pages_differ),
        T(test_band_reads_of_any_height_give_the_same_page),
        T(test_render_line_matches_what_the_scanner_delivers),
        T(test_grey_pages_are_the_luma_of_the_colour_pages),
        T(test_adf_duplex_delivers_front_then_back_of_every_sheet),
        T(test_adf_simplex_delivers_one_front_per_sheet),
        T(test_an_empty_feeder_has_no_pages),
        T(test_flatbed_scans_exactly_one_page),
        T(test_flatbed_refuses_several_pages_duplex_and_legal),
        T(test_start_refuses_bad_parameters),
        T(test_a_jam_in_duplex_stops_at_the_sheet_after_both_sides_of_the_last),
        T(test_an_open_cover_is_found_when_the_sheet_is_fed),
        T(test_a_stall_counts_lines_across_both_sides_of_the_sheet),
        T(test_a_simplex_stall_hits_mid_page),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
