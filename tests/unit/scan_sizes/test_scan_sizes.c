/* scan_sizes: the original-size table and its look-ups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scan_sizes.h"

static void test_the_table_holds_the_five_sizes_in_tenths_of_mm(void **state)
{
    static const struct {
        enum scan_size_id id;
        const char *name;
        unsigned w, h;
    } want[] = {
        {SCAN_SIZE_LETTER, "letter", 2159, 2794}, {SCAN_SIZE_EXECUTIVE, "executive", 1842, 2667},
        {SCAN_SIZE_A4, "a4", 2100, 2970},         {SCAN_SIZE_A5, "a5", 1480, 2100},
        {SCAN_SIZE_LEGAL, "legal", 2159, 3556},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const scan_size_t *s = scan_size_get(want[i].id);
        assert_non_null(s);
        assert_string_equal(s->name, want[i].name);
        assert_int_equal(s->width_mm10, want[i].w);
        assert_int_equal(s->height_mm10, want[i].h);
        assert_ptr_equal(scan_size_by_mm10(want[i].w, want[i].h), s);
    }
    assert_null(scan_size_get(SCAN_SIZE_COUNT));
    assert_null(scan_size_get((enum scan_size_id) - 1));
}

static void test_names_are_found_ignoring_case(void **state)
{
    (void)state;
    assert_ptr_equal(scan_size_by_name("A4"), scan_size_get(SCAN_SIZE_A4));
    assert_ptr_equal(scan_size_by_name("a5"), scan_size_get(SCAN_SIZE_A5));
    assert_ptr_equal(scan_size_by_name("LeTTeR"), scan_size_get(SCAN_SIZE_LETTER));
    assert_ptr_equal(scan_size_by_name("LEGAL"), scan_size_get(SCAN_SIZE_LEGAL));
    assert_ptr_equal(scan_size_by_name("executive"), scan_size_get(SCAN_SIZE_EXECUTIVE));
    assert_string_equal(scan_size_by_name("a4")->label, "A4");
}

static void test_unknown_names_and_custom_sizes_are_not_found(void **state)
{
    (void)state;
    assert_null(scan_size_by_name("a3"));
    assert_null(scan_size_by_name("a4 "));
    assert_null(scan_size_by_name(""));
    assert_null(scan_size_by_name(NULL));
    assert_null(scan_size_by_mm10(2970, 2100)); /* landscape A4 is not in the table */
    assert_null(scan_size_by_mm10(1000, 1000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_table_holds_the_five_sizes_in_tenths_of_mm),
        cmocka_unit_test(test_names_are_found_ignoring_case),
        cmocka_unit_test(test_unknown_names_and_custom_sizes_are_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
