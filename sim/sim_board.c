/* The simulated board (sim_board.h). */
#include "sim_board.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim_json.h"
#include "sim_sys.h"

struct sim_board sim_board;

static int sim_parse_mac(const char *s, uint8_t mac[6]);

/* Handles a network option; 1 when opt was one, -1 on a bad value. */
int sim_net_option(struct sim_net_opts *o, int opt, char *arg)
{
    switch (opt) {
    case SIM_OPT_NET:
        if (strcmp(arg, "tap") && strcmp(arg, "slirp"))
            return -1;
        o->net = arg;
        return 1;
    case SIM_OPT_LAB: o->lab = arg; return 1;
    case SIM_OPT_TAP: o->tap = arg; return 1;
    case SIM_OPT_FORWARD:
        return o->forward_count < SIM_LIST_MAX ? (o->forwards[o->forward_count++] = arg, 1) : -1;
    case SIM_OPT_RESOLVE:
        return o->resolve_count < SIM_LIST_MAX ? (o->resolves[o->resolve_count++] = arg, 1) : -1;
    case SIM_OPT_MAC:
        o->mac_set = 1;
        return sim_parse_mac(arg, o->mac) == 0 ? 1 : -1;
    case SIM_OPT_PCAP: o->pcap = arg; return 1;
    case SIM_OPT_STATE: o->state_dir = arg; return 1;
    case SIM_OPT_JSON: o->json = 1; return 1;
    default: return 0;
    }
}

int sim_state_default(struct sim_net_opts *o)
{
    static char dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 16);

    if (n <= 0)
        return -1;
    dir[n] = '\0';
    strcpy(strrchr(dir, '/') + 1, "state");
    o->state_dir = dir;
    return 0;
}

int sim_net_up(const struct sim_net_opts *o)
{
    struct fw_net_config nc = {.hostname = "mfp-sim", .rng = &sim_board.rng};
    char err[256];
    int rc;

    if (!strcmp(o->net, "tap")) {
        sim_tap_config_t tc = {.ifname = o->tap, .mac = o->mac_set ? o->mac : NULL};
        if (o->forward_count)
            return sim_fail(o, "setup", "--forward is for --net slirp; the lab needs none");
        if (sim_netns_enter(o->lab, err, sizeof(err)) != 0 ||
            sim_tap_open(&sim_board.tap, &tc, &sim_board.raw_netif, err, sizeof(err)) != 0)
            return sim_fail(o, "network", err);
    } else {
        sim_slirp_config_t sc = {.mac = o->mac_set ? o->mac : NULL,
                                 .forwards = o->forwards,
                                 .forward_count = o->forward_count};
        if (sim_slirp_open(&sim_board.slirp, &sc, &sim_board.raw_netif, err, sizeof(err)) != 0)
            return sim_fail(o, "network", err);
    }
    sim_board.netif = sim_board.raw_netif;
    if (o->pcap && sim_pcap_wrap(&sim_board.pcap, o->pcap, &sim_board.raw_netif, &sim_board.netif) != 0) {
        snprintf(err, sizeof(err), "cannot write the capture file %s", o->pcap);
        sim_net_down();
        return sim_fail(o, "setup", err);
    }
    if ((rc = fw_net_init(&sim_board.net, &nc, &sim_board.netif, &sim_board.clock)) != 0) {
        sim_net_down();
        return sim_fail(o, "network", "lwIP refused the network interface");
    }
    for (size_t i = 0; i < o->resolve_count; i++) {
        char name[256];
        const char *eq = strchr(o->resolves[i], '=');
        size_t len = eq ? (size_t)(eq - o->resolves[i]) : 0;
        if (!eq || len == 0 || len >= sizeof(name)) {
            sim_net_down();
            return sim_fail(o, "validate", "--resolve: use NAME=ADDR");
        }
        memcpy(name, o->resolves[i], len);
        name[len] = '\0';
        if (fw_net_pin_name(name, eq + 1) != 0) {
            sim_net_down();
            return sim_fail(o, "validate", "--resolve: ADDR must be an IPv4 address");
        }
    }
    return 0;
}

void sim_net_down(void)
{
    fw_net_free(&sim_board.net);
    sim_pcap_close(&sim_board.pcap);
    sim_tap_close(&sim_board.tap);
    sim_slirp_close(&sim_board.slirp);
}

int sim_fail(const struct sim_net_opts *o, const char *stage, const char *msg)
{
    if (o->json) {
        sim_json_t j;
        sim_json_begin(&j, stdout);
        sim_json_bool(&j, "ok", 0);
        sim_json_str(&j, "stage", stage);
        sim_json_str(&j, "error", msg);
        sim_json_end(&j);
    }
    fprintf(stderr, "mfp-sim: %s\n", msg);
    return 1;
}

static int sim_parse_mac(const char *s, uint8_t mac[6])
{
    unsigned b[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
               &tail) != 6 || (b[0] & 1))
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)b[i];
    return 0;
}

/* Reads a whole file into buf and NUL-terminates it; *len counts the NUL
 * (Mbed TLS wants PEM that way). */
int sim_read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f)
        return -1;
    n = fread(buf, 1, cap - 1, f);
    if (!feof(f) || ferror(f)) {
        fclose(f);
        return -1;
    }
    fclose(f);
    buf[n] = 0;
    *len = n + 1;
    return 0;
}
