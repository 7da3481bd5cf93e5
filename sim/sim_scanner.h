/* Simulated scanner (hal_scanner backend): a stack of deterministic test
 * pages that look like office documents: a colour header bar with a logo,
 * lines of text-like glyphs, a photo-like smooth region, a grey ramp, fine
 * lines, colour patches and the page number drawn as large 7-segment digits.
 * Lines are rendered on demand, a band at a time: no page raster exists.
 * The same (params, page index) always gives the same pixels.
 *
 * Geometry: width = scan_job_pixels(width_mm10, dpi), height likewise (A4 at
 * 300 dpi: 2480 x 3508); 3 components (RGB) for colour, 1 for grey. The
 * stack holds params.pages sheets. Faults are injected from the config. */
#ifndef SIM_SCANNER_H
#define SIM_SCANNER_H

#include <stdint.h>

#include "hal/hal_scanner.h"

struct sim_scanner_cfg {
    unsigned jam_at_page;        /* sheet number (from 1) whose feed jams; 0: never */
    unsigned cover_open_at_page; /* sheet number whose feed finds the cover open; 0: never */
    unsigned stall_at_page;      /* sheet number that stalls mid-page; 0: never */
    unsigned stall_at_line;      /* lines delivered on that sheet before read_band stalls */
};

struct sim_scanner {
    struct sim_scanner_cfg cfg;
    struct hal_scan_params params;
    int armed;
    unsigned fed;              /* sheets fed so far in this job */
    int page_open;
    struct hal_scan_page page; /* the sheet being read */
    unsigned line;             /* next line of that sheet */
};

/* Idle scanner with the given faults (cfg may be NULL: no faults). */
void sim_scanner_init(struct sim_scanner *s, const struct sim_scanner_cfg *cfg);

/* Fills *out with the HAL view of s. */
void sim_scanner_hal(struct sim_scanner *s, struct hal_scanner *out);

/* Renders line y of page (page->width pixels of page->components bytes) at
 * dpi into out. Exposed so that tests can compare what came back through
 * the encoder with what the scanner delivered. */
void sim_scanner_render_line(const struct hal_scan_page *page, unsigned dpi, unsigned y,
                             uint8_t *out);

#endif
