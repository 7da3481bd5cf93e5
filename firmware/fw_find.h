/* Find gateways (E-mail Setup): candidates from DNS, then each probed.
 *
 * For the mail domain (the default From's): SRV _submission._tcp (RFC 6186,
 * STARTTLS on the port it names), SRV _submissions._tcp (implicit TLS), MX,
 * then the names smtp.<domain> and mail.<domain> on ports 587 and 25. lwIP's
 * resolver does A only, so SRV and MX are our own sans-IO queries (dns.h)
 * over lwIP's raw UDP. Each candidate is then probed as the Test button
 * does (fw_job in test_gateway mode: greeting, EHLO, TLS, QUIT), never with
 * credentials, and listed with what it offers. The questions go for the
 * mail domain and, when DHCP gave another one, for the DHCP domain too.
 *
 * Only the names DNS gives are touched, unless the administrator turns on
 * the subnet probe (fw_find_scan_subnet): then the device's own subnet, never
 * more than the /24 around its address, is asked by ARP in small rounds, and
 * the hosts that answer get a TCP connect on ports 25, 587 and 465; at most
 * one packet every FW_FIND_SCAN_GAP_MS, the whole probe stopped after
 * FW_FIND_SCAN_MAX_MS. What answers joins the list and is probed like the rest. */
#ifndef FW_FIND_H
#define FW_FIND_H

#include <stdint.h>

#include "dns.h"
#include "fw_job.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#ifndef FW_FIND_MAX
#define FW_FIND_MAX 10            /* candidates listed */
#endif
#ifndef FW_FIND_DNS_TIMEOUT_MS
#define FW_FIND_DNS_TIMEOUT_MS 2000
#endif
#ifndef FW_FIND_SCAN_GAP_MS
#define FW_FIND_SCAN_GAP_MS 5         /* subnet probe: at most 200 packets a second */
#endif
#ifndef FW_FIND_SCAN_MAX_MS
#define FW_FIND_SCAN_MAX_MS 30000     /* subnet probe: the whole of it */
#endif
#ifndef FW_FIND_SCAN_BATCH
#define FW_FIND_SCAN_BATCH 8          /* hosts asked by ARP at once (lwIP's table holds 10) */
#endif
#ifndef FW_FIND_SCAN_ARP_MS
#define FW_FIND_SCAN_ARP_MS 100       /* ARP answers on a LAN take well under this */
#endif
#ifndef FW_FIND_SCAN_CONNECT_MS
#define FW_FIND_SCAN_CONNECT_MS 500   /* a TCP connect that gets no answer */
#endif

struct fw_find_candidate {
    char host[DNS_NAME_TEXT_MAX];
    uint16_t port;
    smtp_tls_mode_t tls;          /* how it was probed */
    const char *source;           /* "SRV _submission._tcp", "MX 10", "name" */
    int ok;                       /* answered greeting and EHLO */
    int tls_used;                 /* the probe ran over TLS (STARTTLS or implicit) */
    int tls_verified;             /* its certificate verified against the CA given */
    smtp_ext_t ext;               /* what it offers */
    char error[320];              /* why the probe failed */
};

typedef enum fw_find_phase {
    FW_FIND_WAIT_NETWORK = 0,
    FW_FIND_DNS,
    FW_FIND_SCAN,
    FW_FIND_PROBE,
    FW_FIND_DONE
} fw_find_phase_t;

typedef struct fw_find {
    struct fw_job_request probe;  /* the Test request each candidate gets */
    struct fw_job_env env;
    char domain[DNS_NAME_TEXT_MAX];  /* the mail domain, then the DHCP domain */
    int dhcp_domain_done;
    fw_find_phase_t phase;
    uint32_t since_ms;
    unsigned query;               /* next DNS query (0..2) */
    int waiting;                  /* a DNS answer is awaited */
    uint16_t id;
    char qname[DNS_NAME_TEXT_MAX];
    struct udp_pcb *udp;
    dns_answer_t answer;
    struct fw_find_candidate list[FW_FIND_MAX];
    unsigned count;
    unsigned probing;             /* candidate being probed */
    /* Subnet probe (off unless fw_find_scan_subnet). */
    int scan;
    uint32_t scan_net;            /* host byte order: the /24 (or smaller) network */
    unsigned scan_hosts;          /* addresses in it, network and broadcast excluded */
    unsigned scan_next;           /* next host (1-based) to ask by ARP */
    unsigned batch_first, batch_end; /* the ARP round in flight */
    uint32_t live[FW_FIND_SCAN_BATCH];
    unsigned live_count, live_next, port_next;
    uint32_t scan_start_ms, last_packet_ms, connect_ms;
    struct tcp_pcb *pcb;          /* the connect in flight */
    int connect_state;            /* 0 none, 1 waiting, 2 open, 3 refused or failed */
    int scan_stopped;             /* the time bound ended it early */
    unsigned scan_done_hosts;
    int job_active;
    fw_job_t job;
} fw_find_t;

/* Starts a search for gateways of domain. probe holds the TLS settings (CA)
 * and From used for the probes; its gateway, port and credentials are
 * ignored. 0, or FW_JOB_ERR_BAD_ARGS. */
int fw_find_init(fw_find_t *f, const char *domain, const struct fw_job_request *probe,
                 const struct fw_job_env *env);

/* Options, after init and before stepping. subnet: the opt-in subnet probe;
 * dhcp_domain: the DHCP domain's gateways too (the default; off when the
 * administrator typed the domain to search). */
void fw_find_options(fw_find_t *f, int subnet, int dhcp_domain);

/* One slice; returns 1 when it wants to run again at once. */
int fw_find_step(fw_find_t *f);

int fw_find_finished(const fw_find_t *f);

void fw_find_free(fw_find_t *f);

#endif
