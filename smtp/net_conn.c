/* Network connection over lwIP altcp (contract in net_conn.h). TLS is
 * smtp_tls.c's, unchanged. */
#include "net_conn.h"

#include <stdio.h>
#include <string.h>

#include "lwip/altcp_tcp.h"
#include "lwip/altcp_tls.h"
#include "lwip/dns.h"
#include "lwip/pbuf.h"

static void net_conn_dns_found(const char *name, const ip_addr_t *addr, void *arg);
static int net_conn_connect(net_conn_t *c);
static err_t net_conn_connected(void *arg, struct altcp_pcb *pcb, err_t err);
static err_t net_conn_recv(void *arg, struct altcp_pcb *pcb, struct pbuf *p, err_t err);
static err_t net_conn_sent(void *arg, struct altcp_pcb *pcb, u16_t len);
static err_t net_conn_on_poll(void *arg, struct altcp_pcb *pcb);
static void net_conn_err(void *arg, err_t err);
static void net_conn_pump(net_conn_t *c);
static void net_conn_timeout(net_conn_t *c, uint32_t limit_ms);
static void net_conn_fail(net_conn_t *c, int error, err_t lwip_err);
static void net_conn_release(net_conn_t *c, int abort);
static void net_conn_callbacks(net_conn_t *c, struct altcp_pcb *pcb);
static void net_conn_upgrade(net_conn_t *c);
static int net_conn_tls_verify(net_conn_t *c, uint32_t now);
static void net_conn_tls_fail(net_conn_t *c, int error, err_t lwip_err);
static const char *net_conn_tls_name(const net_conn_t *c);
static uint32_t net_conn_now(const net_conn_t *c);

int net_conn_open(net_conn_t *c, const net_conn_params_t *p, const char *host, uint16_t port)
{
    size_t len;
    err_t err;

    if (!c || !p || !p->engine || !p->engine_ctx || !p->clock || !host)
        return NET_CONN_ERR_BAD_ARGS;
    len = strlen(host);
    if (len == 0 || len > NET_CONN_HOST_MAX || port == 0)
        return NET_CONN_ERR_BAD_ARGS;
    if (p->tls_mode != NET_CONN_TLS_NONE && (!p->tls_config || !p->tls_config->altcp))
        return NET_CONN_ERR_BAD_ARGS;
    memset(c, 0, sizeof(*c));
    c->p = *p;
    c->port = port;
    memcpy(c->host, host, len + 1);
    c->state = NET_CONN_RESOLVING;
    c->stage_ms = net_conn_now(c);

    if (ipaddr_aton(host, &c->addr))
        return net_conn_connect(c);
    err = dns_gethostbyname(host, &c->addr, net_conn_dns_found, c);
    if (err == ERR_OK)
        return net_conn_connect(c);
    if (err != ERR_INPROGRESS)
        net_conn_fail(c, NET_CONN_ERR_DNS, err);
    return 0;
}

void net_conn_poll(net_conn_t *c)
{
    uint32_t now;
    uint32_t limit;

    if (!c || c->state == NET_CONN_IDLE || c->state == NET_CONN_DONE)
        return;
    now = net_conn_now(c);
    if (c->state != NET_CONN_CONNECTED) {
        limit = c->tls_active ? c->p.tls_timeout_ms : c->p.connect_timeout_ms;
        if (limit && (uint32_t)(now - c->stage_ms) > limit)
            net_conn_timeout(c, limit);
        return;
    }
    c->p.engine->tick(c->p.engine_ctx, now);
    net_conn_pump(c);
}

int net_conn_done(const net_conn_t *c)
{
    return c->state == NET_CONN_DONE;
}

void net_conn_close(net_conn_t *c)
{
    if (!c || c->state == NET_CONN_DONE || c->state == NET_CONN_IDLE)
        return;
    if (c->started)
        c->p.engine->closed(c->p.engine_ctx, net_conn_now(c));
    net_conn_release(c, 1);
}

static void net_conn_dns_found(const char *name, const ip_addr_t *addr, void *arg)
{
    net_conn_t *c = arg;
    (void)name;
    if (c->state != NET_CONN_RESOLVING)
        return; /* closed or timed out meanwhile */
    if (!addr) {
        net_conn_fail(c, NET_CONN_ERR_DNS, ERR_VAL);
        return;
    }
    c->addr = *addr;
    net_conn_connect(c);
}

static int net_conn_connect(net_conn_t *c)
{
    err_t err;

    if (c->p.tls_mode == NET_CONN_TLS_IMPLICIT) {
        /* TLS from the first byte: "connected" comes once the handshake is over. */
        c->pcb = altcp_tls_new(c->p.tls_config->altcp, IPADDR_TYPE_V4);
        c->tls_active = c->pcb != NULL;
    } else {
        c->pcb = altcp_tcp_new_ip_type(IPADDR_TYPE_V4);
    }
    if (!c->pcb) {
        net_conn_fail(c, NET_CONN_ERR_MEM, ERR_MEM);
        return NET_CONN_ERR_MEM;
    }
    if (c->tls_active &&
        smtp_tls_session_setup(altcp_tls_context(c->pcb), net_conn_tls_name(c)) != 0) {
        net_conn_release(c, 1);
        net_conn_fail(c, SMTP_TLS_ERR_SETUP, ERR_MEM);
        return SMTP_TLS_ERR_SETUP;
    }
    net_conn_callbacks(c, c->pcb);
    c->state = NET_CONN_CONNECTING;
    c->stage_ms = net_conn_now(c);
    err = altcp_connect(c->pcb, &c->addr, c->port, net_conn_connected);
    if (err != ERR_OK) {
        net_conn_release(c, 1);
        net_conn_fail(c, NET_CONN_ERR_CONNECT, err);
        return NET_CONN_ERR_CONNECT;
    }
    return 0;
}

static err_t net_conn_connected(void *arg, struct altcp_pcb *pcb, err_t err)
{
    net_conn_t *c = arg;
    uint32_t now = net_conn_now(c);

    (void)pcb;
    if (err != ERR_OK) {
        net_conn_release(c, 1);
        net_conn_fail(c, NET_CONN_ERR_CONNECT, err);
        return ERR_ABRT;
    }
    /* With TLS this is the end of the handshake: nothing of the engine has
     * moved over it yet, and nothing will unless the certificate is good. */
    if (c->tls_active && net_conn_tls_verify(c, now) != 0)
        return ERR_ABRT;
    if (c->state == NET_CONN_TLS_HANDSHAKE) {
        c->state = NET_CONN_CONNECTED;
        c->p.engine->tls_ready(c->p.engine_ctx, now);
    } else {
        c->state = NET_CONN_CONNECTED;
        c->started = 1;
        c->p.engine->start(c->p.engine_ctx, now);
    }
    net_conn_pump(c);
    return c->aborted ? ERR_ABRT : ERR_OK;
}

static err_t net_conn_recv(void *arg, struct altcp_pcb *pcb, struct pbuf *p, err_t err)
{
    net_conn_t *c = arg;
    uint32_t now = net_conn_now(c);

    (void)err;
    if (!p) { /* the server closed its side */
        c->p.engine->closed(c->p.engine_ctx, now);
        net_conn_release(c, 0);
        return ERR_OK;
    }
    for (struct pbuf *q = p; q; q = q->next)
        c->p.engine->feed(c->p.engine_ctx, q->payload, q->len, now);
    altcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    net_conn_pump(c);
    return c->aborted ? ERR_ABRT : ERR_OK;
}

static err_t net_conn_sent(void *arg, struct altcp_pcb *pcb, u16_t len)
{
    net_conn_t *c = arg;
    (void)pcb;
    (void)len;
    net_conn_pump(c);
    return c->aborted ? ERR_ABRT : ERR_OK;
}

static err_t net_conn_on_poll(void *arg, struct altcp_pcb *pcb)
{
    net_conn_t *c = arg;
    (void)pcb;
    net_conn_poll(c);
    return c->aborted ? ERR_ABRT : ERR_OK;
}

static void net_conn_err(void *arg, err_t err)
{
    net_conn_t *c = arg;
    int handshake = c->state == NET_CONN_TLS_HANDSHAKE;

    /* altcp_tls still holds its context while it reports a failed handshake
     * (it frees the pcb after this callback): read why, then forget the pcb.
     * A plain TCP pcb is already freed here. */
    if (c->tls_active && (handshake || c->state == NET_CONN_CONNECTING)) {
        const mbedtls_ssl_context *ssl = altcp_tls_context(c->pcb);
        if (handshake || smtp_tls_handshake_begun(ssl)) {
            smtp_tls_handshake_failed(ssl, &c->tls_info);
            c->tls_info.handshake_ms = net_conn_now(c) - c->stage_ms;
            c->error = c->tls_info.error;
        }
    }
    c->pcb = NULL;
    if (c->state == NET_CONN_CONNECTING) {
        net_conn_fail(c, c->error ? c->error : NET_CONN_ERR_CONNECT, err);
        return;
    }
    c->lwip_err = err;
    if (c->started)
        c->p.engine->closed(c->p.engine_ctx, net_conn_now(c));
    c->state = NET_CONN_DONE;
}

/* Hands the engine's output to TCP as far as the send buffer allows; starts
 * the upgrade once the engine waits for it; closes once the engine is
 * finished. */
static void net_conn_pump(net_conn_t *c)
{
    const net_conn_engine_t *e = c->p.engine;
    const uint8_t *out;
    size_t len;
    int wrote = 0;
    int finished;

    if (c->state != NET_CONN_CONNECTED)
        return; /* no engine byte moves until the handshake is over and verified */
    while (c->pcb && (out = e->output(c->p.engine_ctx, &len)) && len > 0) {
        size_t room = altcp_sndbuf(c->pcb);
        size_t n = len < room ? len : room;
        if (n == 0)
            break;
        if (n > 0xffff)
            n = 0xffff;
        if (altcp_write(c->pcb, out, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
            break;
        e->sent(c->p.engine_ctx, n);
        wrote = 1;
        if (n < len)
            break;
    }
    if (c->pcb && wrote) {
        altcp_output(c->pcb);
    }
    if (c->pcb && c->p.tls_mode == NET_CONN_TLS_UPGRADE && !c->tls_active &&
        e->wants_tls(c->p.engine_ctx)) {
        net_conn_upgrade(c);
        return;
    }
    if (!c->pcb)
        return;
    finished = e->finished(c->p.engine_ctx);
    if (finished != NET_CONN_GO_ON)
        net_conn_release(c, finished == NET_CONN_ABORT);
}

/* A stage before the engine runs took too long. A late DNS answer finds
 * state DONE and is ignored. */
static void net_conn_timeout(net_conn_t *c, uint32_t limit_ms)
{
    if (!c->tls_active) {
        net_conn_release(c, 1);
        net_conn_fail(c, NET_CONN_ERR_TIMEOUT, ERR_TIMEOUT);
        return;
    }
    c->tls_info.error = SMTP_TLS_ERR_TIMEOUT;
    if (limit_ms % 1000 == 0)
        snprintf(c->tls_info.detail, sizeof(c->tls_info.detail), "no TLS session after %u s",
                 (unsigned)(limit_ms / 1000));
    else
        snprintf(c->tls_info.detail, sizeof(c->tls_info.detail), "no TLS session after %u ms",
                 (unsigned)limit_ms);
    net_conn_tls_fail(c, SMTP_TLS_ERR_TIMEOUT, ERR_TIMEOUT);
}

static void net_conn_fail(net_conn_t *c, int error, err_t lwip_err)
{
    c->error = error;
    c->lwip_err = lwip_err;
    c->state = NET_CONN_DONE;
}

/* Detaches our callbacks and closes (or aborts) the pcb. */
static void net_conn_release(net_conn_t *c, int abort)
{
    struct altcp_pcb *pcb = c->pcb;

    c->pcb = NULL;
    c->state = NET_CONN_DONE;
    if (!pcb)
        return;
    altcp_arg(pcb, NULL);
    altcp_recv(pcb, NULL);
    altcp_sent(pcb, NULL);
    altcp_err(pcb, NULL);
    altcp_poll(pcb, NULL, 0);
    if (abort || altcp_close(pcb) != ERR_OK) {
        altcp_abort(pcb);
        c->aborted = 1; /* a callback in progress must now return ERR_ABRT */
    }
}

static void net_conn_callbacks(net_conn_t *c, struct altcp_pcb *pcb)
{
    altcp_arg(pcb, c);
    altcp_recv(pcb, net_conn_recv);
    altcp_sent(pcb, net_conn_sent);
    altcp_err(pcb, net_conn_err);
    altcp_poll(pcb, net_conn_on_poll, c->p.poll_interval);
}

/* The server accepted the upgrade and the engine is quiet: put TLS over the
 * connected TCP pcb and send the client hello. */
static void net_conn_upgrade(net_conn_t *c)
{
    struct altcp_pcb *inner = c->pcb;
    struct altcp_pcb *tls;
    mbedtls_ssl_context *ssl;
    int ret;

    tls = altcp_tls_wrap(c->p.tls_config->altcp, inner);
    if (!tls) {
        c->tls_info.error = SMTP_TLS_ERR_SETUP;
        snprintf(c->tls_info.detail, sizeof(c->tls_info.detail), "out of memory for TLS");
        net_conn_tls_fail(c, SMTP_TLS_ERR_SETUP, ERR_MEM);
        return;
    }
    /* From here the TLS pcb owns the TCP pcb (closing it closes both). */
    c->pcb = tls;
    c->tls_active = 1;
    c->state = NET_CONN_TLS_HANDSHAKE;
    c->stage_ms = net_conn_now(c);
    net_conn_callbacks(c, tls);
    /* altcp_tls_wrap() offers no connect for an already connected pcb, but
     * altcp_tls calls pcb->connected when the handshake ends (lwIP 2.1.3,
     * altcp_mbedtls_lower_recv_process): that is our "handshake done". */
    tls->connected = net_conn_connected;
    ssl = altcp_tls_context(tls);
    if (smtp_tls_session_setup(ssl, net_conn_tls_name(c)) != 0) {
        c->tls_info.error = SMTP_TLS_ERR_SETUP;
        snprintf(c->tls_info.detail, sizeof(c->tls_info.detail), "cannot set the TLS host name");
        net_conn_tls_fail(c, SMTP_TLS_ERR_SETUP, ERR_MEM);
        return;
    }
    /* The client speaks first: send the hello; altcp_tls runs the rest as
     * the server's records arrive. */
    ret = mbedtls_ssl_handshake(ssl);
    altcp_output(inner);
    if (ret != 0 && ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
        smtp_tls_handshake_failed(ssl, &c->tls_info);
        c->tls_info.lib_err = ret;
        net_conn_tls_fail(c, SMTP_TLS_ERR_HANDSHAKE, ERR_CONN);
    }
}

/* The handshake is over: record what was negotiated and refuse a session
 * whose certificate is not good for the server (aborting: not one more
 * byte goes out). 0 when the engine may go on. */
static int net_conn_tls_verify(net_conn_t *c, uint32_t now)
{
    int rc;

    c->tls_info.handshake_ms = now - c->stage_ms;
    rc = smtp_tls_verify_peer(c->p.tls_config, altcp_tls_context(c->pcb), net_conn_tls_name(c),
                              &c->tls_info);
    if (rc != 0)
        net_conn_tls_fail(c, rc, ERR_OK);
    return rc;
}

/* Ends the connection for a TLS reason: abort (no close_notify, no engine
 * byte), keep the reason, and end an engine that had started (upgrade). */
static void net_conn_tls_fail(net_conn_t *c, int error, err_t lwip_err)
{
    net_conn_release(c, 1);
    net_conn_fail(c, error, lwip_err);
    if (c->started)
        c->p.engine->closed(c->p.engine_ctx, net_conn_now(c));
}

static const char *net_conn_tls_name(const net_conn_t *c)
{
    return c->p.verify_name && c->p.verify_name[0] ? c->p.verify_name : c->host;
}

static uint32_t net_conn_now(const net_conn_t *c)
{
    return hal_clock_now_ms(c->p.clock);
}
