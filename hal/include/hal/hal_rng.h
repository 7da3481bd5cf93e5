/* Random number HAL: a source of unpredictable bytes (TRNG on a board). */
#ifndef HAL_RNG_H
#define HAL_RNG_H

#include <stddef.h>
#include <stdint.h>

struct hal_rng_api {
    /* Fills buf with len random bytes. Returns 0, or a negative error. */
    int (*fill)(void *ctx, uint8_t *buf, size_t len);
};

struct hal_rng {
    const struct hal_rng_api *api;
    void *ctx;
};

static inline int hal_rng_fill(const struct hal_rng *r, uint8_t *buf, size_t len)
{
    return r->api->fill(r->ctx, buf, len);
}

#endif
