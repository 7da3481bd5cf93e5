/* Grey to black and white (bilevel), band by band.
 *
 * Input: 8-bit grey rows, `width` bytes each, no padding between rows
 * (0 = black, 255 = white, as the scanner HAL delivers them).
 * Output: 1-bit rows packed MSB first, scan_bilevel_row_bytes(width) bytes
 * each, no padding between rows; bit 1 = black, 0 = white. That is the TIFF
 * convention for CCITT G4 with PhotometricInterpretation WhiteIsZero (what
 * scan_g4 writes). G4 itself codes white and black runs, so the same strip
 * shows correctly in PDF with CCITTFaxDecode's default /BlackIs1 false
 * (white runs decode to 1 bits, white in DeviceGray). Padding bits at the
 * end of a row are 0 (white).
 *
 * Two modes:
 * - Threshold: a pixel is black when grey < threshold. The threshold is
 *   scan_bilevel_threshold(darkness): 128 + SCAN_BILEVEL_DARKNESS_STEP *
 *   darkness for the user's darkness -3..+3 (56, 80, 104, 128, 152, 176,
 *   200 with the default step 24): darker settings turn more greys black.
 * - Floyd-Steinberg error diffusion (weights 7/16 right, 3/16, 5/16, 1/16
 *   below), threshold 128, integer arithmetic only, so deterministic. The
 *   darkness setting shifts the input instead: grey - (threshold(darkness)
 *   - 128), clamped to 0..255, so +1 prints about 24/255 darker. Error that
 *   falls off the left or right edge is dropped. Serpentine scanning (odd
 *   lines right to left) is optional; line parity counts from the first
 *   line of the page, across bands.
 *   The only state carried from one line to the next is one line of error
 *   terms in a caller-owned buffer (scan_bilevel_err_buffer_size() bytes)
 *   plus the line count, so any band height gives the same output.
 *
 * No allocation; the context is caller-owned and holds no pointers to
 * library state. */
#ifndef SCAN_BILEVEL_H
#define SCAN_BILEVEL_H

#include <stddef.h>
#include <stdint.h>

/* Threshold change per darkness step. 24 keeps -3..+3 inside 56..200, where
 * light pencil (about 200) still shows at +3 and grey paper (about 70) still
 * drops out at -3. */
#ifndef SCAN_BILEVEL_DARKNESS_STEP
#define SCAN_BILEVEL_DARKNESS_STEP 24
#endif

#if SCAN_BILEVEL_DARKNESS_STEP < 1 || SCAN_BILEVEL_DARKNESS_STEP > 42
#error "SCAN_BILEVEL_DARKNESS_STEP must be 1..42 (thresholds must stay inside 1..255)"
#endif

#define SCAN_BILEVEL_THRESHOLD_DEFAULT 128
#define SCAN_BILEVEL_DARKNESS_MIN (-3)
#define SCAN_BILEVEL_DARKNESS_MAX 3

#define SCAN_BILEVEL_ERR_BAD_ARG                                                                   \
    (-1) /* NULL pointer, width 0, darkness or mode out of range,                                  \
            error buffer missing or too small */

enum scan_bilevel_mode {
    SCAN_BILEVEL_THRESHOLD = 0, /* fixed threshold (the default) */
    SCAN_BILEVEL_DIFFUSION = 1, /* Floyd-Steinberg error diffusion */
};

struct scan_bilevel_cfg {
    unsigned width; /* pixels per line, >= 1 */
    enum scan_bilevel_mode mode;
    int darkness;        /* -3 (lighter) .. +3 (darker); 0: threshold 128 */
    int serpentine;      /* diffusion: odd lines right to left */
    int16_t *err_buf;    /* diffusion only: caller-owned, outlives the context, */
    size_t err_buf_size; /* at least scan_bilevel_err_buffer_size(width) bytes */
};

struct scan_bilevel {
    unsigned width;
    enum scan_bilevel_mode mode;
    int threshold; /* threshold mode: black below it */
    int shift;     /* diffusion: subtracted from the input */
    int serpentine;
    int16_t *err;  /* width + 2 error terms in 1/16 grey, guards at both ends */
    uint32_t line; /* lines converted on this page */
};

/* Bytes of one packed output row: (width + 7) / 8. */
size_t scan_bilevel_row_bytes(unsigned width);

/* Bytes the diffusion error buffer needs for width pixels (one line of
 * error terms plus two guards); 0 for width 0. */
size_t scan_bilevel_err_buffer_size(unsigned width);

/* The threshold for a darkness setting (-3..+3): 128 + step * darkness.
 * Out-of-range settings are clamped to -3..+3. */
int scan_bilevel_threshold(int darkness);

/* Checks cfg and starts a page: the error line is cleared. Returns 0 or
 * SCAN_BILEVEL_ERR_BAD_ARG (the error buffer is only required, and only
 * touched, in diffusion mode). Call again for every page. */
int scan_bilevel_init(struct scan_bilevel *b, const struct scan_bilevel_cfg *cfg);

/* Converts `lines` grey rows at grey (lines * width bytes) into packed rows
 * at out (lines * scan_bilevel_row_bytes(width) bytes). grey and out must
 * not overlap. Returns 0 or SCAN_BILEVEL_ERR_BAD_ARG (NULL pointer with
 * lines > 0, or an uninitialised context). */
int scan_bilevel_convert(struct scan_bilevel *b, const uint8_t *grey, unsigned lines, uint8_t *out);

#endif
