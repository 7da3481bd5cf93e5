/* Simulated scanner (hal_scanner backend): a stack of deterministic test
 * pages that look like office documents. The front of a sheet is an invoice:
 * a colour letterhead with a logo, an address block, the page number in
 * large digits, a title, paragraphs and a priced table set in DejaVu Sans
 * (sim_font.h), a photo-like landscape with a text column beside it, a grey
 * ramp, fine-line resolution targets with colour patches, a closing and a
 * footer. The back of a duplex sheet is sparser: terms and conditions under
 * "Page N (back of sheet k)". Taller originals (Legal) carry more terms;
 * smaller ones (A5, Executive) drop the blocks that do not fit.
 *
 * Everything is placed in physical units (tenths of mm, points), so every
 * resolution shows the same document. Lines are rendered on demand, a band
 * at a time: no page raster exists. The same (page size, dpi, index, side)
 * always gives the same pixels.
 *
 * Geometry: width = scan_job_pixels(width_mm10, dpi), height likewise (A4 at
 * 300 dpi: 2480 x 3508); 3 components (RGB) for colour, 1 for grey. Any dpi
 * in 75..600 is accepted (the panel offers 75, 150, 200, 300, 400, 600).
 *
 * Sources:
 * - ADF: params.pages sheets (0: an empty feeder, the first next_page()
 *   answers HAL_SCAN_NO_MORE_PAGES), up to SIM_SCANNER_ADF_MAX_*. Simplex
 *   delivers one page per sheet; duplex two, front (side 0) then back
 *   (side 1), with hal_scan_page.index counting sides: sheet 1 = pages 0, 1.
 * - Flatbed: exactly one page per job (params.pages 0 or 1). start() answers
 *   HAL_SCAN_ERR_BAD_ARG for pages > 1, duplex, or an original larger than
 *   the glass (SIM_SCANNER_GLASS_*: Legal is refused).
 *
 * Faults (struct sim_scanner_cfg) count sheets from 1, in both sources and
 * in duplex: a jam or an open cover is found when that sheet is fed (its
 * front page's next_page()), and a stall hits after stall_at_line lines of
 * that sheet, counted across its front then its back. */
#ifndef SIM_SCANNER_H
#define SIM_SCANNER_H

#include <stdint.h>

#include "hal/hal_scanner.h"

/* Largest original on the flatbed glass, tenths of mm (A4 and Letter fit,
 * Legal does not). */
#ifndef SIM_SCANNER_GLASS_WIDTH_MM10
#define SIM_SCANNER_GLASS_WIDTH_MM10 2160
#endif
#ifndef SIM_SCANNER_GLASS_HEIGHT_MM10
#define SIM_SCANNER_GLASS_HEIGHT_MM10 2970
#endif

/* Largest original the feeder takes (Legal), tenths of mm. */
#ifndef SIM_SCANNER_ADF_MAX_WIDTH_MM10
#define SIM_SCANNER_ADF_MAX_WIDTH_MM10 2160
#endif
#ifndef SIM_SCANNER_ADF_MAX_HEIGHT_MM10
#define SIM_SCANNER_ADF_MAX_HEIGHT_MM10 3560
#endif

/* Drawing items of one laid-out page, and bytes of text made for that page
 * (page numbers, table figures). A Legal front page uses about 110 items. */
#ifndef SIM_SCANNER_DOC_ITEMS
#define SIM_SCANNER_DOC_ITEMS 192
#endif
#ifndef SIM_SCANNER_DOC_CHARS
#define SIM_SCANNER_DOC_CHARS 1024
#endif

#if SIM_SCANNER_GLASS_HEIGHT_MM10 >= 3556
#error "the flatbed glass must be shorter than Legal (355.6 mm): the contract refuses Legal there"
#endif

struct sim_scanner_cfg {
    unsigned jam_at_page;        /* sheet number (from 1) whose feed jams; 0: never */
    unsigned cover_open_at_page; /* sheet number whose feed finds the cover open; 0: never */
    unsigned stall_at_page;      /* sheet number that stalls mid-sheet; 0: never */
    unsigned stall_at_line;      /* lines delivered on that sheet before read_band stalls */
};

enum sim_scanner_item_kind {
    SIM_ITEM_RECT,    /* solid box */
    SIM_ITEM_DISC,    /* solid disc inscribed in the box */
    SIM_ITEM_TEXT,    /* one line of text; the box bounds its ink */
    SIM_ITEM_PHOTO,   /* landscape: sky, sun, hills */
    SIM_ITEM_RAMP,    /* 16 grey steps above a continuous ramp, framed */
    SIM_ITEM_TARGETS, /* fine-line groups and diagonals, then colour patches */
};

enum sim_scanner_font { SIM_FONT_REGULAR = 0, SIM_FONT_BOLD = 1 };

/* One drawing item in page pixels: rows y0 .. y1 - 1, columns x0 .. x1 - 1. */
struct sim_scanner_item {
    uint8_t kind;   /* enum sim_scanner_item_kind */
    uint8_t font;   /* text: enum sim_scanner_font */
    uint8_t rgb[3]; /* colour (text, rect, disc) */
    int32_t x0, y0, x1, y1;
    int32_t baseline;  /* text */
    uint32_t size16;   /* text: em size in pixels, 16.16 fixed point */
    const char *text;  /* text: static text, or NULL when it is in the doc's pool */
    uint16_t pool_off; /* text in the pool: offset */
    uint16_t len;      /* text: bytes */
};

/* A page laid out at one resolution: what sim_scanner_draw_line() draws. */
struct sim_scanner_doc {
    unsigned width, height, components, dpi, index, side;
    unsigned count; /* items used */
    struct sim_scanner_item item[SIM_SCANNER_DOC_ITEMS];
    unsigned pool_used;
    char pool[SIM_SCANNER_DOC_CHARS];
};

struct sim_scanner {
    struct sim_scanner_cfg cfg;
    struct hal_scan_params params;
    int armed;
    unsigned sheets; /* sheets this job delivers */
    unsigned fed;    /* sheets fed so far in this job */
    int page_open;
    struct hal_scan_page page;  /* the side being read */
    unsigned line;              /* next line of that side */
    unsigned sheet_lines;       /* lines delivered from the current sheet (both sides) */
    struct sim_scanner_doc doc; /* layout of the side being read */
};

/* Idle scanner with the given faults (cfg may be NULL: no faults). */
void sim_scanner_init(struct sim_scanner *s, const struct sim_scanner_cfg *cfg);

/* Fills *out with the HAL view of s. */
void sim_scanner_hal(struct sim_scanner *s, struct hal_scanner *out);

/* Lays out the page (its size in pixels, components, index and side) at dpi
 * into doc. No allocation; text items may point into doc itself, so read a
 * doc only where it was laid out (do not copy it). */
void sim_scanner_layout(struct sim_scanner_doc *doc, const struct hal_scan_page *page,
                        unsigned dpi);

/* The text of a TEXT item of doc (it->len bytes, not NUL-terminated). */
const char *sim_scanner_item_text(const struct sim_scanner_doc *doc,
                                  const struct sim_scanner_item *it);

/* Renders line y (< doc->height) of a laid-out page into out
 * (doc->width * doc->components bytes). */
void sim_scanner_draw_line(const struct sim_scanner_doc *doc, unsigned y, uint8_t *out);

/* Renders line y of page at dpi into out (page->width pixels of
 * page->components bytes): sim_scanner_layout() then sim_scanner_draw_line(),
 * so it is slow per line. Exposed so that tests can compare what came back
 * through the encoder with what the scanner delivered. */
void sim_scanner_render_line(const struct hal_scan_page *page, unsigned dpi, unsigned y,
                             uint8_t *out);

#endif
