/* Network bring-up: binds lwIP (NO_SYS=1) to a netif HAL, runs DHCP or a
 * static address, and is polled from the super-loop. */
#ifndef FW_NET_H
#define FW_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "hal/hal_clock.h"
#include "hal/hal_netif.h"
#include "hal/hal_rng.h"
#include "lwip/netif.h"

#define FW_NET_ERR_BAD_ARG (-1)
#define FW_NET_ERR_LWIP (-2)
#ifndef FW_NET_DOMAIN_MAX
#define FW_NET_DOMAIN_MAX 63 /* the DHCP domain name kept */
#endif

struct fw_net_config {
    const char *hostname;   /* DHCP host name */
    /* Seeds lwIP's ids, ports and TCP sequence numbers so that they differ
     * from boot to boot; NULL: the clock (predictable: tests only). */
    const struct hal_rng *rng;
    /* Static address; all zero means DHCP. */
    uint32_t ip, netmask, gateway, dns; /* network byte order */
};

typedef struct fw_net {
    struct netif netif;
    const struct hal_netif *hal;
    const struct hal_clock *clock;
    bool dhcp;
    uint32_t frames_in, frames_out;
    uint64_t bytes_in, bytes_out;   /* Ethernet frame bytes (the wire) */
    const char *hostname;
    char domain[FW_NET_DOMAIN_MAX + 1]; /* from DHCP (option 15), "" when none */
} fw_net_t;

/* Initialises lwIP once per process and adds the interface. The clock also
 * becomes lwIP's sys_now() source (lwIP has one global time base). */
int fw_net_init(fw_net_t *n, const struct fw_net_config *cfg, const struct hal_netif *hal,
                const struct hal_clock *clock);

/* Moves every waiting frame into lwIP and runs lwIP's timers. Never blocks. */
void fw_net_poll(fw_net_t *n);

/* Milliseconds until lwIP's next timer is due (to bound the idle wait). */
uint32_t fw_net_idle_ms(const fw_net_t *n);

/* True once the interface has an address (static, or leased by DHCP). */
bool fw_net_ready(const fw_net_t *n);

/* Pins a host name to an IPv4 address (dotted string) in the resolver, for
 * networks without DNS. 0, or FW_NET_ERR_BAD_ARG. */
int fw_net_pin_name(const char *name, const char *addr);

/* The device's name for EHLO: "host.domain" when DHCP gave a domain and the
 * host name is set, else "" (the caller then uses the address literal). */
void fw_net_fqdn(const fw_net_t *n, char *out, unsigned cap);

/* Formats the interface's address as dotted decimal into out. */
void fw_net_addr_str(const fw_net_t *n, char *out, unsigned cap);

void fw_net_free(fw_net_t *n);

#endif
