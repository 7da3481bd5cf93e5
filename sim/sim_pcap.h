/* Packet capture decorator for any netif.
 *
 * sim_pcap_wrap() puts a netif in front of an inner one: every frame sent
 * through it (that the inner netif accepted) and every frame received from
 * it is appended to a classic libpcap file (magic 0xa1b2c3d4 in host byte
 * order, version 2.4, LINKTYPE_ETHERNET, microsecond timestamps, snaplen
 * 65535) that tcpdump and Wireshark open. The file is flushed after each
 * frame, so it can be read while the simulator runs and survives a crash.
 *
 * A capture holds every byte of the link: once TLS is in place it protects
 * what matters; plain-text protocols in a capture are in clear.
 */
#ifndef SIM_PCAP_H
#define SIM_PCAP_H

#include <stdint.h>
#include <stdio.h>

#include "hal/hal_netif.h"

#define SIM_PCAP_SNAPLEN        65535u
#define SIM_PCAP_LINKTYPE_ETHER 1u

/* Error codes (negative). */
#define SIM_PCAP_ERR_ARG  -1 /* NULL argument */
#define SIM_PCAP_ERR_OPEN -2 /* cannot create the file (errno kept from fopen) */
#define SIM_PCAP_ERR_IO   -3 /* a write or flush failed */

/* Caller-owned context. A zeroed context is "closed". */
typedef struct sim_pcap {
    FILE *f;
    struct hal_netif inner;
    uint32_t frames;  /* records written */
    int error;        /* first write error (SIM_PCAP_ERR_IO), 0 if none */
} sim_pcap_t;

/* Creates (truncates) the capture file at path, writes its header and fills
 * *out with a netif that forwards to *inner (copied: inner's context must
 * outlive p; inner and out may be the same struct, to wrap in place) and
 * records each frame. A failed record never fails the
 * frame: the error is kept and returned by sim_pcap_close(). Returns 0,
 * SIM_PCAP_ERR_ARG, SIM_PCAP_ERR_OPEN or SIM_PCAP_ERR_IO. */
int sim_pcap_wrap(sim_pcap_t *p, const char *path, const struct hal_netif *inner,
                  struct hal_netif *out);

/* Closes the file. Returns 0, or SIM_PCAP_ERR_IO when any record or the
 * close failed (the capture is incomplete). Safe on a zeroed context. The
 * inner netif is not closed. */
int sim_pcap_close(sim_pcap_t *p);

#endif
