/* The directory for the panel (contract in fw_ldap.h). */
#include "fw_ldap.h"

#include <stdio.h>
#include <string.h>

#include "fw_job.h"
#include "fw_settings.h"
#include "ldap_filter.h"
#include "mbedtls/platform_util.h"

enum { FW_LDAP_OP_COMPLETE = 1, FW_LDAP_OP_SEARCH, FW_LDAP_OP_TEST, FW_LDAP_OP_SIGNIN };

enum {
    FW_LDAP_P_NET = 1,
    FW_LDAP_P_CONNECT,
    FW_LDAP_P_STARTTLS,
    FW_LDAP_P_BIND,
    FW_LDAP_P_SEARCH,
    FW_LDAP_P_USER_BIND,
    FW_LDAP_P_READY,
    FW_LDAP_P_DONE
};

static int fw_ldap_start(fw_ldap_t *l, const fw_ldap_config_t *cfg, const fw_ldap_env_t *env, int op);
static void fw_ldap_event(void *arg, const ldap_event_t *ev);
static void fw_ldap_open(fw_ldap_t *l);
static void fw_ldap_bind(fw_ldap_t *l);
static void fw_ldap_bound(fw_ldap_t *l);
static void fw_ldap_search(fw_ldap_t *l, const char *attr, const char *value, uint32_t size);
static void fw_ldap_searched(fw_ldap_t *l);
static void fw_ldap_ready_step(fw_ldap_t *l);
static void fw_ldap_fail(fw_ldap_t *l, fw_ldap_stage_t stage, int error);
static void fw_ldap_fail_transport(fw_ldap_t *l);
static void fw_ldap_explain(fw_ldap_t *l);
static void fw_ldap_finish(fw_ldap_t *l, int ok);
static int fw_ldap_text_ok(const char *s, size_t max);
static uint16_t fw_ldap_port(const fw_ldap_config_t *cfg);
static uint32_t fw_ldap_now(const fw_ldap_t *l);

int fw_ldap_config_check(const fw_ldap_config_t *cfg, char *why, size_t cap)
{
    const char *msg = NULL;
    char buf[FW_LDAP_MSG_MAX];
    const char *name = cfg && cfg->name_attr ? cfg->name_attr : "displayName";
    const char *mail = cfg && cfg->mail_attr ? cfg->mail_attr : "mail";
    const char *login = cfg && cfg->login_attr ? cfg->login_attr : "uid";
    int has_dn, has_pw;

    buf[0] = '\0';
    if (!cfg) {
        msg = "no LDAP settings";
        goto exit;
    }
    has_dn = cfg->bind_dn && cfg->bind_dn[0];
    has_pw = cfg->bind_password && cfg->bind_password[0];
    if (!cfg->server || !cfg->server[0])
        msg = "Server: enter the directory server's IP address or host name";
    else if (!fw_settings_host_ok(cfg->server, strlen(cfg->server)))
        msg = "Server: not an IPv4 address or a host name (letters, digits, '-' and '.', "
              "at most 253 characters)";
    else if (cfg->tls != LDAP_TLS_NONE && cfg->tls != LDAP_TLS_STARTTLS &&
             cfg->tls != LDAP_TLS_LDAPS)
        msg = "TLS: choose none, StartTLS or LDAPS";
    else if (cfg->tls != LDAP_TLS_NONE && !cfg->insecure && (!cfg->ca || cfg->ca_len == 0))
        msg = "CA certificate: install the CA that signed the directory's certificate (or "
              "turn certificate checks off, which is insecure)";
    else if (cfg->bind_dn && !fw_ldap_text_ok(cfg->bind_dn, LDAP_VALUE_MAX - 1))
        msg = "Bind DN: too long, or contains a control character";
    else if (has_dn && !strchr(cfg->bind_dn, '='))
        msg = "Bind DN: not a DN (e.g. cn=reader,ou=services,dc=example,dc=com)";
    else if (cfg->bind_password && !fw_ldap_text_ok(cfg->bind_password, LDAP_VALUE_MAX - 1))
        msg = "Bind password: too long, or contains a control character";
    else if (has_dn && !has_pw)
        msg = "Bind password: enter the password of the bind DN (an empty password would be "
              "an unauthenticated bind)";
    else if (!has_dn && has_pw)
        msg = "Bind DN: enter the DN the password belongs to (or clear both for anonymous)";
    else if (has_pw && cfg->tls == LDAP_TLS_NONE && !cfg->allow_cleartext)
        msg = "TLS: the bind password would cross the network in cleartext: choose StartTLS or "
              "LDAPS";
    else if (!cfg->base_dn || !cfg->base_dn[0] || !strchr(cfg->base_dn, '=') ||
             !fw_ldap_text_ok(cfg->base_dn, LDAP_DN_MAX - 1))
        msg = "Base DN: enter where people are searched (e.g. ou=people,dc=example,dc=com)";
    else if (cfg->search_attrs &&
             (cfg->search_attr_count == 0 || cfg->search_attr_count > LDAP_FILTER_ATTRS_MAX))
        snprintf(buf, sizeof(buf), "Search attributes: give 1 to %d", LDAP_FILTER_ATTRS_MAX);
    else if (ldap_attr_check(name) != 0)
        msg = "Name attribute: not an attribute name";
    else if (ldap_attr_check(mail) != 0)
        msg = "Mail attribute: not an attribute name";
    else if (ldap_attr_check(login) != 0)
        msg = "Sign-in attribute: not an attribute name (uid, sAMAccountName or mail)";
    else if (cfg->max_results > LDAP_COMPLETE_MAX)
        snprintf(buf, sizeof(buf), "Maximum results: give 1 to %d", LDAP_COMPLETE_MAX);
    else if (cfg->timeout_ms && (cfg->timeout_ms < FW_LDAP_TIMEOUT_MIN_MS ||
                                 cfg->timeout_ms > FW_LDAP_TIMEOUT_MAX_MS))
        snprintf(buf, sizeof(buf), "Timeout: give %u to %u seconds", FW_LDAP_TIMEOUT_MIN_MS / 1000,
                 FW_LDAP_TIMEOUT_MAX_MS / 1000);
    else if (cfg->search_attrs) {
        for (size_t i = 0; i < cfg->search_attr_count && !msg; i++)
            if (!cfg->search_attrs[i] || ldap_attr_check(cfg->search_attrs[i]) != 0)
                msg = "Search attributes: one is not an attribute name";
    }
exit:
    if (msg)
        snprintf(buf, sizeof(buf), "%s", msg);
    if (why && cap)
        snprintf(why, cap, "%s", buf);
    return buf[0] ? FW_LDAP_ERR_CONFIG : 0;
}

int fw_ldap_complete_start(fw_ldap_t *l, const fw_ldap_config_t *cfg, const fw_ldap_env_t *env)
{
    return fw_ldap_start(l, cfg, env, FW_LDAP_OP_COMPLETE);
}

int fw_ldap_search_start(fw_ldap_t *l, const fw_ldap_config_t *cfg, const fw_ldap_env_t *env,
                         const char *prefix)
{
    size_t n = prefix ? strlen(prefix) : 0;

    if (!l)
        return FW_LDAP_ERR_BAD_ARGS;
    if (n == 0 || n > LDAP_PREFIX_MAX || ldap_utf8_check(prefix, n) != 0) {
        memset(l, 0, sizeof(*l));
        snprintf(l->result.message, sizeof(l->result.message),
                 "the text to search for must be 1 to %d bytes of UTF-8", LDAP_PREFIX_MAX);
        l->result.error = FW_LDAP_ERR_BAD_ARGS;
        l->phase = FW_LDAP_P_DONE;
        return FW_LDAP_ERR_BAD_ARGS;
    }
    memcpy(l->text, prefix, n + 1); /* fw_ldap_start keeps text */
    return fw_ldap_start(l, cfg, env, FW_LDAP_OP_SEARCH);
}

int fw_ldap_test_start(fw_ldap_t *l, const fw_ldap_config_t *cfg, const fw_ldap_env_t *env)
{
    return fw_ldap_start(l, cfg, env, FW_LDAP_OP_TEST);
}

int fw_ldap_signin_start(fw_ldap_t *l, const fw_ldap_config_t *cfg, const fw_ldap_env_t *env,
                         const char *user, const char *password)
{
    size_t n = user ? strlen(user) : 0;
    const char *msg = NULL;

    if (!l)
        return FW_LDAP_ERR_BAD_ARGS;
    if (n == 0 || n > LDAP_PREFIX_MAX || !fw_ldap_text_ok(user, LDAP_PREFIX_MAX) ||
        ldap_utf8_check(user, n) != 0)
        msg = "User name: enter your user name (at most 64 characters, no control characters)";
    else if (!password || !password[0] || !fw_ldap_text_ok(password, LDAP_VALUE_MAX - 1))
        msg = "Password: enter your password";
    if (msg) {
        memset(l, 0, sizeof(*l));
        snprintf(l->result.message, sizeof(l->result.message), "%s", msg);
        l->result.error = FW_LDAP_ERR_BAD_ARGS;
        l->phase = FW_LDAP_P_DONE;
        return FW_LDAP_ERR_BAD_ARGS;
    }
    memcpy(l->user, user, n + 1);
    l->password = password;
    return fw_ldap_start(l, cfg, env, FW_LDAP_OP_SIGNIN);
}

int fw_ldap_step(fw_ldap_t *l)
{
    int phase = l->phase;

    if (phase == FW_LDAP_P_DONE || phase == 0)
        return 0;
    if (phase == FW_LDAP_P_NET) {
        if (fw_net_ready(l->env.net)) {
            fw_ldap_open(l);
            return 1;
        }
        if ((uint32_t)(fw_ldap_now(l) - l->since_ms) > FW_JOB_NET_TIMEOUT_MS)
            fw_ldap_fail(l, FW_LDAP_STAGE_NETWORK, FW_LDAP_ERR_NETWORK);
        return 0;
    }
    ldap_transport_poll(&l->transport);
    switch (l->phase) {
    case FW_LDAP_P_CONNECT:
        if (ldap_transport_state(&l->transport) == LDAP_TRANSPORT_CONNECTED) {
            if (l->cfg.tls == LDAP_TLS_STARTTLS) {
                int rc = ldap_client_starttls(&l->client);
                l->phase = FW_LDAP_P_STARTTLS;
                l->waiting = rc > 0;
                if (rc < 0)
                    fw_ldap_fail(l, FW_LDAP_STAGE_STARTTLS, rc);
            } else {
                fw_ldap_bind(l);
            }
        } else if (ldap_transport_done(&l->transport)) {
            fw_ldap_fail_transport(l);
        }
        break;
    case FW_LDAP_P_STARTTLS:
        if (l->waiting) {
            if (ldap_transport_done(&l->transport))
                fw_ldap_fail_transport(l);
            break;
        }
        if (l->ev_error) {
            fw_ldap_fail(l, FW_LDAP_STAGE_STARTTLS, l->ev_error);
        } else if (ldap_transport_done(&l->transport)) {
            fw_ldap_fail_transport(l); /* the handshake or the certificate failed */
        } else if (ldap_transport_state(&l->transport) == LDAP_TRANSPORT_CONNECTED &&
                   !ldap_client_wants_tls(&l->client)) {
            fw_ldap_bind(l);
        }
        break;
    case FW_LDAP_P_BIND:
    case FW_LDAP_P_SEARCH:
    case FW_LDAP_P_USER_BIND:
        if (!l->waiting) {
            if (l->phase == FW_LDAP_P_BIND) {
                if (l->ev_error)
                    fw_ldap_fail(l, FW_LDAP_STAGE_BIND, l->ev_error);
                else
                    fw_ldap_bound(l);
            } else if (l->phase == FW_LDAP_P_SEARCH) {
                fw_ldap_searched(l);
            } else if (l->ev_error) {
                fw_ldap_fail(l, FW_LDAP_STAGE_USER_BIND, l->ev_error);
            } else {
                fw_ldap_finish(l, 1);
            }
        } else if (ldap_transport_done(&l->transport)) {
            fw_ldap_fail_transport(l);
        }
        break;
    case FW_LDAP_P_READY:
        fw_ldap_ready_step(l);
        break;
    default:
        break;
    }
    return l->phase != phase;
}

int fw_ldap_finished(const fw_ldap_t *l)
{
    return l->phase == FW_LDAP_P_DONE;
}

int fw_ldap_ready(const fw_ldap_t *l)
{
    return l->op == FW_LDAP_OP_COMPLETE && l->phase == FW_LDAP_P_READY;
}

int fw_ldap_input(fw_ldap_t *l, const char *text, size_t len)
{
    if (!fw_ldap_ready(l))
        return LDAP_ERR_STATE;
    return ldap_complete_input(&l->ac, text, len, fw_ldap_now(l));
}

size_t fw_ldap_suggestions(const fw_ldap_t *l, ab_suggestion_t *out, size_t cap)
{
    size_t n = 0, count = 0;
    const ldap_suggestion_t *r;

    if (l->phase != FW_LDAP_P_READY && l->phase != FW_LDAP_P_DONE)
        return 0;
    r = ldap_complete_results(&l->ac, &n);
    for (size_t i = 0; i < n && count < cap; i++)
        if (ab_suggestion_set(&out[count], r[i].name, strlen(r[i].name), r[i].mail,
                              strlen(r[i].mail), AB_SOURCE_DIRECTORY) == 0)
            count++;
    return count;
}

void fw_ldap_free(fw_ldap_t *l)
{
    if (!l)
        return;
    if (l->phase != 0 && l->phase != FW_LDAP_P_NET) {
        if (ldap_transport_state(&l->transport) == LDAP_TRANSPORT_CONNECTED &&
            ldap_client_status(&l->client) == LDAP_CLIENT_RUNNING) {
            ldap_client_unbind(&l->client);
            ldap_transport_poll(&l->transport); /* the UnbindRequest out, then a FIN */
        }
        ldap_transport_close(&l->transport);
    }
    ldap_complete_free(&l->ac);
    ldap_client_free(&l->client);
    smtp_tls_config_free(&l->tls);
    l->password = NULL;
    mbedtls_platform_zeroize(l->user, sizeof(l->user));
    mbedtls_platform_zeroize(l->text, sizeof(l->text));
    l->phase = FW_LDAP_P_DONE;
}

const char *fw_ldap_stage_name(fw_ldap_stage_t stage)
{
    switch (stage) {
    case FW_LDAP_STAGE_CONFIG: return "settings";
    case FW_LDAP_STAGE_NETWORK: return "network";
    case FW_LDAP_STAGE_RESOLVE: return "resolve";
    case FW_LDAP_STAGE_CONNECT: return "connect";
    case FW_LDAP_STAGE_TLS: return "tls";
    case FW_LDAP_STAGE_STARTTLS: return "starttls";
    case FW_LDAP_STAGE_BIND: return "bind";
    case FW_LDAP_STAGE_SEARCH: return "search";
    case FW_LDAP_STAGE_USER_BIND: return "user bind";
    case FW_LDAP_STAGE_DONE: return "done";
    }
    return "unknown";
}

static int fw_ldap_start(fw_ldap_t *l, const fw_ldap_config_t *cfg, const fw_ldap_env_t *env, int op)
{
    char text[sizeof(l->text)], user[sizeof(l->user)];
    const char *password = l ? l->password : NULL;
    smtp_tls_options_t to = {0};
    int rc;

    if (!l || !cfg || !env || !env->clock || !env->net)
        return FW_LDAP_ERR_BAD_ARGS;
    memcpy(text, l->text, sizeof(text));
    memcpy(user, l->user, sizeof(user));
    memset(l, 0, sizeof(*l));
    memcpy(l->text, text, sizeof(text));
    memcpy(l->user, user, sizeof(user));
    mbedtls_platform_zeroize(user, sizeof(user));
    l->password = password;
    l->cfg = *cfg;
    l->env = *env;
    l->op = op;
    l->result.result_code = -1;
    l->start_ms = l->since_ms = fw_ldap_now(l);
    l->phase = FW_LDAP_P_NET;
    rc = fw_ldap_config_check(cfg, l->result.message, sizeof(l->result.message));
    if (rc != 0) {
        l->result.error = rc;
        l->phase = FW_LDAP_P_DONE;
        snprintf(l->result.hint, sizeof(l->result.hint), "correct the LDAP settings");
        return rc;
    }
    l->attrs[0] = cfg->name_attr ? cfg->name_attr : "displayName";
    l->attrs[1] = cfg->mail_attr ? cfg->mail_attr : "mail";
    if (cfg->tls != LDAP_TLS_NONE) {
        to.ca = cfg->ca;
        to.ca_len = cfg->ca_len;
        to.insecure_skip_verify = cfg->insecure;
        to.rng = env->rng;
        rc = smtp_tls_config_init(&l->tls, &to);
        if (rc != 0) {
            l->result.error = rc;
            l->result.stage = FW_LDAP_STAGE_CONFIG;
            snprintf(l->result.message, sizeof(l->result.message), "CA certificate: %s",
                     l->tls.detail);
            snprintf(l->result.hint, sizeof(l->result.hint),
                     "install the CA certificate (PEM or DER) that signed the directory's "
                     "certificate");
            l->phase = FW_LDAP_P_DONE;
            return FW_LDAP_ERR_CONFIG;
        }
    }
    l->ccfg.event = fw_ldap_event;
    l->ccfg.event_arg = l;
    l->ccfg.timeout_ms = cfg->timeout_ms;
    l->ccfg.secure = cfg->tls == LDAP_TLS_LDAPS;
    l->ccfg.allow_cleartext = cfg->allow_cleartext;
    l->ccfg.ppolicy = 1;
    rc = ldap_client_init(&l->client, &l->ccfg, l->out, sizeof(l->out));
    if (rc == 0) {
        l->acfg.base_dn = cfg->base_dn;
        l->acfg.filter_attrs = cfg->search_attrs;
        l->acfg.filter_attr_count = cfg->search_attr_count;
        l->acfg.name_attr = l->attrs[0];
        l->acfg.mail_attr = l->attrs[1];
        l->acfg.max_results = cfg->max_results;
        /* A one-shot search goes out as soon as the session is ready. */
        l->acfg.debounce_ms = op == FW_LDAP_OP_SEARCH ? 1 : cfg->debounce_ms;
        rc = ldap_complete_init(&l->ac, &l->acfg, &l->client);
    }
    if (rc != 0) {
        fw_ldap_fail(l, FW_LDAP_STAGE_CONFIG, rc);
        return FW_LDAP_ERR_CONFIG;
    }
    return 0;
}

static void fw_ldap_event(void *arg, const ldap_event_t *ev)
{
    fw_ldap_t *l = arg;

    if (l->phase == FW_LDAP_P_READY)
        ldap_complete_event(&l->ac, ev);
    switch (ev->type) {
    case LDAP_EV_ENTRY:
        if (l->waiting && l->ev_entries++ == 0) {
            snprintf(l->result.dn, sizeof(l->result.dn), "%s", ev->dn);
            snprintf(l->result.name, sizeof(l->result.name), "%s", ev->values[0] ? ev->values[0] : "");
            snprintf(l->result.mail, sizeof(l->result.mail), "%s", ev->values[1] ? ev->values[1] : "");
        }
        return;
    case LDAP_EV_REFERRAL:
        return;
    case LDAP_EV_SEARCH_DONE:
        l->result.partial = ev->partial;
        break;
    default:
        break;
    }
    if (!l->waiting)
        return;
    l->waiting = 0;
    l->ev_error = ev->error;
    l->ev_rc = ev->result_code;
    snprintf(l->result.diag, sizeof(l->result.diag), "%s", ev->diag ? ev->diag : "");
}

static void fw_ldap_open(fw_ldap_t *l)
{
    ldap_transport_tls_t tls = {.mode = l->cfg.tls, .config = &l->tls};
    int rc;

    l->phase = FW_LDAP_P_CONNECT;
    rc = ldap_transport_open(&l->transport, &l->client, l->env.clock, l->cfg.server,
                             fw_ldap_port(&l->cfg), &tls,
                             l->cfg.timeout_ms ? l->cfg.timeout_ms : LDAP_TIMEOUT_MS);
    if (rc != 0)
        fw_ldap_fail(l, FW_LDAP_STAGE_CONNECT, rc);
}

/* The service account's bind, or straight on when anonymous (no BindRequest:
 * RFC 4511 4.2 lets a session start unauthenticated). */
static void fw_ldap_bind(fw_ldap_t *l)
{
    int rc;

    if (l->transport.tls_active) {
        snprintf(l->result.tls_version, sizeof(l->result.tls_version), "%s",
                 l->transport.tls_info.version);
        snprintf(l->result.tls_ciphersuite, sizeof(l->result.tls_ciphersuite), "%s",
                 l->transport.tls_info.ciphersuite);
    }
    if (!l->cfg.bind_dn || !l->cfg.bind_dn[0]) {
        fw_ldap_bound(l);
        return;
    }
    l->phase = FW_LDAP_P_BIND;
    rc = ldap_client_bind(&l->client, l->cfg.bind_dn, l->cfg.bind_password);
    l->waiting = rc > 0;
    l->ev_error = 0;
    if (rc < 0)
        fw_ldap_fail(l, FW_LDAP_STAGE_BIND, rc);
}

static void fw_ldap_bound(fw_ldap_t *l)
{
    l->result.connect_ms = fw_ldap_now(l) - l->start_ms;
    switch (l->op) {
    case FW_LDAP_OP_TEST:
        fw_ldap_search(l, NULL, NULL, 1);
        break;
    case FW_LDAP_OP_SIGNIN:
        fw_ldap_search(l, l->cfg.login_attr ? l->cfg.login_attr : "uid", l->user, 2);
        break;
    case FW_LDAP_OP_SEARCH:
        l->phase = FW_LDAP_P_READY;
        ldap_complete_input(&l->ac, l->text, strlen(l->text), fw_ldap_now(l));
        break;
    default:
        l->phase = FW_LDAP_P_READY;
        break;
    }
}

/* attr NULL: the Test's (mail=*); else (attr=value). The client keeps
 * pointers to spec and its attribute list until the search ends. */
static void fw_ldap_search(fw_ldap_t *l, const char *attr, const char *value, uint32_t size)
{
    int rc;

    l->phase = FW_LDAP_P_SEARCH;
    memset(&l->spec, 0, sizeof(l->spec));
    if (attr) {
        l->lookup_attr[0] = attr;
        l->spec.attrs = l->lookup_attr;
        l->spec.attr_count = 1;
        l->spec.value = value;
        l->spec.value_len = strlen(value);
        l->spec.equality = 1;
    } else {
        l->spec.present = l->attrs[1];
    }
    memset(&l->search, 0, sizeof(l->search));
    l->search.base_dn = l->cfg.base_dn;
    l->search.filter = &l->spec;
    l->search.scope = LDAP_SCOPE_SUB;
    l->search.attrs = l->attrs;
    l->search.attr_count = 2;
    l->search.size_limit = size;
    l->search.time_limit_s = (l->cfg.timeout_ms ? l->cfg.timeout_ms : LDAP_TIMEOUT_MS) / 1000;
    l->ev_entries = 0;
    l->ev_error = 0;
    rc = ldap_client_search(&l->client, &l->search);
    l->waiting = rc > 0;
    if (rc < 0)
        fw_ldap_fail(l, FW_LDAP_STAGE_SEARCH, rc);
}

static void fw_ldap_searched(fw_ldap_t *l)
{
    int rc;

    if (l->ev_error) {
        fw_ldap_fail(l, FW_LDAP_STAGE_SEARCH, l->ev_error);
        return;
    }
    if (l->op == FW_LDAP_OP_TEST) {
        if (l->ev_entries == 0)
            fw_ldap_fail(l, FW_LDAP_STAGE_SEARCH, FW_LDAP_ERR_NO_ENTRY);
        else
            fw_ldap_finish(l, 1);
        return;
    }
    /* Sign-in: exactly one entry, then bind as it. */
    if (l->ev_entries != 1) {
        fw_ldap_fail(l, FW_LDAP_STAGE_SEARCH, FW_LDAP_ERR_NO_USER);
        return;
    }
    l->phase = FW_LDAP_P_USER_BIND;
    l->ev_error = 0;
    rc = ldap_client_bind(&l->client, l->result.dn, l->password);
    l->password = NULL; /* copied into the request; the caller wipes its own */
    l->waiting = rc > 0;
    if (rc < 0)
        fw_ldap_fail(l, FW_LDAP_STAGE_USER_BIND, rc);
}

static void fw_ldap_ready_step(fw_ldap_t *l)
{
    ldap_complete_state_t st;

    ldap_complete_tick(&l->ac, fw_ldap_now(l));
    ldap_transport_poll(&l->transport); /* a search the tick queued goes out now */
    if (l->op != FW_LDAP_OP_SEARCH)
        return;
    st = ldap_complete_state(&l->ac);
    if (st == LDAP_COMPLETE_DONE || st == LDAP_COMPLETE_PARTIAL) {
        l->result.count = fw_ldap_suggestions(l, l->result.suggestions, LDAP_COMPLETE_MAX);
        l->result.partial = st == LDAP_COMPLETE_PARTIAL;
        fw_ldap_finish(l, 1);
    } else if (st == LDAP_COMPLETE_ERROR) {
        l->result.count = fw_ldap_suggestions(l, l->result.suggestions, LDAP_COMPLETE_MAX);
        if (l->client.fail.error == 0 && ldap_transport_done(&l->transport) && l->transport.error)
            fw_ldap_fail_transport(l);
        else
            fw_ldap_fail(l, FW_LDAP_STAGE_SEARCH,
                         l->ac.error ? l->ac.error : l->client.fail.error);
    }
}

static void fw_ldap_fail(fw_ldap_t *l, fw_ldap_stage_t stage, int error)
{
    l->result.stage = stage;
    l->result.error = error;
    if (l->client.fail.error == error && l->client.fail.result_code >= 0) {
        l->result.result_code = l->client.fail.result_code;
        snprintf(l->result.diag, sizeof(l->result.diag), "%s", l->client.fail.diag);
    } else if (!l->waiting && l->ev_error == error && l->ev_rc >= 0) {
        l->result.result_code = l->ev_rc;
    }
    fw_ldap_explain(l);
    fw_ldap_finish(l, 0);
}

/* The transport ended: before the client ran (DNS, TCP, TLS), or under it. */
static void fw_ldap_fail_transport(fw_ldap_t *l)
{
    int err = l->transport.error;

    if (err == LDAP_TRANSPORT_ERR_DNS)
        fw_ldap_fail(l, FW_LDAP_STAGE_RESOLVE, err);
    else if (err == LDAP_TRANSPORT_ERR_CONNECT || err == LDAP_TRANSPORT_ERR_TIMEOUT ||
             err == LDAP_TRANSPORT_ERR_MEM || err == LDAP_TRANSPORT_ERR_BAD_ARGS)
        fw_ldap_fail(l, FW_LDAP_STAGE_CONNECT, err);
    else if (err != 0)
        fw_ldap_fail(l, FW_LDAP_STAGE_TLS, err);
    else
        fw_ldap_fail(l, l->phase == FW_LDAP_P_BIND       ? FW_LDAP_STAGE_BIND
                        : l->phase == FW_LDAP_P_USER_BIND ? FW_LDAP_STAGE_USER_BIND
                        : l->phase == FW_LDAP_P_STARTTLS  ? FW_LDAP_STAGE_STARTTLS
                                                          : FW_LDAP_STAGE_SEARCH,
                     l->client.fail.error ? l->client.fail.error : LDAP_ERR_CLOSED);
}

/* result.message and result.hint for the failure in result. */
static void fw_ldap_explain(fw_ldap_t *l)
{
    fw_ldap_result_t *r = &l->result;
    const char *server = l->cfg.server;
    unsigned port = fw_ldap_port(&l->cfg);
    unsigned secs = (unsigned)((l->cfg.timeout_ms ? l->cfg.timeout_ms : LDAP_TIMEOUT_MS) / 1000);
    const char *hint = "";
    char what[FW_LDAP_MSG_MAX];
    int e = r->error;

    if (r->stage == FW_LDAP_STAGE_TLS) {
        snprintf(what, sizeof(what), "TLS with %s:%u failed: %s%s%s", server, port,
                 smtp_tls_strerror(e), l->transport.tls_info.detail[0] ? ": " : "",
                 l->transport.tls_info.detail);
        hint = e == SMTP_TLS_ERR_CERT_NAME
                   ? "enter as Server the name (or address) the directory's certificate carries"
               : e == SMTP_TLS_ERR_CERT_UNTRUSTED || e == SMTP_TLS_ERR_CERT_EXPIRED
                   ? "install the CA that signed the directory's certificate, or renew it"
                   : "check that the TLS mode matches the port (StartTLS: 389, LDAPS: 636)";
    } else if (e == FW_LDAP_ERR_NETWORK) {
        snprintf(what, sizeof(what), "no network address (DHCP) after %u s",
                 (unsigned)(FW_JOB_NET_TIMEOUT_MS / 1000));
        hint = "check the network cable and the DHCP server";
    } else if (e == LDAP_TRANSPORT_ERR_DNS) {
        snprintf(what, sizeof(what), "the server name %s does not resolve", server);
        hint = "check the server name, or enter its IP address; check the DNS server";
    } else if (e == LDAP_TRANSPORT_ERR_CONNECT || e == LDAP_TRANSPORT_ERR_TIMEOUT) {
        snprintf(what, sizeof(what), "the directory server %s:%u %s", server, port,
                 e == LDAP_TRANSPORT_ERR_CONNECT ? "refused the connection or is unreachable"
                                                 : "did not answer the connection in time");
        hint = "check the server address and port (389 for LDAP and StartTLS, 636 for LDAPS) "
               "and that the directory server is running";
    } else if (e == FW_LDAP_ERR_NO_ENTRY) {
        snprintf(what, sizeof(what), "connected and bound, but no entry with a %s under %s",
                 l->attrs[1], l->cfg.base_dn);
        hint = "check the base DN and that the bind account may read people's entries";
    } else if (e == FW_LDAP_ERR_NO_USER || (r->stage == FW_LDAP_STAGE_USER_BIND &&
                                            e == LDAP_ERR_BAD_CREDENTIALS)) {
        snprintf(what, sizeof(what), "wrong user name or password");
        hint = "type your user name and password again; ask the administrator if it persists";
    } else if (r->stage == FW_LDAP_STAGE_USER_BIND && e == LDAP_ERR_ACCOUNT_LOCKED) {
        snprintf(what, sizeof(what), "your account is locked");
        hint = "ask the administrator to unlock your account";
    } else if (r->stage == FW_LDAP_STAGE_USER_BIND &&
               (e == LDAP_ERR_PASSWORD_EXPIRED || e == LDAP_ERR_ACCOUNT_EXPIRED ||
                e == LDAP_ERR_ACCOUNT_DISABLED || e == LDAP_ERR_LOGON_RESTRICTED)) {
        snprintf(what, sizeof(what), "sign-in refused: %s", ldap_strerror(e));
        hint = e == LDAP_ERR_PASSWORD_EXPIRED ? "change your password at a computer, then sign in"
                                              : "ask the administrator";
    } else if (r->stage == FW_LDAP_STAGE_BIND && e == LDAP_ERR_BAD_CREDENTIALS) {
        snprintf(what, sizeof(what), "the server refused the bind DN or its password");
        hint = "check the bind DN and password in the LDAP settings";
    } else if (e == LDAP_ERR_CLEARTEXT || e == LDAP_ERR_NEED_TLS) {
        snprintf(what, sizeof(what), "%s: %s", fw_ldap_stage_name(r->stage), ldap_strerror(e));
        hint = "choose StartTLS or LDAPS";
    } else if (e == LDAP_ERR_STARTTLS) {
        snprintf(what, sizeof(what), "the server refused StartTLS");
        hint = "enable TLS on the directory server, or choose LDAPS (port 636)";
    } else if (e == LDAP_ERR_NO_SUCH_OBJECT) {
        snprintf(what, sizeof(what), "the base DN %s does not exist (or the account may not see it)",
                 l->cfg.base_dn);
        hint = "check the base DN, and the bind DN (an anonymous session may see nothing)";
    } else if (e == LDAP_ERR_TIMEOUT) {
        snprintf(what, sizeof(what), "the directory server did not answer the %s within %u s",
                 fw_ldap_stage_name(r->stage), secs);
        hint = "the server is overloaded or hung: try again, or raise the timeout";
    } else if (e == LDAP_ERR_CLOSED || e == LDAP_ERR_DISCONNECT) {
        snprintf(what, sizeof(what), "the directory server closed the connection during the %s",
                 fw_ldap_stage_name(r->stage));
        hint = "try again; if it persists, check the server's log";
    } else if (e == LDAP_ERR_PROTOCOL || e == LDAP_ERR_TOO_BIG) {
        snprintf(what, sizeof(what), "the directory server's answer to the %s cannot be decoded (%s)",
                 fw_ldap_stage_name(r->stage), ldap_strerror(e));
        hint = "check that the port is an LDAP server's; report it to the administrator";
    } else {
        snprintf(what, sizeof(what), "%s failed: %s", fw_ldap_stage_name(r->stage),
                 e == FW_LDAP_ERR_CONFIG ? "bad settings" : ldap_strerror(e));
        hint = "check the LDAP settings";
    }
    if (r->result_code >= 0)
        snprintf(r->message, sizeof(r->message), "%.200s (result %d%s%.80s)", what, r->result_code,
                 r->diag[0] ? ": " : "", r->diag);
    else
        snprintf(r->message, sizeof(r->message), "%s", what);
    snprintf(r->hint, sizeof(r->hint), "%s", hint);
}

/* Ends the operation (an autocomplete session stays open on success). */
static void fw_ldap_finish(fw_ldap_t *l, int ok)
{
    l->result.ok = ok;
    l->result.total_ms = fw_ldap_now(l) - l->start_ms;
    if (ok) {
        l->result.stage = FW_LDAP_STAGE_DONE;
        l->result.error = 0;
        l->result.result_code = 0;
        if (l->op == FW_LDAP_OP_TEST)
            snprintf(l->result.message, sizeof(l->result.message), "found %.96s <%.200s>",
                     l->result.name[0] ? l->result.name : "(no name)", l->result.mail);
        else if (l->op == FW_LDAP_OP_SIGNIN)
            snprintf(l->result.message, sizeof(l->result.message), "signed in as %.96s <%.200s>",
                     l->result.name[0] ? l->result.name : l->user, l->result.mail);
        else
            snprintf(l->result.message, sizeof(l->result.message), "%u suggestion%s%s",
                     (unsigned)l->result.count, l->result.count == 1 ? "" : "s",
                     l->result.partial ? " (more match: type more)" : "");
    }
    if (l->phase != FW_LDAP_P_NET && l->phase != 0 &&
        ldap_transport_state(&l->transport) == LDAP_TRANSPORT_CONNECTED &&
        ldap_client_status(&l->client) == LDAP_CLIENT_RUNNING) {
        ldap_client_unbind(&l->client);
        ldap_transport_poll(&l->transport);
    }
    l->phase = FW_LDAP_P_DONE;
}

/* No control characters (CR, LF, NUL: the length ends at the first NUL). */
static int fw_ldap_text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);

    if (n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

static uint16_t fw_ldap_port(const fw_ldap_config_t *cfg)
{
    return cfg->port ? cfg->port : cfg->tls == LDAP_TLS_LDAPS ? 636 : 389;
}

static uint32_t fw_ldap_now(const fw_ldap_t *l)
{
    return hal_clock_now_ms(l->env.clock);
}
