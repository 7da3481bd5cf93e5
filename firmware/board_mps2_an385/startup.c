/* Start-up for the Cortex-M3: vector table, reset handler (copies .data,
 * zeroes .bss, paints the stack for its high-water mark), fault reporting. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "board.h"

/* Linker script symbols (mps2_an385.ld). */
extern uint32_t __stack_bottom[], __stack_top[];
extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];

#define BOARD_STACK_PAINT 0x5afe57acu

void board_reset_handler(void) __attribute__((noreturn));
void board_systick_handler(void);
int main(void);
extern void __libc_init_array(void);

static void board_fault_handler(void);
void board_fault_report(const uint32_t *frame);

/* Cortex-M3: 16 system vectors, then the AN385's 32 interrupts. Only
 * SysTick is used (the super-loop polls the LAN9118 and the UART): any
 * other exception is a bug and is reported like a fault. */
__attribute__((section(".vectors"), used)) static void (*const board_vectors[16 + 32])(void) = {
    (void (*)(void))__stack_top,
    board_reset_handler,
    board_fault_handler, /* NMI */
    board_fault_handler, /* HardFault */
    board_fault_handler, /* MemManage */
    board_fault_handler, /* BusFault */
    board_fault_handler, /* UsageFault */
    0, 0, 0, 0,
    board_fault_handler, /* SVCall */
    board_fault_handler, /* DebugMon */
    0,
    board_fault_handler, /* PendSV */
    board_systick_handler,
    [16 ... 47] = board_fault_handler,
};

void board_reset_handler(void)
{
    /* The stack is in use from here on: paint only below the current frame. */
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = __stack_bottom; p < sp - 16; p++)
        *p = BOARD_STACK_PAINT;
    memcpy(__data_start, __data_load, (size_t)((char *)__data_end - (char *)__data_start));
    memset(__bss_start, 0, (size_t)((char *)__bss_end - (char *)__bss_start));
    /* Usage, bus and memory faults get their own vectors instead of
     * escalating to HardFault; divide by zero traps. */
    *(volatile uint32_t *)0xE000ED24 |= (7u << 16); /* SHCSR: MEMFAULTENA, BUSFAULTENA, USGFAULTENA */
    *(volatile uint32_t *)0xE000ED14 |= (1u << 4);  /* CCR: DIV_0_TRP */
    __libc_init_array();
    board_semihost_exit(main());
}

/* __libc_init_array() calls _init(); crti.o has it unless the image is linked
 * with -nostartfiles. Weak, so either way links. */
void _init(void);
void _fini(void);
__attribute__((weak)) void _init(void) {}
__attribute__((weak)) void _fini(void) {}

uint32_t board_stack_peak(void)
{
    const uint32_t *p = __stack_bottom;
    while (p < __stack_top && *p == BOARD_STACK_PAINT)
        p++;
    return (uint32_t)((const char *)__stack_top - (const char *)p);
}

/* The exception frame (r0-r3, r12, lr, pc, xpsr) is on the main stack: hand
 * its address over before any C prologue moves the stack pointer. */
__attribute__((naked)) static void board_fault_handler(void)
{
    __asm__ volatile("mrs r0, msp\n\tb board_fault_report\n");
}

/* A fault is a firmware bug: say where it happened and end QEMU with 70
 * (EX_SOFTWARE), so a test run fails loudly instead of hanging. */
void board_fault_report(const uint32_t *frame)
{
    char msg[160];
    uint32_t icsr = *(volatile uint32_t *)0xE000ED04;
    uint32_t cfsr = *(volatile uint32_t *)0xE000ED28;
    uint32_t bfar = *(volatile uint32_t *)0xE000ED38;
    int n;

    n = snprintf(msg, sizeof(msg),
                 "\r\nboard: FAULT exception %lu pc=0x%08lx lr=0x%08lx cfsr=0x%08lx bfar=0x%08lx\r\n",
                 (unsigned long)(icsr & 0x1ff), (unsigned long)frame[6], (unsigned long)frame[5],
                 (unsigned long)cfsr, (unsigned long)bfar);
    board_uart_write(msg, n > 0 ? (size_t)n : 0);
    board_semihost_exit(70);
}
