/* lwIP options for the MFP firmware: one cooperative super-loop (NO_SYS=1),
 * altcp (TCP and TLS behind one API), DHCP and DNS, IPv4 only.
 * Every option not set here keeps lwIP's default from lwip/opt.h. */
#ifndef FW_LWIPOPTS_H
#define FW_LWIPOPTS_H

#define NO_SYS 1
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define SYS_LIGHTWEIGHT_PROT 0

/* Memory: lwIP's own heap and pools, sized for one SMTP/TLS session plus
 * DHCP and DNS. The TLS record buffers live in Mbed TLS's allocations. */
/* 4 on the Cortex-M3; 8 on a 64-bit host, where lwIP's pools hold
 * pointers (4 there is undefined behaviour that UBSan reports as soon as a
 * unit test calls lwip_init(), e.g. for altcp_tls configurations). */
#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ == 8
#define MEM_ALIGNMENT 8
#else
#define MEM_ALIGNMENT 4
#endif
#define MEM_SIZE (48 * 1024)
#define MEMP_NUM_PBUF 32
#define MEMP_NUM_TCP_PCB 4
#define MEMP_NUM_TCP_PCB_LISTEN 2
#define MEMP_NUM_TCP_SEG 64
#define MEMP_NUM_UDP_PCB 6
#define PBUF_POOL_SIZE 32
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 4)

#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
/* 2.1.3's name for the ARP probe of a new lease; it costs a second per lease. */
#define DHCP_DOES_ARP_CHECK 0
/* The DHCP domain name (option 15), which lwIP skips: the device's EHLO name
 * and Find gateways' domain come from it (fw_net.c). */
struct netif;
struct pbuf;
void fw_net_dhcp_option(struct netif *netif, unsigned option, unsigned len, struct pbuf *p,
                        unsigned offset);
/* TCP initial sequence numbers from the device's random source (lwIP's
 * default is a counter anyone can predict); LWIP_RAND (DHCP xids, DNS ids,
 * ports) is the port's rand(), which fw_net_init seeds from the same source. */
unsigned long fw_net_isn(void);
#define LWIP_HOOK_TCP_ISN(local_ip, local_port, remote_ip, remote_port) ((u32_t)fw_net_isn())
#define LWIP_HOOK_DHCP_PARSE_OPTION(netif, dhcp, state, msg, msg_type, option, len, pbuf, offset) \
    fw_net_dhcp_option(netif, option, len, pbuf, offset)
#define LWIP_AUTOIP 0
#define LWIP_DNS 1
#define DNS_MAX_SERVERS 2
/* Names pinned by the service menu (mfp-sim --resolve) for networks without DNS. */
#define DNS_LOCAL_HOSTLIST 1
#define DNS_LOCAL_HOSTLIST_IS_DYNAMIC 1
#define LWIP_NETIF_HOSTNAME 1
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1

/* TCP: a full-size window and send buffer so a page streams without
 * waiting on every segment. */
#define TCP_MSS 1460
#define TCP_WND (8 * TCP_MSS)
#define TCP_SND_BUF (8 * TCP_MSS)
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF) / TCP_MSS)
#define LWIP_TCP_KEEPALIVE 1

/* altcp: the SMTP and LDAP transports run over TCP or TLS alike. */
#define LWIP_ALTCP 1
#define LWIP_ALTCP_TLS 1
#define LWIP_ALTCP_TLS_MBEDTLS 1

/* Statistics: the firmware reports pool and heap high-water marks. */
#define LWIP_STATS 1
#define MEM_STATS 1
#define MEMP_STATS 1
#define LWIP_STATS_DISPLAY 0

#define LWIP_CHECKSUM_ON_COPY 1
#define LWIP_DEBUG 0

#endif
