/*
 * tests/unit/test_http_deadline.c — http/deadline.c on socket pairs: a connection past its
 * deadline is shut down (its peer reads end-of-file) and counted once; one whose deadline was
 * paused or moved later is left alone; the table counts what is open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/clock.h"
#include "http/deadline.h"
#include "voxdns/status.h"

/* 1: the peer of fd was shut down (EOF); 0: still open (nothing to read). */
static int peer_closed(int peer)
{
    char c;
    ssize_t n = recv(peer, &c, 1, MSG_DONTWAIT);
    return n == 0 ? 1 : 0;
}

static void test_deadline_shuts_down_only_the_late(void **state)
{
    (void)state;
    atomic_ullong open = 0, closed = 0;
    vx__deadlines d;
    int late[2], paused[2], moved[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, late), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, paused), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, moved), 0);
    assert_int_equal(vx__deadlines_start(&d, &open, &closed), VX_OK);
    uint64_t now = vx__mono_ms();
    vx__dl_conn *a = vx__deadlines_add(&d, late[0], now + 50);
    vx__dl_conn *b = vx__deadlines_add(&d, paused[0], now + 50);
    vx__dl_conn *c = vx__deadlines_add(&d, moved[0], now + 50);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_int_equal(atomic_load(&open), 3);
    vx__deadlines_set(&d, b, VX__DEADLINE_NONE);
    vx__deadlines_set(&d, c, now + 60000);
    usleep(400 * 1000); /* the sweep runs every 100 ms */
    assert_int_equal(peer_closed(late[1]), 1);
    assert_int_equal(peer_closed(paused[1]), 0);
    assert_int_equal(peer_closed(moved[1]), 0);
    assert_int_equal(atomic_load(&closed), 1);
    usleep(250 * 1000); /* counted once, not at every sweep */
    assert_int_equal(atomic_load(&closed), 1);
    vx__deadlines_remove(&d, a);
    vx__deadlines_remove(&d, b);
    assert_int_equal(atomic_load(&open), 1);
    vx__deadlines_stop(&d); /* removes what is left */
    assert_int_equal(atomic_load(&open), 0);
    for (int i = 0; i < 2; i++) {
        close(late[i]);
        close(paused[i]);
        close(moved[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_shuts_down_only_the_late),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
