/* Job log (see fw_joblog.h). */
#include "fw_joblog.h"

#include <stdio.h>
#include <string.h>

#include "fw_nvstore.h"

/* An entry's bytes: every field little-endian, strings as u8 length + bytes. */
#define ENTRY_MAX (4 + 8 + 1 + 5 * 2 + 2 + 4 * 256)

struct cursor {
    uint8_t *p;
    size_t len, off;
    int bad;
};

static int fw_joblog_open(struct fw_nvstore *s, const struct hal_storage *st, unsigned i);
static int fw_joblog_entry_at(const struct hal_storage *st, unsigned i, struct fw_joblog_entry *e);
static int fw_joblog_load(struct fw_nvstore *s, struct fw_joblog_entry *e);
static void fw_joblog_fill(struct fw_joblog_entry *e, const fw_job_t *job);
static void put_uint(struct cursor *c, uint64_t v, unsigned bytes);
static uint64_t get_uint(struct cursor *c, unsigned bytes);
static void put_str(struct cursor *c, const char *s);
static void get_str(struct cursor *c, char *out, size_t cap);

int fw_joblog_add(const struct hal_storage *st, const fw_job_t *job)
{
    struct fw_joblog_entry e;
    struct fw_nvstore s;
    uint8_t buf[ENTRY_MAX];
    struct cursor c = {buf, sizeof(buf), 0, 0};
    uint32_t newest = 0, oldest = UINT32_MAX;
    unsigned slot = 0;
    int rc;

    /* The slot to write: an empty or damaged one, else the oldest. */
    for (unsigned i = 0; i < FW_JOBLOG_MAX; i++) {
        if ((rc = fw_joblog_entry_at(st, i, &e)) == FW_JOBLOG_ERR_IO)
            return rc;
        if (rc != 0)
            e.seq = 0;
        if (e.seq > newest)
            newest = e.seq;
        if (e.seq < oldest) {
            oldest = e.seq;
            slot = i;
        }
    }
    fw_joblog_fill(&e, job);
    e.seq = newest + 1;
    put_uint(&c, e.seq, 4);
    put_uint(&c, (uint64_t)e.time, 8);
    put_uint(&c, e.result, 1);
    put_uint(&c, e.pages, 2);
    put_uint(&c, e.mails, 2);
    put_uint(&c, e.rcpts, 2);
    put_uint(&c, e.delivered, 2);
    put_uint(&c, e.sessions, 2);
    put_uint(&c, (unsigned)e.code, 2);
    put_str(&c, e.stage);
    put_str(&c, e.enhanced);
    put_str(&c, e.reply);
    put_str(&c, e.message);
    if (fw_joblog_open(&s, st, slot) != 0)
        return FW_JOBLOG_ERR_IO;
    rc = fw_nvstore_scan(&s) == 0 ? fw_nvstore_save(&s, buf, c.off) : -1;
    fw_nvstore_free(&s);
    return rc == 0 ? 0 : FW_JOBLOG_ERR_IO;
}

int fw_joblog_read(const struct hal_storage *st, struct fw_joblog_entry *out, unsigned *count)
{
    *count = 0;
    for (unsigned i = 0; i < FW_JOBLOG_MAX; i++) {
        struct fw_joblog_entry e;
        unsigned at;
        int rc;

        if ((rc = fw_joblog_entry_at(st, i, &e)) == FW_JOBLOG_ERR_IO)
            return rc;
        if (rc != 0)
            continue;
        /* Insertion by sequence number, newest first. */
        for (at = *count; at > 0 && out[at - 1].seq < e.seq; at--)
            out[at] = out[at - 1];
        out[at] = e;
        (*count)++;
    }
    return 0;
}

const char *fw_joblog_result_name(enum fw_joblog_result r)
{
    return r == FW_JOBLOG_SENT ? "sent" : r == FW_JOBLOG_PARTLY_SENT ? "partly sent" : "failed";
}

static int fw_joblog_open(struct fw_nvstore *s, const struct hal_storage *st, unsigned i)
{
    char name[16];

    snprintf(name, sizeof(name), "jlog%u", i);
    return fw_nvstore_init(s, st, name, ENTRY_MAX);
}

/* Entry slot i: 0, FW_JOBLOG_ERR_IO, or another negative value when it is
 * empty or damaged. */
static int fw_joblog_entry_at(const struct hal_storage *st, unsigned i, struct fw_joblog_entry *e)
{
    struct fw_nvstore s;
    int rc;

    if (fw_joblog_open(&s, st, i) != 0)
        return FW_JOBLOG_ERR_IO;
    rc = fw_joblog_load(&s, e);
    fw_nvstore_free(&s);
    return rc == FW_NVSTORE_ERR_IO ? FW_JOBLOG_ERR_IO : rc;
}

/* 0 with *e filled, or an FW_NVSTORE_ERR_* (EMPTY, CORRUPT, ...) or -1 for
 * an entry whose fields do not parse. */
static int fw_joblog_load(struct fw_nvstore *s, struct fw_joblog_entry *e)
{
    uint8_t buf[ENTRY_MAX];
    struct cursor c = {buf, 0, 0, 0};
    int rc = fw_nvstore_load(s, buf, sizeof(buf), &c.len);

    if (rc != 0)
        return rc;
    memset(e, 0, sizeof(*e));
    e->seq = (uint32_t)get_uint(&c, 4);
    e->time = (int64_t)get_uint(&c, 8);
    e->result = (enum fw_joblog_result)get_uint(&c, 1);
    e->pages = (unsigned)get_uint(&c, 2);
    e->mails = (unsigned)get_uint(&c, 2);
    e->rcpts = (unsigned)get_uint(&c, 2);
    e->delivered = (unsigned)get_uint(&c, 2);
    e->sessions = (unsigned)get_uint(&c, 2);
    e->code = (int)get_uint(&c, 2);
    get_str(&c, e->stage, sizeof(e->stage));
    get_str(&c, e->enhanced, sizeof(e->enhanced));
    get_str(&c, e->reply, sizeof(e->reply));
    get_str(&c, e->message, sizeof(e->message));
    return c.bad || c.off != c.len || e->result > FW_JOBLOG_FAILED ? -1 : 0;
}

/* The result and its evidence: the session's failure, else an e-mail's,
 * else the first recipient the gateway refused. */
static void fw_joblog_fill(struct fw_joblog_entry *e, const fw_job_t *job)
{
    const smtp_reply_info_t *r = &job->session.fail.reply;

    memset(e, 0, sizeof(*e));
    e->time = hal_clock_wall_time(job->env.clock);
    e->pages = job->scan.n_pages;
    e->mails = job->mail_count;
    e->rcpts = (unsigned)job->rcpt_count;
    e->sessions = job->attempts;
    for (unsigned m = 0; m < job->mail_count && !r->code; m++)
        if (job->mails[m].result.status == SMTP_MSG_FAILED)
            r = &job->mails[m].result.fail.reply;
    for (size_t i = 0; i < job->rcpt_count; i++) {
        unsigned got = 0;
        for (unsigned m = 0; m < job->mail_count; m++) {
            const smtp_rcpt_result_t *rr = &job->mails[m].rcpt_results[i];
            got += rr->delivered;
            if (!rr->delivered && rr->reply.code >= 400 && !r->code)
                r = &rr->reply;
        }
        e->delivered += job->mail_count && got == job->mail_count;
    }
    e->result = job->phase != FW_JOB_DONE ? FW_JOBLOG_FAILED
                : e->delivered == e->rcpts ? FW_JOBLOG_SENT : FW_JOBLOG_PARTLY_SENT;
    if (job->phase != FW_JOB_DONE)
        snprintf(e->stage, sizeof(e->stage), "%s", job->stage ? job->stage : "");
    e->code = r->code;
    snprintf(e->enhanced, sizeof(e->enhanced), "%s", r->enhanced);
    /* Cut to fit (the precision says so, and keeps the compiler content). */
    snprintf(e->reply, sizeof(e->reply), "%.*s", (int)sizeof(e->reply) - 1, r->text);
    snprintf(e->message, sizeof(e->message), "%.*s", (int)sizeof(e->message) - 1, job->error);
}

static void put_uint(struct cursor *c, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        c->p[c->off++] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_uint(struct cursor *c, unsigned bytes)
{
    uint64_t v = 0;

    if (c->len - c->off < bytes) {
        c->bad = 1;
        return 0;
    }
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)c->p[c->off++] << (8 * i);
    return v;
}

/* At most 255 bytes (every field's buffer is smaller). */
static void put_str(struct cursor *c, const char *s)
{
    size_t n = strnlen(s, 255);

    put_uint(c, n, 1);
    memcpy(c->p + c->off, s, n);
    c->off += n;
}

static void get_str(struct cursor *c, char *out, size_t cap)
{
    size_t n = (size_t)get_uint(c, 1);

    out[0] = '\0';
    if (c->bad || n >= cap || c->len - c->off < n || memchr(c->p + c->off, '\0', n)) {
        c->bad = 1;
        return;
    }
    memcpy(out, c->p + c->off, n);
    out[n] = '\0';
    c->off += n;
}
