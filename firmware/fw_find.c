#include "fw_find.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"

/* The DNS questions, in order of preference. */
static const struct {
    const char *prefix;
    uint16_t type;
    smtp_tls_mode_t tls;
    const char *source;
} fw_find_queries[] = {
    {"_submission._tcp.", DNS_TYPE_SRV, SMTP_TLS_STARTTLS, "SRV _submission._tcp"},
    {"_submissions._tcp.", DNS_TYPE_SRV, SMTP_TLS_IMPLICIT, "SRV _submissions._tcp"},
    {"", DNS_TYPE_MX, SMTP_TLS_NONE, "MX"},
};
#define FW_FIND_QUERIES (sizeof(fw_find_queries) / sizeof(fw_find_queries[0]))

static void fw_find_add(fw_find_t *f, const char *host, uint16_t port, smtp_tls_mode_t tls,
                        const char *source);
static void fw_find_send_query(fw_find_t *f);
static void fw_find_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                         u16_t port);
static void fw_find_take_answer(fw_find_t *f);
static void fw_find_add_names(fw_find_t *f);
static void fw_find_probe_next(fw_find_t *f);
static void fw_find_probe_done(fw_find_t *f);
static int fw_find_scan_step(fw_find_t *f, uint32_t now);
static void fw_find_scan_start(fw_find_t *f, uint32_t now);
static int fw_find_connect_step(fw_find_t *f, uint32_t now);
static void fw_find_connect_end(fw_find_t *f, int state);
static err_t fw_find_connected(void *arg, struct tcp_pcb *pcb, err_t err);
static void fw_find_connect_err(void *arg, err_t err);

/* Ports of the subnet probe and how each is then probed. */
static const struct {
    uint16_t port;
    smtp_tls_mode_t tls;
} fw_find_scan_ports[] = {{25, SMTP_TLS_NONE}, {587, SMTP_TLS_NONE}, {465, SMTP_TLS_IMPLICIT}};
#define FW_FIND_SCAN_PORTS (sizeof(fw_find_scan_ports) / sizeof(fw_find_scan_ports[0]))

int fw_find_init(fw_find_t *f, const char *domain, const struct fw_job_request *probe,
                 const struct fw_job_env *env)
{
    if (!f || !domain || !probe || !env || strlen(domain) > 240)
        return FW_JOB_ERR_BAD_ARGS;
    memset(f, 0, sizeof(*f));
    snprintf(f->domain, sizeof(f->domain), "%s", domain);
    f->probe = *probe;
    f->probe.test_gateway = 1;
    f->probe.auth_user = NULL; /* a probe never signs in */
    f->probe.auth_pass = NULL;
    f->env = *env;
    f->since_ms = hal_clock_now_ms(env->clock);
    f->phase = FW_FIND_WAIT_NETWORK;
    return 0;
}

int fw_find_step(fw_find_t *f)
{
    uint32_t now = hal_clock_now_ms(f->env.clock);

    switch (f->phase) {
    case FW_FIND_WAIT_NETWORK:
        if (fw_net_ready(f->env.net)) {
            f->phase = FW_FIND_DNS;
            return 1;
        }
        if ((uint32_t)(now - f->since_ms) > FW_JOB_NET_TIMEOUT_MS)
            f->phase = FW_FIND_DONE; /* nothing found: the list stays empty */
        return 0;
    case FW_FIND_DNS:
        if (f->waiting) {
            if ((uint32_t)(now - f->since_ms) > FW_FIND_DNS_TIMEOUT_MS) {
                f->waiting = 0; /* no answer: go on with the next question */
                f->query++;
            }
            return 0;
        }
        if (f->query < FW_FIND_QUERIES) {
            fw_find_send_query(f);
            return 1;
        }
        fw_find_add_names(f);
        /* The same questions for the DHCP domain, when it is another one. */
        if (!f->dhcp_domain_done && f->env.net->domain[0] &&
            strcasecmp(f->env.net->domain, f->domain) != 0) {
            f->dhcp_domain_done = 1;
            snprintf(f->domain, sizeof(f->domain), "%s", f->env.net->domain);
            f->query = 0;
            return 1;
        }
        if (f->scan) {
            fw_find_scan_start(f, now);
            return 1;
        }
        f->phase = FW_FIND_PROBE;
        f->probing = 0;
        fw_find_probe_next(f);
        return 1;
    case FW_FIND_SCAN:
        if (fw_find_scan_step(f, now))
            return 1;
        f->phase = FW_FIND_PROBE;
        f->probing = 0;
        fw_find_probe_next(f);
        return 1;
    case FW_FIND_PROBE:
        if (!f->job_active)
            return 0;
        fw_job_step(&f->job);
        if (fw_job_finished(&f->job)) {
            fw_find_probe_done(f);
            fw_find_probe_next(f);
            return 1;
        }
        return 0;
    case FW_FIND_DONE:
        return 0;
    }
    return 0;
}

int fw_find_finished(const fw_find_t *f)
{
    return f->phase == FW_FIND_DONE;
}

void fw_find_options(fw_find_t *f, int subnet, int dhcp_domain)
{
    f->scan = subnet;
    f->dhcp_domain_done = !dhcp_domain;
}

void fw_find_free(fw_find_t *f)
{
    if (!f)
        return;
    if (f->pcb) {
        tcp_arg(f->pcb, NULL);
        tcp_err(f->pcb, NULL);
        tcp_abort(f->pcb);
        f->pcb = NULL;
    }
    if (f->udp) {
        udp_remove(f->udp);
        f->udp = NULL;
    }
    if (f->job_active) {
        fw_job_free(&f->job);
        f->job_active = 0;
    }
}

static void fw_find_add(fw_find_t *f, const char *host, uint16_t port, smtp_tls_mode_t tls,
                        const char *source)
{
    struct fw_find_candidate *c;

    if (!host[0] || !strcmp(host, ".") || f->count >= FW_FIND_MAX)
        return;
    for (unsigned i = 0; i < f->count; i++)
        if (f->list[i].port == port && !strcasecmp(f->list[i].host, host))
            return;
    c = &f->list[f->count++];
    memset(c, 0, sizeof(*c));
    snprintf(c->host, sizeof(c->host), "%s", host);
    c->port = port;
    c->tls = tls;
    c->source = source;
}

static void fw_find_send_query(fw_find_t *f)
{
    uint8_t q[DNS_QUERY_MAX];
    const ip_addr_t *server = dns_getserver(0);
    uint8_t rnd[2] = {0, 0};
    size_t len = 0;
    struct pbuf *p;

    snprintf(f->qname, sizeof(f->qname), "%s%s", fw_find_queries[f->query].prefix, f->domain);
    hal_rng_fill(f->env.rng, rnd, sizeof(rnd));
    f->id = (uint16_t)(rnd[0] << 8 | rnd[1]);
    if (!f->udp) {
        f->udp = udp_new_ip_type(IPADDR_TYPE_V4);
        if (f->udp)
            udp_recv(f->udp, fw_find_recv, f);
    }
    if (!f->udp || !server || ip_addr_isany(server) ||
        dns_query_build(q, sizeof(q), f->id, f->qname, fw_find_queries[f->query].type, &len) != 0 ||
        !(p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM))) {
        f->query++; /* no DNS here (slirp): the names still get probed */
        return;
    }
    pbuf_take(p, q, (u16_t)len);
    udp_sendto(f->udp, p, server, 53);
    pbuf_free(p);
    f->waiting = 1;
    f->since_ms = hal_clock_now_ms(f->env.clock);
}

static void fw_find_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                         u16_t port)
{
    fw_find_t *f = arg;
    uint8_t buf[DNS_UDP_MAX];
    u16_t len = p->tot_len > sizeof(buf) ? sizeof(buf) : p->tot_len;
    int rc;

    (void)pcb, (void)addr, (void)port;
    pbuf_copy_partial(p, buf, len, 0);
    pbuf_free(p);
    if (!f->waiting)
        return;
    rc = dns_response_parse(buf, len, f->id, f->qname, fw_find_queries[f->query].type,
                            &f->answer);
    if (rc == DNS_ERR_NOT_RESPONSE || rc == DNS_ERR_ID_MISMATCH || rc == DNS_ERR_QUESTION)
        return; /* not our answer: keep waiting */
    if (rc == DNS_OK)
        fw_find_take_answer(f);
    f->waiting = 0;
    f->query++;
}

static void fw_find_take_answer(fw_find_t *f)
{
    const char *source = fw_find_queries[f->query].source;
    smtp_tls_mode_t tls = fw_find_queries[f->query].tls;

    dns_answer_sort(&f->answer);
    for (unsigned i = 0; i < f->answer.count; i++) {
        const dns_rr_t *rr = &f->answer.rr[i];
        if (rr->type == DNS_TYPE_SRV) {
            fw_find_add(f, rr->u.srv.target, rr->u.srv.port, tls, source);
        } else if (rr->type == DNS_TYPE_MX) {
            /* An MX takes mail on 25; submission may run on 587 beside it. */
            fw_find_add(f, rr->u.mx.exchange, 587, SMTP_TLS_NONE, source);
            fw_find_add(f, rr->u.mx.exchange, 25, SMTP_TLS_NONE, source);
        }
    }
}

static void fw_find_add_names(fw_find_t *f)
{
    static const char *const names[] = {"smtp.", "mail."};
    char host[DNS_NAME_TEXT_MAX];

    for (unsigned i = 0; i < 2; i++) {
        snprintf(host, sizeof(host), "%s%.240s", names[i], f->domain);
        fw_find_add(f, host, 587, SMTP_TLS_NONE, "name");
        fw_find_add(f, host, 25, SMTP_TLS_NONE, "name");
    }
}

/* Probes the next candidate as the Test button does, or ends the search. */
static void fw_find_probe_next(fw_find_t *f)
{
    for (; f->probing < f->count; f->probing++) {
        struct fw_find_candidate *c = &f->list[f->probing];
        struct fw_job_request r = f->probe;

        r.gateway = c->host;
        r.port = c->port;
        /* Submission ports are probed with STARTTLS when offered; an
         * implicit-TLS port with TLS. Without a CA the certificate is
         * reported, not trusted (nothing but EHLO and QUIT is sent). */
        r.tls = c->tls;
        r.insecure_skip_verify = r.ca == NULL;
        if (fw_job_init(&f->job, &r, &f->env) == 0) {
            f->job_active = 1;
            return;
        }
        snprintf(c->error, sizeof(c->error), "%s", f->job.error);
    }
    f->phase = FW_FIND_DONE;
}

static void fw_find_probe_done(fw_find_t *f)
{
    struct fw_find_candidate *c = &f->list[f->probing];

    c->ok = f->job.phase == FW_JOB_DONE;
    c->ext = f->job.session.ext;
    c->tls_used = f->job.transport.tls_active;
    c->tls_verified = f->job.transport.tls_active && f->job.transport.tls_info.error == 0 &&
                      !f->job.transport.tls_info.skipped;
    if (!c->ok)
        snprintf(c->error, sizeof(c->error), "%s", f->job.error);
    fw_job_free(&f->job);
    f->job_active = 0;
    f->probing++;
}

/* The subnet to probe: the device's, cut to the /24 around its address. */
static void fw_find_scan_start(fw_find_t *f, uint32_t now)
{
    uint32_t ip = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&f->env.net->netif)));
    uint32_t mask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(&f->env.net->netif)));

    if (mask < 0xffffff00u)
        mask = 0xffffff00u;
    f->scan_net = ip & mask;
    f->scan_hosts = mask >= 0xfffffffeu ? 0 : ~mask - 1;
    f->scan_next = 1;
    f->scan_start_ms = now;
    f->last_packet_ms = now - FW_FIND_SCAN_GAP_MS;
    f->phase = FW_FIND_SCAN;
}

/* ARP a round of hosts, then TCP-connect the ports of those that answered.
 * Returns 1 while there is more to do. */
static int fw_find_scan_step(fw_find_t *f, uint32_t now)
{
    struct netif *nif = &f->env.net->netif;
    uint32_t own = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(nif)));
    ip4_addr_t a;

    if ((uint32_t)(now - f->scan_start_ms) > FW_FIND_SCAN_MAX_MS) {
        f->scan_stopped = f->scan_done_hosts < f->scan_hosts;
        return 0;
    }
    if (f->live_next < f->live_count)
        return fw_find_connect_step(f, now);
    if ((uint32_t)(now - f->last_packet_ms) < FW_FIND_SCAN_GAP_MS)
        return 1;
    if (f->batch_end == f->batch_first) { /* a new round */
        if (f->scan_next > f->scan_hosts)
            return 0;
        f->batch_first = f->scan_next;
        f->batch_end = f->batch_first;
        f->live_count = f->live_next = 0;
    }
    if (f->batch_end - f->batch_first < FW_FIND_SCAN_BATCH && f->scan_next <= f->scan_hosts) {
        uint32_t host = f->scan_net + f->scan_next++;
        f->batch_end++;
        if (host != own) {
            ip4_addr_set_u32(&a, lwip_htonl(host));
            etharp_request(nif, &a);
            f->last_packet_ms = now;
        }
        return 1;
    }
    /* The round is asked: give the answers FW_FIND_SCAN_ARP_MS. */
    if ((uint32_t)(now - f->last_packet_ms) < FW_FIND_SCAN_ARP_MS)
        return 1;
    for (unsigned h = f->batch_first; h < f->batch_end; h++) {
        struct eth_addr *eth;
        const ip4_addr_t *found;
        ip4_addr_set_u32(&a, lwip_htonl(f->scan_net + h));
        if (f->scan_net + h != own && etharp_find_addr(nif, &a, &eth, &found) >= 0)
            f->live[f->live_count++] = f->scan_net + h;
    }
    f->scan_done_hosts += f->batch_end - f->batch_first;
    f->batch_first = f->batch_end;
    f->port_next = 0;
    return 1;
}

/* One TCP connect at a time to the live hosts' ports. */
static int fw_find_connect_step(fw_find_t *f, uint32_t now)
{
    ip_addr_t a;

    if (f->connect_state == 1 && (uint32_t)(now - f->connect_ms) < FW_FIND_SCAN_CONNECT_MS)
        return 1;
    if (f->connect_state == 1) { /* no answer: filtered */
        tcp_arg(f->pcb, NULL);
        tcp_err(f->pcb, NULL);
        tcp_abort(f->pcb);
        fw_find_connect_end(f, 3);
    }
    if (f->connect_state >= 2) {
        if (f->connect_state == 2) {
            char host[16];
            uint32_t ip = f->live[f->live_next];
            snprintf(host, sizeof(host), "%u.%u.%u.%u", (unsigned)(ip >> 24),
                     (unsigned)(ip >> 16 & 255), (unsigned)(ip >> 8 & 255), (unsigned)(ip & 255));
            fw_find_add(f, host, fw_find_scan_ports[f->port_next].port,
                        fw_find_scan_ports[f->port_next].tls, "subnet probe");
        }
        f->connect_state = 0;
        if (++f->port_next == FW_FIND_SCAN_PORTS) {
            f->port_next = 0;
            f->live_next++;
        }
        return 1;
    }
    if ((uint32_t)(now - f->last_packet_ms) < FW_FIND_SCAN_GAP_MS)
        return 1;
    f->pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (!f->pcb) {
        fw_find_connect_end(f, 3);
        return 1;
    }
    ip_addr_set_ip4_u32(&a, lwip_htonl(f->live[f->live_next]));
    tcp_arg(f->pcb, f);
    tcp_err(f->pcb, fw_find_connect_err);
    f->connect_state = 1;
    f->connect_ms = f->last_packet_ms = now;
    if (tcp_connect(f->pcb, &a, fw_find_scan_ports[f->port_next].port, fw_find_connected) !=
        ERR_OK) {
        tcp_arg(f->pcb, NULL);
        tcp_err(f->pcb, NULL);
        tcp_abort(f->pcb);
        fw_find_connect_end(f, 3);
    }
    return 1;
}

static void fw_find_connect_end(fw_find_t *f, int state)
{
    f->pcb = NULL;
    f->connect_state = state;
}

static err_t fw_find_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    fw_find_t *f = arg;

    (void)err;
    tcp_arg(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_abort(pcb); /* the port answers: that is all a probe asks here */
    fw_find_connect_end(f, 2);
    return ERR_ABRT;
}

static void fw_find_connect_err(void *arg, err_t err)
{
    (void)err; /* refused (RST) or reset: the pcb is already freed */
    if (arg)
        fw_find_connect_end(arg, 3);
}
