/* The mps2-an385 board's main: brings up the HALs, gets an address by DHCP,
 * runs one scan-to-email job through the firmware's super-loop, reports
 * over UART0 and ends QEMU through semihosting with the job's result.
 *
 * The job is built in: a 3-page colour PDF at 300 dpi to alice@example.test
 * through mail.example.test:587 with STARTTLS, verified against the CA whose
 * host path is given on the semihosting command line (the lab's, normally:
 * tools/qemu-run.sh passes it). Words of the command line change the job:
 *
 *   ca=PATH  to=ADDR  from=ADDR  subject=TEXT(no spaces)  gateway=HOST
 *   port=N  tls=none|starttls|implicit  pages=N  dpi=N  color=color|grey|bw
 *   type=pdf|jpeg|tiff|mtiff  quality=N
 *
 * Exit status: 0 when the gateway accepted the e-mail for every recipient,
 * 1 when the job failed, 2 on a bad command line, 3 when the board could
 * not be brought up, 70 on a fault (startup.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "board_storage.h"
#include "fw_job.h"
#include "fw_loop.h"
#include "fw_net.h"
#include "fw_settings.h"
#include "hal_lan9118.h"
#include "lwip/memp.h"
#include "lwip/stats.h"
#include "sim_scanner.h"

#define BOARD_LAN9118_BASE 0x40200000u
#define BOARD_CMDLINE_MAX 1024
#define BOARD_CA_MAX 8192          /* PEM of the trusted CAs, with its NUL */
/* The band buffer: A4 or Letter at 300 dpi in colour (Letter is wider). */
#define BOARD_BAND_BYTES (2550u * 3u * FW_JOB_BAND_LINES)

/* What the board owns. One instance, in .bss; the storage's arena goes to
 * the NVM region (mps2_an385.ld), outside the RAM budget. */
static struct board {
    struct board_clock clock_ctx;
    struct hal_clock clock;
    struct board_rng rng_ctx;
    struct hal_rng rng;
    struct hal_lan9118 lan;
    struct hal_netif netif;
    struct sim_scanner scanner_ctx;
    struct hal_scanner scanner;
    struct hal_storage storage;
    fw_net_t net;
    fw_job_t job;
    struct fw_settings settings;
    char cmdline[BOARD_CMDLINE_MAX];
    uint8_t ca[BOARD_CA_MAX];
    uint8_t band[BOARD_BAND_BYTES];
} board;

static struct board_storage board_nvm __attribute__((section(".nvm")));

/* lwIP's pool names, in memp_t order (lwIP keeps them only in debug builds). */
static const char *const board_memp_names[MEMP_MAX] = {
#define LWIP_MEMPOOL(name, num, size, desc) desc,
#include "lwip/priv/memp_std.h"
};


static int board_job_request(struct fw_job_request *req, char *cmdline);
static void board_progress(void *arg, fw_job_t *job);
static void board_report(const fw_job_t *job, uint32_t ms);
static void board_report_memory(void);

int main(void)
{
    static struct fw_job_request req;
    struct fw_net_config nc = {.hostname = "mfp-board", .rng = &board.rng};
    struct fw_job_env env;
    uint32_t start;
    int rc;

    board_uart_init();
    board_clock_init(&board.clock_ctx, &board.clock);
    board_rng_init(&board.rng_ctx, &board.rng);
    printf("\nmfp-board: mps2-an385, Cortex-M3 %u MHz\n", BOARD_CPU_HZ / 1000000u);
    if (board_semihost_cmdline(board.cmdline, sizeof(board.cmdline)) != 0)
        board.cmdline[0] = '\0';
    if ((rc = board_job_request(&req, board.cmdline)) != 0)
        return rc;
    board_storage_init(&board_nvm);
    board_storage_hal(&board_nvm, &board.storage);
    sim_scanner_init(&board.scanner_ctx, NULL);
    sim_scanner_hal(&board.scanner_ctx, &board.scanner);
    if ((rc = hal_lan9118_init(&board.lan, BOARD_LAN9118_BASE, board_idle, board_millis,
                               &board.netif)) != 0) {
        printf("FAILED at setup: no LAN9118 Ethernet controller (%d)\n", rc);
        return 3;
    }
    printf("ethernet: LAN9118, MAC %02x:%02x:%02x:%02x:%02x:%02x\n", board.lan.mac[0],
           board.lan.mac[1], board.lan.mac[2], board.lan.mac[3], board.lan.mac[4],
           board.lan.mac[5]);
    if (fw_net_init(&board.net, &nc, &board.netif, &board.clock) != 0) {
        printf("FAILED at setup: lwIP refused the network interface\n");
        return 3;
    }
    if (fw_job_band_buffer_size(&req) > sizeof(board.band)) {
        printf("FAILED at validate: the scan settings need a larger band buffer than %u bytes\n",
               (unsigned)sizeof(board.band));
        return 2;
    }
    env.scanner = &board.scanner;
    env.storage = &board.storage;
    env.clock = &board.clock;
    env.rng = &board.rng;
    env.net = &board.net;
    env.band_buf = board.band;
    env.band_buf_size = sizeof(board.band);
    printf("job: %u page(s) %s at %u dpi to %s via %s:%u (%s)\n", req.scan.pages,
           req.type == FW_FILE_PDF ? "PDF" : req.type == FW_FILE_JPEG ? "JPEG" : "TIFF",
           req.scan.dpi, req.to[0], req.gateway, req.port,
           req.tls == SMTP_TLS_STARTTLS ? "STARTTLS"
           : req.tls == SMTP_TLS_IMPLICIT ? "implicit TLS" : "no TLS");
    start = board_millis();
    if (fw_job_init(&board.job, &req, &env) != 0) {
        rc = 1;
    } else {
        rc = fw_loop_run_job(&board.net, &board.job, board_progress, NULL) == 0 ? 0 : 1;
        fw_loop_run_for(&board.net, 50); /* the last segments and the FIN */
        for (unsigned m = 0; rc == 0 && m < board.job.mail_count; m++)
            for (size_t i = 0; i < board.job.rcpt_count; i++)
                if (!board.job.mails[m].rcpt_results[i].delivered)
                    rc = 1;
    }
    board_report(&board.job, board_millis() - start);
    board_report_memory();
    fw_job_free(&board.job);
    fw_net_free(&board.net);
    printf("exit %d\n", rc);
    return rc;
}

/* The built-in job, changed by the command line's KEY=VALUE words. */
static int board_job_request(struct fw_job_request *req, char *cmdline)
{
    static char gateway[SMTP_TRANSPORT_HOST_MAX + 1];
    struct fw_settings *set = &board.settings;
    const char *ca_path = NULL;
    size_t ca_len = 0;
    char *save = NULL;
    int first = 1;

    fw_settings_defaults(set);
    memset(req, 0, sizeof(*req));
    req->from_addr = set->from_addr;
    req->from_name = set->from_name;
    req->subject = set->subject;
    req->file_name = set->file_name;
    req->type = FW_FILE_PDF;
    req->color = FW_COLOR;
    req->scan.dpi = 300;
    req->scan.width_mm10 = 2100;
    req->scan.height_mm10 = 2970;
    req->scan.pages = 3;
    req->quality = set->jpeg_quality;
    req->to[0] = "alice@example.test";
    req->to_count = 1;
    req->tls = SMTP_TLS_STARTTLS;
    req->port = 587;
    snprintf(gateway, sizeof(gateway), "%s", set->gateway);
    req->gateway = gateway;
    req->spool_prefix = "q1-";
    req->no_retry = 1; /* one run, one result: QEMU's exit status */

    for (char *w = strtok_r(cmdline, " ", &save); w; w = strtok_r(NULL, " ", &save), first = 0) {
        char *v = strchr(w, '=');
        if (!v) {
            if (first)
                continue; /* the program name */
            printf("FAILED at validate: '%s' is not KEY=VALUE\n", w);
            return 2;
        }
        *v++ = '\0';
        if (!strcmp(w, "ca"))
            ca_path = v;
        else if (!strcmp(w, "to"))
            req->to[0] = v;
        else if (!strcmp(w, "from"))
            req->from_addr = v;
        else if (!strcmp(w, "subject"))
            req->subject = v;
        else if (!strcmp(w, "gateway"))
            snprintf(gateway, sizeof(gateway), "%s", v);
        else if (!strcmp(w, "port"))
            req->port = (uint16_t)atoi(v);
        else if (!strcmp(w, "tls"))
            req->tls = !strcmp(v, "none") ? SMTP_TLS_NONE
                       : !strcmp(v, "implicit") ? SMTP_TLS_IMPLICIT : SMTP_TLS_STARTTLS;
        else if (!strcmp(w, "pages"))
            req->scan.pages = (unsigned)atoi(v);
        else if (!strcmp(w, "dpi"))
            req->scan.dpi = (unsigned)atoi(v);
        else if (!strcmp(w, "quality"))
            req->quality = (unsigned)atoi(v);
        else if (!strcmp(w, "color"))
            req->color = !strcmp(v, "grey") ? FW_GREY : !strcmp(v, "bw") ? FW_BW : FW_COLOR;
        else if (!strcmp(w, "type"))
            req->type = !strcmp(v, "jpeg") ? FW_FILE_JPEG : !strcmp(v, "tiff") ? FW_FILE_TIFF
                        : !strcmp(v, "mtiff") ? FW_FILE_MTIFF : FW_FILE_PDF;
        else {
            printf("FAILED at validate: unknown setting '%s'\n", w);
            return 2;
        }
    }
    if (ca_path) {
        if (board_semihost_read_file(ca_path, board.ca, sizeof(board.ca), &ca_len) != 0) {
            printf("FAILED at validate: cannot read the CA file %s on the host (%u bytes at "
                   "most)\n", ca_path, (unsigned)sizeof(board.ca) - 1);
            return 2;
        }
        req->ca = board.ca;
        req->ca_len = ca_len + 1; /* PEM with its NUL */
    }
    return 0;
}

/* Progress on the UART: one line per quarter of a page or of an e-mail. */
static void board_progress(void *arg, fw_job_t *job)
{
    static long last_key = -1;
    unsigned pct = 0, unit = 0;
    char addr[16];
    long key;

    (void)arg;
    if (job->phase == FW_JOB_SCANNING) {
        unsigned h = scan_job_page_height(&job->scan);
        unit = scan_job_page_index(&job->scan);
        pct = h ? scan_job_lines_done(&job->scan) * 100u / h : 0;
    } else if (job->phase == FW_JOB_SENDING && job->mail_count) {
        unit = fw_job_sending_mail(job);
        pct = job->writer.size ? (unsigned)(job->writer.produced * 100u / job->writer.size) : 0;
    }
    key = (((long)job->phase * 10000 + unit) * 8 + pct / 25) * 8 + job->gateway_index;
    if (key == last_key)
        return;
    last_key = key;
    switch (job->phase) {
    case FW_JOB_SCANNING:
        printf("[%6lu ms] scanning page %u of %u: %u%%\n", (unsigned long)board_millis(), unit + 1,
               job->req.scan.pages, pct);
        break;
    case FW_JOB_WAIT_NETWORK:
        printf("[%6lu ms] %u page(s) in %u e-mail(s); waiting for the network\n",
               (unsigned long)board_millis(), scan_job_page_count(&job->scan), job->mail_count);
        break;
    case FW_JOB_CONNECTING:
        fw_net_addr_str(job->env.net, addr, sizeof(addr));
        printf("[%6lu ms] address %s (DHCP); connecting to %s port %u\n",
               (unsigned long)board_millis(), addr, job->gw_host, job->gw_port);
        break;
    case FW_JOB_SENDING:
        printf("[%6lu ms] sending e-mail %u of %u (%lu bytes): %u%%\n",
               (unsigned long)board_millis(), unit + 1, job->mail_count,
               (unsigned long)job->mails[unit].size, pct);
        break;
    default:
        break;
    }
}

static void board_report(const fw_job_t *job, uint32_t ms)
{
    const smtp_tls_info_t *t = &job->transport.tls_info;

    if (job->phase == FW_JOB_DONE)
        printf("sent: %u page(s) in %u e-mail(s) in %lu ms\n", scan_job_page_count(&job->scan),
               job->mail_count, (unsigned long)ms);
    else
        printf("FAILED at %s: %s\n", job->stage ? job->stage : "?", job->error);
    for (unsigned m = 0; m < job->mail_count; m++) {
        const struct fw_job_mail *mail = &job->mails[m];
        const smtp_reply_info_t *r = mail->result.status == SMTP_MSG_FAILED
                                         ? &mail->result.fail.reply : &mail->result.reply;
        printf("e-mail %u/%u %s, %lu bytes: gateway %s", m + 1, job->mail_count,
               mail->message_id, (unsigned long)mail->size,
               mail->result.status == SMTP_MSG_SENT ? "accepted" : "NOT SENT");
        if (r->code)
            printf(", %d %s %s", r->code, r->enhanced, r->text);
        printf("\n");
        for (unsigned k = 0; k < job->pack.mails[m].file_count; k++) {
            const struct fw_job_file *f = &job->files[job->pack.mails[m].first_file + k];
            printf("  file %s: %u page(s), %lu bytes\n", f->name, f->page_count,
                   (unsigned long)f->size);
        }
        for (size_t i = 0; i < job->rcpt_count; i++)
            printf("  %s %s: %s\n", fw_job_rcpt_kind(job, i), job->rcpts[i],
                   mail->rcpt_results[i].delivered ? "delivered" : "NOT delivered");
    }
    if (job->transport.tls_active || t->error)
        printf("tls: %s %s, certificate %s, handshake %lu ms%s%s\n", t->version, t->ciphersuite,
               t->error ? "REFUSED" : t->skipped ? "NOT VERIFIED (insecure)" : "verified",
               (unsigned long)t->handshake_ms, t->detail[0] ? ": " : "", t->detail);
    printf("network: %lu frames out, %lu in; smtp %lu bytes out\n",
           (unsigned long)job->env.net->frames_out, (unsigned long)job->env.net->frames_in,
           (unsigned long)job->session.stats.bytes_out);
}

/* The RAM figures the budget is judged by. */
static void board_report_memory(void)
{
    struct board_ram r;

    board_ram_figures(&r);
    printf("ram: static %lu B (.data+.bss), stack peak %lu of %lu B, heap peak %lu of %lu B"
           "%s\n", (unsigned long)r.static_bytes, (unsigned long)r.stack_peak,
           (unsigned long)r.stack_size, (unsigned long)r.heap_peak, (unsigned long)r.heap_size,
           r.heap_failures ? " (malloc was refused)" : "");
    printf("ram: total in use at peak %lu B of 524288 B\n",
           (unsigned long)(r.static_bytes + r.stack_size + r.heap_peak));
    printf("lwip: MEM heap max %u of %u B (errors %u)\n", (unsigned)lwip_stats.mem.max,
           (unsigned)lwip_stats.mem.avail, (unsigned)lwip_stats.mem.err);
    for (int i = 0; i < MEMP_MAX; i++) {
        const struct stats_mem *m = lwip_stats.memp[i];
        if (m)
            printf("lwip: MEMP %-16s max %3u of %3u (errors %u)\n", board_memp_names[i],
                   (unsigned)m->max, (unsigned)m->avail, (unsigned)m->err);
    }
    printf("storage: spool high-water %lu B of %lu B\n",
           (unsigned long)board_storage_peak_bytes(&board_nvm),
           (unsigned long)(BOARD_STORAGE_BLOCKS * BOARD_STORAGE_BLOCK));
}
