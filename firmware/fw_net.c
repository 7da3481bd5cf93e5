#include "fw_net.h"

#include <stdlib.h>
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

/* lwIP asks for the time through a free function; this is its one source. */
static const struct hal_clock *fw_net_clock;
static const struct hal_rng *fw_net_rng;
static bool fw_net_lwip_ready;

static err_t fw_net_netif_init(struct netif *nif);
static err_t fw_net_linkoutput(struct netif *nif, struct pbuf *p);

u32_t sys_now(void)
{
    return fw_net_clock ? hal_clock_now_ms(fw_net_clock) : 0;
}

unsigned long fw_net_isn(void)
{
    uint8_t b[4] = {0, 0, 0, 0};

    if (!fw_net_rng || hal_rng_fill(fw_net_rng, b, sizeof(b)) != 0)
        return (unsigned long)rand() ^ sys_now();
    return (unsigned long)b[0] << 24 | (unsigned long)b[1] << 16 | (unsigned long)b[2] << 8 | b[3];
}

int fw_net_init(fw_net_t *n, const struct fw_net_config *cfg, const struct hal_netif *hal,
                const struct hal_clock *clock)
{
    ip4_addr_t ip, mask, gw;

    if (!n || !cfg || !hal || !clock)
        return FW_NET_ERR_BAD_ARG;
    memset(n, 0, sizeof(*n));
    n->hal = hal;
    n->clock = clock;
    fw_net_clock = clock;
    fw_net_rng = cfg->rng;
    srand((unsigned)fw_net_isn());
    if (!fw_net_lwip_ready) {
        lwip_init();
        fw_net_lwip_ready = true;
    }
    ip.addr = cfg->ip;
    mask.addr = cfg->netmask;
    gw.addr = cfg->gateway;
    n->dhcp = cfg->ip == 0;
    n->hostname = cfg->hostname;
    if (!netif_add(&n->netif, &ip, &mask, &gw, n, fw_net_netif_init, ethernet_input))
        return FW_NET_ERR_LWIP;
#if LWIP_NETIF_HOSTNAME
    netif_set_hostname(&n->netif, cfg->hostname);
#endif
    netif_set_default(&n->netif);
    netif_set_up(&n->netif);
    netif_set_link_up(&n->netif);
    if (!n->dhcp) {
        ip_addr_t dns;
        ip_addr_set_ip4_u32(&dns, cfg->dns);
        if (cfg->dns)
            dns_setserver(0, &dns);
        return 0;
    }
    return dhcp_start(&n->netif) == ERR_OK ? 0 : FW_NET_ERR_LWIP;
}

/* lwIP's DHCP parse hook (lwipopts.h): keeps the domain name when it is a
 * plausible DNS name (letters, digits, '-' and '.'), so it can go in EHLO. */
void fw_net_dhcp_option(struct netif *netif, unsigned option, unsigned len, struct pbuf *p,
                        unsigned offset)
{
    fw_net_t *n = netif ? netif->state : NULL;
    char name[FW_NET_DOMAIN_MAX + 1];

    if (!n || option != 15 || len == 0 || len > FW_NET_DOMAIN_MAX ||
        pbuf_copy_partial(p, name, (u16_t)len, (u16_t)offset) != len)
        return;
    name[len] = '\0';
    if (name[len - 1] == '\0') /* some servers count a trailing NUL */
        len--;
    for (unsigned i = 0; i < len; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
              (name[i] >= '0' && name[i] <= '9') || name[i] == '-' || name[i] == '.'))
            return;
    memcpy(n->domain, name, len + 1);
}

void fw_net_fqdn(const fw_net_t *n, char *out, unsigned cap)
{
    out[0] = '\0';
    if (n->hostname && n->hostname[0] && n->domain[0] &&
        strlen(n->hostname) + 1 + strlen(n->domain) < cap) {
        strcpy(out, n->hostname);
        strcat(out, ".");
        strcat(out, n->domain);
    }
}

void fw_net_poll(fw_net_t *n)
{
    uint8_t frame[HAL_NETIF_FRAME_MAX];
    int len;

    /* A bounded slice: at most 64 frames per call so the job keeps moving. */
    for (int i = 0; i < 64 && (len = hal_netif_recv(n->hal, frame, sizeof(frame))) > 0; i++) {
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
        if (!p)
            break; /* out of pool: drop, TCP retransmits */
        pbuf_take(p, frame, (u16_t)len);
        n->frames_in++;
        n->bytes_in += (unsigned)len;
        if (n->netif.input(p, &n->netif) != ERR_OK)
            pbuf_free(p);
    }
    sys_check_timeouts();
}

uint32_t fw_net_idle_ms(const fw_net_t *n)
{
    (void)n;
    u32_t ms = sys_timeouts_sleeptime();
    return ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? 1000 : ms;
}

bool fw_net_ready(const fw_net_t *n)
{
    if (n->dhcp)
        return dhcp_supplied_address(&n->netif);
    return !ip4_addr_isany_val(*netif_ip4_addr(&n->netif));
}

int fw_net_pin_name(const char *name, const char *addr)
{
    ip_addr_t ip;
    if (!name || !addr || !ipaddr_aton(addr, &ip))
        return FW_NET_ERR_BAD_ARG;
    return dns_local_addhost(name, &ip) == ERR_OK ? 0 : FW_NET_ERR_BAD_ARG;
}

void fw_net_addr_str(const fw_net_t *n, char *out, unsigned cap)
{
    ip4addr_ntoa_r(netif_ip4_addr(&n->netif), out, (int)cap);
}

void fw_net_free(fw_net_t *n)
{
    if (!n || !n->hal)
        return;
    if (n->dhcp)
        dhcp_release_and_stop(&n->netif);
    netif_remove(&n->netif);
    n->hal = NULL;
}

static err_t fw_net_netif_init(struct netif *nif)
{
    fw_net_t *n = nif->state;

    nif->name[0] = 'e';
    nif->name[1] = 'n';
    nif->output = etharp_output;
    nif->linkoutput = fw_net_linkoutput;
    nif->mtu = 1500;
    nif->hwaddr_len = ETH_HWADDR_LEN;
    hal_netif_mac(n->hal, nif->hwaddr);
    nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    return ERR_OK;
}

static err_t fw_net_linkoutput(struct netif *nif, struct pbuf *p)
{
    fw_net_t *n = nif->state;
    uint8_t frame[HAL_NETIF_FRAME_MAX];

    if (p->tot_len > sizeof(frame))
        return ERR_BUF;
    pbuf_copy_partial(p, frame, p->tot_len, 0);
    n->frames_out++;
    n->bytes_out += p->tot_len;
    return hal_netif_send(n->hal, frame, p->tot_len) == 0 ? ERR_OK : ERR_IF;
}
