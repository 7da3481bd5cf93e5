/* SMTP transport: binds the sans-IO engine (smtp_session.h) to lwIP's altcp
 * API. Resolves the gateway (IP literal, or a name through lwIP's DNS),
 * connects, moves bytes both ways as the TCP window allows, and ticks the
 * engine's timers. Runs inside the super-loop: nothing here blocks. */
#ifndef SMTP_TRANSPORT_H
#define SMTP_TRANSPORT_H

#include <stdint.h>

#include "hal/hal_clock.h"
#include "lwip/altcp.h"
#include "lwip/ip_addr.h"
#include "smtp_session.h"
#include "smtp_tls.h"

#define SMTP_TRANSPORT_HOST_MAX 255

/* A TLS handshake (implicit: from the connect) must end within this. */
#ifndef SMTP_TRANSPORT_TLS_TIMEOUT_MS
#define SMTP_TRANSPORT_TLS_TIMEOUT_MS 30000u
#endif

#define SMTP_TRANSPORT_ERR_BAD_ARGS (-0x0401)
#define SMTP_TRANSPORT_ERR_DNS      (-0x0402) /* the gateway name did not resolve */
#define SMTP_TRANSPORT_ERR_CONNECT  (-0x0403) /* refused, unreachable or timed out */
#define SMTP_TRANSPORT_ERR_MEM      (-0x0404) /* lwIP out of pcbs or buffers */

typedef enum smtp_transport_state {
    SMTP_TRANSPORT_IDLE = 0,
    SMTP_TRANSPORT_RESOLVING,
    SMTP_TRANSPORT_CONNECTING,
    SMTP_TRANSPORT_CONNECTED,
    SMTP_TRANSPORT_DONE,     /* closed; see error and the session's results */
    SMTP_TRANSPORT_TLS_HANDSHAKE /* STARTTLS accepted: handshake running, no SMTP byte moves */
} smtp_transport_state_t;

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

typedef struct smtp_transport {
    smtp_session_t *session;
    const struct hal_clock *clock;
    struct altcp_pcb *pcb;
    smtp_transport_state_t state;
    int error;               /* 0, SMTP_TRANSPORT_ERR_* (before the session started) or
                                SMTP_TLS_ERR_* (TLS failed, see tls_info) */
    int lwip_err;            /* the stack's err_t behind error */
    int aborted;             /* the pcb was aborted (not closed) */
    char host[SMTP_TRANSPORT_HOST_MAX + 1];
    uint16_t port;
    ip_addr_t addr;          /* the gateway's address once resolved */
    smtp_transport_tls_t tls;
    int tls_active;          /* pcb is a TLS pcb (altcp_tls_context() is valid on it) */
    uint32_t tls_start_ms;   /* when the handshake (implicit: the connect) began */
    smtp_tls_info_t tls_info; /* version, cipher suite, verification, failure */
} smtp_transport_t;

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
