#include "smtp_transport.h"

#include <string.h>

#include "lwip/altcp_tcp.h"
#include "lwip/dns.h"
#include "lwip/pbuf.h"

/* lwIP calls the poll callback every SMTP_TRANSPORT_POLL_INTERVAL * 500 ms. */
#define SMTP_TRANSPORT_POLL_INTERVAL 2

static void smtp_transport_dns_found(const char *name, const ip_addr_t *addr, void *arg);
static int smtp_transport_connect(smtp_transport_t *t);
static err_t smtp_transport_connected(void *arg, struct altcp_pcb *pcb, err_t err);
static err_t smtp_transport_recv(void *arg, struct altcp_pcb *pcb, struct pbuf *p, err_t err);
static err_t smtp_transport_sent(void *arg, struct altcp_pcb *pcb, u16_t len);
static err_t smtp_transport_on_poll(void *arg, struct altcp_pcb *pcb);
static void smtp_transport_err(void *arg, err_t err);
static void smtp_transport_pump(smtp_transport_t *t);
static void smtp_transport_fail(smtp_transport_t *t, int error, err_t lwip_err);
static void smtp_transport_release(smtp_transport_t *t, int abort);

int smtp_transport_open(smtp_transport_t *t, smtp_session_t *session, const struct hal_clock *clock,
                        const char *host, uint16_t port)
{
    size_t len;
    err_t err;

    if (!t || !session || !clock || !host)
        return SMTP_TRANSPORT_ERR_BAD_ARGS;
    len = strlen(host);
    if (len == 0 || len > SMTP_TRANSPORT_HOST_MAX || port == 0)
        return SMTP_TRANSPORT_ERR_BAD_ARGS;
    memset(t, 0, sizeof(*t));
    t->session = session;
    t->clock = clock;
    t->port = port;
    memcpy(t->host, host, len + 1);
    t->state = SMTP_TRANSPORT_RESOLVING;

    if (ipaddr_aton(host, &t->addr))
        return smtp_transport_connect(t);
    err = dns_gethostbyname(host, &t->addr, smtp_transport_dns_found, t);
    if (err == ERR_OK)
        return smtp_transport_connect(t);
    if (err != ERR_INPROGRESS)
        smtp_transport_fail(t, SMTP_TRANSPORT_ERR_DNS, err);
    return 0;
}

void smtp_transport_poll(smtp_transport_t *t)
{
    if (t->state != SMTP_TRANSPORT_CONNECTED)
        return;
    smtp_session_tick(t->session, hal_clock_now_ms(t->clock));
    smtp_transport_pump(t);
}

int smtp_transport_done(const smtp_transport_t *t)
{
    return t->state == SMTP_TRANSPORT_DONE;
}

void smtp_transport_close(smtp_transport_t *t)
{
    if (!t || t->state == SMTP_TRANSPORT_DONE || t->state == SMTP_TRANSPORT_IDLE)
        return;
    if (t->state == SMTP_TRANSPORT_CONNECTED)
        smtp_session_closed(t->session, hal_clock_now_ms(t->clock));
    smtp_transport_release(t, 1);
}

const char *smtp_transport_strerror(int err)
{
    switch (err) {
    case 0: return "no error";
    case SMTP_TRANSPORT_ERR_BAD_ARGS: return "bad gateway host or port";
    case SMTP_TRANSPORT_ERR_DNS: return "the gateway name does not resolve";
    case SMTP_TRANSPORT_ERR_CONNECT: return "cannot connect to the gateway";
    case SMTP_TRANSPORT_ERR_MEM: return "out of network memory";
    default: return "unknown transport error";
    }
}

static void smtp_transport_dns_found(const char *name, const ip_addr_t *addr, void *arg)
{
    smtp_transport_t *t = arg;
    (void)name;
    if (t->state != SMTP_TRANSPORT_RESOLVING)
        return;
    if (!addr) {
        smtp_transport_fail(t, SMTP_TRANSPORT_ERR_DNS, ERR_VAL);
        return;
    }
    t->addr = *addr;
    smtp_transport_connect(t);
}

static int smtp_transport_connect(smtp_transport_t *t)
{
    err_t err;

    t->pcb = altcp_tcp_new_ip_type(IPADDR_TYPE_V4);
    if (!t->pcb) {
        smtp_transport_fail(t, SMTP_TRANSPORT_ERR_MEM, ERR_MEM);
        return SMTP_TRANSPORT_ERR_MEM;
    }
    altcp_arg(t->pcb, t);
    altcp_recv(t->pcb, smtp_transport_recv);
    altcp_sent(t->pcb, smtp_transport_sent);
    altcp_err(t->pcb, smtp_transport_err);
    altcp_poll(t->pcb, smtp_transport_on_poll, SMTP_TRANSPORT_POLL_INTERVAL);
    t->state = SMTP_TRANSPORT_CONNECTING;
    err = altcp_connect(t->pcb, &t->addr, t->port, smtp_transport_connected);
    if (err != ERR_OK) {
        smtp_transport_release(t, 1);
        smtp_transport_fail(t, SMTP_TRANSPORT_ERR_CONNECT, err);
        return SMTP_TRANSPORT_ERR_CONNECT;
    }
    return 0;
}

static err_t smtp_transport_connected(void *arg, struct altcp_pcb *pcb, err_t err)
{
    smtp_transport_t *t = arg;
    (void)pcb;
    if (err != ERR_OK) {
        smtp_transport_release(t, 1);
        smtp_transport_fail(t, SMTP_TRANSPORT_ERR_CONNECT, err);
        return ERR_ABRT;
    }
    t->state = SMTP_TRANSPORT_CONNECTED;
    smtp_session_start(t->session, hal_clock_now_ms(t->clock));
    smtp_transport_pump(t);
    return t->aborted ? ERR_ABRT : ERR_OK;
}

static err_t smtp_transport_recv(void *arg, struct altcp_pcb *pcb, struct pbuf *p, err_t err)
{
    smtp_transport_t *t = arg;
    uint32_t now = hal_clock_now_ms(t->clock);

    (void)err;
    if (!p) { /* the server closed its side */
        smtp_session_closed(t->session, now);
        smtp_transport_release(t, 0);
        return ERR_OK;
    }
    for (struct pbuf *q = p; q; q = q->next)
        smtp_session_feed(t->session, q->payload, q->len, now);
    altcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    smtp_transport_pump(t);
    return t->aborted ? ERR_ABRT : ERR_OK;
}

static err_t smtp_transport_sent(void *arg, struct altcp_pcb *pcb, u16_t len)
{
    smtp_transport_t *t = arg;
    (void)pcb;
    (void)len;
    smtp_transport_pump(t);
    return t->aborted ? ERR_ABRT : ERR_OK;
}

static err_t smtp_transport_on_poll(void *arg, struct altcp_pcb *pcb)
{
    smtp_transport_t *t = arg;
    (void)pcb;
    smtp_transport_poll(t);
    return t->aborted ? ERR_ABRT : ERR_OK;
}

static void smtp_transport_err(void *arg, err_t err)
{
    smtp_transport_t *t = arg;

    /* lwIP has already freed the pcb. */
    t->pcb = NULL;
    if (t->state == SMTP_TRANSPORT_CONNECTING) {
        smtp_transport_fail(t, SMTP_TRANSPORT_ERR_CONNECT, err);
        return;
    }
    t->lwip_err = err;
    smtp_session_closed(t->session, hal_clock_now_ms(t->clock));
    t->state = SMTP_TRANSPORT_DONE;
}

/* Hands the engine's output to TCP as far as the send buffer allows, and
 * closes the connection once the session has ended. */
static void smtp_transport_pump(smtp_transport_t *t)
{
    const uint8_t *out;
    size_t len;
    int wrote = 0;

    while (t->pcb && (out = smtp_session_output(t->session, &len)) && len > 0) {
        size_t room = altcp_sndbuf(t->pcb);
        size_t n = len < room ? len : room;
        if (n == 0)
            break;
        if (n > 0xffff)
            n = 0xffff;
        if (altcp_write(t->pcb, out, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
            break;
        smtp_session_sent(t->session, n);
        wrote = 1;
        if (n < len)
            break;
    }
    if (t->pcb && wrote)
        altcp_output(t->pcb);
    if (t->pcb && smtp_session_done(t->session))
        smtp_transport_release(t, 0);
}

static void smtp_transport_fail(smtp_transport_t *t, int error, err_t lwip_err)
{
    t->error = error;
    t->lwip_err = lwip_err;
    t->state = SMTP_TRANSPORT_DONE;
}

/* Detaches our callbacks and closes (or aborts) the pcb. */
static void smtp_transport_release(smtp_transport_t *t, int abort)
{
    struct altcp_pcb *pcb = t->pcb;

    t->pcb = NULL;
    t->state = SMTP_TRANSPORT_DONE;
    if (!pcb)
        return;
    altcp_arg(pcb, NULL);
    altcp_recv(pcb, NULL);
    altcp_sent(pcb, NULL);
    altcp_err(pcb, NULL);
    altcp_poll(pcb, NULL, 0);
    if (abort || altcp_close(pcb) != ERR_OK) {
        altcp_abort(pcb);
        t->aborted = 1; /* a callback in progress must now return ERR_ABRT */
    }
}
