/* Simulated scanner: office-document test pages laid out once per page in
 * physical units, then drawn line by line. */
#include "sim_scanner.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scan_job.h" /* scan_job_pixels(): the one mm -> pixel rounding */
#include "sim_font.h"

struct sim_rgb {
    uint8_t r, g, b;
};

/* One line being drawn: the laid-out page, the row, the output. */
struct sim_row {
    const struct sim_scanner_doc *doc;
    long y;
    uint8_t *out;
};

/* Layout state: a cursor moving down the page in tenths of mm. Blocks that
 * would cross `limit` are left out, and so is everything after them. */
struct sim_lay {
    struct sim_scanner_doc *doc;
    long w, h;        /* page, mm10 */
    long left, right; /* text column, mm10 */
    long y, limit;    /* cursor and the last usable mm10 */
    int full;
};

/* Text alignment relative to the x given to sim_lay_text(). */
enum sim_align { SIM_LEFT, SIM_RIGHT, SIM_CENTRE };

static const struct sim_rgb sim_white = {255, 255, 255};
static const struct sim_rgb sim_ink = {25, 25, 30};
static const struct sim_rgb sim_black = {0, 0, 0};
static const struct sim_rgb sim_grey_text = {100, 100, 105};
static const struct sim_rgb sim_rule = {150, 150, 150};
static const struct sim_rgb sim_blue = {30, 80, 160};
static const struct sim_rgb sim_orange = {240, 140, 20};
static const struct sim_rgb sim_red = {170, 20, 30};
static const struct sim_rgb sim_shade = {225, 230, 240};

/* ---- the document's words ---- */

static const char sim_company[] = "Northwind Office Supplies";
static const char sim_tagline[] = "Paper, toner and everything in between since 1987";
static const char *const sim_address[] = {"Ms Jane Example", "Accounts Payable",
                                          "Example Industries Ltd", "42 Harbour Road",
                                          "Springfield SP1 2AB"};
static const char sim_intro[] =
    "Dear Ms Example, thank you for your order of 14 November. We are pleased to confirm "
    "that all items listed below were dispatched from our Leeds warehouse on 21 November "
    "and should reach you within two working days. Please check the delivery against this "
    "invoice and let us know within fourteen days if anything is missing or damaged.";
static const char sim_showroom[] =
    "Our new showroom on Market Street opens on 2 December. Come and see the latest "
    "multifunction printers, try the quiet office chairs and pick up a free box of recycled "
    "paper. Coffee is on us all week, and our staff will gladly help you plan the move to "
    "paperless invoicing: scan, send and file every document straight from the printer.";
static const char sim_closing[] =
    "Payment is due within 30 days of the invoice date. Please quote the invoice number "
    "with your transfer to account 12345678, sort code 20-00-00. Thank you for your business.";
static const char *const sim_terms[] = {
    "1. Prices. All prices are in pounds sterling and include VAT at the current rate unless "
    "stated otherwise. Delivery is free for orders over 50.00; smaller orders carry a charge "
    "of 4.95.",
    "2. Returns. Unopened goods may be returned within 30 days for a full refund. Opened "
    "consumables such as toner and ink can only be returned when faulty.",
    "3. Warranty. Machines carry a two-year return-to-base warranty. Wear parts (rollers, "
    "fuser units, drums) are covered for 100,000 pages or twelve months, whichever comes first.",
    "4. Ownership. Goods remain our property until they have been paid for in full. We may "
    "collect unpaid goods after giving seven days' notice in writing.",
    "5. Data. We keep your contact details only to process orders and to tell you about your "
    "account. We never pass them to third parties for marketing.",
    "6. Law. These terms are governed by the law of England and Wales. Nothing in them limits "
    "your statutory rights as a customer.",
};
#define SIM_TERMS (sizeof(sim_terms) / sizeof(sim_terms[0]))

struct sim_article {
    const char *code, *description;
    unsigned price_cents;
};
static const struct sim_article sim_articles[] = {
    {"P-1080", "A4 copier paper, 80 g/m2, box of 5 reams", 2490},
    {"T-4412", "Toner cartridge, black, 12,000 pages", 8950},
    {"S-0100", "Stapler, heavy duty, 100 sheets", 1725},
    {"B-2210", "Ring binders, A4, blue, pack of 10", 1240},
    {"L-0750", "Desk lamp, LED, dimmable", 3499},
    {"E-0500", "Envelopes, C5, window, box of 500", 2150},
};
#define SIM_ARTICLES (sizeof(sim_articles) / sizeof(sim_articles[0]))

static int sim_scanner_start(void *ctx, const struct hal_scan_params *p);
static int sim_scanner_next_page(void *ctx, struct hal_scan_page *page);
static int sim_scanner_read_band(void *ctx, uint8_t *buf, unsigned max_lines);
static void sim_scanner_stop(void *ctx);

static void sim_lay_front(struct sim_lay *l);
static void sim_lay_back(struct sim_lay *l);
static void sim_lay_footer(struct sim_lay *l);
static void sim_draw_item(const struct sim_row *r, const struct sim_scanner_item *it);

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

void sim_scanner_layout(struct sim_scanner_doc *doc, const struct hal_scan_page *page, unsigned dpi)
{
    struct sim_lay l = {doc, 0, 0, 0, 0, 0, 0, 0};
    long margin;

    doc->width = page->width;
    doc->height = page->height;
    doc->components = page->components;
    doc->dpi = dpi;
    doc->index = page->index;
    doc->side = page->side;
    doc->count = 0;
    doc->pool_used = 0;
    /* The page in mm10, back from pixels (exact to within half a pixel). */
    l.w = dpi != 0 ? (long)((uint64_t)page->width * 254 / dpi) : 0;
    l.h = dpi != 0 ? (long)((uint64_t)page->height * 254 / dpi) : 0;
    margin = l.w >= 1800 ? 150 : 120;
    l.left = margin;
    l.right = l.w - margin;
    l.limit = l.h - 200;
    l.y = 120;
    if (page->side == 0)
        sim_lay_front(&l);
    else
        sim_lay_back(&l);
    sim_lay_footer(&l);
}

const char *sim_scanner_item_text(const struct sim_scanner_doc *doc,
                                  const struct sim_scanner_item *it)
{
    return it->text != NULL ? it->text : doc->pool + it->pool_off;
}

void sim_scanner_draw_line(const struct sim_scanner_doc *doc, unsigned y, uint8_t *out)
{
    struct sim_row r = {doc, (long)y, out};

    memset(out, 255, (size_t)doc->width * doc->components);
    for (unsigned i = 0; i < doc->count; i++) {
        const struct sim_scanner_item *it = &doc->item[i];
        if (r.y >= it->y0 && r.y < it->y1)
            sim_draw_item(&r, it);
    }
}

void sim_scanner_render_line(const struct hal_scan_page *page, unsigned dpi, unsigned y,
                             uint8_t *out)
{
    /* Static would be a hidden global; a page layout is ~10 KiB of stack. */
    struct sim_scanner_doc doc;

    sim_scanner_layout(&doc, page, dpi);
    sim_scanner_draw_line(&doc, y, out);
}

/* ---- HAL backend ---- */

static int sim_scanner_start(void *ctx, const struct hal_scan_params *p)
{
    struct sim_scanner *s = ctx;
    int flatbed;

    if (p == NULL || p->dpi < 75 || p->dpi > 600 || p->width_mm10 == 0 || p->height_mm10 == 0 ||
        (p->color != HAL_SCAN_COLOR && p->color != HAL_SCAN_GREY) ||
        (p->source != HAL_SCAN_ADF && p->source != HAL_SCAN_FLATBED))
        return HAL_SCAN_ERR_BAD_ARG;
    flatbed = p->source == HAL_SCAN_FLATBED;
    if (flatbed && (p->pages > 1 || p->duplex || p->width_mm10 > SIM_SCANNER_GLASS_WIDTH_MM10 ||
                    p->height_mm10 > SIM_SCANNER_GLASS_HEIGHT_MM10))
        return HAL_SCAN_ERR_BAD_ARG;
    if (!flatbed && (p->width_mm10 > SIM_SCANNER_ADF_MAX_WIDTH_MM10 ||
                     p->height_mm10 > SIM_SCANNER_ADF_MAX_HEIGHT_MM10))
        return HAL_SCAN_ERR_BAD_ARG;
    s->params = *p;
    s->params.duplex = p->duplex != 0;
    s->sheets = flatbed ? 1 : p->pages;
    s->armed = 1;
    s->fed = 0;
    s->page_open = 0;
    s->sheet_lines = 0;
    memset(&s->page, 0, sizeof(s->page));
    return 0;
}

static int sim_scanner_next_page(void *ctx, struct hal_scan_page *page)
{
    struct sim_scanner *s = ctx;
    int back = s->params.duplex && s->fed > 0 && s->page.side == 0;
    unsigned sheet = s->fed + 1;

    if (!s->armed || page == NULL)
        return HAL_SCAN_ERR_BAD_ARG;
    s->page_open = 0;
    if (back) {
        /* The back of the sheet just read: no feed, so no feed faults. */
        s->page.index++;
        s->page.side = 1;
    } else {
        if (s->fed >= s->sheets)
            return HAL_SCAN_NO_MORE_PAGES;
        /* A jammed sheet stays jammed: every later feed fails the same way. */
        if (s->cfg.jam_at_page == sheet)
            return HAL_SCAN_ERR_JAM;
        if (s->cfg.cover_open_at_page == sheet)
            return HAL_SCAN_ERR_COVER_OPEN;
        s->page.width = scan_job_pixels(s->params.width_mm10, s->params.dpi);
        s->page.height = scan_job_pixels(s->params.height_mm10, s->params.dpi);
        s->page.components = s->params.color == HAL_SCAN_GREY ? 1 : 3;
        s->page.index = s->fed * (s->params.duplex ? 2u : 1u);
        s->page.side = 0;
        s->fed++;
        s->sheet_lines = 0;
    }
    sim_scanner_layout(&s->doc, &s->page, s->params.dpi);
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
    if (s->cfg.stall_at_page == s->fed && n > 0) {
        if (s->sheet_lines >= s->cfg.stall_at_line)
            return HAL_SCAN_ERR_STALLED;
        if (n > s->cfg.stall_at_line - s->sheet_lines)
            n = s->cfg.stall_at_line - s->sheet_lines;
    }
    for (unsigned i = 0; i < n; i++)
        sim_scanner_draw_line(&s->doc, s->line + i, buf + i * row);
    s->line += n;
    s->sheet_lines += n;
    return (int)n;
}

static void sim_scanner_stop(void *ctx)
{
    struct sim_scanner *s = ctx;

    s->armed = 0;
    s->page_open = 0;
}

/* ---- fonts and text metrics ---- */

/* The master bitmap for text of size16 (16.16 pixels): the small one while
 * it only has to shrink, so scaling is always a box filter below 100 px. */
static const struct sim_font *sim_font_pick(unsigned font, uint32_t size16)
{
    unsigned base = font == SIM_FONT_BOLD ? SIM_FONT_BOLD_SMALL : SIM_FONT_REGULAR_SMALL;

    return &sim_font_table[base + (size16 > ((uint32_t)SIM_FONT_SMALL_PX << 16) ? 1 : 0)];
}

static const struct sim_font *sim_font_large(unsigned font)
{
    return &sim_font_table[font == SIM_FONT_BOLD ? SIM_FONT_BOLD_LARGE : SIM_FONT_REGULAR_LARGE];
}

static unsigned sim_glyph_index(char c)
{
    unsigned char u = (unsigned char)c;

    return u >= SIM_FONT_FIRST && u <= SIM_FONT_LAST ? u - SIM_FONT_FIRST : '?' - SIM_FONT_FIRST;
}

/* Advances always come from the large master: layout is then identical
 * whichever bitmap draws the glyphs. Units: 1/64 px at SIM_FONT_LARGE_PX. */
static uint64_t sim_text_units(unsigned font, const char *t, size_t len)
{
    const struct sim_font *f = sim_font_large(font);
    uint64_t u = 0;

    for (size_t i = 0; i < len; i++)
        u += f->glyph[sim_glyph_index(t[i])].adv64;
    return u;
}

/* Advance units at pt10 tenths of a point, in mm10 (72 pt = 254 mm10). */
static long sim_units_mm10(uint64_t units, unsigned pt10)
{
    return (long)(units * pt10 * 254 / ((uint64_t)64 * SIM_FONT_LARGE_PX * 720));
}

/* ---- layout ---- */

static long sim_px(const struct sim_lay *l, long mm10)
{
    return mm10 <= 0 ? 0 : (long)scan_job_pixels((unsigned)mm10, l->doc->dpi);
}

static struct sim_scanner_item *sim_lay_item(struct sim_lay *l, enum sim_scanner_item_kind kind,
                                             long x0, long y0, long x1, long y1, struct sim_rgb c)
{
    struct sim_scanner_item *it;

    if (l->doc->count >= SIM_SCANNER_DOC_ITEMS)
        return NULL;
    it = &l->doc->item[l->doc->count++];
    memset(it, 0, sizeof(*it));
    it->kind = (uint8_t)kind;
    it->rgb[0] = c.r;
    it->rgb[1] = c.g;
    it->rgb[2] = c.b;
    it->x0 = (int32_t)sim_px(l, x0);
    it->y0 = (int32_t)sim_px(l, y0);
    it->x1 = (int32_t)sim_px(l, x1);
    it->y1 = (int32_t)sim_px(l, y1);
    if (it->x1 <= it->x0)
        it->x1 = it->x0 + 1; /* hairlines stay visible at 75 dpi */
    if (it->y1 <= it->y0)
        it->y1 = it->y0 + 1;
    return it;
}

/* One line of text whose baseline is at `base` (mm10); x is its left edge,
 * right edge or centre. text must outlive the doc or live in its pool. */
static struct sim_scanner_item *sim_lay_text(struct sim_lay *l, long x, long base, unsigned pt10,
                                             unsigned font, struct sim_rgb c, enum sim_align align,
                                             const char *text, size_t len)
{
    long wmm = sim_units_mm10(sim_text_units(font, text, len), pt10);
    long em = (long)pt10 * 254 / 720; /* mm10 */
    long x0 = align == SIM_RIGHT ? x - wmm : align == SIM_CENTRE ? x - wmm / 2 : x;
    /* DejaVu's ink stays within 0.93 em above and 0.24 em below the baseline. */
    struct sim_scanner_item *it =
        sim_lay_item(l, SIM_ITEM_TEXT, x0, base - em, x0 + wmm + em / 4, base + em * 3 / 10, c);

    if (it == NULL)
        return NULL;
    it->font = (uint8_t)font;
    it->baseline = (int32_t)sim_px(l, base);
    it->size16 = (uint32_t)(((uint64_t)pt10 * l->doc->dpi << 16) / 720);
    it->text = text;
    it->len = (uint16_t)len;
    return it;
}

/* Like sim_lay_text() for text formatted into the doc's pool. */
static void sim_lay_textf(struct sim_lay *l, long x, long base, unsigned pt10, unsigned font,
                          struct sim_rgb c, enum sim_align align, const char *fmt, ...)
{
    struct sim_scanner_doc *d = l->doc;
    size_t room = sizeof(d->pool) - d->pool_used;
    struct sim_scanner_item *it;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(d->pool + d->pool_used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room)
        return;
    it = sim_lay_text(l, x, base, pt10, font, c, align, d->pool + d->pool_used, (size_t)n);
    if (it == NULL)
        return;
    it->text = NULL;
    it->pool_off = (uint16_t)d->pool_used;
    d->pool_used += (unsigned)n + 1;
}

/* Room for a block `height` mm10 tall at the cursor? Once a block is left
 * out, so is every later one: the page reads as cut short, not shuffled. */
static int sim_lay_fits(struct sim_lay *l, long height)
{
    if (!l->full && l->y + height > l->limit)
        l->full = 1;
    return !l->full;
}

/* The longest prefix of text (ending at a space) that fits `units`; the
 * whole word when even one word does not fit. */
static size_t sim_wrap(unsigned font, const char *text, size_t len, uint64_t units)
{
    size_t best = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != ' ')
            continue;
        if (best != 0 && sim_text_units(font, text, i) > units)
            break;
        best = i;
    }
    return best;
}

/* A ragged-right paragraph from x0 to x1 at the cursor, `pitch` mm10 per
 * line; lines that do not fit above `bottom` are left out. Returns the
 * number of lines set. */
static unsigned sim_lay_paragraph(struct sim_lay *l, long x0, long x1, long bottom, unsigned pt10,
                                  unsigned font, long pitch, const char *text)
{
    uint64_t units = (uint64_t)(x1 - x0) * 64 * SIM_FONT_LARGE_PX * 720 / ((uint64_t)pt10 * 254);
    size_t len = strlen(text);
    unsigned lines = 0;

    while (len > 0 && !l->full) {
        size_t n = sim_wrap(font, text, len, units);
        if (l->y + pitch > bottom) {
            l->full = bottom >= l->limit; /* cut by the page, not by a neighbour */
            break;
        }
        sim_lay_text(l, x0, l->y + pitch * 3 / 4, pt10, font, sim_ink, SIM_LEFT, text, n);
        l->y += pitch;
        lines++;
        while (n < len && text[n] == ' ')
            n++;
        text += n;
        len -= n;
    }
    return lines;
}

/* The whole words of text that fit in max_mm10 at pt10. */
static size_t sim_fit(unsigned font, unsigned pt10, const char *text, long max_mm10)
{
    size_t len = strlen(text);

    if (sim_units_mm10(sim_text_units(font, text, len), pt10) <= max_mm10)
        return len;
    return sim_wrap(font, text, len,
                    (uint64_t)max_mm10 * 64 * SIM_FONT_LARGE_PX * 720 / ((uint64_t)pt10 * 254));
}

/* Letterhead: blue bar, orange disc logo with an N, name and tagline. */
static void sim_lay_letterhead(struct sim_lay *l)
{
    long cx = l->left + 100, narrow = l->right - l->left < 1400;
    unsigned name_pt = narrow ? 150 : 200;

    sim_lay_item(l, SIM_ITEM_RECT, l->left, 120, l->right, 320, sim_blue);
    sim_lay_item(l, SIM_ITEM_DISC, cx - 70, 150, cx + 70, 290, sim_orange);
    sim_lay_text(l, cx, 242, 160, SIM_FONT_BOLD, sim_white, SIM_CENTRE, "N", 1);
    sim_lay_text(l, l->left + 220, 215, name_pt, SIM_FONT_BOLD, sim_white, SIM_LEFT, sim_company,
                 sizeof(sim_company) - 1);
    sim_lay_text(l, l->left + 220, 285, 80, SIM_FONT_REGULAR, sim_white, SIM_LEFT, sim_tagline,
                 sim_fit(SIM_FONT_REGULAR, 80, sim_tagline, l->right - l->left - 250));
    l->y = 320;
}

/* The page number (from 1) in large red digits at the right, a small
 * caption under it. */
static void sim_lay_page_number(struct sim_lay *l, long base)
{
    const struct sim_scanner_doc *d = l->doc;
    unsigned n = d->index + 1;

    sim_lay_textf(l, l->right, base, 480, SIM_FONT_BOLD, sim_red, SIM_RIGHT, "%u", n);
    if (d->side == 0)
        sim_lay_textf(l, l->right, base + 60, 90, SIM_FONT_REGULAR, sim_grey_text, SIM_RIGHT,
                      "page %u", n);
    else
        sim_lay_textf(l, l->right, base + 60, 90, SIM_FONT_REGULAR, sim_grey_text, SIM_RIGHT,
                      "page %u back", n);
}

/* The priced table: shaded header, one ruled row per article, total. */
static void sim_lay_table(struct sim_lay *l)
{
    long cw = l->right - l->left, row = 50;
    const char *const head[5] = {"Item", "Description", "Qty", cw < 1400 ? "Price" : "Unit price",
                                 "Amount"};
    long col[5] = {l->left + 15, l->left + cw * 13 / 100, l->left + cw * 69 / 100,
                   l->left + cw * 84 / 100, l->right - 15}; /* last three right-aligned */
    unsigned total = 0;

    if (!sim_lay_fits(l, row * (long)(SIM_ARTICLES + 2) + 40))
        return;
    sim_lay_item(l, SIM_ITEM_RECT, l->left, l->y, l->right, l->y + row, sim_shade);
    for (unsigned c = 0; c < 5; c++)
        sim_lay_text(l, col[c], l->y + 35, 90, SIM_FONT_BOLD, sim_ink, c < 2 ? SIM_LEFT : SIM_RIGHT,
                     head[c], strlen(head[c]));
    l->y += row;
    for (unsigned i = 0; i < SIM_ARTICLES; i++) {
        const struct sim_article *a = &sim_articles[i];
        unsigned qty = 1 + (l->doc->index * 4 + i * 5) % 9, amount = qty * a->price_cents;
        long base = l->y + 35;

        total += amount;
        sim_lay_text(l, col[0], base, 90, SIM_FONT_REGULAR, sim_ink, SIM_LEFT, a->code,
                     strlen(a->code));
        sim_lay_text(l, col[1], base, 90, SIM_FONT_REGULAR, sim_ink, SIM_LEFT, a->description,
                     sim_fit(SIM_FONT_REGULAR, 90, a->description, col[2] - col[1] - 80));
        sim_lay_textf(l, col[2], base, 90, SIM_FONT_REGULAR, sim_ink, SIM_RIGHT, "%u", qty);
        sim_lay_textf(l, col[3], base, 90, SIM_FONT_REGULAR, sim_ink, SIM_RIGHT, "%u.%02u",
                      a->price_cents / 100, a->price_cents % 100);
        sim_lay_textf(l, col[4], base, 90, SIM_FONT_REGULAR, sim_ink, SIM_RIGHT, "%u.%02u",
                      amount / 100, amount % 100);
        l->y += row;
        sim_lay_item(l, SIM_ITEM_RECT, l->left, l->y - 3, l->right, l->y, sim_rule);
    }
    sim_lay_item(l, SIM_ITEM_RECT, l->left, l->y, l->right, l->y + 6, sim_ink);
    sim_lay_text(l, col[3], l->y + 45, 100, SIM_FONT_BOLD, sim_ink, SIM_RIGHT, "Total", 5);
    sim_lay_textf(l, col[4], l->y + 45, 100, SIM_FONT_BOLD, sim_ink, SIM_RIGHT, "%u.%02u",
                  total / 100, total % 100);
    l->y += row + 40;
}

/* The landscape with a narrow text column beside it. */
static void sim_lay_photo(struct sim_lay *l)
{
    long cw = l->right - l->left, pw = cw * 56 / 100, ph = pw / 2, top = l->y;

    if (!sim_lay_fits(l, ph + 50))
        return;
    sim_lay_item(l, SIM_ITEM_PHOTO, l->left, top, l->left + pw, top + ph, sim_white);
    sim_lay_paragraph(l, l->left + pw + 50, l->right, top + ph, 90, SIM_FONT_REGULAR, 44,
                      sim_showroom);
    l->y = top + ph + 50;
}

static void sim_lay_ramp_and_targets(struct sim_lay *l)
{
    if (sim_lay_fits(l, 180)) {
        sim_lay_item(l, SIM_ITEM_RAMP, l->left, l->y, l->right, l->y + 140, sim_black);
        l->y += 180;
    }
    if (sim_lay_fits(l, 210)) {
        sim_lay_item(l, SIM_ITEM_TARGETS, l->left, l->y, l->right, l->y + 170, sim_black);
        l->y += 210;
    }
}

/* Numbered terms from `first`, under a heading, until the page is full. */
static void sim_lay_terms(struct sim_lay *l, unsigned first, unsigned count, unsigned pt10)
{
    long pitch = (long)pt10 * 254 * 14 / (720 * 10); /* 1.4 line spacing */

    if (!sim_lay_fits(l, 90 + pitch * 2))
        return;
    sim_lay_text(l, l->left, l->y + 60, 120, SIM_FONT_BOLD, sim_ink, SIM_LEFT,
                 "Terms and conditions of sale", 28);
    l->y += 90;
    for (unsigned i = 0; i < count && !l->full; i++) {
        const char *t = sim_terms[(first + i) % SIM_TERMS];
        sim_lay_paragraph(l, l->left, l->right, l->limit, pt10, SIM_FONT_REGULAR, pitch, t);
        l->y += pitch / 2;
    }
}

static void sim_lay_front(struct sim_lay *l)
{
    long cw = l->right - l->left;

    sim_lay_letterhead(l);
    sim_lay_page_number(l, 560);
    for (unsigned i = 0; i < sizeof(sim_address) / sizeof(sim_address[0]); i++)
        sim_lay_text(l, l->left, 430 + (long)i * 45, 100, SIM_FONT_REGULAR, sim_ink, SIM_LEFT,
                     sim_address[i], strlen(sim_address[i]));
    l->y = 700;
    sim_lay_textf(l, l->left, l->y + 60, 160, SIM_FONT_BOLD, sim_blue, SIM_LEFT,
                  "INVOICE 2026-%04u", 417 + l->doc->index);
    sim_lay_text(l, l->left, l->y + 110, 90, SIM_FONT_REGULAR, sim_grey_text, SIM_LEFT,
                 "Date: 23 November 2026     Customer no. 40471     Order PO-88213",
                 sim_fit(SIM_FONT_REGULAR, 90,
                         "Date: 23 November 2026     Customer no. 40471     Order PO-88213", cw));
    l->y += 150;
    sim_lay_paragraph(l, l->left, l->right, l->limit, 100, SIM_FONT_REGULAR, 50, sim_intro);
    l->y += 40;
    sim_lay_table(l);
    sim_lay_photo(l);
    sim_lay_ramp_and_targets(l);
    if (sim_lay_fits(l, 50 * 3)) {
        sim_lay_paragraph(l, l->left, l->right, l->limit, 100, SIM_FONT_REGULAR, 50, sim_closing);
        l->y += 20;
    }
    if (sim_lay_fits(l, 110)) {
        sim_lay_text(l, l->left, l->y + 40, 100, SIM_FONT_REGULAR, sim_ink, SIM_LEFT,
                     "Kind regards,", 13);
        sim_lay_text(l, l->left, l->y + 90, 100, SIM_FONT_BOLD, sim_ink, SIM_LEFT,
                     "Jane Doe, Accounts Department", 29);
        l->y += 150;
    }
    /* Tall originals (Legal) carry the terms on the front as well. */
    sim_lay_terms(l, 0, SIM_TERMS, 80);
}

static void sim_lay_back(struct sim_lay *l)
{
    unsigned sheet = l->doc->index / 2 + 1;

    sim_lay_page_number(l, 400);
    sim_lay_textf(l, l->left, 330, 90, SIM_FONT_REGULAR, sim_grey_text, SIM_LEFT,
                  "Invoice 2026-%04u, back of sheet %u", 417 + l->doc->index - 1, sheet);
    l->y = 600;
    /* Three terms only, a different three on each sheet. */
    sim_lay_terms(l, sheet % SIM_TERMS, 3, 90);
}

static void sim_lay_footer(struct sim_lay *l)
{
    long y = l->h - 140;
    const struct sim_scanner_doc *d = l->doc;

    if (y < l->y)
        return;
    l->full = 0;
    sim_lay_item(l, SIM_ITEM_RECT, l->left, y, l->right, y + 3, sim_rule);
    sim_lay_text(l, l->left, y + 60, 75, SIM_FONT_REGULAR, sim_grey_text, SIM_LEFT,
                 "Northwind Office Supplies Ltd, 1 Market Street, Leeds LS1 4AB",
                 sim_fit(SIM_FONT_REGULAR, 75,
                         "Northwind Office Supplies Ltd, 1 Market Street, Leeds LS1 4AB",
                         (l->right - l->left) * 3 / 4));
    sim_lay_textf(l, l->right, y + 60, 75, SIM_FONT_REGULAR, sim_grey_text, SIM_RIGHT, "%u%s",
                  d->index + 1, d->side ? " (back)" : "");
}

/* ---- drawing ---- */

static struct sim_rgb sim_item_rgb(const struct sim_scanner_item *it)
{
    struct sim_rgb c = {it->rgb[0], it->rgb[1], it->rgb[2]};
    return c;
}

/* ITU-R BT.601 luma, as a grey scanner would see the colour. */
static uint8_t sim_luma(struct sim_rgb c)
{
    return (uint8_t)((77 * c.r + 150 * c.g + 29 * c.b + 128) >> 8);
}

static void sim_span(const struct sim_row *r, long x0, long x1, struct sim_rgb c)
{
    long w = (long)r->doc->width;

    if (x0 < 0)
        x0 = 0;
    if (x1 > w)
        x1 = w;
    if (r->doc->components == 3) {
        for (long x = x0; x < x1; x++) {
            r->out[x * 3] = c.r;
            r->out[x * 3 + 1] = c.g;
            r->out[x * 3 + 2] = c.b;
        }
    } else if (x0 < x1) {
        memset(r->out + x0, sim_luma(c), (size_t)(x1 - x0));
    }
}

/* Lays colour c over pixel x with coverage a (0..255). */
static void sim_cover(const struct sim_row *r, long x, struct sim_rgb c, unsigned a)
{
    if (r->doc->components == 3) {
        uint8_t *p = r->out + x * 3;
        p[0] = (uint8_t)((p[0] * (255 - a) + c.r * a + 127) / 255);
        p[1] = (uint8_t)((p[1] * (255 - a) + c.g * a + 127) / 255);
        p[2] = (uint8_t)((p[2] * (255 - a) + c.b * a + 127) / 255);
    } else {
        uint8_t *p = r->out + x;
        *p = (uint8_t)((*p * (255 - a) + sim_luma(c) * a + 127) / 255);
    }
}

/* v * size16 / px rounded to the nearest pixel (v may be negative). */
static long sim_scale_round(long v, uint32_t size16, unsigned px)
{
    int64_t t = (int64_t)v * size16;
    int64_t half = (int64_t)px << 15;

    return (long)(t >= 0 ? (t + half) / ((int64_t)px << 16) : -((-t + half) / ((int64_t)px << 16)));
}

/* Alpha of master glyph pixel (x, y), 0 outside the bitmap. */
static unsigned sim_glyph_at(const struct sim_font_glyph *g, const uint8_t *a, int64_t x, int64_t y)
{
    if (x < 0 || y < 0 || x >= g->width || y >= g->rows)
        return 0;
    return a[(size_t)y * g->width + (size_t)x];
}

/* Coverage of target pixel (gx, gy) of a glyph drawn k16 (16.16) master
 * pixels per target pixel. Shrinking averages the master pixels the target
 * pixel covers (box filter); enlarging (large digits and titles at 600 dpi)
 * interpolates bilinearly between pixel centres so edges stay smooth. */
static unsigned sim_glyph_sample(const struct sim_font_glyph *g, const uint8_t *a, long gx, long gy,
                                 uint64_t k16)
{
    if (k16 >= 0x10000) {
        int64_t sx0 = (int64_t)((uint64_t)gx * k16 >> 16),
                sx1 = (int64_t)((uint64_t)(gx + 1) * k16 >> 16);
        int64_t sy0 = (int64_t)((uint64_t)gy * k16 >> 16),
                sy1 = (int64_t)((uint64_t)(gy + 1) * k16 >> 16);
        unsigned sum = 0;

        for (int64_t sy = sy0; sy < sy1; sy++)
            for (int64_t sx = sx0; sx < sx1; sx++)
                sum += sim_glyph_at(g, a, sx, sy);
        return sum / (unsigned)((sy1 - sy0) * (sx1 - sx0));
    } else {
        /* Centre of the target pixel in master pixels, 16.16, minus half a
         * pixel: then floor and fraction pick the four neighbours. Offset by
         * one pixel so the value is never negative. */
        int64_t fx = (int64_t)((uint64_t)(2 * gx + 1) * k16 / 2) + 0x8000;
        int64_t fy = (int64_t)((uint64_t)(2 * gy + 1) * k16 / 2) + 0x8000;
        int64_t x = (fx >> 16) - 1, y = (fy >> 16) - 1, wx = fx & 0xffff, wy = fy & 0xffff;
        uint64_t top = sim_glyph_at(g, a, x, y) * (uint64_t)(0x10000 - wx) +
                       sim_glyph_at(g, a, x + 1, y) * (uint64_t)wx;
        uint64_t bottom = sim_glyph_at(g, a, x, y + 1) * (uint64_t)(0x10000 - wx) +
                          sim_glyph_at(g, a, x + 1, y + 1) * (uint64_t)wx;

        return (unsigned)((top * (uint64_t)(0x10000 - wy) + bottom * (uint64_t)wy + (1ULL << 31)) >>
                          32);
    }
}

/* Row r->y of a text line: each glyph of the nearer master scaled to the
 * item's size, laid over the row with its coverage. */
static void sim_draw_text(const struct sim_row *r, const struct sim_scanner_item *it)
{
    const char *text = sim_scanner_item_text(r->doc, it);
    const struct sim_font *f = sim_font_pick(it->font, it->size16);
    const struct sim_font *lf = sim_font_large(it->font);
    struct sim_rgb c = sim_item_rgb(it);
    /* Master pixels per target pixel, 16.16. */
    uint64_t k16 = ((uint64_t)f->px << 32) / it->size16;
    uint64_t pen16 = (uint64_t)(uint32_t)it->x0 << 16;
    long w = (long)r->doc->width;

    for (unsigned i = 0; i < it->len && (long)(pen16 >> 16) < w; i++) {
        unsigned gi = sim_glyph_index(text[i]);
        const struct sim_font_glyph *g = &f->glyph[gi];
        long top = it->baseline - sim_scale_round(g->top, it->size16, f->px);
        long gy = r->y - top;
        long rows = sim_scale_round(g->rows, it->size16, f->px);
        long cols = sim_scale_round(g->width, it->size16, f->px);
        long x0 = (long)(pen16 >> 16) + sim_scale_round(g->left, it->size16, f->px);

        for (long gx = 0; gy >= 0 && gy < rows && gx < cols; gx++) {
            unsigned alpha;
            if (x0 + gx < 0 || x0 + gx >= w)
                continue;
            alpha = sim_glyph_sample(g, f->alpha + g->offset, gx, gy, k16);
            if (alpha != 0)
                sim_cover(r, x0 + gx, c, alpha);
        }
        pen16 += (uint64_t)lf->glyph[gi].adv64 * it->size16 / (64u * SIM_FONT_LARGE_PX);
    }
}

static void sim_draw_disc(const struct sim_row *r, const struct sim_scanner_item *it)
{
    long rad = (it->x1 - it->x0) / 2, cx = it->x0 + rad, dy = r->y - (it->y0 + it->y1) / 2, dx = 0;

    if (dy * dy >= rad * rad)
        return;
    while ((dx + 1) * (dx + 1) + dy * dy < rad * rad)
        dx++;
    sim_span(r, cx - dx, cx + dx + 1, sim_item_rgb(it));
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

/* A landscape: sky, a sun that moves with the page, two ranges of hills. */
static void sim_draw_photo(const struct sim_row *r, const struct sim_scanner_item *it)
{
    static const struct sim_rgb sky_top = {70, 130, 210}, sky_low = {200, 225, 245};
    static const struct sim_rgb sun = {255, 225, 110};
    static const struct sim_rgb far_top = {110, 160, 80}, far_low = {70, 120, 55};
    static const struct sim_rgb near_top = {60, 120, 45}, near_low = {30, 70, 25};
    float h = (float)(it->y1 - it->y0), w = (float)(it->x1 - it->x0);
    float v = (float)(r->y - it->y0) / h, phase = (float)r->doc->index * 0.37f;
    float sun_u = 0.2f + 0.6f * (phase - (float)(long)phase), sun_v = 0.22f, rad = 0.09f;

    for (long x = it->x0; x < it->x1; x++) {
        float u = (float)(x - it->x0) / w;
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
static void sim_draw_ramp(const struct sim_row *r, const struct sim_scanner_item *it)
{
    long left = it->x0, right = it->x1, w = right - left, mid = (it->y0 + it->y1) / 2;

    if (r->y == it->y0 || r->y == it->y1 - 1 || w < 2) {
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

/* Resolution targets in physical units (a line is never thinner than one
 * pixel): vertical groups of 0.1, 0.2, 0.3 and 0.5 mm lines with two
 * diagonals above, horizontal groups below; colour patches to the right. */
static void sim_draw_targets(const struct sim_row *r, const struct sim_scanner_item *it)
{
    static const struct sim_rgb patches[7] = {{220, 30, 30}, {30, 170, 60},  {30, 60, 200},
                                              {0, 170, 220}, {210, 40, 150}, {250, 220, 0},
                                              {20, 20, 20}};
    static const unsigned widths_mm100[4] = {10, 20, 30, 50};
    long dpi = (long)r->doc->dpi, mid = (it->y0 + it->y1) / 2, w = it->x1 - it->x0;
    long lines_end = it->x0 + w * 60 / 100, px0 = it->x0 + w * 64 / 100, pw = (it->x1 - px0) / 7;
    long gap = dpi * 20 / 254; /* 2 mm between patches and between groups */
    long k[4];

    for (unsigned i = 0; i < 4; i++) {
        k[i] = ((long)widths_mm100[i] * dpi + 1270) / 2540;
        if (k[i] < 1)
            k[i] = 1;
    }
    for (unsigned i = 0; i < 7; i++)
        sim_span(r, px0 + (long)i * pw, px0 + (long)(i + 1) * pw - gap / 2, patches[i]);
    if (r->y < mid) {
        long x = it->x0, rel = r->y - it->y0;
        for (unsigned g = 0; g < 4; g++) {
            for (int i = 0; i < 8; i++, x += 2 * k[g])
                sim_span(r, x, x + k[g], sim_black);
            x += gap;
        }
        sim_span(r, x + rel, x + rel + k[1], sim_black);
        sim_span(r, lines_end - rel - k[1], lines_end - rel, sim_black);
    } else {
        long rel = r->y - mid, band = (it->y1 - mid) / 4, g = rel / (band > 0 ? band : 1);
        long kk = k[g < 4 ? g : 3];
        if ((rel - g * band) % (2 * kk) < kk)
            sim_span(r, it->x0, lines_end, sim_black);
    }
}

static void sim_draw_item(const struct sim_row *r, const struct sim_scanner_item *it)
{
    switch ((enum sim_scanner_item_kind)it->kind) {
    case SIM_ITEM_RECT:
        sim_span(r, it->x0, it->x1, sim_item_rgb(it));
        break;
    case SIM_ITEM_DISC:
        sim_draw_disc(r, it);
        break;
    case SIM_ITEM_TEXT:
        sim_draw_text(r, it);
        break;
    case SIM_ITEM_PHOTO:
        sim_draw_photo(r, it);
        break;
    case SIM_ITEM_RAMP:
        sim_draw_ramp(r, it);
        break;
    case SIM_ITEM_TARGETS:
        sim_draw_targets(r, it);
        break;
    }
}
