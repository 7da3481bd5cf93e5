/* Test clock (time moves only when the test says so) and a deterministic
 * random source that can be told to fail. */
#ifndef FAKE_SYS_H
#define FAKE_SYS_H

#include "hal/hal_clock.h"
#include "hal/hal_rng.h"

struct fake_clock {
    uint32_t now_ms;
    int64_t wall;  /* unix seconds */
};

struct fake_rng {
    uint8_t next;  /* bytes count up from here */
    int fail;      /* fill() fails when non-zero */
};

void fake_clock_hal(struct fake_clock *c, struct hal_clock *out);
void fake_rng_hal(struct fake_rng *r, struct hal_rng *out);

#endif
