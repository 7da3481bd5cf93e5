/* packer: grouping pages into files and e-mails under the attachment limit
 * and the gateway's SIZE, checked against the real MIME writer's sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mime.h"
#include "packer.h"

#define PAGES 20
#define BASE "scan"
#define SUBJECT "Scan from MFP-3F"

/* File format overheads of the test model (what the PDF/TIFF writers add
 * around the page data); the packer only sees the totals. */
#define TIFF_FIXED 180u
#define PDF_FIXED 900u
#define PDF_PER_PAGE 420u
#define MTIFF_FIXED 8u
#define MTIFF_PER_PAGE 170u

/* A spooled job as the job manager sees it: page data sizes and a type. */
struct job {
    enum packer_type type;
    unsigned pages;
    uint64_t blob[PACKER_MAX_PAGES];
    unsigned file_calls;
    int break_file_size;   /* file_size answers PACKER_SIZE_ERROR */
    int digits_model;      /* message_size: attachments + 100 per digit of "/n" */
    int shrink_with_total; /* message_size misbehaves: smaller for larger totals */
};

static uint64_t job_file_size(void *arg, unsigned first, unsigned count)
{
    struct job *j = arg;
    uint64_t sum = 0;

    j->file_calls++;
    if (j->break_file_size)
        return PACKER_SIZE_ERROR;
    assert_true(count >= 1 && first + count <= j->pages);
    if (j->type == PACKER_JPEG || j->type == PACKER_TIFF)
        assert_int_equal(count, 1);
    for (unsigned i = first; i < first + count; i++)
        sum += j->blob[i];
    switch (j->type) {
    case PACKER_JPEG:
        return sum;
    case PACKER_TIFF:
        return TIFF_FIXED + sum;
    case PACKER_PDF:
        return PDF_FIXED + PDF_PER_PAGE * count + sum;
    case PACKER_MTIFF:
        return MTIFF_FIXED + MTIFF_PER_PAGE * count + sum;
    }
    return PACKER_SIZE_ERROR;
}

static long never_read(void *arg, uint32_t off, uint8_t *buf, size_t cap)
{
    (void)arg, (void)off, (void)buf, (void)cap;
    return -1;
}

/* The exact size of the message the job manager will send for m, from the
 * real MIME writer with the names and subject the packer helpers make. */
static uint64_t job_message_size(void *arg, const struct packer_mail_shape *m)
{
    struct job *j = arg;
    static const mime_str_t to[] = {{"office@example.com", 18}};
    char names[PACKER_MAX_PAGES][64];
    char subject[sizeof(SUBJECT) + PACKER_SUBJECT_SUFFIX_MAX];
    mime_attachment_t att[PACKER_MAX_PAGES];
    mime_message_t msg = {
        .from_name = mime_str("MFP 3rd floor"),
        .from_addr = mime_str("mfp@example.com"),
        .to = to,
        .to_count = 1,
        .text = mime_str("Scanned pages attached.\n"),
        .date = 1790000000,
        .message_id = mime_str("<0123456789abcdef.1790000000@example.com>"),
        .attachments = att,
        .attachment_count = m->nfiles,
    };
    mime_writer_t w;
    uint64_t size;

    if (j->digits_model || j->shrink_with_total) {
        uint64_t attach = 0;
        for (unsigned i = 0; i < m->nfiles; i++)
            attach += m->file_sizes[i];
        if (j->shrink_with_total)
            return attach + (m->mail_total == 1 ? 600 : 0);
        for (unsigned n = m->mail_total; m->mail_total > 1 && n > 0; n /= 10)
            attach += 100;
        return attach;
    }
    assert_int_equal(packer_subject(subject, sizeof subject, SUBJECT, m->mail_index, m->mail_total),
                     0);
    msg.subject = mime_str(subject);
    for (unsigned i = 0; i < m->nfiles; i++) {
        assert_true(m->file_sizes[i] <= UINT32_MAX);
        assert_int_equal(packer_file_name(names[i], sizeof names[i], BASE, m->first_file + i,
                                          packer_ext(j->type)),
                         0);
        att[i] = (mime_attachment_t){mime_str(names[i]), mime_str(packer_content_type(j->type)),
                                     (uint32_t)m->file_sizes[i], never_read, NULL};
    }
    assert_int_equal(mime_writer_init(&w, &msg, NULL), 0);
    size = mime_writer_size(&w);
    mime_writer_free(&w);
    return size;
}

static struct packer_cfg job_cfg(struct job *j, uint64_t attach_max, uint64_t size_max)
{
    return (struct packer_cfg){
        .type = j->type,
        .pages = j->pages,
        .attach_max = attach_max,
        .size_max = size_max,
        .file_size = job_file_size,
        .message_size = job_message_size,
        .arg = j,
    };
}

/* 20 pages like a real mixed job: mostly text pages (40-120 KB), some
 * mixed pages (200-600 KB) and photo pages (0.8-2.5 MB), from a fixed LCG. */
static void job_make(struct job *j, enum packer_type type)
{
    uint32_t x = 12345;

    memset(j, 0, sizeof(*j));
    j->type = type;
    j->pages = PAGES;
    for (unsigned i = 0; i < PAGES; i++) {
        x = x * 1103515245u + 12345u;
        unsigned r = (x >> 8) % 1000;
        if (i % 7 == 3)
            j->blob[i] = 800000 + r * 1700;
        else if (i % 3 == 1)
            j->blob[i] = 200000 + r * 400;
        else
            j->blob[i] = 40000 + r * 80;
    }
}

/* Whether e-mail `index` of `total`, made of pages [first, first+count),
 * fits both limits; computed by the test's own model, not the packer. */
static int mail_fits(struct job *j, unsigned index, unsigned total, unsigned first_file,
                     unsigned first, unsigned count, uint64_t attach_max, uint64_t size_max)
{
    uint64_t sizes[PACKER_MAX_PAGES], attach = 0;
    unsigned nfiles;

    if (j->type == PACKER_JPEG || j->type == PACKER_TIFF) {
        nfiles = count;
        for (unsigned i = 0; i < count; i++)
            sizes[i] = job_file_size(j, first + i, 1);
    } else {
        nfiles = 1;
        sizes[0] = job_file_size(j, first, count);
    }
    for (unsigned i = 0; i < nfiles; i++)
        attach += sizes[i];
    struct packer_mail_shape m = {index, total, first_file, nfiles, sizes};
    return (attach_max == 0 || attach <= attach_max) &&
           (size_max == 0 || job_message_size(j, &m) <= size_max);
}

/* Every property the job manager relies on, checked on a packed result. */
static void check_result(struct job *j, const struct packer_result *r, uint64_t attach_max,
                         uint64_t size_max)
{
    unsigned next_page = 0, next_file = 0;
    int per_page = j->type == PACKER_JPEG || j->type == PACKER_TIFF;

    assert_true(r->mail_count >= 1);
    for (unsigned m = 0; m < r->mail_count; m++) {
        const struct packer_mail *ml = &r->mails[m];
        unsigned first_page = next_page, pages = 0;
        uint64_t attach = 0;

        assert_int_equal(ml->first_file, next_file);
        assert_true(ml->file_count >= 1);
        if (!per_page)
            assert_int_equal(ml->file_count, 1);
        for (unsigned f = ml->first_file; f < ml->first_file + ml->file_count; f++) {
            const struct packer_file *fl = &r->files[f];
            /* Pages once and in order. */
            assert_int_equal(fl->first_page, next_page);
            assert_true(fl->page_count >= 1);
            if (per_page)
                assert_int_equal(fl->page_count, 1);
            assert_int_equal(r->file_size[f], job_file_size(j, fl->first_page, fl->page_count));
            attach += r->file_size[f];
            next_page += fl->page_count;
            pages += fl->page_count;
        }
        next_file += ml->file_count;
        assert_int_equal(ml->attach_bytes, attach);
        if (attach_max != 0)
            assert_true(attach <= attach_max);
        /* The message as it will really be sent (final numbering) fits. */
        struct packer_mail_shape shape = {m, r->mail_count, ml->first_file, ml->file_count,
                                          &r->file_size[ml->first_file]};
        uint64_t msg = job_message_size(j, &shape);
        assert_int_equal(ml->message_size, msg);
        if (size_max != 0)
            assert_true(msg <= size_max);
        /* Greedy: the next page would not have fitted in this e-mail. */
        if (m + 1 < r->mail_count)
            assert_false(mail_fits(j, m, r->mail_count, ml->first_file, first_page, pages + 1,
                                   attach_max, size_max));
    }
    assert_int_equal(next_page, j->pages);
    assert_int_equal(r->file_count, next_file);
}

/* What the job manager does with PACKER_ERR_PAGE_TOO_BIG: shrink that page
 * (scan_requant in real life) by what the report says and pack again.
 * Returns how many pages had to shrink. */
static unsigned pack_shrinking(struct job *j, struct packer_result *r, uint64_t attach_max,
                               uint64_t size_max)
{
    struct packer_cfg cfg = job_cfg(j, attach_max, size_max);
    unsigned shrunk = 0;
    int rc;

    while ((rc = packer_pack(&cfg, r)) == PACKER_ERR_PAGE_TOO_BIG) {
        const struct packer_too_big *tb = &r->too_big;
        assert_true(tb->page < j->pages);
        assert_true(tb->page_size > tb->limit);
        assert_int_equal(tb->page_size, job_file_size(j, tb->page, 1));
        assert_true(j->blob[tb->page] > tb->page_size - tb->limit);
        /* Exactly enough to fit: the report's limit is the largest fitting size. */
        j->blob[tb->page] -= tb->page_size - tb->limit;
        assert_true(++shrunk <= j->pages);
    }
    assert_int_equal(rc, 0);
    return shrunk;
}

static void test_twenty_page_jobs_fit_every_limit_for_every_type(void **state)
{
    static const uint64_t limits[] = {100000, 250000, 1000000, 3000000, 10000000};
    static const enum packer_type types[] = {PACKER_JPEG, PACKER_TIFF, PACKER_PDF, PACKER_MTIFF};
    static struct job j;
    static struct packer_result r;
    unsigned mails_seen_many = 0;

    (void)state;
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
            /* SIZE: none, looser than the attachment limit, and tighter
             * (base64 makes a message ~1.37x its attachments). */
            const uint64_t sizes[] = {0, limits[l] * 2, limits[l]};
            for (size_t s = 0; s < 3; s++) {
                job_make(&j, types[t]);
                unsigned shrunk = pack_shrinking(&j, &r, limits[l], sizes[s]);
                check_result(&j, &r, limits[l], sizes[s]);
                if (limits[l] >= 3000000)
                    assert_int_equal(shrunk, 0); /* the biggest page is 2.5 MB */
                if (limits[l] == 100000)
                    assert_true(shrunk > 0);
                if (r.mail_count > 1)
                    mails_seen_many++;
                printf("%s%s limit %8u SIZE %8u: %2u e-mails, %2u files, %u pages shrunk\n",
                       packer_ext(types[t]), types[t] == PACKER_MTIFF ? "(m)" : "   ",
                       (unsigned)limits[l], (unsigned)sizes[s], r.mail_count, r.file_count, shrunk);
            }
        }
    }
    assert_true(mails_seen_many > 10);
}

static void test_jpeg_pages_share_an_email_while_their_sum_fits(void **state)
{
    struct job j = {.type = PACKER_JPEG, .pages = 10};
    struct packer_cfg cfg = job_cfg(&j, 250000, 0);
    static struct packer_result r;

    (void)state;
    for (unsigned i = 0; i < 10; i++)
        j.blob[i] = 60000;
    assert_int_equal(packer_pack(&cfg, &r), 0);
    /* 4 x 60 KB = 240 KB fits 250 KB, 5 do not: 4 + 4 + 2. */
    assert_int_equal(r.mail_count, 3);
    assert_int_equal(r.file_count, 10);
    assert_int_equal(r.mails[0].file_count, 4);
    assert_int_equal(r.mails[1].file_count, 4);
    assert_int_equal(r.mails[2].file_count, 2);
    assert_int_equal(r.mails[2].first_file, 8);
    assert_int_equal(r.files[9].first_page, 9);
    assert_int_equal(r.mails[0].attach_bytes, 240000);
}

static void test_pdf_pages_share_a_file_per_email_while_it_fits(void **state)
{
    struct job j = {.type = PACKER_PDF, .pages = 10};
    struct packer_cfg cfg = job_cfg(&j, 250000, 0);
    static struct packer_result r;

    (void)state;
    for (unsigned i = 0; i < 10; i++)
        j.blob[i] = 60000;
    assert_int_equal(packer_pack(&cfg, &r), 0);
    /* 900 + 4 x 60420 = 242580 fits, 5 pages = 303000 do not. */
    assert_int_equal(r.mail_count, 3);
    assert_int_equal(r.file_count, 3);
    assert_int_equal(r.files[1].first_page, 4);
    assert_int_equal(r.files[1].page_count, 4);
    assert_int_equal(r.files[2].page_count, 2);
    assert_int_equal(r.file_size[0], 242580);
}

static void test_no_limit_puts_the_whole_job_in_one_email_without_numbering(void **state)
{
    static struct job j;
    static struct packer_result r;
    struct packer_cfg cfg;

    (void)state;
    job_make(&j, PACKER_PDF);
    cfg = job_cfg(&j, 0, 0);
    cfg.message_size = NULL; /* allowed without SIZE */
    assert_int_equal(packer_pack(&cfg, &r), 0);
    assert_int_equal(r.mail_count, 1);
    assert_int_equal(r.file_count, 1);
    assert_int_equal(r.files[0].page_count, PAGES);
    assert_int_equal(r.mails[0].message_size, 0);
}

static void test_page_over_the_attachment_limit_is_reported_with_its_size(void **state)
{
    struct job j = {.type = PACKER_PDF, .pages = 5};
    struct packer_cfg cfg = job_cfg(&j, 250000, 0);
    static struct packer_result r;

    (void)state;
    for (unsigned i = 0; i < 5; i++)
        j.blob[i] = i == 3 ? 300000 : 50000;
    assert_int_equal(packer_pack(&cfg, &r), PACKER_ERR_PAGE_TOO_BIG);
    assert_int_equal(r.too_big.page, 3);
    assert_int_equal(r.too_big.page_size, PDF_FIXED + PDF_PER_PAGE + 300000);
    assert_int_equal(r.too_big.limit, 250000);
    assert_int_equal(r.too_big.which, PACKER_LIMIT_ATTACHMENT);
}

static void test_page_over_size_is_reported_with_the_largest_file_that_fits(void **state)
{
    struct job j = {.type = PACKER_JPEG, .pages = 3};
    struct packer_cfg cfg = job_cfg(&j, 10000000, 1000000);
    static struct packer_result r;

    (void)state;
    j.blob[0] = 100000;
    j.blob[1] = 900000; /* 900 KB fits the attachment limit, not 1 MB of base64 */
    j.blob[2] = 100000;
    assert_int_equal(packer_pack(&cfg, &r), PACKER_ERR_PAGE_TOO_BIG);
    assert_int_equal(r.too_big.page, 1);
    assert_int_equal(r.too_big.page_size, 900000);
    assert_int_equal(r.too_big.which, PACKER_LIMIT_MESSAGE);

    /* The limit is exact for the longest numbering, "(3/3)": a file of that
     * size fits alone, one byte more does not. */
    uint64_t s = r.too_big.limit;
    struct packer_mail_shape m = {2, 3, 1, 1, &s};
    assert_true(job_message_size(&j, &m) <= 1000000);
    s++;
    assert_true(job_message_size(&j, &m) > 1000000);
    assert_true(r.too_big.limit < 1000000 * 3 / 4);
    /* Shrunk to it, the page fits and the job packs. */
    j.blob[1] = r.too_big.limit;
    assert_int_equal(packer_pack(&cfg, &r), 0);
    check_result(&j, &r, 10000000, 1000000);
}

static void test_numbering_settles_on_the_fewest_emails_it_can_number(void **state)
{
    /* Messages cost their attachments plus 100 bytes per digit of "/n":
     * 1000-byte pages under SIZE 2150 go two per e-mail while n has one
     * digit, one per e-mail when it has two. */
    struct job j = {.type = PACKER_JPEG, .pages = 12, .digits_model = 1};
    static struct packer_result r;
    struct packer_cfg cfg = job_cfg(&j, 0, 2150);

    (void)state;
    for (unsigned i = 0; i < 20; i++)
        j.blob[i] = 1000;
    /* 12 pages: "(i/6)" is self-consistent (so would "(i/12)" be; fewer wins). */
    assert_int_equal(packer_pack(&cfg, &r), 0);
    assert_int_equal(r.mail_count, 6);
    assert_int_equal(r.mails[5].message_size, 2100);
    check_result(&j, &r, 0, 2150);
    /* 20 pages: "(i/10)" makes pairs too big, so 20 single-page e-mails. */
    j.pages = cfg.pages = 20;
    assert_int_equal(packer_pack(&cfg, &r), 0);
    assert_int_equal(r.mail_count, 20);
    assert_int_equal(r.mails[0].message_size, 1200);
    check_result(&j, &r, 0, 2150);
}

static void test_failing_or_unstable_callbacks_are_errors(void **state)
{
    struct job j = {.type = PACKER_JPEG, .pages = 3, .blob = {1000, 1000, 1000}};
    struct packer_cfg cfg = job_cfg(&j, 0, 5000000);
    static struct packer_result r;

    (void)state;
    j.break_file_size = 1;
    assert_int_equal(packer_pack(&cfg, &r), PACKER_ERR_CALLBACK);
    j.break_file_size = 0;
    /* A callback that charges 600 bytes more without numbering: 3 e-mails
     * at n = 1, but 2 at n = 3. Refusing beats looping or mislabelling. */
    j.shrink_with_total = 1;
    cfg.size_max = 2500;
    assert_int_equal(packer_pack(&cfg, &r), PACKER_ERR_UNSTABLE);
}

static void test_bad_arguments_are_refused(void **state)
{
    struct job j = {.type = PACKER_JPEG, .pages = 1, .blob = {1}};
    struct packer_cfg cfg = job_cfg(&j, 0, 1000);
    static struct packer_result r;

    (void)state;
    assert_int_equal(packer_pack(NULL, &r), PACKER_ERR_BAD_ARG);
    assert_int_equal(packer_pack(&cfg, NULL), PACKER_ERR_BAD_ARG);
    cfg.pages = 0;
    assert_int_equal(packer_pack(&cfg, &r), PACKER_ERR_BAD_ARG);
    cfg.pages = PACKER_MAX_PAGES + 1;
    assert_int_equal(packer_pack(&cfg, &r), PACKER_ERR_BAD_ARG);
    cfg.pages = 1;
    cfg.message_size = NULL; /* SIZE without a way to size the message */
    assert_int_equal(packer_pack(&cfg, &r), PACKER_ERR_BAD_ARG);
    cfg.message_size = job_message_size;
    cfg.type = (enum packer_type)7;
    assert_int_equal(packer_pack(&cfg, &r), PACKER_ERR_BAD_ARG);
}

static void test_file_names_are_base_then_underscore_number(void **state)
{
    char out[16];

    (void)state;
    assert_int_equal(packer_file_name(out, sizeof out, "scan", 0, "pdf"), 0);
    assert_string_equal(out, "scan.pdf");
    assert_int_equal(packer_file_name(out, sizeof out, "scan", 1, "pdf"), 0);
    assert_string_equal(out, "scan_2.pdf");
    assert_int_equal(packer_file_name(out, sizeof out, "scan", 19, "jpg"), 0);
    assert_string_equal(out, "scan_20.jpg");
    /* "scan_20.jpg" + NUL = 12 bytes: 12 fits, 11 does not. */
    assert_int_equal(packer_file_name(out, 12, "scan", 19, "jpg"), 0);
    assert_int_equal(packer_file_name(out, 11, "scan", 19, "jpg"), PACKER_ERR_TOO_SMALL);
    assert_string_equal(out, "");
    assert_int_equal(packer_file_name(NULL, 8, "scan", 0, "jpg"), PACKER_ERR_BAD_ARG);
    assert_string_equal(packer_ext(PACKER_MTIFF), "tif");
    assert_string_equal(packer_content_type(PACKER_PDF), "application/pdf");
    assert_null(packer_ext((enum packer_type)9));
}

static void test_subject_is_numbered_only_when_there_are_several_emails(void **state)
{
    char out[32];

    (void)state;
    assert_int_equal(packer_subject(out, sizeof out, "Scan", 0, 1), 0);
    assert_string_equal(out, "Scan");
    assert_int_equal(packer_subject(out, sizeof out, "Scan", 0, 3), 0);
    assert_string_equal(out, "Scan (1/3)");
    assert_int_equal(packer_subject(out, sizeof out, "Scan", 11, 12), 0);
    assert_string_equal(out, "Scan (12/12)");
    assert_int_equal(packer_subject(out, sizeof out, "", 1, 3), 0);
    assert_string_equal(out, "(2/3)");
    /* "Scan (1/3)" + NUL = 11 bytes. */
    assert_int_equal(packer_subject(out, 11, "Scan", 0, 3), 0);
    assert_int_equal(packer_subject(out, 10, "Scan", 0, 3), PACKER_ERR_TOO_SMALL);
    assert_string_equal(out, "");
    assert_int_equal(packer_subject(out, sizeof out, "Scan", 3, 3), PACKER_ERR_BAD_ARG);
    /* The documented worst case fits. */
    char big[4 + PACKER_SUBJECT_SUFFIX_MAX + 1];
    assert_int_equal(packer_subject(big, sizeof big, "Scan", 9998, 9999), 0);
    assert_string_equal(big, "Scan (9999/9999)");
}

static void test_base64_size_matches_the_mime_writer(void **state)
{
    static const uint32_t ns[] = {1, 2, 3, 56, 57, 58, 114, 115, 1000, 100000};
    struct job j = {.type = PACKER_JPEG};
    uint64_t zero = 0;
    struct packer_mail_shape m = {0, 1, 0, 1, &zero};
    uint64_t base = job_message_size(&j, &m);

    (void)state;
    assert_int_equal(packer_base64_size(0), 0);
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        uint64_t n = ns[i];
        m.file_sizes = &n;
        assert_int_equal(job_message_size(&j, &m) - base, packer_base64_size(n));
    }
}

static void test_estimate_is_header_plus_parts(void **state)
{
    struct packer_overhead o = {.header = 1000, .per_file = 200};
    uint64_t sizes[] = {57, 3};
    struct packer_mail_shape m = {0, 1, 0, 2, sizes};

    (void)state;
    assert_int_equal(packer_estimate_message_size(&o, &m), 1000 + 200 + 76 + 200 + 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twenty_page_jobs_fit_every_limit_for_every_type),
        cmocka_unit_test(test_jpeg_pages_share_an_email_while_their_sum_fits),
        cmocka_unit_test(test_pdf_pages_share_a_file_per_email_while_it_fits),
        cmocka_unit_test(test_no_limit_puts_the_whole_job_in_one_email_without_numbering),
        cmocka_unit_test(test_page_over_the_attachment_limit_is_reported_with_its_size),
        cmocka_unit_test(test_page_over_size_is_reported_with_the_largest_file_that_fits),
        cmocka_unit_test(test_numbering_settles_on_the_fewest_emails_it_can_number),
        cmocka_unit_test(test_failing_or_unstable_callbacks_are_errors),
        cmocka_unit_test(test_bad_arguments_are_refused),
        cmocka_unit_test(test_file_names_are_base_then_underscore_number),
        cmocka_unit_test(test_subject_is_numbered_only_when_there_are_several_emails),
        cmocka_unit_test(test_base64_size_matches_the_mime_writer),
        cmocka_unit_test(test_estimate_is_header_plus_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
