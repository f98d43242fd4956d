/*
 * tests/unit/test_common.c — common/: vx__grow (first allocation, doubling, growing to a need
 * beyond double, overflow refused with the array left as it was), the two clocks, and
 * vx__read_file (exactly the limit, one byte over, empty, missing, a pipe read in growing
 * steps).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/array.h"
#include "common/clock.h"
#include "common/file.h"
#include "voxdns/status.h"

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

static void write_temp(char *path, const char *content)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(content);
    assert_int_equal(write(fd, content, n), (ssize_t)n);
    close(fd);
}

static void test_read_file_limits(void **state)
{
    (void)state;
    char path[] = "/tmp/vx_test_common_XXXXXX", empty[] = "/tmp/vx_test_common_XXXXXX";
    char *text = NULL, err[256];
    size_t len = 0;
    write_temp(path, "0123456789");
    assert_int_equal(vx__read_file(path, 10, &text, &len, err, sizeof err), VX_OK);
    assert_int_equal(len, 10);
    assert_string_equal(text, "0123456789"); /* NUL-terminated */
    free(text);
    assert_int_equal(vx__read_file(path, 9, &text, &len, err, sizeof err), VX_ELIMIT);
    assert_null(text);
    assert_non_null(strstr(err, "file too large"));
    unlink(path);
    assert_int_equal(vx__read_file(path, 9, &text, &len, err, sizeof err), VX_EIO);
    write_temp(empty, "");
    assert_int_equal(vx__read_file(empty, 9, &text, &len, err, sizeof err), VX_OK);
    assert_int_equal(len, 0);
    assert_string_equal(text, "");
    free(text);
    unlink(empty);
}

/* A child writes n bytes ('a' + i % 26) into a pipe; the reader opens it by /proc path. */
static void read_pipe(size_t n, size_t max, int want)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        for (size_t i = 0; i < n; i++) {
            char c = (char)('a' + i % 26);
            if (write(p[1], &c, 1) != 1)
                _exit(1);
        }
        _exit(0);
    }
    close(p[1]);
    char path[64], *text = NULL, err[256];
    size_t len = 0;
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
    assert_int_equal(vx__read_file(path, max, &text, &len, err, sizeof err), want);
    close(p[0]);
    waitpid(pid, NULL, 0);
    for (size_t i = 0; want == VX_OK && i < n; i++)
        assert_int_equal(text[i], 'a' + i % 26);
    assert_int_equal(len, want == VX_OK ? n : 0);
    free(text);
}

static void test_read_file_from_a_pipe(void **state)
{
    (void)state;
    read_pipe(200000, 1u << 20, VX_OK); /* more than the first read: grows */
    read_pipe(200000, 200000, VX_OK);
    read_pipe(200001, 200000, VX_ELIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_first_and_double),
        cmocka_unit_test(test_grow_overflow),
        cmocka_unit_test(test_clocks),
        cmocka_unit_test(test_read_file_limits),
        cmocka_unit_test(test_read_file_from_a_pipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
