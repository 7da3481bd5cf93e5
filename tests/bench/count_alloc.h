/* Counting allocator for the benchmarks (not for the ASan unit tests): it
 * replaces malloc and friends in the process, so every allocation, libjpeg's
 * included, is counted exactly. */
#ifndef COUNT_ALLOC_H
#define COUNT_ALLOC_H

#include <stddef.h>

size_t count_alloc_current(void);   /* bytes allocated now */
size_t count_alloc_peak(void);      /* most bytes allocated at once since the last reset */
size_t count_alloc_calls(void);     /* allocations since the last reset */
void count_alloc_reset_peak(void);  /* peak := current, calls := 0 */
/* on != 0: blocks allocated from now on are set apart (the simulated
 * scanner's, say): never counted, neither then nor when freed. 0: count again. */
void count_alloc_set_apart(int on);

#endif
