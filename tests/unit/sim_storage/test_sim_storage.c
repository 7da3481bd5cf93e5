/* sim_storage: blobs as files, atomic commit, power-cut injection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim_storage.h"
#include "spool.h"

struct env {
    char dir[64];
    struct sim_storage s;
    struct hal_storage st;
};

static int setup(void **state)
{
    static struct env e;

    strcpy(e.dir, "/tmp/test_sim_storage.XXXXXX");
    assert_non_null(mkdtemp(e.dir));
    assert_int_equal(sim_storage_init(&e.s, e.dir), 0);
    sim_storage_hal(&e.s, &e.st);
    *state = &e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    DIR *d;
    struct dirent *de;
    char path[512];

    sim_storage_free(&e->s);
    d = opendir(e->dir);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", e->dir, de->d_name);
        unlink(path);
    }
    closedir(d);
    assert_int_equal(rmdir(e->dir), 0);
    return 0;
}

static int file_exists(const struct env *e, const char *name, long *size)
{
    char path[512];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", e->dir, name);
    if (stat(path, &st) != 0)
        return 0;
    if (size != NULL)
        *size = (long)st.st_size;
    return 1;
}

static int put(struct env *e, const char *name, const char *text)
{
    int h = hal_storage_open(&e->st, name, HAL_STORAGE_WRITE);
    int rc;

    if (h < 0)
        return h;
    rc = hal_storage_write(&e->st, h, text, strlen(text));
    if (rc != 0) {
        hal_storage_close(&e->st, h);
        return rc;
    }
    return hal_storage_commit(&e->st, h);
}

static void expect_blob(struct env *e, const char *name, const char *text)
{
    char buf[256];
    int h = hal_storage_open(&e->st, name, HAL_STORAGE_READ);
    long n;

    assert_true(h >= 0);
    assert_int_equal(hal_storage_size(&e->st, h), (long)strlen(text));
    n = hal_storage_read(&e->st, h, 0, buf, sizeof(buf));
    assert_int_equal(n, (long)strlen(text));
    assert_memory_equal(buf, text, strlen(text));
    hal_storage_close(&e->st, h);
}

static void test_committed_blob_reads_back_by_offset(void **state)
{
    struct env *e = *state;
    char buf[8];
    int h;

    assert_int_equal(put(e, "blob", "hello, flash"), 0);
    expect_blob(e, "blob", "hello, flash");
    h = hal_storage_open(&e->st, "blob", HAL_STORAGE_READ);
    assert_true(h >= 0);
    assert_int_equal(hal_storage_read(&e->st, h, 7, buf, sizeof(buf)), 5);
    assert_memory_equal(buf, "flash", 5);
    assert_int_equal(hal_storage_read(&e->st, h, 12, buf, sizeof(buf)), 0);
    hal_storage_close(&e->st, h);
}

static void test_uncommitted_write_is_invisible_and_closing_discards_it(void **state)
{
    struct env *e = *state;
    int h = hal_storage_open(&e->st, "draft", HAL_STORAGE_WRITE);

    assert_true(h >= 0);
    assert_int_equal(hal_storage_write(&e->st, h, "abc", 3), 0);
    assert_int_equal(hal_storage_open(&e->st, "draft", HAL_STORAGE_READ), HAL_STORAGE_ERR_NOT_FOUND);
    assert_true(file_exists(e, "draft.tmp", NULL));
    hal_storage_close(&e->st, h);
    assert_false(file_exists(e, "draft.tmp", NULL));
    assert_false(file_exists(e, "draft", NULL));
}

static void test_commit_replaces_the_old_blob_only_when_it_returns(void **state)
{
    struct env *e = *state;
    int h;

    assert_int_equal(put(e, "cfg", "old"), 0);
    h = hal_storage_open(&e->st, "cfg", HAL_STORAGE_WRITE);
    assert_true(h >= 0);
    assert_int_equal(hal_storage_write(&e->st, h, "brand new", 9), 0);
    expect_blob(e, "cfg", "old");
    assert_int_equal(hal_storage_commit(&e->st, h), 0);
    expect_blob(e, "cfg", "brand new");
    assert_false(file_exists(e, "cfg.tmp", NULL));
}

static void test_power_cut_leaves_an_invisible_tmp_that_the_next_init_deletes(void **state)
{
    struct env *e = *state;
    long size = 0;

    assert_int_equal(put(e, "cfg", "old"), 0);
    sim_storage_cut_after(&e->s, 5);
    assert_int_equal(put(e, "cfg", "new and longer"), HAL_STORAGE_ERR_IO);
    assert_true(sim_storage_powered_off(&e->s));
    assert_int_equal(hal_storage_open(&e->st, "cfg", HAL_STORAGE_READ), HAL_STORAGE_ERR_IO);
    assert_true(file_exists(e, "cfg.tmp", &size));
    assert_int_equal(size, 5);

    /* Reboot. */
    sim_storage_free(&e->s);
    assert_true(file_exists(e, "cfg.tmp", NULL));
    assert_int_equal(sim_storage_init(&e->s, e->dir), 0);
    assert_false(file_exists(e, "cfg.tmp", NULL));
    expect_blob(e, "cfg", "old");
}

static void test_nth_write_cut_short_stores_only_its_first_half(void **state)
{
    struct env *e = *state;
    int h = hal_storage_open(&e->st, "page", HAL_STORAGE_WRITE);
    long size = 0;

    assert_true(h >= 0);
    sim_storage_cut_write(&e->s, 2);
    assert_int_equal(hal_storage_write(&e->st, h, "0123456789", 10), 0);
    assert_int_equal(hal_storage_write(&e->st, h, "abcdefghij", 10), HAL_STORAGE_ERR_IO);
    assert_int_equal(hal_storage_commit(&e->st, h), HAL_STORAGE_ERR_IO);
    assert_true(file_exists(e, "page.tmp", &size));
    assert_int_equal(size, 15);
    assert_false(file_exists(e, "page", NULL));
}

static void test_names_are_validated(void **state)
{
    static const char *bad[] = {"", "a/b", "..", "a..b", ".hidden", "x.tmp", "sp ace", "tab\t"};
    struct env *e = *state;
    char longest[HAL_STORAGE_NAME_MAX + 2];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(sim_storage_name_valid(bad[i]));
        assert_int_equal(hal_storage_open(&e->st, bad[i], HAL_STORAGE_WRITE), HAL_STORAGE_ERR_BAD_ARG);
        assert_int_equal(hal_storage_remove(&e->st, bad[i]), HAL_STORAGE_ERR_BAD_ARG);
    }
    assert_false(sim_storage_name_valid(NULL));
    memset(longest, 'n', sizeof(longest));
    longest[HAL_STORAGE_NAME_MAX + 1] = '\0';
    assert_int_equal(put(e, longest, "x"), HAL_STORAGE_ERR_BAD_ARG);
    longest[HAL_STORAGE_NAME_MAX] = '\0';
    assert_int_equal(put(e, longest, "x"), 0);
    expect_blob(e, longest, "x");
}

static void test_handle_table_is_bounded_and_handles_are_reused(void **state)
{
    struct env *e = *state;
    int h[SIM_STORAGE_HANDLES];

    assert_int_equal(put(e, "b", "1"), 0);
    for (int i = 0; i < SIM_STORAGE_HANDLES; i++) {
        h[i] = hal_storage_open(&e->st, "b", HAL_STORAGE_READ);
        assert_true(h[i] >= 0);
    }
    assert_int_equal(hal_storage_open(&e->st, "b", HAL_STORAGE_READ), HAL_STORAGE_ERR_IO);
    hal_storage_close(&e->st, h[3]);
    assert_int_equal(hal_storage_open(&e->st, "b", HAL_STORAGE_READ), h[3]);
    for (int i = 0; i < SIM_STORAGE_HANDLES; i++)
        hal_storage_close(&e->st, h[i]);
    hal_storage_close(&e->st, -1);
    hal_storage_close(&e->st, SIM_STORAGE_HANDLES);
}

static void test_two_writers_of_one_name_are_refused(void **state)
{
    struct env *e = *state;
    int h = hal_storage_open(&e->st, "x", HAL_STORAGE_WRITE);

    assert_true(h >= 0);
    assert_int_equal(hal_storage_open(&e->st, "x", HAL_STORAGE_WRITE), HAL_STORAGE_ERR_BAD_ARG);
    hal_storage_close(&e->st, h);
}

static void test_remove_deletes_and_reports_a_missing_blob(void **state)
{
    struct env *e = *state;

    assert_int_equal(put(e, "gone", "soon"), 0);
    assert_int_equal(hal_storage_remove(&e->st, "gone"), 0);
    assert_int_equal(hal_storage_remove(&e->st, "gone"), HAL_STORAGE_ERR_NOT_FOUND);
    assert_int_equal(hal_storage_open(&e->st, "gone", HAL_STORAGE_READ), HAL_STORAGE_ERR_NOT_FOUND);
}

/* The spool over real files: a cut in the middle of a page, then a reboot,
 * shows no page; the page before it survives; the next page works. */
static void test_spooled_page_survives_reboot_and_a_cut_page_never_appears(void **state)
{
    struct env *e = *state;
    struct spool_writer w;
    uint8_t data[3000];

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 31);
    assert_int_equal(spool_writer_open(&w, &e->st, "p0001.jpg"), 0);
    assert_int_equal(spool_writer_write(&w, data, sizeof(data)), 0);
    assert_int_equal(spool_writer_commit(&w), 0);

    sim_storage_cut_after(&e->s, 1000);
    assert_int_equal(spool_writer_open(&w, &e->st, "p0002.jpg"), 0);
    assert_int_equal(spool_writer_write(&w, data, sizeof(data)), SPOOL_ERR_IO);
    spool_writer_abort(&w);

    sim_storage_free(&e->s);
    assert_int_equal(sim_storage_init(&e->s, e->dir), 0);
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", NULL), 0);
    assert_int_equal(spool_page_verify(&e->st, "p0002.jpg", NULL), SPOOL_ERR_NO_PAGE);
    assert_false(file_exists(e, "p0002.jpg.tmp", NULL));

    assert_int_equal(spool_writer_open(&w, &e->st, "p0002.jpg"), 0);
    assert_int_equal(spool_writer_write(&w, data, sizeof(data)), 0);
    assert_int_equal(spool_writer_commit(&w), 0);
    assert_int_equal(spool_page_verify(&e->st, "p0002.jpg", NULL), 0);
}

static void test_init_refuses_a_missing_parent_or_an_overlong_path(void **state)
{
    struct sim_storage s;
    char path[SIM_STORAGE_DIR_MAX + 8];

    (void)state;
    assert_int_equal(sim_storage_init(&s, "/nonexistent-parent/x/y"), HAL_STORAGE_ERR_IO);
    sim_storage_free(&s);
    memset(path, 'a', sizeof(path));
    path[sizeof(path) - 1] = '\0';
    assert_int_equal(sim_storage_init(&s, path), HAL_STORAGE_ERR_BAD_ARG);
    assert_int_equal(sim_storage_init(&s, NULL), HAL_STORAGE_ERR_BAD_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_committed_blob_reads_back_by_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uncommitted_write_is_invisible_and_closing_discards_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_replaces_the_old_blob_only_when_it_returns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_power_cut_leaves_an_invisible_tmp_that_the_next_init_deletes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nth_write_cut_short_stores_only_its_first_half, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_are_validated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handle_table_is_bounded_and_handles_are_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_writers_of_one_name_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_deletes_and_reports_a_missing_blob, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spooled_page_survives_reboot_and_a_cut_page_never_appears, setup, teardown),
        cmocka_unit_test(test_init_refuses_a_missing_parent_or_an_overlong_path),
    };
    return cmocka_run_group_tests_name("sim_storage", tests, NULL, NULL);
}
