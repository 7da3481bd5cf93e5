/* Simulator clock and random-number backends (the host's clocks and getrandom). */
#ifndef SIM_SYS_H
#define SIM_SYS_H

#include "hal/hal_clock.h"
#include "hal/hal_rng.h"

/* Fills *out with the host clock backend (monotonic ms, wall time). */
void sim_clock_init(struct hal_clock *out);

/* Fills *out with the host random backend (getrandom). */
void sim_rng_init(struct hal_rng *out);

#endif
