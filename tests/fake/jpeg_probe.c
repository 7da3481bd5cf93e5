#include "jpeg_probe.h"

#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>

int jpeg_probe_decode(const uint8_t *data, size_t len, struct jpeg_probe *d)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr err;
    int rc = -1;

    cinfo.err = jpeg_std_error(&err);
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK)
        goto exit;
    jpeg_start_decompress(&cinfo);
    d->width = cinfo.output_width;
    d->height = cinfo.output_height;
    d->components = (unsigned)cinfo.output_components;
    d->density_unit = cinfo.density_unit;
    d->x_density = cinfo.X_density;
    d->y_density = cinfo.Y_density;
    d->progressive = cinfo.progressive_mode;
    d->px = malloc((size_t)d->width * d->height * d->components);
    if (!d->px)
        goto exit;
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = d->px + (size_t)cinfo.output_scanline * d->width * d->components;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    rc = 0;
exit:
    jpeg_destroy_decompress(&cinfo);
    return rc;
}
