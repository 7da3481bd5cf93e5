#include "fake_sys.h"

static uint32_t fake_clock_now_ms(void *ctx) { return ((struct fake_clock *)ctx)->now_ms; }
static int64_t fake_clock_wall(void *ctx) { return ((struct fake_clock *)ctx)->wall; }

static int fake_rng_fill(void *ctx, uint8_t *buf, size_t len)
{
    struct fake_rng *r = ctx;
    if (r->fail)
        return -1;
    for (size_t i = 0; i < len; i++)
        buf[i] = r->next++;
    return 0;
}

static const struct hal_clock_api fake_clock_api = {fake_clock_now_ms, fake_clock_wall};
static const struct hal_rng_api fake_rng_api = {fake_rng_fill};

void fake_clock_hal(struct fake_clock *c, struct hal_clock *out)
{
    out->api = &fake_clock_api;
    out->ctx = c;
}

void fake_rng_hal(struct fake_rng *r, struct hal_rng *out)
{
    out->api = &fake_rng_api;
    out->ctx = r;
}
