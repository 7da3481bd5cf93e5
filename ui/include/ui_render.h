/* The renderer: draws the model into the panel through the display HAL,
 * only what changed (LVGL lv_refr.c's shape: changes invalidate areas, a
 * bounded dirty list, one render pass).
 *
 * Each frame lays the model out, compares every widget with the previous
 * frame's (place, kind, flags and a hash of its texts) and invalidates the
 * old and new rectangles of those that differ. Dirty areas are kept in a
 * list of UI_DIRTY_MAX; when it is full the pair whose union grows least is
 * merged. Each area is then drawn band by band into the caller's buffer and
 * written to the display. No allocation; no full frame in RAM. */
#ifndef UI_RENDER_H
#define UI_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "hal/hal_display.h"
#include "ui_layout.h"
#include "ui_model.h"

#define UI_RENDER_ERR_BAD_ARG (-0x0611)

typedef struct ui_area {
    int16_t x0, y0, x1, y1; /* inclusive */
} ui_area_t;

typedef struct ui_render_stats {
    uint32_t frames;
    uint32_t areas;       /* dirty areas drawn by the last frame */
    uint32_t pixels;      /* pixels written by the last frame */
    uint64_t pixels_total;
} ui_render_stats_t;

typedef struct ui_render {
    const struct hal_display *display;
    uint16_t *buf;        /* caller's draw buffer */
    size_t buf_px;
    ui_layout_t layout;   /* this frame's widgets */
    struct {
        int16_t x, y, w, h;
        ui_area_t area;   /* what it drew, shadow included */
        uint32_t hash;
    } prev[UI_WIDGETS_MAX];
    size_t prev_count;
    int full;             /* the next frame redraws everything */
    ui_area_t dirty[UI_DIRTY_MAX];
    size_t dirty_count;
    ui_render_stats_t stats;
} ui_render_t;

/* Binds the renderer to a display and a draw buffer of buf_px pixels (at
 * least UI_DRAW_BUF_MIN). The first frame redraws the whole screen.
 * Returns 0 or UI_RENDER_ERR_BAD_ARG. */
int ui_render_init(ui_render_t *r, const struct hal_display *display, uint16_t *buf, size_t buf_px);

/* Draws what changed since the last frame. Returns 0 or the display's
 * negative error. */
int ui_render_frame(ui_render_t *r, const ui_model_t *m);

/* Invalidates the whole screen (after the display was reset). */
void ui_render_invalidate_all(ui_render_t *r);

/* Adds an area to the dirty list (clipped to the screen). */
void ui_render_invalidate(ui_render_t *r, ui_area_t a);

/* Width in pixels of text[0..len) in a font, for layout and tests. */
int ui_text_width(uint8_t font, const char *text, size_t len);

void ui_render_free(ui_render_t *r);

#endif
