/* Test helper: decodes a whole JPEG in memory with libjpeg-turbo. */
#ifndef JPEG_PROBE_H
#define JPEG_PROBE_H

#include <stddef.h>
#include <stdint.h>

struct jpeg_probe {
    unsigned width, height, components, density_unit, x_density, y_density;
    int progressive;
    uint8_t *px; /* width * height * components bytes; free() it */
};

/* Decodes data into d. Returns 0, or -1 when the header is not JPEG. */
int jpeg_probe_decode(const uint8_t *data, size_t len, struct jpeg_probe *d);

#endif
