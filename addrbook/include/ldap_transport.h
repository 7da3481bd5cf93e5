/* LDAP transport: binds the sans-IO client (ldap_client.h) to lwIP's altcp
 * API, as smtp_transport.h does for SMTP. Resolves the server (IP literal, or
 * a name through lwIP's DNS), connects over plain TCP, LDAPS (TLS from the
 * first byte) or TCP then StartTLS, moves bytes both ways as the TCP window
 * allows, and ticks the client's timers. Runs inside the super-loop: nothing
 * here blocks.
 *
 * TLS uses the SMTP side's binding (smtp_tls.h: Mbed TLS configuration,
 * TLS 1.2 minimum, certificate and host name or IP SAN verification) so both
 * protocols obey one set of certificate rules. A failed handshake or
 * verification aborts the connection before any LDAP byte moves over it.
 *
 *   ldap_transport_open(&t, &client, clock, host, port, &tls, timeout_ms);
 *   every loop turn:  ldap_transport_poll(&t);
 *   ldap_transport_state(&t) == LDAP_TRANSPORT_CONNECTED: queue operations on
 *   the client (the transport starts it); StartTLS: queue
 *   ldap_client_starttls(); once the server accepts it the transport does
 *   the handshake and calls ldap_client_tls_ready().
 *   ldap_transport_close(&t) (Stop), or after ldap_client_unbind() the
 *   transport closes once the UnbindRequest is out. */
#ifndef LDAP_TRANSPORT_H
#define LDAP_TRANSPORT_H

#include <stdint.h>

#include "hal/hal_clock.h"
#include "ldap_client.h"
#include "lwip/altcp.h"
#include "lwip/ip_addr.h"
#include "smtp_tls.h"

#define LDAP_TRANSPORT_HOST_MAX 255

/* Default bound of each stage before the client runs (DNS, TCP connect,
 * TLS handshake) when open() gets timeout_ms 0. */
#ifndef LDAP_TRANSPORT_TIMEOUT_MS
#define LDAP_TRANSPORT_TIMEOUT_MS 10000u
#endif

#define LDAP_TRANSPORT_ERR_BAD_ARGS (-0x0801)
#define LDAP_TRANSPORT_ERR_DNS      (-0x0802) /* the server name did not resolve */
#define LDAP_TRANSPORT_ERR_CONNECT  (-0x0803) /* refused or unreachable */
#define LDAP_TRANSPORT_ERR_MEM      (-0x0804) /* lwIP out of pcbs or buffers */
#define LDAP_TRANSPORT_ERR_TIMEOUT  (-0x0805) /* DNS or the TCP connect took too long */

typedef enum ldap_tls_mode {
    LDAP_TLS_NONE = 0,   /* plain TCP (passwords only with allow_cleartext) */
    LDAP_TLS_STARTTLS,   /* TCP, then the StartTLS extended operation */
    LDAP_TLS_LDAPS       /* TLS from the first byte (port 636) */
} ldap_tls_mode_t;

typedef enum ldap_transport_state {
    LDAP_TRANSPORT_IDLE = 0,
    LDAP_TRANSPORT_RESOLVING,
    LDAP_TRANSPORT_CONNECTING,    /* TCP (LDAPS: and the handshake) */
    LDAP_TRANSPORT_TLS_HANDSHAKE, /* StartTLS accepted: handshake running, no LDAP byte moves */
    LDAP_TRANSPORT_CONNECTED,     /* the client runs */
    LDAP_TRANSPORT_DONE           /* closed; see error and the client's fail */
} ldap_transport_state_t;

typedef struct ldap_transport_tls {
    ldap_tls_mode_t mode;
    const smtp_tls_config_t *config; /* the caller's; outlives the connection */
    /* The name the certificate must carry; NULL: the host given to open. */
    const char *verify_name;
} ldap_transport_tls_t;

typedef struct ldap_transport_stats {
    uint32_t connect_ms;      /* open() to TCP connected (LDAPS: handshake included) */
    uint32_t segments_out;    /* altcp_output() calls with LDAP bytes */
    uint64_t app_bytes_out;   /* LDAP bytes handed to the stack (before TLS) */
    uint64_t app_bytes_in;    /* LDAP bytes received (after TLS) */
} ldap_transport_stats_t;

typedef struct ldap_transport {
    ldap_transport_stats_t stats; /* public, read-only */
    ldap_client_t *client;
    const struct hal_clock *clock;
    struct altcp_pcb *pcb;
    ldap_transport_state_t state;
    int error;               /* 0, LDAP_TRANSPORT_ERR_* or SMTP_TLS_ERR_* (see tls_info) */
    int lwip_err;            /* the stack's err_t behind error */
    int aborted;             /* the pcb was aborted (a callback must return ERR_ABRT) */
    int started;             /* ldap_client_start() was called */
    char host[LDAP_TRANSPORT_HOST_MAX + 1];
    uint16_t port;
    ip_addr_t addr;          /* the server's address once resolved */
    ldap_transport_tls_t tls;
    int tls_active;          /* pcb is a TLS pcb */
    uint32_t timeout_ms;
    uint32_t open_ms;
    uint32_t stage_ms;       /* when the current stage (DNS, connect, handshake) began */
    smtp_tls_info_t tls_info; /* version, cipher suite, verification, failure */
} ldap_transport_t;

/* Starts resolving host and connecting to port; the client (initialised,
 * not started) runs over the connection once it is up (LDAPS: verified).
 * timeout_ms bounds DNS, connect and handshake (0: LDAP_TRANSPORT_TIMEOUT_MS).
 * 0 (failures later show as state DONE with error), or
 * LDAP_TRANSPORT_ERR_BAD_ARGS. */
int ldap_transport_open(ldap_transport_t *t, ldap_client_t *client, const struct hal_clock *clock,
                        const char *host, uint16_t port, const ldap_transport_tls_t *tls,
                        uint32_t timeout_ms);

/* One super-loop slice: stage timeouts, the client's tick, pending output. */
void ldap_transport_poll(ldap_transport_t *t);

ldap_transport_state_t ldap_transport_state(const ldap_transport_t *t);

/* 1 once the connection is over (or never came up). */
int ldap_transport_done(const ldap_transport_t *t);

/* Aborts the connection (Stop, or the caller is finished). Always safe. */
void ldap_transport_close(ldap_transport_t *t);

/* Text for LDAP_TRANSPORT_ERR_* and SMTP_TLS_ERR_*; never NULL. */
const char *ldap_transport_strerror(int err);

#endif
