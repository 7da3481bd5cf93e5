/* LDAP transport: binds the sans-IO client (ldap_client.h) to the network
 * connection (net_conn.h), as smtp_transport.h does for SMTP: DNS, plain
 * TCP, LDAPS (TLS from the first byte) or TCP then StartTLS, with
 * smtp_tls.h's certificate rules (one set for both protocols), window-aware
 * writes, stage timeouts. A failed handshake or verification aborts the
 * connection before any LDAP byte moves over it. Runs inside the super-loop:
 * nothing here blocks.
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
#include "net_conn.h"
#include "smtp_tls.h"

#define LDAP_TRANSPORT_HOST_MAX NET_CONN_HOST_MAX

/* Default bound of each stage before the client runs (DNS, TCP connect,
 * TLS handshake) when open() gets timeout_ms 0. */
#ifndef LDAP_TRANSPORT_TIMEOUT_MS
#define LDAP_TRANSPORT_TIMEOUT_MS 10000u
#endif

#define LDAP_TRANSPORT_ERR_BAD_ARGS NET_CONN_ERR_BAD_ARGS
#define LDAP_TRANSPORT_ERR_DNS      NET_CONN_ERR_DNS     /* the server name did not resolve */
#define LDAP_TRANSPORT_ERR_CONNECT  NET_CONN_ERR_CONNECT /* refused or unreachable */
#define LDAP_TRANSPORT_ERR_MEM      NET_CONN_ERR_MEM     /* lwIP out of pcbs or buffers */
#define LDAP_TRANSPORT_ERR_TIMEOUT  NET_CONN_ERR_TIMEOUT /* DNS or the TCP connect took too long */

typedef enum ldap_tls_mode {
    LDAP_TLS_NONE = 0,   /* plain TCP (passwords only with allow_cleartext) */
    LDAP_TLS_STARTTLS,   /* TCP, then the StartTLS extended operation */
    LDAP_TLS_LDAPS       /* TLS from the first byte (port 636) */
} ldap_tls_mode_t;

typedef net_conn_state_t ldap_transport_state_t;
#define LDAP_TRANSPORT_IDLE          NET_CONN_IDLE
#define LDAP_TRANSPORT_RESOLVING     NET_CONN_RESOLVING
#define LDAP_TRANSPORT_CONNECTING    NET_CONN_CONNECTING    /* TCP (LDAPS: and the handshake) */
#define LDAP_TRANSPORT_TLS_HANDSHAKE NET_CONN_TLS_HANDSHAKE /* StartTLS accepted: no LDAP byte moves */
#define LDAP_TRANSPORT_CONNECTED     NET_CONN_CONNECTED     /* the client runs */
#define LDAP_TRANSPORT_DONE          NET_CONN_DONE          /* closed; see error and the client's fail */

typedef struct ldap_transport_tls {
    ldap_tls_mode_t mode;
    const smtp_tls_config_t *config; /* the caller's; outlives the connection */
    /* The name the certificate must carry; NULL: the host given to open. */
    const char *verify_name;
} ldap_transport_tls_t;

/* A net_conn_t carrying an LDAP client: public fields (state, error,
 * lwip_err, tls_active, tls_info) as net_conn.h says. */
typedef net_conn_t ldap_transport_t;

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
