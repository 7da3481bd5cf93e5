/* Build-time baker of the panel's fonts (ui/include/ui_font.h):
 *
 *   mkuifont OUT.c REGULAR.ttf BOLD.ttf
 *
 * rasterises DejaVu Sans with FreeType at the sizes of UI_FONT_SIZES into
 * 4-bit alpha glyphs (anti-aliased; 16 levels are indistinguishable from
 * 256 on a panel and halve the flash) and writes ui_font_table. Code points
 * a face lacks are left out (the renderer shows U+FFFD for them). OUT.c is
 * written under a temporary name and renamed, so an interrupted run never
 * leaves a file make would take as up to date. */
#include "fontbake.h"
#include "ui_font.h"

/* Ranges baked, sorted: ASCII, Latin-1, Cyrillic, then the symbols the
 * widgets draw (dashes, bullet, ellipsis, arrows, return, shift, check, triangles,
 * replacement). */
static const unsigned mkuifont_ranges[][2] = {
    {0x20, 0x7E},     {0xA0, 0xFF},     {0x400, 0x45F},   {0x2013, 0x2014}, {0x2022, 0x2022}, {0x2026, 0x2026},
    {0x2190, 0x2193}, {0x21B5, 0x21B5}, {0x21E7, 0x21E7}, {0x25B2, 0x25B2}, {0x25BC, 0x25BC},
    {0x2713, 0x2713}, {0xFFFD, 0xFFFD},
};

static int mkuifont_face(FILE *out, FT_Library lib, const char *path, unsigned id, unsigned px,
                         unsigned long *bytes);

int main(int argc, char **argv)
{
    static const unsigned sizes[UI_FONT_COUNT] = UI_FONT_SIZES;
    fontbake_t b;
    unsigned long bytes = 0;
    int rc = fontbake_begin(&b, "mkuifont", argc, argv, "ui_font.h");

    if (rc != 0)
        goto exit;
    rc = 1;
    for (unsigned f = 0; f < UI_FONT_COUNT; f++) {
        const char *path = (UI_FONT_BOLD_MASK >> f) & 1u ? argv[3] : argv[2];

        if (mkuifont_face(b.out, b.lib, path, f, sizes[f], &bytes) != 0)
            goto exit;
    }
    fprintf(b.out, "const ui_font_t ui_font_table[UI_FONT_COUNT] = {\n");
    for (unsigned f = 0; f < UI_FONT_COUNT; f++)
        fprintf(b.out, "    {%u, ui_font%u_ascent, ui_font%u_descent, ui_font%u_count, ui_font%u_glyph, ui_font%u_alpha},\n",
                sizes[f], f, f, f, f, f);
    fprintf(b.out, "};\n");
    rc = 0;
exit:
    rc = fontbake_end(&b, rc);
    if (rc == 0)
        printf("mkuifont: %lu bytes of glyph tables and alpha\n", bytes);
    return rc;
}

/* Writes face `id`: its alpha bytes, glyph table and metrics as enums. */
static int mkuifont_face(FILE *out, FT_Library lib, const char *path, unsigned id, unsigned px,
                         unsigned long *bytes)
{
    FT_Face face = NULL;
    unsigned long offset = 0, col = 0, count = 0;
    int ascent = 0, descent = 0;
    int rc = -1;

    for (size_t r = 1; r < sizeof(mkuifont_ranges) / sizeof(mkuifont_ranges[0]); r++)
        if (mkuifont_ranges[r][0] <= mkuifont_ranges[r - 1][1]) {
            fprintf(stderr, "mkuifont: ranges must be sorted (lookup is a binary search)\n");
            goto exit;
        }
    if (FT_New_Face(lib, path, 0, &face) != 0 || FT_Set_Pixel_Sizes(face, 0, px) != 0) {
        fprintf(stderr, "mkuifont: cannot load %s at %u px\n", path, px);
        goto exit;
    }
    /* Two passes over the same glyphs: alpha first, then the table that
     * points into it. */
    fprintf(out, "static const uint8_t ui_font%u_alpha[] = {\n", id);
    for (size_t r = 0; r < sizeof(mkuifont_ranges) / sizeof(mkuifont_ranges[0]); r++)
        for (unsigned cp = mkuifont_ranges[r][0]; cp <= mkuifont_ranges[r][1]; cp++) {
            FT_Bitmap *bm;

            if (FT_Get_Char_Index(face, cp) == 0)
                continue;
            if (FT_Load_Char(face, cp, FT_LOAD_RENDER | FT_LOAD_TARGET_LIGHT) != 0) {
                fprintf(stderr, "mkuifont: %s cannot render U+%04X\n", path, cp);
                goto exit;
            }
            bm = &face->glyph->bitmap;
            if (bm->pixel_mode != FT_PIXEL_MODE_GRAY || bm->width > 255 || bm->rows > 255) {
                fprintf(stderr, "mkuifont: unexpected bitmap for U+%04X\n", cp);
                goto exit;
            }
            for (unsigned y = 0; y < bm->rows; y++)
                for (unsigned x = 0; x < bm->width; x += 2) {
                    const unsigned char *row = bm->buffer + (long)y * bm->pitch;
                    /* Round to 0..15 so that full ink stays full ink. */
                    unsigned hi = (row[x] * 15u + 127u) / 255u;
                    unsigned lo = x + 1 < bm->width ? (row[x + 1] * 15u + 127u) / 255u : 0;

                    fprintf(out, "%u,", hi << 4 | lo);
                    if (++col % 32 == 0)
                        fputc('\n', out);
                }
            offset += (unsigned long)(bm->width + 1) / 2 * bm->rows;
        }
    fprintf(out, "0};\n\nstatic const ui_glyph_t ui_font%u_glyph[] = {\n", id);
    *bytes += offset + 1;
    offset = 0;
    for (size_t r = 0; r < sizeof(mkuifont_ranges) / sizeof(mkuifont_ranges[0]); r++)
        for (unsigned cp = mkuifont_ranges[r][0]; cp <= mkuifont_ranges[r][1]; cp++) {
            FT_GlyphSlot g;

            if (FT_Get_Char_Index(face, cp) == 0)
                continue;
            if (FT_Load_Char(face, cp, FT_LOAD_RENDER | FT_LOAD_TARGET_LIGHT) != 0)
                goto exit;
            g = face->glyph;
            fprintf(out, "    {0x%04X, %lu, %d, %d, %u, %u, %ld},\n", cp, offset, g->bitmap_left,
                    g->bitmap_top, g->bitmap.width, g->bitmap.rows, (long)((g->advance.x + 32) >> 6));
            if (g->bitmap.rows > 0) {
                if (g->bitmap_top > ascent)
                    ascent = g->bitmap_top;
                if ((int)g->bitmap.rows - g->bitmap_top > descent && cp < 0x2000)
                    descent = (int)g->bitmap.rows - g->bitmap_top;
            }
            offset += (unsigned long)(g->bitmap.width + 1) / 2 * g->bitmap.rows;
            count++;
        }
    *bytes += count * sizeof(ui_glyph_t);
    fprintf(out, "};\n\nenum { ui_font%u_count = %lu, ui_font%u_ascent = %d, ui_font%u_descent = %d };\n\n",
            id, count, id, ascent, id, descent);
    rc = 0;
exit:
    if (face != NULL)
        FT_Done_Face(face);
    return rc;
}
