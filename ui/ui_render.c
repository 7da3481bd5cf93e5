/* The renderer: widgets of the layout drawn into dirty areas, band by band,
 * through the display HAL. Every primitive takes a clip rectangle (the band
 * intersected with the widget), so nothing a widget draws leaves it. */
#include <string.h>

#include "ui_font.h"
#include "ui_render.h"

#define RGB(r, g, b) ((uint16_t)((((r) & 0xF8) << 8) | (((g) & 0xFC) << 3) | ((b) >> 3)))

/* Palette. */
#define C_BG RGB(0xF2, 0xF4, 0xF7)
#define C_HEADER RGB(0x1B, 0x36, 0x5D)
#define C_HEADER_BTN RGB(0x2C, 0x4C, 0x7A)
#define C_FOOTER RGB(0xE6, 0xEA, 0xEF)
#define C_LINE RGB(0xC9, 0xD1, 0xDA)
#define C_TEXT RGB(0x1E, 0x29, 0x33)
#define C_MUTED RGB(0x62, 0x6F, 0x7C)
#define C_HINT RGB(0x8E, 0x99, 0xA5)
#define C_WHITE RGB(0xFF, 0xFF, 0xFF)
#define C_BORDER RGB(0xA9, 0xB4, 0xC0)
#define C_BLUE RGB(0x1E, 0x6B, 0xD0)
#define C_BLUE_LIGHT RGB(0xE1, 0xEE, 0xFC)
#define C_GREEN RGB(0x2E, 0x8B, 0x3E)
#define C_RED RGB(0xC6, 0x28, 0x28)
#define C_AMBER RGB(0xF5, 0xB0, 0x1E)
#define C_TEAL RGB(0x00, 0x7E, 0x74)
#define C_KEY_SPECIAL RGB(0xD5, 0xDC, 0xE4)
#define C_SHADOW RGB(0xA4, 0xAE, 0xB9)
#define C_DISABLED RGB(0xE4, 0xE8, 0xEC)
#define C_TRACK RGB(0xDD, 0xE3, 0xE9)
#define C_THUMB RGB(0x85, 0x93, 0xA3)

#define UI_CP_ELLIPSIS 0x2026u
#define UI_CP_BULLET 0x2022u

/* A band being drawn: buf holds the rectangle b (screen coordinates). */
typedef struct {
    uint16_t *buf;
    ui_area_t b;
    int pitch;
} ui_ctx_t;

static void ui_r_add(ui_render_t *r, ui_area_t a);
static void ui_r_draw_area(ui_render_t *r, ui_area_t a, int *err);
static void ui_r_widget(ui_ctx_t *c, const ui_widget_t *w, ui_area_t clip);
static int ui_intersect(ui_area_t *out, ui_area_t a, ui_area_t b);
static ui_area_t ui_wrect(const ui_widget_t *w);
static uint32_t ui_whash(const ui_widget_t *w);

/* Was the last frame's widget j drawn at w's place with w's look? */
static int ui_r_same(const ui_render_t *r, size_t j, const ui_widget_t *w, uint32_t hash)
{
    return r->prev[j].hash == hash && r->prev[j].x == w->x && r->prev[j].y == w->y && r->prev[j].w == w->w &&
           r->prev[j].h == w->h;
}

/* ------------------------------------------------------------------ API */

int ui_render_init(ui_render_t *r, const struct hal_display *display, uint16_t *buf, size_t buf_px)
{
    struct hal_display_caps caps;

    if (r == NULL || display == NULL || buf == NULL || buf_px < UI_DRAW_BUF_MIN)
        return UI_RENDER_ERR_BAD_ARG;
    hal_display_get_caps(display, &caps);
    if (caps.width != UI_SCREEN_W || caps.height != UI_SCREEN_H || caps.format != HAL_DISPLAY_RGB565)
        return UI_RENDER_ERR_BAD_ARG;
    memset(r, 0, sizeof(*r));
    r->display = display;
    r->buf = buf;
    r->buf_px = buf_px;
    r->full = 1;
    return 0;
}

void ui_render_free(ui_render_t *r)
{
    if (r != NULL)
        memset(r, 0, sizeof(*r));
}

void ui_render_invalidate_all(ui_render_t *r) { r->full = 1; }

void ui_render_invalidate(ui_render_t *r, ui_area_t a)
{
    ui_area_t screen = {0, 0, UI_SCREEN_W - 1, UI_SCREEN_H - 1};

    if (ui_intersect(&a, a, screen))
        ui_r_add(r, a);
}

int ui_render_frame(ui_render_t *r, const ui_model_t *m)
{
    ui_layout_t *l = &r->layout;
    uint32_t hash[UI_WIDGETS_MAX];
    int err = 0;

    ui_layout_build(l, m);
    for (size_t i = 0; i < l->count; i++)
        hash[i] = ui_whash(&l->w[i]);
    if (r->full) {
        r->dirty_count = 0;
        ui_render_invalidate(r, (ui_area_t){0, 0, UI_SCREEN_W - 1, UI_SCREEN_H - 1});
        r->full = 0;
    } else {
        /* A widget is unchanged when the last frame had one of the same
         * place and hash; anything else invalidates its rectangle, and a
         * widget that disappeared invalidates where it was. */
        for (size_t i = 0; i < l->count; i++) {
            const ui_widget_t *w = &l->w[i];
            size_t j;

            for (j = 0; j < r->prev_count; j++)
                if (ui_r_same(r, j, w, hash[i]))
                    break;
            if (j == r->prev_count)
                ui_render_invalidate(r, ui_wrect(w));
        }
        for (size_t j = 0; j < r->prev_count; j++) {
            size_t i;

            for (i = 0; i < l->count; i++)
                if (ui_r_same(r, j, &l->w[i], hash[i]))
                    break;
            if (i == l->count)
                ui_render_invalidate(r, r->prev[j].area); /* with its shadow */
        }
    }
    for (size_t i = 0; i < l->count; i++) {
        r->prev[i].x = l->w[i].x;
        r->prev[i].y = l->w[i].y;
        r->prev[i].w = l->w[i].w;
        r->prev[i].h = l->w[i].h;
        r->prev[i].area = ui_wrect(&l->w[i]);
        r->prev[i].hash = hash[i];
    }
    r->prev_count = l->count;
    r->stats.pixels = 0;
    r->stats.areas = (uint32_t)r->dirty_count;
    for (size_t i = 0; i < r->dirty_count && err == 0; i++)
        ui_r_draw_area(r, r->dirty[i], &err);
    r->dirty_count = 0;
    r->stats.frames++;
    r->stats.pixels_total += r->stats.pixels;
    if (err != 0)
        r->full = 1; /* the panel missed part of a frame: redraw it all */
    return err;
}

/* ------------------------------------------------------- dirty areas */

static uint32_t ui_area_px(ui_area_t a) { return (uint32_t)(a.x1 - a.x0 + 1) * (uint32_t)(a.y1 - a.y0 + 1); }

static ui_area_t ui_union(ui_area_t a, ui_area_t b)
{
    ui_area_t u = a;

    if (b.x0 < u.x0) u.x0 = b.x0;
    if (b.y0 < u.y0) u.y0 = b.y0;
    if (b.x1 > u.x1) u.x1 = b.x1;
    if (b.y1 > u.y1) u.y1 = b.y1;
    return u;
}

static int ui_intersect(ui_area_t *out, ui_area_t a, ui_area_t b)
{
    out->x0 = a.x0 > b.x0 ? a.x0 : b.x0;
    out->y0 = a.y0 > b.y0 ? a.y0 : b.y0;
    out->x1 = a.x1 < b.x1 ? a.x1 : b.x1;
    out->y1 = a.y1 < b.y1 ? a.y1 : b.y1;
    return out->x0 <= out->x1 && out->y0 <= out->y1;
}

/* Adds an area: dropped when an area already covers it; joined with an
 * area when their union costs no more than the two apart (LVGL's join);
 * when the list is full, merged into the area it grows least. */
static void ui_r_add(ui_render_t *r, ui_area_t a)
{
    size_t best = 0;
    uint32_t best_growth = UINT32_MAX;

    for (size_t i = 0; i < r->dirty_count; i++) {
        ui_area_t u = ui_union(r->dirty[i], a);

        if (ui_area_px(u) <= ui_area_px(r->dirty[i]) + ui_area_px(a)) {
            /* Take it out and add the union: it may now join others. */
            r->dirty[i] = r->dirty[--r->dirty_count];
            ui_r_add(r, u);
            return;
        }
        if (ui_area_px(u) - ui_area_px(r->dirty[i]) < best_growth) {
            best_growth = ui_area_px(u) - ui_area_px(r->dirty[i]);
            best = i;
        }
    }
    if (r->dirty_count < UI_DIRTY_MAX) {
        r->dirty[r->dirty_count++] = a;
        return;
    }
    a = ui_union(r->dirty[best], a);
    r->dirty[best] = r->dirty[--r->dirty_count];
    ui_r_add(r, a);
}

/* ------------------------------------------------------ pixel primitives */

static uint16_t ui_blend(uint16_t bg, uint16_t fg, unsigned a /* 0..255 */)
{
    unsigned rb = bg >> 11, gb = (bg >> 5) & 63u, bb = bg & 31u;
    unsigned rf = fg >> 11, gf = (fg >> 5) & 63u, bf = fg & 31u;

    rb = (rf * a + rb * (255u - a) + 127u) / 255u;
    gb = (gf * a + gb * (255u - a) + 127u) / 255u;
    bb = (bf * a + bb * (255u - a) + 127u) / 255u;
    return (uint16_t)(rb << 11 | gb << 5 | bb);
}

static void ui_fill(ui_ctx_t *c, ui_area_t clip, int x, int y, int w, int h, uint16_t color)
{
    ui_area_t a;

    if (w <= 0 || h <= 0 || !ui_intersect(&a, clip, (ui_area_t){(int16_t)x, (int16_t)y, (int16_t)(x + w - 1), (int16_t)(y + h - 1)}))
        return;
    for (int yy = a.y0; yy <= a.y1; yy++) {
        uint16_t *p = c->buf + (yy - c->b.y0) * c->pitch + (a.x0 - c->b.x0);

        for (int xx = a.x0; xx <= a.x1; xx++)
            *p++ = color;
    }
}

/* A filled rectangle with anti-aliased round corners of radius rad. The
 * coverage of a corner pixel is approximated from its squared distance to
 * the corner's centre, in half-pixel units (no square root, no float). */
static void ui_rrect(ui_ctx_t *c, ui_area_t clip, int x, int y, int w, int h, int rad, uint16_t color)
{
    ui_area_t a;
    int outer, inner;

    if (w <= 0 || h <= 0)
        return;
    if (rad * 2 > w) rad = w / 2;
    if (rad * 2 > h) rad = h / 2;
    if (rad <= 0) {
        ui_fill(c, clip, x, y, w, h, color);
        return;
    }
    if (!ui_intersect(&a, clip, (ui_area_t){(int16_t)x, (int16_t)y, (int16_t)(x + w - 1), (int16_t)(y + h - 1)}))
        return;
    outer = (2 * rad + 1) * (2 * rad + 1);
    inner = (2 * rad - 1) * (2 * rad - 1);
    for (int yy = a.y0; yy <= a.y1; yy++) {
        uint16_t *p = c->buf + (yy - c->b.y0) * c->pitch + (a.x0 - c->b.x0);
        int cy2 = yy < y + rad ? 2 * (y + rad) : yy >= y + h - rad ? 2 * (y + h - rad) : -1;

        for (int xx = a.x0; xx <= a.x1; xx++, p++) {
            int cx2 = xx < x + rad ? 2 * (x + rad) : xx >= x + w - rad ? 2 * (x + w - rad) : -1;
            int d2;

            if (cx2 < 0 || cy2 < 0) {
                *p = color;
                continue;
            }
            d2 = (2 * xx + 1 - cx2) * (2 * xx + 1 - cx2) + (2 * yy + 1 - cy2) * (2 * yy + 1 - cy2);
            if (d2 <= inner)
                *p = color;
            else if (d2 < outer)
                *p = ui_blend(*p, color, (unsigned)(255 * (outer - d2) / (outer - inner)));
        }
    }
}

/* A round rectangle with a border of t pixels. */
static void ui_box(ui_ctx_t *c, ui_area_t clip, int x, int y, int w, int h, int rad, int t, uint16_t border,
                   uint16_t fill)
{
    if (t > 0) {
        ui_rrect(c, clip, x, y, w, h, rad, border);
        ui_rrect(c, clip, x + t, y + t, w - 2 * t, h - 2 * t, rad > t ? rad - t : 0, fill);
    } else {
        ui_rrect(c, clip, x, y, w, h, rad, fill);
    }
}

/* A line of width 2*hw2/2 from (x0,y0) to (x1,y1), coordinates in pixels:
 * coverage from the squared distance of each pixel centre to the segment.
 * Used only for small icons. */
static void ui_line(ui_ctx_t *c, ui_area_t clip, int x0, int y0, int x1, int y1, int thick, uint16_t color)
{
    ui_area_t a, box = {(int16_t)((x0 < x1 ? x0 : x1) - thick), (int16_t)((y0 < y1 ? y0 : y1) - thick),
                        (int16_t)((x0 > x1 ? x0 : x1) + thick), (int16_t)((y0 > y1 ? y0 : y1) + thick)};
    long dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
    long in = (long)thick * thick, out = (long)(thick + 1) * (thick + 1); /* in quarter units */

    if (!ui_intersect(&a, clip, box))
        return;
    for (int yy = a.y0; yy <= a.y1; yy++)
        for (int xx = a.x0; xx <= a.x1; xx++) {
            /* Distance squared times 4 (half-pixel centres). */
            long px = 2 * xx + 1 - 2 * x0, py = 2 * yy + 1 - 2 * y0, t = px * 2 * dx + py * 2 * dy;
            long qx, qy, d2;
            uint16_t *p = c->buf + (yy - c->b.y0) * c->pitch + (xx - c->b.x0);

            if (len2 == 0 || t <= 0) {
                qx = px, qy = py;
            } else if (t >= 4 * len2) {
                qx = px - 2 * dx, qy = py - 2 * dy;
            } else {
                qx = px - (2 * dx * t) / (4 * len2);
                qy = py - (2 * dy * t) / (4 * len2);
            }
            d2 = qx * qx + qy * qy;
            if (d2 <= in)
                *p = color;
            else if (d2 < out)
                *p = ui_blend(*p, color, (unsigned)(255 * (out - d2) / (out - in)));
        }
}

/* ----------------------------------------------------------------- text */

static int ui_cp_adv(const ui_font_t *f, uint32_t cp) { return ui_font_glyph(f, cp)->adv; }

static int ui_glyph(ui_ctx_t *c, ui_area_t clip, const ui_font_t *f, uint32_t cp, int x, int base, uint16_t color)
{
    const ui_glyph_t *g = ui_font_glyph(f, cp);
    int gx = x + g->left, gy = base - g->top, stride = (g->width + 1) / 2;
    ui_area_t a;

    if (g->width > 0 &&
        ui_intersect(&a, clip, (ui_area_t){(int16_t)gx, (int16_t)gy, (int16_t)(gx + g->width - 1), (int16_t)(gy + g->rows - 1)}))
        for (int yy = a.y0; yy <= a.y1; yy++) {
            const uint8_t *row = f->alpha + g->offset + (size_t)(yy - gy) * (size_t)stride;
            uint16_t *p = c->buf + (yy - c->b.y0) * c->pitch + (a.x0 - c->b.x0);

            for (int xx = a.x0; xx <= a.x1; xx++, p++) {
                int col = xx - gx;
                unsigned v = (row[col / 2] >> (col & 1 ? 0 : 4)) & 15u;

                if (v == 15)
                    *p = color;
                else if (v != 0)
                    *p = ui_blend(*p, color, v * 17u);
            }
        }
    return g->adv;
}

/* Draws text[0..len) (bullets when masked) from x; returns the pen. */
static int ui_run(ui_ctx_t *c, ui_area_t clip, const ui_font_t *f, const char *s, size_t len, int mask, int x,
                  int base, uint16_t color)
{
    for (size_t i = 0; i < len;) {
        uint32_t cp;

        i += ui_utf8_decode(s + i, len - i, &cp);
        if (x > clip.x1)
            break;
        x += ui_glyph(c, clip, f, mask ? UI_CP_BULLET : cp, x, base, color);
    }
    return x;
}

static int ui_run_width(const ui_font_t *f, const char *s, size_t len, int mask)
{
    int w = 0;

    for (size_t i = 0; i < len;) {
        uint32_t cp;

        i += ui_utf8_decode(s + i, len - i, &cp);
        w += ui_cp_adv(f, mask ? UI_CP_BULLET : cp);
    }
    return w;
}

int ui_text_width(uint8_t font, const char *text, size_t len)
{
    return ui_run_width(&ui_font_table[font < UI_FONT_COUNT ? font : 0], text, len, 0);
}

/* Bytes of s that fit in avail pixels. */
static size_t ui_fit(const ui_font_t *f, const char *s, size_t len, int mask, int avail)
{
    size_t i = 0;
    int w = 0;

    while (i < len) {
        uint32_t cp;
        unsigned n = ui_utf8_decode(s + i, len - i, &cp);
        int adv = ui_cp_adv(f, mask ? UI_CP_BULLET : cp);

        if (w + adv > avail)
            break;
        w += adv;
        i += n;
    }
    return i;
}

/* Start of the shortest tail of s that fits in avail pixels. */
static size_t ui_fit_tail(const ui_font_t *f, const char *s, size_t len, int mask, int avail)
{
    size_t start = len;
    int w = 0;

    while (start > 0) {
        size_t p = start - 1;
        uint32_t cp;

        while (p > 0 && ((unsigned char)s[p] & 0xC0u) == 0x80u)
            p--;
        int adv;

        ui_utf8_decode(s + p, len - p, &cp);
        adv = ui_cp_adv(f, mask ? UI_CP_BULLET : cp);
        if (w + adv > avail)
            break;
        w += adv;
        start = p;
    }
    return start;
}

static int ui_baseline(const ui_font_t *f, int y, int h)
{
    int cap = ui_font_glyph(f, 'H')->top;

    return y + (h + cap) / 2;
}

/* One line of text in [x, x+w): ellipsised at the end ("…") when too wide,
 * or at the start when tail is set; aligned by flags. Returns the pen. */
static int ui_text_line(ui_ctx_t *c, ui_area_t clip, const ui_font_t *f, const char *s, size_t len, int mask,
                        int tail, unsigned flags, int x, int w, int base, uint16_t color)
{
    int tw = ui_run_width(f, s, len, mask), ell = ui_cp_adv(f, UI_CP_ELLIPSIS);

    if (tw <= w) {
        if (flags & UI_WF_CENTER)
            x += (w - tw) / 2;
        else if (flags & UI_WF_RIGHT)
            x += w - tw;
        return ui_run(c, clip, f, s, len, mask, x, base, color);
    }
    if (tail) {
        size_t start = ui_fit_tail(f, s, len, mask, w - ell);

        x += ui_glyph(c, clip, f, UI_CP_ELLIPSIS, x, base, color);
        return ui_run(c, clip, f, s + start, len - start, mask, x, base, color);
    }
    x = ui_run(c, clip, f, s, ui_fit(f, s, len, mask, w - ell), mask, x, base, color);
    return x + ui_glyph(c, clip, f, UI_CP_ELLIPSIS, x, base, color);
}

/* Word-wrapped text in a box; the last line that fits is ellipsised. */
static void ui_text_wrap(ui_ctx_t *c, ui_area_t clip, const ui_font_t *f, const char *s, int x, int y, int w, int h,
                         unsigned flags, uint16_t color)
{
    int line_h = f->ascent + f->descent + 4, lines = h / line_h;
    size_t len = strlen(s), i = 0;

    for (int n = 0; n < lines && i < len; n++) {
        size_t fit = ui_fit(f, s + i, len - i, 0, w), cut = fit;
        int base = y + n * line_h + f->ascent;

        if (i + fit < len) {
            if (n == lines - 1) {
                ui_text_line(c, clip, f, s + i, len - i, 0, 0, flags, x, w, base, color);
                return;
            }
            while (cut > 0 && s[i + cut] != ' ')
                cut--;
            if (cut == 0)
                cut = fit;
        }
        ui_text_line(c, clip, f, s + i, cut, 0, 0, flags, x, w, base, color);
        i += cut;
        while (i < len && s[i] == ' ')
            i++;
    }
}

/* --------------------------------------------------------------- icons */

static void ui_icon(ui_ctx_t *c, ui_area_t clip, ui_icon_t icon, int x, int y, int w, int h, uint16_t fg, uint16_t bg)
{
    switch (icon) {
    case UI_ICON_MAIL:
        ui_rrect(c, clip, x, y, w, h, 6, fg);
        ui_line(c, clip, x + 6, y + 8, x + w / 2, y + h / 2 + 4, 3, bg);
        ui_line(c, clip, x + w - 7, y + 8, x + w / 2, y + h / 2 + 4, 3, bg);
        break;
    case UI_ICON_GEAR: {
        /* Eight teeth around a ring: offsets of cos/sin(k * 45 deg) * 26. */
        static const int8_t tx[8] = {26, 18, 0, -18, -26, -18, 0, 18}, ty[8] = {0, 18, 26, 18, 0, -18, -26, -18};
        int cx = x + w / 2, cy = y + h / 2;

        for (int k = 0; k < 8; k++)
            ui_line(c, clip, cx, cy, cx + tx[k], cy + ty[k], 5, fg);
        ui_rrect(c, clip, cx - 22, cy - 22, 44, 44, 22, fg);
        ui_rrect(c, clip, cx - 9, cy - 9, 18, 18, 9, bg);
        break;
    }
    case UI_ICON_BOOK: {
        int bx = x + w / 2 - 11, by = y + h / 2 - 13;

        ui_rrect(c, clip, bx, by, 22, 26, 3, fg);
        ui_fill(c, clip, bx + 5, by + 3, 2, 20, bg);
        ui_fill(c, clip, bx + 9, by + 7, 9, 2, bg);
        ui_fill(c, clip, bx + 9, by + 12, 9, 2, bg);
        break;
    }
    case UI_ICON_OK:
        ui_rrect(c, clip, x, y, w, h, w / 2, C_GREEN);
        ui_line(c, clip, x + w / 4, y + h / 2, x + w * 5 / 12, y + h * 2 / 3, 3, C_WHITE);
        ui_line(c, clip, x + w * 5 / 12, y + h * 2 / 3, x + w * 3 / 4, y + h / 3, 3, C_WHITE);
        break;
    default:
        ui_rrect(c, clip, x, y, w, h, w / 2, C_AMBER);
        ui_fill(c, clip, x + w / 2 - 3, y + h / 5, 6, h / 2, C_TEXT);
        ui_fill(c, clip, x + w / 2 - 3, y + h * 4 / 5 - 4, 6, 6, C_TEXT);
        break;
    }
}

/* -------------------------------------------------------------- widgets */

static void ui_button_colors(const ui_widget_t *w, uint16_t *fill, uint16_t *text, uint16_t *border)
{
    *border = 0;
    *text = C_WHITE;
    switch (w->style) {
    case UI_ST_PRIMARY: *fill = C_BLUE; break;
    case UI_ST_GO: *fill = C_GREEN; break;
    case UI_ST_DANGER: *fill = C_RED; break;
    case UI_ST_HEADER: *fill = C_HEADER_BTN; break;
    case UI_ST_TILE: *fill = C_BLUE; break;
    case UI_ST_TILE2: *fill = C_TEAL; break;
    case UI_ST_WARN: *fill = C_AMBER; *text = C_TEXT; break;
    case UI_ST_SPECIAL: *fill = C_KEY_SPECIAL; *text = C_TEXT; break;
    default: *fill = C_WHITE; *text = C_TEXT; *border = C_BORDER; break;
    }
    if (w->flags & UI_WF_CHECKED) {
        *fill = C_BLUE;
        *text = C_WHITE;
        *border = 0;
    }
    if (w->flags & UI_WF_DISABLED) {
        *fill = C_DISABLED;
        *text = C_HINT;
        *border = 0;
    }
}

static uint16_t ui_text_color(uint8_t style)
{
    switch (style) {
    case UI_ST_MUTED: return C_MUTED;
    case UI_ST_OK: return C_GREEN;
    case UI_ST_ERROR: return C_RED;
    default: return C_TEXT;
    }
}

static void ui_checkbox(ui_ctx_t *c, ui_area_t clip, int x, int y, int checked)
{
    if (checked) {
        ui_rrect(c, clip, x, y, 26, 26, 5, C_BLUE);
        ui_line(c, clip, x + 6, y + 13, x + 11, y + 18, 2, C_WHITE);
        ui_line(c, clip, x + 11, y + 18, x + 20, y + 8, 2, C_WHITE);
    } else {
        ui_box(c, clip, x, y, 26, 26, 5, 2, C_BORDER, C_WHITE);
    }
}

static void ui_r_widget(ui_ctx_t *c, const ui_widget_t *w, ui_area_t clip)
{
    const ui_font_t *f = &ui_font_table[w->font < UI_FONT_COUNT ? w->font : 0];
    const char *text = w->text ? w->text : "";
    size_t len = strlen(text);
    int mask = (w->flags & UI_WF_MASKED) != 0;
    uint16_t fill, tc, border;

    switch (w->kind) {
    case UI_W_PANEL:
        if (w->style == UI_ST_DIM) {
            /* Darken what is already drawn by 45 %. */
            for (int yy = clip.y0; yy <= clip.y1; yy++) {
                uint16_t *p = c->buf + (yy - c->b.y0) * c->pitch + (clip.x0 - c->b.x0);

                for (int xx = clip.x0; xx <= clip.x1; xx++, p++)
                    *p = ui_blend(*p, 0, 115);
            }
            return;
        }
        if (w->style == UI_ST_HEADER) {
            ui_fill(c, clip, w->x, w->y, w->w, w->h, C_HEADER);
            ui_text_line(c, clip, f, text, len, 0, 0, 0, w->x + 20, 560, ui_baseline(f, w->y, w->h), C_WHITE);
        } else if (w->style == UI_ST_SPECIAL) {
            ui_rrect(c, clip, w->x + 3, w->y + 4, w->w, w->h, 8, C_SHADOW);
            ui_box(c, clip, w->x, w->y, w->w, w->h, 8, 1, C_BORDER, C_WHITE);
        } else {
            uint16_t col = w->style == UI_ST_ERROR ? C_RED : w->style == UI_ST_OK ? C_GREEN : C_TEXT;

            ui_fill(c, clip, w->x, w->y, w->w, w->h, C_FOOTER);
            ui_fill(c, clip, w->x, w->y, w->w, 1, C_LINE);
            if (w->style != UI_ST_FOOTER)
                ui_fill(c, clip, w->x, w->y + 1, 6, w->h - 1, col);
            ui_text_line(c, clip, f, text, len, 0, 0, 0, w->x + 20, w->w - 28, ui_baseline(f, w->y, w->h), col);
        }
        return;
    case UI_W_LABEL:
        if (w->h >= 2 * (f->ascent + f->descent + 4))
            ui_text_wrap(c, clip, f, text, w->x, w->y, w->w, w->h, w->flags, ui_text_color(w->style));
        else
            ui_text_line(c, clip, f, text, len, 0, 0, w->flags, w->x, w->w, ui_baseline(f, w->y, w->h),
                         ui_text_color(w->style));
        return;
    case UI_W_BUTTON:
    case UI_W_KEY:
        ui_button_colors(w, &fill, &tc, &border);
        if (w->kind == UI_W_KEY)
            ui_rrect(c, clip, w->x, w->y + 2, w->w, w->h, 7, C_SHADOW);
        if (w->style == UI_ST_TILE || w->style == UI_ST_TILE2) {
            ui_rrect(c, clip, w->x, w->y, w->w, w->h, 14, fill);
            ui_text_line(c, clip, f, text, len, 0, 0, UI_WF_CENTER, w->x + 12, w->w - 24, w->y + w->h - 44, tc);
            return;
        }
        ui_box(c, clip, w->x, w->y, w->w, w->h, w->kind == UI_W_KEY ? 7 : 8, border ? 1 : 0, border, fill);
        if (w->aux != 0 && w->kind == UI_W_BUTTON)
            ui_icon(c, clip, (ui_icon_t)(w->aux - 1), w->x, w->y, w->w, w->h, (w->flags & UI_WF_DISABLED) ? C_HINT : C_BLUE, fill);
        else
            ui_text_line(c, clip, f, text, len, 0, 0, w->id == UI_ID_SUGGESTION ? 0 : UI_WF_CENTER, w->x + 6,
                         w->w - 12, ui_baseline(f, w->y, w->h), tc);
        return;
    case UI_W_FIELD: {
        int t = (w->flags & (UI_WF_FOCUS | UI_WF_ERROR)) ? 2 : 1;
        uint16_t bc = (w->flags & UI_WF_ERROR) ? C_RED : (w->flags & UI_WF_FOCUS) ? C_BLUE : C_BORDER;
        int x = w->x + 12, avail = w->w - 24, base = ui_baseline(f, w->y, w->h), pen;

        ui_box(c, clip, w->x, w->y, w->w, w->h, 6, t, bc, (w->flags & UI_WF_DISABLED) ? C_DISABLED : C_WHITE);
        tc = (w->flags & (UI_WF_HINT | UI_WF_DISABLED)) ? C_HINT : C_TEXT;
        if (w->flags & UI_WF_CURSOR)
            avail -= 4;
        pen = ui_text_line(c, clip, f, text, len, mask, (w->flags & UI_WF_TAIL) != 0, 0, x, avail, base, tc);
        if (w->flags & UI_WF_CURSOR)
            ui_fill(c, clip, pen + 1, base - f->ascent + 1, 2, f->ascent + f->descent - 1, C_BLUE);
        if (w->text2 != NULL && pen + 4 < x + avail)
            ui_text_line(c, clip, f, w->text2, strlen(w->text2), 0, 0, 0, pen + 4, x + avail - pen - 4, base, C_HINT);
        return;
    }
    case UI_W_ROW: {
        int base = ui_baseline(f, w->y, w->h), tx = w->x + 50, split = w->text2 ? (w->w - 60) * 2 / 5 : w->w - 60;

        /* Right-aligned second column: the first takes what it leaves. */
        if (w->text2 && (w->flags & UI_WF_RIGHT))
            split = w->w - 60 - ui_run_width(f, w->text2, strlen(w->text2), 0) - 12;

        ui_fill(c, clip, w->x, w->y, w->w, w->h, (w->flags & UI_WF_CHECKED) ? C_BLUE_LIGHT : C_WHITE);
        ui_fill(c, clip, w->x, w->y + w->h - 1, w->w, 1, C_LINE);
        ui_checkbox(c, clip, w->x + 12, w->y + (w->h - 26) / 2, (w->flags & UI_WF_CHECKED) != 0);
        ui_text_line(c, clip, f, text, len, 0, 0, 0, tx, split - 8, base, C_TEXT);
        if (w->text2)
            ui_text_line(c, clip, f, w->text2, strlen(w->text2), 0, 0, w->flags & UI_WF_RIGHT, tx + split,
                         w->w - 60 - split, base, C_MUTED);
        return;
    }
    case UI_W_SCROLLBAR: {
        int thumb = w->h, pos = 0;

        ui_rrect(c, clip, w->x + 10, w->y, w->w - 20, w->h, 7, C_TRACK);
        if (w->max > w->aux && w->aux > 0) {
            thumb = (int)((uint64_t)w->h * w->aux / w->max);
            if (thumb < 24)
                thumb = 24;
            pos = (int)((uint64_t)(w->h - thumb) * w->value / (w->max - w->aux));
        }
        ui_rrect(c, clip, w->x + 10, w->y + pos, w->w - 20, thumb, 7, C_THUMB);
        return;
    }
    case UI_W_DROPDOWN: {
        int base = ui_baseline(f, w->y, w->h);
        const ui_font_t *sf = &ui_font_table[UI_FONT_SMALL];

        ui_box(c, clip, w->x, w->y, w->w, w->h, 6, (w->flags & UI_WF_FOCUS) ? 2 : 1,
               (w->flags & UI_WF_FOCUS) ? C_BLUE : C_BORDER, C_WHITE);
        ui_text_line(c, clip, f, text, len, 0, 0, 0, w->x + 12, w->w - 52, base, C_TEXT);
        ui_fill(c, clip, w->x + w->w - 38, w->y + 8, 1, w->h - 16, C_LINE);
        ui_glyph(c, clip, sf, 0x25BC, w->x + w->w - 27, ui_baseline(sf, w->y, w->h), C_MUTED);
        return;
    }
    case UI_W_CHECK:
        ui_checkbox(c, clip, w->x, w->y + (w->h - 26) / 2, (w->flags & UI_WF_CHECKED) != 0);
        ui_text_line(c, clip, f, text, len, 0, 0, 0, w->x + 38, w->w - 38, ui_baseline(f, w->y, w->h), C_TEXT);
        return;
    case UI_W_PROGRESS: {
        int fw = w->max ? (int)((uint64_t)w->w * w->value / w->max) : 0;

        ui_rrect(c, clip, w->x, w->y, w->w, w->h, w->h / 2, C_TRACK);
        if (fw > 0)
            ui_rrect(c, clip, w->x, w->y, fw < w->h ? w->h : fw, w->h, w->h / 2, C_BLUE);
        return;
    }
    case UI_W_DIALOG:
        ui_rrect(c, clip, w->x + 4, w->y + 6, w->w, w->h, 12, 0x0000);
        ui_rrect(c, clip, w->x, w->y, w->w, w->h, 12, C_WHITE);
        if (w->style == UI_ST_WARN) {
            ui_rrect(c, clip, w->x, w->y, w->w, 52, 12, C_AMBER);
            ui_fill(c, clip, w->x, w->y + 40, w->w, 12, C_AMBER);
        }
        ui_text_line(c, clip, f, text, len, 0, 0, 0, w->x + 24, w->w - 48, ui_baseline(f, w->y, 52), C_TEXT);
        ui_fill(c, clip, w->x, w->y + 52, w->w, 1, C_LINE);
        return;
    case UI_W_ICON:
        ui_icon(c, clip, (ui_icon_t)w->aux, w->x, w->y, w->w, w->h, C_WHITE,
                w->style == UI_ST_TILE2 ? C_TEAL : C_BLUE);
        return;
    default:
        return;
    }
}

static ui_area_t ui_wrect(const ui_widget_t *w)
{
    ui_area_t a = {w->x, w->y, (int16_t)(w->x + w->w - 1), (int16_t)(w->y + w->h - 1)};

    /* Keys, dialogs and drop-down lists draw a shadow below and right. */
    if (w->kind == UI_W_KEY) {
        a.y1 = (int16_t)(a.y1 + 2);
    } else if (w->kind == UI_W_DIALOG || (w->kind == UI_W_PANEL && w->style == UI_ST_SPECIAL)) {
        a.x1 = (int16_t)(a.x1 + 4);
        a.y1 = (int16_t)(a.y1 + 6);
    }
    return a;
}

/* FNV-1a over what a widget looks like. */
static uint32_t ui_hash_bytes(uint32_t h, const void *p, size_t n)
{
    const unsigned char *b = p;

    while (n--)
        h = (h ^ *b++) * 16777619u;
    return h;
}

static uint32_t ui_whash(const ui_widget_t *w)
{
    uint32_t h = 2166136261u;
    uint32_t v[6] = {w->kind | (uint32_t)w->style << 8 | (uint32_t)w->font << 16, w->flags, w->id, w->value, w->max,
                     w->aux};

    h = ui_hash_bytes(h, v, sizeof(v));
    if (w->text)
        h = ui_hash_bytes(h, w->text, strlen(w->text) + 1);
    if (w->text2)
        h = ui_hash_bytes(h ^ 1u, w->text2, strlen(w->text2) + 1);
    return h;
}

/* ------------------------------------------------------------- drawing */

static void ui_r_draw_area(ui_render_t *r, ui_area_t a, int *err)
{
    int aw = a.x1 - a.x0 + 1;
    int rows = (int)(r->buf_px / (size_t)aw);

    for (int y = a.y0; y <= a.y1 && *err == 0; y += rows) {
        ui_ctx_t c = {r->buf, {a.x0, (int16_t)y, a.x1, (int16_t)(y + rows - 1 > a.y1 ? a.y1 : y + rows - 1)}, aw};
        struct hal_display_buf desc = {(uint16_t)aw, (uint16_t)(c.b.y1 - c.b.y0 + 1), (uint16_t)aw};

        ui_fill(&c, c.b, c.b.x0, c.b.y0, aw, desc.height, C_BG);
        for (size_t i = 0; i < r->layout.count; i++) {
            ui_area_t clip;

            if (ui_intersect(&clip, c.b, ui_wrect(&r->layout.w[i])))
                ui_r_widget(&c, &r->layout.w[i], clip);
        }
        *err = hal_display_write(r->display, (uint16_t)c.b.x0, (uint16_t)c.b.y0, &desc, r->buf);
        r->stats.pixels += (uint32_t)aw * desc.height;
    }
}
