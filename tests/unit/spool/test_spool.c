/* spool: all-or-nothing pages over the RAM storage fake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_storage.h"
#include "spool.h"

struct env {
    struct fake_storage fs;
    struct hal_storage st;
    uint8_t data[10000];
};

static int setup(void **state)
{
    static struct env e;

    fake_storage_init(&e.fs);
    fake_storage_hal(&e.fs, &e.st);
    for (size_t i = 0; i < sizeof(e.data); i++)
        e.data[i] = (uint8_t)(i * 7 + (i >> 8));
    *state = &e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;

    assert_int_equal(fake_storage_open_handles(&e->fs), 0);
    fake_storage_free(&e->fs);
    return 0;
}

/* Writes len bytes of e->data as page `name` in chunks of 1000. */
static int write_page(struct env *e, const char *name, size_t len)
{
    struct spool_writer w;
    int rc = spool_writer_open(&w, &e->st, name);

    for (size_t off = 0; rc == 0 && off < len; off += 1000)
        rc = spool_writer_write(&w, e->data + off, len - off < 1000 ? len - off : 1000);
    if (rc == 0)
        return spool_writer_commit(&w);
    spool_writer_abort(&w);
    return rc;
}

static void test_page_name_is_prefix_p_four_digits_and_extension(void **state)
{
    char name[HAL_STORAGE_NAME_MAX + 1];

    (void)state;
    assert_int_equal(spool_page_name(name, sizeof(name), NULL, 1, "jpg"), 0);
    assert_string_equal(name, "p0001.jpg");
    assert_int_equal(spool_page_name(name, sizeof(name), "j0042-", 123, "jpg"), 0);
    assert_string_equal(name, "j0042-p0123.jpg");
    assert_int_equal(spool_page_name(name, 8, NULL, 1, "jpg"), SPOOL_ERR_NAME);
    assert_int_equal(spool_page_name(name, sizeof(name), NULL, 10000, "jpg"), SPOOL_ERR_BAD_ARG);
}

static void test_committed_page_verifies_and_reads_back_by_offset(void **state)
{
    struct env *e = *state;
    struct spool_page pg;
    uint8_t buf[3000];
    uint32_t size = 0;

    assert_int_equal(write_page(e, "p0001.jpg", 9999), 0);
    assert_non_null(fake_storage_blob(&e->fs, "p0001.hdr", NULL));
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", &size), 0);
    assert_int_equal(size, 9999);

    assert_int_equal(spool_page_open(&pg, &e->st, "p0001.jpg"), 0);
    assert_int_equal(spool_page_size(&pg), 9999);
    assert_int_equal(spool_page_read(&pg, 5000, buf, sizeof(buf)), 3000);
    assert_memory_equal(buf, e->data + 5000, 3000);
    assert_int_equal(spool_page_read(&pg, 9000, buf, sizeof(buf)), 999);
    assert_memory_equal(buf, e->data + 9000, 999);
    assert_int_equal(spool_page_read(&pg, 9999, buf, sizeof(buf)), 0);
    assert_int_equal(spool_page_read(&pg, 20000, buf, sizeof(buf)), 0);
    spool_page_close(&pg);
    spool_page_close(&pg);
    assert_int_equal(spool_page_read(&pg, 0, buf, sizeof(buf)), SPOOL_ERR_BAD_ARG);
}

static void test_write_fault_mid_page_leaves_no_visible_page_and_the_next_page_works(void **state)
{
    struct env *e = *state;

    fake_storage_fail_after(&e->fs, 4500);
    assert_int_equal(write_page(e, "p0001.jpg", 9999), SPOOL_ERR_IO);
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", NULL), SPOOL_ERR_NO_PAGE);
    assert_int_equal(fake_storage_count(&e->fs), 0);

    fake_storage_fail_after(&e->fs, -1);
    assert_int_equal(write_page(e, "p0002.jpg", 5000), 0);
    assert_int_equal(spool_page_verify(&e->st, "p0002.jpg", NULL), 0);
    assert_int_equal(write_page(e, "p0001.jpg", 9999), 0);
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", NULL), 0);
}

static void test_failed_data_commit_leaves_no_visible_page(void **state)
{
    struct env *e = *state;

    fake_storage_fail_commit(&e->fs, 1);
    assert_int_equal(write_page(e, "p0001.jpg", 2000), SPOOL_ERR_IO);
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", NULL), SPOOL_ERR_NO_PAGE);
    assert_int_equal(fake_storage_count(&e->fs), 0);
}

static void test_failed_header_commit_leaves_no_visible_page_nor_orphan_data(void **state)
{
    struct env *e = *state;

    fake_storage_fail_commit(&e->fs, 2);
    assert_int_equal(write_page(e, "p0001.jpg", 2000), SPOOL_ERR_IO);
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", NULL), SPOOL_ERR_NO_PAGE);
    assert_null(fake_storage_blob(&e->fs, "p0001.jpg", NULL));
}

static void test_data_without_header_is_no_page(void **state)
{
    struct env *e = *state;

    assert_int_equal(fake_storage_put(&e->fs, "p0003.jpg", e->data, 100), 0);
    assert_int_equal(spool_page_verify(&e->st, "p0003.jpg", NULL), SPOOL_ERR_NO_PAGE);
}

static void test_corrupted_data_byte_is_caught_by_the_crc(void **state)
{
    struct env *e = *state;
    struct spool_page pg;
    uint8_t *blob;
    size_t len = 0;

    assert_int_equal(write_page(e, "p0001.jpg", 9999), 0);
    blob = fake_storage_blob(&e->fs, "p0001.jpg", &len);
    assert_non_null(blob);
    blob[len / 2] ^= 0x10;
    assert_int_equal(spool_page_open(&pg, &e->st, "p0001.jpg"), SPOOL_ERR_CRC);
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", NULL), SPOOL_ERR_CRC);
}

static void test_header_of_another_version_is_refused(void **state)
{
    struct env *e = *state;
    uint8_t *hdr;
    size_t len = 0;

    assert_int_equal(write_page(e, "p0001.jpg", 100), 0);
    hdr = fake_storage_blob(&e->fs, "p0001.hdr", &len);
    assert_non_null(hdr);
    assert_int_equal(len, SPOOL_HDR_SIZE);
    assert_int_equal(hdr[4], SPOOL_VERSION);
    hdr[4] = SPOOL_VERSION + 1;
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", NULL), SPOOL_ERR_VERSION);
}

static void test_garbled_or_truncated_header_is_refused(void **state)
{
    struct env *e = *state;
    uint8_t copy[SPOOL_HDR_SIZE];
    uint8_t *hdr;

    assert_int_equal(write_page(e, "p0001.jpg", 100), 0);
    hdr = fake_storage_blob(&e->fs, "p0001.hdr", NULL);
    memcpy(copy, hdr, sizeof(copy));
    hdr[9] ^= 0x01; /* length field: the header's own CRC catches it */
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", NULL), SPOOL_ERR_BAD_HEADER);
    hdr[9] ^= 0x01;
    hdr[0] = 'X';
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", NULL), SPOOL_ERR_BAD_HEADER);
    assert_int_equal(fake_storage_put(&e->fs, "p0001.hdr", copy, 12), 0);
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", NULL), SPOOL_ERR_BAD_HEADER);
    assert_int_equal(fake_storage_put(&e->fs, "p0001.hdr", copy, sizeof(copy)), 0);
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", NULL), 0);
}

static void test_data_of_the_wrong_length_is_refused(void **state)
{
    struct env *e = *state;

    assert_int_equal(write_page(e, "p0001.jpg", 3000), 0);
    assert_int_equal(fake_storage_put(&e->fs, "p0001.jpg", e->data, 2999), 0);
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", NULL), SPOOL_ERR_LENGTH);
    assert_int_equal(hal_storage_remove(&e->st, "p0001.jpg"), 0);
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", NULL), SPOOL_ERR_LENGTH);
}

static void test_rewriting_a_page_hides_the_old_one_until_the_new_one_is_whole(void **state)
{
    struct env *e = *state;
    struct spool_writer w;
    uint32_t size = 0;

    assert_int_equal(write_page(e, "p0001.jpg", 3000), 0);
    assert_int_equal(spool_writer_open(&w, &e->st, "p0001.jpg"), 0);
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", NULL), SPOOL_ERR_NO_PAGE);
    assert_int_equal(spool_writer_write(&w, e->data, 1234), 0);
    assert_int_equal(spool_writer_length(&w), 1234);
    assert_int_equal(spool_writer_commit(&w), 0);
    assert_int_equal(spool_page_verify(&e->st, "p0001.jpg", &size), 0);
    assert_int_equal(size, 1234);
}

static void test_full_storage_is_reported_as_full(void **state)
{
    struct env *e = *state;

    for (unsigned i = 0; i < FAKE_STORAGE_BLOBS; i++) {
        char name[16];
        snprintf(name, sizeof(name), "b%u", i);
        assert_int_equal(fake_storage_put(&e->fs, name, "x", 1), 0);
    }
    assert_int_equal(write_page(e, "p0001.jpg", 10), SPOOL_ERR_FULL);
}

static void test_names_without_extension_or_named_like_headers_are_refused(void **state)
{
    struct env *e = *state;
    struct spool_writer w;
    struct spool_page pg;

    assert_int_equal(spool_writer_open(&w, &e->st, "p0001"), SPOOL_ERR_NAME);
    assert_int_equal(spool_writer_open(&w, &e->st, "p0001.hdr"), SPOOL_ERR_NAME);
    assert_int_equal(spool_writer_open(&w, &e->st, "a/b.jpg"), SPOOL_ERR_NAME);
    assert_int_equal(spool_page_open(&pg, &e->st, "p0001"), SPOOL_ERR_NAME);
    assert_int_equal(spool_writer_write(&w, "x", 1), SPOOL_ERR_BAD_ARG);
}

static void test_remove_deletes_the_page_and_reports_a_missing_one(void **state)
{
    struct env *e = *state;

    assert_int_equal(write_page(e, "p0001.jpg", 300), 0);
    assert_int_equal(spool_page_remove(&e->st, "p0001.jpg"), 0);
    assert_int_equal(fake_storage_count(&e->fs), 0);
    assert_int_equal(spool_page_remove(&e->st, "p0001.jpg"), SPOOL_ERR_NO_PAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_page_name_is_prefix_p_four_digits_and_extension, setup, teardown),
        cmocka_unit_test_setup_teardown(test_committed_page_verifies_and_reads_back_by_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_fault_mid_page_leaves_no_visible_page_and_the_next_page_works, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_data_commit_leaves_no_visible_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_header_commit_leaves_no_visible_page_nor_orphan_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_without_header_is_no_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupted_data_byte_is_caught_by_the_crc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_of_another_version_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbled_or_truncated_header_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_of_the_wrong_length_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewriting_a_page_hides_the_old_one_until_the_new_one_is_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_storage_is_reported_as_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_without_extension_or_named_like_headers_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_deletes_the_page_and_reports_a_missing_one, setup, teardown),
    };
    return cmocka_run_group_tests_name("spool", tests, NULL, NULL);
}
