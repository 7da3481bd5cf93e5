/* Network interface HAL: raw Ethernet frames in and out, polled. */
#ifndef HAL_NETIF_H
#define HAL_NETIF_H

#include <stddef.h>
#include <stdint.h>

#define HAL_NETIF_FRAME_MAX 1518

struct hal_netif_api {
    /* Sends one Ethernet frame (no FCS). Returns 0 or a negative error. */
    int (*send)(void *ctx, const uint8_t *frame, size_t len);
    /* Takes one received frame if there is one: its length, 0 when none is
     * waiting, or a negative error. Never blocks. */
    int (*recv)(void *ctx, uint8_t *buf, size_t cap);
    /* Sleeps until a frame may be waiting or timeout_ms passes (the
     * super-loop's idle; a board may return at once). */
    void (*wait)(void *ctx, uint32_t timeout_ms);
    /* The interface's MAC address. */
    void (*mac)(void *ctx, uint8_t mac[6]);
};

struct hal_netif {
    const struct hal_netif_api *api;
    void *ctx;
};

static inline int hal_netif_send(const struct hal_netif *n, const uint8_t *f, size_t len)
{
    return n->api->send(n->ctx, f, len);
}
static inline int hal_netif_recv(const struct hal_netif *n, uint8_t *buf, size_t cap)
{
    return n->api->recv(n->ctx, buf, cap);
}
static inline void hal_netif_wait(const struct hal_netif *n, uint32_t ms) { n->api->wait(n->ctx, ms); }
static inline void hal_netif_mac(const struct hal_netif *n, uint8_t mac[6]) { n->api->mac(n->ctx, mac); }

#endif
