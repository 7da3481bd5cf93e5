/* A tiny scanner (hal_scanner backend) for unit tests: small pages with a
 * known pattern of flat 16x16 tiles (fake_scanner_pixel()), which JPEG
 * reproduces almost exactly, and fault injection at any step. */
#ifndef FAKE_SCANNER_H
#define FAKE_SCANNER_H

#include <stdint.h>

#include "hal/hal_scanner.h"

struct fake_scanner_cfg {
    unsigned width, height; /* page size; 0: from the params (mm10 and dpi) */
    int start_error;        /* start() returns this when non-zero */
    unsigned jam_at_page;   /* sheet (from 1) whose feed returns HAL_SCAN_ERR_JAM; 0: never */
    unsigned fail_at_page;  /* sheet (from 1) whose read_band fails...; 0: never */
    unsigned fail_at_line;  /* ...once this many lines were delivered... */
    int fail_code;          /* ...returning this (0: the page just ends early) */
    unsigned max_lines;     /* at most this many lines per read_band; 0: as many as asked */
    unsigned extra_lines;   /* read_band claims this many lines more than asked (a bad driver) */
};

struct fake_scanner {
    struct fake_scanner_cfg cfg;
    struct hal_scan_params params;
    int armed;
    unsigned fed;
    int page_open;
    struct hal_scan_page page;
    unsigned line;
    unsigned starts, stops, bands; /* calls seen, for assertions */
};

void fake_scanner_init(struct fake_scanner *s, const struct fake_scanner_cfg *cfg);
void fake_scanner_hal(struct fake_scanner *s, struct hal_scanner *out);

/* The value of component c of pixel (x, y) on page index (0-based). */
uint8_t fake_scanner_pixel(unsigned index, unsigned x, unsigned y, unsigned c);

#endif
