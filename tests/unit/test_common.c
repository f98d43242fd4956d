/*
 * tests/unit/test_common.c — common/: vx__grow (first allocation, doubling, growing to a need
 * beyond double, overflow refused with the array left as it was) and the two clocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/array.h"
#include "common/clock.h"

static void test_grow_first_and_double(void **state)
{
    (void)state;
    size_t cap = 0;
    int *a = vx__grow(NULL, &cap, 1, sizeof *a, 8);
    assert_non_null(a);
    assert_int_equal(cap, 8);
    a[7] = 7;
    int *same = vx__grow(a, &cap, 8, sizeof *a, 8);
    assert_ptr_equal(same, a); /* room enough: nothing moves */
    a = vx__grow(a, &cap, 9, sizeof *a, 8);
    assert_non_null(a);
    assert_int_equal(cap, 16);
    assert_int_equal(a[7], 7); /* contents survive */
    a = vx__grow(a, &cap, 100, sizeof *a, 8);
    assert_int_equal(cap, 128); /* doubled until it holds the need */
    free(a);
}

static void test_grow_overflow(void **state)
{
    (void)state;
    size_t cap = 4;
    char *buf = malloc(4);
    assert_non_null(buf);
    assert_null(vx__grow(buf, &cap, SIZE_MAX / 2 + 2, 1, 4));
    assert_int_equal(cap, 4);
    assert_null(vx__grow(buf, &cap, SIZE_MAX / 8, 16, 4)); /* bytes would overflow */
    assert_int_equal(cap, 4);
    free(buf);
}

static void test_clocks(void **state)
{
    (void)state;
    uint64_t wall = vx__wall_ms();
    assert_true(wall > 1700000000000ull); /* after 2023: a Unix epoch in ms, not seconds */
    uint64_t m1 = vx__mono_ms(), m2 = vx__mono_ms();
    assert_true(m2 >= m1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_first_and_double),
        cmocka_unit_test(test_grow_overflow),
        cmocka_unit_test(test_clocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
