/* Simulator netif backends: restricted slirp, pcap decorator, tap errors.
 *
 * The slirp tests talk to a real libslirp with hand-built frames (DHCP,
 * ARP, TCP) and to a real TCP listener on 127.0.0.1 through socat. The tap
 * tests run in a child process inside a network namespace the test creates
 * (unshare), so nothing is ever created in the root namespace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim_netif_slirp.h"
#include "sim_netif_tap.h"
#include "sim_pcap.h"

#define GUEST_IP   0xc6336464u /* 198.51.100.100: the first DHCP lease */
#define FWD_IP     0xc6336401u /* 198.51.100.1: the lab gateway's address */
#define OTHER_IP   0xc6336432u /* 198.51.100.50: nothing there */
#define GUEST_PORT 40000
#define ISN        1000u

#define ETH_IPV4 0x0800
#define ETH_ARP  0x0806
#define TCP_FIN  0x01
#define TCP_SYN  0x02
#define TCP_RST  0x04
#define TCP_PSH  0x08
#define TCP_ACK  0x10

static const uint8_t guest_mac[6] = { 0x02, 0x4d, 0x46, 0x50, 0x00, 0x42 };
static const uint8_t broadcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---- frame building and parsing ---------------------------------------- */

struct tcp_seg {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    const uint8_t *data;
    size_t len;
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i += 2) {
        sum += get16(p + i);
    }
    if (len & 1) {
        sum += (uint32_t)p[len - 1] << 8;
    }
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

static size_t eth_header(uint8_t *f, const uint8_t dst[6], uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, guest_mac, 6);
    put16(f + 12, type);
    return 14;
}

static size_t ipv4_header(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto,
                          size_t payload_len)
{
    memset(p, 0, 20);
    p[0] = 0x45;
    put16(p + 2, (uint16_t)(20 + payload_len));
    p[8] = 64;
    p[9] = proto;
    put32(p + 12, src);
    put32(p + 16, dst);
    put16(p + 10, csum_fold(csum_add(0, p, 20)));
    return 20;
}

/* DHCPDISCOVER from guest_mac, BOOTP padded to the 548 bytes slirp reads. */
static size_t build_dhcp_discover(uint8_t *f, uint32_t xid)
{
    const size_t bootp_len = 548;
    uint8_t *udp, *b;
    size_t n = eth_header(f, broadcast_mac, ETH_IPV4);

    n += ipv4_header(f + n, 0, 0xffffffffu, 17, 8 + bootp_len);
    udp = f + n;
    put16(udp, 68);
    put16(udp + 2, 67);
    put16(udp + 4, (uint16_t)(8 + bootp_len));
    put16(udp + 6, 0); /* no UDP checksum: allowed for IPv4 */
    b = udp + 8;
    memset(b, 0, bootp_len);
    b[0] = 1; /* BOOTREQUEST */
    b[1] = 1; /* Ethernet */
    b[2] = 6;
    put32(b + 4, xid);
    put16(b + 10, 0x8000); /* broadcast reply */
    memcpy(b + 28, guest_mac, 6);
    put32(b + 236, 0x63825363u);
    b[240] = 53; /* DHCP message type */
    b[241] = 1;
    b[242] = 1; /* DISCOVER */
    b[243] = 255;
    return n + 8 + bootp_len;
}

static size_t build_arp_request(uint8_t *f, uint32_t sip, uint32_t tip)
{
    size_t n = eth_header(f, broadcast_mac, ETH_ARP);
    uint8_t *a = f + n;

    put16(a, 1);
    put16(a + 2, ETH_IPV4);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, 1); /* request */
    memcpy(a + 8, guest_mac, 6);
    put32(a + 14, sip);
    memset(a + 18, 0, 6);
    put32(a + 24, tip);
    return n + 28;
}

static size_t build_tcp(uint8_t *f, const uint8_t dst_mac[6], uint32_t dst, uint16_t dport,
                        uint32_t seq, uint32_t ack, uint8_t flags, const char *data)
{
    size_t dlen = data != NULL ? strlen(data) : 0;
    size_t n = eth_header(f, dst_mac, ETH_IPV4);
    uint8_t pseudo[12];
    uint8_t *t;
    uint32_t sum;

    n += ipv4_header(f + n, GUEST_IP, dst, 6, 20 + dlen);
    t = f + n;
    memset(t, 0, 20);
    put16(t, GUEST_PORT);
    put16(t + 2, dport);
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = 5 << 4;
    t[13] = flags;
    put16(t + 14, 8192); /* window */
    if (dlen > 0) {
        memcpy(t + 20, data, dlen);
    }
    put32(pseudo, GUEST_IP);
    put32(pseudo + 4, dst);
    pseudo[8] = 0;
    pseudo[9] = 6;
    put16(pseudo + 10, (uint16_t)(20 + dlen));
    sum = csum_add(csum_add(0, pseudo, sizeof(pseudo)), t, 20 + dlen);
    put16(t + 16, csum_fold(sum));
    return n + 20 + dlen;
}

static bool parse_tcp(const uint8_t *f, size_t n, struct tcp_seg *s)
{
    const uint8_t *ip = f + 14, *t;
    size_t ihl, total, thl;

    if (n < 14 + 20 || get16(f + 12) != ETH_IPV4 || ip[9] != 6) {
        return false;
    }
    ihl = (size_t)(ip[0] & 0x0f) * 4;
    total = get16(ip + 2);
    if (total > n - 14 || ihl + 20 > total) {
        return false;
    }
    t = ip + ihl;
    thl = (size_t)(t[12] >> 4) * 4;
    if (ihl + thl > total) {
        return false;
    }
    s->src = get32(ip + 12);
    s->dst = get32(ip + 16);
    s->sport = get16(t);
    s->dport = get16(t + 2);
    s->seq = get32(t + 4);
    s->ack = get32(t + 8);
    s->flags = t[13];
    s->data = t + thl;
    s->len = total - ihl - thl;
    return true;
}

/* ---- netif helpers ----------------------------------------------------- */

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Next frame within timeout_ms: its length, or 0 if none came. */
static int next_frame(const struct hal_netif *n, uint8_t *buf, uint32_t timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;

    for (;;) {
        int r = hal_netif_recv(n, buf, HAL_NETIF_FRAME_MAX);
        assert_true(r >= 0);
        if (r > 0) {
            return r;
        }
        if (mono_ms() >= deadline) {
            return 0;
        }
        hal_netif_wait(n, 20);
    }
}

/* The next TCP segment from src:sport within timeout_ms. */
static bool next_tcp_from(const struct hal_netif *n, uint8_t *buf, uint32_t src, uint16_t sport,
                          struct tcp_seg *s, uint32_t timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;

    for (;;) {
        int64_t left = deadline - mono_ms();
        int r = next_frame(n, buf, left > 0 ? (uint32_t)left : 0);
        if (r == 0) {
            return false;
        }
        if (parse_tcp(buf, (size_t)r, s) && s->src == src && s->sport == sport &&
            s->dst == GUEST_IP && s->dport == GUEST_PORT) {
            return true;
        }
    }
}

/* Asks for tip's MAC as GUEST_IP; true and *mac when slirp answered. */
static bool arp_resolve(const struct hal_netif *n, uint32_t tip, uint8_t mac[6])
{
    uint8_t f[HAL_NETIF_FRAME_MAX];
    int64_t deadline = mono_ms() + 300;
    int r;

    assert_int_equal(hal_netif_send(n, f, build_arp_request(f, GUEST_IP, tip)), 0);
    while ((r = next_frame(n, f, 50)) > 0 || mono_ms() < deadline) {
        if (r >= 42 && get16(f + 12) == ETH_ARP && get16(f + 20) == 2 &&
            get32(f + 28) == tip && get32(f + 38) == GUEST_IP) {
            memcpy(mac, f + 22, 6);
            return true;
        }
    }
    return false;
}

static sim_slirp_t *slirp_start(const char *const *forwards, size_t count, struct hal_netif *n)
{
    sim_slirp_t *s = calloc(1, sizeof(*s));
    sim_slirp_config_t cfg = { .mac = guest_mac, .forwards = forwards, .forward_count = count };
    char err[200];

    assert_non_null(s);
    assert_int_equal(sim_slirp_open(s, &cfg, n, err, sizeof(err)), 0);
    return s;
}

static void slirp_stop(sim_slirp_t *s)
{
    sim_slirp_close(s);
    free(s);
}

/* A TCP listener on 127.0.0.1, ephemeral port, non-blocking. */
static int listen_loopback(uint16_t *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* ---- slirp: DHCP, ARP, restricted TCP ---------------------------------- */

static void test_slirp_dhcp_discover_gets_offer_in_simulated_network(void **state)
{
    struct hal_netif n;
    sim_slirp_t *s = slirp_start(NULL, 0, &n);
    uint8_t f[HAL_NETIF_FRAME_MAX];
    const uint32_t xid = 0x4d465031u;
    bool offered = false;
    int r;

    (void)state;
    assert_int_equal(hal_netif_send(&n, f, build_dhcp_discover(f, xid)), 0);
    while (!offered && (r = next_frame(&n, f, 2000)) > 0) {
        const uint8_t *ip = f + 14, *udp = ip + 20, *b = udp + 8, *o;
        uint8_t type = 0;
        uint32_t server = 0, mask = 0;
        bool router = false, dns = false;

        if (r < 14 + 20 + 8 + 240 || get16(f + 12) != ETH_IPV4 || ip[9] != 17 ||
            get16(udp + 2) != 68 || b[0] != 2 || get32(b + 4) != xid) {
            continue;
        }
        assert_int_equal(get32(b + 236), 0x63825363u);
        for (o = b + 240; o + 1 < f + r && *o != 255; o += (*o == 0) ? 1 : 2 + o[1]) {
            if (*o == 53) {
                type = o[2];
            } else if (*o == 54) {
                server = get32(o + 2);
            } else if (*o == 1) {
                mask = get32(o + 2);
            } else if (*o == 3) {
                router = true;
            } else if (*o == 6) {
                dns = true;
            }
        }
        assert_int_equal(type, 2); /* OFFER */
        assert_int_equal(get32(b + 16) & SIM_SLIRP_NETMASK, SIM_SLIRP_NET);
        assert_int_equal(get32(b + 16), SIM_SLIRP_DHCP_START);
        assert_memory_equal(b + 28, guest_mac, 6);
        assert_int_equal(server, SIM_SLIRP_HOST);
        assert_int_equal(mask, SIM_SLIRP_NETMASK);
        /* Restricted slirp hands out neither a router nor a DNS server. */
        assert_false(router);
        assert_false(dns);
        offered = true;
    }
    assert_true(offered);
    slirp_stop(s);
}

static void test_slirp_answers_arp_for_forwards_and_itself_only(void **state)
{
    const char *fwd[] = { "198.51.100.1:25=127.0.0.1:2525" };
    struct hal_netif n;
    sim_slirp_t *s = slirp_start(fwd, 1, &n);
    uint8_t mac[6];

    (void)state;
    assert_true(arp_resolve(&n, FWD_IP, mac));
    assert_true(arp_resolve(&n, SIM_SLIRP_HOST, mac));
    assert_false(arp_resolve(&n, OTHER_IP, mac));
    slirp_stop(s);
}

/* SYN to dst:dport from a guest slirp knows: RST expected, never SYN-ACK. */
static void expect_reset(const struct hal_netif *n, const uint8_t dst_mac[6], uint32_t dst,
                         uint16_t dport)
{
    uint8_t f[HAL_NETIF_FRAME_MAX];
    struct tcp_seg seg;
    bool reset = false;

    assert_int_equal(hal_netif_send(n, f, build_tcp(f, dst_mac, dst, dport, ISN, 0, TCP_SYN,
                                                    NULL)),
                     0);
    while (next_tcp_from(n, f, dst, dport, &seg, 500)) {
        assert_false((seg.flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK));
        if (seg.flags & TCP_RST) {
            assert_int_equal(seg.ack, ISN + 1);
            reset = true;
        }
    }
    assert_true(reset);
}

static void test_slirp_syn_not_forwarded_gets_reset_never_syn_ack(void **state)
{
    const char *fwd[] = { "198.51.100.1:25=127.0.0.1:2525" };
    struct hal_netif n;
    sim_slirp_t *s = slirp_start(fwd, 1, &n);
    uint8_t f[HAL_NETIF_FRAME_MAX];
    uint8_t gw_mac[6];

    (void)state;
    /* Tell slirp where the guest is (gratuitous ARP), as a stack would. */
    assert_int_equal(hal_netif_send(&n, f, build_arp_request(f, GUEST_IP, GUEST_IP)), 0);
    assert_true(arp_resolve(&n, FWD_IP, gw_mac));
    expect_reset(&n, gw_mac, OTHER_IP, 25);        /* no forward to that address */
    expect_reset(&n, gw_mac, FWD_IP, 587);         /* forward address, other port */
    expect_reset(&n, gw_mac, SIM_SLIRP_HOST, 22);  /* slirp itself */
    slirp_stop(s);
}

static void test_slirp_udp_is_dropped(void **state)
{
    struct hal_netif n;
    sim_slirp_t *s = slirp_start(NULL, 0, &n);
    uint8_t f[HAL_NETIF_FRAME_MAX];
    uint8_t gw_mac[6];
    size_t len;
    int r;

    (void)state;
    assert_true(arp_resolve(&n, SIM_SLIRP_HOST, gw_mac));
    /* A DNS-sized datagram to slirp's (disabled) DNS address. */
    len = eth_header(f, gw_mac, ETH_IPV4);
    len += ipv4_header(f + len, GUEST_IP, SIM_SLIRP_HOST, 17, 8 + 12);
    memset(f + len, 0, 8 + 12);
    put16(f + len, GUEST_PORT);
    put16(f + len + 2, 53);
    put16(f + len + 4, 8 + 12);
    len += 8 + 12;
    assert_int_equal(hal_netif_send(&n, f, len), 0);
    while ((r = next_frame(&n, f, 300)) > 0) {
        /* Nothing may come back but ARP; certainly no UDP. */
        assert_false(get16(f + 12) == ETH_IPV4 && f[14 + 9] == 17);
    }
    slirp_stop(s);
}

/* Collects in-order payload from FWD_IP:25 into buf, ACKing it. */
struct stream {
    uint32_t next_seq; /* peer's next expected sequence number */
    char buf[256];
    size_t len;
};

static void stream_pump(const struct hal_netif *n, const uint8_t gw_mac[6], struct stream *st,
                        uint32_t timeout_ms)
{
    uint8_t f[HAL_NETIF_FRAME_MAX];
    struct tcp_seg seg;

    while (next_tcp_from(n, f, FWD_IP, 25, &seg, timeout_ms)) {
        assert_false(seg.flags & TCP_RST);
        if (seg.len > 0 && seg.seq == st->next_seq && st->len + seg.len < sizeof(st->buf)) {
            memcpy(st->buf + st->len, seg.data, seg.len);
            st->len += seg.len;
            st->next_seq += (uint32_t)seg.len;
            assert_int_equal(hal_netif_send(n, f, build_tcp(f, gw_mac, FWD_IP, 25, ISN + 1,
                                                            st->next_seq, TCP_ACK, NULL)),
                             0);
        }
        timeout_ms = 0;
    }
}

static void test_slirp_forward_connects_guest_to_loopback_listener(void **state)
{
    static const char greeting[] = "220 lab ready\r\n";
    static const char command[] = "EHLO sim\r\n";
    char spec[64];
    const char *fwd[] = { spec };
    struct hal_netif n;
    sim_slirp_t *s;
    uint8_t f[HAL_NETIF_FRAME_MAX];
    uint8_t gw_mac[6];
    struct tcp_seg seg;
    struct stream st = { 0 };
    uint16_t port;
    int lfd, cfd = -1;
    int64_t deadline;
    char got[64];
    size_t got_len = 0;

    (void)state;
    lfd = listen_loopback(&port);
    snprintf(spec, sizeof(spec), "198.51.100.1:25=127.0.0.1:%u", (unsigned)port);
    s = slirp_start(fwd, 1, &n);

    assert_true(arp_resolve(&n, FWD_IP, gw_mac));
    assert_int_equal(hal_netif_send(&n, f, build_tcp(f, gw_mac, FWD_IP, 25, ISN, 0, TCP_SYN,
                                                     NULL)),
                     0);
    assert_true(next_tcp_from(&n, f, FWD_IP, 25, &seg, 1000));
    assert_int_equal(seg.flags & (TCP_SYN | TCP_ACK | TCP_RST), TCP_SYN | TCP_ACK);
    assert_int_equal(seg.ack, ISN + 1);
    st.next_seq = seg.seq + 1;
    assert_int_equal(hal_netif_send(&n, f, build_tcp(f, gw_mac, FWD_IP, 25, ISN + 1,
                                                     st.next_seq, TCP_ACK, NULL)),
                     0);

    /* Slirp now runs socat, which connects to our listener. */
    deadline = mono_ms() + 5000;
    while (cfd < 0 && mono_ms() < deadline) {
        stream_pump(&n, gw_mac, &st, 20);
        cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    }
    assert_true(cfd >= 0);

    /* Host to guest. */
    assert_int_equal(write(cfd, greeting, strlen(greeting)), (ssize_t)strlen(greeting));
    deadline = mono_ms() + 3000;
    while (st.len < strlen(greeting) && mono_ms() < deadline) {
        stream_pump(&n, gw_mac, &st, 20);
    }
    assert_int_equal(st.len, strlen(greeting));
    assert_memory_equal(st.buf, greeting, strlen(greeting));

    /* Guest to host. */
    assert_int_equal(hal_netif_send(&n, f, build_tcp(f, gw_mac, FWD_IP, 25, ISN + 1,
                                                     st.next_seq, TCP_PSH | TCP_ACK, command)),
                     0);
    deadline = mono_ms() + 3000;
    while (got_len < strlen(command) && mono_ms() < deadline) {
        ssize_t r;
        stream_pump(&n, gw_mac, &st, 20);
        r = read(cfd, got + got_len, sizeof(got) - got_len);
        if (r > 0) {
            got_len += (size_t)r;
        }
    }
    assert_int_equal(got_len, strlen(command));
    assert_memory_equal(got, command, strlen(command));

    close(cfd);
    close(lfd);
    slirp_stop(s);
}

static void test_slirp_reports_configured_and_default_mac(void **state)
{
    static const uint8_t default_mac[6] = SIM_SLIRP_DEFAULT_MAC;
    sim_slirp_t *s = calloc(1, sizeof(*s));
    sim_slirp_config_t cfg = { 0 };
    struct hal_netif n;
    uint8_t mac[6];

    (void)state;
    assert_non_null(s);
    assert_int_equal(sim_slirp_open(s, &cfg, &n, NULL, 0), 0);
    hal_netif_mac(&n, mac);
    assert_memory_equal(mac, default_mac, 6);
    assert_true(mac[0] & 0x02);          /* locally administered */
    assert_false(mac[0] & 0x01);         /* unicast */
    sim_slirp_close(s);
    cfg.mac = guest_mac;
    assert_int_equal(sim_slirp_open(s, &cfg, &n, NULL, 0), 0);
    hal_netif_mac(&n, mac);
    assert_memory_equal(mac, guest_mac, 6);
    slirp_stop(s);
}

/* ---- forward rules ----------------------------------------------------- */

static void test_forward_parse_accepts_loopback_rule(void **state)
{
    sim_slirp_forward_t fwd;
    char err[160];

    (void)state;
    assert_int_equal(sim_slirp_forward_parse("198.51.100.1:25=127.0.0.1:2525", &fwd, err,
                                             sizeof(err)),
                     0);
    assert_int_equal(ntohl(fwd.guest_addr.s_addr), FWD_IP);
    assert_int_equal(fwd.guest_port, 25);
    assert_int_equal(ntohl(fwd.host_addr.s_addr), INADDR_LOOPBACK);
    assert_int_equal(fwd.host_port, 2525);
}

static void test_forward_parse_refuses_host_side_off_loopback(void **state)
{
    sim_slirp_forward_t fwd;
    char err[160];

    (void)state;
    assert_int_equal(sim_slirp_forward_parse("198.51.100.1:25=192.0.2.7:25", &fwd, err,
                                             sizeof(err)),
                     SIM_SLIRP_ERR_FORWARD);
    assert_non_null(strstr(err, "loopback"));
    assert_non_null(strstr(err, "192.0.2.7"));
    assert_int_equal(sim_slirp_forward_parse("198.51.100.1:25=0.0.0.0:25", &fwd, err,
                                             sizeof(err)),
                     SIM_SLIRP_ERR_FORWARD);
}

static void test_forward_parse_refuses_malformed_and_reserved_rules(void **state)
{
    static const char *const bad[] = {
        "",
        "198.51.100.1:25",
        "198.51.100.1=127.0.0.1:25",
        "198.51.100.1:25=127.0.0.1",
        "198.51.100.1:0=127.0.0.1:25",
        "198.51.100.1:25=127.0.0.1:65536",
        "198.51.100.1:25=127.0.0.1:25x",
        "198.51.100.1:-25=127.0.0.1:25",
        "198.51.100.1:25=127.0.0.1:25=",
        "198.51.100:25=127.0.0.1:25",
        "mail.example.test:25=127.0.0.1:25",
        "203.0.113.1:25=127.0.0.1:25",   /* outside the simulated /24 */
        "198.51.100.0:25=127.0.0.1:25",  /* network */
        "198.51.100.255:25=127.0.0.1:25", /* broadcast */
        "198.51.100.2:25=127.0.0.1:25",  /* slirp itself */
        "198.51.100.100:25=127.0.0.1:25", /* DHCP pool */
        "198.51.100.115:25=127.0.0.1:25",
    };
    sim_slirp_forward_t fwd;
    char err[160];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (sim_slirp_forward_parse(bad[i], &fwd, err, sizeof(err)) != SIM_SLIRP_ERR_FORWARD) {
            fail_msg("accepted bad forward rule '%s'", bad[i]);
        }
        assert_true(strlen(err) > 0);
    }
    assert_int_equal(sim_slirp_forward_parse("198.51.100.116:25=127.0.0.1:25", &fwd, err,
                                             sizeof(err)),
                     0);
}

static void test_slirp_open_refuses_non_loopback_or_duplicate_forward(void **state)
{
    const char *off_loopback[] = { "198.51.100.1:25=127.0.0.1:2525",
                                   "198.51.100.1:587=198.51.100.9:587" };
    const char *duplicate[] = { "198.51.100.1:25=127.0.0.1:2525",
                                "198.51.100.1:25=127.0.0.1:2526" };
    sim_slirp_t *s = calloc(1, sizeof(*s));
    sim_slirp_config_t cfg = { .forwards = off_loopback, .forward_count = 2 };
    struct hal_netif n = { 0 };
    char err[160];

    (void)state;
    assert_non_null(s);
    assert_int_equal(sim_slirp_open(s, &cfg, &n, err, sizeof(err)), SIM_SLIRP_ERR_FORWARD);
    assert_non_null(strstr(err, "loopback"));
    assert_null(n.api);
    assert_null(s->slirp);
    cfg.forwards = duplicate;
    assert_int_equal(sim_slirp_open(s, &cfg, &n, err, sizeof(err)), SIM_SLIRP_ERR_FORWARD);
    assert_non_null(strstr(err, "duplicate"));
    assert_null(s->slirp);
    sim_slirp_close(s); /* closing a closed context is harmless */
    free(s);
}

/* ---- pcap -------------------------------------------------------------- */

/* An inner netif that records sends and replays a list of frames. */
struct fake_link {
    uint8_t sent[4][HAL_NETIF_FRAME_MAX];
    size_t sent_len[4];
    unsigned nsent;
    const uint8_t *rx[4];
    size_t rx_len[4];
    unsigned nrx, rx_next;
    unsigned waits;
};

static int fake_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct fake_link *l = ctx;

    if (l->nsent == 4) {
        return -1;
    }
    memcpy(l->sent[l->nsent], frame, len);
    l->sent_len[l->nsent++] = len;
    return 0;
}

static int fake_recv(void *ctx, uint8_t *buf, size_t cap)
{
    struct fake_link *l = ctx;

    if (l->rx_next == l->nrx) {
        return 0;
    }
    assert_true(l->rx_len[l->rx_next] <= cap);
    memcpy(buf, l->rx[l->rx_next], l->rx_len[l->rx_next]);
    return (int)l->rx_len[l->rx_next++];
}

static void fake_wait(void *ctx, uint32_t ms)
{
    struct fake_link *l = ctx;

    (void)ms;
    l->waits++;
}

static void fake_mac(void *ctx, uint8_t mac[6])
{
    (void)ctx;
    memcpy(mac, guest_mac, 6);
}

static const struct hal_netif_api fake_api = { fake_send, fake_recv, fake_wait, fake_mac };

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(65536);

    assert_non_null(f);
    assert_non_null(buf);
    *len = fread(buf, 1, 65536, f);
    fclose(f);
    return buf;
}

static void test_pcap_records_sent_and_received_frames_readable_by_tcpdump(void **state)
{
    char path[] = "/tmp/test_sim_netif_XXXXXX";
    char cmd[128];
    struct fake_link *link = calloc(1, sizeof(*link));
    struct hal_netif inner = { &fake_api, link }, out;
    sim_pcap_t p;
    uint8_t arp[64], dhcp[HAL_NETIF_FRAME_MAX], tcp[128], buf[HAL_NETIF_FRAME_MAX], mac[6];
    const uint8_t *frames[3];
    size_t lens[3], len, off, i;
    uint8_t *file;
    int fd;
    uint32_t magic;

    (void)state;
    assert_non_null(link);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);

    lens[0] = build_arp_request(arp, GUEST_IP, FWD_IP);
    lens[1] = build_dhcp_discover(dhcp, 7);
    lens[2] = build_tcp(tcp, broadcast_mac, FWD_IP, 25, ISN, 0, TCP_SYN, NULL);
    frames[0] = arp;
    frames[1] = dhcp;
    frames[2] = tcp;
    link->rx[0] = dhcp;
    link->rx_len[0] = lens[1];
    link->nrx = 1;

    assert_int_equal(sim_pcap_wrap(&p, path, &inner, &out), 0);
    assert_int_equal(hal_netif_send(&out, arp, lens[0]), 0);
    assert_int_equal(hal_netif_recv(&out, buf, sizeof(buf)), (int)lens[1]);
    assert_int_equal(hal_netif_recv(&out, buf, sizeof(buf)), 0); /* nothing: no record */
    assert_int_equal(hal_netif_send(&out, tcp, lens[2]), 0);
    hal_netif_wait(&out, 1);
    hal_netif_mac(&out, mac);
    assert_int_equal(link->nsent, 2);
    assert_int_equal(link->waits, 1);
    assert_memory_equal(mac, guest_mac, 6);
    assert_memory_equal(link->sent[1], tcp, lens[2]);

    /* Flushed per frame: readable before close. */
    file = read_file(path, &len);
    assert_true(len >= 24);
    memcpy(&magic, file, 4);
    assert_int_equal(magic, 0xa1b2c3d4u);
    {
        uint16_t major, minor;
        uint32_t snaplen, linktype;
        memcpy(&major, file + 4, 2);
        memcpy(&minor, file + 6, 2);
        assert_int_equal(major, 2);
        assert_int_equal(minor, 4);
        memcpy(&snaplen, file + 16, 4);
        memcpy(&linktype, file + 20, 4);
        assert_int_equal(snaplen, 65535);
        assert_int_equal(linktype, 1);
    }
    off = 24;
    for (i = 0; i < 3; i++) {
        uint32_t incl, orig, usec;
        assert_true(off + 16 <= len);
        memcpy(&usec, file + off + 4, 4);
        memcpy(&incl, file + off + 8, 4);
        memcpy(&orig, file + off + 12, 4);
        assert_true(usec < 1000000);
        assert_int_equal(incl, lens[i]);
        assert_int_equal(orig, lens[i]);
        assert_true(off + 16 + incl <= len);
        assert_memory_equal(file + off + 16, frames[i], lens[i]);
        off += 16 + incl;
    }
    assert_int_equal(off, len);
    free(file);
    assert_int_equal(sim_pcap_close(&p), 0);
    assert_int_equal(sim_pcap_close(&p), 0); /* twice is harmless */

    if (system("command -v tcpdump >/dev/null") != 0) {
        fail_msg("tcpdump is not installed: run make deps");
    }
    snprintf(cmd, sizeof(cmd), "tcpdump -r %s -n >/dev/null 2>&1", path);
    assert_int_equal(system(cmd), 0);
    unlink(path);
    free(link);
}

static void test_pcap_wrap_reports_unwritable_path(void **state)
{
    struct fake_link link = { 0 };
    struct hal_netif inner = { &fake_api, &link }, out = { 0 };
    sim_pcap_t p;

    (void)state;
    assert_int_equal(sim_pcap_wrap(&p, "/nonexistent-dir/x.pcap", &inner, &out),
                     SIM_PCAP_ERR_OPEN);
    assert_null(out.api);
    assert_int_equal(sim_pcap_close(&p), 0);
}

/* ---- tap and namespace errors ------------------------------------------ */

/* Runs fn in a child inside a fresh network namespace (when we may make
 * one); the child's message comes back through a pipe. Returns its exit
 * status. Without the privilege for a namespace the child runs in ours,
 * where it cannot create a tap either (that needs CAP_NET_ADMIN too). */
static int in_private_netns(int (*fn)(char *msg, size_t len), char *msg, size_t len,
                            bool *isolated)
{
    int pfd[2];
    pid_t pid;
    int status = 0;
    ssize_t n;

    assert_int_equal(pipe(pfd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char m[256] = "";
        char ok = unshare(CLONE_NEWNET) == 0 ? 1 : 0;
        int rc;
        close(pfd[0]);
        rc = fn(m, sizeof(m));
        if (write(pfd[1], &ok, 1) != 1 || write(pfd[1], m, strlen(m) + 1) < 0) {
            _exit(99);
        }
        _exit(rc);
    }
    close(pfd[1]);
    n = read(pfd[0], msg, 1);
    assert_int_equal(n, 1);
    *isolated = msg[0] == 1;
    n = read(pfd[0], msg, len - 1);
    msg[n > 0 ? n : 0] = '\0';
    close(pfd[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static int child_open_missing_tap(char *msg, size_t len)
{
    sim_tap_t t = { 0 };
    sim_tap_config_t cfg = { .ifname = "mfpnotap9" };
    struct hal_netif n;
    int rc = sim_tap_open(&t, &cfg, &n, msg, len);

    /* The device must still not exist: the backend never creates one. */
    if (if_nametoindex("mfpnotap9") != 0) {
        return 98;
    }
    return -rc;
}

static void test_tap_open_missing_device_says_run_lab_up(void **state)
{
    char msg[256];
    bool isolated;

    (void)state;
    assert_int_equal(in_private_netns(child_open_missing_tap, msg, sizeof(msg), &isolated),
                     -SIM_TAP_ERR_NOT_FOUND);
    assert_string_equal(msg, "mfpnotap9 not found: is the lab up? run sim/lab/up");
}

/* In a private namespace: make a tap with an address, open it through the
 * backend, ask the kernel for that address by ARP and expect the reply. */
static int child_tap_round_trip(char *msg, size_t len)
{
    static const uint8_t mac[6] = { 0x02, 0x4d, 0x46, 0x50, 0x00, 0x07 };
    sim_tap_t t = { 0 };
    sim_tap_config_t cfg = { .ifname = "mfptest0", .mac = mac };
    struct hal_netif n;
    struct ifreq ifr;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
    uint8_t f[HAL_NETIF_FRAME_MAX], got[6];
    int fd, sock, r, i;

    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "mfptest0");
    fd = open("/dev/net/tun", O_RDWR);
    if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0) {
        snprintf(msg, len, "make tap: %s", strerror(errno));
        return 10;
    }
    close(fd);
    sock = socket(AF_INET, SOCK_DGRAM, 0);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(FWD_IP);
    if (ioctl(sock, SIOCSIFADDR, &ifr) < 0) {
        snprintf(msg, len, "address: %s", strerror(errno));
        return 11;
    }
    ifr.ifr_flags = IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
        snprintf(msg, len, "up: %s", strerror(errno));
        return 12;
    }
    r = sim_tap_open(&t, &cfg, &n, msg, len);
    if (r != 0) {
        return 13;
    }
    hal_netif_mac(&n, got);
    if (memcmp(got, mac, 6) != 0) {
        snprintf(msg, len, "mac differs");
        return 14;
    }
    if (hal_netif_recv(&n, f, sizeof(f)) < 0) {
        snprintf(msg, len, "recv on idle tap failed");
        return 15;
    }
    for (i = 0; i < 50; i++) {
        /* Resent: the kernel drops replies until the link watcher has
         * activated the new tap's queue (asynchronous, up to a second). */
        if (i % 5 == 0) {
            r = hal_netif_send(&n, f, build_arp_request(f, GUEST_IP, FWD_IP));
            if (r != 0) {
                snprintf(msg, len, "send: %d", r);
                return 16;
            }
        }
        hal_netif_wait(&n, 100);
        while ((r = hal_netif_recv(&n, f, sizeof(f))) > 0) {
            if (r >= 42 && get16(f + 12) == ETH_ARP && get16(f + 20) == 2 &&
                get32(f + 28) == FWD_IP && memcmp(f, guest_mac, 6) == 0) {
                sim_tap_close(&t);
                return 0;
            }
        }
        if (r < 0) {
            snprintf(msg, len, "recv: %d", r);
            return 17;
        }
    }
    snprintf(msg, len, "no ARP reply from the kernel");
    return 18;
}

static void test_tap_sends_and_receives_frames_in_private_namespace(void **state)
{
    char msg[256];
    bool isolated;
    int rc;

    (void)state;
    if (geteuid() != 0) {
        fprintf(stderr, "SKIPPED: tap round trip needs root (a private namespace)\n");
        skip();
    }
    rc = in_private_netns(child_tap_round_trip, msg, sizeof(msg), &isolated);
    assert_true(isolated); /* never make a tap in the root namespace */
    if (rc != 0) {
        fail_msg("tap round trip failed (%d): %s", rc, msg);
    }
}

static void test_netns_enter_missing_namespace_says_run_lab_up(void **state)
{
    char err[160];

    (void)state;
    assert_int_equal(sim_netns_enter("mfp-no-such-ns", err, sizeof(err)),
                     SIM_TAP_ERR_NOT_FOUND);
    assert_string_equal(err, "network namespace mfp-no-such-ns not found: run sim/lab/up (as root)");
    assert_int_equal(sim_netns_enter("../etc", err, sizeof(err)), SIM_TAP_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slirp_dhcp_discover_gets_offer_in_simulated_network),
        cmocka_unit_test(test_slirp_answers_arp_for_forwards_and_itself_only),
        cmocka_unit_test(test_slirp_syn_not_forwarded_gets_reset_never_syn_ack),
        cmocka_unit_test(test_slirp_udp_is_dropped),
        cmocka_unit_test(test_slirp_forward_connects_guest_to_loopback_listener),
        cmocka_unit_test(test_slirp_reports_configured_and_default_mac),
        cmocka_unit_test(test_forward_parse_accepts_loopback_rule),
        cmocka_unit_test(test_forward_parse_refuses_host_side_off_loopback),
        cmocka_unit_test(test_forward_parse_refuses_malformed_and_reserved_rules),
        cmocka_unit_test(test_slirp_open_refuses_non_loopback_or_duplicate_forward),
        cmocka_unit_test(test_pcap_records_sent_and_received_frames_readable_by_tcpdump),
        cmocka_unit_test(test_pcap_wrap_reports_unwritable_path),
        cmocka_unit_test(test_tap_open_missing_device_says_run_lab_up),
        cmocka_unit_test(test_tap_sends_and_receives_frames_in_private_namespace),
        cmocka_unit_test(test_netns_enter_missing_namespace_says_run_lab_up),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
