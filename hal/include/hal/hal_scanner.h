/* Scanner HAL: pages delivered in bands of lines; no backend hands over a
 * whole page. Pixels are 8-bit, interleaved RGB for colour, one byte for grey. */
#ifndef HAL_SCANNER_H
#define HAL_SCANNER_H

#include <stdint.h>

enum hal_scan_color { HAL_SCAN_COLOR = 0, HAL_SCAN_GREY = 1 };
enum hal_scan_source { HAL_SCAN_ADF = 0, HAL_SCAN_FLATBED = 1 };

#define HAL_SCAN_NO_MORE_PAGES 1
#define HAL_SCAN_ERR_JAM (-1)
#define HAL_SCAN_ERR_COVER_OPEN (-2)
#define HAL_SCAN_ERR_STALLED (-3)
#define HAL_SCAN_ERR_BAD_ARG (-22)

struct hal_scan_params {
    unsigned dpi;          /* 75 .. 600 */
    unsigned width_mm10;   /* original size in tenths of mm (A4: 2100 x 2970) */
    unsigned height_mm10;
    enum hal_scan_color color;
    unsigned pages;        /* sheets in the feeder (the simulator's test stack) */
    enum hal_scan_source source; /* ADF (default) or flatbed (one sheet, no Legal) */
    int duplex;            /* ADF only: both sides of each sheet, front then back */
};

struct hal_scan_page {
    unsigned width;        /* pixels per line */
    unsigned height;       /* lines */
    unsigned components;   /* 3 for colour, 1 for grey */
    unsigned index;        /* 0-based page number (sides count: duplex sheet 1 = pages 0, 1) */
    unsigned side;         /* 0 front, 1 back */
};

struct hal_scanner_api {
    /* Arms the scanner for a job; 0 or HAL_SCAN_ERR_*. */
    int (*start)(void *ctx, const struct hal_scan_params *p);
    /* Feeds the next page: 0 and *page filled, HAL_SCAN_NO_MORE_PAGES, or HAL_SCAN_ERR_*. */
    int (*next_page)(void *ctx, struct hal_scan_page *page);
    /* Copies up to max_lines lines of the current page into buf (max_lines *
     * width * components bytes). Returns lines copied, 0 at the end of the
     * page, or HAL_SCAN_ERR_*. */
    int (*read_band)(void *ctx, uint8_t *buf, unsigned max_lines);
    /* Ends the job (also after an error); always safe. */
    void (*stop)(void *ctx);
};

struct hal_scanner {
    const struct hal_scanner_api *api;
    void *ctx;
};

static inline int hal_scanner_start(const struct hal_scanner *s, const struct hal_scan_params *p)
{
    return s->api->start(s->ctx, p);
}
static inline int hal_scanner_next_page(const struct hal_scanner *s, struct hal_scan_page *pg)
{
    return s->api->next_page(s->ctx, pg);
}
static inline int hal_scanner_read_band(const struct hal_scanner *s, uint8_t *buf, unsigned max_lines)
{
    return s->api->read_band(s->ctx, buf, max_lines);
}
static inline void hal_scanner_stop(const struct hal_scanner *s) { s->api->stop(s->ctx); }

#endif
