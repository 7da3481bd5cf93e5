/* Simulated panel display (sim_display.h). */
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sim_display.h"

static void sim_display_caps(void *ctx, struct hal_display_caps *caps)
{
    const sim_display_t *d = ctx;

    caps->width = d->width;
    caps->height = d->height;
    caps->format = HAL_DISPLAY_RGB565;
}

static int sim_display_write(void *ctx, uint16_t x, uint16_t y, const struct hal_display_buf *desc,
                             const uint16_t *pixels)
{
    sim_display_t *d = ctx;

    /* Check like a real controller would: a rectangle off the panel is a
     * renderer bug, refused whole. */
    if (desc == NULL || pixels == NULL || desc->pitch < desc->width || (uint32_t)x + desc->width > d->width ||
        (uint32_t)y + desc->height > d->height)
        return HAL_DISPLAY_ERR_BAD_ARG;
    for (uint16_t r = 0; r < desc->height; r++)
        memcpy(d->fb + (size_t)(y + r) * d->width + x, pixels + (size_t)r * desc->pitch,
               (size_t)desc->width * sizeof(uint16_t));
    d->writes++;
    d->pixels += (uint64_t)desc->width * desc->height;
    return 0;
}

const struct hal_display_api sim_display_api = {sim_display_caps, sim_display_write, NULL};

void sim_display_init(sim_display_t *d, uint16_t *fb, uint16_t width, uint16_t height)
{
    memset(d, 0, sizeof(*d));
    d->fb = fb;
    d->width = width;
    d->height = height;
    memset(fb, 0, (size_t)width * height * sizeof(uint16_t));
}

/* The libpng part, apart so that setjmp clobbers none of the caller's
 * locals. 0 or -1. */
static int sim_display_png(const sim_display_t *d, FILE *f, uint8_t *row)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png != NULL ? png_create_info_struct(png) : NULL;

    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, d->width, d->height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint16_t y = 0; y < d->height; y++) {
        for (uint16_t x = 0; x < d->width; x++) {
            uint16_t p = d->fb[(size_t)y * d->width + x];
            unsigned r = p >> 11, g = (p >> 5) & 63u, b = p & 31u;

            /* Expand 5/6 bits to 8 by replicating the high bits. */
            row[x * 3] = (uint8_t)(r << 3 | r >> 2);
            row[x * 3 + 1] = (uint8_t)(g << 2 | g >> 4);
            row[x * 3 + 2] = (uint8_t)(b << 3 | b >> 2);
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int sim_display_write_png(const sim_display_t *d, const char *path)
{
    FILE *f = NULL;
    uint8_t *row = NULL;
    int rc = -1;

    f = fopen(path, "wb");
    if (f == NULL)
        goto exit;
    row = malloc((size_t)d->width * 3);
    if (row == NULL) {
        errno = ENOMEM;
        goto exit;
    }
    if (sim_display_png(d, f, row) != 0) {
        errno = EIO;
        goto exit;
    }
    rc = 0;
exit:
    free(row);
    if (f != NULL && fclose(f) != 0)
        rc = -1;
    if (rc != 0 && f != NULL)
        remove(path);
    return rc;
}

uint32_t sim_display_crc(const sim_display_t *d)
{
    uLong crc = crc32(0L, Z_NULL, 0);

    for (size_t i = 0; i < (size_t)d->width * d->height; i++) {
        uint8_t b[2] = {(uint8_t)(d->fb[i] & 0xFF), (uint8_t)(d->fb[i] >> 8)};

        crc = crc32(crc, b, 2);
    }
    return (uint32_t)crc;
}
