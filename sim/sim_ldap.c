/* mfp-sim ldap (sim_ldap.h). */
#include "sim_ldap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_ldap.h"
#include "mbedtls/platform_util.h"
#include "sim_board.h"
#include "sim_json.h"
#include "sim_sys.h"

#define SIM_LDAP_CA_MAX (64 * 1024)
#define SIM_LDAP_ATTRS_MAX LDAP_FILTER_ATTRS_MAX
#define SIM_LDAP_KEYS_MAX LDAP_PREFIX_MAX
/* Longest idle wait between loop turns: keeps the timings to a few ms. */
#define SIM_LDAP_IDLE_MS 2

static const char sim_ldap_usage[] =
    "usage: mfp-sim ldap search PREFIX | test | signin USER | type TEXT  [OPTIONS]\n"
    "\n"
    "  search PREFIX          the directory's autocomplete suggestions for PREFIX\n"
    "  test                   LDAP Test: connect, TLS, bind, search one entry; says what it\n"
    "                         found, or the stage that failed, the server's answer and what\n"
    "                         to do\n"
    "  signin USER            Sign in: find USER, bind as it (--password-file); prints the\n"
    "                         user's mail and display name\n"
    "  type TEXT              types TEXT into autocomplete one character at a time and prints\n"
    "                         per keystroke: requests, LDAP bytes, wire bytes, ms to the\n"
    "                         first suggestion and to the final list\n"
    "\n"
    "Settings (defaults reach the lab):\n"
    "  --server HOST          IPv4 address or name (default ldap.example.test)\n"
    "  --port N               default 389, 636 with --tls ldaps\n"
    "  --tls none|starttls|ldaps  default starttls (verified; never falls back)\n"
    "  --ca FILE              CA certificate(s) to trust (PEM or DER)\n"
    "  --insecure             accept any certificate (insecure)\n"
    "  --allow-cleartext      allow password binds without TLS (insecure)\n"
    "  --bind-dn DN           service account (default: anonymous)\n"
    "  --bind-password-file F its password, first line of F (or $MFP_LDAP_BIND_PASSWORD)\n"
    "  --base DN              default dc=example,dc=test\n"
    "  --attrs A,B,...        attributes the prefix is matched against (default cn,\n"
    "                         displayName,mail,sn,givenName)\n"
    "  --name-attr A          default displayName;  --mail-attr A  default mail\n"
    "  --login-attr A         sign-in lookup: uid (default), sAMAccountName or mail\n"
    "  --max N                most suggestions (1..10, default 10)\n"
    "  --timeout S            seconds per stage and operation (default 10; e.g. 2 or 1.5)\n"
    "  --password-file F      signin: the user's password, first line of F (or\n"
    "                         $MFP_LDAP_PASSWORD)\n"
    "  --debounce MS          type: quiet time before a search (default 150)\n"
    "  --interval MS          type: time between keys (default: the next key once the\n"
    "                         list for the previous one is final)\n"
    "plus the network options of every command (mfp-sim --help), --json among them.\n";

enum {
    SIM_LDAP_OPT_SERVER = SIM_OPT_NET_END, SIM_LDAP_OPT_PORT, SIM_LDAP_OPT_TLS, SIM_LDAP_OPT_CA,
    SIM_LDAP_OPT_INSECURE, SIM_LDAP_OPT_CLEARTEXT, SIM_LDAP_OPT_BIND_DN, SIM_LDAP_OPT_BIND_PW,
    SIM_LDAP_OPT_BASE, SIM_LDAP_OPT_ATTRS, SIM_LDAP_OPT_NAME, SIM_LDAP_OPT_MAIL,
    SIM_LDAP_OPT_LOGIN, SIM_LDAP_OPT_MAX, SIM_LDAP_OPT_TIMEOUT, SIM_LDAP_OPT_PASSWORD,
    SIM_LDAP_OPT_DEBOUNCE, SIM_LDAP_OPT_INTERVAL, SIM_LDAP_OPT_HELP
};

static const struct option sim_ldap_options[] = {
    SIM_NET_LONG_OPTIONS,
    {"server", required_argument, 0, SIM_LDAP_OPT_SERVER},
    {"port", required_argument, 0, SIM_LDAP_OPT_PORT},
    {"tls", required_argument, 0, SIM_LDAP_OPT_TLS},
    {"ca", required_argument, 0, SIM_LDAP_OPT_CA},
    {"insecure", no_argument, 0, SIM_LDAP_OPT_INSECURE},
    {"allow-cleartext", no_argument, 0, SIM_LDAP_OPT_CLEARTEXT},
    {"bind-dn", required_argument, 0, SIM_LDAP_OPT_BIND_DN},
    {"bind-password-file", required_argument, 0, SIM_LDAP_OPT_BIND_PW},
    {"base", required_argument, 0, SIM_LDAP_OPT_BASE},
    {"attrs", required_argument, 0, SIM_LDAP_OPT_ATTRS},
    {"name-attr", required_argument, 0, SIM_LDAP_OPT_NAME},
    {"mail-attr", required_argument, 0, SIM_LDAP_OPT_MAIL},
    {"login-attr", required_argument, 0, SIM_LDAP_OPT_LOGIN},
    {"max", required_argument, 0, SIM_LDAP_OPT_MAX},
    {"timeout", required_argument, 0, SIM_LDAP_OPT_TIMEOUT},
    {"password-file", required_argument, 0, SIM_LDAP_OPT_PASSWORD},
    {"debounce", required_argument, 0, SIM_LDAP_OPT_DEBOUNCE},
    {"interval", required_argument, 0, SIM_LDAP_OPT_INTERVAL},
    {"help", no_argument, 0, SIM_LDAP_OPT_HELP},
    {0, 0, 0, 0}};

/* Everything one command holds (static: fw_ldap_t is large). */
static struct {
    struct sim_net_opts o;
    fw_ldap_config_t cfg;
    fw_ldap_t l;
    uint8_t ca[SIM_LDAP_CA_MAX];
    char bind_pw[LDAP_VALUE_MAX];
    char password[LDAP_VALUE_MAX];
    char attr_buf[256];
    const char *attrs[SIM_LDAP_ATTRS_MAX];
    uint32_t interval_ms;
} sim_ldap;

static int sim_ldap_secret(const char *file, const char *env, char *buf, size_t cap);
static int sim_ldap_attrs(char *list);
static void sim_ldap_loop(fw_ldap_t *l, int (*until)(const fw_ldap_t *l));
static int sim_ldap_until_ready(const fw_ldap_t *l);
static int sim_ldap_report(const char *cmd);
static int sim_ldap_type(const char *text);
static void sim_ldap_wipe(void);

int sim_ldap_main(int argc, char **argv)
{
    struct sim_net_opts *o = &sim_ldap.o;
    fw_ldap_config_t *cfg = &sim_ldap.cfg;
    fw_ldap_env_t env;
    const char *pw_file = NULL, *bind_pw_file = NULL, *cmd, *arg = NULL;
    char why[FW_LDAP_MSG_MAX];
    int opt, rc;

    memset(&sim_ldap, 0, sizeof(sim_ldap));
    o->net = "tap";
    o->lab = "mfplab";
    o->tap = "tap0";
    cfg->server = "ldap.example.test";
    cfg->tls = LDAP_TLS_STARTTLS;
    cfg->base_dn = "dc=example,dc=test";
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", sim_ldap_options, NULL)) != -1) {
        int r = sim_net_option(o, opt, optarg);
        char *end;
        if (r < 0)
            return sim_fail(o, "validate", "bad network option (see mfp-sim --help)");
        if (r > 0)
            continue;
        switch (opt) {
        case SIM_LDAP_OPT_SERVER: cfg->server = optarg; break;
        case SIM_LDAP_OPT_PORT: {
            long p = strtol(optarg, &end, 10);
            if (*end || p < 1 || p > 65535)
                return sim_fail(o, "validate", "--port: give 1 to 65535");
            cfg->port = (uint16_t)p;
            break;
        }
        case SIM_LDAP_OPT_TLS:
            if (!strcmp(optarg, "none"))
                cfg->tls = LDAP_TLS_NONE;
            else if (!strcmp(optarg, "starttls"))
                cfg->tls = LDAP_TLS_STARTTLS;
            else if (!strcmp(optarg, "ldaps"))
                cfg->tls = LDAP_TLS_LDAPS;
            else
                return sim_fail(o, "validate", "--tls: give none, starttls or ldaps");
            break;
        case SIM_LDAP_OPT_CA:
            if (sim_read_file(optarg, sim_ldap.ca, sizeof(sim_ldap.ca), &cfg->ca_len) != 0)
                return sim_fail(o, "validate", "--ca: cannot read that file (64 KiB at most)");
            cfg->ca = sim_ldap.ca;
            break;
        case SIM_LDAP_OPT_INSECURE: cfg->insecure = 1; break;
        case SIM_LDAP_OPT_CLEARTEXT: cfg->allow_cleartext = 1; break;
        case SIM_LDAP_OPT_BIND_DN: cfg->bind_dn = optarg; break;
        case SIM_LDAP_OPT_BIND_PW: bind_pw_file = optarg; break;
        case SIM_LDAP_OPT_BASE: cfg->base_dn = optarg; break;
        case SIM_LDAP_OPT_ATTRS:
            if (sim_ldap_attrs(optarg) != 0)
                return sim_fail(o, "validate", "--attrs: give 1 to 8 attribute names, comma-separated");
            break;
        case SIM_LDAP_OPT_NAME: cfg->name_attr = optarg; break;
        case SIM_LDAP_OPT_MAIL: cfg->mail_attr = optarg; break;
        case SIM_LDAP_OPT_LOGIN: cfg->login_attr = optarg; break;
        case SIM_LDAP_OPT_MAX: {
            long m = strtol(optarg, &end, 10);
            if (*end || m < 1 || m > LDAP_COMPLETE_MAX)
                return sim_fail(o, "validate", "--max: give 1 to 10");
            cfg->max_results = (uint32_t)m;
            break;
        }
        case SIM_LDAP_OPT_TIMEOUT: {
            double s = strtod(optarg, &end);
            if (*end || s * 1000 < FW_LDAP_TIMEOUT_MIN_MS || s * 1000 > FW_LDAP_TIMEOUT_MAX_MS)
                return sim_fail(o, "validate", "--timeout: give 0.5 to 300 seconds");
            cfg->timeout_ms = (uint32_t)(s * 1000);
            break;
        }
        case SIM_LDAP_OPT_PASSWORD: pw_file = optarg; break;
        case SIM_LDAP_OPT_DEBOUNCE: {
            long d = strtol(optarg, &end, 10);
            if (*end || d < 1 || d > 5000)
                return sim_fail(o, "validate", "--debounce: give 1 to 5000 ms");
            cfg->debounce_ms = (uint32_t)d;
            break;
        }
        case SIM_LDAP_OPT_INTERVAL: {
            long d = strtol(optarg, &end, 10);
            if (*end || d < 1 || d > 60000)
                return sim_fail(o, "validate", "--interval: give 1 to 60000 ms");
            sim_ldap.interval_ms = (uint32_t)d;
            break;
        }
        case SIM_LDAP_OPT_HELP: fputs(sim_ldap_usage, stdout); return 0;
        default: fputs(sim_ldap_usage, stderr); return 2;
        }
    }
    if (optind >= argc) {
        fputs(sim_ldap_usage, stderr);
        return 2;
    }
    cmd = argv[optind];
    if (!strcmp(cmd, "search") || !strcmp(cmd, "signin") || !strcmp(cmd, "type")) {
        if (optind + 1 >= argc)
            return sim_fail(o, "validate", "this command needs an argument (see mfp-sim ldap --help)");
        arg = argv[optind + 1];
    } else if (strcmp(cmd, "test")) {
        fprintf(stderr, "mfp-sim ldap: unknown command '%s'\n\n%s", cmd, sim_ldap_usage);
        return 2;
    }
    if (bind_pw_file || getenv("MFP_LDAP_BIND_PASSWORD")) {
        if (sim_ldap_secret(bind_pw_file, "MFP_LDAP_BIND_PASSWORD", sim_ldap.bind_pw,
                            sizeof(sim_ldap.bind_pw)) != 0)
            return sim_fail(o, "validate", "--bind-password-file: cannot read that file");
        cfg->bind_password = sim_ldap.bind_pw;
    }
    if (!strcmp(cmd, "signin") && sim_ldap_secret(pw_file, "MFP_LDAP_PASSWORD", sim_ldap.password,
                                                  sizeof(sim_ldap.password)) != 0) {
        sim_ldap_wipe();
        return sim_fail(o, "validate", "signin needs --password-file FILE or $MFP_LDAP_PASSWORD");
    }
    if (fw_ldap_config_check(cfg, why, sizeof(why)) != 0) {
        sim_ldap_wipe();
        return sim_fail(o, "settings", why);
    }
    sim_clock_init(&sim_board.clock);
    sim_rng_init(&sim_board.rng);
    if ((rc = sim_net_up(o)) != 0) {
        sim_ldap_wipe();
        return rc;
    }
    env.clock = &sim_board.clock;
    env.net = &sim_board.net;
    env.rng = &sim_board.rng;
    if (!strcmp(cmd, "type")) {
        rc = fw_ldap_complete_start(&sim_ldap.l, cfg, &env);
        rc = rc == 0 ? sim_ldap_type(arg) : sim_ldap_report(cmd);
    } else {
        if (!strcmp(cmd, "search"))
            fw_ldap_search_start(&sim_ldap.l, cfg, &env, arg);
        else if (!strcmp(cmd, "test"))
            fw_ldap_test_start(&sim_ldap.l, cfg, &env);
        else
            fw_ldap_signin_start(&sim_ldap.l, cfg, &env, arg, sim_ldap.password);
        sim_ldap_loop(&sim_ldap.l, fw_ldap_finished);
        mbedtls_platform_zeroize(sim_ldap.password, sizeof(sim_ldap.password));
        rc = sim_ldap_report(cmd);
    }
    fw_ldap_free(&sim_ldap.l);
    /* Let the UnbindRequest and the FIN go out. */
    for (uint32_t t0 = hal_clock_now_ms(&sim_board.clock);
         hal_clock_now_ms(&sim_board.clock) - t0 < 50;) {
        fw_net_poll(&sim_board.net);
        hal_netif_wait(sim_board.net.hal, SIM_LDAP_IDLE_MS);
    }
    sim_net_down();
    sim_ldap_wipe();
    return rc;
}

/* The first line of file (or $env when no file) into buf. */
static int sim_ldap_secret(const char *file, const char *env, char *buf, size_t cap)
{
    size_t len;
    const char *v;

    if (file) {
        if (sim_read_file(file, (uint8_t *)buf, cap, &len) != 0)
            return -1;
        buf[strcspn(buf, "\r\n")] = '\0';
        return buf[0] ? 0 : -1;
    }
    v = getenv(env);
    if (!v || !v[0] || strlen(v) >= cap)
        return -1;
    snprintf(buf, cap, "%s", v);
    return 0;
}

static int sim_ldap_attrs(char *list)
{
    size_t n = 0;
    char *save = NULL;

    if (strlen(list) >= sizeof(sim_ldap.attr_buf))
        return -1;
    strcpy(sim_ldap.attr_buf, list);
    for (char *a = strtok_r(sim_ldap.attr_buf, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
        if (n >= SIM_LDAP_ATTRS_MAX)
            return -1;
        sim_ldap.attrs[n++] = a;
    }
    if (n == 0)
        return -1;
    sim_ldap.cfg.search_attrs = sim_ldap.attrs;
    sim_ldap.cfg.search_attr_count = n;
    return 0;
}

/* The super-loop, until until(l) or the operation ends. */
static void sim_ldap_loop(fw_ldap_t *l, int (*until)(const fw_ldap_t *l))
{
    while (!until(l) && !fw_ldap_finished(l)) {
        uint32_t ms;
        fw_net_poll(&sim_board.net);
        if (fw_ldap_step(l))
            continue;
        ms = fw_net_idle_ms(&sim_board.net);
        hal_netif_wait(sim_board.net.hal, ms < SIM_LDAP_IDLE_MS ? ms : SIM_LDAP_IDLE_MS);
    }
}

static int sim_ldap_until_ready(const fw_ldap_t *l)
{
    return fw_ldap_ready(l);
}

static int sim_ldap_report(const char *cmd)
{
    const fw_ldap_result_t *r = &sim_ldap.l.result;
    const struct sim_net_opts *o = &sim_ldap.o;

    if (o->json) {
        sim_json_t j;
        sim_json_begin(&j, stdout);
        sim_json_bool(&j, "ok", r->ok);
        sim_json_str(&j, "command", cmd);
        sim_json_str(&j, "stage", fw_ldap_stage_name(r->stage));
        sim_json_int(&j, "error", r->error);
        sim_json_int(&j, "result_code", r->result_code);
        sim_json_str(&j, "diagnostic", r->diag);
        sim_json_str(&j, "message", r->message);
        sim_json_str(&j, "hint", r->hint);
        sim_json_str(&j, "tls_version", r->tls_version);
        sim_json_str(&j, "tls_ciphersuite", r->tls_ciphersuite);
        sim_json_int(&j, "connect_ms", r->connect_ms);
        sim_json_int(&j, "total_ms", r->total_ms);
        sim_json_int(&j, "bytes_out", (long long)sim_ldap.l.client.stats.bytes_out);
        sim_json_int(&j, "bytes_in", (long long)sim_ldap.l.client.stats.bytes_in);
        sim_json_int(&j, "requests", sim_ldap.l.client.stats.requests);
        if (!strcmp(cmd, "search")) {
            sim_json_bool(&j, "partial", r->partial);
            sim_json_array(&j, "suggestions");
            for (size_t i = 0; i < r->count; i++) {
                sim_json_object(&j, NULL);
                sim_json_str(&j, "name", r->suggestions[i].name);
                sim_json_str(&j, "mail", r->suggestions[i].mail);
                sim_json_close(&j);
            }
            sim_json_close(&j);
        } else if (r->ok) {
            sim_json_str(&j, "dn", r->dn);
            sim_json_str(&j, "name", r->name);
            sim_json_str(&j, "mail", r->mail);
        }
        sim_json_end(&j);
    } else if (r->ok) {
        if (!strcmp(cmd, "search"))
            for (size_t i = 0; i < r->count; i++)
                printf("%s <%s>\n", r->suggestions[i].name, r->suggestions[i].mail);
        printf("%s%s: %s%s%s (%u ms)\n", !strcmp(cmd, "test") ? "LDAP Test OK" : cmd,
               "", r->message, r->tls_version[0] ? ", " : "", r->tls_version, (unsigned)r->total_ms);
    }
    if (!r->ok) {
        fprintf(stderr, "mfp-sim: %s failed at %s: %s\n", cmd, fw_ldap_stage_name(r->stage),
                r->message);
        if (r->hint[0])
            fprintf(stderr, "mfp-sim: what to do: %s\n", r->hint);
    }
    return r->ok ? 0 : 1;
}

/* Types text one character (code point) at a time. */
static int sim_ldap_type(const char *text)
{
    fw_ldap_t *l = &sim_ldap.l;
    const struct sim_net_opts *o = &sim_ldap.o;
    size_t len = strlen(text), n = 0;
    sim_json_t j;
    int failed = 0;

    sim_ldap_loop(l, sim_ldap_until_ready);
    if (!fw_ldap_ready(l))
        return sim_ldap_report("type");
    if (o->json) {
        sim_json_begin(&j, stdout);
        sim_json_int(&j, "connect_ms", l->result.connect_ms);
        sim_json_str(&j, "tls_version", l->result.tls_version);
        sim_json_array(&j, "keys");
    } else {
        printf("connected and bound in %u ms%s%s\n", (unsigned)l->result.connect_ms,
               l->result.tls_version[0] ? ", " : "", l->result.tls_version);
        printf("%-20s %-10s %4s %4s %7s %7s %8s %8s %8s  %s\n", "text", "state", "sugg", "req",
               "ldapout", "ldapin", "wire", "first_ms", "final_ms", "first suggestion");
    }
    while (n < len) {
        ldap_stats_t s0 = l->client.stats;
        uint64_t w0 = sim_board.net.bytes_in + sim_board.net.bytes_out;
        uint32_t srch0 = l->ac.stats.searches, t0, first = 0, final = 0, now;
        ab_suggestion_t sg[LDAP_COMPLETE_MAX];
        size_t count;
        ldap_complete_state_t st;
        int have_first = 0;

        do /* one UTF-8 character */
            n++;
        while (n < len && ((unsigned char)text[n] & 0xC0) == 0x80);
        t0 = hal_clock_now_ms(&sim_board.clock);
        if (fw_ldap_input(l, text, n) != 0)
            failed = 1;
        for (;;) {
            fw_net_poll(&sim_board.net);
            fw_ldap_step(l);
            now = hal_clock_now_ms(&sim_board.clock);
            st = ldap_complete_state(&l->ac);
            count = fw_ldap_suggestions(l, sg, LDAP_COMPLETE_MAX);
            if (!have_first && count > 0) {
                have_first = 1;
                first = now - t0;
            }
            if (st != LDAP_COMPLETE_WAITING && st != LDAP_COMPLETE_SEARCHING) {
                final = now - t0;
                if (!sim_ldap.interval_ms || now - t0 >= sim_ldap.interval_ms)
                    break;
            } else if (sim_ldap.interval_ms && now - t0 >= sim_ldap.interval_ms) {
                final = 0; /* the next key comes before the list is final */
                break;
            }
            hal_netif_wait(sim_board.net.hal, SIM_LDAP_IDLE_MS);
        }
        if (st == LDAP_COMPLETE_ERROR)
            failed = 1;
        {
            uint32_t req = l->client.stats.requests - s0.requests;
            unsigned long long out = l->client.stats.bytes_out - s0.bytes_out;
            unsigned long long in = l->client.stats.bytes_in - s0.bytes_in;
            unsigned long long wire = sim_board.net.bytes_in + sim_board.net.bytes_out - w0;
            char shown[LDAP_PREFIX_MAX + 1];
            snprintf(shown, sizeof(shown), "%.*s", (int)n, text);
            if (o->json) {
                sim_json_object(&j, NULL);
                sim_json_str(&j, "text", shown);
                sim_json_str(&j, "state", ldap_complete_state_name(st));
                sim_json_int(&j, "suggestions", (long long)count);
                sim_json_int(&j, "searches", l->ac.stats.searches - srch0);
                sim_json_int(&j, "requests", req);
                sim_json_int(&j, "ldap_bytes_out", (long long)out);
                sim_json_int(&j, "ldap_bytes_in", (long long)in);
                sim_json_int(&j, "wire_bytes", (long long)wire);
                sim_json_int(&j, "first_ms", have_first ? (long long)first : -1);
                sim_json_int(&j, "final_ms", final);
                sim_json_str(&j, "first", count ? sg[0].mail : "");
                if (st == LDAP_COMPLETE_ERROR)
                    sim_json_str(&j, "error", ldap_complete_message(&l->ac));
                sim_json_close(&j);
            } else {
                printf("%-20s %-10s %4zu %4u %7llu %7llu %8llu %8d %8u  %s%s%s\n", shown,
                       ldap_complete_state_name(st), count, (unsigned)req, out, in, wire,
                       have_first ? (int)first : -1, (unsigned)final,
                       count ? ab_suggestion_label(&sg[0]) : "", count ? " " : "",
                       count ? sg[0].mail : "");
                if (st == LDAP_COMPLETE_ERROR)
                    printf("  error: %s\n", ldap_complete_message(&l->ac));
            }
        }
    }
    if (o->json) {
        sim_json_close(&j);
        sim_json_int(&j, "cache_hits", l->ac.stats.cache_hits);
        sim_json_int(&j, "local_hits", l->ac.stats.local_hits);
        sim_json_int(&j, "abandons", l->ac.stats.abandons);
        sim_json_bool(&j, "ok", !failed);
        sim_json_end(&j);
    }
    return failed;
}

static void sim_ldap_wipe(void)
{
    mbedtls_platform_zeroize(sim_ldap.bind_pw, sizeof(sim_ldap.bind_pw));
    mbedtls_platform_zeroize(sim_ldap.password, sizeof(sim_ldap.password));
}
