/* SMTP transport: binds the sans-IO engine (smtp_session.h) to the network
 * connection (net_conn.h: lwIP altcp, DNS, TLS from the start or by STARTTLS
 * with smtp_tls.h's certificate rules, window-aware writes, timeouts).
 * An SMTP transport is a net_conn_t carrying an SMTP session: its public
 * fields (state, error, lwip_err, tls_active, tls_info) are
 * net_conn.h's. Runs inside the super-loop: nothing here blocks. */
#ifndef SMTP_TRANSPORT_H
#define SMTP_TRANSPORT_H

#include <stdint.h>

#include "hal/hal_clock.h"
#include "net_conn.h"
#include "smtp_session.h"
#include "smtp_tls.h"

#define SMTP_TRANSPORT_HOST_MAX NET_CONN_HOST_MAX

/* A TLS handshake (implicit: from the connect) must end within this. The
 * DNS lookup and the TCP connect are bounded by the stack alone. */
#ifndef SMTP_TRANSPORT_TLS_TIMEOUT_MS
#define SMTP_TRANSPORT_TLS_TIMEOUT_MS 30000u
#endif

#define SMTP_TRANSPORT_ERR_BAD_ARGS NET_CONN_ERR_BAD_ARGS
#define SMTP_TRANSPORT_ERR_DNS      NET_CONN_ERR_DNS     /* the gateway name did not resolve */
#define SMTP_TRANSPORT_ERR_CONNECT  NET_CONN_ERR_CONNECT /* refused, unreachable or timed out */
#define SMTP_TRANSPORT_ERR_MEM      NET_CONN_ERR_MEM     /* lwIP out of pcbs or buffers */

typedef net_conn_state_t smtp_transport_state_t;
#define SMTP_TRANSPORT_IDLE          NET_CONN_IDLE
#define SMTP_TRANSPORT_RESOLVING     NET_CONN_RESOLVING
#define SMTP_TRANSPORT_CONNECTING    NET_CONN_CONNECTING
#define SMTP_TRANSPORT_CONNECTED     NET_CONN_CONNECTED
#define SMTP_TRANSPORT_DONE          NET_CONN_DONE /* closed; see error and the session's results */
#define SMTP_TRANSPORT_TLS_HANDSHAKE NET_CONN_TLS_HANDSHAKE /* STARTTLS accepted: no SMTP byte moves */

/* TLS for one connection. mode is the session's (cfg.tls): SMTP_TLS_IMPLICIT
 * wraps TCP in TLS from the start and starts the session once the handshake
 * and the verification succeeded; SMTP_TLS_STARTTLS wraps the connected TCP
 * pcb when smtp_session_wants_tls() turns 1, then calls
 * smtp_session_tls_ready(). A failed handshake or verification aborts the
 * connection (nothing more is sent), sets error to an SMTP_TLS_ERR_* code and
 * tls_info.detail, and ends the session with smtp_session_closed(). */
typedef struct smtp_transport_tls {
    smtp_tls_mode_t mode;
    const smtp_tls_config_t *config; /* the caller's; outlives the connection */
    /* The name the certificate must carry; NULL: the host given to open
     * (a name, or an IP literal checked against the iPAddress SANs). */
    const char *verify_name;
} smtp_transport_tls_t;

typedef net_conn_t smtp_transport_t;

/* Starts resolving host (a dotted IPv4 address or a name) and connecting to
 * port, then runs session (already initialised, not started) over it.
 * 0, SMTP_TRANSPORT_ERR_BAD_ARGS or SMTP_TRANSPORT_ERR_MEM. */
int smtp_transport_open(smtp_transport_t *t, smtp_session_t *session, const struct hal_clock *clock,
                        const char *host, uint16_t port);

/* smtp_transport_open() with TLS (tls NULL or mode SMTP_TLS_NONE: plain).
 * The same results, and SMTP_TRANSPORT_ERR_BAD_ARGS when a TLS mode comes
 * without a config. */
int smtp_transport_open_tls(smtp_transport_t *t, smtp_session_t *session,
                            const struct hal_clock *clock, const char *host, uint16_t port,
                            const smtp_transport_tls_t *tls);

/* One super-loop slice: timers of the engine, pending output. */
void smtp_transport_poll(smtp_transport_t *t);

/* 1 when the connection is over (the session ended, or it never started). */
int smtp_transport_done(const smtp_transport_t *t);

/* Aborts a connection in progress (the user pressed Stop). Always safe. */
void smtp_transport_close(smtp_transport_t *t);

/* Text for SMTP_TRANSPORT_ERR_* and SMTP_TLS_ERR_*; never NULL. */
const char *smtp_transport_strerror(int err);

#endif
