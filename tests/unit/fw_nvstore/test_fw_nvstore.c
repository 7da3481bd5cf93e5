/* fw_nvstore: two-slot record store over the RAM storage fake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "fake_storage.h"
#include "fw_nvstore.h"

struct env {
    struct fake_storage fs;
    struct hal_storage st;
    struct fw_nvstore s;
    uint8_t buf[4096];
};

static int setup(void **state)
{
    static struct env e;

    memset(&e, 0, sizeof(e));
    fake_storage_init(&e.fs);
    fake_storage_hal(&e.fs, &e.st);
    assert_int_equal(fw_nvstore_init(&e.s, &e.st, "rec", 1000), 0);
    *state = &e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;

    assert_int_equal(fake_storage_open_handles(&e->fs), 0);
    fw_nvstore_free(&e->s);
    fake_storage_free(&e->fs);
    return 0;
}

/* A fresh context on the same storage: what the firmware sees after a reboot. */
static int reload(struct env *e, size_t *len)
{
    fw_nvstore_free(&e->s);
    assert_int_equal(fw_nvstore_init(&e->s, &e->st, "rec", 1000), 0);
    return fw_nvstore_load(&e->s, e->buf, sizeof(e->buf), len);
}

static void expect_text(struct env *e, const char *text)
{
    size_t len = 0;

    assert_int_equal(reload(e, &len), 0);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(e->buf, text, len);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Rewrites a slot header field and its header CRC, as a well-formed header. */
static void patch_header(struct env *e, const char *slot, size_t off, uint32_t v, int width)
{
    size_t len;
    uint8_t *p = fake_storage_blob(&e->fs, slot, &len);

    assert_non_null(p);
    if (width == 2) {
        p[off] = (uint8_t)v;
        p[off + 1] = (uint8_t)(v >> 8);
    } else {
        put_u32(p + off, v);
    }
    put_u32(p + 20, (uint32_t)crc32(0L, p, 20));
}

static void test_load_of_nothing_saved_says_empty(void **state)
{
    struct env *e = *state;
    size_t len = 99;

    assert_int_equal(fw_nvstore_load(&e->s, e->buf, sizeof(e->buf), &len), FW_NVSTORE_ERR_EMPTY);
    assert_int_equal(len, 0);
}

static void test_saved_record_loads_back_after_a_reboot(void **state)
{
    struct env *e = *state;

    assert_int_equal(fw_nvstore_save(&e->s, "hello", 5), 0);
    expect_text(e, "hello");
    assert_non_null(fake_storage_blob(&e->fs, "rec.a", NULL));
    assert_null(fake_storage_blob(&e->fs, "rec.b", NULL));
}

static void test_saves_alternate_slots_and_the_newest_wins(void **state)
{
    struct env *e = *state;
    size_t len;

    assert_int_equal(fw_nvstore_save(&e->s, "one", 3), 0);
    assert_int_equal(fw_nvstore_save(&e->s, "two", 3), 0);
    assert_int_equal(fw_nvstore_save(&e->s, "three", 5), 0);
    assert_int_equal(get_u32(fake_storage_blob(&e->fs, "rec.a", &len) + 8), 3);
    assert_int_equal(get_u32(fake_storage_blob(&e->fs, "rec.b", &len) + 8), 2);
    expect_text(e, "three");
    assert_int_equal(fw_nvstore_save(&e->s, "four", 4), 0);
    expect_text(e, "four");
}

static void test_empty_payload_is_a_valid_record(void **state)
{
    struct env *e = *state;
    size_t len = 1;

    assert_int_equal(fw_nvstore_save(&e->s, NULL, 0), 0);
    assert_int_equal(reload(e, &len), 0);
    assert_int_equal(len, 0);
}

static void test_corrupt_newest_slot_falls_back_to_the_older(void **state)
{
    struct env *e = *state;
    uint8_t *p;

    assert_int_equal(fw_nvstore_save(&e->s, "old", 3), 0);
    assert_int_equal(fw_nvstore_save(&e->s, "new", 3), 0);
    p = fake_storage_blob(&e->fs, "rec.b", NULL);
    p[FW_NVSTORE_HDR_SIZE] ^= 0x01; /* one payload bit */
    expect_text(e, "old");
    /* The header itself damaged: the same. */
    assert_int_equal(fw_nvstore_save(&e->s, "new", 3), 0);
    expect_text(e, "new");
    p = fake_storage_blob(&e->fs, "rec.b", NULL);
    p[9] ^= 0x80;
    expect_text(e, "old");
}

static void test_torn_slot_falls_back_and_is_overwritten_first(void **state)
{
    struct env *e = *state;
    uint8_t copy[64];
    size_t len;
    uint8_t *p;

    assert_int_equal(fw_nvstore_save(&e->s, "old", 3), 0);
    assert_int_equal(fw_nvstore_save(&e->s, "newer", 5), 0);
    /* A backend that tore the blob: only its first part survived. */
    p = fake_storage_blob(&e->fs, "rec.b", &len);
    memcpy(copy, p, len);
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_equal(fake_storage_put(&e->fs, "rec.b", copy, cut), 0);
        expect_text(e, "old");
    }
    /* The next save replaces the torn slot, not the one good copy. */
    assert_int_equal(fw_nvstore_save(&e->s, "next", 4), 0);
    assert_int_equal(get_u32(fake_storage_blob(&e->fs, "rec.a", NULL) + 8), 1);
    expect_text(e, "next");
}

static void test_save_never_overwrites_the_only_valid_copy(void **state)
{
    struct env *e = *state;
    uint8_t *p;

    assert_int_equal(fw_nvstore_save(&e->s, "v1", 2), 0); /* a, seq 1 */
    assert_int_equal(fw_nvstore_save(&e->s, "v2", 2), 0); /* b, seq 2 */
    assert_int_equal(fw_nvstore_save(&e->s, "v3", 2), 0); /* a, seq 3 */
    p = fake_storage_blob(&e->fs, "rec.a", NULL);
    p[FW_NVSTORE_HDR_SIZE] ^= 0xff; /* the newest rots: b (v2) is all that is left */
    expect_text(e, "v2");
    /* A cut during the next save must keep v2: it writes a, never b. */
    fake_storage_fail_after(&e->fs, 10);
    assert_int_equal(fw_nvstore_save(&e->s, "v4", 2), FW_NVSTORE_ERR_IO);
    fake_storage_fail_after(&e->fs, -1);
    expect_text(e, "v2");
    assert_int_equal(fw_nvstore_save(&e->s, "v4", 2), 0);
    expect_text(e, "v4");
    assert_int_equal(get_u32(fake_storage_blob(&e->fs, "rec.a", NULL) + 8), 3);
}

static void test_save_without_load_scans_the_slots_first(void **state)
{
    struct env *e = *state;

    assert_int_equal(fw_nvstore_save(&e->s, "v1", 2), 0);
    assert_int_equal(fw_nvstore_save(&e->s, "v2", 2), 0);
    fw_nvstore_free(&e->s);
    assert_int_equal(fw_nvstore_init(&e->s, &e->st, "rec", 1000), 0);
    assert_int_equal(fw_nvstore_save(&e->s, "v3", 2), 0); /* overwrites a (v1) */
    assert_int_equal(get_u32(fake_storage_blob(&e->fs, "rec.a", NULL) + 8), 3);
    expect_text(e, "v3");
}

static void test_power_cut_at_every_byte_and_at_commit_keeps_old_or_new(void **state)
{
    struct env *e = *state;
    char old_text[300], new_text[300];
    size_t total, len;

    memset(old_text, 'o', sizeof(old_text) - 1);
    old_text[sizeof(old_text) - 1] = '\0';
    memset(new_text, 'n', sizeof(new_text) - 1);
    new_text[sizeof(new_text) - 1] = '\0';
    total = FW_NVSTORE_HDR_SIZE + strlen(new_text); /* spans two chunks */
    for (size_t cut = 0; cut <= total; cut++) {
        fake_storage_free(&e->fs);
        fake_storage_init(&e->fs);
        assert_int_equal(reload(e, &len), FW_NVSTORE_ERR_EMPTY);
        assert_int_equal(fw_nvstore_save(&e->s, old_text, strlen(old_text)), 0);
        assert_int_equal(fw_nvstore_save(&e->s, old_text, strlen(old_text)), 0);
        fake_storage_fail_after(&e->fs, (long)cut);
        if (cut < total) {
            assert_int_equal(fw_nvstore_save(&e->s, new_text, strlen(new_text)), FW_NVSTORE_ERR_IO);
        } else {
            fake_storage_fail_commit(&e->fs, 1);
            assert_int_equal(fw_nvstore_save(&e->s, new_text, strlen(new_text)), FW_NVSTORE_ERR_IO);
        }
        fake_storage_fail_after(&e->fs, -1);
        fake_storage_fail_commit(&e->fs, 0);
        expect_text(e, old_text);
        assert_int_equal(fake_storage_open_handles(&e->fs), 0);
    }
}

static void test_other_version_is_skipped_and_reported_when_alone(void **state)
{
    struct env *e = *state;
    size_t len;

    assert_int_equal(fw_nvstore_save(&e->s, "old", 3), 0);
    assert_int_equal(fw_nvstore_save(&e->s, "new", 3), 0);
    patch_header(e, "rec.b", 4, FW_NVSTORE_VERSION + 1, 2);
    expect_text(e, "old");
    assert_int_equal(hal_storage_remove(&e->st, "rec.a"), 0);
    assert_int_equal(reload(e, &len), FW_NVSTORE_ERR_VERSION);
}

static void test_both_slots_damaged_says_corrupt(void **state)
{
    struct env *e = *state;
    size_t len;

    assert_int_equal(fw_nvstore_save(&e->s, "old", 3), 0);
    assert_int_equal(fw_nvstore_save(&e->s, "new", 3), 0);
    fake_storage_blob(&e->fs, "rec.a", NULL)[0] = 'X';
    fake_storage_blob(&e->fs, "rec.b", NULL)[FW_NVSTORE_HDR_SIZE + 1] ^= 4;
    assert_int_equal(reload(e, &len), FW_NVSTORE_ERR_CORRUPT);
    assert_int_equal(len, 0);
    /* And the store is usable again at once. */
    assert_int_equal(fw_nvstore_save(&e->s, "fresh", 5), 0);
    expect_text(e, "fresh");
}

static void test_sequence_wrap_keeps_the_order(void **state)
{
    struct env *e = *state;

    assert_int_equal(fw_nvstore_save(&e->s, "old", 3), 0);
    assert_int_equal(fw_nvstore_save(&e->s, "new", 3), 0);
    patch_header(e, "rec.a", 8, 0xffffffffu, 4);
    patch_header(e, "rec.b", 8, 0, 4);
    expect_text(e, "new");
    assert_int_equal(fw_nvstore_save(&e->s, "newest", 6), 0);
    assert_int_equal(get_u32(fake_storage_blob(&e->fs, "rec.a", NULL) + 8), 1);
    expect_text(e, "newest");
}

static void test_record_larger_than_the_buffer_or_the_limit_is_refused(void **state)
{
    struct env *e = *state;
    uint8_t big[1001] = {0};
    size_t len;

    assert_int_equal(fw_nvstore_save(&e->s, big, sizeof(big)), FW_NVSTORE_ERR_BAD_ARG);
    assert_int_equal(fake_storage_count(&e->fs), 0);
    assert_int_equal(fw_nvstore_save(&e->s, big, 1000), 0);
    assert_int_equal(fw_nvstore_load(&e->s, e->buf, 999, &len), FW_NVSTORE_ERR_TOO_BIG);
    assert_int_equal(fw_nvstore_load(&e->s, e->buf, 1000, &len), 0);
    assert_int_equal(len, 1000);
}

struct flaky {
    int calls;
};

/* Emits different bytes on its second pass: the store must not commit. */
static int produce_flaky(void *arg, fw_nvstore_emit_fn emit, void *sink)
{
    struct flaky *f = arg;

    return f->calls++ == 0 ? emit(sink, "first", 5) : emit(sink, "other", 5);
}

static int produce_fails(void *arg, fw_nvstore_emit_fn emit, void *sink)
{
    (void)arg;
    (void)emit;
    (void)sink;
    return -1;
}

static void test_producer_that_changes_or_fails_leaves_the_old_record(void **state)
{
    struct env *e = *state;
    struct flaky f = {0};

    assert_int_equal(fw_nvstore_save(&e->s, "keep", 4), 0);
    assert_int_equal(fw_nvstore_save_stream(&e->s, produce_flaky, &f), FW_NVSTORE_ERR_PRODUCE);
    assert_int_equal(f.calls, 2);
    expect_text(e, "keep");
    assert_int_equal(fw_nvstore_save_stream(&e->s, produce_fails, NULL), FW_NVSTORE_ERR_PRODUCE);
    expect_text(e, "keep");
}

static void test_header_parser_rejects_short_bad_magic_and_bad_crc(void **state)
{
    struct env *e = *state;
    struct fw_nvstore_header h;
    uint8_t hdr[FW_NVSTORE_HDR_SIZE];

    assert_int_equal(fw_nvstore_save(&e->s, "abc", 3), 0);
    memcpy(hdr, fake_storage_blob(&e->fs, "rec.a", NULL), sizeof(hdr));
    assert_int_equal(fw_nvstore_header_parse(hdr, sizeof(hdr), &h), 0);
    assert_int_equal(h.len, 3);
    assert_int_equal(h.seq, 1);
    assert_int_equal(fw_nvstore_header_parse(hdr, sizeof(hdr) - 1, &h), FW_NVSTORE_ERR_CORRUPT);
    hdr[12] = 4; /* length changed without its CRC */
    assert_int_equal(fw_nvstore_header_parse(hdr, sizeof(hdr), &h), FW_NVSTORE_ERR_CORRUPT);
    hdr[12] = 3;
    hdr[0] = 'X';
    assert_int_equal(fw_nvstore_header_parse(hdr, sizeof(hdr), &h), FW_NVSTORE_ERR_CORRUPT);
}

static void test_names_that_leave_no_room_for_the_slot_suffix_are_refused(void **state)
{
    struct env *e = *state;
    struct fw_nvstore s;
    char name[HAL_STORAGE_NAME_MAX + 1];

    memset(name, 'n', sizeof(name) - 1);
    name[FW_NVSTORE_NAME_MAX + 1] = '\0';
    assert_int_equal(fw_nvstore_init(&s, &e->st, name, 10), FW_NVSTORE_ERR_BAD_ARG);
    name[FW_NVSTORE_NAME_MAX] = '\0';
    assert_int_equal(fw_nvstore_init(&s, &e->st, name, 10), 0);
    assert_int_equal(fw_nvstore_init(&s, &e->st, "", 10), FW_NVSTORE_ERR_BAD_ARG);
    assert_int_equal(fw_nvstore_init(&s, &e->st, "x", FW_NVSTORE_LEN_MAX + 1), FW_NVSTORE_ERR_BAD_ARG);
    fw_nvstore_free(&s);
}

static void test_erase_removes_both_slots(void **state)
{
    struct env *e = *state;
    size_t len;

    assert_int_equal(fw_nvstore_save(&e->s, "a", 1), 0);
    assert_int_equal(fw_nvstore_save(&e->s, "b", 1), 0);
    assert_int_equal(fw_nvstore_erase(&e->s), 0);
    assert_int_equal(fake_storage_count(&e->fs), 0);
    assert_int_equal(reload(e, &len), FW_NVSTORE_ERR_EMPTY);
    assert_string_equal(fw_nvstore_strerror(FW_NVSTORE_ERR_EMPTY), "nothing saved yet");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_of_nothing_saved_says_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_saved_record_loads_back_after_a_reboot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_saves_alternate_slots_and_the_newest_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_payload_is_a_valid_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_newest_slot_falls_back_to_the_older, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_slot_falls_back_and_is_overwritten_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_never_overwrites_the_only_valid_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_without_load_scans_the_slots_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_power_cut_at_every_byte_and_at_commit_keeps_old_or_new, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_version_is_skipped_and_reported_when_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_both_slots_damaged_says_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequence_wrap_keeps_the_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_larger_than_the_buffer_or_the_limit_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_producer_that_changes_or_fails_leaves_the_old_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_parser_rejects_short_bad_magic_and_bad_crc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_that_leave_no_room_for_the_slot_suffix_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_removes_both_slots, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
