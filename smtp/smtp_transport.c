#include "smtp_transport.h"

#include <stdio.h>
#include <string.h>

#include "lwip/altcp_tcp.h"
#include "lwip/altcp_tls.h"
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
static void smtp_transport_callbacks(smtp_transport_t *t, struct altcp_pcb *pcb);
static void smtp_transport_starttls(smtp_transport_t *t);
static int smtp_transport_tls_verify(smtp_transport_t *t);
static void smtp_transport_tls_fail(smtp_transport_t *t, int error, err_t lwip_err);
static const char *smtp_transport_tls_name(const smtp_transport_t *t);

int smtp_transport_open(smtp_transport_t *t, smtp_session_t *session, const struct hal_clock *clock,
                        const char *host, uint16_t port)
{
    return smtp_transport_open_tls(t, session, clock, host, port, NULL);
}

int smtp_transport_open_tls(smtp_transport_t *t, smtp_session_t *session,
                            const struct hal_clock *clock, const char *host, uint16_t port,
                            const smtp_transport_tls_t *tls)
{
    size_t len;
    err_t err;

    if (!t || !session || !clock || !host)
        return SMTP_TRANSPORT_ERR_BAD_ARGS;
    len = strlen(host);
    if (len == 0 || len > SMTP_TRANSPORT_HOST_MAX || port == 0)
        return SMTP_TRANSPORT_ERR_BAD_ARGS;
    if (tls && tls->mode != SMTP_TLS_NONE && (!tls->config || !tls->config->altcp))
        return SMTP_TRANSPORT_ERR_BAD_ARGS;
    memset(t, 0, sizeof(*t));
    if (tls)
        t->tls = *tls;
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
    uint32_t now = hal_clock_now_ms(t->clock);

    if (t->tls_active && (t->state == SMTP_TRANSPORT_TLS_HANDSHAKE ||
                          t->state == SMTP_TRANSPORT_CONNECTING) &&
        now - t->tls_start_ms > SMTP_TRANSPORT_TLS_TIMEOUT_MS) {
        t->tls_info.error = SMTP_TLS_ERR_TIMEOUT;
        snprintf(t->tls_info.detail, sizeof(t->tls_info.detail),
                 "no TLS session after %u s", (unsigned)(SMTP_TRANSPORT_TLS_TIMEOUT_MS / 1000));
        smtp_transport_tls_fail(t, SMTP_TLS_ERR_TIMEOUT, ERR_TIMEOUT);
        return;
    }
    if (t->state != SMTP_TRANSPORT_CONNECTED)
        return;
    smtp_session_tick(t->session, now);
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
    if (t->state == SMTP_TRANSPORT_CONNECTED || t->state == SMTP_TRANSPORT_TLS_HANDSHAKE)
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
    default: return smtp_tls_strerror(err); /* SMTP_TLS_ERR_*, or "unknown" */
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

    if (t->tls.mode == SMTP_TLS_IMPLICIT) {
        /* TLS from the first byte: "connected" comes once the handshake is over. */
        t->pcb = altcp_tls_new(t->tls.config->altcp, IPADDR_TYPE_V4);
        t->tls_active = t->pcb != NULL;
    } else {
        t->pcb = altcp_tcp_new_ip_type(IPADDR_TYPE_V4);
    }
    if (!t->pcb) {
        smtp_transport_fail(t, SMTP_TRANSPORT_ERR_MEM, ERR_MEM);
        return SMTP_TRANSPORT_ERR_MEM;
    }
    if (t->tls_active &&
        smtp_tls_session_setup(altcp_tls_context(t->pcb), smtp_transport_tls_name(t)) != 0) {
        smtp_transport_release(t, 1);
        smtp_transport_fail(t, SMTP_TLS_ERR_SETUP, ERR_MEM);
        return SMTP_TLS_ERR_SETUP;
    }
    smtp_transport_callbacks(t, t->pcb);
    t->state = SMTP_TRANSPORT_CONNECTING;
    t->tls_start_ms = hal_clock_now_ms(t->clock);
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
    /* With TLS this is the end of the handshake: nothing of SMTP has moved
     * yet, and nothing will unless the certificate is good. */
    if (t->tls_active && smtp_transport_tls_verify(t) != 0)
        return ERR_ABRT;
    if (t->state == SMTP_TRANSPORT_TLS_HANDSHAKE) {
        t->state = SMTP_TRANSPORT_CONNECTED;
        smtp_session_tls_ready(t->session, hal_clock_now_ms(t->clock));
    } else {
        t->state = SMTP_TRANSPORT_CONNECTED;
        smtp_session_start(t->session, hal_clock_now_ms(t->clock));
    }
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
    int handshake = t->state == SMTP_TRANSPORT_TLS_HANDSHAKE;

    /* altcp_tls still holds its context while it reports a failed handshake
     * (it frees the pcb after this callback): read why, then forget the pcb.
     * A plain TCP pcb is already freed here. */
    if (t->tls_active && (handshake || t->state == SMTP_TRANSPORT_CONNECTING)) {
        const mbedtls_ssl_context *ssl = altcp_tls_context(t->pcb);
        if (handshake || smtp_tls_handshake_begun(ssl)) {
            smtp_tls_handshake_failed(ssl, &t->tls_info);
            t->tls_info.handshake_ms = hal_clock_now_ms(t->clock) - t->tls_start_ms;
            t->error = t->tls_info.error;
        }
    }
    t->pcb = NULL;
    if (t->state == SMTP_TRANSPORT_CONNECTING) {
        smtp_transport_fail(t, t->error ? t->error : SMTP_TRANSPORT_ERR_CONNECT, err);
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

    if (t->state == SMTP_TRANSPORT_TLS_HANDSHAKE)
        return; /* no SMTP byte moves until the handshake is over and verified */
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
    if (t->pcb && t->tls.mode == SMTP_TLS_STARTTLS && !t->tls_active &&
        smtp_session_wants_tls(t->session)) {
        smtp_transport_starttls(t);
        return;
    }
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

static void smtp_transport_callbacks(smtp_transport_t *t, struct altcp_pcb *pcb)
{
    altcp_arg(pcb, t);
    altcp_recv(pcb, smtp_transport_recv);
    altcp_sent(pcb, smtp_transport_sent);
    altcp_err(pcb, smtp_transport_err);
    altcp_poll(pcb, smtp_transport_on_poll, SMTP_TRANSPORT_POLL_INTERVAL);
}

/* The server said 220 to STARTTLS and the engine is quiet: put TLS over the
 * connected TCP pcb and send the client hello. */
static void smtp_transport_starttls(smtp_transport_t *t)
{
    struct altcp_pcb *inner = t->pcb;
    struct altcp_pcb *tls;
    mbedtls_ssl_context *ssl;
    int ret;

    tls = altcp_tls_wrap(t->tls.config->altcp, inner);
    if (!tls) {
        t->tls_info.error = SMTP_TLS_ERR_SETUP;
        snprintf(t->tls_info.detail, sizeof(t->tls_info.detail), "out of memory for TLS");
        smtp_transport_tls_fail(t, SMTP_TLS_ERR_SETUP, ERR_MEM);
        return;
    }
    /* From here the TLS pcb owns the TCP pcb (closing it closes both). */
    t->pcb = tls;
    t->tls_active = 1;
    t->state = SMTP_TRANSPORT_TLS_HANDSHAKE;
    t->tls_start_ms = hal_clock_now_ms(t->clock);
    smtp_transport_callbacks(t, tls);
    /* altcp_tls_wrap() offers no connect for an already connected pcb, but
     * altcp_tls calls pcb->connected when the handshake ends (lwIP 2.1.3,
     * altcp_mbedtls_lower_recv_process): that is our "handshake done". */
    tls->connected = smtp_transport_connected;
    ssl = altcp_tls_context(tls);
    if (smtp_tls_session_setup(ssl, smtp_transport_tls_name(t)) != 0) {
        t->tls_info.error = SMTP_TLS_ERR_SETUP;
        snprintf(t->tls_info.detail, sizeof(t->tls_info.detail), "cannot set the TLS host name");
        smtp_transport_tls_fail(t, SMTP_TLS_ERR_SETUP, ERR_MEM);
        return;
    }
    /* The client speaks first: send the hello; altcp_tls runs the rest as
     * the server's records arrive. */
    ret = mbedtls_ssl_handshake(ssl);
    altcp_output(inner);
    if (ret != 0 && ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
        smtp_tls_handshake_failed(ssl, &t->tls_info);
        t->tls_info.lib_err = ret;
        smtp_transport_tls_fail(t, SMTP_TLS_ERR_HANDSHAKE, ERR_CONN);
    }
}

/* The handshake is over: record what was negotiated and refuse a session
 * whose certificate is not good for the gateway (aborting: not one more
 * byte goes out). 0 when SMTP may go on. */
static int smtp_transport_tls_verify(smtp_transport_t *t)
{
    int rc;

    t->tls_info.handshake_ms = hal_clock_now_ms(t->clock) - t->tls_start_ms;
    rc = smtp_tls_verify_peer(t->tls.config, altcp_tls_context(t->pcb), smtp_transport_tls_name(t),
                              &t->tls_info);
    if (rc != 0)
        smtp_transport_tls_fail(t, rc, ERR_OK);
    return rc;
}

/* Ends the connection for a TLS reason: abort (no close_notify, no SMTP),
 * keep the reason, and end a session that had started (STARTTLS). */
static void smtp_transport_tls_fail(smtp_transport_t *t, int error, err_t lwip_err)
{
    int started = t->state == SMTP_TRANSPORT_TLS_HANDSHAKE || t->state == SMTP_TRANSPORT_CONNECTED;

    smtp_transport_release(t, 1);
    smtp_transport_fail(t, error, lwip_err);
    if (started)
        smtp_session_closed(t->session, hal_clock_now_ms(t->clock));
}

static const char *smtp_transport_tls_name(const smtp_transport_t *t)
{
    return t->tls.verify_name && t->tls.verify_name[0] ? t->tls.verify_name : t->host;
}
