/* UART0 console, SysTick clock, semihosting and newlib's system calls. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "board.h"

/* CMSDK APB UART registers. */
#define UART_DATA  (*(volatile uint32_t *)(BOARD_UART0_BASE + 0x00))
#define UART_STATE (*(volatile uint32_t *)(BOARD_UART0_BASE + 0x04))
#define UART_CTRL  (*(volatile uint32_t *)(BOARD_UART0_BASE + 0x08))
#define UART_BAUDDIV (*(volatile uint32_t *)(BOARD_UART0_BASE + 0x10))
#define UART_STATE_TX_FULL 1u
#define UART_CTRL_TX_EN 1u

/* SysTick. */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018)
#define SYST_CSR_ENABLE 1u
#define SYST_CSR_TICKINT 2u
#define SYST_CSR_CLKSOURCE 4u /* the processor clock */

/* Semihosting operations (ARM "Semihosting for AArch32 and AArch64"). */
#define SH_SYS_OPEN 0x01
#define SH_SYS_CLOSE 0x02
#define SH_SYS_READ 0x06
#define SH_SYS_FLEN 0x0C
#define SH_SYS_TIME 0x11
#define SH_SYS_GET_CMDLINE 0x15
#define SH_SYS_EXIT_EXTENDED 0x20
#define SH_ADP_STOPPED_APPLICATION_EXIT 0x20026

/* Linker script symbols (mps2_an385.ld). */
extern char __heap_start[], __heap_limit[];
extern char __data_start[], __bss_end[];
extern char __stack_bottom[], __stack_top[];

/* The millisecond count belongs to the SysTick interrupt; the heap break to
 * _sbrk(). Both are the hardware's single instance, hence file scope. */
static volatile uint32_t board_ms;
static char *board_brk = __heap_start;
static char *board_brk_peak = __heap_start;
static uint32_t board_sbrk_refused;

static int board_semihost(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* ---- console ---- */

void board_uart_init(void)
{
    UART_BAUDDIV = 16; /* the smallest legal divider; QEMU ignores the rate */
    UART_CTRL = UART_CTRL_TX_EN;
}

void board_uart_write(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while (UART_STATE & UART_STATE_TX_FULL)
            ;
        UART_DATA = (uint8_t)buf[i];
    }
}

/* ---- clock ---- */

void board_systick_handler(void);
void board_systick_handler(void)
{
    board_ms++;
}

uint32_t board_millis(void)
{
    return board_ms;
}

void board_idle(void)
{
    __asm__ volatile("wfi");
}

static uint32_t board_clock_now_ms(void *ctx)
{
    (void)ctx;
    return board_ms;
}

static int64_t board_clock_wall_time(void *ctx)
{
    const struct board_clock *c = ctx;
    return c->wall_at_boot < 0 ? -1 : c->wall_at_boot + (int64_t)(board_ms / 1000u);
}

static const struct hal_clock_api board_clock_api = {board_clock_now_ms, board_clock_wall_time};

void board_clock_init(struct board_clock *c, struct hal_clock *out)
{
    SYST_CSR = 0;
    SYST_RVR = BOARD_CPU_HZ / 1000u - 1u;
    SYST_CVR = 0;
    board_ms = 0;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE;
    c->wall_at_boot = board_semihost_time();
    out->api = &board_clock_api;
    out->ctx = c;
}

/* ---- semihosting ---- */

void board_semihost_exit(int code)
{
    uint32_t block[2] = {SH_ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    for (;;)
        board_semihost(SH_SYS_EXIT_EXTENDED, block);
}

int64_t board_semihost_time(void)
{
    int t = board_semihost(SH_SYS_TIME, NULL);
    return t > 0 ? (int64_t)(uint32_t)t : -1;
}

int board_semihost_cmdline(char *buf, size_t cap)
{
    uint32_t block[2] = {(uint32_t)(uintptr_t)buf, (uint32_t)cap};
    if (!buf || cap < 2 || board_semihost(SH_SYS_GET_CMDLINE, block) != 0)
        return -1;
    buf[cap - 1] = '\0';
    return 0;
}

int board_semihost_read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
    uint32_t open_args[3] = {(uint32_t)(uintptr_t)path, 1 /* "rb" */, (uint32_t)strlen(path)};
    uint32_t args[3];
    int fd, size, left, rc = -1;

    if (!path || !buf || cap == 0 || (fd = board_semihost(SH_SYS_OPEN, open_args)) < 0)
        return -1;
    args[0] = (uint32_t)fd;
    size = board_semihost(SH_SYS_FLEN, args);
    if (size < 0 || (size_t)size >= cap)
        goto exit;
    args[1] = (uint32_t)(uintptr_t)buf;
    args[2] = (uint32_t)size;
    left = board_semihost(SH_SYS_READ, args); /* bytes NOT read */
    if (left != 0)
        goto exit;
    buf[size] = '\0';
    *len = (size_t)size;
    rc = 0;
exit:
    board_semihost(SH_SYS_CLOSE, args);
    return rc;
}

/* ---- RAM figures ---- */

void board_ram_figures(struct board_ram *out)
{
    out->static_bytes = (uint32_t)(__bss_end - __data_start);
    out->stack_size = (uint32_t)(__stack_top - __stack_bottom);
    out->stack_peak = board_stack_peak();
    out->heap_size = (uint32_t)(__heap_limit - __heap_start);
    out->heap_peak = (uint32_t)(board_brk_peak - __heap_start);
    out->heap_failures = board_sbrk_refused;
}

/* ---- newlib system calls (newlib-nano, no OS) ---- */

void *_sbrk(ptrdiff_t incr);
int _write(int fd, const void *buf, size_t len);
int _read(int fd, void *buf, size_t len);
int _close(int fd);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
off_t _lseek(int fd, off_t off, int whence);
void _exit(int code);
int _kill(int pid, int sig);
int _getpid(void);

/* The heap grows from the end of .bss to the end of the RAM budget and
 * never past it: malloc() then fails cleanly (and the refusal is counted). */
void *_sbrk(ptrdiff_t incr)
{
    char *old = board_brk;

    if (incr > __heap_limit - board_brk || (incr < 0 && -incr > board_brk - __heap_start)) {
        board_sbrk_refused++;
        errno = ENOMEM;
        return (void *)-1;
    }
    board_brk += incr;
    if (board_brk > board_brk_peak)
        board_brk_peak = board_brk;
    return old;
}

/* stdout and stderr go to UART0, with LF as CR LF for terminals. */
int _write(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    size_t start = 0;

    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '\n') {
            board_uart_write(p + start, i - start);
            board_uart_write("\r", 1);
            start = i;
        }
    }
    board_uart_write(p + start, len - start);
    return (int)len;
}

int _read(int fd, void *buf, size_t len)
{
    (void)fd, (void)buf, (void)len;
    errno = EBADF;
    return -1;
}

int _close(int fd)
{
    (void)fd;
    return -1;
}

int _fstat(int fd, struct stat *st)
{
    (void)fd;
    memset(st, 0, sizeof(*st));
    st->st_mode = S_IFCHR;
    return 0;
}

int _isatty(int fd)
{
    return fd <= 2;
}

off_t _lseek(int fd, off_t off, int whence)
{
    (void)fd, (void)off, (void)whence;
    return 0;
}

void _exit(int code)
{
    board_semihost_exit(code);
}

int _kill(int pid, int sig)
{
    (void)pid, (void)sig;
    errno = EINVAL;
    return -1;
}

int _getpid(void)
{
    return 1;
}
