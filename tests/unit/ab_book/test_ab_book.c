/* ab_book, ab_merge: the local address book on the record store, its
 * autocomplete and the merged suggestion list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <unistd.h>

#include "ab_book.h"
#include "ab_merge.h"
#include "fake_storage.h"
#include "fw_nvstore.h"
#include "sim_storage.h"

struct env {
    struct fake_storage fs;
    struct hal_storage st;
    struct fw_nvstore store;
    struct ab_book_io io;
    ab_book_t book;  /* the device's book */
    ab_book_t other; /* the same storage read after a "reboot" */
    ab_book_t old;   /* expected states, RAM only */
    ab_book_t new_;
};

static struct env g_env;

static int setup(void **state)
{
    struct env *e = &g_env;

    fake_storage_init(&e->fs);
    fake_storage_hal(&e->fs, &e->st);
    assert_int_equal(fw_nvstore_init(&e->store, &e->st, "abook", AB_POOL_BYTES), 0);
    e->io.load = fw_nvstore_load_cb;
    e->io.save = fw_nvstore_save_cb;
    e->io.ctx = &e->store;
    ab_book_init(&e->book, &e->io);
    assert_int_equal(ab_book_load(&e->book), AB_ERR_STORE);
    assert_int_equal(e->book.io_error, FW_NVSTORE_ERR_EMPTY);
    ab_book_init(&e->old, NULL);
    ab_book_init(&e->new_, NULL);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;

    assert_int_equal(fake_storage_open_handles(&e->fs), 0);
    ab_book_free(&e->book);
    fw_nvstore_free(&e->store);
    fake_storage_free(&e->fs);
    return 0;
}

/* Loads the storage's book into e->other through a fresh store context. */
static int reboot(struct env *e, const struct hal_storage *st)
{
    static struct fw_nvstore store;
    struct ab_book_io io = {fw_nvstore_load_cb, fw_nvstore_save_cb, &store};
    int rc;

    assert_int_equal(fw_nvstore_init(&store, st, "abook", AB_POOL_BYTES), 0);
    ab_book_init(&e->other, &io);
    rc = ab_book_load(&e->other);
    fw_nvstore_free(&store);
    return rc;
}

/* Same entries in the same list order. */
static int same_book(const ab_book_t *a, const ab_book_t *b)
{
    if (ab_book_count(a) != ab_book_count(b))
        return 0;
    for (size_t k = 0; k < ab_book_count(a); k++) {
        int ia = ab_book_sorted(a, k), ib = ab_book_sorted(b, k);

        if (strcmp(ab_book_alias(a, ia), ab_book_alias(b, ib)) != 0 ||
            strcmp(ab_book_address(a, ia), ab_book_address(b, ib)) != 0)
            return 0;
    }
    return 1;
}

static void list_is(const ab_book_t *b, const char *const *aliases, size_t n)
{
    assert_int_equal(ab_book_count(b), n);
    for (size_t k = 0; k < n; k++)
        assert_string_equal(ab_book_alias(b, ab_book_sorted(b, k)), aliases[k]);
}

static void add_people(ab_book_t *b)
{
    assert_int_equal(ab_book_add(b, "Zoë Martin", "zoe@example.test"), 0);
    assert_int_equal(ab_book_add(b, "anna Schmidt", "anna@example.test"), 0);
    assert_int_equal(ab_book_add(b, "Юлия Иванова", "julia@example.ru"), 0);
    assert_int_equal(ab_book_add(b, "Émile Zola", "emile@example.fr"), 0);
    assert_int_equal(ab_book_add(b, "Борис", "boris@example.ru"), 0);
    assert_int_equal(ab_book_add(b, "Bob", "bob@example.test"), 0);
    assert_int_equal(ab_book_add(b, NULL, "postmaster@example.test"), 0);
    assert_int_equal(ab_book_add(b, "émilie", "emilie@example.fr"), 0);
}

static const char *const people_sorted[] = {
    "anna Schmidt", "Bob", "postmaster@example.test", "Zoë Martin",
    "Émile Zola", "émilie", "Борис", "Юлия Иванова",
};

static void test_entries_list_by_folded_alias_across_scripts(void **state)
{
    struct env *e = *state;

    add_people(&e->book);
    list_is(&e->book, people_sorted, 8);
}

static void test_book_survives_a_reboot_unchanged(void **state)
{
    struct env *e = *state;

    add_people(&e->book);
    assert_int_equal(reboot(e, &e->st), 0);
    assert_true(same_book(&e->book, &e->other));
    list_is(&e->other, people_sorted, 8);
    assert_int_equal(ab_book_find(&e->other, "julia@example.ru") >= 0, 1);
}

static void test_empty_alias_shows_the_address(void **state)
{
    struct env *e = *state;
    int id;

    assert_int_equal(ab_book_add(&e->book, "", "a@example.test"), 0);
    id = ab_book_find(&e->book, "a@example.test");
    assert_true(id >= 0);
    assert_string_equal(ab_book_alias(&e->book, id), "a@example.test");
}

static void test_duplicate_address_is_refused_domain_in_any_case(void **state)
{
    struct env *e = *state;

    assert_int_equal(ab_book_add(&e->book, "Bob", "Bob@Example.test"), 0);
    assert_int_equal(ab_book_add(&e->book, "Bobby", "Bob@example.TEST"), AB_ERR_DUPLICATE);
    assert_int_equal(ab_book_add(&e->book, "Bob", "Bob@Example.test"), AB_ERR_DUPLICATE);
    /* The local part is the mailbox's own business (RFC 5321 2.4). */
    assert_int_equal(ab_book_add(&e->book, "bob", "bob@example.test"), 0);
    assert_int_equal(ab_book_count(&e->book), 2);
    assert_true(ab_addr_equal("x@EXAMPLE.test", "x@example.TEST"));
    assert_false(ab_addr_equal("X@example.test", "x@example.test"));
}

static void test_invalid_alias_or_address_is_refused_with_its_reason(void **state)
{
    struct env *e = *state;
    char long_alias[AB_ALIAS_MAX + 2];

    memset(long_alias, 'x', sizeof(long_alias) - 1);
    long_alias[sizeof(long_alias) - 1] = '\0';
    assert_int_equal(ab_book_add(&e->book, long_alias, "a@example.test"), AB_ERR_ALIAS);
    long_alias[AB_ALIAS_MAX] = '\0';
    assert_int_equal(ab_book_add(&e->book, long_alias, "a@example.test"), 0);
    assert_int_equal(ab_book_add(&e->book, "Eve\r\nBcc: x@evil.test", "e@example.test"), AB_ERR_ALIAS);
    assert_int_equal(ab_book_add(&e->book, "tab\there", "e@example.test"), AB_ERR_ALIAS);
    assert_int_equal(ab_book_add(&e->book, "c1\xc2\x85", "e@example.test"), AB_ERR_ALIAS);
    assert_int_equal(ab_book_add(&e->book, "bad \xc3", "e@example.test"), AB_ERR_ALIAS);
    assert_int_equal(ab_book_add(&e->book, "overlong \xc0\xaf", "e@example.test"), AB_ERR_ALIAS);
    assert_int_equal(ab_book_add(&e->book, "surrogate \xed\xa0\x80", "e@example.test"), AB_ERR_ALIAS);
    assert_int_equal(ab_book_add(&e->book, "Eve", "not an address"), AB_ERR_ADDRESS);
    assert_int_equal(ab_book_add(&e->book, "Eve", "eve@"), AB_ERR_ADDRESS);
    assert_int_equal(ab_book_add(&e->book, "Eve", "eve@example.test\r\nRCPT TO:<x@y>"), AB_ERR_ADDRESS);
    assert_int_equal(ab_book_add(&e->book, "Eve", NULL), AB_ERR_ADDRESS);
    assert_int_equal(ab_book_count(&e->book), 1);
    assert_string_equal(ab_strerror(AB_ERR_DUPLICATE), "this address is already in the address book");
}

static void test_delete_several_is_all_or_nothing(void **state)
{
    struct env *e = *state;
    const char *some[] = {"bob@example.test", "JULIA@example.ru", "boris@EXAMPLE.ru"};
    const char *two[] = {"bob@example.test", "boris@example.ru"};
    static const char *const left[] = {"anna Schmidt", "postmaster@example.test", "Zoë Martin",
                                       "Émile Zola", "émilie", "Юлия Иванова"};

    add_people(&e->book);
    assert_int_equal(ab_book_delete(&e->book, some, 3), AB_ERR_NOT_FOUND); /* JULIA != julia */
    assert_int_equal(ab_book_count(&e->book), 8);
    assert_int_equal(ab_book_delete(&e->book, two, 2), 0);
    list_is(&e->book, left, 6);
    assert_int_equal(ab_book_find(&e->book, "bob@example.test"), AB_ERR_NOT_FOUND);
    assert_int_equal(reboot(e, &e->st), 0);
    assert_true(same_book(&e->book, &e->other));
    /* The book stays searchable and extendable after a delete. */
    assert_int_equal(ab_book_add(&e->book, "Bob", "bob@example.test"), 0);
    assert_int_equal(ab_book_count(&e->book), 7);
}

static void test_change_replaces_an_entry_in_one_save(void **state)
{
    struct env *e = *state;
    int id;

    add_people(&e->book);
    assert_int_equal(ab_book_change(&e->book, "bob@example.test", "Robert", "bob@example.test"), 0);
    id = ab_book_find(&e->book, "bob@example.test");
    assert_string_equal(ab_book_alias(&e->book, id), "Robert");
    assert_int_equal(ab_book_change(&e->book, "bob@example.test", "Robert", "robert@example.test"), 0);
    assert_int_equal(ab_book_find(&e->book, "bob@example.test"), AB_ERR_NOT_FOUND);
    assert_true(ab_book_find(&e->book, "robert@example.test") >= 0);
    assert_int_equal(ab_book_change(&e->book, "robert@example.test", "R", "anna@example.test"),
                     AB_ERR_DUPLICATE);
    assert_int_equal(ab_book_change(&e->book, "nobody@example.test", "R", "r@example.test"),
                     AB_ERR_NOT_FOUND);
    assert_int_equal(ab_book_count(&e->book), 8);
    assert_int_equal(reboot(e, &e->st), 0);
    assert_true(same_book(&e->book, &e->other));
}

static void test_2000_entries_fit_and_the_2001st_is_refused(void **state)
{
    struct env *e = *state;
    char alias[32], addr[64];

    for (int i = 0; i < AB_MAX_ENTRIES; i++) {
        snprintf(alias, sizeof(alias), "Person %04d", (i * 7919) % AB_MAX_ENTRIES);
        snprintf(addr, sizeof(addr), "person.%04d@example.test", (i * 7919) % AB_MAX_ENTRIES);
        assert_int_equal(ab_book_add(&e->old, alias, addr), 0); /* RAM only: fast */
    }
    /* The full book on the device, then the 2,001st. */
    memcpy(&e->book, &e->old, sizeof(e->book));
    e->book.io = e->io;
    assert_int_equal(ab_book_add(&e->book, "One too many", "extra@example.test"), AB_ERR_TOO_MANY);
    assert_int_equal(ab_book_delete(&e->book, (const char *[]){"person.0000@example.test"}, 1), 0);
    assert_int_equal(ab_book_add(&e->book, "Person 0000", "person.0000@example.test"), 0);
    assert_int_equal(ab_book_count(&e->book), AB_MAX_ENTRIES);
    assert_int_equal(reboot(e, &e->st), 0);
    assert_true(same_book(&e->old, &e->other));
    assert_string_equal(ab_book_alias(&e->other, ab_book_sorted(&e->other, 0)), "Person 0000");
    assert_string_equal(ab_book_alias(&e->other, ab_book_sorted(&e->other, 1999)), "Person 1999");
    print_message("book RAM: %zu bytes for %d entries (pool %u bytes); image of %u bytes\n",
                  ab_book_ram(), AB_MAX_ENTRIES, (unsigned)AB_POOL_BYTES, (unsigned)e->other.used);
}

static void test_full_pool_is_refused_with_its_own_error(void **state)
{
    struct env *e = *state;
    char alias[AB_ALIAS_MAX + 1], addr[AB_ADDR_MAX + 1];
    int rc = 0, n = 0;

    memset(alias, 'a', AB_ALIAS_MAX);
    alias[AB_ALIAS_MAX] = '\0';
    memset(addr, 'x', 60);
    strcpy(addr + 60, "@");
    memset(addr + 61, 'd', 60);
    strcpy(addr + 121, ".example.test");
    while (rc == 0) {
        addr[0] = (char)('a' + n % 26);
        addr[1] = (char)('a' + n / 26 % 26);
        addr[2] = (char)('a' + n / 676 % 26);
        rc = ab_book_add(&e->old, alias, addr);
        n += rc == 0;
    }
    assert_int_equal(rc, AB_ERR_FULL);
    assert_true(n < AB_MAX_ENTRIES);
    assert_int_equal(ab_book_count(&e->old), n);
}

static void test_autocomplete_matches_alias_or_address_prefix_any_case(void **state)
{
    struct env *e = *state;
    uint16_t ids[AB_SUGGEST_MAX];
    int n;

    add_people(&e->book);
    /* "bo": alias Bob, alias Борис? no: Latin b only; address boris@ and bob@. */
    n = ab_book_complete(&e->book, "BO", 2, ids, AB_SUGGEST_MAX);
    assert_int_equal(n, 2);
    assert_string_equal(ab_book_alias(&e->book, ids[0]), "Bob");
    assert_string_equal(ab_book_address(&e->book, ids[1]), "boris@example.ru");
    /* Cyrillic and accented text, folded. */
    n = ab_book_complete(&e->book, "ЮЛ", strlen("ЮЛ"), ids, AB_SUGGEST_MAX);
    assert_int_equal(n, 1);
    assert_string_equal(ab_book_address(&e->book, ids[0]), "julia@example.ru");
    n = ab_book_complete(&e->book, "ÉMIL", strlen("ÉMIL"), ids, AB_SUGGEST_MAX);
    assert_int_equal(n, 2);
    assert_string_equal(ab_book_alias(&e->book, ids[0]), "Émile Zola");
    assert_string_equal(ab_book_alias(&e->book, ids[1]), "émilie");
    /* Alias first, then the address matches not listed yet (no repeats). */
    n = ab_book_complete(&e->book, "e", 1, ids, AB_SUGGEST_MAX);
    assert_int_equal(n, 2);
    n = ab_book_complete(&e->book, "a", 1, ids, AB_SUGGEST_MAX);
    assert_int_equal(n, 1);
    assert_string_equal(ab_book_alias(&e->book, ids[0]), "anna Schmidt");
    /* An address typed to its end, and one character more. */
    n = ab_book_complete(&e->book, "postmaster@example.test", 23, ids, AB_SUGGEST_MAX);
    assert_int_equal(n, 1);
    assert_int_equal(ab_book_complete(&e->book, "postmaster@example.testx", 24, ids, 4), 0);
    /* No match, empty text, a bound, bad UTF-8. */
    assert_int_equal(ab_book_complete(&e->book, "q", 1, ids, 4), 0);
    assert_int_equal(ab_book_complete(&e->book, "", 0, ids, 4), 0);
    assert_int_equal(ab_book_complete(&e->book, "e", 1, ids, 1), 1);
    assert_int_equal(ab_book_complete(&e->book, "\xd0", 1, ids, 4), AB_ERR_UTF8);
}

static void test_autocomplete_list_is_bounded_and_in_list_order(void **state)
{
    struct env *e = *state;
    uint16_t ids[5];
    char alias[32], addr[64];

    for (int i = 0; i < 40; i++) {
        snprintf(alias, sizeof(alias), "Smith %02d", 39 - i);
        snprintf(addr, sizeof(addr), "s%02d@example.test", i);
        assert_int_equal(ab_book_add(&e->old, alias, addr), 0);
    }
    assert_int_equal(ab_book_complete(&e->old, "smith 1", 7, ids, 5), 5);
    for (int k = 0; k < 5; k++) {
        snprintf(alias, sizeof(alias), "Smith 1%d", k);
        assert_string_equal(ab_book_alias(&e->old, ids[k]), alias);
    }
}

static void test_merge_puts_local_first_and_drops_duplicate_addresses(void **state)
{
    struct env *e = *state;
    ab_suggestion_t local[AB_SUGGEST_MAX], dir[4], out[AB_SUGGEST_MAX];
    int nl;
    size_t n;

    add_people(&e->book);
    nl = ab_book_suggest(&e->book, "b", 1, local, AB_SUGGEST_MAX);
    assert_int_equal(nl, 2);
    assert_string_equal(local[0].name, "Bob");
    assert_int_equal(local[0].source, AB_SOURCE_LOCAL);
    assert_int_equal(ab_suggestion_set(&dir[0], "Bob (LDAP)", 10, "bob@EXAMPLE.TEST", 16,
                                       AB_SOURCE_DIRECTORY), 0);
    assert_int_equal(ab_suggestion_set(&dir[1], "Bea", 3, "bea@example.test", 16,
                                       AB_SOURCE_DIRECTORY), 0);
    assert_int_equal(ab_suggestion_set(&dir[2], "Bea again", 9, "bea@Example.Test", 16,
                                       AB_SOURCE_DIRECTORY), 0);
    assert_int_equal(ab_suggestion_set(&dir[3], "Bill", 4, "Bill@example.test", 17,
                                       AB_SOURCE_DIRECTORY), 0);
    n = ab_merge(local, (size_t)nl, dir, 4, out, AB_SUGGEST_MAX);
    assert_int_equal(n, 4);
    assert_string_equal(out[0].name, "Bob");
    assert_int_equal(out[0].source, AB_SOURCE_LOCAL);
    assert_string_equal(out[1].mail, "boris@example.ru");
    assert_string_equal(out[2].name, "Bea");
    assert_string_equal(out[3].name, "Bill");
    assert_int_equal(ab_merge(local, (size_t)nl, dir, 4, out, 3), 3);
    assert_int_equal(ab_merge(NULL, 0, dir, 4, out, AB_SUGGEST_MAX), 3);
}

static void test_suggestion_from_the_directory_is_checked_and_cut(void **state)
{
    ab_suggestion_t s;
    char name[AB_SUGGEST_NAME_MAX + 8];

    (void)state;
    assert_int_equal(ab_suggestion_set(&s, "X", 1, "not-an-address", 14, AB_SOURCE_DIRECTORY),
                     AB_ERR_ADDRESS);
    assert_int_equal(ab_suggestion_set(&s, "X", 1, "a@b.test\0c", 10, AB_SOURCE_DIRECTORY),
                     AB_ERR_ADDRESS);
    assert_int_equal(ab_suggestion_set(&s, "Evil\r\nX", 7, "a@b.test", 8, AB_SOURCE_DIRECTORY), 0);
    assert_string_equal(s.name, "");
    assert_string_equal(ab_suggestion_label(&s), "a@b.test");
    /* 2-byte letters across the limit: cut before the letter, not in it. */
    for (size_t i = 0; i + 1 < sizeof(name); i += 2) {
        name[i] = (char)0xd0;
        name[i + 1] = (char)0xaf;
    }
    assert_int_equal(ab_suggestion_set(&s, name + 1, sizeof(name) - 2, "a@b.test", 8,
                                       AB_SOURCE_DIRECTORY), 0);
    assert_string_equal(s.name, ""); /* starts inside a letter: not UTF-8 */
    assert_int_equal(ab_suggestion_set(&s, name, sizeof(name) - 1, "a@b.test", 8,
                                       AB_SOURCE_DIRECTORY), 0);
    assert_int_equal(strlen(s.name), AB_SUGGEST_NAME_MAX - AB_SUGGEST_NAME_MAX % 2);
}

/* Runs one update with a power cut at every byte the store writes (and at
 * its commit), rebooting after each: the book read back is the old one or
 * the new one, never anything else; RAM keeps the old one on failure. */
typedef int (*update_fn)(ab_book_t *b);

static void cut_everywhere(struct env *e, update_fn update)
{
    long total;
    int saw_old = 0;

    add_people(&e->old);
    memcpy(&e->new_, &e->old, sizeof(e->new_));
    assert_int_equal(update(&e->new_), 0);
    total = FW_NVSTORE_HDR_SIZE + (long)e->new_.used;
    for (long cut = 0; cut <= total; cut++) {
        int rc;

        /* Restore the starting storage and book for each cut. */
        fake_storage_free(&e->fs);
        fake_storage_init(&e->fs);
        fw_nvstore_free(&e->store);
        assert_int_equal(fw_nvstore_init(&e->store, &e->st, "abook", AB_POOL_BYTES), 0);
        ab_book_init(&e->book, &e->io);
        assert_int_equal(ab_book_load(&e->book), AB_ERR_STORE);
        add_people(&e->book);
        if (cut < total)
            fake_storage_fail_after(&e->fs, cut);
        else
            fake_storage_fail_commit(&e->fs, 1);
        rc = update(&e->book);
        assert_int_equal(rc, AB_ERR_STORE);
        assert_int_equal(e->book.io_error, FW_NVSTORE_ERR_IO);
        assert_true(same_book(&e->book, &e->old));
        fake_storage_fail_after(&e->fs, -1);
        fake_storage_fail_commit(&e->fs, 0);
        assert_int_equal(reboot(e, &e->st), 0);
        assert_true(same_book(&e->other, &e->old) || same_book(&e->other, &e->new_));
        saw_old += same_book(&e->other, &e->old);
        /* And the device goes on: the same update now succeeds. */
        assert_int_equal(update(&e->book), 0);
        assert_int_equal(reboot(e, &e->st), 0);
        assert_true(same_book(&e->other, &e->new_));
    }
    assert_int_equal(saw_old, total + 1);
}

static int update_add(ab_book_t *b) { return ab_book_add(b, "Новый", "new@example.test"); }

static int update_delete(ab_book_t *b)
{
    const char *sel[] = {"anna@example.test", "julia@example.ru", "emilie@example.fr"};

    return ab_book_delete(b, sel, 3);
}

static int update_change(ab_book_t *b)
{
    return ab_book_change(b, "boris@example.ru", "Boris B.", "b.boris@example.ru");
}

static void test_power_cut_at_every_write_of_an_add_keeps_old_or_new(void **state)
{
    cut_everywhere(*state, update_add);
}

static void test_power_cut_at_every_write_of_a_delete_keeps_old_or_new(void **state)
{
    cut_everywhere(*state, update_delete);
}

static void test_power_cut_at_every_write_of_a_change_keeps_old_or_new(void **state)
{
    cut_everywhere(*state, update_change);
}

static void empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[512];

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        unlink(path);
    }
    closedir(d);
}

/* The same on the simulator's flash (files): the power goes at the nth HAL
 * write of the update, then the device boots again on what is on disk;
 * n grows until the update gets through. */
static void test_power_cut_on_simulated_flash_keeps_old_or_new(void **state)
{
    struct env *e = *state;
    char dir[] = "/tmp/test_ab_book.XXXXXX";
    static struct sim_storage ss;
    static struct fw_nvstore store;
    struct hal_storage st;
    struct ab_book_io io = {fw_nvstore_load_cb, fw_nvstore_save_cb, &store};
    int done = 0, cuts = 0;

    assert_non_null(mkdtemp(dir));
    add_people(&e->old);
    memcpy(&e->new_, &e->old, sizeof(e->new_));
    assert_int_equal(update_change(&e->new_), 0);
    for (unsigned nth = 1; !done; nth++) {
        empty_dir(dir);
        assert_int_equal(sim_storage_init(&ss, dir), 0);
        sim_storage_hal(&ss, &st);
        assert_int_equal(fw_nvstore_init(&store, &st, "abook", AB_POOL_BYTES), 0);
        ab_book_init(&e->book, &io);
        add_people(&e->book);
        sim_storage_cut_write(&ss, nth);
        done = update_change(&e->book) == 0;
        cuts += !done;
        sim_storage_free(&ss); /* the power is gone either way */
        fw_nvstore_free(&store);
        assert_int_equal(sim_storage_init(&ss, dir), 0);
        sim_storage_hal(&ss, &st);
        assert_int_equal(reboot(e, &st), 0);
        assert_true(same_book(&e->other, done ? &e->new_ : &e->old));
        sim_storage_free(&ss);
    }
    assert_true(cuts >= 2); /* the update is at least two chunks */
    print_message("simulated flash: a cut at each of the %d writes of a change kept the old book\n",
                  cuts);
    empty_dir(dir);
    assert_int_equal(rmdir(dir), 0);
}

static void test_corrupt_newest_slot_loads_the_previous_book(void **state)
{
    struct env *e = *state;
    uint8_t *a, *b;
    size_t alen, blen;

    add_people(&e->book); /* 8 saves: the last is in slot b */
    b = fake_storage_blob(&e->fs, "abook.b", &blen);
    a = fake_storage_blob(&e->fs, "abook.a", &alen);
    assert_non_null(a);
    assert_non_null(b);
    b[blen - 3] ^= 0x20;
    assert_int_equal(reboot(e, &e->st), 0);
    assert_int_equal(ab_book_count(&e->other), 7);
    /* Both damaged: an empty, usable book and the store's reason. */
    a[FW_NVSTORE_HDR_SIZE] ^= 1;
    assert_int_equal(reboot(e, &e->st), AB_ERR_STORE);
    assert_int_equal(e->other.io_error, FW_NVSTORE_ERR_CORRUPT);
    assert_int_equal(ab_book_count(&e->other), 0);
}

static void test_image_of_another_version_is_refused(void **state)
{
    struct env *e = *state;
    uint8_t img[64];

    assert_int_equal(ab_book_add(&e->book, "Bob", "bob@example.test"), 0);
    memcpy(img, e->book.pool, e->book.used);
    img[2] = AB_FORMAT_VERSION + 1;
    assert_int_equal(ab_book_parse(&e->other, img, e->book.used), AB_ERR_VERSION);
    assert_int_equal(ab_book_count(&e->other), 0);
    /* The same through the store: a valid record holding a newer book. */
    assert_int_equal(fw_nvstore_save(&e->store, img, e->book.used), 0);
    assert_int_equal(reboot(e, &e->st), AB_ERR_VERSION);
}

static void test_parser_refuses_every_truncation_and_trailing_bytes(void **state)
{
    struct env *e = *state;
    static uint8_t img[AB_POOL_BYTES];
    size_t len;

    add_people(&e->book);
    len = e->book.used;
    memcpy(img, e->book.pool, len);
    for (size_t n = 0; n < len; n++)
        assert_int_not_equal(ab_book_parse(&e->other, img, n), 0);
    img[len] = 0;
    assert_int_equal(ab_book_parse(&e->other, img, len + 1), AB_ERR_FORMAT);
    assert_int_equal(ab_book_parse(&e->other, img, len), 0);
    assert_true(same_book(&e->book, &e->other));
}

static void test_parser_refuses_duplicates_bad_terminators_and_bad_counts(void **state)
{
    struct env *e = *state;
    uint8_t img[128];
    size_t len;

    assert_int_equal(ab_book_add(&e->old, "A", "a@example.test"), 0);
    len = e->old.used;
    memcpy(img, e->old.pool, len);
    /* The record twice, count 2: a duplicate the book would never write. */
    memcpy(img + len, img + AB_IMAGE_HDR_SIZE, len - AB_IMAGE_HDR_SIZE);
    img[4] = 2;
    assert_int_equal(ab_book_parse(&e->other, img, 2 * len - AB_IMAGE_HDR_SIZE), AB_ERR_FORMAT);
    memcpy(img, e->old.pool, len);
    img[AB_IMAGE_HDR_SIZE + 2] = 'x'; /* the alias's NUL */
    assert_int_equal(ab_book_parse(&e->other, img, len), AB_ERR_FORMAT);
    memcpy(img, e->old.pool, len);
    img[AB_IMAGE_HDR_SIZE + 1] = '\n'; /* a control character in the alias */
    assert_int_equal(ab_book_parse(&e->other, img, len), AB_ERR_FORMAT);
    memcpy(img, e->old.pool, len);
    img[4] = 0xff;
    img[5] = 0xff; /* more entries than AB_MAX_ENTRIES */
    assert_int_equal(ab_book_parse(&e->other, img, len), AB_ERR_FORMAT);
    memcpy(img, e->old.pool, len);
    img[len - 3] = '@'; /* a@example.t@st */
    assert_int_equal(ab_book_parse(&e->other, img, len), AB_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_entries_list_by_folded_alias_across_scripts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_book_survives_a_reboot_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_alias_shows_the_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_address_is_refused_domain_in_any_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_alias_or_address_is_refused_with_its_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_several_is_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_replaces_an_entry_in_one_save, setup, teardown),
        cmocka_unit_test_setup_teardown(test_2000_entries_fit_and_the_2001st_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_pool_is_refused_with_its_own_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_autocomplete_matches_alias_or_address_prefix_any_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_autocomplete_list_is_bounded_and_in_list_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_puts_local_first_and_drops_duplicate_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suggestion_from_the_directory_is_checked_and_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_power_cut_at_every_write_of_an_add_keeps_old_or_new, setup, teardown),
        cmocka_unit_test_setup_teardown(test_power_cut_at_every_write_of_a_delete_keeps_old_or_new, setup, teardown),
        cmocka_unit_test_setup_teardown(test_power_cut_at_every_write_of_a_change_keeps_old_or_new, setup, teardown),
        cmocka_unit_test_setup_teardown(test_power_cut_on_simulated_flash_keeps_old_or_new, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_newest_slot_loads_the_previous_book, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_of_another_version_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parser_refuses_every_truncation_and_trailing_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parser_refuses_duplicates_bad_terminators_and_bad_counts, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
