/* Polled SMSC LAN9118 driver (see hal_lan9118.h). Register names follow the
 * LAN9118 datasheet; only what a polled MAC needs is here. */
#include "hal_lan9118.h"

#include <stddef.h>
#include <string.h>

/* System control and status registers, offsets from the base. */
#define LAN_RX_DATA_FIFO 0x00
#define LAN_TX_DATA_FIFO 0x20
#define LAN_RX_STATUS_FIFO 0x40
#define LAN_TX_STATUS_FIFO 0x48
#define LAN_BYTE_TEST 0x64
#define LAN_INT_EN 0x5c
#define LAN_RX_CFG 0x6c
#define LAN_TX_CFG 0x70
#define LAN_HW_CFG 0x74
#define LAN_RX_FIFO_INF 0x7c
#define LAN_TX_FIFO_INF 0x80
#define LAN_PMT_CTRL 0x84
#define LAN_MAC_CSR_CMD 0xa4
#define LAN_MAC_CSR_DATA 0xa8

#define LAN_BYTE_TEST_VALUE 0x87654321u
#define LAN_HW_CFG_SRST (1u << 0)
#define LAN_PMT_CTRL_READY (1u << 0)
#define LAN_TX_CFG_TX_ON (1u << 1)
#define LAN_MAC_CSR_BUSY (1u << 31)
#define LAN_MAC_CSR_READ (1u << 30)

/* MAC control and status registers (through MAC_CSR_CMD/DATA). */
#define LAN_MAC_CR 1
#define LAN_MAC_ADDRH 2
#define LAN_MAC_ADDRL 3
#define LAN_MAC_CR_RXEN (1u << 2)
#define LAN_MAC_CR_TXEN (1u << 3)
#define LAN_MAC_CR_FDPX (1u << 20)

/* TX command A: first and last segment of a one-buffer frame; B: the tag
 * and the frame length (the controller adds the FCS). */
#define LAN_TXA_FIRST (1u << 13)
#define LAN_TXA_LAST (1u << 12)

/* RX status: frame length including the 4-byte FCS, and the error summary. */
#define LAN_RXS_LEN(s) (((s) >> 16) & 0x3fffu)
#define LAN_RXS_ERROR (1u << 15)
#define LAN_FCS_LEN 4

static int lan_send(void *ctx, const uint8_t *frame, size_t len);
static int lan_recv(void *ctx, uint8_t *buf, size_t cap);
static void lan_wait(void *ctx, uint32_t timeout_ms);
static void lan_mac(void *ctx, uint8_t mac[6]);

static const struct hal_netif_api lan_api = {
    .send = lan_send,
    .recv = lan_recv,
    .wait = lan_wait,
    .mac = lan_mac,
};

static volatile uint32_t *lan_reg(const struct hal_lan9118 *d, uint32_t off)
{
    return (volatile uint32_t *)(d->base + off);
}

static uint32_t lan_rd(const struct hal_lan9118 *d, uint32_t off)
{
    return *lan_reg(d, off);
}

static void lan_wr(const struct hal_lan9118 *d, uint32_t off, uint32_t v)
{
    *lan_reg(d, off) = v;
}

/* Waits until (reg & mask) == want; 0 or HAL_LAN9118_ERR_TIMEOUT. */
static int lan_spin(const struct hal_lan9118 *d, uint32_t off, uint32_t mask, uint32_t want)
{
    for (unsigned i = 0; i < HAL_LAN9118_SPIN_MAX; i++)
        if ((lan_rd(d, off) & mask) == want)
            return 0;
    return HAL_LAN9118_ERR_TIMEOUT;
}

static int lan_mac_read(const struct hal_lan9118 *d, uint32_t reg, uint32_t *v)
{
    lan_wr(d, LAN_MAC_CSR_CMD, LAN_MAC_CSR_BUSY | LAN_MAC_CSR_READ | reg);
    if (lan_spin(d, LAN_MAC_CSR_CMD, LAN_MAC_CSR_BUSY, 0) != 0)
        return HAL_LAN9118_ERR_TIMEOUT;
    *v = lan_rd(d, LAN_MAC_CSR_DATA);
    return 0;
}

static int lan_mac_write(const struct hal_lan9118 *d, uint32_t reg, uint32_t v)
{
    lan_wr(d, LAN_MAC_CSR_DATA, v);
    lan_wr(d, LAN_MAC_CSR_CMD, LAN_MAC_CSR_BUSY | reg);
    return lan_spin(d, LAN_MAC_CSR_CMD, LAN_MAC_CSR_BUSY, 0);
}

int hal_lan9118_init(struct hal_lan9118 *d, uintptr_t base, void (*idle)(void),
                     uint32_t (*now_ms)(void), struct hal_netif *out)
{
    uint32_t hi, lo;
    int rc;

    if (!d || !now_ms || !out)
        return HAL_LAN9118_ERR_ABSENT;
    memset(d, 0, sizeof(*d));
    d->base = base;
    d->idle = idle;
    d->now_ms = now_ms;
    if (lan_rd(d, LAN_BYTE_TEST) != LAN_BYTE_TEST_VALUE)
        return HAL_LAN9118_ERR_ABSENT;
    lan_wr(d, LAN_HW_CFG, LAN_HW_CFG_SRST);
    if ((rc = lan_spin(d, LAN_HW_CFG, LAN_HW_CFG_SRST, 0)) != 0 ||
        (rc = lan_spin(d, LAN_PMT_CTRL, LAN_PMT_CTRL_READY, LAN_PMT_CTRL_READY)) != 0)
        return rc;
    lan_wr(d, LAN_INT_EN, 0); /* polled */
    lan_wr(d, LAN_RX_CFG, 0); /* no offset, no end alignment: frames start at a word */
    if ((rc = lan_mac_read(d, LAN_MAC_ADDRH, &hi)) != 0 ||
        (rc = lan_mac_read(d, LAN_MAC_ADDRL, &lo)) != 0)
        return rc;
    d->mac[0] = (uint8_t)lo;
    d->mac[1] = (uint8_t)(lo >> 8);
    d->mac[2] = (uint8_t)(lo >> 16);
    d->mac[3] = (uint8_t)(lo >> 24);
    d->mac[4] = (uint8_t)hi;
    d->mac[5] = (uint8_t)(hi >> 8);
    if ((rc = lan_mac_write(d, LAN_MAC_CR, LAN_MAC_CR_RXEN | LAN_MAC_CR_TXEN | LAN_MAC_CR_FDPX)) != 0)
        return rc;
    lan_wr(d, LAN_TX_CFG, LAN_TX_CFG_TX_ON);
    out->api = &lan_api;
    out->ctx = d;
    return 0;
}

static int lan_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct hal_lan9118 *d = ctx;
    size_t words = (len + 3) / 4;

    if (len == 0 || len > HAL_NETIF_FRAME_MAX)
        return HAL_LAN9118_ERR_TOO_BIG;
    /* Room for the two command words and the data (TXFREE, bytes). */
    if ((lan_rd(d, LAN_TX_FIFO_INF) & 0xffffu) < words * 4 + 8)
        return HAL_LAN9118_ERR_TX_FULL;
    lan_wr(d, LAN_TX_DATA_FIFO, LAN_TXA_FIRST | LAN_TXA_LAST | (uint32_t)len);
    lan_wr(d, LAN_TX_DATA_FIFO, ((uint32_t)len << 16) | (uint32_t)len);
    for (size_t i = 0; i < words; i++) {
        uint32_t w = 0;
        memcpy(&w, frame + i * 4, len - i * 4 < 4 ? len - i * 4 : 4);
        lan_wr(d, LAN_TX_DATA_FIFO, w);
    }
    /* Drain TX statuses so the status FIFO never fills and stalls the MAC. */
    while ((lan_rd(d, LAN_TX_FIFO_INF) >> 16) & 0xffu)
        (void)lan_rd(d, LAN_TX_STATUS_FIFO);
    d->tx_frames++;
    return 0;
}

static int lan_recv(void *ctx, uint8_t *buf, size_t cap)
{
    struct hal_lan9118 *d = ctx;
    uint32_t status, len, words;

    if (((lan_rd(d, LAN_RX_FIFO_INF) >> 16) & 0xffu) == 0)
        return 0;
    status = lan_rd(d, LAN_RX_STATUS_FIFO);
    len = LAN_RXS_LEN(status);
    words = (len + 3) / 4;
    if ((status & LAN_RXS_ERROR) || len <= LAN_FCS_LEN || len - LAN_FCS_LEN > cap) {
        /* Read the frame out of the FIFO and drop it. */
        for (uint32_t i = 0; i < words; i++)
            (void)lan_rd(d, LAN_RX_DATA_FIFO);
        if (status & LAN_RXS_ERROR)
            d->rx_errors++;
        else
            d->rx_dropped++;
        return 0;
    }
    len -= LAN_FCS_LEN;
    for (uint32_t i = 0; i < words; i++) {
        uint32_t w = lan_rd(d, LAN_RX_DATA_FIFO);
        size_t off = (size_t)i * 4;
        if (off < len)
            memcpy(buf + off, &w, len - off < 4 ? len - off : 4);
    }
    d->rx_frames++;
    return (int)len;
}

static void lan_wait(void *ctx, uint32_t timeout_ms)
{
    struct hal_lan9118 *d = ctx;
    uint32_t start = d->now_ms();

    while (((lan_rd(d, LAN_RX_FIFO_INF) >> 16) & 0xffu) == 0 &&
           (uint32_t)(d->now_ms() - start) < timeout_ms) {
        if (d->idle)
            d->idle();
    }
}

static void lan_mac(void *ctx, uint8_t mac[6])
{
    const struct hal_lan9118 *d = ctx;
    memcpy(mac, d->mac, 6);
}
