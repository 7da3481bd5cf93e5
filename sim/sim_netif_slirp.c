/* Simulator netif backend on restricted libslirp; see sim_netif_slirp.h. */
#include "sim_netif_slirp.h"
#include "sim_errmsg.h"

#include <arpa/inet.h>
#include <limits.h>
#include <slirp/libslirp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* 4.7's newest SlirpConfig layout (adds disable_dhcp, which we leave off). */
#define SIM_SLIRP_CONFIG_VERSION 4
#if SIM_SLIRP_CONFIG_VERSION > SLIRP_CONFIG_VERSION_MAX
#error "libslirp too old: SlirpConfig version 4 (libslirp 4.7) is needed"
#endif
#if HAL_NETIF_FRAME_MAX > UINT16_MAX
#error "queue_len is 16 bits"
#endif

#define SIM_SLIRP_CMD_MAX 128

struct sim_slirp_timer {
    SlirpTimerCb cb;
    void *cb_opaque;
    int64_t expire_ms; /* -1 when stopped */
    struct sim_slirp_timer *next;
};

static int slirp_send(void *ctx, const uint8_t *frame, size_t len);
static int slirp_recv(void *ctx, uint8_t *buf, size_t cap);
static void slirp_wait(void *ctx, uint32_t timeout_ms);
static void slirp_mac(void *ctx, uint8_t mac[6]);
static void slirp_pump(sim_slirp_t *s, uint32_t timeout_ms);
static int64_t now_ms(void);
static uint32_t timers_clamp(const sim_slirp_t *s, uint32_t timeout_ms);
static void timers_run(sim_slirp_t *s);
static int parse_endpoint(const char *p, size_t len, struct in_addr *addr, uint16_t *port);
static bool on_path(const char *prog);

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque);
static void cb_guest_error(const char *msg, void *opaque);
static int64_t cb_clock_get_ns(void *opaque);
static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque);
static void cb_timer_free(void *timer, void *opaque);
static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque);
static void cb_poll_fd(int fd, void *opaque);
static void cb_notify(void *opaque);
static int cb_add_poll(int fd, int events, void *opaque);
static int cb_get_revents(int idx, void *opaque);

static const struct hal_netif_api sim_slirp_api = {
    .send = slirp_send,
    .recv = slirp_recv,
    .wait = slirp_wait,
    .mac = slirp_mac,
};

/* Every callback gets the sim_slirp_t as opaque: no state outside it. */
static const SlirpCb sim_slirp_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    /* wait() asks slirp for its sockets each time (slirp_pollfds_fill), so
     * there is no fd set to maintain and nothing to kick. */
    .register_poll_fd = cb_poll_fd,
    .unregister_poll_fd = cb_poll_fd,
    .notify = cb_notify,
};

int sim_slirp_forward_parse(const char *spec, sim_slirp_forward_t *fwd, char *err,
                            size_t errlen)
{
    const char *eq;
    char text[INET_ADDRSTRLEN];
    uint32_t guest, host;

    if (spec == NULL || fwd == NULL) {
        return sim_errmsg(err, errlen, SIM_SLIRP_ERR_ARG, "forward: missing rule");
    }
    eq = strchr(spec, '=');
    if (eq == NULL ||
        parse_endpoint(spec, (size_t)(eq - spec), &fwd->guest_addr, &fwd->guest_port) != 0 ||
        parse_endpoint(eq + 1, strlen(eq + 1), &fwd->host_addr, &fwd->host_port) != 0) {
        return sim_errmsg(err, errlen, SIM_SLIRP_ERR_FORWARD,
                          "forward '%s': expected GUEST_IP:PORT=127.0.0.1:PORT", spec);
    }

    host = ntohl(fwd->host_addr.s_addr);
    if ((host >> 24) != 127) {
        inet_ntop(AF_INET, &fwd->host_addr, text, sizeof(text));
        return sim_errmsg(err, errlen, SIM_SLIRP_ERR_FORWARD,
                          "forward '%s': host side must be on loopback (127.0.0.1), not %s",
                          spec, text);
    }

    guest = ntohl(fwd->guest_addr.s_addr);
    if ((guest & SIM_SLIRP_NETMASK) != SIM_SLIRP_NET) {
        return sim_errmsg(err, errlen, SIM_SLIRP_ERR_FORWARD,
                          "forward '%s': guest address must be in the simulated network "
                          "198.51.100.0/24",
                          spec);
    }
    if ((guest & ~SIM_SLIRP_NETMASK) == 0 || (guest | SIM_SLIRP_NETMASK) == UINT32_MAX ||
        guest == SIM_SLIRP_HOST ||
        (guest >= SIM_SLIRP_DHCP_START && guest < SIM_SLIRP_DHCP_START + SIM_SLIRP_DHCP_COUNT)) {
        return sim_errmsg(err, errlen, SIM_SLIRP_ERR_FORWARD,
                          "forward '%s': guest address is reserved (network, broadcast, "
                          "slirp at 198.51.100.2 or the DHCP pool 198.51.100.100-115)",
                          spec);
    }
    return sim_errmsg(err, errlen, 0, "%s", "");
}

int sim_slirp_open(sim_slirp_t *s, const sim_slirp_config_t *cfg, struct hal_netif *out,
                   char *err, size_t errlen)
{
    static const uint8_t default_mac[6] = SIM_SLIRP_DEFAULT_MAC;
    sim_slirp_forward_t fwd[SIM_SLIRP_FORWARD_MAX];
    SlirpConfig sc;
    size_t i;
    int ret;

    if (s == NULL || cfg == NULL || out == NULL ||
        (cfg->forward_count > 0 && cfg->forwards == NULL)) {
        return sim_errmsg(err, errlen, SIM_SLIRP_ERR_ARG, "slirp: missing argument");
    }
    if (cfg->forward_count > SIM_SLIRP_FORWARD_MAX) {
        return sim_errmsg(err, errlen, SIM_SLIRP_ERR_ARG, "slirp: more than %d forwards",
                          SIM_SLIRP_FORWARD_MAX);
    }
    memset(s, 0, sizeof(*s));

    /* Check everything before slirp starts, so a bad rule leaves nothing
     * half-built behind. */
    for (i = 0; i < cfg->forward_count; i++) {
        size_t j;

        ret = sim_slirp_forward_parse(cfg->forwards[i], &fwd[i], err, errlen);
        if (ret != 0) {
            goto exit;
        }
        /* libslirp 4.7's own duplicate check compares ports in different
         * byte orders and never fires: check here. */
        for (j = 0; j < i; j++) {
            if (fwd[j].guest_addr.s_addr == fwd[i].guest_addr.s_addr &&
                fwd[j].guest_port == fwd[i].guest_port) {
                ret = sim_errmsg(err, errlen, SIM_SLIRP_ERR_FORWARD,
                                 "forward '%s': duplicate guest address:port", cfg->forwards[i]);
                goto exit;
            }
        }
    }
    if (cfg->forward_count > 0 && !on_path(SIM_SLIRP_SOCAT)) {
        ret = sim_errmsg(err, errlen, SIM_SLIRP_ERR_NO_SOCAT,
                         "slirp forwards need %s, which is not on PATH: run make deps",
                         SIM_SLIRP_SOCAT);
        goto exit;
    }

    memset(&sc, 0, sizeof(sc));
    sc.version = SIM_SLIRP_CONFIG_VERSION;
    sc.restricted = 1; /* only the forwards below leave the process */
    sc.in_enabled = true;
    sc.vnetwork.s_addr = htonl(SIM_SLIRP_NET);
    sc.vnetmask.s_addr = htonl(SIM_SLIRP_NETMASK);
    sc.vhost.s_addr = htonl(SIM_SLIRP_HOST);
    sc.in6_enabled = false;
    sc.vdhcp_start.s_addr = htonl(SIM_SLIRP_DHCP_START);
    /* DNS is disabled; pointing its address at slirp itself keeps every
     * other address free for forwards. */
    sc.vnameserver.s_addr = htonl(SIM_SLIRP_HOST);
    sc.disable_host_loopback = true;
    sc.disable_dns = true;
    sc.disable_dhcp = false;

    s->slirp = slirp_new(&sc, &sim_slirp_callbacks, s);
    if (s->slirp == NULL) {
        ret = sim_errmsg(err, errlen, SIM_SLIRP_ERR_SLIRP, "slirp_new failed");
        goto exit;
    }
    for (i = 0; i < cfg->forward_count; i++) {
        char cmd[SIM_SLIRP_CMD_MAX];
        char host[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &fwd[i].host_addr, host, sizeof(host));
        /* socat's stderr is the guest's connection: keep its log out of it. */
        snprintf(cmd, sizeof(cmd), "%s -lf /dev/null STDIO TCP4:%s:%u", SIM_SLIRP_SOCAT, host,
                 (unsigned)fwd[i].host_port);
        if (slirp_add_exec(s->slirp, cmd, &fwd[i].guest_addr, fwd[i].guest_port) != 0) {
            ret = sim_errmsg(err, errlen, SIM_SLIRP_ERR_FORWARD,
                             "forward '%s': refused by slirp",
                             cfg->forwards[i]);
            goto exit;
        }
    }

    memcpy(s->mac, cfg->mac != NULL ? cfg->mac : default_mac, sizeof(s->mac));
    out->api = &sim_slirp_api;
    out->ctx = s;
    ret = sim_errmsg(err, errlen, 0, "%s", "");

exit:
    if (ret != 0) {
        sim_slirp_close(s);
    }
    return ret;
}

void sim_slirp_close(sim_slirp_t *s)
{
    if (s == NULL) {
        return;
    }
    if (s->slirp != NULL) {
        slirp_cleanup(s->slirp);
        s->slirp = NULL;
    }
    /* slirp frees its timers in cleanup; free whatever it left. */
    while (s->timers != NULL) {
        struct sim_slirp_timer *next = s->timers->next;
        free(s->timers);
        s->timers = next;
    }
    s->queue_count = 0;
    s->npfd = 0;
}

uint32_t sim_slirp_dropped(const sim_slirp_t *s)
{
    return s->dropped;
}

static int slirp_send(void *ctx, const uint8_t *frame, size_t len)
{
    sim_slirp_t *s = ctx;

    if (frame == NULL || len < 14) {
        return SIM_SLIRP_ERR_ARG;
    }
    if (len > HAL_NETIF_FRAME_MAX) {
        return SIM_SLIRP_ERR_TOO_BIG;
    }
    /* Replies slirp makes at once (ARP, DHCP, RST) land in the queue. */
    slirp_input(s->slirp, frame, (int)len);
    return 0;
}

static int slirp_recv(void *ctx, uint8_t *buf, size_t cap)
{
    sim_slirp_t *s = ctx;
    unsigned head;
    size_t len;

    /* A super-loop that never idles still moves forwarded data along. */
    if (s->queue_count == 0) {
        slirp_pump(s, 0);
    }
    if (s->queue_count == 0) {
        return 0;
    }
    head = s->queue_head;
    len = s->queue_len[head];
    s->queue_head = (head + 1) % SIM_SLIRP_QUEUE_FRAMES;
    s->queue_count--;
    if (len > cap) {
        return SIM_SLIRP_ERR_TOO_BIG;
    }
    memcpy(buf, s->queue[head], len);
    return (int)len;
}

static void slirp_wait(void *ctx, uint32_t timeout_ms)
{
    sim_slirp_t *s = ctx;

    slirp_pump(s, s->queue_count > 0 ? 0 : timeout_ms);
}

static void slirp_mac(void *ctx, uint8_t mac[6])
{
    const sim_slirp_t *s = ctx;

    memcpy(mac, s->mac, 6);
}

/* One round of slirp's event loop: poll its sockets for at most timeout_ms
 * (less when a slirp timer is due), then let it handle what is ready. */
static void slirp_pump(sim_slirp_t *s, uint32_t timeout_ms)
{
    uint32_t timeout = timeout_ms;
    int n;

    s->npfd = 0;
    slirp_pollfds_fill(s->slirp, &timeout, cb_add_poll, s);
    timeout = timers_clamp(s, timeout);
    n = poll(s->pfd, s->npfd, timeout > INT_MAX ? INT_MAX : (int)timeout);
    slirp_pollfds_poll(s->slirp, n < 0, cb_get_revents, s);
    timers_run(s);
}

static int64_t now_ms(void)
{
    return cb_clock_get_ns(NULL) / 1000000;
}

static uint32_t timers_clamp(const sim_slirp_t *s, uint32_t timeout_ms)
{
    int64_t now = now_ms();
    const struct sim_slirp_timer *t;

    for (t = s->timers; t != NULL; t = t->next) {
        if (t->expire_ms >= 0) {
            int64_t left = t->expire_ms > now ? t->expire_ms - now : 0;
            if (left < (int64_t)timeout_ms) {
                timeout_ms = (uint32_t)left;
            }
        }
    }
    return timeout_ms;
}

static void timers_run(sim_slirp_t *s)
{
    struct sim_slirp_timer *t = s->timers;
    int64_t now = now_ms();

    while (t != NULL) {
        if (t->expire_ms >= 0 && t->expire_ms <= now) {
            t->expire_ms = -1;
            t->cb(t->cb_opaque);
            /* The callback may have changed the list: start over. */
            t = s->timers;
            continue;
        }
        t = t->next;
    }
}

/* Parses "A.B.C.D:PORT" of exactly len bytes (dotted quad, port 1..65535). */
static int parse_endpoint(const char *p, size_t len, struct in_addr *addr, uint16_t *port)
{
    char ip[INET_ADDRSTRLEN];
    const char *colon = memchr(p, ':', len);
    size_t iplen, i;
    unsigned long value = 0;

    if (colon == NULL) {
        return -1;
    }
    iplen = (size_t)(colon - p);
    if (iplen == 0 || iplen >= sizeof(ip)) {
        return -1;
    }
    memcpy(ip, p, iplen);
    ip[iplen] = '\0';
    if (inet_pton(AF_INET, ip, addr) != 1) {
        return -1;
    }
    i = iplen + 1;
    if (i == len || len - i > 5) {
        return -1;
    }
    for (; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }
        value = value * 10 + (unsigned long)(p[i] - '0');
    }
    if (value == 0 || value > 65535) {
        return -1;
    }
    *port = (uint16_t)value;
    return 0;
}

/* Whether prog can be run the way slirp runs it (g_spawn searches PATH). */
static bool on_path(const char *prog)
{
    const char *path = getenv("PATH");
    char file[PATH_MAX];

    if (strchr(prog, '/') != NULL) {
        return access(prog, X_OK) == 0;
    }
    while (path != NULL && *path != '\0') {
        const char *end = strchr(path, ':');
        size_t dirlen = end != NULL ? (size_t)(end - path) : strlen(path);
        int n = snprintf(file, sizeof(file), "%.*s/%s", (int)dirlen, dirlen ? path : ".", prog);

        if (n > 0 && (size_t)n < sizeof(file) && access(file, X_OK) == 0) {
            return true;
        }
        path = end != NULL ? end + 1 : NULL;
    }
    return false;
}

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    sim_slirp_t *s = opaque;
    unsigned tail;

    /* Dropping is allowed by slirp's contract: TCP retransmits. */
    if (s->queue_count == SIM_SLIRP_QUEUE_FRAMES || len > HAL_NETIF_FRAME_MAX) {
        s->dropped++;
        return (ssize_t)len;
    }
    tail = (s->queue_head + s->queue_count) % SIM_SLIRP_QUEUE_FRAMES;
    memcpy(s->queue[tail], buf, len);
    s->queue_len[tail] = (uint16_t)len;
    s->queue_count++;
    return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    sim_slirp_t *s = opaque;

    snprintf(s->guest_error, sizeof(s->guest_error), "%s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
    struct timespec ts;

    (void)opaque;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    sim_slirp_t *s = opaque;
    struct sim_slirp_timer *t = calloc(1, sizeof(*t));

    if (t == NULL) {
        return NULL;
    }
    t->cb = cb;
    t->cb_opaque = cb_opaque;
    t->expire_ms = -1;
    t->next = s->timers;
    s->timers = t;
    return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
    sim_slirp_t *s = opaque;
    struct sim_slirp_timer **pp;

    for (pp = &s->timers; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == timer) {
            *pp = (*pp)->next;
            free(timer);
            return;
        }
    }
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    struct sim_slirp_timer *t = timer;

    (void)opaque;
    t->expire_ms = expire_ms < 0 ? 0 : expire_ms;
}

static void cb_poll_fd(int fd, void *opaque)
{
    (void)fd;
    (void)opaque;
}

static void cb_notify(void *opaque)
{
    (void)opaque;
}

static int cb_add_poll(int fd, int events, void *opaque)
{
    sim_slirp_t *s = opaque;
    struct pollfd *p;

    /* -1 tells slirp the socket is not polled this round; it retries later. */
    if (s->npfd == SIM_SLIRP_POLLFD_MAX) {
        return -1;
    }
    p = &s->pfd[s->npfd];
    p->fd = fd;
    p->events = (short)(((events & SLIRP_POLL_IN) ? POLLIN : 0) |
                        ((events & SLIRP_POLL_OUT) ? POLLOUT : 0) |
                        ((events & SLIRP_POLL_PRI) ? POLLPRI : 0));
    p->revents = 0;
    return (int)s->npfd++;
}

static int cb_get_revents(int idx, void *opaque)
{
    const sim_slirp_t *s = opaque;
    short r;

    if (idx < 0 || (unsigned)idx >= s->npfd) {
        return 0;
    }
    r = s->pfd[idx].revents;
    return ((r & POLLIN) ? SLIRP_POLL_IN : 0) | ((r & POLLOUT) ? SLIRP_POLL_OUT : 0) |
           ((r & POLLPRI) ? SLIRP_POLL_PRI : 0) | ((r & POLLERR) ? SLIRP_POLL_ERR : 0) |
           ((r & POLLHUP) ? SLIRP_POLL_HUP : 0);
}
