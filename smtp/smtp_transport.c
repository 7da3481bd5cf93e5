/* SMTP over net_conn (contract in smtp_transport.h): the session's calls
 * behind net_conn_engine_t, and the SMTP settings of the connection. */
#include "smtp_transport.h"

#include <stddef.h>

/* lwIP calls the poll callback every SMTP_TRANSPORT_POLL_INTERVAL * 500 ms. */
#define SMTP_TRANSPORT_POLL_INTERVAL 2

static void smtp_transport_start(void *engine, uint32_t now_ms);
static void smtp_transport_tls_ready(void *engine, uint32_t now_ms);
static void smtp_transport_feed(void *engine, const uint8_t *data, size_t len, uint32_t now_ms);
static void smtp_transport_tick(void *engine, uint32_t now_ms);
static const uint8_t *smtp_transport_output(void *engine, size_t *len);
static void smtp_transport_sent(void *engine, size_t n);
static int smtp_transport_wants_tls(void *engine);
static int smtp_transport_finished(void *engine);
static void smtp_transport_closed(void *engine, uint32_t now_ms);

static const net_conn_engine_t smtp_transport_engine = {
    smtp_transport_start,  smtp_transport_tls_ready, smtp_transport_feed,
    smtp_transport_tick,   smtp_transport_output,    smtp_transport_sent,
    smtp_transport_wants_tls, smtp_transport_finished, smtp_transport_closed,
};

int smtp_transport_open(smtp_transport_t *t, smtp_session_t *session, const struct hal_clock *clock,
                        const char *host, uint16_t port)
{
    return smtp_transport_open_tls(t, session, clock, host, port, NULL);
}

int smtp_transport_open_tls(smtp_transport_t *t, smtp_session_t *session,
                            const struct hal_clock *clock, const char *host, uint16_t port,
                            const smtp_transport_tls_t *tls)
{
    net_conn_params_t p = {
        .engine = &smtp_transport_engine,
        .engine_ctx = session,
        .clock = clock,
        .tls_timeout_ms = SMTP_TRANSPORT_TLS_TIMEOUT_MS,
        .poll_interval = SMTP_TRANSPORT_POLL_INTERVAL,
    };

    if (tls && tls->mode != SMTP_TLS_NONE) {
        p.tls_mode = tls->mode == SMTP_TLS_IMPLICIT ? NET_CONN_TLS_IMPLICIT : NET_CONN_TLS_UPGRADE;
        p.tls_config = tls->config;
        p.verify_name = tls->verify_name;
    }
    return net_conn_open(t, &p, host, port);
}

void smtp_transport_poll(smtp_transport_t *t)
{
    net_conn_poll(t);
}

int smtp_transport_done(const smtp_transport_t *t)
{
    return net_conn_done(t);
}

void smtp_transport_close(smtp_transport_t *t)
{
    net_conn_close(t);
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

static void smtp_transport_start(void *engine, uint32_t now_ms)
{
    smtp_session_start(engine, now_ms);
}

static void smtp_transport_tls_ready(void *engine, uint32_t now_ms)
{
    smtp_session_tls_ready(engine, now_ms);
}

static void smtp_transport_feed(void *engine, const uint8_t *data, size_t len, uint32_t now_ms)
{
    smtp_session_feed(engine, data, len, now_ms);
}

static void smtp_transport_tick(void *engine, uint32_t now_ms)
{
    smtp_session_tick(engine, now_ms);
}

static const uint8_t *smtp_transport_output(void *engine, size_t *len)
{
    return smtp_session_output(engine, len);
}

static void smtp_transport_sent(void *engine, size_t n)
{
    smtp_session_sent(engine, n);
}

static int smtp_transport_wants_tls(void *engine)
{
    return smtp_session_wants_tls(engine);
}

/* The session ended (QUIT answered, or failed): close gracefully. */
static int smtp_transport_finished(void *engine)
{
    return smtp_session_done(engine) ? NET_CONN_CLOSE : NET_CONN_GO_ON;
}

static void smtp_transport_closed(void *engine, uint32_t now_ms)
{
    smtp_session_closed(engine, now_ms);
}
