/* Packer: greedy grouping of pages into files and e-mails under size limits. */
#include "packer.h"

#include <stdio.h>
#include <string.h>

/* One candidate e-mail being sized. */
struct packer_try {
    unsigned first_page;
    unsigned count; /* pages */
    struct packer_mail mail;
};

static int packer_pass(const struct packer_cfg *cfg, unsigned total, struct packer_result *res);
static int packer_measure(const struct packer_cfg *cfg, unsigned index, unsigned total,
                          struct packer_result *res, struct packer_try *t,
                          enum packer_limit *broken);
static int packer_message(const struct packer_cfg *cfg, unsigned index, unsigned total,
                          unsigned first_file, const uint64_t *sizes, unsigned nfiles,
                          uint64_t *out);
static int packer_report(const struct packer_cfg *cfg, struct packer_result *res, unsigned page);
static int packer_one_page_per_file(enum packer_type type);

int packer_pack(const struct packer_cfg *cfg, struct packer_result *res)
{
    unsigned total;

    if (cfg == NULL || res == NULL || cfg->file_size == NULL || packer_ext(cfg->type) == NULL ||
        cfg->pages == 0 || cfg->pages > PACKER_MAX_PAGES ||
        (cfg->size_max != 0 && cfg->message_size == NULL))
        return PACKER_ERR_BAD_ARG;

    /* The subject's "(i/n)" needs n before the packing that yields it.
     * Counts only grow with the total assumed (longer subjects), so starting
     * from 1 and repeating with the count obtained climbs to the smallest
     * total that reproduces itself: the fewest e-mails. Each repeat raises
     * the total, bounded by the page count, so this ends. */
    total = 1;
    for (;;) {
        int rc = packer_pass(cfg, total, res);
        if (rc != 0)
            return rc;
        if (res->mail_count == total)
            return 0;
        if (res->mail_count < total)
            return PACKER_ERR_UNSTABLE;
        total = res->mail_count;
    }
}

const char *packer_ext(enum packer_type type)
{
    switch (type) {
    case PACKER_JPEG:
        return "jpg";
    case PACKER_TIFF:
    case PACKER_MTIFF:
        return "tif";
    case PACKER_PDF:
        return "pdf";
    }
    return NULL;
}

const char *packer_content_type(enum packer_type type)
{
    switch (type) {
    case PACKER_JPEG:
        return "image/jpeg";
    case PACKER_TIFF:
    case PACKER_MTIFF:
        return "image/tiff";
    case PACKER_PDF:
        return "application/pdf";
    }
    return NULL;
}

int packer_file_name(char *out, size_t cap, const char *base, unsigned file_index, const char *ext)
{
    int n;

    if (out == NULL || base == NULL || ext == NULL || cap == 0)
        return PACKER_ERR_BAD_ARG;
    if (file_index == 0)
        n = snprintf(out, cap, "%s.%s", base, ext);
    else
        n = snprintf(out, cap, "%s_%u.%s", base, file_index + 1, ext);
    if (n < 0 || (size_t)n >= cap) {
        out[0] = '\0';
        return PACKER_ERR_TOO_SMALL;
    }
    return 0;
}

int packer_subject(char *out, size_t cap, const char *subject, unsigned mail_index,
                   unsigned mail_total)
{
    int n;

    if (out == NULL || subject == NULL || cap == 0 || (mail_total > 1 && mail_index >= mail_total))
        return PACKER_ERR_BAD_ARG;
    if (mail_total <= 1)
        n = snprintf(out, cap, "%s", subject);
    else
        n = snprintf(out, cap, "%s%s(%u/%u)", subject, subject[0] != '\0' ? " " : "",
                     mail_index + 1, mail_total);
    if (n < 0 || (size_t)n >= cap) {
        out[0] = '\0';
        return PACKER_ERR_TOO_SMALL;
    }
    return 0;
}

uint64_t packer_base64_size(uint64_t n)
{
    if (n == 0)
        return 0;
    return 4 * ((n + 2) / 3) + 2 * ((n + 56) / 57 - 1);
}

uint64_t packer_estimate_message_size(void *arg, const struct packer_mail_shape *m)
{
    const struct packer_overhead *o = arg;
    uint64_t total = o->header;

    for (unsigned i = 0; i < m->nfiles; i++)
        total += o->per_file + packer_base64_size(m->file_sizes[i]);
    return total;
}

/* One packing with the subject numbered "/total". */
static int packer_pass(const struct packer_cfg *cfg, unsigned total, struct packer_result *res)
{
    int per_page = packer_one_page_per_file(cfg->type);
    unsigned page = 0;

    res->file_count = 0;
    res->mail_count = 0;
    memset(&res->too_big, 0, sizeof(res->too_big));
    while (page < cfg->pages) {
        unsigned index = res->mail_count;
        struct packer_try best = {0};
        uint64_t best_file = 0;

        /* Grow the e-mail one page at a time while it fits: fitting is
         * monotone in the run of pages, so the first misfit ends it. */
        for (unsigned count = 1; page + count <= cfg->pages; count++) {
            struct packer_try t = {.first_page = page, .count = count};
            enum packer_limit broken;
            int rc = packer_measure(cfg, index, total, res, &t, &broken);

            if (rc != 0)
                return rc;
            if (broken != PACKER_LIMIT_NONE)
                break;
            best = t;
            best_file = res->file_size[res->file_count];
        }
        if (best.count == 0)
            return packer_report(cfg, res, page);

        /* A failed multi-page try overwrote the file's size; per-page tries
         * only wrote the next e-mail's first slot, recomputed later. */
        if (!per_page)
            res->file_size[res->file_count] = best_file;
        for (unsigned i = 0; i < best.mail.file_count; i++) {
            struct packer_file *f = &res->files[res->file_count + i];
            f->first_page = per_page ? page + i : page;
            f->page_count = per_page ? 1 : best.count;
        }
        res->file_count += best.mail.file_count;
        res->mails[res->mail_count++] = best.mail;
        page += best.count;
    }
    return 0;
}

/* Sizes the e-mail of t->count pages from t->first_page, the index-th of
 * total, whose files start at res->file_count. Tries grow by one page, so a
 * per-page try only sizes its last file; the earlier ones are in place.
 * Sets *broken to the limit it breaks, PACKER_LIMIT_NONE when it fits. */
static int packer_measure(const struct packer_cfg *cfg, unsigned index, unsigned total,
                          struct packer_result *res, struct packer_try *t,
                          enum packer_limit *broken)
{
    unsigned first_file = res->file_count;
    uint64_t *sizes = &res->file_size[first_file];
    unsigned nfiles;
    uint64_t size;

    if (packer_one_page_per_file(cfg->type)) {
        nfiles = t->count;
        size = cfg->file_size(cfg->arg, t->first_page + t->count - 1, 1);
    } else {
        nfiles = 1;
        size = cfg->file_size(cfg->arg, t->first_page, t->count);
    }
    if (size == PACKER_SIZE_ERROR)
        return PACKER_ERR_CALLBACK;
    sizes[nfiles - 1] = size;

    t->mail.first_file = first_file;
    t->mail.file_count = nfiles;
    t->mail.attach_bytes = 0;
    for (unsigned i = 0; i < nfiles; i++)
        t->mail.attach_bytes += sizes[i];
    t->mail.message_size = 0;

    *broken = PACKER_LIMIT_NONE;
    if (cfg->attach_max != 0 && t->mail.attach_bytes > cfg->attach_max) {
        *broken = PACKER_LIMIT_ATTACHMENT;
        return 0;
    }
    if (cfg->message_size != NULL) {
        int rc =
            packer_message(cfg, index, total, first_file, sizes, nfiles, &t->mail.message_size);
        if (rc != 0)
            return rc;
        if (cfg->size_max != 0 && t->mail.message_size > cfg->size_max)
            *broken = PACKER_LIMIT_MESSAGE;
    }
    return 0;
}

static int packer_message(const struct packer_cfg *cfg, unsigned index, unsigned total,
                          unsigned first_file, const uint64_t *sizes, unsigned nfiles,
                          uint64_t *out)
{
    struct packer_mail_shape m = {
        .mail_index = index,
        .mail_total = total,
        .first_file = first_file,
        .nfiles = nfiles,
        .file_sizes = sizes,
    };

    *out = cfg->message_size(cfg->arg, &m);
    return *out == PACKER_SIZE_ERROR ? PACKER_ERR_CALLBACK : 0;
}

/* Describes the page that fits no e-mail alone: its file's size (left in
 * the e-mail's first slot by the failed try) and the largest file that would
 * fit, found by bisection on message_size when SIZE binds harder than the
 * attachment limit. The bisection numbers the e-mail with the longest
 * "(i/n)" the job can have (i = n = pages), not the pass's guess, so that a
 * page shrunk to the limit fits whatever count the job ends with. */
static int packer_report(const struct packer_cfg *cfg, struct packer_result *res, unsigned page)
{
    struct packer_too_big *tb = &res->too_big;
    unsigned first_file = res->file_count;
    unsigned index = cfg->pages - 1, total = cfg->pages;
    uint64_t limit = cfg->attach_max != 0 ? cfg->attach_max : UINT64_MAX;

    tb->page = page;
    tb->page_size = res->file_size[first_file];
    tb->which = PACKER_LIMIT_ATTACHMENT;
    if (cfg->size_max != 0) {
        uint64_t lo = 0, hi = limit < cfg->size_max ? limit : cfg->size_max, msg;
        int rc = packer_message(cfg, index, total, first_file, &lo, 1, &msg);

        if (rc != 0)
            return rc;
        if (msg > cfg->size_max) {
            hi = 0; /* not even an empty file fits */
        } else {
            /* Invariant: a file of lo bytes fits; find the largest. */
            while (lo < hi) {
                uint64_t mid = lo + (hi - lo + 1) / 2;
                rc = packer_message(cfg, index, total, first_file, &mid, 1, &msg);
                if (rc != 0)
                    return rc;
                if (msg <= cfg->size_max)
                    lo = mid;
                else
                    hi = mid - 1;
            }
        }
        if (hi < limit) {
            limit = hi;
            tb->which = PACKER_LIMIT_MESSAGE;
        }
    }
    tb->limit = limit;
    return PACKER_ERR_PAGE_TOO_BIG;
}

static int packer_one_page_per_file(enum packer_type type)
{
    return type == PACKER_JPEG || type == PACKER_TIFF;
}
