/* Job log: entries kept across power cuts, oldest replaced, evidence kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_storage.h"
#include "fake_sys.h"
#include "fw_joblog.h"

struct fixture {
    struct fake_storage storage_ctx;
    struct hal_storage storage;
    struct fake_clock clock_ctx;
    struct hal_clock clock;
    fw_job_t job;
    struct fw_joblog_entry log[FW_JOBLOG_MAX];
    unsigned n;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    fake_storage_init(&f->storage_ctx);
    fake_storage_hal(&f->storage_ctx, &f->storage);
    f->clock_ctx.wall = 1795447719;
    fake_clock_hal(&f->clock_ctx, &f->clock);
    /* A job that failed: the gateway refused one recipient of two for good. */
    f->job.env.clock = &f->clock;
    f->job.env.storage = &f->storage;
    f->job.phase = FW_JOB_DONE;
    f->job.mail_count = 1;
    f->job.rcpt_count = 2;
    f->job.attempts = 1;
    f->job.scan.n_pages = 3;
    f->job.mails[0].rcpt_results[0].delivered = 1;
    f->job.mails[0].rcpt_results[1].reply = (smtp_reply_info_t){550, "5.1.1", "User unknown"};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    fake_storage_free(&f->storage_ctx);
    free(f);
    return 0;
}

static void test_entry_keeps_the_result_and_the_gateway_reply(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(fw_joblog_add(&f->storage, &f->job), 0);
    assert_int_equal(fw_joblog_read(&f->storage, f->log, &f->n), 0);
    assert_int_equal(f->n, 1);
    assert_int_equal(f->log[0].result, FW_JOBLOG_PARTLY_SENT);
    assert_int_equal(f->log[0].pages, 3);
    assert_int_equal(f->log[0].delivered, 1);
    assert_int_equal(f->log[0].rcpts, 2);
    assert_int_equal(f->log[0].code, 550);
    assert_string_equal(f->log[0].enhanced, "5.1.1");
    assert_string_equal(f->log[0].reply, "User unknown");
    assert_int_equal(f->log[0].time, 1795447719);
}

static void test_full_log_replaces_the_oldest_and_reads_newest_first(void **state)
{
    struct fixture *f = *state;

    for (unsigned i = 0; i < FW_JOBLOG_MAX + 2; i++) {
        f->job.attempts = i + 1;
        assert_int_equal(fw_joblog_add(&f->storage, &f->job), 0);
    }
    assert_int_equal(fw_joblog_read(&f->storage, f->log, &f->n), 0);
    assert_int_equal(f->n, FW_JOBLOG_MAX);
    for (unsigned i = 0; i < FW_JOBLOG_MAX; i++) {
        assert_int_equal(f->log[i].seq, FW_JOBLOG_MAX + 2 - i);
        assert_int_equal(f->log[i].sessions, FW_JOBLOG_MAX + 2 - i);
    }
}

/* A power cut at every byte of an addition: the log reads as before or
 * with the new entry, never with a damaged one. */
static void test_power_cut_during_an_addition_keeps_the_log_whole(void **state)
{
    struct fixture *f = *state;
    long cut;

    assert_int_equal(fw_joblog_add(&f->storage, &f->job), 0);
    f->job.phase = FW_JOB_FAILED;
    f->job.stage = "rcpt";
    for (cut = 0;; cut++) {
        fake_storage_fail_after(&f->storage_ctx, cut);
        int rc = fw_joblog_add(&f->storage, &f->job);
        fake_storage_fail_after(&f->storage_ctx, -1);
        assert_int_equal(fw_joblog_read(&f->storage, f->log, &f->n), 0);
        if (rc == 0)
            break;
        assert_int_equal(f->n, 1);
        assert_int_equal(f->log[0].result, FW_JOBLOG_PARTLY_SENT);
    }
    assert_true(cut > 20);
    assert_int_equal(f->n, 2);
    assert_int_equal(f->log[0].result, FW_JOBLOG_FAILED);
    assert_string_equal(f->log[0].stage, "rcpt");
}

static void test_damaged_entry_is_skipped(void **state)
{
    struct fixture *f = *state;
    size_t len;

    assert_int_equal(fw_joblog_add(&f->storage, &f->job), 0);
    assert_int_equal(fw_joblog_add(&f->storage, &f->job), 0);
    uint8_t *b = fake_storage_blob(&f->storage_ctx, "jlog0.a", &len);
    assert_non_null(b);
    b[len - 1] ^= 0x40;
    assert_int_equal(fw_joblog_read(&f->storage, f->log, &f->n), 0);
    assert_int_equal(f->n, 1);
    assert_int_equal(f->log[0].seq, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_entry_keeps_the_result_and_the_gateway_reply, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_full_log_replaces_the_oldest_and_reads_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_power_cut_during_an_addition_keeps_the_log_whole,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_entry_is_skipped, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
