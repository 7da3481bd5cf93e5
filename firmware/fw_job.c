#include "fw_job.h"
#include "fw_joblog.h"
#include "fw_journal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fw_job_fail(fw_job_t *job, const char *stage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fw_job_reset(fw_job_t *job, const struct fw_job_request *req,
                         const struct fw_job_env *env);
static void fw_job_set_phase(fw_job_t *job, fw_job_phase_t phase);
static int fw_job_validate(fw_job_t *job);
static int fw_job_check_rcpts(fw_job_t *job, const char *const *list, size_t n, const char *field);
static int fw_job_check_file_name(const char *name);
static void fw_job_describe_pages(fw_job_t *job);
static int fw_job_pack(fw_job_t *job);
static int fw_job_shrink_start(fw_job_t *job);
static int fw_job_shrink_step(fw_job_t *job);
static const char *fw_job_limit_name(const struct packer_too_big *tb);
static int fw_job_build(fw_job_t *job);
static void fw_job_mime_base(const fw_job_t *job, mime_message_t *m);
static uint64_t fw_job_file_size(void *arg, unsigned first_page, unsigned count);
static uint64_t fw_job_message_size(void *arg, const struct packer_mail_shape *shape);
static int fw_job_prepare(void *arg, const struct smtp_ext *ext);
static int fw_job_start_session(fw_job_t *job);
static void fw_job_finish_session(fw_job_t *job);
static int fw_job_transient(const smtp_rcpt_result_t *r, const smtp_message_result_t *m,
                            const smtp_failure_t *session);
static unsigned fw_job_merge(fw_job_t *job);
static int fw_job_all_settled(const fw_job_t *job);
static int fw_job_plan_retry(fw_job_t *job);
static const smtp_rcpt_result_t *fw_job_first_deferred(const fw_job_t *job);
static void fw_job_accepted(void *arg, size_t index);
static int fw_job_any_delivered(const fw_job_t *job);
static int fw_job_any_delivered_in(const struct fw_job_mail *mail, size_t rcpt_count);
static size_t fw_job_select_pending(fw_job_t *job);
static long fw_job_page_read(void *arg, uint32_t off, uint8_t *buf, size_t cap);
static long fw_job_none_read(void *arg, uint32_t off, uint8_t *buf, size_t cap);
static long fw_job_body_read(void *arg, uint8_t *buf, size_t cap);
static int fw_job_body_rewind(void *arg);
static const char *fw_job_sender(const fw_job_t *job);
static void fw_job_close_readers(fw_job_t *job);
static enum packer_type fw_job_packer_type(enum fw_file_type type);

size_t fw_job_band_buffer_size(const struct fw_job_request *req)
{
    struct hal_scan_params p = req->scan;

    p.color = req->color == FW_COLOR ? HAL_SCAN_COLOR : HAL_SCAN_GREY;
    return scan_job_band_buffer_size(&p, FW_JOB_BAND_LINES, req->color == FW_BW);
}

int fw_job_init(fw_job_t *job, const struct fw_job_request *req, const struct fw_job_env *env)
{
    struct scan_job_cfg sc;
    int rc;

    if (!job || !req || !env || !env->scanner || !env->storage || !env->clock || !env->rng ||
        !env->net || !env->band_buf)
        return FW_JOB_ERR_BAD_ARGS;
    fw_job_reset(job, req, env);
    if (!job->req.file_name || !job->req.file_name[0])
        job->req.file_name = "scan";
    if (!job->req.subject)
        job->req.subject = "";
    job->req.scan.color = req->color == FW_COLOR ? HAL_SCAN_COLOR : HAL_SCAN_GREY;
    if ((rc = fw_job_validate(job)) != 0)
        return rc;
    if (req->test_gateway) {
        fw_job_set_phase(job, FW_JOB_WAIT_NETWORK);
        return 0;
    }

    memset(&sc, 0, sizeof(sc));
    sc.scanner = env->scanner;
    sc.storage = env->storage;
    sc.params = job->req.scan;
    sc.quality = req->quality;
    sc.band_lines = FW_JOB_BAND_LINES;
    sc.band_buf = env->band_buf;
    sc.band_buf_size = env->band_buf_size;
    sc.prefix = req->spool_prefix;
    sc.bilevel = req->color == FW_BW;
    sc.bw_mode = req->bw_mode;
    sc.darkness = req->darkness;
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
                        : rc == SCAN_JOB_ERR_STALLED ? "the feed stalled: open the feeder, remove "
                                                       "the sheet and press Start again."
                        : rc == SCAN_JOB_ERR_STORAGE_FULL ? "the memory is full: scan fewer pages."
                        : "check the scanner and the originals, then press Start again.");
            return 0;
        }
        if (scan_job_page_count(&job->scan) == 0) {
            fw_job_fail(job, "scan", "No page was scanned: load the originals and press Start.");
            return 0;
        }
        for (unsigned i = 0; i < scan_job_page_count(&job->scan); i++)
            job->page_quality[i] = job->req.quality ? job->req.quality
                                                    : SCAN_JPEG_QUALITY_DEFAULT;
        fw_job_set_phase(job, FW_JOB_PACKING);
        return 1;
    case FW_JOB_PACKING:
        if (fw_job_pack(job) != 0)
            return 1;
        /* From here the job survives a power cut: it is queued. */
        if (fw_journal_save(job) != 0) {
            fw_job_fail(job, "queue", "Cannot queue the job: the memory is full or failing. "
                        "Scan fewer pages, or restart the device.");
            return 0;
        }
        job->journaled = 1;
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
    case FW_JOB_RETRY_WAIT:
        if ((int32_t)(now - job->retry_at_ms) >= 0)
            fw_job_set_phase(job, FW_JOB_WAIT_NETWORK);
        return 0;
    case FW_JOB_DONE:
    case FW_JOB_FAILED:
        return 0;
    }
    return 0;
}

int fw_job_resume(fw_job_t *job, const struct fw_job_request *settings,
                  const struct fw_job_env *env)
{
    int64_t wall;
    int rc;

    if (!job || !settings || !env || !env->storage || !env->clock || !env->rng || !env->net ||
        !env->band_buf || !settings->spool_prefix)
        return FW_JOB_ERR_BAD_ARGS;
    fw_job_reset(job, settings, env);
    job->req.test_gateway = 0;
    job->journaled = 1; /* whatever happens next, the journal is this job's */
    rc = fw_journal_load(job, env->storage, settings->spool_prefix);
    if (rc != 0)
        return fw_job_fail(job, "queue", "The queued job %s cannot be resumed: %s. It was "
                           "removed; scan the originals again.", settings->spool_prefix,
                           fw_journal_strerror(rc));
    if ((rc = fw_job_validate(job)) != 0)
        return rc;
    for (unsigned i = 0; i < scan_job_page_count(&job->scan); i++)
        if (spool_page_verify(env->storage, scan_job_page(&job->scan, i)->name, NULL) != 0)
            return fw_job_fail(job, "queue", "Page %u of the queued job is lost or damaged: "
                               "scan the originals again.", i + 1);
    while ((rc = fw_job_pack(job)) == FW_JOB_AGAIN)
        ;
    if (rc != 0)
        return rc;
    if (job->mail_count != job->resumed_mails)
        return fw_job_fail(job, "queue", "The queued job no longer divides into the same "
                           "e-mails (%u, was %u): scan the originals again.", job->mail_count,
                           job->resumed_mails);
    for (unsigned m = 0; m < job->mail_count; m++) /* taken before the restart */
        if (memchr(job->mails[m].pending, 1, job->rcpt_count) == NULL &&
            fw_job_any_delivered_in(&job->mails[m], job->rcpt_count))
            job->mails[m].result.status = SMTP_MSG_SENT;
    if (fw_job_select_pending(job) == 0) {
        fw_job_set_phase(job, fw_job_all_settled(job) ? FW_JOB_DONE : FW_JOB_FAILED);
        if (job->phase == FW_JOB_FAILED)
            fw_job_fail(job, "queue", "The queued job had nothing left it could send.");
        return 0;
    }
    wall = hal_clock_wall_time(env->clock);
    if (job->retry_at_wall > wall && wall >= 0 && !settings->retry_now) {
        int64_t wait_s = job->retry_at_wall - wall;
        job->retry_at_ms = hal_clock_now_ms(env->clock) +
                           (uint32_t)(wait_s > 86400 ? 86400000 : wait_s * 1000);
        fw_job_set_phase(job, FW_JOB_RETRY_WAIT);
    } else {
        fw_job_set_phase(job, FW_JOB_WAIT_NETWORK);
    }
    return 0;
}

int fw_job_queued(const fw_job_t *job)
{
    return job->journaled && !fw_job_finished(job);
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
    if (job->tls_cfg_ready)
        smtp_tls_config_free(&job->tls_cfg);
    job->tls_cfg_ready = 0;
    mime_writer_free(&job->writer);
    fw_job_close_readers(job);
    if (job->shrinking)
        scan_requant_job_abort(&job->shrink);
    if (fw_job_finished(job) && !job->req.test_gateway)
        fw_joblog_add(job->env.storage, job); /* the job log: best effort */
    if (!fw_job_queued(job)) {
        for (unsigned i = 0; i < scan_job_page_count(&job->scan) && !job->req.keep_spool; i++)
            spool_page_remove(job->env.storage, scan_job_page(&job->scan, i)->name);
        if (job->journaled)
            fw_journal_remove(job->env.storage, job->req.spool_prefix);
    }
    scan_job_free(&job->scan);
    job->env.storage = NULL;
}

unsigned fw_job_sending_mail(const fw_job_t *job)
{
    return job->writer_mail < 0 ? 0 : (unsigned)job->writer_mail;
}

const char *fw_job_rcpt_kind(const fw_job_t *job, size_t i)
{
    if (i < job->req.to_count)
        return "to";
    return i < job->req.to_count + job->req.cc_count ? "cc" : "bcc";
}

const char *fw_job_phase_name(fw_job_phase_t phase)
{
    static const char *const names[] = {"scanning",   "packing", "waiting for network",
                                        "connecting", "sending", "waiting to retry",
                                        "done",       "failed"};
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

/* The state every job starts from, fresh (fw_job_init) or queued
 * (fw_job_resume). */
static void fw_job_reset(fw_job_t *job, const struct fw_job_request *req,
                         const struct fw_job_env *env)
{
    memset(job, 0, sizeof(*job));
    job->req = *req;
    job->env = *env;
    job->writer_mail = -1;
    job->phase_since_ms = hal_clock_now_ms(env->clock);
}

static void fw_job_set_phase(fw_job_t *job, fw_job_phase_t phase)
{
    job->phase = phase;
    job->phase_since_ms = hal_clock_now_ms(job->env.clock);
}

/* Every field, before a page is scanned: the user fixes it at the panel. */
static int fw_job_validate(fw_job_t *job)
{
    const struct fw_job_request *req = &job->req;
    const char *field = NULL;
    mime_message_t m;
    int rc;

    if (!req->from_addr || smtp_address_check(req->from_addr) != 0) {
        job->field = "From";
        return fw_job_fail(job, "validate", "From is not a valid e-mail address: use name@domain.");
    }
    if (req->fixed_from && smtp_address_check(req->fixed_from) != 0) {
        job->field = "Default From";
        return fw_job_fail(job, "validate", "The administrator's default From is not a valid "
                           "e-mail address: Administration > E-mail Setup.");
    }
    if (req->to_count == 0 && !req->test_gateway) {
        job->field = "To";
        return fw_job_fail(job, "validate", "Add at least one recipient in To.");
    }
    if ((rc = fw_job_check_rcpts(job, req->to, req->to_count, "To")) != 0 ||
        (rc = fw_job_check_rcpts(job, req->cc, req->cc_count, "Cc")) != 0 ||
        (rc = fw_job_check_rcpts(job, req->bcc, req->bcc_count, "Bcc")) != 0)
        return rc;
    if (fw_job_check_file_name(req->file_name) != 0) {
        job->field = "File name";
        return fw_job_fail(job, "validate",
                           "File name may hold up to %d letters, digits, spaces, '-', '_' and '.'; "
                           "the extension is added for you.", FW_JOB_FILE_NAME_MAX);
    }
    if (req->message && strlen(req->message) > FW_JOB_MESSAGE_MAX) {
        job->field = "Message";
        return fw_job_fail(job, "validate", "Message is longer than %d bytes.",
                           FW_JOB_MESSAGE_MAX);
    }
    if (strlen(req->subject) > FW_SETTINGS_STR_MAX) {
        job->field = "Subject";
        return fw_job_fail(job, "validate", "Subject is longer than %d bytes.",
                           FW_SETTINGS_STR_MAX);
    }
    if ((unsigned)req->type > FW_FILE_MTIFF || (unsigned)req->color > FW_BW) {
        job->field = "File type";
        return fw_job_fail(job, "validate", "Unknown file type or colour mode.");
    }
    if (req->type == FW_FILE_JPEG && req->color == FW_BW) {
        job->field = "File type";
        return fw_job_fail(job, "validate",
                           "Black and white pages are sent as PDF or TIFF: choose PDF, TIFF or "
                           "MTIFF, or colour or greyscale for JPEG.");
    }
    if (req->darkness < SCAN_BILEVEL_DARKNESS_MIN || req->darkness > SCAN_BILEVEL_DARKNESS_MAX) {
        job->field = "Darkness";
        return fw_job_fail(job, "validate", "Darkness goes from %d to +%d.",
                           SCAN_BILEVEL_DARKNESS_MIN, SCAN_BILEVEL_DARKNESS_MAX);
    }
    for (size_t i = 0; i < req->backup_count; i++) {
        const struct fw_job_gateway *b = &req->backup[i];
        if (req->backup_count >= FW_JOB_GATEWAYS_MAX || !b->host || !b->host[0] ||
            strlen(b->host) > SMTP_TRANSPORT_HOST_MAX || b->port == 0 ||
            (b->own_security && (unsigned)b->tls > SMTP_TLS_IMPLICIT)) {
            job->field = "Gateway";
            return fw_job_fail(job, "validate", "Backup gateway %u is not valid.",
                               (unsigned)(i + 1));
        }
    }
    if (!req->gateway || !req->gateway[0] || strlen(req->gateway) > SMTP_TRANSPORT_HOST_MAX ||
        req->port == 0) {
        job->field = "Gateway";
        return fw_job_fail(job, "validate",
                           "No SMTP gateway is set: Administration > E-mail Setup > SMTP gateway.");
    }

    for (size_t i = 0; i < req->to_count; i++)
        job->rcpts[job->rcpt_count++] = req->to[i];
    for (size_t i = 0; i < req->cc_count; i++)
        job->rcpts[job->rcpt_count++] = req->cc[i];
    for (size_t i = 0; i < req->bcc_count; i++)
        job->rcpts[job->rcpt_count++] = req->bcc[i];
    for (size_t i = 0; i < req->to_count; i++)
        job->to[i] = mime_str(req->to[i]);
    for (size_t i = 0; i < req->cc_count; i++)
        job->cc[i] = mime_str(req->cc[i]);

    /* One Message-ID per possible e-mail, all of one length (sizes are
     * computed before sending); a resumed job keeps the ones it had. */
    for (unsigned i = 0; i < FW_JOB_MAIL_MAX; i++) {
        struct fw_job_mail *mail = &job->mails[i];
        uint8_t rnd[12];

        if (hal_rng_fill(job->env.rng, rnd, sizeof(rnd)) != 0 ||
            hal_rng_fill(job->env.rng, mail->mime.boundary_rnd, sizeof(mail->mime.boundary_rnd)) ||
            (!mail->message_id[0] &&
             mime_make_message_id(mail->message_id, sizeof(mail->message_id), rnd, sizeof(rnd),
                                  hal_clock_wall_time(job->env.clock), req->from_addr) != 0))
            return fw_job_fail(job, "validate", "Cannot make a Message-ID for %s.",
                               req->from_addr);
    }
    fw_job_mime_base(job, &m);
    m.subject = mime_str(req->subject);
    if (!req->test_gateway && mime_message_validate(&m, &field) != 0) {
        job->field = field;
        return fw_job_fail(job, "validate",
                           "%s is not valid: remove line breaks and control characters.",
                           field ? field : "A field");
    }
    return 0;
}

static int fw_job_check_rcpts(fw_job_t *job, const char *const *list, size_t n, const char *field)
{
    if (n > FW_JOB_RCPT_MAX - job->rcpt_count ||
        job->req.to_count + job->req.cc_count + job->req.bcc_count > FW_JOB_RCPT_MAX) {
        job->field = field;
        return fw_job_fail(job, "validate", "To, Cc and Bcc hold more than %d addresses together.",
                           FW_JOB_RCPT_MAX);
    }
    for (size_t i = 0; i < n; i++) {
        if (!list[i] || smtp_address_check(list[i]) != 0) {
            job->field = field;
            return fw_job_fail(job, "validate",
                               "%s address %u is not a valid e-mail address: use name@domain.",
                               field, (unsigned)(i + 1));
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

/* The PDF and TIFF writers' view of every spooled page. */
static void fw_job_describe_pages(fw_job_t *job)
{
    for (unsigned i = 0; i < scan_job_page_count(&job->scan); i++) {
        const struct scan_job_page *pg = scan_job_page(&job->scan, i);
        struct fw_job_page_reader *rd = &job->readers[i];
        int g4 = pg->kind == SCAN_PAGE_G4;

        rd->st = job->env.storage;
        rd->job = job;
        snprintf(rd->name, sizeof(rd->name), "%s", pg->name);
        job->pdf_pages[i] = (struct pdfw_page){
            .kind = g4 ? PDFW_PAGE_G4 : PDFW_PAGE_JPEG, .width = pg->width,
            .height = pg->height, .xdpi = pg->dpi, .ydpi = pg->dpi,
            .components = pg->components, .data_off = g4 ? pg->strip_off : 0,
            .data_len = g4 ? pg->strip_len : pg->size, .read = fw_job_page_read, .read_arg = rd};
        job->tiff_pages[i] = (struct tiffw_page){
            .kind = g4 ? TIFFW_G4 : TIFFW_JPEG, .width = pg->width, .height = pg->height,
            .dpi = pg->dpi, .components = pg->components, .data_size = pg->size,
            .strip_off = g4 ? pg->strip_off : 0, .strip_len = g4 ? pg->strip_len : pg->size,
            .read = fw_job_page_read, .arg = rd};
    }
}

/* Groups the pages into files and e-mails within the administrator's
 * attachment limit and the gateway's SIZE (job->size_max). A JPEG page too
 * big on its own is re-encoded at lower quality, a band per call, until it
 * fits; else the job fails here, before anything is sent.
 * Returns 0 (packed), FW_JOB_AGAIN (a page is being re-encoded: call again)
 * or a failure (the job has failed). */
static int fw_job_pack(fw_job_t *job)
{
    struct packer_cfg cfg = {0};
    int rc;

    if (job->shrinking && (rc = fw_job_shrink_step(job)) != 0)
        return rc;
    fw_job_describe_pages(job);
    cfg.type = fw_job_packer_type(job->req.type);
    cfg.pages = scan_job_page_count(&job->scan);
    cfg.attach_max = job->req.max_attachment;
    cfg.size_max = job->size_max;
    cfg.file_size = fw_job_file_size;
    cfg.message_size = fw_job_message_size;
    cfg.arg = job;
    rc = packer_pack(&cfg, &job->pack);
    if (rc == PACKER_ERR_PAGE_TOO_BIG)
        return fw_job_shrink_start(job);
    if (rc != 0)
        return fw_job_fail(job, "pack", "Cannot divide the pages into e-mails (error %d).", rc);
    if (job->pack.mail_count > FW_JOB_MAIL_MAX)
        return fw_job_fail(job, "pack",
                           "The scan needs %u e-mails, more than the %d one job may send: raise the "
                           "maximum attachment size or scan at a lower resolution.",
                           job->pack.mail_count, FW_JOB_MAIL_MAX);
    return fw_job_build(job);
}

/* Starts re-encoding the page the packer named at the next lower quality. */
static int fw_job_shrink_start(fw_job_t *job)
{
    const struct packer_too_big *tb = &job->pack.too_big;
    struct scan_job_page *pg = &job->scan.pages[tb->page];
    const char *prefix = job->req.spool_prefix ? job->req.spool_prefix : "";
    unsigned quality = scan_requant_next_quality(job->page_quality[tb->page]);

    job->shrink_page = *tb;
    job->shrink_wrapper = tb->page_size - pg->size;
    if (pg->kind != SCAN_PAGE_JPEG || tb->limit <= job->shrink_wrapper || quality == 0)
        return fw_job_fail(job, "pack",
                           "Page %u is %lu bytes, over %s of %lu bytes: raise the limit, or scan "
                           "it at a lower resolution.", tb->page + 1,
                           (unsigned long)tb->page_size, fw_job_limit_name(tb),
                           (unsigned long)tb->limit);
    /* Alternate between two names so that the source is never the target. */
    snprintf(job->shrink_dst, sizeof(job->shrink_dst), "%s%c%04u.jpg", prefix,
             strchr(pg->name + strlen(prefix), 'q') ? 'r' : 'q', tb->page + 1);
    if (scan_requant_job_start(&job->shrink, &job->requant, job->env.storage, pg->name,
                               job->shrink_dst, quality,
                               (uint32_t)(tb->limit - job->shrink_wrapper), job->env.band_buf,
                               job->env.band_buf_size) != SCAN_REQUANT_AGAIN)
        return fw_job_fail(job, "pack", "Cannot re-encode page %u.", tb->page + 1);
    fw_job_close_readers(job);
    job->shrinking = 1;
    return FW_JOB_AGAIN;
}

/* One band of the re-encoding; 0 once the smaller page replaced the old. */
static int fw_job_shrink_step(fw_job_t *job)
{
    const struct packer_too_big *tb = &job->shrink_page;
    struct scan_job_page *pg = &job->scan.pages[tb->page];
    int rc = scan_requant_job_step(&job->shrink);

    if (rc == SCAN_REQUANT_AGAIN)
        return FW_JOB_AGAIN;
    job->shrinking = 0;
    if (rc == SCAN_REQUANT_ERR_NO_FIT)
        return fw_job_fail(job, "pack",
                           "Page %u is %lu bytes, and still %lu bytes at the lowest quality (%u); "
                           "%s is %lu bytes: raise the limit, or scan at a lower resolution or "
                           "in %s.", tb->page + 1, (unsigned long)tb->page_size,
                           (unsigned long)(job->shrink.out.size + job->shrink_wrapper),
                           job->shrink.out.quality, fw_job_limit_name(tb),
                           (unsigned long)tb->limit,
                           job->req.color == FW_COLOR ? "greyscale or black and white"
                                                      : "black and white");
    if (rc != 0)
        return fw_job_fail(job, "pack", "Cannot re-encode page %u smaller (error %d).",
                           tb->page + 1, rc);
    spool_page_remove(job->env.storage, pg->name);
    snprintf(pg->name, sizeof(pg->name), "%s", job->shrink_dst);
    pg->size = job->shrink.out.size;
    job->page_quality[tb->page] = job->shrink.out.quality;
    job->requantized++;
    return 0;
}

static const char *fw_job_limit_name(const struct packer_too_big *tb)
{
    return tb->which == PACKER_LIMIT_MESSAGE ? "the gateway's message size limit"
                                             : "the maximum attachment size";
}

/* Files and e-mails from the packer's result, each with its exact size. */
static int fw_job_build(fw_job_t *job)
{
    enum packer_type type = fw_job_packer_type(job->req.type);
    const char *ext = packer_ext(type);
    int64_t now = hal_clock_wall_time(job->env.clock);

    for (unsigned f = 0; f < job->pack.file_count; f++) {
        struct fw_job_file *file = &job->files[f];
        mime_attachment_t *a = &job->attachments[f];
        uint32_t size = 0;

        file->first_page = job->pack.files[f].first_page;
        file->page_count = job->pack.files[f].page_count;
        packer_file_name(file->name, sizeof(file->name), job->req.file_name, f, ext);
        a->filename = mime_str(file->name);
        a->content_type = mime_str(packer_content_type(type));
        if (type == PACKER_JPEG) {
            a->read = fw_job_page_read;
            a->arg = &job->readers[file->first_page];
            size = scan_job_page(&job->scan, file->first_page)->size;
        } else if (type == PACKER_PDF) {
            file->doc = (struct pdfw_doc){job->req.file_name, FW_JOB_PRODUCER,
                                          now < 0 ? 0 : (uint64_t)now,
                                          &job->pdf_pages[file->first_page], file->page_count};
            if (pdfw_init(&file->w.pdf, &file->doc) == 0)
                size = pdfw_size(&file->w.pdf);
            a->read = pdfw_read;
            a->arg = &file->w.pdf;
        } else {
            tiffw_init(&file->w.tiff, &job->tiff_pages[file->first_page], file->page_count,
                       &size);
            a->read = tiffw_read;
            a->arg = &file->w.tiff;
        }
        if (size == 0 || size != job->pack.file_size[f])
            return fw_job_fail(job, "pack", "File %s could not be prepared.", file->name);
        file->size = size;
        a->size = size;
    }

    job->mail_count = job->pack.mail_count;
    for (unsigned i = 0; i < job->mail_count; i++) {
        struct fw_job_mail *mail = &job->mails[i];
        smtp_message_t *msg = &job->msgs[i];
        const char *field = NULL;

        mail->job = job;
        fw_job_mime_base(job, &mail->mime);
        packer_subject(mail->subject, sizeof(mail->subject), job->req.subject, i,
                       job->mail_count);
        mail->mime.subject = mime_str(mail->subject);
        mail->mime.message_id = mime_str(mail->message_id);
        mail->mime.attachments = &job->attachments[job->pack.mails[i].first_file];
        mail->mime.attachment_count = job->pack.mails[i].file_count;
        if (mime_writer_init(&job->writer, &mail->mime, &field) != 0)
            return fw_job_fail(job, "pack", "Cannot write e-mail %u: %s is not valid.", i + 1,
                               field ? field : "a field");
        for (size_t r = 0; r < job->rcpt_count; r++) {
            mail->attempt_rcpts[r] = job->rcpts[r];
            mail->attempt_map[r] = (unsigned)r;
        }
        mail->attempt_count = job->rcpt_count;
        if (i >= job->resumed_mails) { /* a resumed job's e-mails keep their results */
            memset(mail->rcpt_results, 0, sizeof(mail->rcpt_results));
            memset(mail->pending, 1, sizeof(mail->pending));
        }
        msg->from = fw_job_sender(job);
        msg->rcpts = mail->attempt_rcpts;
        msg->rcpt_count = mail->attempt_count;
        msg->size = mime_writer_size(&job->writer);
        mail->size = msg->size;
        msg->read = fw_job_body_read;
        msg->rewind = fw_job_body_rewind;
        msg->read_arg = mail;
        msg->result = &mail->result;
        msg->rcpt_results = mail->attempt;
        mime_writer_free(&job->writer);
    }
    job->writer_mail = -1;
    job->smtp_cfg.messages = job->msgs;
    job->smtp_cfg.message_count = job->mail_count;
    return 0;
}

/* The headers every e-mail of the job shares. */
static void fw_job_mime_base(const fw_job_t *job, mime_message_t *m)
{
    uint8_t rnd[MIME_BOUNDARY_RND_LEN];

    memcpy(rnd, m->boundary_rnd, sizeof(rnd));
    memset(m, 0, sizeof(*m));
    memcpy(m->boundary_rnd, rnd, sizeof(rnd));
    m->from_name = mime_str(job->req.from_name ? job->req.from_name : "");
    m->from_addr = mime_str(fw_job_sender(job));
    if (job->req.fixed_from && strcmp(job->req.fixed_from, job->req.from_addr) != 0)
        m->reply_to = mime_str(job->req.from_addr);
    m->to = job->to;
    m->to_count = job->req.to_count;
    m->cc = job->cc;
    m->cc_count = job->req.cc_count;
    m->text = mime_str(job->req.message ? job->req.message : "");
    m->date = hal_clock_wall_time(job->env.clock);
    m->message_id = mime_str(job->mails[0].message_id);
}

static uint64_t fw_job_file_size(void *arg, unsigned first_page, unsigned count)
{
    fw_job_t *job = arg;
    struct pdfw *pdf = &job->size_pdf;
    struct pdfw_doc doc = {job->req.file_name, FW_JOB_PRODUCER, 0, &job->pdf_pages[first_page],
                           count};
    struct tiffw tiff;
    uint32_t size = 0;

    switch (job->req.type) {
    case FW_FILE_JPEG:
        return scan_job_page(&job->scan, first_page)->size;
    case FW_FILE_PDF:
        return pdfw_init(pdf, &doc) == 0 ? pdfw_size(pdf) : PACKER_SIZE_ERROR;
    default:
        return tiffw_init(&tiff, &job->tiff_pages[first_page], count, &size) == 0
                   ? size : PACKER_SIZE_ERROR;
    }
}

/* The exact size of an e-mail as the MIME writer will write it. */
static uint64_t fw_job_message_size(void *arg, const struct packer_mail_shape *shape)
{
    fw_job_t *job = arg;
    mime_writer_t *w = &job->size_writer;
    mime_attachment_t *att = job->size_att;
    enum packer_type type = fw_job_packer_type(job->req.type);
    char subject[sizeof(job->mails[0].subject)];
    mime_message_t m;
    uint64_t size;

    if (shape->nfiles > SCAN_JOB_MAX_PAGES ||
        packer_subject(subject, sizeof(subject), job->req.subject, shape->mail_index,
                       shape->mail_total) != 0)
        return PACKER_SIZE_ERROR;
    for (unsigned i = 0; i < shape->nfiles; i++) {
        char *name = job->size_names[i];

        packer_file_name(name, sizeof(job->size_names[i]), job->req.file_name,
                         shape->first_file + i, packer_ext(type));
        att[i] = (mime_attachment_t){mime_str(name), mime_str(packer_content_type(type)),
                                     (uint32_t)shape->file_sizes[i], fw_job_none_read, NULL};
    }
    fw_job_mime_base(job, &m);
    m.subject = mime_str(subject);
    m.attachments = att;
    m.attachment_count = shape->nfiles;
    if (mime_writer_init(w, &m, NULL) != 0)
        return PACKER_SIZE_ERROR;
    size = mime_writer_size(w);
    mime_writer_free(w);
    return size;
}

/* After EHLO: repack when the gateway's SIZE is below an e-mail's size. */
static int fw_job_prepare(void *arg, const struct smtp_ext *ext)
{
    fw_job_t *job = arg;

    int rc;

    if (ext->size_max == 0)
        return 0;
    for (unsigned i = 0; i < job->smtp_cfg.message_count; i++) {
        if (job->msgs[i].size > ext->size_max) {
            /* E-mails some recipients already have cannot be cut again. */
            if (fw_job_any_delivered(job) || job->resumed_mails) {
                fw_job_fail(job, "size", "The gateway %s now takes at most %lu bytes, less than "
                            "e-mails of this job it took before: lower the maximum attachment "
                            "size and scan again.", job->gw_host,
                            (unsigned long)ext->size_max);
                return -1;
            }
            /* Rare (the gateway's SIZE is below what was planned), and the
             * server is waiting: re-encoding runs to its end here. */
            job->size_max = ext->size_max;
            while ((rc = fw_job_pack(job)) == FW_JOB_AGAIN)
                ;
            return rc == 0 ? 0 : -1;
        }
    }
    return 0;
}

static int fw_job_start_session(fw_job_t *job)
{
    char addr[16];
    int rc;

    job->attempts++;
    job->gw = (struct fw_job_gateway){job->req.gateway, job->req.port, 1, job->req.tls,
                                      job->req.auth_user, job->req.auth_pass};
    if (job->gateway_index) {
        const struct fw_job_gateway *b = &job->req.backup[job->gateway_index - 1];
        job->gw.host = b->host;
        job->gw.port = b->port;
        if (b->own_security)
            job->gw = *b;
    }
    job->gw_host = job->gw.host;
    job->gw_port = job->gw.port;
    smtp_session_free(&job->session);
    if (job->tls_cfg_ready)
        smtp_tls_config_free(&job->tls_cfg);
    job->tls_cfg_ready = 0;
    /* The device's name: from settings, else host name and DHCP domain, else
     * its address literal (RFC 5321 4.1.4). */
    if (job->req.ehlo_domain) {
        snprintf(job->ehlo, sizeof(job->ehlo), "%s", job->req.ehlo_domain);
    } else {
        fw_net_fqdn(job->env.net, job->ehlo, sizeof(job->ehlo));
        if (!job->ehlo[0]) {
            fw_net_addr_str(job->env.net, addr, sizeof(addr));
            snprintf(job->ehlo, sizeof(job->ehlo), "[%s]", addr);
        }
    }
    job->smtp_cfg.ehlo_domain = job->ehlo;
    job->smtp_cfg.timeouts = job->req.timeouts;
    job->smtp_cfg.prepare = fw_job_prepare;
    job->smtp_cfg.prepare_arg = job;
    job->smtp_cfg.accepted = fw_job_accepted;
    job->smtp_cfg.accepted_arg = job;
    job->smtp_cfg.tls = job->gw.tls;
    job->smtp_cfg.rcpt_max = job->req.rcpt_max;
    job->smtp_cfg.auth_user = job->gw.auth_user;
    job->smtp_cfg.auth_pass = job->gw.auth_pass;
    job->smtp_cfg.auth_mech = job->req.auth_mech;
    job->smtp_cfg.allow_cleartext_auth = job->req.allow_cleartext_auth;
    job->smtp_cfg.auth_rng = job->env.rng->api->fill;
    job->smtp_cfg.auth_rng_arg = job->env.rng->ctx;
    rc = smtp_session_init(&job->session, &job->smtp_cfg, job->outbuf, sizeof(job->outbuf));
    if (rc != 0)
        return fw_job_fail(job, "validate", "Cannot start SMTP: %s (%s).", smtp_strerror(rc),
                           job->session.fail.field);
    if (job->gw.tls == SMTP_TLS_NONE) {
        rc = smtp_transport_open(&job->transport, &job->session, job->env.clock, job->gw_host,
                                 job->gw_port);
    } else {
        smtp_tls_options_t opts = {.ca = job->req.ca, .ca_len = job->req.ca_len,
                                   .insecure_skip_verify = job->req.insecure_skip_verify,
                                   .rng = job->env.rng};
        smtp_transport_tls_t tls = {job->gw.tls, &job->tls_cfg, NULL};

        rc = smtp_tls_config_init(&job->tls_cfg, &opts);
        if (rc != 0)
            return fw_job_fail(job, "tls", "TLS cannot start: %s. Install the company's CA "
                               "certificate in E-mail Setup.", smtp_tls_strerror(rc));
        job->tls_cfg_ready = 1;
        rc = smtp_transport_open_tls(&job->transport, &job->session, job->env.clock,
                                     job->gw_host, job->gw_port, &tls);
    }
    if (rc != 0)
        return fw_job_fail(job, "connect", "Cannot connect to %s:%u: %s.", job->gw_host,
                           job->gw_port, smtp_transport_strerror(rc));
    fw_job_set_phase(job, FW_JOB_CONNECTING);
    return 0;
}

static void fw_job_finish_session(fw_job_t *job)
{
    const smtp_failure_t *f = &job->session.fail;
    unsigned sent = 0;

    fw_job_close_readers(job);
    if (job->phase == FW_JOB_FAILED) /* the repack after EHLO already said why */
        return;
    /* Unreachable, or closing at the greeting: nothing was sent; the next
     * gateway in the list gets the job. */
    if ((job->transport.error == SMTP_TRANSPORT_ERR_DNS ||
         job->transport.error == SMTP_TRANSPORT_ERR_CONNECT ||
         (f->stage == SMTP_STAGE_GREETING && f->reply.code == 421)) &&
        job->gateway_index < job->req.backup_count) {
        job->gateway_index++;
        job->attempts--; /* a failover is not a retry */
        fw_job_start_session(job);
        return;
    }
    if (job->transport.error == SMTP_TRANSPORT_ERR_DNS) {
        fw_job_fail(job, "dns",
                    "The gateway name %s does not resolve: check the SMTP gateway setting and the "
                    "DNS server.", job->gw_host);
        return;
    }
    if (job->transport.error != 0 && job->transport.tls_info.error != 0) {
        fw_job_fail(job, "tls",
                    "TLS with the gateway %s port %u failed: %s. Nothing was sent. Check the "
                    "gateway name and the CA certificate in E-mail Setup.",
                    job->gw_host, job->gw_port,
                    job->transport.tls_info.detail[0] ? job->transport.tls_info.detail
                    : smtp_transport_strerror(job->transport.error));
        return;
    }
    if (job->transport.error != 0) {
        fw_job_fail(job, "connect",
                    "Cannot connect to the gateway %s port %u (%s, lwIP error %d): check the "
                    "address, the port and that the server is running.",
                    job->gw_host, job->gw_port,
                    smtp_transport_strerror(job->transport.error), job->transport.lwip_err);
        return;
    }
    if (fw_job_merge(job) == 0 &&
        (smtp_session_status(&job->session) == SMTP_SESSION_SUCCESS ||
         (job->mail_count > 0 && fw_job_all_settled(job)))) {
        fw_job_set_phase(job, FW_JOB_DONE);
        return;
    }
    if (job->deferred > 0 && fw_job_plan_retry(job) == 0)
        return;
    if (job->deferred > 0) {
        const smtp_rcpt_result_t *r = fw_job_first_deferred(job);
        const smtp_reply_info_t *reply = r ? &r->reply : &f->reply;
        unsigned delivered = 0;

        for (unsigned m = 0; m < job->mail_count; m++)
            for (size_t i = 0; i < job->rcpt_count; i++)
                delivered += job->mails[m].rcpt_results[i].delivered;
        if (reply->code)
            fw_job_fail(job, "deferred",
                        "The gateway put off %u recipient(s) %u times, at %s: %d %s%s%s. %s; "
                        "send again later or ask the mail administrator.",
                        job->deferred, job->attempts, smtp_stage_name(r ? SMTP_STAGE_RCPT : f->stage),
                        reply->code, reply->enhanced, reply->enhanced[0] ? " " : "", reply->text,
                        delivered ? "The rest was delivered" : "Nothing was delivered");
        else
            fw_job_fail(job, "deferred",
                        "Sending to %u recipient(s) failed %u times, at %s: %s. %s; send again "
                        "later or check the gateway.", job->deferred, job->attempts,
                        smtp_stage_name(f->stage), smtp_strerror(f->error),
                        f->stage == SMTP_STAGE_CONTENT
                            ? "The gateway may have it (the line broke after the data; every "
                              "copy carries the same Message-ID)"
                        : delivered ? "The rest was delivered" : "Nothing was delivered");
        return;
    }
    for (unsigned i = 0; i < job->mail_count; i++)
        sent += job->mails[i].result.status == SMTP_MSG_SENT;
    if (f->error == SMTP_ERR_NO_STARTTLS) {
        fw_job_fail(job, "starttls",
                    "The gateway %s does not offer STARTTLS: nothing was sent. Use implicit TLS "
                    "(port 465) or ask the mail administrator to enable STARTTLS.",
                    job->gw_host);
        return;
    }
    if (f->error == SMTP_ERR_NO_SMTPUTF8) {
        fw_job_fail(job, "smtputf8",
                    "The gateway %s does not take addresses with non-ASCII letters (it offers no "
                    "SMTPUTF8): %u of %u e-mails were sent. Use the recipient's ASCII address, or "
                    "ask the mail administrator to enable SMTPUTF8.", job->gw_host, sent,
                    job->mail_count);
        return;
    }
    if (f->error == SMTP_ERR_CLEARTEXT_AUTH || f->error == SMTP_ERR_NO_AUTH_MECH) {
        fw_job_fail(job, "auth", "Sign-in not possible: %s%s%s. Nothing was sent.",
                    smtp_strerror(f->error), f->field[0] ? " " : "", f->field);
        return;
    }
    if (f->stage == SMTP_STAGE_AUTH && f->reply.code) {
        fw_job_fail(job, "auth",
                    "Sign-in refused by the gateway: %d %s%s%s. Check the SMTP user name and "
                    "password in E-mail Setup.", f->reply.code, f->reply.enhanced,
                    f->reply.enhanced[0] ? " " : "", f->reply.text);
        return;
    }
    if ((f->stage == SMTP_STAGE_MAIL || f->stage == SMTP_STAGE_RCPT) &&
        f->reply.code / 100 == 5 && strncmp(f->reply.enhanced, "5.7.", 4) == 0 &&
        strstr(f->reply.text, fw_job_sender(job))) {
        fw_job_fail(job, "sender",
                    "The gateway refused the sender %s (%s rule): %d %s %s. %s",
                    fw_job_sender(job), job->req.fixed_from ? "administrator's fixed From"
                                                            : "user's From",
                    f->reply.code, f->reply.enhanced, f->reply.text,
                    job->req.fixed_from ? "Check the default From in E-mail Setup."
                    : "Sign in with that mailbox, or have the administrator fix the From "
                      "(the user's address then goes to Reply-To).");
        return;
    }
    if (f->reply.code && (f->error == SMTP_ERR_REPLY || f->error == SMTP_ERR_NO_RECIPIENTS))
        fw_job_fail(job, smtp_stage_name(f->stage),
                    "The gateway refused at %s: %d %s%s%s. %u of %u e-mails were sent. Check the "
                    "addresses or ask the mail administrator.",
                    smtp_stage_name(f->stage), f->reply.code, f->reply.enhanced,
                    f->reply.enhanced[0] ? " " : "", f->reply.text, sent, job->mail_count);
    else
        fw_job_fail(job, smtp_stage_name(f->stage), "Sending failed at %s: %s. %u of %u e-mails "
                    "were sent.", smtp_stage_name(f->stage), smtp_strerror(f->error), sent,
                    job->mail_count);
}

/* A recipient the gateway may take later: refused with 4xx, or caught in a
 * transaction or session that ended with 4xx, a timeout or a drop. */
static int fw_job_transient(const smtp_rcpt_result_t *r, const smtp_message_result_t *m,
                            const smtp_failure_t *session)
{
    const smtp_failure_t *f = m->status == SMTP_MSG_FAILED ? &m->fail : session;

    if (r->delivered || r->reply.code / 100 == 5)
        return 0;
    if (r->reply.code / 100 == 4)
        return 1;
    if (r->accepted && m->status == SMTP_MSG_SENT)
        return 0; /* accepted, not sent again (no rewind): not the gateway's doing */
    return f->reply.code / 100 == 4 || f->error == SMTP_ERR_TIMEOUT || f->error == SMTP_ERR_CLOSED;
}

/* Folds this session's results into each e-mail's per-recipient results;
 * returns and keeps in job->deferred the recipients to try again. */
static unsigned fw_job_merge(fw_job_t *job)
{
    job->deferred = 0;
    for (size_t k = 0; k < job->smtp_cfg.message_count; k++) {
        struct fw_job_mail *mail = job->msgs[k].read_arg;
        for (size_t i = 0; i < mail->attempt_count; i++) {
            unsigned r = mail->attempt_map[i];
            mail->rcpt_results[r] = mail->attempt[i];
            mail->pending[r] = (uint8_t)fw_job_transient(&mail->attempt[i], &mail->result,
                                                         &job->session.fail);
            job->deferred += mail->pending[r];
        }
    }
    return job->deferred;
}

/* Every recipient of every e-mail delivered, or refused for good (5xx) with
 * at least one delivered in each e-mail. */
static int fw_job_all_settled(const fw_job_t *job)
{
    for (unsigned m = 0; m < job->mail_count; m++) {
        unsigned delivered = 0;
        for (size_t i = 0; i < job->rcpt_count; i++) {
            const smtp_rcpt_result_t *r = &job->mails[m].rcpt_results[i];
            if (!r->delivered && r->reply.code / 100 != 5)
                return 0;
            delivered += r->delivered;
        }
        if (delivered == 0)
            return 0;
    }
    return 1;
}

/* Another session later for the deferred recipients only, after the next
 * wait of the retry schedule; 0 when planned (and journaled). */
static int fw_job_plan_retry(fw_job_t *job)
{
    static const uint32_t schedule[] = FW_JOB_RETRY_SCHEDULE_MS;
    const uint32_t *waits = job->req.retry_steps ? job->req.retry_ms : schedule;
    unsigned steps = job->req.retry_steps ? job->req.retry_steps
                                          : (unsigned)(sizeof(schedule) / sizeof(schedule[0]));
    int64_t wall = hal_clock_wall_time(job->env.clock);
    uint32_t wait;

    if (job->req.no_retry || job->retry_step >= steps || fw_job_select_pending(job) == 0)
        return -1;
    wait = waits[job->retry_step++];
    job->retry_at_ms = hal_clock_now_ms(job->env.clock) + wait;
    job->retry_at_wall = wall < 0 ? 0 : wall + (wait + 999) / 1000;
    fw_job_set_phase(job, FW_JOB_RETRY_WAIT);
    fw_journal_save(job); /* on failure the older journal retries sooner: no loss */
    return 0;
}

/* The next session's messages: each e-mail with its pending recipients.
 * Returns how many e-mails have any. */
static size_t fw_job_select_pending(fw_job_t *job)
{
    size_t n = 0;

    for (unsigned m = 0; m < job->mail_count; m++) {
        struct fw_job_mail *mail = &job->mails[m];
        size_t count = 0;
        for (size_t i = 0; i < job->rcpt_count; i++) {
            if (mail->pending[i]) {
                mail->attempt_rcpts[count] = job->rcpts[i];
                mail->attempt_map[count++] = (unsigned)i;
            }
        }
        mail->attempt_count = count;
        if (count == 0)
            continue;
        job->msgs[n++] = (smtp_message_t){.from = fw_job_sender(job),
                                          .rcpts = mail->attempt_rcpts,
                                          .rcpt_count = count,
                                          .size = mail->size,
                                          .read = fw_job_body_read,
                                          .rewind = fw_job_body_rewind,
                                          .read_arg = mail,
                                          .result = &mail->result,
                                          .rcpt_results = mail->attempt};
    }
    job->smtp_cfg.message_count = n;
    job->writer_mail = -1;
    return n;
}

/* The gateway took an e-mail (250 after the final dot): recorded in the
 * journal before anything else, so that it is never sent again. */
static void fw_job_accepted(void *arg, size_t index)
{
    fw_job_t *job = arg;
    struct fw_job_mail *mail = job->msgs[index].read_arg;

    for (size_t i = 0; i < mail->attempt_count; i++) {
        if (mail->attempt[i].delivered) {
            mail->rcpt_results[mail->attempt_map[i]] = mail->attempt[i];
            mail->pending[mail->attempt_map[i]] = 0;
        }
    }
    if (job->journaled)
        fw_journal_save(job); /* on failure a power cut may send it twice, never lose it */
}

static int fw_job_any_delivered(const fw_job_t *job)
{
    for (unsigned m = 0; m < job->mail_count; m++)
        if (fw_job_any_delivered_in(&job->mails[m], job->rcpt_count))
            return 1;
    return 0;
}

static int fw_job_any_delivered_in(const struct fw_job_mail *mail, size_t rcpt_count)
{
    for (size_t i = 0; i < rcpt_count; i++)
        if (mail->rcpt_results[i].delivered)
            return 1;
    return 0;
}

static const smtp_rcpt_result_t *fw_job_first_deferred(const fw_job_t *job)
{
    for (unsigned m = 0; m < job->mail_count; m++)
        for (size_t i = 0; i < job->rcpt_count; i++)
            if (job->mails[m].rcpt_results[i].reply.code / 100 == 4)
                return &job->mails[m].rcpt_results[i];
    return NULL;
}

/* Reads a spooled page; one page is open at a time (pages are read in
 * order), so the storage's few handles are never exhausted. */
static long fw_job_page_read(void *arg, uint32_t off, uint8_t *buf, size_t cap)
{
    struct fw_job_page_reader *rd = arg;
    long n;

    if (!rd->open) {
        fw_job_close_readers(rd->job);
        if (spool_page_open(&rd->page, rd->st, rd->name) != 0)
            return -1;
        rd->open = 1;
    }
    n = spool_page_read(&rd->page, off, buf, cap);
    if (n >= 0 && off + (uint32_t)n >= spool_page_size(&rd->page)) {
        spool_page_close(&rd->page);
        rd->open = 0;
    }
    return n;
}

static long fw_job_none_read(void *arg, uint32_t off, uint8_t *buf, size_t cap)
{
    (void)arg, (void)off, (void)buf, (void)cap;
    return -1; /* only sizes are wanted of this message */
}

/* The engine reads the e-mails one after the other: each is written by the
 * one MIME writer, started when its first byte is asked for. */
static long fw_job_body_read(void *arg, uint8_t *buf, size_t cap)
{
    struct fw_job_mail *mail = arg;
    fw_job_t *job = mail->job;
    int index = (int)(mail - job->mails);

    if (job->writer_mail != index) {
        mime_writer_free(&job->writer);
        if (mime_writer_init(&job->writer, &mail->mime, NULL) != 0)
            return -1;
        job->writer_mail = index;
    }
    return mime_writer_read(&job->writer, buf, cap);
}

/* The gateway took only some recipients (452): the e-mail goes again, from
 * its first byte, in a further transaction. */
static int fw_job_body_rewind(void *arg)
{
    struct fw_job_mail *mail = arg;

    mail->job->writer_mail = -1;
    return 0;
}

/* The envelope sender and header From: the administrator's fixed From when
 * set, else the user's. */
static const char *fw_job_sender(const fw_job_t *job)
{
    return job->req.fixed_from ? job->req.fixed_from : job->req.from_addr;
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

static enum packer_type fw_job_packer_type(enum fw_file_type type)
{
    switch (type) {
    case FW_FILE_PDF: return PACKER_PDF;
    case FW_FILE_TIFF: return PACKER_TIFF;
    case FW_FILE_MTIFF: return PACKER_MTIFF;
    default: return PACKER_JPEG;
    }
}
