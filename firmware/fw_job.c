#include "fw_job.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fw_job_fail(fw_job_t *job, const char *stage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fw_job_set_phase(fw_job_t *job, fw_job_phase_t phase);
static int fw_job_check_rcpts(fw_job_t *job, const char *const *list, size_t n, const char *field);
static int fw_job_check_file_name(const char *name);
static int fw_job_prepare_message(fw_job_t *job);
static int fw_job_start_session(fw_job_t *job);
static void fw_job_finish_session(fw_job_t *job);
static long fw_job_page_read(void *arg, uint32_t off, uint8_t *buf, size_t cap);
static long fw_job_body_read(void *arg, uint8_t *buf, size_t cap);
static void fw_job_close_readers(fw_job_t *job);

size_t fw_job_band_buffer_size(const struct hal_scan_params *scan)
{
    return scan_job_band_buffer_size(scan, FW_JOB_BAND_LINES, 0);
}

int fw_job_init(fw_job_t *job, const struct fw_job_request *req, const struct fw_job_env *env)
{
    struct scan_job_cfg sc;
    const char *field = NULL;
    int rc;

    if (!job || !req || !env || !env->scanner || !env->storage || !env->clock || !env->rng ||
        !env->net || !env->band_buf)
        return FW_JOB_ERR_BAD_ARGS;
    memset(job, 0, sizeof(*job));
    job->req = *req;
    job->env = *env;
    job->phase_since_ms = hal_clock_now_ms(env->clock);
    if (!job->req.file_name || !job->req.file_name[0])
        job->req.file_name = "scan";

    if (!req->from_addr || smtp_address_check(req->from_addr) != 0) {
        job->field = "From";
        return fw_job_fail(job, "validate", "From is not a valid e-mail address: use name@domain.");
    }
    if (req->to_count == 0) {
        job->field = "To";
        return fw_job_fail(job, "validate", "Add at least one recipient in To.");
    }
    if ((rc = fw_job_check_rcpts(job, req->to, req->to_count, "To")) != 0 ||
        (rc = fw_job_check_rcpts(job, req->cc, req->cc_count, "Cc")) != 0 ||
        (rc = fw_job_check_rcpts(job, req->bcc, req->bcc_count, "Bcc")) != 0)
        return rc;
    if (fw_job_check_file_name(job->req.file_name) != 0) {
        job->field = "File name";
        return fw_job_fail(job, "validate",
                           "File name may hold up to %d letters, digits, spaces, '-', '_' and '.'; "
                           "the extension is added for you.", FW_JOB_FILE_NAME_MAX);
    }
    if (!req->gateway || !req->gateway[0] || strlen(req->gateway) > SMTP_TRANSPORT_HOST_MAX ||
        req->port == 0) {
        job->field = "Gateway";
        return fw_job_fail(job, "validate",
                           "No SMTP gateway is set: Administration > E-mail Setup > SMTP gateway.");
    }

    /* The message's headers are checked now, before a page is scanned. */
    for (size_t i = 0; i < req->to_count; i++)
        job->to[i] = mime_str(req->to[i]);
    for (size_t i = 0; i < req->cc_count; i++)
        job->cc[i] = mime_str(req->cc[i]);
    job->mime.from_name = mime_str(req->from_name ? req->from_name : "");
    job->mime.from_addr = mime_str(req->from_addr);
    job->mime.to = job->to;
    job->mime.to_count = req->to_count;
    job->mime.cc = job->cc;
    job->mime.cc_count = req->cc_count;
    job->mime.subject = mime_str(req->subject ? req->subject : "");
    job->mime.text = mime_str(req->message ? req->message : "");
    job->mime.date = hal_clock_wall_time(env->clock);
    if (hal_rng_fill(env->rng, job->mime.boundary_rnd, sizeof(job->mime.boundary_rnd)) != 0)
        return fw_job_fail(job, "validate", "The random number source failed.");
    {
        uint8_t rnd[12];
        if (hal_rng_fill(env->rng, rnd, sizeof(rnd)) != 0 ||
            mime_make_message_id(job->message_id, sizeof(job->message_id), rnd, sizeof(rnd),
                                 job->mime.date, req->from_addr) != 0)
            return fw_job_fail(job, "validate", "Cannot make a Message-ID for %s.", req->from_addr);
    }
    job->mime.message_id = mime_str(job->message_id);
    if (mime_message_validate(&job->mime, &field) != 0) {
        job->field = field;
        return fw_job_fail(job, "validate",
                           "%s is not valid: remove line breaks and control characters.",
                           field ? field : "A field");
    }

    memset(&sc, 0, sizeof(sc));
    sc.scanner = env->scanner;
    sc.storage = env->storage;
    sc.params = req->scan;
    sc.quality = req->quality;
    sc.band_lines = FW_JOB_BAND_LINES;
    sc.band_buf = env->band_buf;
    sc.band_buf_size = env->band_buf_size;
    sc.prefix = req->spool_prefix;
    if (scan_job_init(&job->scan, &sc) != 0)
        return fw_job_fail(job, "validate", "The scan settings are not valid for this scanner.");
    fw_job_set_phase(job, FW_JOB_SCANNING);
    return 0;
}

int fw_job_step(fw_job_t *job)
{
    uint32_t now = hal_clock_now_ms(job->env.clock);
    int rc;

    switch (job->phase) {
    case FW_JOB_SCANNING:
        rc = scan_job_step(&job->scan);
        if (rc == SCAN_JOB_AGAIN)
            return 1;
        if (rc < 0) {
            fw_job_fail(job, "scan", "Scanning stopped at page %u (scan error %d): %s",
                        scan_job_error_page_index(&job->scan) + 1, rc,
                        rc == SCAN_JOB_ERR_JAM ? "clear the paper jam and press Start again."
                        : rc == SCAN_JOB_ERR_COVER_OPEN ? "close the cover and press Start again."
                        : "check the scanner and press Start again.");
            return 0;
        }
        if (fw_job_prepare_message(job) == 0)
            fw_job_set_phase(job, FW_JOB_WAIT_NETWORK);
        return 1;
    case FW_JOB_WAIT_NETWORK:
        if (fw_net_ready(job->env.net)) {
            fw_job_start_session(job);
            return 1;
        }
        if ((uint32_t)(now - job->phase_since_ms) > FW_JOB_NET_TIMEOUT_MS)
            fw_job_fail(job, "network",
                        "No network address after %u s (DHCP): check the network cable and the "
                        "DHCP server.", FW_JOB_NET_TIMEOUT_MS / 1000);
        return 0;
    case FW_JOB_CONNECTING:
    case FW_JOB_SENDING:
        smtp_transport_poll(&job->transport);
        if (job->phase == FW_JOB_CONNECTING && job->transport.state == SMTP_TRANSPORT_CONNECTED)
            fw_job_set_phase(job, FW_JOB_SENDING);
        if (smtp_transport_done(&job->transport))
            fw_job_finish_session(job);
        return 0;
    case FW_JOB_DONE:
    case FW_JOB_FAILED:
        return 0;
    }
    return 0;
}

int fw_job_finished(const fw_job_t *job)
{
    return job->phase == FW_JOB_DONE || job->phase == FW_JOB_FAILED;
}

void fw_job_cancel(fw_job_t *job)
{
    if (fw_job_finished(job))
        return;
    smtp_transport_close(&job->transport);
    fw_job_fail(job, "cancel", "Stopped at the panel: nothing more was sent.");
}

void fw_job_free(fw_job_t *job)
{
    if (!job || !job->env.storage)
        return;
    smtp_transport_close(&job->transport);
    smtp_session_free(&job->session);
    mime_writer_free(&job->writer);
    fw_job_close_readers(job);
    for (unsigned i = 0; i < scan_job_page_count(&job->scan) && !job->req.keep_spool; i++)
        spool_page_remove(job->env.storage, scan_job_page(&job->scan, i)->name);
    scan_job_free(&job->scan);
    job->env.storage = NULL;
}

const char *fw_job_phase_name(fw_job_phase_t phase)
{
    static const char *const names[] = {"scanning", "waiting for network", "connecting",
                                        "sending", "done", "failed"};
    return (unsigned)phase < sizeof(names) / sizeof(names[0]) ? names[phase] : "?";
}

static int fw_job_fail(fw_job_t *job, const char *stage, const char *fmt, ...)
{
    va_list ap;
    job->stage = stage;
    va_start(ap, fmt);
    vsnprintf(job->error, sizeof(job->error), fmt, ap);
    va_end(ap);
    job->phase = FW_JOB_FAILED;
    return job->field ? FW_JOB_ERR_FIELD : FW_JOB_ERR_BAD_ARGS;
}

static void fw_job_set_phase(fw_job_t *job, fw_job_phase_t phase)
{
    job->phase = phase;
    job->phase_since_ms = hal_clock_now_ms(job->env.clock);
}

static int fw_job_check_rcpts(fw_job_t *job, const char *const *list, size_t n, const char *field)
{
    if (n > FW_JOB_RCPT_MAX) {
        job->field = field;
        return fw_job_fail(job, "validate", "%s has more than %d addresses.", field,
                           FW_JOB_RCPT_MAX);
    }
    for (size_t i = 0; i < n; i++) {
        if (!list[i] || smtp_address_check(list[i]) != 0) {
            job->field = field;
            return fw_job_fail(job, "validate",
                               "%s address %zu is not a valid e-mail address: use name@domain.",
                               field, i + 1);
        }
    }
    return 0;
}

/* A base name the user typed: printable, no path or quoting characters, no
 * leading dot (UTF-8 letters are allowed; MIME encodes them per RFC 2231). */
static int fw_job_check_file_name(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > FW_JOB_FILE_NAME_MAX || name[0] == '.' || name[0] == ' ')
        return -1;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || strchr("/\\\":*?<>|;", *p))
            return -1;
    }
    return 0;
}

/* Attaches every spooled page and sizes the message exactly. */
static int fw_job_prepare_message(fw_job_t *job)
{
    unsigned n = scan_job_page_count(&job->scan);
    const char *field = NULL;
    size_t r = 0;

    for (unsigned i = 0; i < n; i++) {
        const struct scan_job_page *pg = scan_job_page(&job->scan, i);
        struct fw_job_page_reader *rd = &job->readers[i];
        mime_attachment_t *a = &job->attachments[i];

        if (n == 1)
            snprintf(job->file_names[i], sizeof(job->file_names[i]), "%s.jpg", job->req.file_name);
        else
            snprintf(job->file_names[i], sizeof(job->file_names[i]), "%s_%u.jpg",
                     job->req.file_name, i + 1);
        rd->st = job->env.storage;
        snprintf(rd->name, sizeof(rd->name), "%s", pg->name);
        a->filename = mime_str(job->file_names[i]);
        a->content_type = mime_str("image/jpeg");
        a->size = pg->size;
        a->read = fw_job_page_read;
        a->arg = rd;
    }
    job->mime.attachments = job->attachments;
    job->mime.attachment_count = n;
    if (mime_writer_init(&job->writer, &job->mime, &field) != 0)
        return fw_job_fail(job, "message", "Cannot write the e-mail: %s is not valid.",
                           field ? field : "a field");

    for (size_t i = 0; i < job->req.to_count; i++)
        job->rcpts[r++] = job->req.to[i];
    for (size_t i = 0; i < job->req.cc_count; i++)
        job->rcpts[r++] = job->req.cc[i];
    for (size_t i = 0; i < job->req.bcc_count; i++)
        job->rcpts[r++] = job->req.bcc[i];
    job->msg.from = job->req.from_addr;
    job->msg.rcpts = job->rcpts;
    job->msg.rcpt_count = r;
    job->msg.size = mime_writer_size(&job->writer);
    job->msg.read = fw_job_body_read;
    job->msg.read_arg = &job->writer;
    job->msg.result = &job->msg_result;
    job->msg.rcpt_results = job->rcpt_results;
    return 0;
}

static int fw_job_start_session(fw_job_t *job)
{
    char addr[16];
    int rc;

    if (job->req.ehlo_domain) {
        snprintf(job->ehlo, sizeof(job->ehlo), "%s", job->req.ehlo_domain);
    } else {
        fw_net_addr_str(job->env.net, addr, sizeof(addr));
        snprintf(job->ehlo, sizeof(job->ehlo), "[%s]", addr);
    }
    job->smtp_cfg.ehlo_domain = job->ehlo;
    job->smtp_cfg.timeouts = job->req.timeouts;
    job->smtp_cfg.messages = &job->msg;
    job->smtp_cfg.message_count = 1;
    rc = smtp_session_init(&job->session, &job->smtp_cfg, job->outbuf, sizeof(job->outbuf));
    if (rc != 0)
        return fw_job_fail(job, "validate", "Cannot start SMTP: %s (%s).", smtp_strerror(rc),
                           job->session.fail.field);
    rc = smtp_transport_open(&job->transport, &job->session, job->env.clock, job->req.gateway,
                             job->req.port);
    if (rc != 0)
        return fw_job_fail(job, "connect", "Cannot connect to %s:%u: %s.", job->req.gateway,
                           job->req.port, smtp_transport_strerror(rc));
    fw_job_set_phase(job, FW_JOB_CONNECTING);
    return 0;
}

static void fw_job_finish_session(fw_job_t *job)
{
    const smtp_failure_t *f = &job->session.fail;

    fw_job_close_readers(job);
    if (job->transport.error == SMTP_TRANSPORT_ERR_DNS) {
        fw_job_fail(job, "dns",
                    "The gateway name %s does not resolve: check the SMTP gateway setting and the "
                    "DNS server.", job->req.gateway);
        return;
    }
    if (job->transport.error != 0) {
        fw_job_fail(job, "connect",
                    "Cannot connect to the gateway %s port %u (%s, lwIP error %d): check the "
                    "address, the port and that the server is running.",
                    job->req.gateway, job->req.port,
                    smtp_transport_strerror(job->transport.error), job->transport.lwip_err);
        return;
    }
    if (smtp_session_status(&job->session) == SMTP_SESSION_SUCCESS) {
        fw_job_set_phase(job, FW_JOB_DONE);
        return;
    }
    if (f->reply.code)
        fw_job_fail(job, smtp_stage_name(f->stage),
                    "The gateway refused at %s: %d %s%s%s. Check the addresses or ask the "
                    "mail administrator.",
                    smtp_stage_name(f->stage), f->reply.code, f->reply.enhanced,
                    f->reply.enhanced[0] ? " " : "", f->reply.text);
    else
        fw_job_fail(job, smtp_stage_name(f->stage), "Sending failed at %s: %s.",
                    smtp_stage_name(f->stage), smtp_strerror(f->error));
}

static long fw_job_page_read(void *arg, uint32_t off, uint8_t *buf, size_t cap)
{
    struct fw_job_page_reader *rd = arg;
    long n;

    if (!rd->open) {
        if (spool_page_open(&rd->page, rd->st, rd->name) != 0)
            return -1;
        rd->open = 1;
    }
    n = spool_page_read(&rd->page, off, buf, cap);
    /* Pages are read once, in order: close each as soon as it is done. */
    if (n >= 0 && off + (uint32_t)n >= spool_page_size(&rd->page)) {
        spool_page_close(&rd->page);
        rd->open = 0;
    }
    return n;
}

static long fw_job_body_read(void *arg, uint8_t *buf, size_t cap)
{
    return mime_writer_read(arg, buf, cap);
}

static void fw_job_close_readers(fw_job_t *job)
{
    for (unsigned i = 0; i < SCAN_JOB_MAX_PAGES; i++) {
        if (job->readers[i].open) {
            spool_page_close(&job->readers[i].page);
            job->readers[i].open = 0;
        }
    }
}
