/* Display HAL: a panel that keeps its own frame (RGB565), written one
 * rectangle at a time. The renderer never needs the whole frame in RAM: it
 * draws a dirty area into a small buffer and writes it here (the Zephyr
 * display API's shape: capabilities, write, optional operations).
 *
 * Optional operations may be NULL in the table; their wrappers then answer
 * HAL_DISPLAY_ERR_NOSYS. */
#ifndef HAL_DISPLAY_H
#define HAL_DISPLAY_H

#include <stddef.h>
#include <stdint.h>

#define HAL_DISPLAY_ERR_BAD_ARG (-22)
#define HAL_DISPLAY_ERR_NOSYS (-38)
#define HAL_DISPLAY_ERR_IO (-5)

enum hal_display_format { HAL_DISPLAY_RGB565 = 0 };

/* Constant facts about the panel. */
struct hal_display_caps {
    uint16_t width;  /* pixels */
    uint16_t height;
    enum hal_display_format format;
};

/* A rectangle of pixels in the caller's buffer: `pitch` pixels a row
 * (pitch >= width), rows top to bottom, native-endian uint16_t RGB565. */
struct hal_display_buf {
    uint16_t width;
    uint16_t height;
    uint16_t pitch;
};

struct hal_display_api {
    /* Fills *caps. Always succeeds. */
    void (*get_caps)(void *ctx, struct hal_display_caps *caps);
    /* Copies the rectangle to the panel at (x, y). The rectangle must lie
     * inside the panel: HAL_DISPLAY_ERR_BAD_ARG otherwise, nothing written.
     * Returns 0 or a negative HAL_DISPLAY_ERR_*. */
    int (*write)(void *ctx, uint16_t x, uint16_t y, const struct hal_display_buf *desc,
                 const uint16_t *pixels);
    /* Optional: backlight on (1) or off (0), e.g. after inactivity. */
    int (*set_backlight)(void *ctx, int on);
};

struct hal_display {
    const struct hal_display_api *api;
    void *ctx;
};

static inline void hal_display_get_caps(const struct hal_display *d, struct hal_display_caps *caps)
{
    d->api->get_caps(d->ctx, caps);
}
static inline int hal_display_write(const struct hal_display *d, uint16_t x, uint16_t y,
                                    const struct hal_display_buf *desc, const uint16_t *pixels)
{
    return d->api->write(d->ctx, x, y, desc, pixels);
}
static inline int hal_display_set_backlight(const struct hal_display *d, int on)
{
    return d->api->set_backlight != NULL ? d->api->set_backlight(d->ctx, on)
                                          : HAL_DISPLAY_ERR_NOSYS;
}

#endif
