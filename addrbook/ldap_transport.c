/* LDAP over net_conn (contract in ldap_transport.h): the client's calls
 * behind net_conn_engine_t, and the LDAP settings of the connection. */
#include "ldap_transport.h"

#include <stddef.h>

/* lwIP calls the poll callback every LDAP_TRANSPORT_POLL_INTERVAL * 500 ms. */
#define LDAP_TRANSPORT_POLL_INTERVAL 1

static void ldap_transport_start(void *engine, uint32_t now_ms);
static void ldap_transport_tls_ready(void *engine, uint32_t now_ms);
static void ldap_transport_feed(void *engine, const uint8_t *data, size_t len, uint32_t now_ms);
static void ldap_transport_tick(void *engine, uint32_t now_ms);
static const uint8_t *ldap_transport_output(void *engine, size_t *len);
static void ldap_transport_sent(void *engine, size_t n);
static int ldap_transport_wants_tls(void *engine);
static int ldap_transport_finished(void *engine);
static void ldap_transport_closed(void *engine, uint32_t now_ms);

static const net_conn_engine_t ldap_transport_engine = {
    ldap_transport_start,  ldap_transport_tls_ready, ldap_transport_feed,
    ldap_transport_tick,   ldap_transport_output,    ldap_transport_sent,
    ldap_transport_wants_tls, ldap_transport_finished, ldap_transport_closed,
};

int ldap_transport_open(ldap_transport_t *t, ldap_client_t *client, const struct hal_clock *clock,
                        const char *host, uint16_t port, const ldap_transport_tls_t *tls,
                        uint32_t timeout_ms)
{
    net_conn_params_t p = {
        .engine = &ldap_transport_engine,
        .engine_ctx = client,
        .clock = clock,
        .connect_timeout_ms = timeout_ms ? timeout_ms : LDAP_TRANSPORT_TIMEOUT_MS,
        .poll_interval = LDAP_TRANSPORT_POLL_INTERVAL,
    };
    int rc;

    p.tls_timeout_ms = p.connect_timeout_ms;
    if (tls && tls->mode != LDAP_TLS_NONE) {
        p.tls_mode = tls->mode == LDAP_TLS_LDAPS ? NET_CONN_TLS_IMPLICIT : NET_CONN_TLS_UPGRADE;
        p.tls_config = tls->config;
        p.verify_name = tls->verify_name;
    }
    rc = net_conn_open(t, &p, host, port);
    /* A connect that failed at once shows as state DONE with error, as a
     * later failure does. */
    return rc == LDAP_TRANSPORT_ERR_BAD_ARGS ? rc : 0;
}

void ldap_transport_poll(ldap_transport_t *t)
{
    net_conn_poll(t);
}

ldap_transport_state_t ldap_transport_state(const ldap_transport_t *t)
{
    return t->state;
}

int ldap_transport_done(const ldap_transport_t *t)
{
    return net_conn_done(t);
}

void ldap_transport_close(ldap_transport_t *t)
{
    net_conn_close(t);
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

static void ldap_transport_start(void *engine, uint32_t now_ms)
{
    ldap_client_start(engine, now_ms);
}

static void ldap_transport_tls_ready(void *engine, uint32_t now_ms)
{
    ldap_client_tls_ready(engine, now_ms);
}

static void ldap_transport_feed(void *engine, const uint8_t *data, size_t len, uint32_t now_ms)
{
    ldap_client_feed(engine, data, len, now_ms);
}

static void ldap_transport_tick(void *engine, uint32_t now_ms)
{
    ldap_client_tick(engine, now_ms);
}

static const uint8_t *ldap_transport_output(void *engine, size_t *len)
{
    return ldap_client_output(engine, len);
}

static void ldap_transport_sent(void *engine, size_t n)
{
    ldap_client_sent(engine, n);
}

static int ldap_transport_wants_tls(void *engine)
{
    return ldap_client_wants_tls(engine);
}

/* Close once the session ended and nothing is left to send (the
 * UnbindRequest is out); abort a failed client. */
static int ldap_transport_finished(void *engine)
{
    ldap_status_t st = ldap_client_status(engine);
    size_t len;

    if (st < LDAP_CLIENT_DONE)
        return NET_CONN_GO_ON;
    ldap_client_output(engine, &len);
    if (len != 0)
        return NET_CONN_GO_ON;
    return st == LDAP_CLIENT_FAILED ? NET_CONN_ABORT : NET_CONN_CLOSE;
}

static void ldap_transport_closed(void *engine, uint32_t now_ms)
{
    ldap_client_closed(engine, now_ms);
}
