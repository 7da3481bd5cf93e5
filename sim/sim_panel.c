/* mfp-sim panel (sim_panel.h): the panel's state machine and renderer in
 * the simulator, headless, played from a script, with PNG snapshots.
 *
 * The services behind the panel are the firmware's own, on the simulated
 * board: the local address book (ab_book over fw_nvstore) and the settings
 * (fw_settings over fw_nvstore) in the --state directory; Start runs an
 * fw_job, Test an fw_job in test_gateway mode, Find gateways an fw_find,
 * each stepped a slice per frame by the super-loop below so that the panel
 * never blocks. The network comes up at the first job, Test or Find.
 *
 * The directory (fw_ldap, when LDAP Setup names a server): an autocomplete
 * session follows what is typed in To/Cc/Bcc/From (local suggestions at
 * once, the directory's merged in when they arrive, UI_EV_SUGGEST); one
 * operation at a time beside it: LDAP Test, Sign in, or the search of the
 * address book's All. Both are stepped every frame. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ab_book.h"
#include "ab_merge.h"
#include "fw_find.h"
#include "fw_job.h"
#include "fw_ldap.h"
#include "fw_nvstore.h"
#include "fw_settings.h"
#include "scan_sizes.h"
#include "sim_board.h"
#include "sim_display.h"
#include "sim_panel.h"
#include "sim_sdl.h"
#include "sim_sys.h"
#include "ui_layout.h"
#include "ui_model.h"
#include "ui_render.h"

#define SIM_FRAME_MS 50     /* one frame of the super-loop: 20 frames a second */
#define SIM_STEP_BUDGET_MS 30 /* CPU work of a job per frame, the rest is the panel's */
#define SIM_CA_MAX 65536

/* ---- the services ---- */

typedef enum { SIM_ACT_NONE = 0, SIM_ACT_JOB, SIM_ACT_TEST, SIM_ACT_FIND } sim_act_t;
typedef enum { SIM_LOP_NONE = 0, SIM_LOP_TEST, SIM_LOP_SIGNIN, SIM_LOP_FILTER } sim_lop_t;

#define SIM_LDAP_RETRY_MS 30000 /* a failed autocomplete session is retried after this */
#define SIM_LDAP_LOCAL_ONLY "Local addresses only. Directory: " /* the notice when it failed */
#define SIM_SUGGEST_MAX (AB_SUGGEST_MAX + LDAP_COMPLETE_MAX)

/* One fw_ldap_config_t with the strings it points to (they must outlive
 * the operation). */
typedef struct sim_ldap_cfg {
    struct fw_settings set;
    char attr_buf[FW_SETTINGS_STR_MAX + 1];
    const char *attrs[LDAP_FILTER_ATTRS_MAX];
    fw_ldap_config_t cfg;
} sim_ldap_cfg_t;

typedef struct sim_svc {
    struct sim_net_opts net;
    int net_up;
    ab_book_t *book;
    struct fw_nvstore book_store, set_store;
    struct fw_settings set;
    struct fw_settings work; /* the settings of the running job, Test or Find */
    unsigned pages;          /* sheets in the simulated feeder */
    uint8_t *ca;
    size_t ca_len;
    sim_act_t act;
    int cancel;
    long last_progress;
    fw_job_t *test;
    fw_find_t *find;
    struct fw_job_request req;
    char from[UI_FIELD_MAX + 1], to[UI_FIELD_MAX + 1], cc[UI_FIELD_MAX + 1], bcc[UI_FIELD_MAX + 1];
    char subject[UI_FIELD_MAX + 1], message[UI_FIELD_MAX + 1], file_name[UI_FIELD_MAX + 1];
    /* The directory. */
    fw_ldap_t *ac;             /* autocomplete session, or NULL */
    sim_ldap_cfg_t ac_cfg;
    uint32_t ac_failed_ms;     /* when the last session failed (0: never) */
    char ac_text[LDAP_PREFIX_MAX + 1]; /* the text being completed */
    int ac_fed;                /* ac_text went to the session */
    int ac_sent;               /* its suggestions went to the panel */
    char ac_why[UI_TEXT_MAX + 1]; /* the session failed: the panel's notice */
    fw_ldap_t *op;             /* Test, Sign in or All's search */
    sim_lop_t lop;
    sim_ldap_cfg_t op_cfg;
    char op_pw[UI_FIELD_MAX + 1]; /* Sign in: the user's password until the bind */
    char filter[LDAP_PREFIX_MAX + 1]; /* All: the directory search, "" none */
    ab_suggestion_t all[SIM_SUGGEST_MAX];
    size_t all_count;
    char user_mail[AB_ADDR_MAX + 1], user_name[AB_SUGGEST_NAME_MAX + 1]; /* signed in */
    int user_lock;
} sim_svc_t;

/* The panel's choice tables (ui_services.h) in the firmware's terms. */
static const int sim_tls_of_ui[UI_TLS_COUNT] = {SMTP_TLS_STARTTLS, SMTP_TLS_IMPLICIT, SMTP_TLS_NONE};
static const uint64_t sim_maxatt_bytes[UI_MAXATT_COUNT] = {1u << 20, 2u << 20, 5u << 20, 10u << 20, 0};
static const int sim_type_of_ui[UI_FILE_COUNT] = {FW_FILE_PDF, FW_FILE_JPEG, FW_FILE_TIFF, FW_FILE_MTIFF};
static const char *const sim_type_names[UI_FILE_COUNT] = {"PDF", "JPEG", "TIFF", "MTIFF"};
static const int sim_color_of_ui[UI_COLOR_COUNT] = {FW_COLOR, FW_GREY, FW_BW};
static const unsigned sim_dpi_of_ui[UI_RES_COUNT] = {150, 200, 300, 600};
static const char *const sim_size_of_ui[UI_SIZE_COUNT] = {"a4", "letter", "legal", "a5", "executive"};
static const unsigned sim_quality_of_ui[UI_QUALITY_COUNT] = {90, 75, 50};

static int sim_svc_net(sim_svc_t *v)
{
    if (!v->net_up && sim_net_up(&v->net) != 0)
        return -1;
    v->net_up = 1;
    return 0;
}

static const ab_book_t *sim_svc_book(void *ctx) { return ((sim_svc_t *)ctx)->book; }

static void sim_svc_entry(const ab_book_t *b, int id, ui_ab_entry_t *out)
{
    snprintf(out->alias, sizeof(out->alias), "%s", ab_book_alias(b, id));
    snprintf(out->addr, sizeof(out->addr), "%s", ab_book_address(b, id));
}

/* A suggestion as the panel's entry: the name cut at a character
 * boundary to the alias size. */
static void sim_svc_suggestion_entry(const ab_suggestion_t *s, ui_ab_entry_t *out)
{
    size_t n = strlen(s->name);

    if (n > UI_ALIAS_MAX) {
        n = UI_ALIAS_MAX;
        while (n > 0 && ((unsigned char)s->name[n] & 0xC0u) == 0x80u)
            n--;
    }
    memcpy(out->alias, s->name, n);
    out->alias[n] = '\0';
    snprintf(out->addr, sizeof(out->addr), "%s", s->mail);
}

static int sim_svc_ldap_on(const sim_svc_t *v) { return v->set.ldap_server[0] != '\0'; }

static int sim_svc_complete(void *ctx, const char *prefix, size_t len, ui_ab_entry_t *out)
{
    sim_svc_t *v = ctx;
    uint16_t id;

    /* The directory follows the text; its answer comes as UI_EV_SUGGEST. */
    if (len <= LDAP_PREFIX_MAX) {
        memcpy(v->ac_text, prefix, len);
        v->ac_text[len] = '\0';
        v->ac_fed = 0;
        v->ac_sent = 0;
    }
    if (ab_book_complete(sim_svc_book(ctx), prefix, len, &id, 1) != 1)
        return 0;
    sim_svc_entry(sim_svc_book(ctx), id, out);
    return 1;
}

/* All without a search: the Local book; with one: its merged results. */
static long sim_svc_ab_count(void *ctx, ui_book_t book)
{
    sim_svc_t *v = ctx;

    if (book == UI_BOOK_ALL && v->filter[0] != '\0')
        return (long)v->all_count;
    return (long)ab_book_count(sim_svc_book(ctx));
}

static int sim_svc_ab_get(void *ctx, ui_book_t book, uint32_t i, ui_ab_entry_t *out)
{
    sim_svc_t *v = ctx;
    const ab_book_t *b = sim_svc_book(ctx);
    int id;

    if (book == UI_BOOK_ALL && v->filter[0] != '\0') {
        if (i >= v->all_count)
            return -1;
        sim_svc_suggestion_entry(&v->all[i], out);
        return 0;
    }
    id = i < ab_book_count(b) ? ab_book_sorted(b, i) : -1;
    if (id < 0)
        return -1;
    sim_svc_entry(b, id, out);
    return 0;
}

static int sim_svc_ab_add(void *ctx, const char *alias, const char *addr)
{
    return ab_book_add(((sim_svc_t *)ctx)->book, alias, addr);
}

static int sim_svc_ab_delete(void *ctx, uint32_t i)
{
    ab_book_t *b = ((sim_svc_t *)ctx)->book;
    int id = i < ab_book_count(b) ? ab_book_sorted(b, i) : -1;
    char addr[AB_ADDR_MAX + 1];
    const char *list[1] = {addr};

    if (id < 0)
        return -1;
    /* Copied: the text pool changes under the delete. */
    snprintf(addr, sizeof(addr), "%s", ab_book_address(b, id));
    return ab_book_delete(b, list, 1);
}

static struct fw_job_env sim_svc_env(void);
static int sim_svc_net(sim_svc_t *v);

/* The directory's settings s as an fw_ldap_config_t in c (pointing into
 * c->set, a copy of s), checked as a whole: 0, or FW_LDAP_ERR_CONFIG with
 * the reason in why. */
static int sim_svc_ldap_config(const sim_svc_t *v, const struct fw_settings *s, sim_ldap_cfg_t *c, char *why,
                               size_t size)
{
    fw_ldap_config_t *cfg = &c->cfg;
    size_t n;

    c->set = *s;
    memset(cfg, 0, sizeof(*cfg));
    cfg->server = c->set.ldap_server;
    cfg->port = c->set.ldap_port;
    cfg->tls = (ldap_tls_mode_t)c->set.ldap_tls;
    cfg->ca = c->set.ldap_use_ca ? v->ca : NULL;
    cfg->ca_len = c->set.ldap_use_ca ? v->ca_len : 0;
    cfg->insecure = !c->set.ldap_use_ca; /* the administrator turned the check off */
    cfg->bind_dn = c->set.ldap_bind_dn[0] ? c->set.ldap_bind_dn : NULL;
    cfg->bind_password = c->set.ldap_bind_dn[0] ? c->set.ldap_bind_pw : NULL;
    cfg->base_dn = c->set.ldap_base_dn;
    n = fw_settings_search_attrs(&c->set, c->attr_buf, sizeof(c->attr_buf), c->attrs, LDAP_FILTER_ATTRS_MAX);
    cfg->search_attrs = n ? c->attrs : NULL;
    cfg->search_attr_count = n;
    cfg->name_attr = c->set.ldap_name_attr;
    cfg->mail_attr = c->set.ldap_mail_attr;
    cfg->login_attr = fw_settings_login_attr(c->set.ldap_login);
    cfg->max_results = c->set.ldap_max_results;
    cfg->timeout_ms = c->set.ldap_timeout_s * 1000u;
    if (!c->set.ldap_server[0]) {
        snprintf(why, size, "LDAP server: enter the directory server's IP address or host name");
        return FW_LDAP_ERR_CONFIG;
    }
    return fw_ldap_config_check(cfg, why, size);
}

static fw_ldap_env_t sim_svc_ldap_env(void)
{
    fw_ldap_env_t env = {&sim_board.clock, &sim_board.net, &sim_board.rng};
    return env;
}

/* Starts the one directory operation (Test, Sign in, All's search) with
 * the settings s. 0, or -1 with the reason in why. */
static int sim_svc_op_start(sim_svc_t *v, sim_lop_t lop, const struct fw_settings *s, const char *arg, char *why,
                            size_t size)
{
    fw_ldap_env_t env = sim_svc_ldap_env();
    int rc;

    if (v->lop != SIM_LOP_NONE) {
        if (v->lop != SIM_LOP_FILTER || lop == SIM_LOP_FILTER) {
            snprintf(why, size, "The directory is busy: try again in a moment");
            return -1;
        }
        fw_ldap_free(v->op); /* a list search gives way to Test and Sign in */
        v->lop = SIM_LOP_NONE;
    }
    if (sim_svc_ldap_config(v, s, &v->op_cfg, why, size) != 0)
        return -1;
    if (sim_svc_net(v) != 0) {
        snprintf(why, size, "The network cannot start");
        return -1;
    }
    rc = lop == SIM_LOP_TEST     ? fw_ldap_test_start(v->op, &v->op_cfg.cfg, &env)
         : lop == SIM_LOP_SIGNIN ? fw_ldap_signin_start(v->op, &v->op_cfg.cfg, &env, arg, v->op_pw)
                                 : fw_ldap_search_start(v->op, &v->op_cfg.cfg, &env, arg);
    if (rc != 0) {
        snprintf(why, size, "%s", v->op->result.message);
        fw_ldap_free(v->op);
        return -1;
    }
    v->lop = lop;
    return 0;
}

/* Sign in: with a directory, a bind as the user (answered by UI_EV_SIGN_IN);
 * without one there is nobody to ask, and sign-in is refused. */
static int sim_svc_sign_in(void *ctx, const char *user, const char *password, char *from, size_t size)
{
    sim_svc_t *v = ctx;
    char why[FW_LDAP_MSG_MAX];
    int rc;

    (void)from;
    (void)size;
    if (!sim_svc_ldap_on(v) || !v->set.ldap_sign_in || user[0] == '\0' || password[0] == '\0')
        return -1;
    /* fw_ldap reads the password at the user's bind, after the lookup: keep
     * a copy until then (wiped when the operation ends). */
    snprintf(v->op_pw, sizeof(v->op_pw), "%s", password);
    rc = sim_svc_op_start(v, SIM_LOP_SIGNIN, &v->set, user, why, sizeof(why));
    if (rc != 0) {
        memset(v->op_pw, 0, sizeof(v->op_pw));
        fprintf(stderr, "panel: sign-in: %s\n", why);
        return -1;
    }
    return UI_SVC_PENDING;
}

static int sim_svc_load_ldap(void *ctx, ui_ldap_setup_t *out)
{
    const struct fw_settings *s = &((sim_svc_t *)ctx)->set;

    memset(out, 0, sizeof(*out));
    out->server = s->ldap_server;
    out->port = s->ldap_port;
    out->tls = (uint8_t)s->ldap_tls;
    out->use_ca = s->ldap_use_ca;
    out->bind_dn = s->ldap_bind_dn;
    out->bind_password = NULL; /* never shown back */
    out->password_set = s->ldap_bind_pw[0] != '\0';
    out->base_dn = s->ldap_base_dn;
    out->search_attrs = s->ldap_search_attrs;
    out->name_attr = s->ldap_name_attr;
    out->mail_attr = s->ldap_mail_attr;
    out->login = (uint8_t)s->ldap_login;
    out->max_results = s->ldap_max_results;
    out->timeout_s = s->ldap_timeout_s;
    out->sign_in = s->ldap_sign_in;
    out->lock_from = s->ldap_lock_from;
    return 0;
}

/* LDAP Setup on top of s, checked field by field then as a whole (an empty
 * server turns the directory off and needs nothing else). */
static int sim_svc_ldap_apply(const sim_svc_t *v, struct fw_settings *s, const ui_ldap_setup_t *in, char *why,
                              size_t size)
{
    sim_ldap_cfg_t *c;
    int rc;

    if (in->tls >= UI_LDAP_TLS_COUNT || in->login >= UI_LOGIN_COUNT) {
        snprintf(why, size, "LDAP Setup: a choice is out of range");
        return -1;
    }
    snprintf(s->ldap_server, sizeof(s->ldap_server), "%s", in->server);
    s->ldap_port = in->port;
    s->ldap_tls = in->tls;
    s->ldap_use_ca = in->use_ca != 0;
    snprintf(s->ldap_bind_dn, sizeof(s->ldap_bind_dn), "%s", in->bind_dn);
    if (in->bind_password != NULL && in->bind_password[0] != '\0') /* "" keeps the stored one */
        snprintf(s->ldap_bind_pw, sizeof(s->ldap_bind_pw), "%s", in->bind_password);
    if (s->ldap_bind_dn[0] == '\0')
        s->ldap_bind_pw[0] = '\0'; /* anonymous: no password to keep */
    snprintf(s->ldap_base_dn, sizeof(s->ldap_base_dn), "%s", in->base_dn);
    snprintf(s->ldap_search_attrs, sizeof(s->ldap_search_attrs), "%s", in->search_attrs);
    snprintf(s->ldap_name_attr, sizeof(s->ldap_name_attr), "%s", in->name_attr);
    snprintf(s->ldap_mail_attr, sizeof(s->ldap_mail_attr), "%s", in->mail_attr);
    s->ldap_login = in->login;
    s->ldap_max_results = in->max_results;
    s->ldap_timeout_s = in->timeout_s;
    s->ldap_sign_in = in->sign_in != 0;
    s->ldap_lock_from = in->lock_from != 0;
    if (fw_settings_check(s, why, size) != 0)
        return -1;
    if (s->ldap_server[0] == '\0')
        return s->ldap_sign_in ? (snprintf(why, size, "Sign in with LDAP needs an LDAP server"), -1) : 0;
    c = malloc(sizeof(*c));
    if (c == NULL) {
        snprintf(why, size, "out of memory");
        return -1;
    }
    rc = sim_svc_ldap_config(v, s, c, why, size);
    memset(c, 0, sizeof(*c));
    free(c);
    return rc == 0 ? 0 : -1;
}

static int sim_svc_save_ldap(void *ctx, const ui_ldap_setup_t *in, char *why, size_t size)
{
    sim_svc_t *v = ctx;
    struct fw_settings s = v->set;
    int rc = sim_svc_ldap_apply(v, &s, in, why, size);

    if (rc == 0 && fw_settings_save(&s, &v->set_store, NULL) != 0) {
        snprintf(why, size, "LDAP Setup could not be saved (storage error)");
        rc = -1;
    }
    if (rc == 0) {
        /* The session points into the old settings: it starts again. */
        if (v->ac != NULL)
            fw_ldap_free(v->ac);
        v->ac_failed_ms = 0;
        v->set = s;
    }
    memset(&s, 0, sizeof(s));
    return rc;
}

static int sim_svc_test_ldap(void *ctx, const ui_ldap_setup_t *in, char *why, size_t size)
{
    sim_svc_t *v = ctx;
    struct fw_settings s = v->set;
    int rc = sim_svc_ldap_apply(v, &s, in, why, size);

    if (rc == 0 && s.ldap_server[0] == '\0') {
        snprintf(why, size, "LDAP server: enter the directory server's IP address or host name");
        rc = -1;
    }
    if (rc == 0)
        rc = sim_svc_op_start(v, SIM_LOP_TEST, &s, NULL, why, size);
    memset(&s, 0, sizeof(s));
    return rc;
}

/* All: the directory search for text; "" lists the Local book. */
static int sim_svc_ab_filter(void *ctx, const char *text, size_t len)
{
    sim_svc_t *v = ctx;
    char why[FW_LDAP_MSG_MAX];
    int n;

    if (len > LDAP_PREFIX_MAX)
        return -1;
    memcpy(v->filter, text, len);
    v->filter[len] = '\0';
    v->all_count = 0;
    if (len == 0)
        return 0;
    /* The Local matches show at once; the directory's join them later. */
    n = ab_book_suggest(v->book, text, len, v->all, AB_SUGGEST_MAX);
    v->all_count = n > 0 ? (size_t)n : 0;
    if (!sim_svc_ldap_on(v))
        return 0;
    if (v->lop == SIM_LOP_FILTER) {
        fw_ldap_free(v->op);
        v->lop = SIM_LOP_NONE;
    }
    if (sim_svc_op_start(v, SIM_LOP_FILTER, &v->set, v->filter, why, sizeof(why)) != 0) {
        fprintf(stderr, "panel: directory search: %s\n", why);
        return -1;
    }
    return 0;
}

static int sim_svc_load_setup(void *ctx, ui_setup_t *out)
{
    const struct fw_settings *s = &((sim_svc_t *)ctx)->set;
    uint8_t att = UI_MAXATT_NONE;

    for (unsigned i = 0; i < UI_MAXATT_NONE; i++)
        if (s->max_attachment >= sim_maxatt_bytes[i])
            att = (uint8_t)i;
    memset(out, 0, sizeof(*out));
    out->gateway = s->gateway;
    out->port = s->port;
    for (unsigned i = 0; i < UI_TLS_COUNT; i++)
        if (sim_tls_of_ui[i] == s->tls)
            out->tls = (uint8_t)i;
    out->user = s->user;
    out->password = NULL; /* never shown back */
    out->password_set = s->password[0] != '\0';
    out->from_addr = s->from_addr;
    out->from_name = s->from_name;
    out->from_locked = s->from_locked;
    out->subject = s->subject;
    out->max_attachment = s->max_attachment == 0 ? UI_MAXATT_NONE : att;
    /* "Users sign in with LDAP" asks for the sign-in as well. */
    out->sign_in_required = s->sign_in_required || (s->ldap_sign_in && s->ldap_server[0] != '\0');
    return 0;
}

/* The settings the panel's E-mail Setup shows, on top of base. */
static int sim_svc_setup_apply(struct fw_settings *s, const ui_setup_t *in)
{
    if (in->tls >= UI_TLS_COUNT || in->max_attachment >= UI_MAXATT_COUNT)
        return -1;
    snprintf(s->gateway, sizeof(s->gateway), "%s", in->gateway);
    s->port = in->port;
    s->tls = sim_tls_of_ui[in->tls];
    snprintf(s->user, sizeof(s->user), "%s", in->user);
    if (in->password != NULL && in->password[0] != '\0') /* "" keeps the stored one */
        snprintf(s->password, sizeof(s->password), "%s", in->password);
    snprintf(s->from_addr, sizeof(s->from_addr), "%s", in->from_addr);
    snprintf(s->from_name, sizeof(s->from_name), "%s", in->from_name);
    s->from_locked = in->from_locked != 0;
    snprintf(s->subject, sizeof(s->subject), "%s", in->subject);
    s->max_attachment = sim_maxatt_bytes[in->max_attachment];
    s->sign_in_required = in->sign_in_required != 0;
    return fw_settings_check(s, NULL, 0);
}

static int sim_svc_save_setup(void *ctx, const ui_setup_t *in)
{
    sim_svc_t *v = ctx;
    struct fw_settings s = v->set;
    int rc = sim_svc_setup_apply(&s, in);

    if (rc == 0)
        rc = fw_settings_save(&s, &v->set_store, NULL);
    if (rc == 0)
        v->set = s;
    memset(&s, 0, sizeof(s));
    return rc;
}

/* The gateway, security and sign-in part of a request, from settings s. */
static void sim_svc_request(const sim_svc_t *v, const struct fw_settings *s, struct fw_job_request *req)
{
    memset(req, 0, sizeof(*req));
    req->from_addr = s->from_addr;
    req->from_name = s->from_name;
    req->subject = s->subject;
    req->file_name = s->file_name;
    req->gateway = s->gateway;
    req->port = s->port;
    req->tls = (smtp_tls_mode_t)s->tls;
    req->ca = v->ca;
    req->ca_len = v->ca_len;
    req->auth_user = s->user[0] ? s->user : NULL;
    req->auth_pass = s->user[0] ? s->password : NULL;
    req->max_attachment = s->max_attachment;
    req->quality = s->jpeg_quality;
    req->type = (enum fw_file_type)s->file_type;
}

static struct fw_job_env sim_svc_env(void)
{
    struct fw_job_env env = {&sim_board.scanner, &sim_board.storage, &sim_board.clock, &sim_board.rng,
                             &sim_board.net,     sim_board.band,     sizeof(sim_board.band)};
    return env;
}

/* Splits an address field ("a@x; b@y") in place. */
static int sim_svc_split(char *s, const char **list, size_t *count)
{
    for (char *tok = strtok(s, ";"); tok != NULL; tok = strtok(NULL, ";")) {
        char *end = tok + strlen(tok);

        while (*tok == ' ')
            tok++;
        while (end > tok && end[-1] == ' ')
            *--end = '\0';
        if (*tok == '\0')
            continue;
        if (*count >= FW_JOB_RCPT_MAX)
            return -1;
        list[(*count)++] = tok;
    }
    return 0;
}

static int sim_svc_start_job(void *ctx, const ui_job_t *job)
{
    sim_svc_t *v = ctx;
    struct fw_job_request *req = &v->req;
    struct fw_job_env env = sim_svc_env();
    const ui_options_t *o = &job->options;
    const scan_size_t *size;

    if (v->act != SIM_ACT_NONE || o->file_type >= UI_FILE_COUNT || o->color >= UI_COLOR_COUNT ||
        o->resolution >= UI_RES_COUNT || o->size >= UI_SIZE_COUNT || o->quality >= UI_QUALITY_COUNT)
        return -1;
    v->work = v->set;
    sim_svc_request(v, &v->work, req);
    snprintf(v->from, sizeof(v->from), "%s", job->from);
    snprintf(v->to, sizeof(v->to), "%s", job->to);
    snprintf(v->cc, sizeof(v->cc), "%s", job->cc);
    snprintf(v->bcc, sizeof(v->bcc), "%s", job->bcc);
    snprintf(v->subject, sizeof(v->subject), "%s", job->subject);
    snprintf(v->message, sizeof(v->message), "%s", job->message);
    snprintf(v->file_name, sizeof(v->file_name), "%s", job->file_name);
    if (sim_svc_split(v->to, req->to, &req->to_count) != 0 || sim_svc_split(v->cc, req->cc, &req->cc_count) != 0 ||
        sim_svc_split(v->bcc, req->bcc, &req->bcc_count) != 0)
        return -1;
    req->from_addr = v->from;
    /* The display name is the administrator's, for the administrator's From;
     * the signed-in user's for the user's own. */
    req->from_name = strcmp(v->from, v->work.from_addr) == 0 ? v->work.from_name : NULL;
    if (v->user_mail[0] != '\0' && strcmp(v->from, v->user_mail) == 0)
        req->from_name = v->user_name[0] ? v->user_name : NULL;
    else if (v->work.from_locked && strcmp(v->from, v->work.from_addr) != 0)
        req->fixed_from = v->work.from_addr;
    req->subject = v->subject;
    req->message = v->message[0] ? v->message : NULL;
    if (v->file_name[0])
        req->file_name = v->file_name;
    req->type = (enum fw_file_type)sim_type_of_ui[o->file_type];
    req->color = (enum fw_color)sim_color_of_ui[o->color];
    req->scan.dpi = sim_dpi_of_ui[o->resolution];
    size = scan_size_by_name(sim_size_of_ui[o->size]);
    req->scan.width_mm10 = size->width_mm10;
    req->scan.height_mm10 = size->height_mm10;
    req->scan.duplex = o->sides == UI_SIDES_2;
    req->scan.pages = v->pages;
    req->quality = sim_quality_of_ui[o->quality];
    req->spool_prefix = "p1-";
    if (fw_job_band_buffer_size(req) > sizeof(sim_board.band) || sim_svc_net(v) != 0)
        return -1;
    if (fw_job_init(&sim_board.job, req, &env) != 0) {
        fprintf(stderr, "panel: the job was refused: %s\n", sim_board.job.error);
        fw_job_free(&sim_board.job);
        return -1;
    }
    v->act = SIM_ACT_JOB;
    v->cancel = 0;
    v->last_progress = -1;
    return 0;
}

static void sim_svc_cancel_job(void *ctx)
{
    sim_svc_t *v = ctx;

    if (v->act == SIM_ACT_JOB)
        v->cancel = 1; /* applied between two slices by the super-loop */
}

static int sim_svc_test_gateway(void *ctx, const ui_setup_t *setup)
{
    sim_svc_t *v = ctx;
    struct fw_job_request req;
    struct fw_job_env env = sim_svc_env();

    v->work = v->set;
    if (v->act != SIM_ACT_NONE || sim_svc_setup_apply(&v->work, setup) != 0 || sim_svc_net(v) != 0)
        return -1;
    sim_svc_request(v, &v->work, &req);
    req.test_gateway = 1;
    req.to[0] = v->work.from_addr;
    req.to_count = 1;
    if (fw_job_init(v->test, &req, &env) != 0) {
        fw_job_free(v->test);
        return -1;
    }
    v->act = SIM_ACT_TEST;
    return 0;
}

static int sim_svc_find_gateways(void *ctx)
{
    sim_svc_t *v = ctx;
    struct fw_job_request req;
    struct fw_job_env env = sim_svc_env();
    const char *at = strchr(v->set.from_addr, '@');

    v->work = v->set;
    if (v->act != SIM_ACT_NONE || at == NULL || sim_svc_net(v) != 0)
        return -1;
    sim_svc_request(v, &v->work, &req);
    if (fw_find_init(v->find, at + 1, &req, &env) != 0)
        return -1;
    v->act = SIM_ACT_FIND;
    return 0;
}

static const ui_services_api_t sim_svc_api = {
    sim_svc_start_job, sim_svc_cancel_job, sim_svc_complete,   sim_svc_ab_count,   sim_svc_ab_get,
    sim_svc_ab_add,    sim_svc_ab_delete,  sim_svc_sign_in,    sim_svc_load_setup, sim_svc_save_setup,
    sim_svc_test_gateway, sim_svc_find_gateways, sim_svc_load_ldap, sim_svc_save_ldap, sim_svc_test_ldap,
    sim_svc_ab_filter,
};

/* ---- what the running job tells the panel ---- */

static void sim_svc_progress(sim_svc_t *v, ui_t *ui)
{
    const fw_job_t *job = &sim_board.job;
    ui_progress_event_t p = {{UI_EV_JOB_PROGRESS}, UI_STAGE_SCANNING, 0, 0, 0, 0, 0, 0};
    long key;

    switch (job->phase) {
    case FW_JOB_SCANNING:
        p.page = scan_job_page_index(&job->scan) + 1;
        p.pages = job->req.scan.pages * (job->req.scan.duplex ? 2u : 1u);
        break;
    case FW_JOB_PACKING: p.stage = UI_STAGE_PREPARING; break;
    case FW_JOB_WAIT_NETWORK:
    case FW_JOB_CONNECTING: p.stage = UI_STAGE_CONNECTING; break;
    case FW_JOB_RETRY_WAIT: p.stage = UI_STAGE_WAITING; break;
    case FW_JOB_SENDING:
        p.stage = UI_STAGE_SENDING;
        p.part = fw_job_sending_mail(job) + 1;
        p.parts = job->mail_count;
        p.total = job->mails[p.part - 1].size;
        p.bytes = job->writer.produced < p.total ? job->writer.produced : p.total;
        break;
    default: return;
    }
    /* One event per page, stage and 1/32 of an e-mail: a frame draws only
     * what changed, but there is no need to dispatch what did not. */
    key = ((long)p.stage * 1000 + (long)(p.page + p.part)) * 64 + (long)(p.total ? p.bytes * 32 / p.total : 0);
    if (key == v->last_progress)
        return;
    v->last_progress = key;
    ui_dispatch(ui, &p.base);
}

/* "addr (550 5.1.1 text)" of each recipient the gateway did not take. */
static void sim_svc_rejected(const fw_job_t *job, char *out, size_t size, const smtp_reply_info_t **first)
{
    size_t n = 0;

    out[0] = '\0';
    *first = NULL;
    for (unsigned m = 0; m < job->mail_count; m++)
        for (size_t i = 0; i < job->rcpt_count; i++) {
            const smtp_rcpt_result_t *r = &job->mails[m].rcpt_results[i];

            if (r->delivered || strstr(out, job->rcpts[i]) != NULL || n >= size)
                continue;
            if (*first == NULL && r->reply.code)
                *first = &r->reply;
            n += (size_t)snprintf(out + n, size - n, "%s%s (%d %s)", n ? "; " : "", job->rcpts[i], r->reply.code,
                                  r->reply.enhanced);
        }
}

static void sim_svc_result(ui_t *ui)
{
    const fw_job_t *job = &sim_board.job;
    ui_result_event_t r = {{UI_EV_JOB_RESULT}, 0, NULL, NULL, NULL, NULL, NULL};
    char summary[UI_TEXT_MAX + 1], rejected[UI_TEXT_MAX + 1], reply[640], stage[64]; /* the panel cuts */
    const smtp_reply_info_t *first = NULL;
    size_t n;

    sim_svc_rejected(job, rejected, sizeof(rejected), &first);
    if (job->phase == FW_JOB_DONE) {
        const char *type = "";

        for (unsigned t = 0; t < UI_FILE_COUNT; t++)
            if (sim_type_of_ui[t] == (int)job->req.type)
                type = sim_type_names[t];
        n = (size_t)snprintf(summary, sizeof(summary), "%u page(s), %s, %u e-mail(s) to ",
                             scan_job_page_count(&job->scan), type, job->mail_count);
        for (size_t i = 0; i < job->rcpt_count && n < sizeof(summary); i++)
            n += (size_t)snprintf(summary + n, sizeof(summary) - n, "%s%s", i ? "; " : "", job->rcpts[i]);
        r.summary = summary;
        r.ok = rejected[0] == '\0';
        if (!r.ok) {
            r.stage = "sending (RCPT TO)";
            r.next = "The others got it. Check the refused addresses and send to them again.";
        }
    } else {
        snprintf(stage, sizeof(stage), "%s", job->stage ? job->stage : "job");
        r.stage = stage;
        r.next = job->error;
        if (first == NULL && job->session.fail.reply.code)
            first = &job->session.fail.reply;
    }
    if (first != NULL) {
        snprintf(reply, sizeof(reply), "%d %s %s", first->code, first->enhanced, first->text);
        r.reply = reply;
    }
    r.rejected = rejected[0] ? rejected : NULL;
    ui_dispatch(ui, &r.base);
}

static void sim_svc_test_result(sim_svc_t *v, ui_t *ui)
{
    const fw_job_t *job = v->test;
    ui_test_event_t t = {{UI_EV_TEST_RESULT}, job->phase == FW_JOB_DONE, NULL};
    char msg[400]; /* the panel cuts it to its status line */

    if (t.ok)
        snprintf(msg, sizeof(msg), "Gateways OK: %s port %u%s%s", job->gw_host, job->gw_port,
                 job->transport.tls_active ? ", TLS" : "", job->req.auth_user ? ", signed in" : "");
    else
        snprintf(msg, sizeof(msg), "Test failed at %s: %s", job->stage ? job->stage : "?", job->error);
    t.message = msg;
    ui_dispatch(ui, &t.base);
}

static void sim_svc_find_result(sim_svc_t *v, ui_t *ui)
{
    const char *host[UI_GATEWAYS_MAX];
    uint16_t port[UI_GATEWAYS_MAX];
    ui_gateways_event_t g = {{UI_EV_GATEWAYS}, 0, host, port};

    for (unsigned i = 0; i < v->find->count && g.count < UI_GATEWAYS_MAX; i++)
        if (v->find->list[i].ok) {
            host[g.count] = v->find->list[i].host;
            port[g.count++] = v->find->list[i].port;
        }
    ui_dispatch(ui, &g.base);
}

/* Sends the merged suggestions for text (local first, de-duplicated,
 * limited) to the panel. */
static void sim_svc_suggest(ui_t *ui, const char *text, const ab_suggestion_t *all, size_t n, const char *notice)
{
    ui_ab_entry_t e[SIM_SUGGEST_MAX];
    ui_suggest_event_t s = {{UI_EV_SUGGEST}, text, strlen(text), 0, e, notice};

    for (size_t i = 0; i < n && i < SIM_SUGGEST_MAX; i++)
        sim_svc_suggestion_entry(&all[i], &e[s.count++]);
    ui_dispatch(ui, &s.base);
}

/* The directory's operation ended: its answer to the panel. */
static void sim_svc_op_done(sim_svc_t *v, ui_t *ui)
{
    const fw_ldap_result_t *r = &v->op->result;
    char msg[2 * FW_LDAP_MSG_MAX + 80]; /* the panel cuts it to its status line */

    if (r->ok)
        snprintf(msg, sizeof(msg), "%s", r->message);
    else
        snprintf(msg, sizeof(msg), "%s%s%s", r->message, r->hint[0] ? "; " : "", r->hint);
    switch (v->lop) {
    case SIM_LOP_TEST: {
        char t[sizeof(msg) + 64];
        ui_test_event_t e = {{UI_EV_TEST_RESULT}, r->ok, t};

        if (r->ok)
            snprintf(t, sizeof(t), "LDAP OK: %s%s%s", msg, r->tls_version[0] ? ", " : "", r->tls_version);
        else
            snprintf(t, sizeof(t), "LDAP Test failed at %s: %s", fw_ldap_stage_name(r->stage), msg);
        ui_dispatch(ui, &e.base);
        break;
    }
    case SIM_LOP_SIGNIN: {
        ui_sign_in_event_t e = {{UI_EV_SIGN_IN}, r->ok, msg, NULL, NULL, 0};
        char m[sizeof(msg) + 16];

        if (r->ok) {
            snprintf(v->user_mail, sizeof(v->user_mail), "%s", r->mail);
            snprintf(v->user_name, sizeof(v->user_name), "%s", r->name);
            v->user_lock = v->op_cfg.set.ldap_lock_from;
            e.from = v->user_mail;
            e.name = v->user_name;
            e.lock_from = v->user_lock;
        } else {
            snprintf(m, sizeof(m), "Sign-in: %s", msg);
            e.message = m;
        }
        ui_dispatch(ui, &e.base);
        break;
    }
    default: {
        ab_suggestion_t local[AB_SUGGEST_MAX];
        int n = ab_book_suggest(v->book, v->filter, strlen(v->filter), local, AB_SUGGEST_MAX);

        v->all_count = ab_merge(local, n > 0 ? (size_t)n : 0, r->suggestions, r->ok ? r->count : 0, v->all,
                                SIM_SUGGEST_MAX);
        if (!r->ok)
            fprintf(stderr, "panel: directory search: %s\n", msg);
        sim_svc_suggest(ui, v->filter, v->all, v->all_count, NULL);
        break;
    }
    }
    memset(msg, 0, sizeof(msg));
}

/* The directory gave no suggestions (why): the panel's notice, and the log. */
static void sim_svc_ldap_why(sim_svc_t *v, const char *why)
{
    /* The status line cuts it anyway: cut it here, at a known place. */
    snprintf(v->ac_why, sizeof(v->ac_why), "%s%.*s", SIM_LDAP_LOCAL_ONLY,
             (int)(sizeof(v->ac_why) - sizeof(SIM_LDAP_LOCAL_ONLY)), why);
    fprintf(stderr, "panel: directory autocomplete: %s\n", why);
}

/* The autocomplete session failed (why): until it is retried, every text
 * gets the local suggestions and the reason (sim_svc_ldap_local_only). */
static void sim_svc_ldap_failed(sim_svc_t *v, uint32_t now, const char *why)
{
    v->ac_failed_ms = now ? now : 1;
    sim_svc_ldap_why(v, why);
}

/* The local suggestions for the text being typed, with the notice why
 * the directory's are missing; once per text. */
static void sim_svc_ldap_local_only(sim_svc_t *v, ui_t *ui, const char *notice)
{
    ab_suggestion_t local[AB_SUGGEST_MAX];
    int nl = ab_book_suggest(v->book, v->ac_text, strlen(v->ac_text), local, AB_SUGGEST_MAX);

    v->ac_sent = 1;
    sim_svc_suggest(ui, v->ac_text, local, nl > 0 ? (size_t)nl : 0, notice);
}

/* The directory's frame: the autocomplete session (started when there is
 * text to complete, fed the latest text once it is bound, its answers
 * merged with the local ones; when it fails, the local ones and why), then
 * the one operation. Never blocks. */
static void sim_svc_ldap_frame(sim_svc_t *v, ui_t *ui)
{
    uint32_t now = hal_clock_now_ms(&sim_board.clock);

    if (v->net_up)
        fw_net_poll(&sim_board.net);
    if (v->ac_text[0] != '\0' && sim_svc_ldap_on(v) && v->ac != NULL && fw_ldap_finished(v->ac) &&
        (v->ac_failed_ms == 0 || now - v->ac_failed_ms > SIM_LDAP_RETRY_MS)) {
        fw_ldap_env_t env = sim_svc_ldap_env();
        char why[FW_LDAP_MSG_MAX];

        why[0] = '\0';
        if (sim_svc_ldap_config(v, &v->set, &v->ac_cfg, why, sizeof(why)) != 0 || sim_svc_net(v) != 0 ||
            fw_ldap_complete_start(v->ac, &v->ac_cfg.cfg, &env) != 0)
            sim_svc_ldap_failed(v, now, why[0] ? why : "cannot start (network or settings)");
        v->ac_fed = 0;
    }
    if (v->ac != NULL && !fw_ldap_finished(v->ac)) {
        for (int i = 0; i < 8 && fw_ldap_step(v->ac); i++)
            ;
        if (fw_ldap_finished(v->ac)) {
            /* The panel keeps its local suggestions and says why. */
            sim_svc_ldap_failed(v, now, v->ac->result.message);
            v->ac_sent = 0;
        } else if (fw_ldap_ready(v->ac)) {
            if (!v->ac_fed) {
                fw_ldap_input(v->ac, v->ac_text, strlen(v->ac_text));
                v->ac_fed = 1;
                fw_ldap_step(v->ac);
            }
            if (!v->ac_sent && v->ac_text[0] != '\0') {
                ldap_complete_state_t st = ldap_complete_state(&v->ac->ac);

                if (st == LDAP_COMPLETE_ERROR) {
                    /* This search failed; the session goes on with the next text. */
                    sim_svc_ldap_why(v, ldap_complete_message(&v->ac->ac));
                    sim_svc_ldap_local_only(v, ui, v->ac_why);
                } else if (st == LDAP_COMPLETE_DONE || st == LDAP_COMPLETE_PARTIAL) {
                    ab_suggestion_t local[AB_SUGGEST_MAX], dir[LDAP_COMPLETE_MAX], all[SIM_SUGGEST_MAX];
                    int nl = ab_book_suggest(v->book, v->ac_text, strlen(v->ac_text), local, AB_SUGGEST_MAX);
                    size_t nd = fw_ldap_suggestions(v->ac, dir, LDAP_COMPLETE_MAX);

                    v->ac_sent = 1;
                    sim_svc_suggest(ui, v->ac_text, all,
                                    ab_merge(local, nl > 0 ? (size_t)nl : 0, dir, nd, all, SIM_SUGGEST_MAX), NULL);
                }
            }
        }
    }
    if (v->ac != NULL && fw_ldap_finished(v->ac) && v->ac_failed_ms != 0 && !v->ac_sent && v->ac_text[0] != '\0' &&
        sim_svc_ldap_on(v))
        sim_svc_ldap_local_only(v, ui, v->ac_why);
    if (v->lop != SIM_LOP_NONE) {
        for (int i = 0; i < 8 && fw_ldap_step(v->op); i++)
            ;
        if (fw_ldap_finished(v->op)) {
            sim_svc_op_done(v, ui);
            fw_ldap_free(v->op);
            memset(v->op_pw, 0, sizeof(v->op_pw));
            v->lop = SIM_LOP_NONE;
        }
    }
}

/* One frame of the super-loop's work for the services: the network, then
 * slices of the running job (Test, Find) for at most SIM_STEP_BUDGET_MS;
 * progress and results become the panel's events. 1 when work remains
 * that wants the CPU at once. */
static int sim_svc_frame(sim_svc_t *v, ui_t *ui)
{
    uint32_t start = hal_clock_now_ms(&sim_board.clock);
    int busy = 0, done = 0;

    sim_svc_ldap_frame(v, ui);
    if (v->act == SIM_ACT_NONE)
        return 0;
    do {
        fw_net_poll(&sim_board.net);
        switch (v->act) {
        case SIM_ACT_JOB:
            if (v->cancel) {
                v->cancel = 0;
                fw_job_cancel(&sim_board.job);
            }
            busy = fw_job_step(&sim_board.job);
            done = fw_job_finished(&sim_board.job);
            break;
        case SIM_ACT_TEST:
            busy = fw_job_step(v->test);
            done = fw_job_finished(v->test);
            break;
        case SIM_ACT_FIND:
            busy = fw_find_step(v->find);
            done = fw_find_finished(v->find);
            break;
        default: return 0;
        }
    } while (busy && !done && hal_clock_now_ms(&sim_board.clock) - start < SIM_STEP_BUDGET_MS);
    if (v->act == SIM_ACT_JOB)
        sim_svc_progress(v, ui);
    if (!done)
        return busy;
    switch (v->act) {
    case SIM_ACT_JOB:
        sim_svc_result(ui);
        fw_job_free(&sim_board.job);
        break;
    case SIM_ACT_TEST:
        sim_svc_test_result(v, ui);
        fw_job_free(v->test);
        break;
    default:
        sim_svc_find_result(v, ui);
        fw_find_free(v->find);
        break;
    }
    v->act = SIM_ACT_NONE;
    memset(&v->work.password, 0, sizeof(v->work.password));
    return 0;
}

/* Waits the rest of a frame: on the network when it is up (lwIP's timers
 * and incoming frames wake it), else asleep. */
static void sim_svc_idle(sim_svc_t *v, uint32_t ms)
{
    if (v->net_up) {
        hal_netif_wait(sim_board.net.hal, ms);
    } else {
        struct timespec ts = {0, (long)ms * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* --book N: filler entries to measure autocomplete on a full book. "zz"
 * names sort after real ones, so an unmatched prefix searches them all. */
static int sim_svc_fill(sim_svc_t *v, long n)
{
    for (long i = (long)ab_book_count(v->book); i < n; i++) {
        char alias[32], addr[64];
        int rc;

        snprintf(alias, sizeof(alias), "zz user %04ld", i);
        snprintf(addr, sizeof(addr), "zz.user%04ld@example.test", i);
        rc = ab_book_add(v->book, alias, addr);
        if (rc != 0 && rc != AB_ERR_DUPLICATE) {
            fprintf(stderr, "panel: --book: %s\n", ab_strerror(rc));
            return -1;
        }
    }
    return 0;
}

static int sim_svc_init(sim_svc_t *v)
{
    struct ab_book_io io = {fw_nvstore_load_cb, fw_nvstore_save_cb, &v->book_store};
    int rc, err;

    sim_clock_init(&sim_board.clock);
    sim_rng_init(&sim_board.rng);
    sim_scanner_init(&sim_board.scanner_ctx, &(struct sim_scanner_cfg){0});
    sim_scanner_hal(&sim_board.scanner_ctx, &sim_board.scanner);
    if (sim_storage_init(&sim_board.storage_ctx, v->net.state_dir) != 0) {
        fprintf(stderr, "panel: cannot use the state directory %s\n", v->net.state_dir);
        return -1;
    }
    sim_storage_hal(&sim_board.storage_ctx, &sim_board.storage);
    v->book = malloc(sizeof(*v->book));
    v->test = calloc(1, sizeof(*v->test));
    v->find = calloc(1, sizeof(*v->find));
    v->ac = calloc(1, sizeof(*v->ac));
    v->op = calloc(1, sizeof(*v->op));
    if (v->ac != NULL)
        fw_ldap_free(v->ac); /* "finished": started when there is text */
    if (v->book == NULL || v->test == NULL || v->find == NULL || v->ac == NULL || v->op == NULL ||
        fw_nvstore_init(&v->book_store, &sim_board.storage, "addrbook", AB_POOL_BYTES) != 0 ||
        fw_nvstore_init(&v->set_store, &sim_board.storage, FW_SETTINGS_RECORD, FW_SETTINGS_IMAGE_MAX) != 0)
        return -1;
    ab_book_init(v->book, &io);
    rc = ab_book_load(v->book);
    if (rc != 0 && !(rc == AB_ERR_STORE && v->book->io_error == FW_NVSTORE_ERR_EMPTY))
        fprintf(stderr, "panel: the local address book could not be read (%s): it starts empty\n",
                ab_strerror(rc));
    rc = fw_settings_load(&v->set, &v->set_store, &err);
    if (rc < 0)
        fprintf(stderr, "panel: the settings could not be read (%s): factory defaults\n",
                err ? fw_nvstore_strerror(err) : "not a settings image");
    else if (rc > 0)
        fprintf(stderr, "panel: %d setting(s) were invalid and got their defaults\n", rc);
    return 0;
}

static void sim_svc_free(sim_svc_t *v)
{
    /* The directory's connections close before the network goes. */
    if (v->ac != NULL)
        fw_ldap_free(v->ac);
    if (v->op != NULL)
        fw_ldap_free(v->op);
    if (v->act == SIM_ACT_JOB)
        fw_job_free(&sim_board.job);
    else if (v->act == SIM_ACT_TEST)
        fw_job_free(v->test);
    else if (v->act == SIM_ACT_FIND)
        fw_find_free(v->find);
    if (v->net_up)
        sim_net_down();
    if (v->book != NULL)
        ab_book_free(v->book);
    fw_nvstore_free(&v->book_store);
    fw_nvstore_free(&v->set_store);
    memset(&v->set, 0, sizeof(v->set));
    free(v->book);
    free(v->test);
    free(v->find);
    free(v->ac);
    free(v->op);
    memset(v->op_pw, 0, sizeof(v->op_pw));
    free(v->ca);
    sim_storage_free(&sim_board.storage_ctx);
}

/* ---- the super-loop and the script player ---- */

typedef struct sim_panel {
    sim_svc_t svc;
    ui_t ui;
    ui_render_t render;
    sim_display_t display;
    struct hal_display hal;
    uint16_t fb[UI_SCREEN_W * UI_SCREEN_H];
    uint16_t band[UI_SCREEN_W * 40];
    uint32_t start_ms;
    uint64_t events;
} sim_panel_t;

static const char *const sim_screen_names[UI_SCR_COUNT] = {
    "home", "sign-in", "send", "keyboard", "addrbook", "options", "progress", "result", "admin", "setup", "ldap"};

/* Names of the text fields for `expect field`. */
static const char *const sim_field_names[UI_F_COUNT] = {
    "from",    "to",       "cc",      "bcc",       "subject",  "message",  "file-name",
    "user",    "password", "ab-name", "ab-addr",   "gateway",  "port",     "smtp-user",
    "smtp-pass", "def-from", "def-name", "def-subject", "ldap-server", "ldap-port", "ldap-base",
    "ldap-bind-dn", "ldap-bind-pw", "ldap-attrs", "ldap-name-attr", "ldap-mail-attr", "ldap-max", "ldap-timeout",
    "ab-filter"};

static uint32_t sim_panel_now(const sim_panel_t *p)
{
    return hal_clock_now_ms(&sim_board.clock) - p->start_ms;
}

static int sim_panel_event(sim_panel_t *p, const ui_event_t *e)
{
    int rc = ui_dispatch(&p->ui, e);

    p->events++;
    if (ui_render_frame(&p->render, &p->ui.m) != 0)
        return -1;
    return rc == UI_ERR_BAD_ARG ? -1 : 0;
}

/* One frame: the services' slice (job, Test, Find), the clock tick, the
 * dirty regions drawn, then sleep for the rest of the frame unless the job
 * wants the CPU. */
static int sim_panel_frame(sim_panel_t *p)
{
    uint32_t t0 = hal_clock_now_ms(&sim_board.clock), used;
    int busy = sim_svc_frame(&p->svc, &p->ui);

    if (sim_panel_event(p, &((ui_tick_event_t){{UI_EV_TICK}, sim_panel_now(p)}).base) != 0)
        return -1;
    used = hal_clock_now_ms(&sim_board.clock) - t0;
    if (!busy && used < SIM_FRAME_MS)
        sim_svc_idle(&p->svc, SIM_FRAME_MS - used);
    return 0;
}

static int sim_panel_tap(sim_panel_t *p, int x, int y)
{
    ui_touch_event_t t = {{UI_EV_TOUCH_DOWN}, (int16_t)x, (int16_t)y};

    if (sim_panel_event(p, &t.base) != 0)
        return -1;
    t.base.type = UI_EV_TOUCH_UP;
    return sim_panel_event(p, &t.base);
}

/* The field called name (n bytes), or UI_F_COUNT. */
static unsigned sim_panel_field(const char *name, size_t n)
{
    unsigned f = 0;

    while (f < UI_F_COUNT && !(strlen(sim_field_names[f]) == n && strncmp(sim_field_names[f], name, n) == 0))
        f++;
    return f;
}

/* Taps the widget with this id on the current screen. */
static int sim_panel_tap_id(sim_panel_t *p, unsigned id, int lineno)
{
    const ui_widget_t *w = ui_layout_find(&p->render.layout, (uint16_t)id);

    if (w == NULL) {
        fprintf(stderr, "panel: line %d: no such widget on the %s screen\n", lineno, sim_screen_names[p->ui.m.screen]);
        return -1;
    }
    return sim_panel_tap(p, w->x + w->w / 2, w->y + w->h / 2);
}

/* 1 when the condition of `expect` / `until` (screen S, status T, field F
 * V, suggestion ADDR|none) holds, 0 when not, -1 when it cannot be read. */
static int sim_panel_holds(const sim_panel_t *p, const char *cond)
{
    const ui_model_t *m = &p->ui.m;

    if (strncmp(cond, "screen ", 7) == 0)
        return strcmp(cond + 7, sim_screen_names[m->screen]) == 0;
    if (strncmp(cond, "status ", 7) == 0)
        return strstr(m->status, cond + 7) != NULL;
    if (strncmp(cond, "suggestion ", 11) == 0)
        return strcmp(cond + 11, "none") == 0 ? !m->kb.has_suggestion
                                               : m->kb.has_suggestion && strcmp(m->kb.suggestion.addr, cond + 11) == 0;
    if (strcmp(cond, "result ok") == 0 || strcmp(cond, "result failed") == 0)
        return m->screen == UI_SCR_RESULT && m->result.ok == (cond[7] == 'o');
    if (strncmp(cond, "field ", 6) == 0) {
        const char *name = cond + 6, *value = strchr(name, ' ');
        unsigned f = sim_panel_field(name, value ? (size_t)(value - name) : strlen(name));

        if (f < UI_F_COUNT)
            return strcmp(m->field[f], value ? value + 1 : "") == 0;
    }
    return -1;
}

static void sim_panel_says(const sim_panel_t *p, int lineno, const char *cond)
{
    const ui_model_t *m = &p->ui.m;

    fprintf(stderr, "panel: line %d: \"%s\" does not hold: screen %s, status \"%s\"", lineno, cond,
            sim_screen_names[m->screen], m->status);
    if (m->screen == UI_SCR_RESULT)
        fprintf(stderr, ", result %s \"%s\" stage \"%s\" reply \"%s\" next \"%s\" rejected \"%s\"",
                m->result.ok ? "ok" : "failed", m->result.summary, m->result.stage, m->result.reply, m->result.next,
                m->result.rejected);
    if (m->screen == UI_SCR_KEYBOARD)
        fprintf(stderr, ", typed \"%s\"", m->kb.text);
    for (unsigned f = 0; f < UI_F_COUNT; f++) {
        size_t n = strlen(sim_field_names[f]);

        if (strncmp(cond, "field ", 6) == 0 && strncmp(cond + 6, sim_field_names[f], n) == 0 && cond[6 + n] == ' ')
            fprintf(stderr, ", %s is \"%s\"", sim_field_names[f], f == UI_F_PASSWORD || f == UI_F_SMTP_PASS || f == UI_F_LDAP_BIND_PW ? "(secret)" : m->field[f]);
    }
    fputc('\n', stderr);
}

static int sim_panel_line(sim_panel_t *p, char *line, const char *snapdir, int lineno)
{
    char *arg;
    size_t n = strlen(line);

    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    while (*line == ' ' || *line == '\t')
        line++;
    if (*line == '\0' || *line == '#')
        return 0;
    arg = strchr(line, ' ');
    if (arg != NULL)
        *arg++ = '\0';
    else
        arg = line + strlen(line);
    if (strcmp(line, "tap") == 0) {
        int x, y;

        if (sscanf(arg, "%d %d", &x, &y) != 2)
            goto bad;
        return sim_panel_tap(p, x, y);
    }
    if (strcmp(line, "press") == 0) {
        const ui_layout_t *l = &p->render.layout;

        for (size_t i = l->count; i-- > 0;)
            if (l->w[i].id != UI_ID_NONE && l->w[i].text != NULL && strcmp(l->w[i].text, arg) == 0)
                return sim_panel_tap(p, l->w[i].x + l->w[i].w / 2, l->w[i].y + l->w[i].h / 2);
        fprintf(stderr, "panel: line %d: no widget labelled \"%s\" on the %s screen\n", lineno, arg,
                sim_screen_names[p->ui.m.screen]);
        return -1;
    }
    if (strcmp(line, "field") == 0 || strcmp(line, "book") == 0) {
        /* field NAME: touch the field; book NAME: its Address Book button. */
        unsigned f = sim_panel_field(arg, strlen(arg));

        if (f == UI_F_COUNT)
            goto bad;
        return sim_panel_tap_id(p, (line[0] == 'f' ? UI_ID_FIELD : UI_ID_BOOK) + f, lineno);
    }
    if (strcmp(line, "clear") == 0) {
        /* Backspace until the keyboard's text is empty. */
        for (int i = 0; i <= UI_FIELD_MAX && p->ui.m.kb.len > 0; i++)
            if (sim_panel_event(p, &((ui_key_event_t){{UI_EV_KEY}, UI_KEY_BACKSPACE}).base) != 0)
                return -1;
        return 0;
    }
    if (strcmp(line, "type") == 0) {
        ui_text_event_t t = {{UI_EV_TEXT}, arg, strlen(arg)};

        return sim_panel_event(p, &t.base);
    }
    if (strcmp(line, "key") == 0) {
        static const struct {
            const char *name;
            ui_key_t key;
        } keys[] = {{"enter", UI_KEY_ENTER}, {"backspace", UI_KEY_BACKSPACE}, {"escape", UI_KEY_ESCAPE},
                    {"home", UI_KEY_HOME},   {"start", UI_KEY_START},         {"stop", UI_KEY_STOP},
                    {"reset", UI_KEY_RESET}};

        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            if (strcmp(arg, keys[i].name) == 0)
                return sim_panel_event(p, &((ui_key_event_t){{UI_EV_KEY}, keys[i].key}).base);
        goto bad;
    }
    if (strcmp(line, "wait") == 0) {
        uint32_t t0 = sim_panel_now(p), ms = (uint32_t)strtoul(arg, NULL, 10);

        do {
            if (sim_panel_frame(p) != 0)
                return -1;
        } while (sim_panel_now(p) - t0 < ms);
        return 0;
    }
    if (strcmp(line, "until") == 0) {
        /* until MS CONDITION: frames until it holds, failing after MS. */
        char *cond;
        uint32_t t0 = sim_panel_now(p), ms = (uint32_t)strtoul(arg, &cond, 10);
        int h;

        if (*cond++ != ' ')
            goto bad;
        while ((h = sim_panel_holds(p, cond)) == 0 && sim_panel_now(p) - t0 < ms)
            if (sim_panel_frame(p) != 0)
                return -1;
        if (h == 1)
            return 0;
        if (h < 0)
            goto bad;
        sim_panel_says(p, lineno, cond);
        return -1;
    }
    if (strcmp(line, "snap") == 0) {
        char path[4096];

        if (*arg == '\0' || strchr(arg, '/') != NULL)
            goto bad;
        snprintf(path, sizeof(path), "%s/%s", snapdir, arg);
        if (sim_display_write_png(&p->display, path) != 0) {
            fprintf(stderr, "panel: %s: %s\n", path, strerror(errno));
            return -1;
        }
        printf("snap %s (crc32 %08x)\n", path, (unsigned)sim_display_crc(&p->display));
        return 0;
    }
    if (strcmp(line, "expect") == 0) {
        int h = sim_panel_holds(p, arg);

        if (h == 1)
            return 0;
        if (h == 0) {
            sim_panel_says(p, lineno, arg);
            return -1;
        }
    }
bad:
    fprintf(stderr, "panel: line %d: cannot read \"%s %s\"\n", lineno, line, arg);
    return -1;
}

static int sim_panel_read_ca(sim_svc_t *v, const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    v->ca = malloc(SIM_CA_MAX);
    if (f == NULL || v->ca == NULL) {
        if (f != NULL)
            fclose(f);
        return -1;
    }
    n = fread(v->ca, 1, SIM_CA_MAX - 1, f);
    fclose(f);
    if (n == 0 || n == SIM_CA_MAX - 1)
        return -1;
    v->ca[n] = 0; /* Mbed TLS takes PEM with its NUL */
    v->ca_len = n + 1;
    return 0;
}

/* The window's way into the panel (sim_sdl.h). */
static int sim_panel_win_event(void *p, const ui_event_t *e) { return sim_panel_event(p, e); }
static int sim_panel_win_frame(void *p) { return sim_panel_frame(p); }

enum { SIM_PANEL_HEADLESS = SIM_OPT_NET_END, SIM_PANEL_SCRIPT, SIM_PANEL_SNAP, SIM_PANEL_BOOK, SIM_PANEL_STATS,
       SIM_PANEL_PAGES, SIM_PANEL_CA, SIM_PANEL_HELP };

static const char sim_panel_usage[] =
    "usage: mfp-sim panel --headless --script FILE [--snap DIR] [--state DIR] [--book N]\n"
    "                     [--pages N] [--ca FILE] [--stats] [network options]\n"
    "       mfp-sim panel [--state DIR] [--book N] [--pages N] [--ca FILE] [network options]\n"
    "Without --headless the panel opens a window: the mouse touches, the keyboard types,\n"
    "F1 Home, F2 Stop, F3 Reset, F4 Start.\n"
    "The address book and the settings live in --state DIR (default build/state);\n"
    "the network comes up at the first Start, Test or Find gateways.\n";

int sim_panel_main(int argc, char **argv)
{
    static const struct option opts[] = {SIM_NET_LONG_OPTIONS,
                                         {"headless", no_argument, NULL, SIM_PANEL_HEADLESS},
                                         {"script", required_argument, NULL, SIM_PANEL_SCRIPT},
                                         {"snap", required_argument, NULL, SIM_PANEL_SNAP},
                                         {"book", required_argument, NULL, SIM_PANEL_BOOK},
                                         {"stats", no_argument, NULL, SIM_PANEL_STATS},
                                         {"pages", required_argument, NULL, SIM_PANEL_PAGES},
                                         {"ca", required_argument, NULL, SIM_PANEL_CA},
                                         {"help", no_argument, NULL, SIM_PANEL_HELP},
                                         {NULL, 0, NULL, 0}};
    const char *script = NULL, *snapdir = ".", *ca = NULL;
    int headless = 0, stats = 0, c, rc = 1, lineno = 0;
    long book = 0, pages = 1;
    sim_panel_t *p = NULL;
    FILE *f = NULL;
    char line[4096];
    sim_sdl_t win;

    sim_sdl_init(&win);
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return 1;
    p->svc.net = (struct sim_net_opts){.net = "tap", .lab = "mfplab", .tap = "tap0"};
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int r = sim_net_option(&p->svc.net, c, optarg);

        if (r < 0) {
            fprintf(stderr, "panel: bad value for --%s: '%s'\n", opts[c - SIM_OPT_NET].name, optarg);
            rc = 2;
            goto exit;
        }
        if (r > 0)
            continue;
        switch (c) {
        case SIM_PANEL_HEADLESS: headless = 1; break;
        case SIM_PANEL_SCRIPT: script = optarg; break;
        case SIM_PANEL_SNAP: snapdir = optarg; break;
        case SIM_PANEL_BOOK: book = strtol(optarg, NULL, 10); break;
        case SIM_PANEL_PAGES: pages = strtol(optarg, NULL, 10); break;
        case SIM_PANEL_CA: ca = optarg; break;
        case SIM_PANEL_STATS: stats = 1; break;
        case SIM_PANEL_HELP: fputs(sim_panel_usage, stdout); rc = 0; goto exit;
        default: fputs(sim_panel_usage, stderr); rc = 2; goto exit;
        }
    }
    if (headless != (script != NULL)) {
        fprintf(stderr, "panel: --headless plays a --script FILE; without both the panel opens a window\n");
        rc = 2;
        goto exit;
    }
    if (book < 0 || book > AB_MAX_ENTRIES || pages < 1 || pages > SCAN_JOB_MAX_PAGES) {
        fprintf(stderr, "panel: --book 0..%d, --pages 1..%d\n", AB_MAX_ENTRIES, SCAN_JOB_MAX_PAGES);
        rc = 2;
        goto exit;
    }
    p->svc.pages = (unsigned)pages;
    if (ca != NULL && sim_panel_read_ca(&p->svc, ca) != 0) {
        fprintf(stderr, "panel: --ca %s: cannot read it (64 KiB at most)\n", ca);
        goto exit;
    }
    if (p->svc.net.state_dir == NULL && sim_state_default(&p->svc.net) != 0) {
        fprintf(stderr, "panel: cannot find the executable's folder: use --state DIR\n");
        goto exit;
    }
    if (!headless && sim_sdl_open(&win, UI_SCREEN_W, UI_SCREEN_H) != 0) {
        fprintf(stderr, "panel: %s\npanel: without a display, run it headless: "
                        "mfp-sim panel --headless --script FILE [--snap DIR]\n", win.error);
        rc = 2;
        goto exit;
    }
    if (headless && (f = fopen(script, "r")) == NULL) {
        fprintf(stderr, "panel: %s: %s\n", script, strerror(errno));
        goto exit;
    }
    if (sim_svc_init(&p->svc) != 0 || sim_svc_fill(&p->svc, book) != 0)
        goto exit;
    p->start_ms = hal_clock_now_ms(&sim_board.clock);
    sim_display_init(&p->display, p->fb, UI_SCREEN_W, UI_SCREEN_H);
    p->hal.api = &sim_display_api;
    p->hal.ctx = &p->display;
    ui_init(&p->ui, &(ui_services_t){&sim_svc_api, &p->svc}, 0);
    if (ui_render_init(&p->render, &p->hal, p->band, sizeof(p->band) / sizeof(p->band[0])) != 0 ||
        ui_render_frame(&p->render, &p->ui.m) != 0)
        goto exit;
    if (!headless &&
        sim_sdl_run(&win, &p->display, &(sim_sdl_panel_t){sim_panel_win_event, sim_panel_win_frame, p}) != 0) {
        fprintf(stderr, "panel: %s\n", win.error);
        goto exit;
    }
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        if (sim_panel_line(p, line, snapdir, lineno) != 0)
            goto exit;
    }
    if (stats)
        printf("panel: %d lines, %llu events, %u frames, %llu pixels drawn, ui_t %zu bytes, renderer %zu bytes, "
               "address book %zu bytes (%zu entries)\n",
               lineno, (unsigned long long)p->events, (unsigned)p->render.stats.frames,
               (unsigned long long)p->render.stats.pixels_total, sizeof(ui_t), sizeof(ui_render_t), ab_book_ram(),
               ab_book_count(p->svc.book));
    rc = 0;
exit:
    if (f != NULL)
        fclose(f);
    ui_free(&p->ui);
    sim_sdl_free(&win);
    sim_svc_free(&p->svc);
    free(p);
    return rc;
}
