#include "sim_sys.h"

#include <sys/random.h>
#include <time.h>

static uint32_t sim_clock_now_ms(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static int64_t sim_clock_wall_time(void *ctx)
{
    (void)ctx;
    return (int64_t)time(NULL);
}

static int sim_rng_fill(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    while (len > 0) {
        ssize_t n = getrandom(buf, len, 0);
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static const struct hal_clock_api sim_clock_api = {sim_clock_now_ms, sim_clock_wall_time};
static const struct hal_rng_api sim_rng_api = {sim_rng_fill};

void sim_clock_init(struct hal_clock *out)
{
    out->api = &sim_clock_api;
    out->ctx = NULL;
}

void sim_rng_init(struct hal_rng *out)
{
    out->api = &sim_rng_api;
    out->ctx = NULL;
}
