/* Simulated panel display: the display HAL over a framebuffer in memory,
 * with PNG snapshots (libpng) and a checksum for reference tests. */
#ifndef SIM_DISPLAY_H
#define SIM_DISPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "hal/hal_display.h"

typedef struct sim_display {
    uint16_t width, height;
    uint16_t *fb;        /* width * height RGB565, owned by the caller */
    uint64_t writes;     /* rectangles written */
    uint64_t pixels;     /* pixels written */
} sim_display_t;

extern const struct hal_display_api sim_display_api;

/* Binds d to fb (width * height pixels), cleared to black. */
void sim_display_init(sim_display_t *d, uint16_t *fb, uint16_t width, uint16_t height);

/* Writes the framebuffer as an 8-bit RGB PNG. 0, or -1 with errno set. */
int sim_display_write_png(const sim_display_t *d, const char *path);

/* CRC-32 of the framebuffer's pixels (little-endian bytes). */
uint32_t sim_display_crc(const sim_display_t *d);

#endif
