/* SMSC LAN9118 Ethernet controller (mps2-an385: 0x40200000), polled: the
 * netif HAL backend of the target board. No interrupts, no DMA: the
 * super-loop's fw_net_poll() takes frames from the RX FIFO and lwIP's
 * output puts them in the TX FIFO.
 *
 * Needs: the MAC address is the one the controller holds (its EEPROM, or
 * QEMU's -nic ...,mac=); hal_lan9118_init() keeps it. */
#ifndef HAL_LAN9118_H
#define HAL_LAN9118_H

#include <stdint.h>

#include "hal/hal_netif.h"

#define HAL_LAN9118_ERR_ABSENT (-0x0b01) /* BYTE_TEST does not read 0x87654321 */
#define HAL_LAN9118_ERR_TIMEOUT (-0x0b02) /* reset or a MAC CSR access never completed */
#define HAL_LAN9118_ERR_TOO_BIG (-0x0b03) /* a frame longer than HAL_NETIF_FRAME_MAX */
#define HAL_LAN9118_ERR_TX_FULL (-0x0b04) /* the TX FIFO has no room */

/* Spins on a busy bit at most this many reads. */
#ifndef HAL_LAN9118_SPIN_MAX
#define HAL_LAN9118_SPIN_MAX 100000
#endif

struct hal_lan9118 {
    uintptr_t base;
    uint8_t mac[6];
    /* Called by wait() to idle the CPU until the next interrupt (SysTick):
     * the board's WFI. NULL spins. */
    void (*idle)(void);
    /* The board's millisecond clock, for wait()'s timeout. */
    uint32_t (*now_ms)(void);
    uint32_t rx_frames, rx_dropped, rx_errors, tx_frames;
};

/* Resets the controller at base, reads its MAC address, enables the MAC's
 * receiver and transmitter (broadcast and own address, full duplex) and
 * fills *out with the netif HAL backed by d. 0 or HAL_LAN9118_ERR_*. */
int hal_lan9118_init(struct hal_lan9118 *d, uintptr_t base, void (*idle)(void),
                     uint32_t (*now_ms)(void), struct hal_netif *out);

#endif
