/* Job manager: validation before scanning, scan failures and the network
 * wait, with fake HAL backends (the lab tests cover the sending). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_scanner.h"
#include "fake_storage.h"
#include "fake_sys.h"
#include "fw_job.h"
#include "fw_joblog.h"
#include "fw_journal.h"

struct fixture {
    struct fake_clock clock_ctx;
    struct fake_rng rng_ctx;
    struct fake_scanner scanner_ctx;
    struct fake_storage storage_ctx;
    struct hal_clock clock;
    struct hal_rng rng;
    struct hal_scanner scanner;
    struct hal_storage storage;
    fw_net_t net;
    struct fw_job_request req;
    struct fw_job_env env;
    fw_job_t job;
    uint8_t band[2480 * 3 * FW_JOB_BAND_LINES]; /* sized for the request's A4 300 dpi */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct fake_scanner_cfg sc = {.width = 64, .height = 40};

    f->clock_ctx.wall = 1795447719;
    fake_clock_hal(&f->clock_ctx, &f->clock);
    fake_rng_hal(&f->rng_ctx, &f->rng);
    fake_scanner_init(&f->scanner_ctx, &sc);
    fake_scanner_hal(&f->scanner_ctx, &f->scanner);
    fake_storage_init(&f->storage_ctx);
    fake_storage_hal(&f->storage_ctx, &f->storage);

    f->req.from_addr = "mfp@example.test";
    f->req.from_name = "MFP";
    f->req.to[0] = "alice@example.test";
    f->req.to_count = 1;
    f->req.subject = "Scan";
    f->req.scan = (struct hal_scan_params){.dpi = 300, .width_mm10 = 2100, .height_mm10 = 2970,
                                           .color = HAL_SCAN_COLOR, .pages = 2};
    f->req.gateway = "mail.example.test";
    f->req.port = 25;
    f->req.spool_prefix = "q1-";
    f->env = (struct fw_job_env){&f->scanner, &f->storage, &f->clock, &f->rng, &f->net,
                                 f->band, sizeof(f->band)};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    fw_job_free(&f->job);
    fake_storage_free(&f->storage_ctx);
    free(f);
    return 0;
}

static void run_until_waiting(struct fixture *f)
{
    for (int i = 0; i < 10000 && (f->job.phase == FW_JOB_SCANNING ||
                                  f->job.phase == FW_JOB_PACKING); i++)
        fw_job_step(&f->job);
}

static void test_valid_request_starts_scanning(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), 0);
    assert_int_equal(f->job.phase, FW_JOB_SCANNING);
}

static void test_subject_with_crlf_is_refused_naming_the_field(void **state)
{
    struct fixture *f = *state;
    f->req.subject = "Hello\r\nBcc: eve@example.test";
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), FW_JOB_ERR_FIELD);
    assert_string_equal(f->job.field, "Subject");
    assert_int_equal(f->job.phase, FW_JOB_FAILED);
    assert_non_null(strstr(f->job.error, "Subject"));
}

static void test_bad_cc_address_is_refused_before_scanning(void **state)
{
    struct fixture *f = *state;
    f->req.cc[0] = "bob@exa mple.test";
    f->req.cc_count = 1;
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), FW_JOB_ERR_FIELD);
    assert_string_equal(f->job.field, "Cc");
    assert_int_equal(fake_storage_count(&f->storage_ctx), 0);
}

static void test_bcc_with_lf_is_refused(void **state)
{
    struct fixture *f = *state;
    f->req.bcc[0] = "eve@example.test\n";
    f->req.bcc_count = 1;
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), FW_JOB_ERR_FIELD);
    assert_string_equal(f->job.field, "Bcc");
}

static void test_no_recipient_is_refused(void **state)
{
    struct fixture *f = *state;
    f->req.to_count = 0;
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), FW_JOB_ERR_FIELD);
    assert_string_equal(f->job.field, "To");
}

static void test_missing_gateway_is_refused(void **state)
{
    struct fixture *f = *state;
    f->req.gateway = "";
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), FW_JOB_ERR_FIELD);
    assert_string_equal(f->job.field, "Gateway");
}

static void test_file_name_with_a_path_is_refused(void **state)
{
    struct fixture *f = *state;
    f->req.file_name = "../etc/passwd";
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), FW_JOB_ERR_FIELD);
    assert_string_equal(f->job.field, "File name");
}


static void test_jpeg_pages_become_one_file_each_with_exact_size(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), 0);
    run_until_waiting(f);
    assert_int_equal(f->job.phase, FW_JOB_WAIT_NETWORK);
    assert_int_equal(f->job.mail_count, 1);
    assert_int_equal(f->job.pack.file_count, 2);
    assert_string_equal(f->job.files[0].name, "scan.jpg");
    assert_string_equal(f->job.files[1].name, "scan_2.jpg");
    assert_true(f->job.mails[0].size > (uint64_t)f->job.files[0].size + f->job.files[1].size);
    assert_int_equal(f->job.msgs[0].rcpt_count, 1);
    assert_string_equal(f->job.mails[0].subject, "Scan");
}

static void test_pdf_over_the_attachment_limit_is_split_with_numbered_subjects(void **state)
{
    struct fixture *f = *state;
    f->req.type = FW_FILE_PDF;
    f->req.scan.pages = 1;
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), 0);
    run_until_waiting(f);
    assert_int_equal(f->job.phase, FW_JOB_WAIT_NETWORK);
    /* A limit just above a one-page PDF: one page per e-mail. */
    f->req.max_attachment = f->job.files[0].size + 100;
    f->req.scan.pages = 3;
    fw_job_free(&f->job);
    fake_storage_free(&f->storage_ctx);
    fake_storage_init(&f->storage_ctx);
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), 0);
    run_until_waiting(f);
    assert_int_equal(f->job.phase, FW_JOB_WAIT_NETWORK);
    assert_int_equal(f->job.mail_count, 3);
    assert_string_equal(f->job.files[2].name, "scan_3.pdf");
    assert_string_equal(f->job.mails[0].subject, "Scan (1/3)");
    assert_string_equal(f->job.mails[2].subject, "Scan (3/3)");
    for (unsigned i = 0; i < 3; i++)
        assert_true(f->job.files[i].size <= f->req.max_attachment);
}

static void test_black_and_white_jpeg_is_refused(void **state)
{
    struct fixture *f = *state;
    f->req.color = FW_BW;
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), FW_JOB_ERR_FIELD);
    assert_string_equal(f->job.field, "File type");
}

static void test_paper_jam_fails_with_the_page_number(void **state)
{
    struct fixture *f = *state;
    struct fake_scanner_cfg sc = {.width = 64, .height = 40, .jam_at_page = 2};
    fake_scanner_init(&f->scanner_ctx, &sc);
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), 0);
    run_until_waiting(f);
    assert_int_equal(f->job.phase, FW_JOB_FAILED);
    assert_string_equal(f->job.stage, "scan");
    assert_non_null(strstr(f->job.error, "page 2"));
    assert_non_null(strstr(f->job.error, "paper jam"));
}

static void test_no_dhcp_lease_fails_after_the_timeout(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), 0);
    run_until_waiting(f);
    assert_int_equal(f->job.phase, FW_JOB_WAIT_NETWORK);
    f->clock_ctx.now_ms += FW_JOB_NET_TIMEOUT_MS - 1;
    fw_job_step(&f->job);
    assert_int_equal(f->job.phase, FW_JOB_WAIT_NETWORK);
    f->clock_ctx.now_ms += 2;
    fw_job_step(&f->job);
    assert_int_equal(f->job.phase, FW_JOB_FAILED);
    assert_string_equal(f->job.stage, "network");
}

static void test_free_keeps_a_queued_job_and_a_cancelled_one_is_removed(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), 0);
    run_until_waiting(f);
    assert_true(fw_job_queued(&f->job));
    unsigned blobs = fake_storage_count(&f->storage_ctx);
    assert_non_null(fake_storage_blob(&f->storage_ctx, "q1-job", NULL));
    fw_job_free(&f->job); /* a power cut, or the panel going on (--no-wait) */
    assert_int_equal(fake_storage_count(&f->storage_ctx), blobs);
    assert_int_equal(fw_job_resume(&f->job, &f->req, &f->env), 0);
    fw_job_cancel(&f->job);
    fw_job_free(&f->job);
    /* Only the job log's entry is left: it says the job was stopped. */
    struct fw_joblog_entry log[FW_JOBLOG_MAX];
    unsigned n;
    assert_int_equal(fake_storage_count(&f->storage_ctx), 1);
    assert_int_equal(fw_joblog_read(&f->storage, log, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(log[0].result, FW_JOBLOG_FAILED);
    assert_string_equal(log[0].stage, "cancel");
}

/* Two e-mails of one JPEG page each, queued and left (freed). */
static void queue_two_mails(struct fixture *f)
{
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), 0);
    run_until_waiting(f);
    f->req.max_attachment = f->job.files[0].size > f->job.files[1].size
                                ? f->job.files[0].size : f->job.files[1].size;
    fw_job_cancel(&f->job);
    fw_job_free(&f->job);
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), 0);
    run_until_waiting(f);
    assert_int_equal(f->job.mail_count, 2);
    assert_true(fw_job_queued(&f->job));
}

static void test_resumed_job_keeps_its_pages_files_and_message_ids(void **state)
{
    struct fixture *f = *state;
    char ids[2][MIME_MSGID_MAX + 1];
    uint64_t sizes[2];

    f->req.cc[0] = "bob@example.test";
    f->req.cc_count = 1;
    f->req.message = "Les pièces jointes";
    queue_two_mails(f);
    for (unsigned m = 0; m < 2; m++) {
        strcpy(ids[m], f->job.mails[m].message_id);
        sizes[m] = f->job.mails[m].size;
    }
    fw_job_free(&f->job);
    /* Today's settings: another gateway; the user's fields come from the journal. */
    struct fw_job_request settings = {.gateway = "smtp.example.test", .port = 587};
    settings.spool_prefix = f->req.spool_prefix;
    assert_int_equal(fw_job_resume(&f->job, &settings, &f->env), 0);
    assert_int_equal(f->job.phase, FW_JOB_WAIT_NETWORK);
    assert_string_equal(f->job.req.from_addr, "mfp@example.test");
    assert_string_equal(f->job.req.cc[0], "bob@example.test");
    assert_string_equal(f->job.req.message, "Les pièces jointes");
    assert_string_equal(f->job.req.gateway, "smtp.example.test");
    assert_int_equal(f->job.mail_count, 2);
    for (unsigned m = 0; m < 2; m++) {
        assert_string_equal(f->job.mails[m].message_id, ids[m]);
        assert_int_equal(f->job.mails[m].size, sizes[m]);
    }
    assert_int_equal(f->job.smtp_cfg.message_count, 2);
    assert_int_equal(f->job.msgs[0].rcpt_count, 2);
}

/* What the accepted() hook records: recipient r of e-mail m delivered. */
static void deliver(struct fixture *f, unsigned m, unsigned r)
{
    f->job.mails[m].rcpt_results[r].delivered = 1;
    f->job.mails[m].rcpt_results[r].accepted = 1;
    f->job.mails[m].rcpt_results[r].reply.code = 250;
    f->job.mails[m].pending[r] = 0;
}

static void test_resume_sends_only_what_the_gateway_did_not_accept(void **state)
{
    struct fixture *f = *state;

    queue_two_mails(f);
    deliver(f, 0, 0);
    f->job.mails[1].rcpt_results[0].reply.code = 450;
    strcpy(f->job.mails[1].rcpt_results[0].reply.text, "Greylisted, see postgrey");
    f->job.retry_at_wall = f->clock_ctx.wall + 30;
    assert_int_equal(fw_journal_save(&f->job), 0);
    fw_job_free(&f->job);
    assert_int_equal(fw_job_resume(&f->job, &f->req, &f->env), 0);
    assert_int_equal(f->job.phase, FW_JOB_RETRY_WAIT);
    assert_int_equal(f->job.retry_at_ms - f->clock_ctx.now_ms, 30000);
    assert_int_equal(f->job.smtp_cfg.message_count, 1);
    assert_ptr_equal(f->job.msgs[0].read_arg, &f->job.mails[1]);
    assert_true(f->job.mails[0].rcpt_results[0].delivered);
    assert_string_equal(f->job.mails[1].rcpt_results[0].reply.text, "Greylisted, see postgrey");
}

static void test_resume_of_a_fully_delivered_job_is_done_without_sending(void **state)
{
    struct fixture *f = *state;

    queue_two_mails(f);
    deliver(f, 0, 0);
    deliver(f, 1, 0);
    assert_int_equal(fw_journal_save(&f->job), 0);
    fw_job_free(&f->job);
    assert_int_equal(fw_job_resume(&f->job, &f->req, &f->env), 0);
    assert_int_equal(f->job.phase, FW_JOB_DONE);
    fw_job_free(&f->job);
    /* Nothing left but the job log: the first (cancelled) job, then this one. */
    struct fw_joblog_entry log[FW_JOBLOG_MAX];
    unsigned n;
    assert_int_equal(fw_joblog_read(&f->storage, log, &n), 0);
    assert_int_equal(fake_storage_count(&f->storage_ctx), n);
    assert_int_equal(log[0].result, FW_JOBLOG_SENT);
}

static void test_damaged_journal_is_refused_with_the_reason_and_removed(void **state)
{
    struct fixture *f = *state;
    size_t len;

    queue_two_mails(f);
    fw_job_free(&f->job);
    uint8_t *j = fake_storage_blob(&f->storage_ctx, "q1-job", &len);
    j[len / 2] ^= 0x20;
    assert_int_not_equal(fw_job_resume(&f->job, &f->req, &f->env), 0);
    assert_int_equal(f->job.phase, FW_JOB_FAILED);
    assert_string_equal(f->job.stage, "queue");
    assert_non_null(strstr(f->job.error, "checksum"));
    fw_job_free(&f->job);
    assert_null(fake_storage_blob(&f->storage_ctx, "q1-job", NULL));
}

static void test_lost_page_of_a_queued_job_is_named(void **state)
{
    struct fixture *f = *state;

    queue_two_mails(f);
    char page[HAL_STORAGE_NAME_MAX + 1];
    strcpy(page, f->job.scan.pages[1].name);
    fw_job_free(&f->job);
    fake_storage_blob(&f->storage_ctx, page, NULL)[0] ^= 1;
    assert_int_not_equal(fw_job_resume(&f->job, &f->req, &f->env), 0);
    assert_non_null(strstr(f->job.error, "Page 2"));
}

/* A power cut at every byte of a journal update (and at its commit) leaves
 * the old journal or the new one, never none. */
static void test_power_cut_during_a_journal_update_keeps_the_old_or_the_new(void **state)
{
    struct fixture *f = *state;
    size_t len;

    queue_two_mails(f);
    assert_non_null(fake_storage_blob(&f->storage_ctx, "q1-job", &len));
    deliver(f, 0, 0);
    for (long cut = 0; cut <= (long)len; cut++) { /* len: all written, the commit fails */
        fake_storage_fail_after(&f->storage_ctx, cut);
        if (cut == (long)len) {
            fake_storage_fail_after(&f->storage_ctx, -1);
            fake_storage_fail_commit(&f->storage_ctx, 1);
        }
        assert_int_not_equal(fw_journal_save(&f->job), 0);
        fake_storage_fail_after(&f->storage_ctx, -1);
        fake_storage_fail_commit(&f->storage_ctx, 0);
        fw_job_t *again = calloc(1, sizeof(*again));
        assert_int_equal(fw_job_resume(again, &f->req, &f->env), 0);
        assert_false(again->mails[0].rcpt_results[0].delivered); /* the old one */
        fw_job_free(again);
        free(again);
        assert_int_equal(fake_storage_open_handles(&f->storage_ctx), 0);
    }
    assert_int_equal(fw_journal_save(&f->job), 0);
    fw_job_free(&f->job);
    assert_int_equal(fw_job_resume(&f->job, &f->req, &f->env), 0);
    assert_true(f->job.mails[0].rcpt_results[0].delivered); /* the new one */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_request_starts_scanning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subject_with_crlf_is_refused_naming_the_field, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_cc_address_is_refused_before_scanning, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bcc_with_lf_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_recipient_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_gateway_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_name_with_a_path_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jpeg_pages_become_one_file_each_with_exact_size,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_pdf_over_the_attachment_limit_is_split_with_numbered_subjects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_black_and_white_jpeg_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paper_jam_fails_with_the_page_number, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_dhcp_lease_fails_after_the_timeout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_free_keeps_a_queued_job_and_a_cancelled_one_is_removed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_resumed_job_keeps_its_pages_files_and_message_ids,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_sends_only_what_the_gateway_did_not_accept,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_resume_of_a_fully_delivered_job_is_done_without_sending, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_damaged_journal_is_refused_with_the_reason_and_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_page_of_a_queued_job_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_power_cut_during_a_journal_update_keeps_the_old_or_the_new, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
