/* The simulated board: its HAL backends, its network bring-up and the
 * options every mfp-sim command that uses the network shares. */
#ifndef SIM_BOARD_H
#define SIM_BOARD_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_job.h"
#include "fw_net.h"
#include "sim_netif_slirp.h"
#include "sim_netif_tap.h"
#include "sim_pcap.h"
#include "sim_scan_input.h"
#include "sim_scanner.h"
#include "sim_storage.h"

#define SIM_LIST_MAX 16

/* Options shared by every subcommand that touches the network. */
struct sim_net_opts {
    const char *net;                   /* "tap" or "slirp" */
    const char *lab;                   /* network namespace of the lab */
    const char *tap;
    const char *forwards[SIM_LIST_MAX];
    size_t forward_count;
    const char *resolves[SIM_LIST_MAX];
    size_t resolve_count;
    uint8_t mac[6];
    int mac_set;
    const char *pcap;
    const char *state_dir;
    int json;
};

/* getopt codes of the network options; a command's own start at SIM_OPT_NET_END. */
enum {
    SIM_OPT_NET = 256, SIM_OPT_LAB, SIM_OPT_TAP, SIM_OPT_FORWARD, SIM_OPT_RESOLVE, SIM_OPT_MAC,
    SIM_OPT_PCAP, SIM_OPT_STATE, SIM_OPT_JSON, SIM_OPT_NET_END
};
/* Their struct option entries, first in a command's table (in enum order). */
#define SIM_NET_LONG_OPTIONS                                                                 \
    {"net", required_argument, 0, SIM_OPT_NET}, {"lab", required_argument, 0, SIM_OPT_LAB},    \
    {"tap", required_argument, 0, SIM_OPT_TAP},                                              \
    {"forward", required_argument, 0, SIM_OPT_FORWARD},                                      \
    {"resolve", required_argument, 0, SIM_OPT_RESOLVE},                                      \
    {"mac", required_argument, 0, SIM_OPT_MAC}, {"pcap", required_argument, 0, SIM_OPT_PCAP}, \
    {"state", required_argument, 0, SIM_OPT_STATE}, {"json", no_argument, 0, SIM_OPT_JSON}

/* Everything the simulated board owns (one, static: the slirp queue is large). */
struct sim_board {
    struct hal_clock clock;
    struct hal_rng rng;
    struct sim_scanner scanner_ctx;
    struct sim_input input_ctx;
    struct hal_scanner scanner;
    struct sim_storage storage_ctx;
    struct hal_storage storage;
    sim_tap_t tap;
    sim_slirp_t slirp;
    sim_pcap_t pcap;
    struct hal_netif raw_netif;
    struct hal_netif netif;
    fw_net_t net;
    fw_job_t job;
    uint8_t band[5102 * 3 * FW_JOB_BAND_LINES]; /* Legal at 600 dpi, colour */
};
extern struct sim_board sim_board;

/* Handles a network option; 1 when opt was one, 0 when not, -1 on a bad value. */
int sim_net_option(struct sim_net_opts *o, int opt, char *arg);

/* o->state_dir = build/state beside the executable; 0, or -1 when unknown. */
int sim_state_default(struct sim_net_opts *o);

/* Brings up the netif (tap in the lab, or slirp), lwIP (sim_board.net) and
 * the pinned names. 0, or the exit status after saying why (sim_fail). */
int sim_net_up(const struct sim_net_opts *o);
void sim_net_down(void);

/* Reads a whole file into buf (cap bytes) and NUL-terminates it; *len
 * counts the NUL (Mbed TLS wants PEM that way). 0, or -1. */
int sim_read_file(const char *path, uint8_t *buf, size_t cap, size_t *len);

/* Says why a command failed (JSON on stdout with --json) and returns 1. */
int sim_fail(const struct sim_net_opts *o, const char *stage, const char *msg);

#endif
