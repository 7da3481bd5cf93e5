/* The directory (LDAP) for the panel: autocomplete suggestions, the LDAP
 * Test of E-mail Setup, and Sign in. Each runs one connection (lwIP, the
 * ldap_transport) stepped from the super-loop, never blocking:
 *
 *   fw_ldap_*_start(&l, &cfg, &env, ...);      // 0, or a settings error
 *   loop: fw_net_poll(net); fw_ldap_step(&l); until fw_ldap_finished(&l)
 *   read l.result; fw_ldap_free(&l);
 *
 * Stages run in order: network (DHCP lease), resolve (DNS), connect (TCP;
 * LDAPS: and the verified handshake), StartTLS (the extended operation and
 * the verified handshake), bind (the service account; none when anonymous),
 * then the operation's own: search, or the sign-in's user lookup and the
 * user's bind. A failure names its stage, keeps the server's result code and
 * diagnostic text, and says what to do next (result.message, result.hint).
 * Passwords are never copied into the result or any message. */
#ifndef FW_LDAP_H
#define FW_LDAP_H

#include <stddef.h>
#include <stdint.h>

#include "ab_merge.h"
#include "fw_net.h"
#include "hal/hal_clock.h"
#include "hal/hal_rng.h"
#include "ldap_client.h"
#include "ldap_complete.h"
#include "ldap_transport.h"
#include "smtp_tls.h"

#define FW_LDAP_ERR_BAD_ARGS  (-0x0901)
#define FW_LDAP_ERR_CONFIG    (-0x0902) /* a setting is invalid: result.message says which */
#define FW_LDAP_ERR_NETWORK   (-0x0903) /* no address from DHCP in time */
#define FW_LDAP_ERR_NO_ENTRY  (-0x0904) /* the Test's search found no entry with a mail */
#define FW_LDAP_ERR_NO_USER   (-0x0905) /* sign-in: no (or more than one) entry for the user */

/* Bounds of the settings (fw_ldap_config_check). */
#define FW_LDAP_TIMEOUT_MIN_MS 500u
#define FW_LDAP_TIMEOUT_MAX_MS 300000u
#define FW_LDAP_MSG_MAX 320

typedef enum fw_ldap_stage {
    FW_LDAP_STAGE_CONFIG = 0,
    FW_LDAP_STAGE_NETWORK,
    FW_LDAP_STAGE_RESOLVE,
    FW_LDAP_STAGE_CONNECT,
    FW_LDAP_STAGE_TLS,
    FW_LDAP_STAGE_STARTTLS,
    FW_LDAP_STAGE_BIND,
    FW_LDAP_STAGE_SEARCH,
    FW_LDAP_STAGE_USER_BIND,
    FW_LDAP_STAGE_DONE
} fw_ldap_stage_t;

/* The administrator's LDAP settings. Strings are the caller's and must
 * outlive the operation. */
typedef struct fw_ldap_config {
    const char *server;           /* IPv4 address or host name */
    uint16_t port;                /* 0: 389, or 636 for LDAPS */
    ldap_tls_mode_t tls;
    const uint8_t *ca;            /* CA certificates (PEM with its NUL, or DER) */
    size_t ca_len;
    int insecure;                 /* accept any certificate (explicit, never a default) */
    int allow_cleartext;          /* allow password binds without TLS (explicit) */
    const char *bind_dn;          /* NULL or "": anonymous */
    const char *bind_password;    /* with bind_dn */
    const char *base_dn;
    const char *const *search_attrs; /* NULL: cn displayName mail sn givenName */
    size_t search_attr_count;
    const char *name_attr;        /* NULL: displayName */
    const char *mail_attr;        /* NULL: mail */
    const char *login_attr;       /* sign-in lookup: uid, sAMAccountName or mail; NULL: uid */
    uint32_t max_results;         /* 1..LDAP_COMPLETE_MAX; 0: LDAP_COMPLETE_MAX */
    uint32_t timeout_ms;          /* per stage and operation; 0: LDAP_TIMEOUT_MS */
    uint32_t debounce_ms;         /* autocomplete; 0: LDAP_COMPLETE_DEBOUNCE_MS */
} fw_ldap_config_t;

typedef struct fw_ldap_env {
    const struct hal_clock *clock;
    fw_net_t *net;
    const struct hal_rng *rng;    /* TLS randomness; NULL: Mbed TLS's entropy */
} fw_ldap_env_t;

typedef struct fw_ldap_result {
    int ok;                       /* 1: the operation succeeded */
    fw_ldap_stage_t stage;        /* where it failed (or DONE) */
    int error;                    /* 0 or FW_LDAP_ERR_*, LDAP_ERR_*, LDAP_TRANSPORT_ERR_*, SMTP_TLS_ERR_* */
    int result_code;              /* the server's resultCode, -1: none */
    char diag[LDAP_DIAG_MAX];     /* the server's diagnosticMessage */
    char message[FW_LDAP_MSG_MAX]; /* what happened, in words */
    char hint[FW_LDAP_MSG_MAX];   /* what to do next ("" on success) */
    char tls_version[16];         /* "" without TLS */
    char tls_ciphersuite[64];
    /* Test: the entry found. Sign-in: the user. */
    char dn[LDAP_DN_MAX];
    char name[AB_SUGGEST_NAME_MAX + 1];
    char mail[AB_ADDR_MAX + 1];
    /* Search: the suggestions (directory source). */
    ab_suggestion_t suggestions[LDAP_COMPLETE_MAX];
    size_t count;
    int partial;                  /* more matches exist than shown */
    uint32_t connect_ms;          /* start to the session ready (bound) */
    uint32_t total_ms;
} fw_ldap_result_t;

typedef struct fw_ldap {
    fw_ldap_result_t result;      /* public, read-only */

    /* private */
    fw_ldap_config_t cfg;
    fw_ldap_env_t env;
    int op;
    int phase;
    int waiting;                  /* an LDAP operation is in flight */
    int ev_error;                 /* its outcome */
    int ev_rc;
    unsigned ev_entries;
    uint32_t start_ms;
    uint32_t since_ms;
    const char *password;         /* sign-in: the caller's, read once */
    char user[LDAP_PREFIX_MAX + 1];
    char text[LDAP_PREFIX_MAX + 1];
    const char *attrs[2];         /* name, mail */
    const char *lookup_attr[1];   /* sign-in: the login attribute */
    ldap_filter_spec_t spec;
    ldap_search_t search;
    int tls_ready;
    smtp_tls_config_t tls;
    ldap_config_t ccfg;
    ldap_client_t client;
    uint8_t out[LDAP_OUTBUF_MIN];
    ldap_transport_t transport;
    ldap_complete_config_t acfg;
    ldap_complete_t ac;
} fw_ldap_t;

/* Checks every setting. 0, or FW_LDAP_ERR_CONFIG with the field and the
 * reason in why (always terminated; never contains the password). */
int fw_ldap_config_check(const fw_ldap_config_t *cfg, char *why, size_t cap);

/* Autocomplete session: connects and binds, then follows the field's text
 * (fw_ldap_input) until fw_ldap_free(). Suggestions: fw_ldap_suggestions(). */
int fw_ldap_complete_start(fw_ldap_t *l, const fw_ldap_config_t *cfg, const fw_ldap_env_t *env);

/* One search for a typed prefix; result.suggestions when finished. */
int fw_ldap_search_start(fw_ldap_t *l, const fw_ldap_config_t *cfg, const fw_ldap_env_t *env,
                         const char *prefix);

/* LDAP Test: connect, TLS, bind, search one entry with a mail under the
 * base DN; result.dn/name/mail, or the failed stage. */
int fw_ldap_test_start(fw_ldap_t *l, const fw_ldap_config_t *cfg, const fw_ldap_env_t *env);

/* Sign in: find user by cfg.login_attr (equality), bind as its DN with
 * password; result.mail and result.name on success. password is read while
 * the bind is queued; the caller wipes it. */
int fw_ldap_signin_start(fw_ldap_t *l, const fw_ldap_config_t *cfg, const fw_ldap_env_t *env,
                         const char *user, const char *password);

/* One super-loop slice. 1 when it did work, 0 when waiting. */
int fw_ldap_step(fw_ldap_t *l);

/* 1 when the operation is over (an autocomplete session: when it failed). */
int fw_ldap_finished(const fw_ldap_t *l);

/* 1 once an autocomplete session is bound and takes text. */
int fw_ldap_ready(const fw_ldap_t *l);

/* Autocomplete: the field's text changed (UTF-8). 0 or LDAP_ERR_*. */
int fw_ldap_input(fw_ldap_t *l, const char *text, size_t len);

/* Autocomplete: the directory's suggestions for the text, at most cap. */
size_t fw_ldap_suggestions(const fw_ldap_t *l, ab_suggestion_t *out, size_t cap);

/* Closes the connection (an UnbindRequest when it is up) and wipes
 * secrets and the cache. Safe on a zeroed context. */
void fw_ldap_free(fw_ldap_t *l);

const char *fw_ldap_stage_name(fw_ldap_stage_t stage);

#endif
