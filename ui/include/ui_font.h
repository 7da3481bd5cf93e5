/* Fonts of the panel: DejaVu Sans baked at build time by tools/mkuifont.c
 * with FreeType into $(BUILD)/gen/ui_font.c (never committed).
 *
 * Each glyph is a 4-bit alpha bitmap (0 = no ink, 15 = full ink), rows top
 * to bottom, two pixels a byte (high nibble first), each row starting on a
 * byte. Glyphs are sorted by code point so lookup is a binary search.
 * Coverage: printable ASCII, Latin-1, Cyrillic (U+0400..U+045F), the
 * ellipsis, the replacement character and a few arrows the widgets use. */
#ifndef UI_FONT_H
#define UI_FONT_H

#include <stddef.h>
#include <stdint.h>

typedef struct ui_glyph {
    uint32_t cp;     /* Unicode code point */
    uint32_t offset; /* first byte in the face's alpha[] */
    int8_t left;     /* pen to the bitmap's left edge, pixels */
    int8_t top;      /* baseline to the top row, pixels, up is positive */
    uint8_t width;   /* bitmap columns */
    uint8_t rows;    /* bitmap rows */
    uint8_t adv;     /* advance, whole pixels */
} ui_glyph_t;

typedef struct ui_font {
    uint8_t px;      /* em size */
    uint8_t ascent;  /* baseline to the top of the tallest glyph */
    uint8_t descent; /* baseline to the bottom of the lowest glyph */
    uint16_t count;
    const ui_glyph_t *glyph;
    const uint8_t *alpha;
} ui_font_t;

typedef enum ui_font_id {
    UI_FONT_SMALL = 0, /* regular 15 px: status line, hints */
    UI_FONT_BODY,      /* regular 19 px: fields, lists, keys */
    UI_FONT_BOLD,      /* bold 19 px: buttons, labels */
    UI_FONT_TITLE,     /* bold 24 px: screen titles, tiles */
    UI_FONT_COUNT
} ui_font_id_t;

/* Pixel sizes, used by the baker. */
#define UI_FONT_SIZES {15, 19, 19, 24}
#define UI_FONT_BOLD_MASK 0xCu /* bit n set: face n is bold */

/* The generated tables, indexed by ui_font_id_t. */
extern const ui_font_t ui_font_table[UI_FONT_COUNT];

/* The glyph of cp, or the replacement glyph (U+FFFD, else '?') when the
 * face has none. Never NULL. */
const ui_glyph_t *ui_font_glyph(const ui_font_t *f, uint32_t cp);

/* Decodes one UTF-8 sequence of s[0..len): stores the code point in *cp and
 * returns the bytes used (1..4). Malformed input (stray continuation bytes,
 * overlong forms, surrogates, truncation) yields U+FFFD and consumes one
 * byte, so decoding always advances. len must be > 0. */
unsigned ui_utf8_decode(const char *s, size_t len, uint32_t *cp);

#endif
