/* Job journal (see fw_journal.h). */
#include "fw_journal.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

static const uint8_t MAGIC[4] = {'M', 'F', 'P', 'J'};

/* A recipient's state in the journal. */
enum { RCPT_DONE = 0, RCPT_DELIVERED = 1, RCPT_PENDING = 2 };

/* Buffered writer: the journal goes to the storage in small pieces. */
struct jw {
    const struct hal_storage *st;
    int h;
    int err;
    uLong crc;
    size_t n;
    uint8_t buf[256];
};

/* Reader: every field read at its offset, every length checked. */
struct jr {
    const struct hal_storage *st;
    int h;
    uint32_t off, end; /* end: where the CRC starts */
    int err;
};

static void jw_flush(struct jw *w);
static void jw_put(struct jw *w, const void *p, size_t len);
static void jw_u8(struct jw *w, unsigned v);
static void jw_u16(struct jw *w, unsigned v);
static void jw_u32(struct jw *w, uint32_t v);
static void jw_u64(struct jw *w, uint64_t v);
static void jw_str(struct jw *w, const char *s, size_t max);
static void jr_get(struct jr *r, void *p, size_t len);
static unsigned jr_u8(struct jr *r);
static unsigned jr_u16(struct jr *r);
static uint32_t jr_u32(struct jr *r);
static uint64_t jr_u64(struct jr *r);
static void jr_str(struct jr *r, char *out, size_t cap);
static const char *jr_saved(struct jr *r, fw_job_t *job, size_t *used, size_t max);
static int jr_check_crc(struct jr *r);

int fw_journal_name(char *out, size_t cap, const char *prefix)
{
    int n = snprintf(out, cap, "%s%s", prefix ? prefix : "", FW_JOURNAL_EXT);

    return n < 0 || (size_t)n >= cap || n > HAL_STORAGE_NAME_MAX ? FW_JOURNAL_ERR_FORMAT : 0;
}

int fw_journal_save(const fw_job_t *job)
{
    static const uint8_t version[2] = {FW_JOURNAL_VERSION & 0xff, FW_JOURNAL_VERSION >> 8};
    const struct fw_job_request *q = &job->req;
    char name[HAL_STORAGE_NAME_MAX + 1];
    struct jw w = {.st = job->env.storage, .crc = crc32(0L, Z_NULL, 0)};
    uint8_t crc[4];

    if (fw_journal_name(name, sizeof(name), q->spool_prefix) != 0)
        return FW_JOURNAL_ERR_IO;
    w.h = hal_storage_open(w.st, name, HAL_STORAGE_WRITE);
    if (w.h < 0)
        return FW_JOURNAL_ERR_IO;
    jw_put(&w, MAGIC, sizeof(MAGIC));
    jw_put(&w, version, sizeof(version));

    jw_str(&w, q->from_addr, FW_JOB_SAVED_MAX);
    jw_str(&w, q->from_name, FW_JOB_SAVED_MAX);
    jw_str(&w, q->fixed_from, FW_JOB_SAVED_MAX);
    jw_str(&w, q->subject, FW_JOB_SAVED_MAX);
    jw_str(&w, q->message, FW_JOB_SAVED_MAX);
    jw_str(&w, q->file_name, FW_JOB_SAVED_MAX);
    jw_u8(&w, (unsigned)q->to_count);
    jw_u8(&w, (unsigned)q->cc_count);
    jw_u8(&w, (unsigned)q->bcc_count);
    for (size_t i = 0; i < job->rcpt_count; i++)
        jw_str(&w, job->rcpts[i], FW_JOB_SAVED_MAX);
    jw_u8(&w, q->type);
    jw_u8(&w, q->color);
    jw_u64(&w, q->max_attachment);
    jw_u64(&w, job->size_max);
    jw_u16(&w, job->attempts);
    jw_u16(&w, job->retry_step);
    jw_u64(&w, (uint64_t)job->retry_at_wall);

    jw_u16(&w, job->scan.n_pages);
    for (unsigned i = 0; i < job->scan.n_pages; i++) {
        const struct scan_job_page *pg = &job->scan.pages[i];
        jw_str(&w, pg->name, HAL_STORAGE_NAME_MAX);
        jw_u8(&w, pg->kind);
        jw_u32(&w, pg->size);
        jw_u32(&w, pg->width);
        jw_u32(&w, pg->height);
        jw_u8(&w, pg->components);
        jw_u16(&w, pg->dpi);
        jw_u32(&w, pg->strip_off);
        jw_u32(&w, pg->strip_len);
        jw_u8(&w, job->page_quality[i]);
    }

    jw_u8(&w, job->mail_count);
    for (unsigned m = 0; m < job->mail_count; m++) {
        const struct fw_job_mail *mail = &job->mails[m];
        jw_str(&w, mail->message_id, MIME_MSGID_MAX);
        for (size_t i = 0; i < job->rcpt_count; i++) {
            const smtp_rcpt_result_t *r = &mail->rcpt_results[i];
            jw_u8(&w, r->delivered ? RCPT_DELIVERED : mail->pending[i] ? RCPT_PENDING : RCPT_DONE);
            jw_u16(&w, (unsigned)r->reply.code);
            jw_str(&w, r->reply.enhanced, SMTP_ENHANCED_MAX - 1);
            jw_str(&w, r->reply.text, FW_JOURNAL_TEXT_MAX);
        }
    }
    jw_flush(&w);
    crc[0] = (uint8_t)w.crc, crc[1] = (uint8_t)(w.crc >> 8);
    crc[2] = (uint8_t)(w.crc >> 16), crc[3] = (uint8_t)(w.crc >> 24);
    if (!w.err && hal_storage_write(w.st, w.h, crc, sizeof(crc)) == 0 &&
        hal_storage_commit(w.st, w.h) == 0)
        return 0;
    hal_storage_close(w.st, w.h);
    return FW_JOURNAL_ERR_IO;
}

int fw_journal_load(fw_job_t *job, const struct hal_storage *st, const char *prefix)
{
    struct fw_job_request *q = &job->req;
    char name[HAL_STORAGE_NAME_MAX + 1];
    struct jr r = {.st = st};
    uint8_t magic[4];
    size_t used = 0, counts;
    unsigned pages;
    long size;
    int rc;

    if (fw_journal_name(name, sizeof(name), prefix) != 0)
        return FW_JOURNAL_ERR_FORMAT;
    r.h = hal_storage_open(st, name, HAL_STORAGE_READ);
    if (r.h < 0)
        return r.h == HAL_STORAGE_ERR_NOT_FOUND ? FW_JOURNAL_ERR_NONE : FW_JOURNAL_ERR_IO;
    size = hal_storage_size(st, r.h);
    if (size < (long)sizeof(MAGIC) + 2 + 4) {
        rc = size < 0 ? FW_JOURNAL_ERR_IO : FW_JOURNAL_ERR_CRC;
        goto exit;
    }
    r.end = (uint32_t)size - 4;
    if ((rc = jr_check_crc(&r)) != 0)
        goto exit;
    jr_get(&r, magic, sizeof(magic));
    if (r.err || memcmp(magic, MAGIC, sizeof(MAGIC)) != 0) {
        rc = FW_JOURNAL_ERR_FORMAT;
        goto exit;
    }
    if (jr_u16(&r) != FW_JOURNAL_VERSION) {
        rc = FW_JOURNAL_ERR_VERSION;
        goto exit;
    }

    q->from_addr = jr_saved(&r, job, &used, SMTP_PATH_MAX);
    q->from_name = jr_saved(&r, job, &used, FW_SETTINGS_STR_MAX);
    q->fixed_from = jr_saved(&r, job, &used, SMTP_PATH_MAX);
    if (q->fixed_from && !q->fixed_from[0])
        q->fixed_from = NULL;
    q->subject = jr_saved(&r, job, &used, FW_SETTINGS_STR_MAX);
    q->message = jr_saved(&r, job, &used, FW_JOB_MESSAGE_MAX);
    q->file_name = jr_saved(&r, job, &used, FW_JOB_FILE_NAME_MAX);
    q->to_count = jr_u8(&r);
    q->cc_count = jr_u8(&r);
    q->bcc_count = jr_u8(&r);
    counts = q->to_count + q->cc_count + q->bcc_count;
    if (counts > FW_JOB_RCPT_MAX) {
        rc = FW_JOURNAL_ERR_FORMAT;
        goto exit;
    }
    for (size_t i = 0; i < counts; i++) {
        const char *a = jr_saved(&r, job, &used, SMTP_PATH_MAX);
        if (i < q->to_count)
            q->to[i] = a;
        else if (i < q->to_count + q->cc_count)
            q->cc[i - q->to_count] = a;
        else
            q->bcc[i - q->to_count - q->cc_count] = a;
    }
    q->type = (enum fw_file_type)jr_u8(&r);
    q->color = (enum fw_color)jr_u8(&r);
    q->max_attachment = jr_u64(&r);
    job->size_max = jr_u64(&r);
    job->attempts = jr_u16(&r);
    job->retry_step = jr_u16(&r);
    job->retry_at_wall = (int64_t)jr_u64(&r);

    pages = jr_u16(&r);
    if (pages == 0 || pages > SCAN_JOB_MAX_PAGES) {
        rc = FW_JOURNAL_ERR_FORMAT;
        goto exit;
    }
    for (unsigned i = 0; i < pages && !r.err; i++) {
        struct scan_job_page *pg = &job->scan.pages[i];
        jr_str(&r, pg->name, sizeof(pg->name));
        pg->kind = (enum scan_page_kind)jr_u8(&r);
        pg->size = jr_u32(&r);
        pg->width = jr_u32(&r);
        pg->height = jr_u32(&r);
        pg->components = jr_u8(&r);
        pg->dpi = jr_u16(&r);
        pg->strip_off = jr_u32(&r);
        pg->strip_len = jr_u32(&r);
        job->page_quality[i] = jr_u8(&r);
        if ((pg->kind != SCAN_PAGE_JPEG && pg->kind != SCAN_PAGE_G4) || !pg->name[0])
            r.err = FW_JOURNAL_ERR_FORMAT;
    }
    job->scan.n_pages = pages;

    job->resumed_mails = jr_u8(&r);
    if (job->resumed_mails == 0 || job->resumed_mails > FW_JOB_MAIL_MAX) {
        rc = FW_JOURNAL_ERR_FORMAT;
        goto exit;
    }
    for (unsigned m = 0; m < job->resumed_mails && !r.err; m++) {
        struct fw_job_mail *mail = &job->mails[m];
        jr_str(&r, mail->message_id, sizeof(mail->message_id));
        for (size_t i = 0; i < counts && !r.err; i++) {
            smtp_rcpt_result_t *res = &mail->rcpt_results[i];
            unsigned state = jr_u8(&r);
            res->delivered = state == RCPT_DELIVERED;
            res->accepted = res->delivered;
            mail->pending[i] = state == RCPT_PENDING;
            res->reply.code = (int)jr_u16(&r);
            jr_str(&r, res->reply.enhanced, sizeof(res->reply.enhanced));
            jr_str(&r, res->reply.text, sizeof(res->reply.text));
            if (state > RCPT_PENDING || res->reply.code > 599)
                r.err = FW_JOURNAL_ERR_FORMAT;
        }
    }
    rc = r.err ? r.err : r.off == r.end ? 0 : FW_JOURNAL_ERR_FORMAT;
exit:
    hal_storage_close(st, r.h);
    return rc;
}

int fw_journal_remove(const struct hal_storage *st, const char *prefix)
{
    char name[HAL_STORAGE_NAME_MAX + 1];

    if (fw_journal_name(name, sizeof(name), prefix) != 0)
        return FW_JOURNAL_ERR_FORMAT;
    return hal_storage_remove(st, name) == 0 ? 0 : FW_JOURNAL_ERR_NONE;
}

const char *fw_journal_strerror(int err)
{
    switch (err) {
    case 0: return "no error";
    case FW_JOURNAL_ERR_IO: return "the memory could not be read or written";
    case FW_JOURNAL_ERR_NONE: return "no queued job";
    case FW_JOURNAL_ERR_CRC: return "the journal is damaged (checksum)";
    case FW_JOURNAL_ERR_VERSION: return "the journal was written by another firmware version";
    case FW_JOURNAL_ERR_FORMAT: return "the journal holds a value out of range";
    case FW_JOURNAL_ERR_SPACE: return "the journal's fields are too long";
    default: return "unknown error";
    }
}

static void jw_flush(struct jw *w)
{
    if (w->n && !w->err && hal_storage_write(w->st, w->h, w->buf, w->n) != 0)
        w->err = FW_JOURNAL_ERR_IO;
    w->crc = crc32(w->crc, w->buf, (uInt)w->n);
    w->n = 0;
}

static void jw_put(struct jw *w, const void *p, size_t len)
{
    const uint8_t *b = p;

    while (len > 0) {
        size_t n = sizeof(w->buf) - w->n < len ? sizeof(w->buf) - w->n : len;
        memcpy(w->buf + w->n, b, n);
        w->n += n, b += n, len -= n;
        if (w->n == sizeof(w->buf))
            jw_flush(w);
    }
}

static void jw_u8(struct jw *w, unsigned v)
{
    uint8_t b = (uint8_t)v;
    jw_put(w, &b, 1);
}

static void jw_u16(struct jw *w, unsigned v)
{
    jw_u8(w, v & 0xff);
    jw_u8(w, (v >> 8) & 0xff);
}

static void jw_u32(struct jw *w, uint32_t v)
{
    jw_u16(w, v & 0xffff);
    jw_u16(w, v >> 16);
}

static void jw_u64(struct jw *w, uint64_t v)
{
    jw_u32(w, (uint32_t)v);
    jw_u32(w, (uint32_t)(v >> 32));
}

/* A NULL string is written as the empty one; longer than max is cut. */
static void jw_str(struct jw *w, const char *s, size_t max)
{
    size_t len = s ? strlen(s) : 0;

    if (len > max)
        len = max;
    if (len > 0xffff)
        len = 0xffff;
    jw_u16(w, (unsigned)len);
    jw_put(w, s, len);
}

static void jr_get(struct jr *r, void *p, size_t len)
{
    if (r->err || len > r->end - r->off) {
        r->err = r->err ? r->err : FW_JOURNAL_ERR_FORMAT;
        memset(p, 0, len);
        return;
    }
    if (len && hal_storage_read(r->st, r->h, r->off, p, len) != (long)len) {
        r->err = FW_JOURNAL_ERR_IO;
        memset(p, 0, len);
        return;
    }
    r->off += (uint32_t)len;
}

static unsigned jr_u8(struct jr *r)
{
    uint8_t b;
    jr_get(r, &b, 1);
    return b;
}

static unsigned jr_u16(struct jr *r)
{
    unsigned lo = jr_u8(r);
    return lo | jr_u8(r) << 8;
}

static uint32_t jr_u32(struct jr *r)
{
    uint32_t lo = jr_u16(r);
    return lo | (uint32_t)jr_u16(r) << 16;
}

static uint64_t jr_u64(struct jr *r)
{
    uint64_t lo = jr_u32(r);
    return lo | (uint64_t)jr_u32(r) << 32;
}

/* A string into out (cap bytes with its NUL); longer is a format error. */
static void jr_str(struct jr *r, char *out, size_t cap)
{
    unsigned len = jr_u16(r);

    if (len >= cap) {
        r->err = r->err ? r->err : FW_JOURNAL_ERR_FORMAT;
        out[0] = '\0';
        return;
    }
    jr_get(r, out, len);
    out[len] = '\0';
    if (memchr(out, '\0', len))
        r->err = r->err ? r->err : FW_JOURNAL_ERR_FORMAT;
}

/* A string of at most max bytes into job->saved; returns it ("" on error). */
static const char *jr_saved(struct jr *r, fw_job_t *job, size_t *used, size_t max)
{
    size_t room = sizeof(job->saved) - *used;
    char *s = job->saved + *used;

    if (room == 0) {
        r->err = r->err ? r->err : FW_JOURNAL_ERR_SPACE;
        return "";
    }
    jr_str(r, s, room < max + 1 ? room : max + 1);
    *used += strlen(s) + 1;
    return r->err ? "" : s;
}

static int jr_check_crc(struct jr *r)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    uint8_t buf[256], want[4];

    for (uint32_t off = 0; off < r->end;) {
        size_t n = r->end - off < sizeof(buf) ? r->end - off : sizeof(buf);
        if (hal_storage_read(r->st, r->h, off, buf, n) != (long)n)
            return FW_JOURNAL_ERR_IO;
        crc = crc32(crc, buf, (uInt)n);
        off += (uint32_t)n;
    }
    if (hal_storage_read(r->st, r->h, r->end, want, sizeof(want)) != (long)sizeof(want))
        return FW_JOURNAL_ERR_IO;
    return crc == ((uLong)want[0] | (uLong)want[1] << 8 | (uLong)want[2] << 16 |
                   (uLong)want[3] << 24) ? 0 : FW_JOURNAL_ERR_CRC;
}
