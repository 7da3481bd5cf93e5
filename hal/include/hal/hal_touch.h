/* Touch HAL: the panel's touch controller and its hardware keys (Home,
 * Start, Stop, Reset), read by polling from the super-loop. A backend queues
 * what happened since the last poll; none blocks. */
#ifndef HAL_TOUCH_H
#define HAL_TOUCH_H

#include <stdint.h>

#define HAL_TOUCH_ERR_IO (-5)

enum hal_touch_kind {
    HAL_TOUCH_DOWN = 0, /* finger down at (x, y) */
    HAL_TOUCH_MOVE,     /* finger moved while down */
    HAL_TOUCH_UP,       /* finger lifted at (x, y) */
    HAL_TOUCH_KEY       /* a hardware key was pressed: `key` */
};

enum hal_touch_key { HAL_KEY_HOME = 1, HAL_KEY_START, HAL_KEY_STOP, HAL_KEY_RESET };

struct hal_touch_event {
    enum hal_touch_kind kind;
    uint16_t x, y;          /* panel pixels, (0, 0) top left */
    enum hal_touch_key key; /* HAL_TOUCH_KEY only */
};

struct hal_touch_api {
    /* Takes the oldest pending event: 1 and *ev filled, 0 when none is
     * pending, or HAL_TOUCH_ERR_IO. */
    int (*poll)(void *ctx, struct hal_touch_event *ev);
};

struct hal_touch {
    const struct hal_touch_api *api;
    void *ctx;
};

static inline int hal_touch_poll(const struct hal_touch *t, struct hal_touch_event *ev)
{
    return t->api->poll(t->ctx, ev);
}

#endif
