/* Glyph bitmaps of DejaVu Sans (regular and bold) for the simulator's test
 * pages. The table is generated at build time: tools/mkfont.c rasterises the
 * fonts of Debian's fonts-dejavu-core with FreeType into build/gen/sim_font.c
 * (never committed). Each face exists at two pixel sizes; the renderer picks
 * the nearer one and box-samples it to the size a resolution needs, so 75 to
 * 600 dpi all show the same document.
 *
 * Glyphs cover printable ASCII (SIM_FONT_FIRST .. SIM_FONT_LAST); alpha is 8
 * bits per pixel, 255 = full ink, rows top to bottom, `width` bytes a row. */
#ifndef SIM_FONT_H
#define SIM_FONT_H

#include <stdint.h>

#define SIM_FONT_FIRST 32
#define SIM_FONT_LAST 126
#define SIM_FONT_GLYPHS (SIM_FONT_LAST - SIM_FONT_FIRST + 1)

/* Pixel sizes (em) of the two masters: the small one is exactly 10 pt body
 * text at 300 dpi, the large one serves titles and 400-600 dpi. */
#define SIM_FONT_SMALL_PX 42
#define SIM_FONT_LARGE_PX 100

struct sim_font_glyph {
    int16_t left;    /* pen to the bitmap's left edge, pixels */
    int16_t top;     /* baseline to the bitmap's top row, pixels (up is positive) */
    uint16_t width;  /* bitmap columns */
    uint16_t rows;   /* bitmap rows */
    uint32_t adv64;  /* unhinted advance, 1/64 pixel: scales linearly with size */
    uint32_t offset; /* first alpha byte in sim_font.alpha */
};

struct sim_font {
    unsigned px;                        /* em size in pixels */
    const struct sim_font_glyph *glyph; /* SIM_FONT_GLYPHS entries */
    const uint8_t *alpha;
};

enum sim_font_id {
    SIM_FONT_REGULAR_SMALL,
    SIM_FONT_REGULAR_LARGE,
    SIM_FONT_BOLD_SMALL,
    SIM_FONT_BOLD_LARGE,
    SIM_FONT_COUNT
};

/* The generated table, indexed by enum sim_font_id. */
extern const struct sim_font sim_font_table[SIM_FONT_COUNT];

#endif
