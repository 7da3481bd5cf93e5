/* mfp-sim: the service menu of the simulated MFP. Runs the firmware's code
 * (job manager, lwIP, SMTP) on Linux with simulator HAL backends. */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw_find.h"
#include "fw_job.h"
#include "fw_joblog.h"
#include "fw_journal.h"
#include "fw_loop.h"
#include "fw_net.h"
#include "fw_settings.h"
#include "sim_netif_slirp.h"
#include "sim_panel.h"
#include "sim_netif_tap.h"
#include "sim_pcap.h"
#include "scan_sizes.h"
#include "sim_scan_input.h"
#include "sim_scanner.h"
#include "sim_storage.h"
#include "sim_sys.h"
#include "sim_json.h"
#include "sim_board.h"
#include "sim_ldap.h"


static volatile sig_atomic_t sim_stop_requested;

static void sim_on_signal(int sig)
{
    (void)sig;
    sim_stop_requested = 1;
}

static const char sim_usage[] =
    "usage: mfp-sim [--help] COMMAND [OPTIONS]\n"
    "\n"
    "The service menu of the simulated scan-to-email MFP.\n"
    "\n"
    "Commands:\n"
    "  send      scan pages and e-mail them through the SMTP gateway\n"
    "  panel     the touchscreen: --headless --script FILE --snap DIR (see --help)\n"
    "  gateway find  Find gateways: DNS (SRV _submission/_submissions, MX, smtp./mail.\n"
    "            names) for --domain (default: the From's domain and the DHCP domain), each\n"
    "            candidate probed; --subnet also probes ports 25, 587 and 465 on the\n"
    "            device's own subnet (at most its /24, rate-limited, 30 s at most)\n"
    "  gateway test  the E-mail Setup Test: connect, greeting, EHLO, TLS with verification,\n"
    "            sign-in when configured, QUIT; says what the gateway offers (takes send's\n"
    "            gateway, TLS and sign-in options)\n"
    "  log       the job log: the last jobs' results with the gateway's reply\n"
    "  queue list    the jobs queued in the state directory (waiting to retry, or cut off\n"
    "            by a power cut or --no-wait)\n"
    "  queue run     resumes every queued job with send's gateway, TLS, sign-in and retry\n"
    "            options, at the time its retry schedule says (--now: at once); e-mails the\n"
    "            gateway already accepted are not sent again\n"
    "  ldap search PREFIX | test | signin USER | type TEXT   the directory (see ldap --help)\n"
    "\n"
    "Network options (every command that uses the network):\n"
    "  --net tap|slirp        tap: the lab's namespace, DHCP and DNS from the lab (default,\n"
    "                         needs root and sim/lab/up); slirp: rootless, only --forward\n"
    "                         rules leave the process\n"
    "  --lab NAME             lab network namespace (default mfplab)\n"
    "  --tap NAME             tap device inside the lab (default tap0)\n"
    "  --forward G:P=127.0.0.1:HP   slirp: the firmware's connections to G:P reach the host's\n"
    "                         loopback port HP (repeatable)\n"
    "  --resolve NAME=ADDR    pin a host name to an IPv4 address (repeatable; slirp has no DNS)\n"
    "  --mac XX:XX:XX:XX:XX:XX  the device's MAC address (several simulators on one lab)\n"
    "  --pcap FILE            write every Ethernet frame to FILE (pcap, opens in Wireshark)\n"
    "  --state DIR            simulated flash (spool) directory (default: build/state beside\n"
    "                         the executable)\n"
    "  --json                 machine-readable result on stdout\n"
    "\n"
    "Exit status: 0 only on success. Run 'mfp-sim COMMAND --help' for a command's options.\n";

static const char sim_send_usage[] =
    "usage: mfp-sim send --to ADDR[,ADDR...] [OPTIONS]\n"
    "\n"
    "Scans pages from the simulated scanner, encodes them and e-mails them through the\n"
    "SMTP gateway, running the firmware's super-loop headless.\n"
    "\n"
    "  --from ADDR            sender address (default: the settings' default From)\n"
    "  --from-name NAME       sender display name (default: the settings')\n"
    "  --fixed-from ADDR      the administrator's fixed From (\"prevent the user from changing\n"
    "                         From\"): envelope and From are ADDR, --from goes to Reply-To\n"
    "  --to LIST              recipients, comma separated (repeatable; at least one)\n"
    "  --cc LIST              copy recipients\n"
    "  --bcc LIST             blind copy recipients (never in the headers)\n"
    "  --subject TEXT         subject (default: the settings' default subject)\n"
    "  --message TEXT         message text\n"
    "  --file-name NAME       attachment base name (default scan; the extension is added)\n"
    "  --type jpeg|pdf|tiff|mtiff  file type (default pdf): jpeg and tiff give one file per\n"
    "                         page, pdf and mtiff one multi-page file per e-mail\n"
    "  --pages N              sheets in the feeder (default 1)\n"
    "  --input FILE[,FILE]    scan these PNG or PNM images instead of the test chart, one\n"
    "                         page each, fitted to the original size\n"
    "  --dpi N                resolution: 75, 150, 200, 300, 400 or 600 (default 300)\n"
    "  --color color|grey|bw  colour mode (default color); bw makes CCITT G4 pages\n"
    "  --darkness N           black and white: -3 (lighter) .. 3 (darker), default 0\n"
    "  --halftone             black and white: error diffusion instead of a threshold\n"
    "  --size NAME            original size: a4, a5, letter, legal, executive (default a4)\n"
    "  --duplex               both sides of each sheet (feeder)\n"
    "  --flatbed              one page from the glass instead of the feeder\n"
    "  --quality N            JPEG quality 1..100, or low|medium|high (default 85)\n"
    "  --max-attachment N     maximum attachment bytes per e-mail (K and M suffixes; default\n"
    "                         from the settings, 0: none); larger scans are split into e-mails\n"
    "  --gateway HOST[:PORT][/TLS]  SMTP gateway, IPv4 address or name (default: the\n"
    "                         settings', mail.example.test:25); repeat it for backups, tried\n"
    "                         in order when one cannot be reached or answers 421; a backup's\n"
    "                         /none, /starttls or /implicit gives it its own TLS mode (and\n"
    "                         the --user sign-in only over TLS)\n"
    "  --ehlo NAME            EHLO name (default: host name + DHCP domain, else the\n"
    "                         device's address literal)\n"
    "  --tls none|starttls|implicit  TLS to the gateway (starttls: required, never falls back\n"
    "                         to cleartext; implicit: port 465); the port defaults to 587/465\n"
    "  --ca FILE              CA certificates (PEM) the gateway's certificate must chain to\n"
    "  --insecure             accept a certificate that does not verify (reported, insecure)\n"
    "  --user NAME            sign in to the gateway as NAME (only over TLS)\n"
    "  --password-file FILE   the password, first line of FILE (or $MFP_SMTP_PASSWORD);\n"
    "                         never on the command line, never in any output\n"
    "  --auth MECH            force scram-sha-256, cram-md5, plain or login (default: the\n"
    "                         strongest both sides offer)\n"
    "  --allow-cleartext-auth sign in even without TLS (insecure; off by default)\n"
    "  --retry LIST|none      waits before each new session for recipients the gateway\n"
    "                         deferred (4xx, greylisting, a dropped link), e.g. 6s,10s,30s\n"
    "                         (s, m or h; default 1m,2m,5m,10m,30m), then give up\n"
    "  --no-wait              return once the job is queued (scanned, packed, journaled);\n"
    "                         'mfp-sim queue run' sends it\n"
    "  --rcpt-max N           recipients per transaction (default: as many as the gateway\n"
    "                         takes; 452 replies move the rest to further transactions)\n"
    "  --jam-at N             simulator fault: paper jam when feeding sheet N\n"
    "  --cover-open-at N      simulator fault: the cover is open when feeding sheet N\n"
    "  --stall-at N           simulator fault: the feed stalls halfway through sheet N\n"
    "  --keep-spool           keep the spooled pages in the state directory after the job\n"
    "\n"
    "Exit status: 0 when the gateway accepted the message for every recipient; 3 when it\n"
    "was accepted but some recipients were refused; 4 when the job is queued (--no-wait);\n"
    "1 on failure; 2 on a usage error.\n"
    "\n"
    "Plus the network options of 'mfp-sim --help'.\n";

enum {
    OPT_FROM = SIM_OPT_NET_END, OPT_FROM_NAME, OPT_TO, OPT_CC, OPT_BCC, OPT_SUBJECT, OPT_MESSAGE,
    OPT_FILE_NAME, OPT_TYPE, OPT_PAGES, OPT_DPI, OPT_COLOR, OPT_QUALITY, OPT_GATEWAY, OPT_EHLO,
    OPT_JAM_AT, OPT_KEEP_SPOOL, OPT_INPUT, OPT_DARKNESS, OPT_HALFTONE, OPT_SIZE, OPT_DUPLEX,
    OPT_FLATBED, OPT_MAX_ATTACHMENT, OPT_COVER_AT, OPT_STALL_AT, OPT_TLS, OPT_CA, OPT_INSECURE,
    OPT_USER, OPT_PASSWORD_FILE, OPT_AUTH, OPT_CLEARTEXT_AUTH, OPT_RCPT_MAX, OPT_RETRY, OPT_NO_WAIT, OPT_NOW, OPT_SUBNET,
    OPT_FIXED_FROM,
    OPT_DOMAIN, OPT_HELP
};

static const struct option sim_send_options[] = {
    SIM_NET_LONG_OPTIONS,                         {"from", required_argument, 0, OPT_FROM},
    {"from-name", required_argument, 0, OPT_FROM_NAME}, {"to", required_argument, 0, OPT_TO},
    {"cc", required_argument, 0, OPT_CC},         {"bcc", required_argument, 0, OPT_BCC},
    {"subject", required_argument, 0, OPT_SUBJECT}, {"message", required_argument, 0, OPT_MESSAGE},
    {"file-name", required_argument, 0, OPT_FILE_NAME}, {"type", required_argument, 0, OPT_TYPE},
    {"pages", required_argument, 0, OPT_PAGES},   {"dpi", required_argument, 0, OPT_DPI},
    {"color", required_argument, 0, OPT_COLOR},   {"quality", required_argument, 0, OPT_QUALITY},
    {"gateway", required_argument, 0, OPT_GATEWAY}, {"ehlo", required_argument, 0, OPT_EHLO},
    {"jam-at", required_argument, 0, OPT_JAM_AT}, {"keep-spool", no_argument, 0, OPT_KEEP_SPOOL},
    {"input", required_argument, 0, OPT_INPUT}, {"darkness", required_argument, 0, OPT_DARKNESS},
    {"halftone", no_argument, 0, OPT_HALFTONE}, {"size", required_argument, 0, OPT_SIZE},
    {"duplex", no_argument, 0, OPT_DUPLEX}, {"flatbed", no_argument, 0, OPT_FLATBED},
    {"max-attachment", required_argument, 0, OPT_MAX_ATTACHMENT},
    {"cover-open-at", required_argument, 0, OPT_COVER_AT},
    {"stall-at", required_argument, 0, OPT_STALL_AT},
    {"tls", required_argument, 0, OPT_TLS}, {"ca", required_argument, 0, OPT_CA},
    {"insecure", no_argument, 0, OPT_INSECURE}, {"user", required_argument, 0, OPT_USER},
    {"password-file", required_argument, 0, OPT_PASSWORD_FILE},
    {"auth", required_argument, 0, OPT_AUTH},
    {"allow-cleartext-auth", no_argument, 0, OPT_CLEARTEXT_AUTH},
    {"rcpt-max", required_argument, 0, OPT_RCPT_MAX},
    {"retry", required_argument, 0, OPT_RETRY}, {"no-wait", no_argument, 0, OPT_NO_WAIT},
    {"now", no_argument, 0, OPT_NOW}, {"subnet", no_argument, 0, OPT_SUBNET},
    {"fixed-from", required_argument, 0, OPT_FIXED_FROM},
    {"domain", required_argument, 0, OPT_DOMAIN}, {"help", no_argument, 0, OPT_HELP},
    {0, 0, 0, 0}};

static int sim_parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out);
static int sim_parse_bytes(const char *s, uint64_t *out);
static int sim_parse_schedule(const char *s, struct fw_job_request *req);
static int sim_parse_tls(const char *s, smtp_tls_mode_t *out);
static int sim_free_slot(const char **prefix);
static int sim_queue(const struct sim_net_opts *o, const struct fw_job_request *settings,
                     const struct fw_job_env *env, int list);
static int sim_run(const struct sim_net_opts *o, int no_wait);
static int sim_log(const struct sim_net_opts *o);
static int sim_split_list(char *s, const char **list, size_t *count, size_t max);
static void sim_progress(void *arg, fw_job_t *job);
static void sim_report(const struct sim_net_opts *o, const fw_job_t *job);
/* The commands that share send's options (gateway, TLS, sign-in, network). */
enum sim_mode { SIM_SEND, SIM_GATEWAY_TEST, SIM_GATEWAY_FIND, SIM_QUEUE_RUN, SIM_QUEUE_LIST, SIM_LOG };
static int sim_cmd_send(int argc, char **argv, enum sim_mode mode);
static int sim_find(const struct sim_net_opts *o, const char *domain,
                    const struct fw_job_request *req, const struct fw_job_env *env, int subnet,
                    int dhcp_domain);

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(sim_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "send"))
        return sim_cmd_send(argc - 1, argv + 1, SIM_SEND);
    if (!strcmp(argv[1], "panel"))
        return sim_panel_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "ldap"))
        return sim_ldap_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "log"))
        return sim_cmd_send(argc - 1, argv + 1, SIM_LOG);
    if (argc > 2 && !strcmp(argv[1], "gateway") && !strcmp(argv[2], "test"))
        return sim_cmd_send(argc - 2, argv + 2, SIM_GATEWAY_TEST);
    if (argc > 2 && !strcmp(argv[1], "gateway") && !strcmp(argv[2], "find"))
        return sim_cmd_send(argc - 2, argv + 2, SIM_GATEWAY_FIND);
    if (argc > 2 && !strcmp(argv[1], "queue") && !strcmp(argv[2], "run"))
        return sim_cmd_send(argc - 2, argv + 2, SIM_QUEUE_RUN);
    if (argc > 2 && !strcmp(argv[1], "queue") && !strcmp(argv[2], "list"))
        return sim_cmd_send(argc - 2, argv + 2, SIM_QUEUE_LIST);
    fprintf(stderr, "mfp-sim: unknown command '%s'\n\n%s", argv[1], sim_usage);
    return 2;
}

static int sim_cmd_send(int argc, char **argv, enum sim_mode mode)
{
    static struct sim_net_opts o = {.net = "tap", .lab = "mfplab", .tap = "tap0"};
    static struct fw_job_request req;
    static struct fw_settings set;
    static char gateway[SMTP_TRANSPORT_HOST_MAX + 1];
    static const char *inputs[SIM_INPUT_MAX_FILES];
    static uint8_t ca[65536];
    static char password[256];
    const char *password_file = NULL;
    const char *find_domain = NULL;
    static char backups[FW_JOB_GATEWAYS_MAX - 1][SMTP_TRANSPORT_HOST_MAX + 1];
    unsigned gateways_given = 0;
    int port_given = 0, no_wait = 0, scan_subnet = 0;
    static char input_list[4096];
    struct sim_scanner_cfg scfg = {0};
    struct sim_input_cfg icfg = {inputs, 0};
    const scan_size_t *size;
    struct fw_job_env env;
    unsigned port = 0, v;
    int opt, rc;
    char *colon, *slash;
    smtp_tls_mode_t own_tls = SMTP_TLS_NONE;

    fw_settings_defaults(&set);
    memset(&req, 0, sizeof(req));
    req.from_addr = set.from_addr;
    req.from_name = set.from_name;
    req.subject = set.subject;
    req.file_name = set.file_name;
    req.type = set.file_type;
    req.color = FW_COLOR;
    req.scan.dpi = 300;
    req.scan.width_mm10 = 2100;
    req.scan.height_mm10 = 2970;
    req.scan.pages = 1;
    req.quality = set.jpeg_quality;
    req.max_attachment = set.max_attachment;
    snprintf(gateway, sizeof(gateway), "%s", set.gateway);
    port = set.port;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", sim_send_options, NULL)) != -1) {
        int r = sim_net_option(&o, opt, optarg);
        if (r < 0) {
            fprintf(stderr, "mfp-sim send: bad value for --%s: '%s'\n",
                    sim_send_options[opt - SIM_OPT_NET].name, optarg);
            return 2;
        }
        if (r > 0)
            continue;
        switch (opt) {
        case OPT_FROM: req.from_addr = optarg; break;
        case OPT_FROM_NAME: req.from_name = optarg; break;
        case OPT_FIXED_FROM: req.fixed_from = optarg; break;
        case OPT_DOMAIN: find_domain = optarg; break;
        case OPT_TO:
            if (sim_split_list(optarg, req.to, &req.to_count, FW_JOB_RCPT_MAX) != 0)
                return sim_fail(&o, "validate", "--to: too many addresses or an empty one");
            break;
        case OPT_CC:
            if (sim_split_list(optarg, req.cc, &req.cc_count, FW_JOB_RCPT_MAX) != 0)
                return sim_fail(&o, "validate", "--cc: too many addresses or an empty one");
            break;
        case OPT_BCC:
            if (sim_split_list(optarg, req.bcc, &req.bcc_count, FW_JOB_RCPT_MAX) != 0)
                return sim_fail(&o, "validate", "--bcc: too many addresses or an empty one");
            break;
        case OPT_SUBJECT: req.subject = optarg; break;
        case OPT_MESSAGE: req.message = optarg; break;
        case OPT_FILE_NAME: req.file_name = optarg; break;
        case OPT_TYPE:
            if (!strcmp(optarg, "jpeg") || !strcmp(optarg, "jpg"))
                req.type = FW_FILE_JPEG;
            else if (!strcmp(optarg, "pdf"))
                req.type = FW_FILE_PDF;
            else if (!strcmp(optarg, "tiff") || !strcmp(optarg, "tif"))
                req.type = FW_FILE_TIFF;
            else if (!strcmp(optarg, "mtiff"))
                req.type = FW_FILE_MTIFF;
            else
                return sim_fail(&o, "validate", "--type: give jpeg, pdf, tiff or mtiff");
            break;
        case OPT_INPUT:
            snprintf(input_list, sizeof(input_list), "%s", optarg);
            icfg.count = 0;
            for (char *t = strtok(input_list, ","); t; t = strtok(NULL, ",")) {
                if (icfg.count >= SIM_INPUT_MAX_FILES)
                    return sim_fail(&o, "validate", "--input: too many files");
                inputs[icfg.count++] = t;
            }
            break;
        case OPT_DARKNESS:
            if (sscanf(optarg, "%d", &req.darkness) != 1 || req.darkness < -3 || req.darkness > 3)
                return sim_fail(&o, "validate", "--darkness: give -3 to 3");
            break;
        case OPT_HALFTONE: req.bw_mode = SCAN_BILEVEL_DIFFUSION; break;
        case OPT_SIZE:
            if (!(size = scan_size_by_name(optarg)))
                return sim_fail(&o, "validate",
                                "--size: give a4, a5, letter, legal or executive");
            req.scan.width_mm10 = size->width_mm10;
            req.scan.height_mm10 = size->height_mm10;
            break;
        case OPT_DUPLEX: req.scan.duplex = 1; break;
        case OPT_FLATBED: req.scan.source = HAL_SCAN_FLATBED; break;
        case OPT_MAX_ATTACHMENT:
            if (sim_parse_bytes(optarg, &req.max_attachment) != 0)
                return sim_fail(&o, "validate", "--max-attachment: give bytes, e.g. 500K or 2M");
            break;
        case OPT_PAGES:
            if (sim_parse_uint(optarg, 1, SCAN_JOB_MAX_PAGES, &req.scan.pages) != 0)
                return sim_fail(&o, "validate", "--pages: give 1 to 100 sheets");
            break;
        case OPT_DPI:
            if (sim_parse_uint(optarg, 75, 600, &req.scan.dpi) != 0 ||
                !strstr(" 75 150 200 300 400 600 ", optarg) || strchr(optarg, ' '))
                return sim_fail(&o, "validate", "--dpi: give 75, 150, 200, 300, 400 or 600");
            break;
        case OPT_COLOR:
            if (!strcmp(optarg, "color") || !strcmp(optarg, "colour"))
                req.color = FW_COLOR;
            else if (!strcmp(optarg, "grey") || !strcmp(optarg, "gray"))
                req.color = FW_GREY;
            else if (!strcmp(optarg, "bw"))
                req.color = FW_BW;
            else
                return sim_fail(&o, "validate", "--color: give color, grey or bw");
            break;
        case OPT_QUALITY:
            if (!strcmp(optarg, "low") || !strcmp(optarg, "medium") || !strcmp(optarg, "high"))
                req.quality = optarg[0] == 'l' ? 50 : optarg[0] == 'm' ? 75 : 90;
            else if (sim_parse_uint(optarg, 1, 100, &req.quality) != 0)
                return sim_fail(&o, "validate", "--quality: give 1 to 100, low, medium or high");
            break;
        case OPT_GATEWAY: {
            /* The first --gateway is the gateway, later ones its backups. */
            char *host = gateways_given == 0 ? gateway : backups[gateways_given - 1];
            unsigned p = 0;

            if (gateways_given >= FW_JOB_GATEWAYS_MAX)
                return sim_fail(&o, "validate", "--gateway: at most 4 gateways");
            snprintf(host, sizeof(gateway), "%s", optarg);
            if ((slash = strchr(host, '/')) != NULL) { /* a backup's own TLS mode */
                *slash++ = '\0';
                if (gateways_given == 0 || sim_parse_tls(slash, &own_tls) != 0)
                    return sim_fail(&o, "validate", "--gateway HOST[:PORT]/TLS: TLS is none, "
                                    "starttls or implicit, for a backup gateway");
            }
            colon = strrchr(host, ':');
            if (colon) {
                *colon = '\0';
                if (sim_parse_uint(colon + 1, 1, 65535, &p) != 0)
                    return sim_fail(&o, "validate", "--gateway: the port must be 1 to 65535");
            }
            if (gateways_given == 0) {
                port = p ? p : 25;
                port_given = p != 0;
            } else {
                struct fw_job_gateway *b = &req.backup[gateways_given - 1];
                b->host = host;
                b->port = (uint16_t)p; /* 0: as the gateway */
                if (slash) { /* its own TLS, and no sign-in unless over TLS */
                    b->own_security = 1;
                    b->tls = own_tls;
                }
                req.backup_count = gateways_given;
            }
            gateways_given++;
            break;
        }
        case OPT_EHLO: req.ehlo_domain = optarg; break;
        case OPT_JAM_AT:
        case OPT_COVER_AT:
        case OPT_STALL_AT:
            if (sim_parse_uint(optarg, 1, 10000, &v) != 0)
                return sim_fail(&o, "validate", "--jam-at, --cover-open-at, --stall-at: give a "
                                                "sheet number");
            if (opt == OPT_JAM_AT)
                scfg.jam_at_page = v;
            else if (opt == OPT_COVER_AT)
                scfg.cover_open_at_page = v;
            else
                scfg.stall_at_page = v, scfg.stall_at_line = 1000;
            break;
        case OPT_KEEP_SPOOL: req.keep_spool = 1; break;
        case OPT_TLS:
            if (sim_parse_tls(optarg, &req.tls) != 0)
                return sim_fail(&o, "validate", "--tls: give none, starttls or implicit");
            break;
        case OPT_CA:
            if (sim_read_file(optarg, ca, sizeof(ca), &req.ca_len) != 0)
                return sim_fail(&o, "validate", "--ca: cannot read that file (64 KiB at most)");
            req.ca = ca;
            break;
        case OPT_INSECURE: req.insecure_skip_verify = 1; break;
        case OPT_USER: req.auth_user = optarg; break;
        case OPT_PASSWORD_FILE: password_file = optarg; break;
        case OPT_AUTH:
            if (!strcmp(optarg, "scram-sha-256"))
                req.auth_mech = SMTP_AUTH_SCRAM_SHA_256;
            else if (!strcmp(optarg, "cram-md5"))
                req.auth_mech = SMTP_AUTH_CRAM_MD5;
            else if (!strcmp(optarg, "plain"))
                req.auth_mech = SMTP_AUTH_PLAIN;
            else if (!strcmp(optarg, "login"))
                req.auth_mech = SMTP_AUTH_LOGIN;
            else
                return sim_fail(&o, "validate",
                                "--auth: give scram-sha-256, cram-md5, plain or login");
            break;
        case OPT_CLEARTEXT_AUTH: req.allow_cleartext_auth = 1; break;
        case OPT_RETRY:
            if (sim_parse_schedule(optarg, &req) != 0)
                return sim_fail(&o, "validate", "--retry: give none, or up to 8 waits like "
                                "6s,10s,30s (s, m or h; each at most 24h)");
            break;
        case OPT_NO_WAIT: no_wait = 1; break;
        case OPT_NOW: req.retry_now = 1; break;
        case OPT_SUBNET: scan_subnet = 1; break;
        case OPT_RCPT_MAX:
            if (sim_parse_uint(optarg, 1, 1000, &v) != 0)
                return sim_fail(&o, "validate", "--rcpt-max: give 1 to 1000");
            req.rcpt_max = v;
            break;
        case OPT_HELP: case 'h': fputs(sim_send_usage, stdout); return 0;
        default: fputs(sim_send_usage, stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "mfp-sim send: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    req.gateway = gateway;
    req.test_gateway = mode == SIM_GATEWAY_TEST;
    if (!port_given && req.tls != SMTP_TLS_NONE)
        port = req.tls == SMTP_TLS_IMPLICIT ? 465 : 587;
    req.port = (uint16_t)port;
    for (size_t i = 0; i < req.backup_count; i++) {
        struct fw_job_gateway *b = &req.backup[i];
        if (b->port == 0)
            b->port = b->own_security && b->tls != SMTP_TLS_NONE
                          ? (b->tls == SMTP_TLS_IMPLICIT ? 465 : 587) : req.port;
    }
    if (req.auth_user) {
        size_t len = 0;
        const char *env_pass = getenv("MFP_SMTP_PASSWORD");
        if (password_file) {
            if (sim_read_file(password_file, (uint8_t *)password, sizeof(password), &len) != 0)
                return sim_fail(&o, "validate", "--password-file: cannot read that file");
            password[strcspn(password, "\r\n")] = '\0';
        } else if (env_pass) {
            snprintf(password, sizeof(password), "%s", env_pass);
        } else {
            return sim_fail(&o, "validate", "--user needs --password-file or $MFP_SMTP_PASSWORD");
        }
        req.auth_pass = password;
    }
    for (size_t i = 0; i < req.backup_count; i++) {
        struct fw_job_gateway *b = &req.backup[i];
        if (b->own_security && b->tls != SMTP_TLS_NONE) { /* the same account */
            b->auth_user = req.auth_user;
            b->auth_pass = req.auth_pass;
        }
    }

    if (!o.state_dir && sim_state_default(&o) != 0)
        return sim_fail(&o, "setup", "cannot find the executable's folder: use --state DIR");
    sim_clock_init(&sim_board.clock);
    sim_rng_init(&sim_board.rng);
    if (icfg.count > 0) {
        if (sim_input_init(&sim_board.input_ctx, &icfg) != 0)
            return sim_fail(&o, "validate", "--input: cannot use those files");
        sim_input_hal(&sim_board.input_ctx, &sim_board.scanner);
        req.scan.pages = icfg.count;
    } else {
        sim_scanner_init(&sim_board.scanner_ctx, &scfg);
        sim_scanner_hal(&sim_board.scanner_ctx, &sim_board.scanner);
    }
    if (sim_storage_init(&sim_board.storage_ctx, o.state_dir) != 0) {
        char msg[PATH_MAX + 64];
        snprintf(msg, sizeof(msg), "cannot use the state directory %s", o.state_dir);
        return sim_fail(&o, "setup", msg);
    }
    sim_storage_hal(&sim_board.storage_ctx, &sim_board.storage);
    if (fw_job_band_buffer_size(&req) > sizeof(sim_board.band))
        return sim_fail(&o, "validate", "scan settings need a larger band buffer");
    if (mode == SIM_SEND && sim_free_slot(&req.spool_prefix) != 0)
        return sim_fail(&o, "queue", "the queue is full: run 'mfp-sim queue run' (or list)");

    env.scanner = &sim_board.scanner;
    env.storage = &sim_board.storage;
    env.clock = &sim_board.clock;
    env.rng = &sim_board.rng;
    env.net = &sim_board.net;
    env.band_buf = sim_board.band;
    env.band_buf_size = sizeof(sim_board.band);
    if (mode == SIM_LOG) { /* no network */
        rc = sim_log(&o);
        sim_storage_free(&sim_board.storage_ctx);
        return rc;
    }
    if (mode == SIM_QUEUE_LIST) { /* no network */
        rc = sim_queue(&o, &req, &env, 1);
        sim_storage_free(&sim_board.storage_ctx);
        return rc;
    }
    if ((rc = sim_net_up(&o)) != 0)
        return rc;
    if (mode == SIM_GATEWAY_FIND) {
        const char *at = strchr(req.from_addr, '@');
        rc = sim_find(&o, find_domain ? find_domain : at ? at + 1 : "", &req, &env, scan_subnet,
                      find_domain == NULL);
        sim_net_down();
        sim_storage_free(&sim_board.storage_ctx);
        return rc;
    }
    if (mode == SIM_QUEUE_RUN) {
        rc = sim_queue(&o, &req, &env, 0);
        sim_net_down();
        sim_storage_free(&sim_board.storage_ctx);
        return rc;
    }
    if (fw_job_init(&sim_board.job, &req, &env) != 0) {
        sim_report(&o, &sim_board.job);
        sim_net_down();
        return 1;
    }
    rc = sim_run(&o, no_wait);
    /* The simulator's own words on a bad input file, after the firmware's. */
    if (icfg.count > 0 && sim_input_error(&sim_board.input_ctx)[0]) {
        size_t len = strlen(sim_board.job.error);
        snprintf(sim_board.job.error + len, sizeof(sim_board.job.error) - len, " Input: %s",
                 sim_input_error(&sim_board.input_ctx));
    }
    sim_report(&o, &sim_board.job);
    fw_job_free(&sim_board.job);
    sim_net_down();
    sim_storage_free(&sim_board.storage_ctx);
    sim_input_free(&sim_board.input_ctx);
    return rc;
}

/* Runs sim_board.job to its end (or until queued); the exit status. */
static int sim_run(const struct sim_net_opts *o, int no_wait)
{
    int rc;

    signal(SIGINT, sim_on_signal);
    signal(SIGTERM, sim_on_signal);
    rc = no_wait ? fw_loop_run_job_until_queued(&sim_board.net, &sim_board.job, sim_progress, (void *)o)
                 : fw_loop_run_job(&sim_board.net, &sim_board.job, sim_progress, (void *)o);
    fw_loop_run_for(&sim_board.net, 50); /* let the last segments and the FIN go out */
    if (rc > 0)
        return 4;
    if (rc != 0)
        return 1;
    for (unsigned m = 0; m < sim_board.job.mail_count; m++)
        for (size_t i = 0; i < sim_board.job.rcpt_count; i++)
            if (!sim_board.job.mails[m].rcpt_results[i].delivered)
                return 3;
    return 0;
}

/* The job log, newest first: a line per job, then the evidence. */
static int sim_log(const struct sim_net_opts *o)
{
    static struct fw_joblog_entry log[FW_JOBLOG_MAX];
    unsigned n;

    if (fw_joblog_read(&sim_board.storage, log, &n) != 0)
        return sim_fail(o, "log", "the job log cannot be read from the state directory");
    for (unsigned i = 0; i < n; i++) {
        const struct fw_joblog_entry *e = &log[i];
        char when[32] = "time unknown";
        time_t t = (time_t)e->time;
        struct tm tm;

        if (e->time > 0 && gmtime_r(&t, &tm))
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
        if (o->json) {
            sim_json_t j;
            sim_json_begin(&j, stdout);
            sim_json_int(&j, "seq", e->seq);
            sim_json_int(&j, "time", e->time);
            sim_json_str(&j, "result", fw_joblog_result_name(e->result));
            sim_json_int(&j, "pages", e->pages);
            sim_json_int(&j, "emails", e->mails);
            sim_json_int(&j, "recipients", e->rcpts);
            sim_json_int(&j, "delivered", e->delivered);
            sim_json_int(&j, "sessions", e->sessions);
            sim_json_str(&j, "stage", e->stage);
            sim_json_int(&j, "code", e->code);
            sim_json_str(&j, "enhanced", e->enhanced);
            sim_json_str(&j, "reply", e->reply);
            sim_json_str(&j, "message", e->message);
            sim_json_end(&j);
            continue;
        }
        printf("%u. %s  %s: %u page(s), %u e-mail(s), %u of %u recipient(s), %u session(s)%s%s\n",
               e->seq, when, fw_joblog_result_name(e->result), e->pages, e->mails, e->delivered,
               e->rcpts, e->sessions, e->stage[0] ? ", at " : "", e->stage);
        if (e->code)
            printf("   gateway: %d %s%s%s\n", e->code, e->enhanced, e->enhanced[0] ? " " : "",
                   e->reply);
        if (e->result != FW_JOBLOG_SENT && e->message[0])
            printf("   %s\n", e->message);
    }
    if (n == 0 && !o->json)
        printf("the job log is empty\n");
    return 0;
}

/* The queue's slots: spool prefixes "q1-" .. "q8-", a job's journal in each. */
#define SIM_QUEUE_SLOTS 8
static const char *const sim_slots[SIM_QUEUE_SLOTS] = {"q1-", "q2-", "q3-", "q4-",
                                                        "q5-", "q6-", "q7-", "q8-"};

static int sim_slot_used(const char *prefix)
{
    char name[HAL_STORAGE_NAME_MAX + 1];
    int h;

    fw_journal_name(name, sizeof(name), prefix);
    h = hal_storage_open(&sim_board.storage, name, HAL_STORAGE_READ);
    if (h < 0)
        return 0;
    hal_storage_close(&sim_board.storage, h);
    return 1;
}

static int sim_free_slot(const char **prefix)
{
    for (unsigned i = 0; i < SIM_QUEUE_SLOTS; i++) {
        if (!sim_slot_used(sim_slots[i])) {
            *prefix = sim_slots[i];
            return 0;
        }
    }
    return -1;
}

/* queue list / queue run: every slot with a journal. The worst exit status. */
static int sim_queue(const struct sim_net_opts *o, const struct fw_job_request *settings,
                     const struct fw_job_env *env, int list)
{
    struct fw_job_request req = *settings;
    int worst = 0, found = 0;

    for (unsigned i = 0; i < SIM_QUEUE_SLOTS; i++) {
        int rc;

        if (!sim_slot_used(sim_slots[i]))
            continue;
        found++;
        req.spool_prefix = sim_slots[i];
        if (fw_job_resume(&sim_board.job, &req, env) != 0 || fw_job_finished(&sim_board.job)) {
            rc = sim_board.job.phase == FW_JOB_DONE ? 0 : 1;
        } else if (list) {
            printf("%s %s -> %zu recipient(s), %u page(s) in %u e-mail(s), %u session(s) so "
                   "far; %s\n", sim_slots[i], sim_board.job.req.from_addr, sim_board.job.rcpt_count,
                   scan_job_page_count(&sim_board.job.scan), sim_board.job.mail_count,
                   sim_board.job.attempts, fw_job_phase_name(sim_board.job.phase));
            rc = 4;
        } else {
            printf("resuming %s:\n", sim_slots[i]);
            rc = sim_run(o, 0);
        }
        if (!list || fw_job_finished(&sim_board.job))
            sim_report(o, &sim_board.job);
        fw_job_free(&sim_board.job);
        worst = rc == 1 || worst == 1 ? 1 : rc > worst ? rc : worst;
    }
    if (!found)
        printf("no queued job\n");
    return list ? 0 : worst;
}

/* Find gateways: the candidates DNS names, each probed, as a list to pick from. */
static int sim_find(const struct sim_net_opts *o, const char *domain,
                    const struct fw_job_request *req, const struct fw_job_env *env, int subnet,
                    int dhcp_domain)
{
    static fw_find_t f;
    unsigned ok = 0;

    if (fw_find_init(&f, domain, req, env) != 0)
        return sim_fail(o, "validate", "--domain: give the mail domain, e.g. example.test");
    fw_find_options(&f, subnet, dhcp_domain);
    while (!fw_find_finished(&f)) {
        fw_net_poll(&sim_board.net);
        if (!fw_find_step(&f))
            hal_netif_wait(sim_board.net.hal, 20);
    }
    if (o->json) {
        sim_json_t j;
        sim_json_begin(&j, stdout);
        sim_json_str(&j, "domain", domain);
        sim_json_array(&j, "gateways");
        for (unsigned i = 0; i < f.count; i++) {
            const struct fw_find_candidate *c = &f.list[i];
            sim_json_object(&j, NULL);
            sim_json_str(&j, "host", c->host);
            sim_json_int(&j, "port", c->port);
            sim_json_str(&j, "tls", c->tls == SMTP_TLS_IMPLICIT ? "implicit"
                                    : c->tls_used || c->ext.starttls ? "starttls" : "none");
            sim_json_bool(&j, "tls_verified", c->tls_verified);
            sim_json_str(&j, "source", c->source);
            sim_json_bool(&j, "ok", c->ok);
            if (c->ok) {
                sim_json_str(&j, "auth", c->ext.auth_offered);
                sim_json_int(&j, "size_max", (long long)c->ext.size_max);
            } else {
                sim_json_str(&j, "error", c->error);
            }
            sim_json_close(&j);
        }
        sim_json_close(&j);
        sim_json_end(&j);
    }
    for (unsigned i = 0; i < f.count; i++) {
        const struct fw_find_candidate *c = &f.list[i];
        ok += c->ok;
        if (o->json)
            continue;
        printf("%2u. %s port %u (%s): ", i + 1, c->host, c->port, c->source);
        if (c->ok)
            printf("%s%s, AUTH %s, SIZE %llu\n",
                   c->tls == SMTP_TLS_IMPLICIT ? "implicit TLS"
                   : c->tls_used ? "STARTTLS" : c->ext.starttls ? "STARTTLS offered" : "no TLS",
                   c->tls_used && !c->tls_verified ? " (certificate not verified)" : "",
                   c->ext.auth_offered[0] ? c->ext.auth_offered : "none",
                   (unsigned long long)c->ext.size_max);
        else
            printf("no answer: %s\n", c->error);
    }
    if (!o->json && subnet)
        printf("subnet probe: %u of %u addresses asked%s\n", f.scan_done_hosts, f.scan_hosts,
               f.scan_stopped ? " (stopped at its time limit)" : "");
    if (!o->json)
        printf("%u gateway(s) answered for %s\n", ok, domain);
    fw_find_free(&f);
    return ok > 0 ? 0 : 1;
}

/* Bytes with an optional K or M suffix (1024-based). */
static int sim_parse_bytes(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);

    if (end == s || v > (1ull << 40))
        return -1;
    if (*end == 'K' || *end == 'k')
        v *= 1024, end++;
    else if (*end == 'M' || *end == 'm')
        v *= 1024 * 1024, end++;
    if (*end)
        return -1;
    *out = v;
    return 0;
}

static int sim_parse_tls(const char *s, smtp_tls_mode_t *out)
{
    if (!strcmp(s, "none"))
        *out = SMTP_TLS_NONE;
    else if (!strcmp(s, "starttls"))
        *out = SMTP_TLS_STARTTLS;
    else if (!strcmp(s, "implicit"))
        *out = SMTP_TLS_IMPLICIT;
    else
        return -1;
    return 0;
}

/* "none", or waits like "6s,10s,2m" (s, m or h; a bare number is seconds). */
static int sim_parse_schedule(const char *s, struct fw_job_request *req)
{
    if (!strcmp(s, "none")) {
        req->no_retry = 1;
        return 0;
    }
    req->no_retry = 0;
    req->retry_steps = 0;
    while (*s) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        unsigned long unit = *end == 'h' ? 3600 : *end == 'm' ? 60 : 1;

        if (end == s || req->retry_steps == FW_JOB_RETRY_STEPS_MAX)
            return -1;
        if (*end == 'h' || *end == 'm' || *end == 's')
            end++;
        if ((*end != ',' && *end != '\0') || v == 0 || v * unit > 86400)
            return -1;
        req->retry_ms[req->retry_steps++] = (uint32_t)(v * unit * 1000);
        s = *end ? end + 1 : end;
    }
    return req->retry_steps ? 0 : -1;
}

static int sim_parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int sim_split_list(char *s, const char **list, size_t *count, size_t max)
{
    for (char *tok = strtok(s, ",;"); tok; tok = strtok(NULL, ",;")) {
        while (*tok == ' ')
            tok++;
        if (!*tok || *count >= max)
            return -1;
        list[(*count)++] = tok;
    }
    return 0;
}

/* Progress on stderr, a line per quarter of each page or of each e-mail:
 * the panel's progress screen. */
static void sim_progress(void *arg, fw_job_t *job)
{
    static long last_key = -1;
    const struct sim_net_opts *o = arg;
    unsigned pct = 0, unit = 0;
    long key;
    char addr[16];

    if (sim_stop_requested) {
        sim_stop_requested = 0;
        fw_job_cancel(job);
    }
    if (job->phase == FW_JOB_SCANNING) {
        unsigned h = scan_job_page_height(&job->scan);
        unit = scan_job_page_index(&job->scan);
        pct = h ? scan_job_lines_done(&job->scan) * 100u / h : 0;
    } else if (job->phase == FW_JOB_SENDING && job->mail_count) {
        const mime_writer_t *w = &job->writer;
        unit = fw_job_sending_mail(job);
        pct = w->size ? (unsigned)(w->produced * 100u / w->size) : 0;
    }
    key = (((long)job->phase * 10000 + unit) * 8 + pct / 25) * 8 + job->gateway_index;
    if (key == last_key)
        return;
    last_key = key;
    if (o->json) { /* events on stderr, one JSON object a line; the result goes to stdout */
        sim_json_t j;
        sim_json_begin(&j, stderr);
        sim_json_str(&j, "event", fw_job_phase_name(job->phase));
        if (job->phase == FW_JOB_SCANNING || job->phase == FW_JOB_SENDING) {
            sim_json_int(&j, job->phase == FW_JOB_SCANNING ? "page" : "email", unit + 1);
            sim_json_int(&j, "of", job->phase == FW_JOB_SCANNING
                                       ? job->req.scan.pages * (job->req.scan.duplex ? 2 : 1)
                                       : job->mail_count);
            sim_json_int(&j, "percent", pct);
        }
        sim_json_end(&j);
        return;
    }
    switch (job->phase) {
    case FW_JOB_SCANNING:
        fprintf(stderr, "scanning page %u of %u: %u%%\n", unit + 1,
                job->req.scan.pages * (job->req.scan.duplex ? 2 : 1), pct);
        break;
    case FW_JOB_WAIT_NETWORK:
        fprintf(stderr, "%u page(s) in %u file(s), %u e-mail(s)%s; waiting for the network\n",
                scan_job_page_count(&job->scan), job->pack.file_count, job->mail_count,
                job->requantized ? " (some pages re-encoded smaller to fit)" : "");
        break;
    case FW_JOB_CONNECTING:
        fw_net_addr_str(job->env.net, addr, sizeof(addr));
        fprintf(stderr, "address %s; connecting to %s port %u\n", addr, job->gw_host,
                job->gw_port);
        break;
    case FW_JOB_RETRY_WAIT:
        fprintf(stderr, "the gateway deferred %u recipient(s) (greylisting?): trying again in "
                "%u s\n", job->deferred,
                (unsigned)((job->retry_at_ms - hal_clock_now_ms(job->env.clock)) / 1000 + 1));
        break;
    case FW_JOB_SENDING:
        fprintf(stderr, "sending e-mail %u of %u (%llu bytes): %u%%\n", unit + 1,
                job->mail_count, (unsigned long long)job->mails[unit].size, pct);
        break;
    default:
        break;
    }
}

static void sim_json_reply(sim_json_t *j, const smtp_reply_info_t *r)
{
    sim_json_int(j, "code", r->code);
    sim_json_str(j, "enhanced", r->enhanced);
    sim_json_str(j, "text", r->text);
}

static void sim_report_json(const fw_job_t *job)
{
    sim_json_t j;
    const smtp_failure_t *f = &job->session.fail;

    sim_json_begin(&j, stdout);
    sim_json_bool(&j, "ok", job->phase == FW_JOB_DONE);
    if (job->phase != FW_JOB_DONE) {
        sim_json_str(&j, "stage", job->stage ? job->stage : "");
        sim_json_str(&j, "error", job->error);
        if (job->field)
            sim_json_str(&j, "field", job->field);
        sim_json_object(&j, "reply");
        sim_json_reply(&j, &f->reply);
        sim_json_close(&j);
    }
    sim_json_array(&j, "pages");
    for (unsigned i = 0; i < scan_job_page_count(&job->scan); i++) {
        const struct scan_job_page *pg = scan_job_page(&job->scan, i);
        sim_json_object(&j, NULL);
        sim_json_str(&j, "kind", pg->kind == SCAN_PAGE_G4 ? "g4" : "jpeg");
        sim_json_int(&j, "width", pg->width);
        sim_json_int(&j, "height", pg->height);
        sim_json_int(&j, "bytes", pg->size);
        sim_json_str(&j, "spool", pg->name);
        sim_json_close(&j);
    }
    sim_json_close(&j);
    sim_json_array(&j, "files");
    for (unsigned i = 0; i < job->pack.file_count && job->mail_count; i++) {
        sim_json_object(&j, NULL);
        sim_json_str(&j, "name", job->files[i].name);
        sim_json_int(&j, "bytes", job->files[i].size);
        sim_json_int(&j, "first_page", job->files[i].first_page + 1);
        sim_json_int(&j, "pages", job->files[i].page_count);
        sim_json_close(&j);
    }
    sim_json_close(&j);
    sim_json_array(&j, "messages");
    for (unsigned m = 0; m < job->mail_count; m++) {
        const struct fw_job_mail *mail = &job->mails[m];
        sim_json_object(&j, NULL);
        sim_json_str(&j, "message_id", mail->message_id);
        sim_json_str(&j, "subject", mail->subject);
        sim_json_int(&j, "bytes", (long long)mail->size);
        sim_json_array(&j, "files");
        for (unsigned k = 0; k < job->pack.mails[m].file_count; k++)
            sim_json_str(&j, NULL, job->files[job->pack.mails[m].first_file + k].name);
        sim_json_close(&j);
        sim_json_bool(&j, "accepted", mail->result.status == SMTP_MSG_SENT);
        sim_json_object(&j, "reply");
        sim_json_reply(&j, mail->result.status == SMTP_MSG_FAILED ? &mail->result.fail.reply
                                                                  : &mail->result.reply);
        sim_json_close(&j);
        sim_json_array(&j, "recipients");
        for (size_t i = 0; i < job->rcpt_count; i++) {
            sim_json_object(&j, NULL);
            sim_json_str(&j, "address", job->rcpts[i]);
            sim_json_str(&j, "kind", fw_job_rcpt_kind(job, i));
            sim_json_bool(&j, "accepted", mail->rcpt_results[i].accepted);
            sim_json_bool(&j, "delivered", mail->rcpt_results[i].delivered);
            sim_json_reply(&j, &mail->rcpt_results[i].reply);
            sim_json_close(&j);
        }
        sim_json_close(&j);
        sim_json_close(&j);
    }
    sim_json_close(&j);
    if (job->gw_host) {
        sim_json_str(&j, "gateway", job->gw_host);
        sim_json_int(&j, "port", job->gw_port);
    }
    sim_json_object(&j, "stats");
    sim_json_int(&j, "sessions", job->attempts);
    sim_json_int(&j, "flights", job->session.stats.flights);
    sim_json_int(&j, "transactions", job->session.stats.transactions);
    sim_json_int(&j, "smtp_bytes_out", (long long)job->session.stats.bytes_out);
    sim_json_int(&j, "smtp_bytes_in", (long long)job->session.stats.bytes_in);
    sim_json_int(&j, "wire_bytes_out", (long long)job->env.net->bytes_out);
    sim_json_int(&j, "wire_bytes_in", (long long)job->env.net->bytes_in);
    sim_json_int(&j, "frames_out", job->env.net->frames_out);
    sim_json_int(&j, "frames_in", job->env.net->frames_in);
    sim_json_int(&j, "pages_reencoded", job->requantized);
    sim_json_close(&j);
    if (job->transport.tls_active || job->transport.tls_info.error) {
        const smtp_tls_info_t *t = &job->transport.tls_info;
        sim_json_object(&j, "tls");
        sim_json_str(&j, "version", t->version);
        sim_json_str(&j, "cipher", t->ciphersuite);
        sim_json_bool(&j, "verified", t->error == 0 && !t->skipped);
        sim_json_int(&j, "handshake_ms", t->handshake_ms);
        if (t->detail[0])
            sim_json_str(&j, "detail", t->detail);
        sim_json_close(&j);
    }
    sim_json_end(&j);
}

/* The Test button's answer: "Gateways OK" with what the gateway offers. */
static void sim_report_gateway(const struct sim_net_opts *o, const fw_job_t *job)
{
    const smtp_ext_t *x = &job->session.ext;
    const smtp_tls_info_t *t = &job->transport.tls_info;

    if (o->json) {
        sim_json_t j;
        sim_json_begin(&j, stdout);
        sim_json_bool(&j, "ok", job->phase == FW_JOB_DONE);
        if (job->phase != FW_JOB_DONE) {
            sim_json_str(&j, "stage", job->stage ? job->stage : "");
            sim_json_str(&j, "error", job->error);
        }
        sim_json_str(&j, "gateway", job->gw_host ? job->gw_host : job->req.gateway);
        sim_json_int(&j, "port", job->gw_host ? job->gw_port : job->req.port);
        sim_json_bool(&j, "esmtp", x->ehlo);
        sim_json_int(&j, "size_max", (long long)x->size_max);
        sim_json_bool(&j, "pipelining", x->pipelining);
        sim_json_bool(&j, "starttls", x->starttls);
        sim_json_str(&j, "auth", x->auth_offered);
        sim_json_bool(&j, "signed_in", job->phase == FW_JOB_DONE && job->req.auth_user);
        if (job->transport.tls_active) {
            sim_json_str(&j, "tls_version", t->version);
            sim_json_str(&j, "tls_cipher", t->ciphersuite);
            sim_json_bool(&j, "tls_verified", t->error == 0 && !t->skipped);
        }
        sim_json_end(&j);
        return;
    }
    if (job->phase != FW_JOB_DONE) {
        printf("FAILED at %s: %s\n", job->stage ? job->stage : "?", job->error);
        return;
    }
    printf("Gateways OK: %s port %u\n", job->gw_host, job->gw_port);
    if (job->transport.tls_active)
        printf("  TLS: %s %s, certificate %s\n", t->version, t->ciphersuite,
               t->skipped ? "NOT VERIFIED (insecure)" : "verified");
    else
        printf("  TLS: none%s\n", x->starttls ? " (the gateway offers STARTTLS)" : "");
    printf("  %s; SIZE %llu%s%s%s\n", x->ehlo ? "ESMTP" : "SMTP (HELO only)",
           (unsigned long long)x->size_max, x->pipelining ? ", PIPELINING" : "",
           x->enhancedstatuscodes ? ", ENHANCEDSTATUSCODES" : "", x->smtputf8 ? ", SMTPUTF8" : "");
    printf("  AUTH: %s%s%s\n", x->auth_offered[0] ? x->auth_offered : "none offered",
           job->req.auth_user ? "; signed in as " : "", job->req.auth_user ? job->req.auth_user : "");
}

static void sim_report(const struct sim_net_opts *o, const fw_job_t *job)
{
    if (job->req.test_gateway) {
        sim_report_gateway(o, job);
        return;
    }
    if (o->json) {
        sim_report_json(job);
        return;
    }
    if (job->phase == FW_JOB_DONE)
        printf("sent: %u page(s) in %u e-mail(s)\n", scan_job_page_count(&job->scan),
               job->mail_count);
    else
        printf("FAILED at %s: %s\n", job->stage ? job->stage : "?", job->error);
    for (unsigned m = 0; m < job->mail_count; m++) {
        const struct fw_job_mail *mail = &job->mails[m];
        const smtp_reply_info_t *r = mail->result.status == SMTP_MSG_FAILED
                                         ? &mail->result.fail.reply : &mail->result.reply;
        printf("e-mail %u/%u %s \"%s\", %llu bytes:", m + 1, job->mail_count, mail->message_id,
               mail->subject, (unsigned long long)mail->size);
        for (unsigned k = 0; k < job->pack.mails[m].file_count; k++) {
            const struct fw_job_file *f = &job->files[job->pack.mails[m].first_file + k];
            printf(" %s (%u bytes)", f->name, f->size);
        }
        printf("\n  gateway: %s", mail->result.status == SMTP_MSG_SENT ? "accepted" : "NOT SENT");
        if (r->code)
            printf(", %d %s %s", r->code, r->enhanced, r->text);
        printf("\n");
        for (size_t i = 0; i < job->rcpt_count; i++) {
            const smtp_rcpt_result_t *rr = &mail->rcpt_results[i];
            printf("  %-3s %s: %s", fw_job_rcpt_kind(job, i), job->rcpts[i],
                   rr->delivered ? "delivered" : rr->accepted ? "accepted, NOT delivered"
                   : rr->reply.code ? "REJECTED" : "not sent");
            if (rr->reply.code && !rr->accepted)
                printf(" (%d %s %s)", rr->reply.code, rr->reply.enhanced, rr->reply.text);
            else if (rr->error && !rr->delivered)
                printf(" (%s)", smtp_strerror(rr->error));
            printf("\n");
        }
    }
    if (job->transport.tls_active)
        printf("tls: %s %s, certificate %s, handshake %u ms\n", job->transport.tls_info.version,
               job->transport.tls_info.ciphersuite,
               job->transport.tls_info.error ? "REFUSED"
               : job->transport.tls_info.skipped ? "NOT VERIFIED (insecure)" : "verified",
               job->transport.tls_info.handshake_ms);
    printf("flights: %u, smtp bytes out: %llu, wire bytes out: %llu\n",
           job->session.stats.flights, (unsigned long long)job->session.stats.bytes_out,
           (unsigned long long)job->env.net->bytes_out);
}
