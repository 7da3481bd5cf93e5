/* The mps2-an385 board (QEMU -M mps2-an385, Cortex-M3 at 25 MHz): start-up,
 * UART0 console, SysTick clock, lab-only entropy and time, semihosting, and
 * the RAM figures the firmware reports at the end of a job.
 *
 * Everything here is board code: the firmware's folders never include it. */
#ifndef BOARD_H
#define BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "hal/hal_clock.h"
#include "hal/hal_rng.h"

#define BOARD_CPU_HZ 25000000u   /* SYSCLK of the AN385 FPGA image (and QEMU's model) */
#define BOARD_UART0_BASE 0x40004000u

/* ---- console (UART0, CMSDK APB UART) ---- */

/* Enables UART0's transmitter; newlib's stdout (_write) goes there. */
void board_uart_init(void);
/* Writes len bytes, blocking while the transmit buffer is full. */
void board_uart_write(const char *buf, size_t len);

/* ---- clock (SysTick, 1 ms) ---- */

/* The board's clock: SysTick counts milliseconds. The wall clock is the lab
 * host's time read once through semihosting at start-up (LAB ONLY: a real
 * board takes it from an RTC or SNTP); before that it is unknown (-1). */
struct board_clock {
    int64_t wall_at_boot; /* host seconds when now_ms was 0, or -1 */
};

/* Starts SysTick and fills *out with the clock HAL backed by c. */
void board_clock_init(struct board_clock *c, struct hal_clock *out);
/* Milliseconds since board_clock_init() (the SysTick count). */
uint32_t board_millis(void);
/* Sleeps until the next interrupt (at most a SysTick period): WFI. */
void board_idle(void);

/* ---- random numbers (LAB ONLY, NOT SECURE) ---- */

/* LAB ONLY -- NOT A SOURCE OF SECURE RANDOMNESS. The emulated board has no
 * TRNG, so this hashes (SHA-256) SysTick's current value sampled between
 * busy loops (host scheduling jitter under QEMU), a counter and the lab
 * host's time. Under `qemu -icount` the samples are fully repeatable. A
 * real board replaces it with its TRNG; see board_sys.c. */
struct board_rng {
    uint32_t counter;
    uint8_t pool[32];
};

/* Fills *out with the rng HAL backed by r, and makes r the source behind
 * mbedtls_hardware_poll() (MBEDTLS_ENTROPY_HARDWARE_ALT). */
void board_rng_init(struct board_rng *r, struct hal_rng *out);

/* ---- semihosting (QEMU -semihosting-config enable=on,target=native) ---- */

/* Ends QEMU with exit status code (SYS_EXIT_EXTENDED). Never returns. */
void board_semihost_exit(int code) __attribute__((noreturn));
/* Seconds since 1970 on the host (SYS_TIME), or -1. */
int64_t board_semihost_time(void);
/* The command line QEMU was given (-semihosting-config ...,arg=...), NUL
 * terminated, into buf. 0, or -1 when there is none. */
int board_semihost_cmdline(char *buf, size_t cap);
/* Reads a whole host file into buf (at most cap - 1 bytes, then a NUL) and
 * its length without the NUL into *len. 0, or -1 (missing, unreadable or
 * larger than cap - 1). LAB ONLY: a real board has no host. */
int board_semihost_read_file(const char *path, uint8_t *buf, size_t cap, size_t *len);

/* ---- RAM figures ---- */

struct board_ram {
    uint32_t static_bytes;  /* .data + .bss */
    uint32_t stack_size, stack_peak;
    uint32_t heap_size;     /* the heap's bound (RAM budget minus static and stack) */
    uint32_t heap_peak;     /* highest _sbrk() break, bytes above the heap's start */
    uint32_t heap_failures; /* _sbrk() calls refused */
};

void board_ram_figures(struct board_ram *out);
/* Bytes of the main stack ever used (its painted words that were overwritten). */
uint32_t board_stack_peak(void);

#endif
