/* Build-time generator of the simulator's glyph table (sim/sim_font.h):
 *
 *   mkfont OUT.c REGULAR.ttf BOLD.ttf
 *
 * rasterises printable ASCII of both faces with FreeType at the two master
 * sizes and writes a C file defining sim_font_table. OUT.c is written under
 * a temporary name and renamed, so an interrupted run never leaves a file
 * that make would take as up to date. */
#include "fontbake.h"
#include "sim_font.h"

static int mkfont_face(FILE *out, FT_Library lib, const char *path, const char *name, unsigned px);

int main(int argc, char **argv)
{
    static const unsigned sizes[2] = {SIM_FONT_SMALL_PX, SIM_FONT_LARGE_PX};
    static const char *const names[SIM_FONT_COUNT] = {"regular_small", "regular_large",
                                                      "bold_small", "bold_large"};
    fontbake_t b;
    int rc = fontbake_begin(&b, "mkfont", argc, argv, "sim_font.h");

    if (rc != 0)
        goto exit;
    rc = 1;
    for (unsigned f = 0; f < SIM_FONT_COUNT; f++)
        if (mkfont_face(b.out, b.lib, argv[2 + f / 2], names[f], sizes[f % 2]) != 0)
            goto exit;
    fprintf(b.out, "const struct sim_font sim_font_table[SIM_FONT_COUNT] = {\n");
    for (unsigned f = 0; f < SIM_FONT_COUNT; f++)
        fprintf(b.out, "    {%u, sim_font_%s_glyph, sim_font_%s_alpha},\n", sizes[f % 2], names[f],
                names[f]);
    fprintf(b.out, "};\n");
    rc = 0;
exit:
    return fontbake_end(&b, rc);
}

/* Writes sim_font_<name>_glyph[] and sim_font_<name>_alpha[] for one face at
 * one size. Hinting is light (vertical only) so stems stay crisp at the
 * small size while advances come from the unhinted outline. */
static int mkfont_face(FILE *out, FT_Library lib, const char *path, const char *name, unsigned px)
{
    FT_Face face = NULL;
    unsigned long offset = 0, col = 0;
    int rc = -1;

    if (FT_New_Face(lib, path, 0, &face) != 0 || FT_Set_Pixel_Sizes(face, 0, px) != 0) {
        fprintf(stderr, "mkfont: cannot load %s at %u px\n", path, px);
        goto exit;
    }
    fprintf(out, "static const uint8_t sim_font_%s_alpha[] = {\n", name);
    for (unsigned c = SIM_FONT_FIRST; c <= SIM_FONT_LAST; c++) {
        FT_Bitmap *bm;

        if (FT_Load_Char(face, c, FT_LOAD_RENDER | FT_LOAD_TARGET_LIGHT) != 0) {
            fprintf(stderr, "mkfont: %s has no glyph for '%c'\n", path, (char)c);
            goto exit;
        }
        bm = &face->glyph->bitmap;
        if (bm->pixel_mode != FT_PIXEL_MODE_GRAY || bm->num_grays != 256) {
            fprintf(stderr, "mkfont: unexpected bitmap mode for '%c'\n", (char)c);
            goto exit;
        }
        for (unsigned y = 0; y < bm->rows; y++)
            for (unsigned x = 0; x < bm->width; x++) {
                fprintf(out, "%u,", bm->buffer[(long)y * bm->pitch + x]);
                if (++col % 32 == 0)
                    fputc('\n', out);
            }
    }
    /* A zero keeps the array non-empty even for a face without ink. */
    fprintf(out,
            "0};\n\nstatic const struct sim_font_glyph sim_font_%s_glyph[SIM_FONT_GLYPHS] = {\n",
            name);
    for (unsigned c = SIM_FONT_FIRST; c <= SIM_FONT_LAST; c++) {
        FT_GlyphSlot g;

        if (FT_Load_Char(face, c, FT_LOAD_RENDER | FT_LOAD_TARGET_LIGHT) != 0)
            goto exit;
        g = face->glyph;
        /* linearHoriAdvance is 16.16 pixels; keep 1/64 pixel. */
        fprintf(out, "    {%d, %d, %u, %u, %lu, %lu}, /* '%s%c' */\n", g->bitmap_left,
                g->bitmap_top, g->bitmap.width, g->bitmap.rows,
                (unsigned long)(g->linearHoriAdvance >> 10), offset,
                c == '\\' || c == '\'' ? "\\" : "", (char)c);
        offset += (unsigned long)g->bitmap.width * g->bitmap.rows;
    }
    fprintf(out, "};\n\n");
    rc = 0;
exit:
    if (face != NULL)
        FT_Done_Face(face);
    return rc;
}
