/* Simulator netif backend on an existing tap device; see sim_netif_tap.h. */
#include "sim_netif_tap.h"
#include "sim_errmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define SIM_TAP_TUN_PATH   "/dev/net/tun"
#define SIM_NETNS_DIR      "/var/run/netns/"

static int tap_send(void *ctx, const uint8_t *frame, size_t len);
static int tap_recv(void *ctx, uint8_t *buf, size_t cap);
static void tap_wait(void *ctx, uint32_t timeout_ms);
static void tap_mac(void *ctx, uint8_t mac[6]);

static const struct hal_netif_api sim_tap_api = {
    .send = tap_send,
    .recv = tap_recv,
    .wait = tap_wait,
    .mac = tap_mac,
};

int sim_tap_open(sim_tap_t *t, const sim_tap_config_t *cfg, struct hal_netif *out,
                 char *err, size_t errlen)
{
    static const uint8_t default_mac[6] = SIM_TAP_DEFAULT_MAC;
    struct ifreq ifr;
    int fd = -1;
    int ret;

    if (t == NULL || cfg == NULL || out == NULL || cfg->ifname == NULL ||
        cfg->ifname[0] == '\0' || strlen(cfg->ifname) >= IFNAMSIZ) {
        return sim_errmsg(err, errlen, SIM_TAP_ERR_ARG, "tap: missing or invalid device name");
    }
    memset(t, 0, sizeof(*t));

    /* TUNSETIFF creates the device when the name is free: check first, so a
     * simulator run outside the lab reports it instead of making a tap. */
    if (if_nametoindex(cfg->ifname) == 0) {
        ret = sim_errmsg(err, errlen, SIM_TAP_ERR_NOT_FOUND,
                       "%s not found: is the lab up? run sim/lab/up", cfg->ifname);
        goto exit;
    }

    fd = open(SIM_TAP_TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        ret = sim_errmsg(err, errlen,
                       (e == EACCES || e == EPERM) ? SIM_TAP_ERR_PERM
                       : e == ENOENT               ? SIM_TAP_ERR_NOT_FOUND
                                                   : SIM_TAP_ERR_IO,
                       "%s: cannot open %s: %s%s", cfg->ifname, SIM_TAP_TUN_PATH, strerror(e),
                       (e == EACCES || e == EPERM) ? " (run as root)" : "");
        goto exit;
    }

    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    memcpy(ifr.ifr_name, cfg->ifname, strlen(cfg->ifname));
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        if (e == EPERM || e == EACCES) {
            ret = sim_errmsg(err, errlen, SIM_TAP_ERR_PERM,
                           "%s: permission denied (run as root, or create the tap with "
                           "`ip tuntap add dev %s mode tap user $USER`)",
                           cfg->ifname, cfg->ifname);
        } else if (e == EBUSY) {
            ret = sim_errmsg(err, errlen, SIM_TAP_ERR_BUSY,
                           "%s is busy: another simulator has it open", cfg->ifname);
        } else if (e == EINVAL) {
            ret = sim_errmsg(err, errlen, SIM_TAP_ERR_NOT_TAP,
                           "%s exists but is not a tap device", cfg->ifname);
        } else {
            ret = sim_errmsg(err, errlen, SIM_TAP_ERR_IO, "%s: TUNSETIFF: %s", cfg->ifname,
                           strerror(e));
        }
        goto exit;
    }

    t->fd = fd;
    fd = -1;
    t->is_open = true;
    memcpy(t->mac, cfg->mac != NULL ? cfg->mac : default_mac, sizeof(t->mac));
    memcpy(t->ifname, cfg->ifname, strlen(cfg->ifname) + 1);
    out->api = &sim_tap_api;
    out->ctx = t;
    ret = sim_errmsg(err, errlen, 0, "%s", "");

exit:
    if (fd >= 0) {
        close(fd);
    }
    return ret;
}

void sim_tap_close(sim_tap_t *t)
{
    if (t == NULL || !t->is_open) {
        return;
    }
    close(t->fd);
    t->fd = -1;
    t->is_open = false;
}

int sim_netns_enter(const char *name, char *err, size_t errlen)
{
    char path[sizeof(SIM_NETNS_DIR) + NAME_MAX];
    int fd = -1;
    int ret;

    if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL ||
        strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
        strlen(name) >= sizeof(path) - sizeof(SIM_NETNS_DIR)) {
        return sim_errmsg(err, errlen, SIM_TAP_ERR_ARG, "invalid network namespace name");
    }
    snprintf(path, sizeof(path), SIM_NETNS_DIR "%s", name);

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT) {
            ret = sim_errmsg(err, errlen, SIM_TAP_ERR_NOT_FOUND,
                           "network namespace %s not found: run sim/lab/up (as root)", name);
        } else if (e == EACCES || e == EPERM) {
            ret = sim_errmsg(err, errlen, SIM_TAP_ERR_PERM,
                           "network namespace %s: %s (run as root)", name, strerror(e));
        } else {
            ret = sim_errmsg(err, errlen, SIM_TAP_ERR_IO, "network namespace %s: %s", name,
                           strerror(e));
        }
        goto exit;
    }
    if (setns(fd, CLONE_NEWNET) < 0) {
        int e = errno;
        ret = sim_errmsg(err, errlen, e == EPERM ? SIM_TAP_ERR_PERM : SIM_TAP_ERR_IO,
                       "cannot enter network namespace %s: %s%s", name, strerror(e),
                       e == EPERM ? " (run as root)" : "");
        goto exit;
    }
    ret = sim_errmsg(err, errlen, 0, "%s", "");

exit:
    if (fd >= 0) {
        close(fd);
    }
    return ret;
}

static int tap_send(void *ctx, const uint8_t *frame, size_t len)
{
    sim_tap_t *t = ctx;
    ssize_t n;

    if (frame == NULL || len < 14 || len > HAL_NETIF_FRAME_MAX) {
        return SIM_TAP_ERR_ARG;
    }
    n = write(t->fd, frame, len);
    if (n < 0) {
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? SIM_TAP_ERR_AGAIN : SIM_TAP_ERR_IO;
    }
    return (size_t)n == len ? 0 : SIM_TAP_ERR_IO;
}

static int tap_recv(void *ctx, uint8_t *buf, size_t cap)
{
    sim_tap_t *t = ctx;
    struct iovec iov[2] = {
        { .iov_base = buf, .iov_len = cap },
        { .iov_base = t->overflow, .iov_len = sizeof(t->overflow) },
    };
    ssize_t n = readv(t->fd, iov, 2);

    if (n < 0) {
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : SIM_TAP_ERR_IO;
    }
    /* One read is one frame: anything past cap means the frame did not fit. */
    if ((size_t)n > cap) {
        return SIM_TAP_ERR_TOO_BIG;
    }
    return (int)n;
}

static void tap_wait(void *ctx, uint32_t timeout_ms)
{
    sim_tap_t *t = ctx;
    struct pollfd pfd = { .fd = t->fd, .events = POLLIN };

    (void)poll(&pfd, 1, timeout_ms > INT_MAX ? INT_MAX : (int)timeout_ms);
}

static void tap_mac(void *ctx, uint8_t mac[6])
{
    const sim_tap_t *t = ctx;

    memcpy(mac, t->mac, 6);
}
