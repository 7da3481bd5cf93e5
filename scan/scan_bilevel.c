/* Grey to bilevel: threshold or Floyd-Steinberg error diffusion. */
#include "scan_bilevel.h"

#include <string.h>

/* Error terms are kept in sixteenths of a grey level (the Floyd-Steinberg
 * denominator), so every weight is an integer multiple. */
#define SCAN_BILEVEL_FS_ONE 16

static void scan_bilevel_threshold_line(const struct scan_bilevel *b, const uint8_t *grey,
                                        uint8_t *out);
static void scan_bilevel_diffuse_line(struct scan_bilevel *b, const uint8_t *grey, uint8_t *out);

size_t scan_bilevel_row_bytes(unsigned width)
{
    return ((size_t)width + 7) / 8;
}

size_t scan_bilevel_err_buffer_size(unsigned width)
{
    return width == 0 ? 0 : ((size_t)width + 2) * sizeof(int16_t);
}

int scan_bilevel_threshold(int darkness)
{
    if (darkness < SCAN_BILEVEL_DARKNESS_MIN)
        darkness = SCAN_BILEVEL_DARKNESS_MIN;
    if (darkness > SCAN_BILEVEL_DARKNESS_MAX)
        darkness = SCAN_BILEVEL_DARKNESS_MAX;
    return SCAN_BILEVEL_THRESHOLD_DEFAULT + SCAN_BILEVEL_DARKNESS_STEP * darkness;
}

int scan_bilevel_init(struct scan_bilevel *b, const struct scan_bilevel_cfg *cfg)
{
    if (b == NULL)
        return SCAN_BILEVEL_ERR_BAD_ARG;
    memset(b, 0, sizeof(*b));
    if (cfg == NULL || cfg->width == 0 || cfg->darkness < SCAN_BILEVEL_DARKNESS_MIN ||
        cfg->darkness > SCAN_BILEVEL_DARKNESS_MAX)
        return SCAN_BILEVEL_ERR_BAD_ARG;
    if (cfg->mode == SCAN_BILEVEL_DIFFUSION) {
        if (cfg->err_buf == NULL || cfg->err_buf_size < scan_bilevel_err_buffer_size(cfg->width))
            return SCAN_BILEVEL_ERR_BAD_ARG;
        b->err = cfg->err_buf;
        memset(b->err, 0, scan_bilevel_err_buffer_size(cfg->width));
    } else if (cfg->mode != SCAN_BILEVEL_THRESHOLD) {
        return SCAN_BILEVEL_ERR_BAD_ARG;
    }
    b->width = cfg->width;
    b->mode = cfg->mode;
    b->threshold = scan_bilevel_threshold(cfg->darkness);
    b->shift = b->threshold - SCAN_BILEVEL_THRESHOLD_DEFAULT;
    b->serpentine = cfg->serpentine != 0;
    return 0;
}

int scan_bilevel_convert(struct scan_bilevel *b, const uint8_t *grey, unsigned lines, uint8_t *out)
{
    size_t row = scan_bilevel_row_bytes(b != NULL ? b->width : 0);

    if (b == NULL || b->width == 0 || (lines > 0 && (grey == NULL || out == NULL)))
        return SCAN_BILEVEL_ERR_BAD_ARG;
    for (unsigned i = 0; i < lines; i++) {
        memset(out, 0, row);
        if (b->mode == SCAN_BILEVEL_DIFFUSION)
            scan_bilevel_diffuse_line(b, grey, out);
        else
            scan_bilevel_threshold_line(b, grey, out);
        b->line++;
        grey += b->width;
        out += row;
    }
    return 0;
}

static void scan_bilevel_threshold_line(const struct scan_bilevel *b, const uint8_t *grey,
                                        uint8_t *out)
{
    for (unsigned x = 0; x < b->width; x++)
        if (grey[x] < b->threshold)
            out[x >> 3] |= (uint8_t)(0x80u >> (x & 7));
}

/* Rounds a value in sixteenths to the nearest whole grey level, halves away
 * from zero (C's >> on negative numbers is implementation-defined). */
static int scan_bilevel_round16(int v)
{
    return v >= 0 ? (v + SCAN_BILEVEL_FS_ONE / 2) / SCAN_BILEVEL_FS_ONE
                  : -((-v + SCAN_BILEVEL_FS_ONE / 2) / SCAN_BILEVEL_FS_ONE);
}

/* One line of Floyd-Steinberg with a single line of error state: err[x + 1]
 * holds, for pixel x, the error the previous line sent down. While walking
 * the line, the terms for the next line are gathered in two scalars and a
 * cell is written back only once this line has read it (the cell behind the
 * current pixel), so one array serves both lines. */
static void scan_bilevel_diffuse_line(struct scan_bilevel *b, const uint8_t *grey, uint8_t *out)
{
    int reverse = b->serpentine && (b->line & 1u);
    long dx = reverse ? -1 : 1;
    long x = reverse ? (long)b->width - 1 : 0;
    int carry = 0;  /* 7/16 of the previous pixel's error, in sixteenths */
    int behind = 0; /* next line's term gathered so far for pixel x - dx */
    int here = 0;   /* ... for pixel x */

    for (unsigned n = 0; n < b->width; n++, x += dx) {
        int in = grey[x] - b->shift;
        int v, e;

        if (in < 0)
            in = 0;
        if (in > 255)
            in = 255;
        v = scan_bilevel_round16(in * SCAN_BILEVEL_FS_ONE + b->err[x + 1] + carry);
        /* Bounded so that every error term fits int16_t (9 * 255 * 16). */
        if (v < -255)
            v = -255;
        if (v > 510)
            v = 510;
        if (v < SCAN_BILEVEL_THRESHOLD_DEFAULT) {
            out[x >> 3] |= (uint8_t)(0x80u >> (x & 7));
            e = v;
        } else {
            e = v - 255;
        }
        carry = 7 * e;
        /* The cell behind x was read one step ago: finish it now. */
        b->err[x - dx + 1] = (int16_t)(behind + 3 * e);
        behind = here + 5 * e;
        here = e;
    }
    /* The last pixel's own cell; `here` fell off the edge. The guard cell
     * written at the first pixel is never read. */
    b->err[x - dx + 1] = (int16_t)behind;
}
