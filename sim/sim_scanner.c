/* Simulated scanner: procedural office-document test pages, line by line. */
#include "sim_scanner.h"

#include <string.h>

#include "scan_job.h" /* scan_job_pixels(): the one mm -> pixel rounding */

struct sim_rgb {
    uint8_t r, g, b;
};

/* One line being drawn: the page, its dpi, the row, the output. */
struct sim_row {
    const struct hal_scan_page *page;
    unsigned dpi;
    long y;
    uint8_t *out;
};

/* A text-like glyph: stems (bit 0 left, 1 middle, 2 right), which stems rise
 * to the ascender or drop to the descender, and bars (bit 0 at x-height,
 * 1 middle, 2 baseline). Enough to read as lines of text from afar. */
struct sim_glyph {
    uint8_t stems, tall, desc, bars, narrow;
};

static const struct sim_glyph sim_glyphs[] = {
    {5, 0, 0, 5, 0}, /* o */ {5, 0, 0, 1, 0}, /* n */ {5, 4, 0, 5, 0}, /* d */
    {1, 0, 0, 7, 0}, /* e */ {1, 1, 0, 0, 1}, /* l */ {5, 0, 1, 5, 0}, /* p */
    {7, 0, 0, 1, 0}, /* m */ {2, 0, 0, 0, 1}, /* i */ {1, 1, 0, 5, 0}, /* t */
    {4, 0, 0, 7, 0}, /* a */ {5, 1, 0, 1, 0}, /* h */ {5, 0, 0, 5, 0}, /* o again: common */
};
#define SIM_GLYPH_KINDS (sizeof(sim_glyphs) / sizeof(sim_glyphs[0]))

/* 7-segment digit masks, bit 0 = a (top) .. bit 6 = g (middle). */
static const uint8_t sim_segments[10] = {0x3f, 0x06, 0x5b, 0x4f, 0x66, 0x6d, 0x7d, 0x07, 0x7f, 0x6f};

static const struct sim_rgb sim_white = {255, 255, 255};
static const struct sim_rgb sim_ink = {25, 25, 30};
static const struct sim_rgb sim_black = {0, 0, 0};

static int sim_scanner_start(void *ctx, const struct hal_scan_params *p);
static int sim_scanner_next_page(void *ctx, struct hal_scan_page *page);
static int sim_scanner_read_band(void *ctx, uint8_t *buf, unsigned max_lines);
static void sim_scanner_stop(void *ctx);

static const struct hal_scanner_api sim_scanner_api = {
    .start = sim_scanner_start,
    .next_page = sim_scanner_next_page,
    .read_band = sim_scanner_read_band,
    .stop = sim_scanner_stop,
};

void sim_scanner_init(struct sim_scanner *s, const struct sim_scanner_cfg *cfg)
{
    memset(s, 0, sizeof(*s));
    if (cfg != NULL)
        s->cfg = *cfg;
}

void sim_scanner_hal(struct sim_scanner *s, struct hal_scanner *out)
{
    out->api = &sim_scanner_api;
    out->ctx = s;
}

/* ---- drawing primitives ---- */

/* Pixels for tenths of a millimetre at the row's dpi. */
static long sim_px(const struct sim_row *r, unsigned mm10)
{
    return (long)scan_job_pixels(mm10, r->dpi);
}

static void sim_span(const struct sim_row *r, long x0, long x1, struct sim_rgb c)
{
    long w = (long)r->page->width;

    if (x0 < 0)
        x0 = 0;
    if (x1 > w)
        x1 = w;
    if (r->page->components == 3) {
        for (long x = x0; x < x1; x++) {
            r->out[x * 3] = c.r;
            r->out[x * 3 + 1] = c.g;
            r->out[x * 3 + 2] = c.b;
        }
    } else if (x0 < x1) {
        /* ITU-R BT.601 luma, as a grey scanner would see the colours. */
        memset(r->out + x0, (77 * c.r + 150 * c.g + 29 * c.b + 128) >> 8, (size_t)(x1 - x0));
    }
}

static uint32_t sim_mix(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x != 0 ? x : 1;
}

static uint32_t sim_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* sin(2 pi t) by two parabolas: smooth enough for soft shapes, no libm. */
static float sim_sin(float t)
{
    t -= (float)(long)t;
    if (t < 0)
        t += 1.0f;
    if (t < 0.5f)
        return 8.0f * t * (1.0f - 2.0f * t);
    t -= 0.5f;
    return -8.0f * t * (1.0f - 2.0f * t);
}

static uint8_t sim_lerp(uint8_t a, uint8_t b, float f)
{
    if (f < 0)
        f = 0;
    if (f > 1)
        f = 1;
    return (uint8_t)(a + (b - a) * f + 0.5f);
}

static struct sim_rgb sim_blend(struct sim_rgb a, struct sim_rgb b, float f)
{
    struct sim_rgb c = {sim_lerp(a.r, b.r, f), sim_lerp(a.g, b.g, f), sim_lerp(a.b, b.b, f)};
    return c;
}

/* ---- page elements; each draws only its part of row r->y ---- */

/* One line of glyphs from x0 to x1 whose ascender top is at `top`. The
 * glyph sequence depends on the seed only, never on the row. scale is in
 * tenths (10 = body text). A short line ends a paragraph. */
static void sim_text_line(const struct sim_row *r, long top, long x0, long x1, uint32_t seed,
                          unsigned scale, struct sim_rgb c, int short_line)
{
    long asc = sim_px(r, 32 * scale / 10), xh = sim_px(r, 22 * scale / 10);
    long desc = sim_px(r, 9 * scale / 10), stroke = sim_px(r, 3 * scale / 10);
    long rel = r->y - top, xh_top = asc - xh, mid = (xh_top + asc) / 2;
    long pos = x0, end = x1;
    uint32_t rng = sim_mix(seed);

    if (rel < 0 || rel >= asc + desc)
        return;
    if (stroke < 1)
        stroke = 1;
    if (short_line)
        end = x0 + (x1 - x0) * (long)(30 + sim_rand(&rng) % 50) / 100;

    for (;;) {
        unsigned word = 1 + sim_rand(&rng) % 9;
        for (unsigned i = 0; i < word; i++) {
            const struct sim_glyph *g = &sim_glyphs[sim_rand(&rng) % SIM_GLYPH_KINDS];
            long gw = g->narrow ? sim_px(r, 7 * scale / 10)
                                : sim_px(r, (12 + sim_rand(&rng) % 9) * scale / 10);
            long stem_x[3] = {pos, pos + gw / 2 - stroke / 2, pos + gw - stroke};
            int in_xh = rel >= xh_top && rel < asc;
            int bar = ((g->bars & 1) && rel >= xh_top && rel < xh_top + stroke) ||
                      ((g->bars & 2) && rel >= mid - stroke / 2 && rel < mid - stroke / 2 + stroke) ||
                      ((g->bars & 4) && rel >= asc - stroke && rel < asc);

            if (pos + gw > end)
                return;
            if (bar) {
                sim_span(r, pos, pos + gw, c);
            } else {
                for (unsigned s = 0; s < 3; s++) {
                    unsigned bit = 1u << s;
                    int on = (g->stems & bit) &&
                             (in_xh || ((g->tall & bit) && rel < asc) ||
                              ((g->desc & bit) && rel >= xh_top));
                    if (on)
                        sim_span(r, stem_x[s], stem_x[s] + stroke, c);
                }
            }
            pos += gw + sim_px(r, 5 * scale / 10);
        }
        pos += sim_px(r, 18 * scale / 10);
    }
}

/* A block of body text between y0 and y1 (mm10): paragraphs of five lines,
 * the fifth short, then a blank line. */
static void sim_text_block(const struct sim_row *r, unsigned y0, unsigned y1, long x0, long x1,
                           uint32_t block_id)
{
    long pitch = sim_px(r, 55), top0 = sim_px(r, y0), k;

    if (r->y < top0 || r->y >= sim_px(r, y1))
        return;
    k = (r->y - top0) / pitch;
    if (k % 6 == 5 || top0 + k * pitch + sim_px(r, 41) > sim_px(r, y1))
        return;
    sim_text_line(r, top0 + k * pitch, x0, x1,
                  block_id * 7919u + (uint32_t)k * 104729u + r->page->index * 15485863u, 10,
                  sim_ink, k % 6 == 4);
}

static void sim_header(const struct sim_row *r, long left, long right)
{
    static const struct sim_rgb bar = {30, 80, 160}, logo = {240, 140, 20};
    static const struct sim_rgb title = {255, 255, 255};
    long top = sim_px(r, 120), bottom = sim_px(r, 320);
    long cx = left + sim_px(r, 100), cy = sim_px(r, 220), rad = sim_px(r, 70);
    long dy = r->y - cy;

    if (r->y < top || r->y >= bottom)
        return;
    sim_span(r, left, right, bar);
    if (dy * dy < rad * rad) {
        long dx = 0;
        while ((dx + 1) * (dx + 1) + dy * dy < rad * rad)
            dx++;
        sim_span(r, cx - dx, cx + dx + 1, logo);
    }
    sim_text_line(r, sim_px(r, 160), left + sim_px(r, 250), left + sim_px(r, 1100), 0xC0FFEEu, 22,
                  title, 0);
}

/* The page number (from 1) as 7-segment digits, right-aligned. */
static void sim_page_number(const struct sim_row *r, long right)
{
    static const struct sim_rgb red = {170, 20, 30};
    long top = sim_px(r, 380), dh = sim_px(r, 260), dw = sim_px(r, 150);
    long s = sim_px(r, 35), gap = sim_px(r, 50), rel = r->y - top;
    unsigned n = r->page->index + 1, digits[10], count = 0;
    long x;

    if (rel < 0 || rel >= dh)
        return;
    do {
        digits[count++] = n % 10;
        n /= 10;
    } while (n > 0);
    x = right - (long)count * (dw + gap) + gap;
    for (unsigned i = count; i-- > 0; x += dw + gap) {
        uint8_t seg = sim_segments[digits[i]];
        int upper = rel < dh / 2;
        if (((seg & 0x01) && rel < s) || ((seg & 0x08) && rel >= dh - s) ||
            ((seg & 0x40) && rel >= dh / 2 - s / 2 && rel < dh / 2 - s / 2 + s)) {
            sim_span(r, x, x + dw, red);
            continue;
        }
        if ((seg & 0x20 && upper) || (seg & 0x10 && !upper)) /* f, e: left */
            sim_span(r, x, x + s, red);
        if ((seg & 0x02 && upper) || (seg & 0x04 && !upper)) /* b, c: right */
            sim_span(r, x + dw - s, x + dw, red);
    }
}

/* A landscape: sky, a sun that moves with the page, two ranges of hills. */
static void sim_photo(const struct sim_row *r, long x0, long x1)
{
    static const struct sim_rgb sky_top = {70, 130, 210}, sky_low = {200, 225, 245};
    static const struct sim_rgb sun = {255, 225, 110};
    static const struct sim_rgb far_top = {110, 160, 80}, far_low = {70, 120, 55};
    static const struct sim_rgb near_top = {60, 120, 45}, near_low = {30, 70, 25};
    long top = sim_px(r, 1450), bottom = sim_px(r, 2150);
    float h = (float)(bottom - top), w = (float)(x1 - x0);
    float v = (float)(r->y - top) / h, phase = (float)r->page->index * 0.37f;
    float sun_u = 0.2f + 0.6f * (phase - (float)(long)phase), sun_v = 0.22f, rad = 0.09f;

    if (r->y < top || r->y >= bottom)
        return;
    for (long x = x0; x < x1; x++) {
        float u = (float)(x - x0) / w;
        float far = 0.5f + 0.08f * sim_sin(u * 1.3f + phase) + 0.04f * sim_sin(u * 3.7f + 0.5f);
        float near = 0.72f + 0.06f * sim_sin(u * 2.1f + phase * 2.0f + 0.25f);
        float du = u - sun_u, dv = (v - sun_v) * h / w, d2 = du * du + dv * dv;
        struct sim_rgb c;

        if (v >= near) {
            c = sim_blend(near_top, near_low, (v - near) / (1.0f - near));
        } else if (v >= far) {
            c = sim_blend(far_top, far_low, (v - far) / (near - far));
        } else {
            c = sim_blend(sky_top, sky_low, v / far);
            if (d2 < rad * rad * 1.8f)
                c = sim_blend(sun, c, (d2 - rad * rad) / (rad * rad * 0.8f));
        }
        sim_span(r, x, x + 1, c);
    }
}

/* 16 grey steps above a continuous ramp, framed. */
static void sim_grey_ramp(const struct sim_row *r, long left, long right)
{
    long top = sim_px(r, 2230), bottom = sim_px(r, 2400), mid = (top + bottom) / 2;
    long w = right - left;

    if (r->y < top || r->y >= bottom)
        return;
    if (r->y == top || r->y == bottom - 1) {
        sim_span(r, left, right, sim_black);
        return;
    }
    for (long x = left; x < right; x++) {
        uint8_t g = r->y < mid ? (uint8_t)(((x - left) * 16 / w) * 17)
                               : (uint8_t)((x - left) * 255 / (w - 1));
        struct sim_rgb c = {g, g, g};
        sim_span(r, x, x + 1, c);
    }
    sim_span(r, left, left + 1, sim_black);
    sim_span(r, right - 1, right, sim_black);
}

/* Resolution targets: vertical line groups 1..4 px wide with a diagonal,
 * horizontal line groups below; colour patches to the right. */
static void sim_fine_lines(const struct sim_row *r, long left, long right)
{
    static const struct sim_rgb patches[7] = {{220, 30, 30},  {30, 170, 60},  {30, 60, 200},
                                              {0, 170, 220},  {210, 40, 150}, {250, 220, 0},
                                              {20, 20, 20}};
    long top = sim_px(r, 2450), bottom = sim_px(r, 2650), mid = (top + bottom) / 2;
    long x1 = left + sim_px(r, 1200), px0 = left + sim_px(r, 1300), pw = (right - px0) / 7;

    if (r->y < top || r->y >= bottom)
        return;
    for (unsigned i = 0; i < 7; i++)
        sim_span(r, px0 + (long)i * pw, px0 + (long)(i + 1) * pw - sim_px(r, 20), patches[i]);
    if (r->y < mid) {
        long x = left;
        for (long k = 1; k <= 4; k++) {
            for (int i = 0; i < 8; i++, x += 2 * k)
                sim_span(r, x, x + k, sim_black);
            x += sim_px(r, 40);
        }
        x = x + (r->y - top);
        sim_span(r, x, x + 3, sim_black);
        x = x1 - (r->y - top);
        sim_span(r, x - 3, x, sim_black);
    } else {
        long rel = r->y - mid, k = 1 + rel * 4 / (bottom - mid);
        if (rel % (2 * k) < k)
            sim_span(r, left, x1, sim_black);
    }
}

void sim_scanner_render_line(const struct hal_scan_page *page, unsigned dpi, unsigned y,
                             uint8_t *out)
{
    static const struct sim_rgb rule = {150, 150, 150};
    struct sim_row r = {page, dpi, (long)y, out};
    long w = (long)page->width, left = sim_px(&r, 150), right = w - sim_px(&r, 150);

    sim_span(&r, 0, w, sim_white);
    sim_header(&r, left, right);
    sim_text_block(&r, 380, 640, left, w / 2, 1); /* address block */
    sim_page_number(&r, right);
    sim_text_block(&r, 700, 1380, left, right, 2);
    sim_photo(&r, left, left + sim_px(&r, 1050));
    sim_text_block(&r, 1450, 2150, left + sim_px(&r, 1120), right, 3);
    sim_grey_ramp(&r, left, right);
    sim_fine_lines(&r, left, right);
    sim_text_block(&r, 2720, 2850, left, right, 4);
    if (r.y >= sim_px(&r, 2880) && r.y < sim_px(&r, 2880) + sim_px(&r, 3))
        sim_span(&r, left, right, rule);
}

/* ---- HAL backend ---- */

static int sim_scanner_start(void *ctx, const struct hal_scan_params *p)
{
    struct sim_scanner *s = ctx;

    if (p == NULL || p->dpi < 75 || p->dpi > 600 || p->width_mm10 == 0 || p->height_mm10 == 0 ||
        (p->color != HAL_SCAN_COLOR && p->color != HAL_SCAN_GREY) ||
        scan_job_pixels(p->width_mm10, p->dpi) > 65500 ||
        scan_job_pixels(p->height_mm10, p->dpi) > 65500)
        return HAL_SCAN_ERR_BAD_ARG;
    s->params = *p;
    s->armed = 1;
    s->fed = 0;
    s->page_open = 0;
    return 0;
}

static int sim_scanner_next_page(void *ctx, struct hal_scan_page *page)
{
    struct sim_scanner *s = ctx;
    unsigned sheet = s->fed + 1;

    if (!s->armed || page == NULL)
        return HAL_SCAN_ERR_BAD_ARG;
    s->page_open = 0;
    if (s->fed >= s->params.pages)
        return HAL_SCAN_NO_MORE_PAGES;
    /* A jammed sheet stays jammed: every later feed fails the same way. */
    if (s->cfg.jam_at_page == sheet)
        return HAL_SCAN_ERR_JAM;
    if (s->cfg.cover_open_at_page == sheet)
        return HAL_SCAN_ERR_COVER_OPEN;
    s->page.width = scan_job_pixels(s->params.width_mm10, s->params.dpi);
    s->page.height = scan_job_pixels(s->params.height_mm10, s->params.dpi);
    s->page.components = s->params.color == HAL_SCAN_GREY ? 1 : 3;
    s->page.index = s->fed;
    s->fed++;
    s->line = 0;
    s->page_open = 1;
    *page = s->page;
    return 0;
}

static int sim_scanner_read_band(void *ctx, uint8_t *buf, unsigned max_lines)
{
    struct sim_scanner *s = ctx;
    size_t row = (size_t)s->page.width * s->page.components;
    unsigned n;

    if (!s->armed || !s->page_open || (buf == NULL && max_lines > 0))
        return HAL_SCAN_ERR_BAD_ARG;
    n = s->page.height - s->line;
    if (n > max_lines)
        n = max_lines;
    if (s->cfg.stall_at_page == s->page.index + 1) {
        if (s->line >= s->cfg.stall_at_line)
            return HAL_SCAN_ERR_STALLED;
        if (n > s->cfg.stall_at_line - s->line)
            n = s->cfg.stall_at_line - s->line;
    }
    for (unsigned i = 0; i < n; i++)
        sim_scanner_render_line(&s->page, s->params.dpi, s->line + i, buf + i * row);
    s->line += n;
    return (int)n;
}

static void sim_scanner_stop(void *ctx)
{
    struct sim_scanner *s = ctx;

    s->armed = 0;
    s->page_open = 0;
}
