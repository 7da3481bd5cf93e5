/* Simulator netif backend: an existing Linux tap device (the lab's tap0).
 *
 * The tap is opened through /dev/net/tun with IFF_TAP | IFF_NO_PI and made
 * non-blocking: send() and recv() never block, wait() sleeps in poll().
 * This backend never creates a tap: a missing device is an error, so a
 * simulator started outside the lab cannot leave a stray tap behind in the
 * root namespace. The caller enters the lab's network namespace first
 * (sim_netns_enter()), because the tap only exists there.
 */
#ifndef SIM_NETIF_TAP_H
#define SIM_NETIF_TAP_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/hal_netif.h"

/* Locally administered, unicast (02:...): "MFP" then a device number. */
#ifndef SIM_TAP_DEFAULT_MAC
#define SIM_TAP_DEFAULT_MAC { 0x02, 0x4d, 0x46, 0x50, 0x00, 0x01 }
#endif

/* Error codes (negative). */
#define SIM_TAP_ERR_ARG       -1 /* bad argument (NULL, empty or long name) */
#define SIM_TAP_ERR_NOT_FOUND -2 /* no such device / namespace: lab not up */
#define SIM_TAP_ERR_PERM      -3 /* needs root (CAP_NET_ADMIN / CAP_SYS_ADMIN) */
#define SIM_TAP_ERR_BUSY      -4 /* another process has the tap open */
#define SIM_TAP_ERR_NOT_TAP   -5 /* the device exists but is not a tap */
#define SIM_TAP_ERR_IO        -6 /* read/write/open failed otherwise */
#define SIM_TAP_ERR_TOO_BIG   -7 /* frame larger than the buffer: dropped */
#define SIM_TAP_ERR_AGAIN     -8 /* kernel queue full: frame not sent */

typedef struct sim_tap_config {
    const char *ifname;   /* existing tap, e.g. "tap0" */
    const uint8_t *mac;   /* 6 bytes reported by mac(); NULL: SIM_TAP_DEFAULT_MAC */
} sim_tap_config_t;

/* Caller-owned context. A zeroed context is "closed". */
typedef struct sim_tap {
    bool is_open;
    int fd;
    uint8_t mac[6];
    char ifname[IFNAMSIZ];
    /* Catches the tail of a frame longer than the caller's buffer, so an
     * oversized frame is reported instead of silently truncated. */
    uint8_t overflow[64];
} sim_tap_t;

/* Opens the existing tap cfg->ifname and fills *out with the netif (ops +
 * t as context). On failure returns a SIM_TAP_ERR_* code, writes a message
 * for a human into err (always NUL-terminated when errlen > 0; err may be
 * NULL) and leaves t closed. A missing device gives SIM_TAP_ERR_NOT_FOUND
 * with "tap0 not found: is the lab up? run sim/lab/up". */
int sim_tap_open(sim_tap_t *t, const sim_tap_config_t *cfg, struct hal_netif *out,
                 char *err, size_t errlen);

/* Closes the tap. Safe on a zeroed or already closed context. */
void sim_tap_close(sim_tap_t *t);

/* Moves the calling thread into the network namespace NAME
 * (/var/run/netns/NAME, as made by `ip netns add`). Sockets and taps opened
 * afterwards belong to that namespace. Returns 0, or SIM_TAP_ERR_NOT_FOUND
 * ("network namespace NAME not found: run sim/lab/up (as root)"),
 * SIM_TAP_ERR_PERM, SIM_TAP_ERR_ARG or SIM_TAP_ERR_IO with a message in err. */
int sim_netns_enter(const char *name, char *err, size_t errlen);

#endif
