/* One-line error messages for the simulator's backends. */
#ifndef SIM_ERRMSG_H
#define SIM_ERRMSG_H

#include <stddef.h>

/* Formats a message into err (when err is not NULL and errlen > 0) and
 * returns code, so that a backend can `return sim_errmsg(err, len, CODE, ...)`. */
int sim_errmsg(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
