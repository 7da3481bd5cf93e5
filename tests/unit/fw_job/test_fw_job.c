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

static void test_free_removes_the_spooled_pages(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(fw_job_init(&f->job, &f->req, &f->env), 0);
    run_until_waiting(f);
    assert_true(fake_storage_count(&f->storage_ctx) > 0);
    fw_job_free(&f->job);
    assert_int_equal(fake_storage_count(&f->storage_ctx), 0);
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
        cmocka_unit_test_setup_teardown(test_free_removes_the_spooled_pages, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
