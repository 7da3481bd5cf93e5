/* Simulator netif backend: restricted libslirp (rootless networking).
 *
 * The firmware's Ethernet frames go into an in-process libslirp 4.7 in
 * RESTRICTED mode: nothing leaves the process except TCP connections to the
 * forwards listed in the configuration, each relayed to a port on host
 * loopback. Every other TCP SYN is answered with a reset, UDP is dropped
 * (DNS included: slirp's DNS proxy is disabled) and IPv6 is off.
 *
 * Guest network (what the firmware sees), fixed by the options below:
 *   198.51.100.0/24            the documentation range the tap lab also uses,
 *                              so the firmware dials the same addresses
 *                              (e.g. the gateway at 198.51.100.1) on both.
 *   198.51.100.2               slirp itself: DHCP server (server identifier);
 *                              also its (disabled) DNS address. It answers ping.
 *   198.51.100.100 - .115      slirp's DHCP pool (16 leases, first one first).
 *   any other host address     may be a forward's GUEST_IP; slirp answers ARP
 *                              for it and accepts TCP on the forwarded port.
 * Slirp's DHCP in restricted mode gives an address and the netmask only:
 * no router and no DNS server (use pinned names, e.g. mfp-sim --resolve).
 * Forward addresses therefore have to be inside the /24 (on-link).
 *
 * Forward rule syntax: "GUEST_IP:GUEST_PORT=127.0.0.1:HOST_PORT", e.g.
 * "198.51.100.1:25=127.0.0.1:2525". The host side must be loopback
 * (127.0.0.0/8). A guest connection to GUEST_IP:GUEST_PORT runs
 * `socat -lf /dev/null STDIO TCP4:HOST:HOST_PORT` on a socket pair
 * (slirp_add_exec), so socat must be on PATH. Slirp completes the guest's
 * handshake before socat connects: a host port with no listener shows up as
 * a connection that the peer closes at once, not as a reset.
 *
 * Threading: single-threaded, polled. send() feeds slirp_input(); frames
 * slirp emits (from slirp_input(), its sockets or its timers) are queued in
 * the context and taken by recv(). recv() and send() never block; wait()
 * is the only call that sleeps (poll on slirp's sockets, bounded by slirp's
 * timers).
 */
#ifndef SIM_NETIF_SLIRP_H
#define SIM_NETIF_SLIRP_H

#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/hal_netif.h"

/* Guest network layout (host byte order, see above). */
#ifndef SIM_SLIRP_NET
#define SIM_SLIRP_NET        0xc6336400u /* 198.51.100.0 */
#endif
#ifndef SIM_SLIRP_NETMASK
#define SIM_SLIRP_NETMASK    0xffffff00u /* /24 */
#endif
#ifndef SIM_SLIRP_HOST
#define SIM_SLIRP_HOST       0xc6336402u /* 198.51.100.2: slirp, DHCP server */
#endif
#ifndef SIM_SLIRP_DHCP_START
#define SIM_SLIRP_DHCP_START 0xc6336464u /* 198.51.100.100 */
#endif
/* libslirp's pool size (NB_BOOTP_CLIENTS in 4.7); not configurable there. */
#define SIM_SLIRP_DHCP_COUNT 16u

/* Locally administered, unicast (02:...): "MFP" then a device number. */
#ifndef SIM_SLIRP_DEFAULT_MAC
#define SIM_SLIRP_DEFAULT_MAC { 0x02, 0x4d, 0x46, 0x50, 0x00, 0x01 }
#endif
/* Frames slirp may emit before recv() takes them; more are dropped (and
 * counted) like a NIC with a full ring: TCP retransmits. */
#ifndef SIM_SLIRP_QUEUE_FRAMES
#define SIM_SLIRP_QUEUE_FRAMES 64
#endif
/* Sockets slirp may ask to poll at once (forwarded connections). */
#ifndef SIM_SLIRP_POLLFD_MAX
#define SIM_SLIRP_POLLFD_MAX 64
#endif
#ifndef SIM_SLIRP_FORWARD_MAX
#define SIM_SLIRP_FORWARD_MAX 16
#endif
/* The relay slirp runs per forwarded connection (looked up on PATH). */
#ifndef SIM_SLIRP_SOCAT
#define SIM_SLIRP_SOCAT "socat"
#endif

/* Error codes (negative). */
#define SIM_SLIRP_ERR_ARG        -1 /* bad argument or config */
#define SIM_SLIRP_ERR_FORWARD    -2 /* forward rule malformed or not allowed */
#define SIM_SLIRP_ERR_NO_SOCAT   -3 /* socat not found on PATH */
#define SIM_SLIRP_ERR_SLIRP      -4 /* libslirp refused (slirp_new, add_exec) */
#define SIM_SLIRP_ERR_TOO_BIG    -5 /* frame larger than buffer or MTU: dropped */

/* One parsed forward rule. Addresses in network byte order. */
typedef struct sim_slirp_forward {
    struct in_addr guest_addr;
    uint16_t guest_port;
    struct in_addr host_addr;   /* always in 127.0.0.0/8 */
    uint16_t host_port;
} sim_slirp_forward_t;

typedef struct sim_slirp_config {
    const uint8_t *mac;             /* 6 bytes reported by mac(); NULL: default */
    const char *const *forwards;    /* forward rules (syntax above); may be NULL */
    size_t forward_count;           /* at most SIM_SLIRP_FORWARD_MAX */
} sim_slirp_config_t;

struct Slirp;
struct sim_slirp_timer;

/* Caller-owned context (large: the frame queue lives here; keep it static or
 * on the heap rather than on a small stack). A zeroed context is "closed". */
typedef struct sim_slirp {
    struct Slirp *slirp;
    uint8_t mac[6];
    /* Frames from slirp to the guest, a ring. */
    uint8_t queue[SIM_SLIRP_QUEUE_FRAMES][HAL_NETIF_FRAME_MAX];
    uint16_t queue_len[SIM_SLIRP_QUEUE_FRAMES];
    unsigned queue_head;
    unsigned queue_count;
    uint32_t dropped;               /* frames lost to a full queue */
    /* slirp_pollfds_fill() output for the next poll(). */
    struct pollfd pfd[SIM_SLIRP_POLLFD_MAX];
    unsigned npfd;
    struct sim_slirp_timer *timers; /* slirp's timers (a list) */
    char guest_error[128];          /* last guest misbehaviour slirp reported */
} sim_slirp_t;

/* Parses one forward rule "GUEST_IP:GUEST_PORT=HOST_IP:HOST_PORT" into *fwd.
 * Refuses (SIM_SLIRP_ERR_FORWARD, with the reason in err) a host side off
 * loopback, a guest address outside 198.51.100.0/24 or on slirp's own or
 * DHCP addresses, ports outside 1..65535, and anything malformed. */
int sim_slirp_forward_parse(const char *spec, sim_slirp_forward_t *fwd, char *err,
                            size_t errlen);

/* Starts restricted slirp with cfg's forwards and fills *out with the netif.
 * slirp keeps a pointer to s: s must not move until sim_slirp_close(), and
 * *out must not be used after it. On failure returns a SIM_SLIRP_ERR_* code with a message in err (may be
 * NULL) and leaves s closed. */
int sim_slirp_open(sim_slirp_t *s, const sim_slirp_config_t *cfg, struct hal_netif *out,
                   char *err, size_t errlen);

/* Stops slirp: forwarded connections close (their socat relays see EOF and
 * exit). Safe on a zeroed or closed context. */
void sim_slirp_close(sim_slirp_t *s);

/* Frames dropped so far because the queue was full. */
uint32_t sim_slirp_dropped(const sim_slirp_t *s);

#endif
