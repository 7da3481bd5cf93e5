/* Network connection: binds one sans-IO protocol engine (the SMTP session,
 * the LDAP client) to lwIP's altcp API. Resolves the server (IP literal, or a
 * name through lwIP's DNS), connects over plain TCP or TLS from the first
 * byte, or upgrades a connected TCP pcb to TLS in place (STARTTLS,
 * StartTLS), moves bytes both ways as the TCP window allows, ticks the
 * engine's timers and bounds the stages before it runs. Runs inside the
 * super-loop: nothing here blocks.
 *
 * TLS is smtp_tls.h's binding (TLS 1.2 minimum, certificate and host name or
 * IP SAN verification), so every protocol obeys one set of certificate
 * rules. A failed handshake or verification aborts the connection before any
 * byte of the engine moves over it.
 *
 * The engine is reached through a const table of functions (net_conn_engine_t)
 * and its context; smtp_transport.c and ldap_transport.c are such bindings.
 *
 *   net_conn_open(&c, &params, host, port);   the engine: initialised, not started
 *   every loop turn:  net_conn_poll(&c);
 *   net_conn_close(&c) (Stop), or the engine says it is finished. */
#ifndef NET_CONN_H
#define NET_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "hal/hal_clock.h"
#include "lwip/altcp.h"
#include "lwip/ip_addr.h"
#include "smtp_tls.h"

#define NET_CONN_HOST_MAX 255

#define NET_CONN_ERR_BAD_ARGS (-0x0C01)
#define NET_CONN_ERR_DNS      (-0x0C02) /* the server name did not resolve */
#define NET_CONN_ERR_CONNECT  (-0x0C03) /* refused, unreachable or timed out by the stack */
#define NET_CONN_ERR_MEM      (-0x0C04) /* lwIP out of pcbs or buffers */
#define NET_CONN_ERR_TIMEOUT  (-0x0C05) /* DNS or the TCP connect took longer than allowed */

typedef enum net_conn_state {
    NET_CONN_IDLE = 0,
    NET_CONN_RESOLVING,
    NET_CONN_CONNECTING,    /* TCP (TLS from the start: and the handshake) */
    NET_CONN_TLS_HANDSHAKE, /* upgrade accepted: handshake running, no engine byte moves */
    NET_CONN_CONNECTED,     /* the engine runs */
    NET_CONN_DONE           /* closed; see error and the engine's own result */
} net_conn_state_t;

typedef enum net_conn_tls_mode {
    NET_CONN_TLS_NONE = 0, /* plain TCP */
    NET_CONN_TLS_IMPLICIT, /* TLS from the first byte; the engine starts once verified */
    NET_CONN_TLS_UPGRADE   /* TCP; TLS in place when the engine wants it (STARTTLS) */
} net_conn_tls_mode_t;

/* What net_conn_engine_t.finished answers. */
#define NET_CONN_GO_ON 0 /* keep the connection */
#define NET_CONN_CLOSE 1 /* close it (FIN) */
#define NET_CONN_ABORT 2 /* abort it (RST) */

/* The engine a connection carries; every function gets the engine's context.
 * output/sent are the engine's pending-output pair; wants_tls turns 1 when an
 * upgrade was accepted and the engine is quiet (NET_CONN_TLS_UPGRADE only);
 * finished is asked after each write; closed reports the end of a connection
 * on which start had been called. */
typedef struct net_conn_engine {
    void (*start)(void *engine, uint32_t now_ms);
    void (*tls_ready)(void *engine, uint32_t now_ms);
    void (*feed)(void *engine, const uint8_t *data, size_t len, uint32_t now_ms);
    void (*tick)(void *engine, uint32_t now_ms);
    const uint8_t *(*output)(void *engine, size_t *len);
    void (*sent)(void *engine, size_t n);
    int (*wants_tls)(void *engine);
    int (*finished)(void *engine); /* NET_CONN_GO_ON, _CLOSE or _ABORT */
    void (*closed)(void *engine, uint32_t now_ms);
} net_conn_engine_t;

typedef struct net_conn_params {
    const net_conn_engine_t *engine;
    void *engine_ctx;
    const struct hal_clock *clock;
    net_conn_tls_mode_t tls_mode;
    const smtp_tls_config_t *tls_config; /* the caller's; outlives the connection */
    /* The name the certificate must carry; NULL or "": the host given to open
     * (a name, or an IP literal checked against the iPAddress SANs). */
    const char *verify_name;
    uint32_t connect_timeout_ms; /* bounds DNS and the TCP connect; 0: the stack's own */
    uint32_t tls_timeout_ms;     /* bounds a handshake (TLS from the start: with the connect) */
    uint8_t poll_interval;       /* lwIP's poll callback every poll_interval * 500 ms */
} net_conn_params_t;

typedef struct net_conn {
    net_conn_state_t state;
    int error;     /* 0, NET_CONN_ERR_* or SMTP_TLS_ERR_* (TLS failed, see tls_info) */
    int lwip_err;  /* the stack's err_t behind error */
    int tls_active; /* pcb is a TLS pcb (altcp_tls_context() is valid on it) */
    smtp_tls_info_t tls_info; /* version, cipher suite, verification, failure */
    /* Private. */
    net_conn_params_t p;
    struct altcp_pcb *pcb;
    int aborted; /* the pcb was aborted: a callback in progress must return ERR_ABRT */
    int started; /* engine->start was called */
    char host[NET_CONN_HOST_MAX + 1];
    uint16_t port;
    ip_addr_t addr;    /* the server's address once resolved */
    uint32_t stage_ms; /* when the current stage (DNS, connect, handshake) began */
} net_conn_t;

/* Starts resolving host (a dotted IPv4 address or a name) and connecting to
 * port; p's engine (initialised, not started) runs once the connection is up
 * (TLS: verified). p is copied; what it points to must outlive the connection.
 * 0 (later failures show as state NET_CONN_DONE with error);
 * NET_CONN_ERR_BAD_ARGS (nothing started: NULLs, host empty or longer than
 * NET_CONN_HOST_MAX, port 0, a TLS mode without a TLS config); or, when the
 * connect began at once and failed, NET_CONN_ERR_MEM, NET_CONN_ERR_CONNECT or
 * SMTP_TLS_ERR_SETUP (also in error: state is NET_CONN_DONE). */
int net_conn_open(net_conn_t *c, const net_conn_params_t *p, const char *host, uint16_t port);

/* One super-loop slice: stage timeouts, the engine's tick, pending output. */
void net_conn_poll(net_conn_t *c);

/* 1 once the connection is over (or never came up). */
int net_conn_done(const net_conn_t *c);

/* Aborts a connection in progress (Stop); a started engine is told it is
 * closed. Always safe. */
void net_conn_close(net_conn_t *c);

#endif
