/* LDAP transport over lwIP altcp (contract in ldap_transport.h). The shape
 * follows smtp_transport.c; TLS is smtp_tls.c's, unchanged. */
#include "ldap_transport.h"

#include <stdio.h>
#include <string.h>

#include "lwip/altcp_tcp.h"
#include "lwip/altcp_tls.h"
#include "lwip/dns.h"
#include "lwip/pbuf.h"

/* lwIP calls the poll callback every LDAP_TRANSPORT_POLL_INTERVAL * 500 ms. */
#define LDAP_TRANSPORT_POLL_INTERVAL 1

static void ldap_transport_dns_found(const char *name, const ip_addr_t *addr, void *arg);
static int ldap_transport_connect(ldap_transport_t *t);
static err_t ldap_transport_connected(void *arg, struct altcp_pcb *pcb, err_t err);
static err_t ldap_transport_recv(void *arg, struct altcp_pcb *pcb, struct pbuf *p, err_t err);
static err_t ldap_transport_sent(void *arg, struct altcp_pcb *pcb, u16_t len);
static err_t ldap_transport_on_poll(void *arg, struct altcp_pcb *pcb);
static void ldap_transport_err(void *arg, err_t err);
static void ldap_transport_pump(ldap_transport_t *t);
static void ldap_transport_fail(ldap_transport_t *t, int error, err_t lwip_err);
static void ldap_transport_release(ldap_transport_t *t, int abort);
static void ldap_transport_callbacks(ldap_transport_t *t, struct altcp_pcb *pcb);
static void ldap_transport_starttls(ldap_transport_t *t);
static void ldap_transport_tls_fail(ldap_transport_t *t, int error, err_t lwip_err);
static const char *ldap_transport_tls_name(const ldap_transport_t *t);
static uint32_t ldap_transport_now(const ldap_transport_t *t);

int ldap_transport_open(ldap_transport_t *t, ldap_client_t *client, const struct hal_clock *clock,
                        const char *host, uint16_t port, const ldap_transport_tls_t *tls,
                        uint32_t timeout_ms)
{
    size_t len;
    err_t err;

    if (!t || !client || !clock || !host)
        return LDAP_TRANSPORT_ERR_BAD_ARGS;
    len = strlen(host);
    if (len == 0 || len > LDAP_TRANSPORT_HOST_MAX || port == 0)
        return LDAP_TRANSPORT_ERR_BAD_ARGS;
    if (tls && tls->mode != LDAP_TLS_NONE && (!tls->config || !tls->config->altcp))
        return LDAP_TRANSPORT_ERR_BAD_ARGS;
    memset(t, 0, sizeof(*t));
    if (tls)
        t->tls = *tls;
    t->client = client;
    t->clock = clock;
    t->port = port;
    t->timeout_ms = timeout_ms ? timeout_ms : LDAP_TRANSPORT_TIMEOUT_MS;
    memcpy(t->host, host, len + 1);
    t->state = LDAP_TRANSPORT_RESOLVING;
    t->open_ms = t->stage_ms = ldap_transport_now(t);

    if (ipaddr_aton(host, &t->addr))
        return ldap_transport_connect(t) == LDAP_TRANSPORT_ERR_BAD_ARGS ? LDAP_TRANSPORT_ERR_BAD_ARGS
                                                                        : 0;
    err = dns_gethostbyname(host, &t->addr, ldap_transport_dns_found, t);
    if (err == ERR_OK)
        ldap_transport_connect(t);
    else if (err != ERR_INPROGRESS)
        ldap_transport_fail(t, LDAP_TRANSPORT_ERR_DNS, err);
    return 0;
}

void ldap_transport_poll(ldap_transport_t *t)
{
    uint32_t now;

    if (!t || t->state == LDAP_TRANSPORT_IDLE || t->state == LDAP_TRANSPORT_DONE)
        return;
    now = ldap_transport_now(t);
    if (t->state != LDAP_TRANSPORT_CONNECTED && (uint32_t)(now - t->stage_ms) > t->timeout_ms) {
        if (t->tls_active) {
            t->tls_info.error = SMTP_TLS_ERR_TIMEOUT;
            snprintf(t->tls_info.detail, sizeof(t->tls_info.detail), "no TLS session after %u ms",
                     (unsigned)t->timeout_ms);
            ldap_transport_tls_fail(t, SMTP_TLS_ERR_TIMEOUT, ERR_TIMEOUT);
        } else {
            /* DNS or TCP connect: a late DNS answer finds state DONE and is ignored. */
            ldap_transport_release(t, 1);
            ldap_transport_fail(t, LDAP_TRANSPORT_ERR_TIMEOUT, ERR_TIMEOUT);
        }
        return;
    }
    if (t->state != LDAP_TRANSPORT_CONNECTED)
        return;
    ldap_client_tick(t->client, now);
    ldap_transport_pump(t);
}

ldap_transport_state_t ldap_transport_state(const ldap_transport_t *t)
{
    return t->state;
}

int ldap_transport_done(const ldap_transport_t *t)
{
    return t->state == LDAP_TRANSPORT_DONE;
}

void ldap_transport_close(ldap_transport_t *t)
{
    if (!t || t->state == LDAP_TRANSPORT_DONE || t->state == LDAP_TRANSPORT_IDLE)
        return;
    if (t->started)
        ldap_client_closed(t->client, ldap_transport_now(t));
    ldap_transport_release(t, 1);
}

const char *ldap_transport_strerror(int err)
{
    switch (err) {
    case 0: return "no error";
    case LDAP_TRANSPORT_ERR_BAD_ARGS: return "bad directory server host or port";
    case LDAP_TRANSPORT_ERR_DNS: return "the directory server's name does not resolve";
    case LDAP_TRANSPORT_ERR_CONNECT: return "cannot connect to the directory server";
    case LDAP_TRANSPORT_ERR_MEM: return "out of network memory";
    case LDAP_TRANSPORT_ERR_TIMEOUT: return "no connection to the directory server in time";
    default: return smtp_tls_strerror(err);
    }
}

static void ldap_transport_dns_found(const char *name, const ip_addr_t *addr, void *arg)
{
    ldap_transport_t *t = arg;
    (void)name;
    if (t->state != LDAP_TRANSPORT_RESOLVING)
        return;
    if (!addr) {
        ldap_transport_fail(t, LDAP_TRANSPORT_ERR_DNS, ERR_VAL);
        return;
    }
    t->addr = *addr;
    ldap_transport_connect(t);
}

static int ldap_transport_connect(ldap_transport_t *t)
{
    err_t err;

    if (t->tls.mode == LDAP_TLS_LDAPS) {
        /* TLS from the first byte: "connected" comes once the handshake is over. */
        t->pcb = altcp_tls_new(t->tls.config->altcp, IPADDR_TYPE_V4);
        t->tls_active = t->pcb != NULL;
    } else {
        t->pcb = altcp_tcp_new_ip_type(IPADDR_TYPE_V4);
    }
    if (!t->pcb) {
        ldap_transport_fail(t, LDAP_TRANSPORT_ERR_MEM, ERR_MEM);
        return LDAP_TRANSPORT_ERR_MEM;
    }
    if (t->tls_active &&
        smtp_tls_session_setup(altcp_tls_context(t->pcb), ldap_transport_tls_name(t)) != 0) {
        ldap_transport_release(t, 1);
        ldap_transport_fail(t, SMTP_TLS_ERR_SETUP, ERR_MEM);
        return SMTP_TLS_ERR_SETUP;
    }
    ldap_transport_callbacks(t, t->pcb);
    t->state = LDAP_TRANSPORT_CONNECTING;
    t->stage_ms = ldap_transport_now(t);
    err = altcp_connect(t->pcb, &t->addr, t->port, ldap_transport_connected);
    if (err != ERR_OK) {
        ldap_transport_release(t, 1);
        ldap_transport_fail(t, LDAP_TRANSPORT_ERR_CONNECT, err);
        return LDAP_TRANSPORT_ERR_CONNECT;
    }
    return 0;
}

static err_t ldap_transport_connected(void *arg, struct altcp_pcb *pcb, err_t err)
{
    ldap_transport_t *t = arg;
    uint32_t now = ldap_transport_now(t);
    int rc;

    (void)pcb;
    if (err != ERR_OK) {
        ldap_transport_release(t, 1);
        ldap_transport_fail(t, LDAP_TRANSPORT_ERR_CONNECT, err);
        return ERR_ABRT;
    }
    /* With TLS this is the end of the handshake: nothing of LDAP has moved
     * over it yet, and nothing will unless the certificate is good. */
    if (t->tls_active) {
        t->tls_info.handshake_ms = now - t->stage_ms;
        rc = smtp_tls_verify_peer(t->tls.config, altcp_tls_context(t->pcb),
                                  ldap_transport_tls_name(t), &t->tls_info);
        if (rc != 0) {
            ldap_transport_tls_fail(t, rc, ERR_OK);
            return ERR_ABRT;
        }
    }
    if (t->state == LDAP_TRANSPORT_TLS_HANDSHAKE) {
        t->state = LDAP_TRANSPORT_CONNECTED;
        ldap_client_tls_ready(t->client, now);
    } else {
        t->state = LDAP_TRANSPORT_CONNECTED;
        t->stats.connect_ms = now - t->open_ms;
        t->started = 1;
        ldap_client_start(t->client, now);
    }
    ldap_transport_pump(t);
    return t->aborted ? ERR_ABRT : ERR_OK;
}

static err_t ldap_transport_recv(void *arg, struct altcp_pcb *pcb, struct pbuf *p, err_t err)
{
    ldap_transport_t *t = arg;
    uint32_t now = ldap_transport_now(t);

    (void)err;
    if (!p) { /* the server closed its side */
        ldap_client_closed(t->client, now);
        ldap_transport_release(t, 0);
        return ERR_OK;
    }
    t->stats.app_bytes_in += p->tot_len;
    for (struct pbuf *q = p; q; q = q->next)
        ldap_client_feed(t->client, q->payload, q->len, now);
    altcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    ldap_transport_pump(t);
    return t->aborted ? ERR_ABRT : ERR_OK;
}

static err_t ldap_transport_sent(void *arg, struct altcp_pcb *pcb, u16_t len)
{
    ldap_transport_t *t = arg;
    (void)pcb;
    (void)len;
    ldap_transport_pump(t);
    return t->aborted ? ERR_ABRT : ERR_OK;
}

static err_t ldap_transport_on_poll(void *arg, struct altcp_pcb *pcb)
{
    ldap_transport_t *t = arg;
    (void)pcb;
    ldap_transport_poll(t);
    return t->aborted ? ERR_ABRT : ERR_OK;
}

static void ldap_transport_err(void *arg, err_t err)
{
    ldap_transport_t *t = arg;
    int handshake = t->state == LDAP_TRANSPORT_TLS_HANDSHAKE;

    /* altcp_tls still holds its context while it reports a failed handshake
     * (it frees the pcb after this callback): read why, then forget the pcb.
     * A plain TCP pcb is already freed here. */
    if (t->tls_active && (handshake || t->state == LDAP_TRANSPORT_CONNECTING)) {
        const mbedtls_ssl_context *ssl = altcp_tls_context(t->pcb);
        if (handshake || smtp_tls_handshake_begun(ssl)) {
            smtp_tls_handshake_failed(ssl, &t->tls_info);
            t->tls_info.handshake_ms = ldap_transport_now(t) - t->stage_ms;
            t->error = t->tls_info.error;
        }
    }
    t->pcb = NULL;
    if (t->state == LDAP_TRANSPORT_CONNECTING) {
        ldap_transport_fail(t, t->error ? t->error : LDAP_TRANSPORT_ERR_CONNECT, err);
        return;
    }
    t->lwip_err = err;
    if (t->started)
        ldap_client_closed(t->client, ldap_transport_now(t));
    t->state = LDAP_TRANSPORT_DONE;
}

/* Hands the client's output to TCP as far as the send buffer allows; starts
 * the StartTLS handshake once the client waits for it; closes once the
 * session ended (unbind sent, or failed). */
static void ldap_transport_pump(ldap_transport_t *t)
{
    const uint8_t *out;
    size_t len;
    int wrote = 0;

    if (t->state != LDAP_TRANSPORT_CONNECTED)
        return; /* no LDAP byte moves until the handshake is over and verified */
    while (t->pcb && (out = ldap_client_output(t->client, &len)) && len > 0) {
        size_t room = altcp_sndbuf(t->pcb);
        size_t n = len < room ? len : room;
        if (n == 0)
            break;
        if (n > 0xffff)
            n = 0xffff;
        if (altcp_write(t->pcb, out, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
            break;
        ldap_client_sent(t->client, n);
        t->stats.app_bytes_out += n;
        wrote = 1;
        if (n < len)
            break;
    }
    if (t->pcb && wrote) {
        altcp_output(t->pcb);
        t->stats.segments_out++;
    }
    if (t->pcb && t->tls.mode == LDAP_TLS_STARTTLS && !t->tls_active &&
        ldap_client_wants_tls(t->client)) {
        ldap_transport_starttls(t);
        return;
    }
    if (!t->pcb || ldap_client_status(t->client) < LDAP_CLIENT_DONE)
        return;
    ldap_client_output(t->client, &len);
    if (len == 0) /* the UnbindRequest is out, or the client failed */
        ldap_transport_release(t, ldap_client_status(t->client) == LDAP_CLIENT_FAILED);
}

static void ldap_transport_fail(ldap_transport_t *t, int error, err_t lwip_err)
{
    t->error = error;
    t->lwip_err = lwip_err;
    t->state = LDAP_TRANSPORT_DONE;
}

/* Detaches our callbacks and closes (or aborts) the pcb. */
static void ldap_transport_release(ldap_transport_t *t, int abort)
{
    struct altcp_pcb *pcb = t->pcb;

    t->pcb = NULL;
    t->state = LDAP_TRANSPORT_DONE;
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

static void ldap_transport_callbacks(ldap_transport_t *t, struct altcp_pcb *pcb)
{
    altcp_arg(pcb, t);
    altcp_recv(pcb, ldap_transport_recv);
    altcp_sent(pcb, ldap_transport_sent);
    altcp_err(pcb, ldap_transport_err);
    altcp_poll(pcb, ldap_transport_on_poll, LDAP_TRANSPORT_POLL_INTERVAL);
}

/* The server accepted StartTLS and the client is quiet: put TLS over the
 * connected TCP pcb and send the client hello. */
static void ldap_transport_starttls(ldap_transport_t *t)
{
    struct altcp_pcb *inner = t->pcb;
    struct altcp_pcb *tls;
    mbedtls_ssl_context *ssl;
    int ret;

    tls = altcp_tls_wrap(t->tls.config->altcp, inner);
    if (!tls) {
        t->tls_info.error = SMTP_TLS_ERR_SETUP;
        snprintf(t->tls_info.detail, sizeof(t->tls_info.detail), "out of memory for TLS");
        ldap_transport_tls_fail(t, SMTP_TLS_ERR_SETUP, ERR_MEM);
        return;
    }
    /* From here the TLS pcb owns the TCP pcb (closing it closes both). */
    t->pcb = tls;
    t->tls_active = 1;
    t->state = LDAP_TRANSPORT_TLS_HANDSHAKE;
    t->stage_ms = ldap_transport_now(t);
    ldap_transport_callbacks(t, tls);
    /* altcp_tls calls pcb->connected when the handshake ends (lwIP 2.1.3,
     * altcp_mbedtls_lower_recv_process): that is our "handshake done". */
    tls->connected = ldap_transport_connected;
    ssl = altcp_tls_context(tls);
    if (smtp_tls_session_setup(ssl, ldap_transport_tls_name(t)) != 0) {
        t->tls_info.error = SMTP_TLS_ERR_SETUP;
        snprintf(t->tls_info.detail, sizeof(t->tls_info.detail), "cannot set the TLS host name");
        ldap_transport_tls_fail(t, SMTP_TLS_ERR_SETUP, ERR_MEM);
        return;
    }
    ret = mbedtls_ssl_handshake(ssl);
    altcp_output(inner);
    if (ret != 0 && ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
        smtp_tls_handshake_failed(ssl, &t->tls_info);
        t->tls_info.lib_err = ret;
        ldap_transport_tls_fail(t, SMTP_TLS_ERR_HANDSHAKE, ERR_CONN);
    }
}

/* Ends the connection for a TLS reason: abort (no close_notify, no LDAP),
 * keep the reason, and end a client that had started (StartTLS). */
static void ldap_transport_tls_fail(ldap_transport_t *t, int error, err_t lwip_err)
{
    ldap_transport_release(t, 1);
    ldap_transport_fail(t, error, lwip_err);
    if (t->started)
        ldap_client_closed(t->client, ldap_transport_now(t));
}

static const char *ldap_transport_tls_name(const ldap_transport_t *t)
{
    return t->tls.verify_name && t->tls.verify_name[0] ? t->tls.verify_name : t->host;
}

static uint32_t ldap_transport_now(const ldap_transport_t *t)
{
    return hal_clock_now_ms(t->clock);
}
