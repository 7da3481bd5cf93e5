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

#define SMTP_TRANSPORT_HOST_MAX 255

#define SMTP_TRANSPORT_ERR_BAD_ARGS (-0x0401)
#define SMTP_TRANSPORT_ERR_DNS      (-0x0402) /* the gateway name did not resolve */
#define SMTP_TRANSPORT_ERR_CONNECT  (-0x0403) /* refused, unreachable or timed out */
#define SMTP_TRANSPORT_ERR_MEM      (-0x0404) /* lwIP out of pcbs or buffers */

typedef enum smtp_transport_state {
    SMTP_TRANSPORT_IDLE = 0,
    SMTP_TRANSPORT_RESOLVING,
    SMTP_TRANSPORT_CONNECTING,
    SMTP_TRANSPORT_CONNECTED,
    SMTP_TRANSPORT_DONE      /* closed; see error and the session's results */
} smtp_transport_state_t;

typedef struct smtp_transport {
    smtp_session_t *session;
    const struct hal_clock *clock;
    struct altcp_pcb *pcb;
    smtp_transport_state_t state;
    int error;               /* 0 or SMTP_TRANSPORT_ERR_* (before the session started) */
    int lwip_err;            /* the stack's err_t behind error */
    int aborted;             /* the pcb was aborted (not closed) */
    char host[SMTP_TRANSPORT_HOST_MAX + 1];
    uint16_t port;
    ip_addr_t addr;          /* the gateway's address once resolved */
} smtp_transport_t;

/* Starts resolving host (a dotted IPv4 address or a name) and connecting to
 * port, then runs session (already initialised, not started) over it.
 * 0, SMTP_TRANSPORT_ERR_BAD_ARGS or SMTP_TRANSPORT_ERR_MEM. */
int smtp_transport_open(smtp_transport_t *t, smtp_session_t *session, const struct hal_clock *clock,
                        const char *host, uint16_t port);

/* One super-loop slice: timers of the engine, pending output. */
void smtp_transport_poll(smtp_transport_t *t);

/* 1 when the connection is over (the session ended, or it never started). */
int smtp_transport_done(const smtp_transport_t *t);

/* Aborts a connection in progress (the user pressed Stop). Always safe. */
void smtp_transport_close(smtp_transport_t *t);

/* Text for SMTP_TRANSPORT_ERR_*; never NULL. */
const char *smtp_transport_strerror(int err);

#endif
