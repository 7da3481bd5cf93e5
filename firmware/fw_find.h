/* Find gateways (E-mail Setup): candidates from DNS, then each probed.
 *
 * For the mail domain (the default From's): SRV _submission._tcp (RFC 6186,
 * STARTTLS on the port it names), SRV _submissions._tcp (implicit TLS), MX,
 * then the names smtp.<domain> and mail.<domain> on ports 587 and 25. lwIP's
 * resolver does A only, so SRV and MX are our own sans-IO queries (dns.h)
 * over lwIP's raw UDP. Each candidate is then probed as the Test button
 * does (fw_job in test_gateway mode: greeting, EHLO, TLS, QUIT), never with
 * credentials, and listed with what it offers. Only the names DNS gives are
 * touched: no address range is scanned. */
#ifndef FW_FIND_H
#define FW_FIND_H

#include <stdint.h>

#include "dns.h"
#include "fw_job.h"
#include "lwip/udp.h"

#ifndef FW_FIND_MAX
#define FW_FIND_MAX 10            /* candidates listed */
#endif
#ifndef FW_FIND_DNS_TIMEOUT_MS
#define FW_FIND_DNS_TIMEOUT_MS 2000
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
    FW_FIND_PROBE,
    FW_FIND_DONE
} fw_find_phase_t;

typedef struct fw_find {
    struct fw_job_request probe;  /* the Test request each candidate gets */
    struct fw_job_env env;
    char domain[DNS_NAME_TEXT_MAX];
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
    int job_active;
    fw_job_t job;
} fw_find_t;

/* Starts a search for gateways of domain. probe holds the TLS settings (CA)
 * and From used for the probes; its gateway, port and credentials are
 * ignored. 0, or FW_JOB_ERR_BAD_ARGS. */
int fw_find_init(fw_find_t *f, const char *domain, const struct fw_job_request *probe,
                 const struct fw_job_env *env);

/* One slice; returns 1 when it wants to run again at once. */
int fw_find_step(fw_find_t *f);

int fw_find_finished(const fw_find_t *f);

void fw_find_free(fw_find_t *f);

#endif
