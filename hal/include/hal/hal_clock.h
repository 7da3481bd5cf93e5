/* Clock HAL: a monotonic millisecond counter and the wall clock. */
#ifndef HAL_CLOCK_H
#define HAL_CLOCK_H

#include <stdint.h>

struct hal_clock_api {
    /* Milliseconds since an arbitrary origin; wraps after 49 days. */
    uint32_t (*now_ms)(void *ctx);
    /* Seconds since 1970-01-01 UTC, or -1 when the time is not known. */
    int64_t (*wall_time)(void *ctx);
};

struct hal_clock {
    const struct hal_clock_api *api;
    void *ctx;
};

static inline uint32_t hal_clock_now_ms(const struct hal_clock *c) { return c->api->now_ms(c->ctx); }
static inline int64_t hal_clock_wall_time(const struct hal_clock *c) { return c->api->wall_time(c->ctx); }

#endif
