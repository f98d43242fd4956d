/*
 * tests/unit/test_http_lane.c — http/lane.c: a full lane refuses at once, every job runs
 * exactly once on a worker index below the thread count, jobs still queued at stop are
 * finished as cancelled on the stopping thread, and a stopped lane stays valid and takes
 * nothing more until it is freed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/lane.h"
#include "voxdns/status.h"

typedef struct job {
    vx__lane_job link;
    atomic_int runs, cancelled;
    size_t worker;
} job;

typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool open;
    atomic_int started;
} gate;

/* Workers wait at the gate until the test opens it: the queue fills meanwhile. */
static void run(void *cls, size_t worker, vx__lane_job *j, bool cancelled)
{
    gate *g = cls;
    job *x = (job *)j;
    x->worker = worker;
    if (cancelled) {
        x->cancelled++;
        return;
    }
    atomic_fetch_add(&g->started, 1);
    pthread_mutex_lock(&g->mu);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    x->runs++;
}

static void open_gate(gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void wait_started(gate *g, int n)
{
    for (int i = 0; i < 2000 && atomic_load(&g->started) < n; i++)
        usleep(1000);
    assert_int_equal(atomic_load(&g->started), n);
}

static void test_full_lane_refuses_and_all_run_once(void **state)
{
    (void)state;
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0};
    vx__lane l;
    job jobs[6];
    memset(jobs, 0, sizeof jobs);
    assert_int_equal(vx__lane_start(&l, 2, 3, run, &g), VX_OK);
    assert_true(vx__lane_push(&l, &jobs[0].link));
    assert_true(vx__lane_push(&l, &jobs[1].link));
    wait_started(&g, 2); /* both workers hold a job: the queue is empty again */
    for (int i = 2; i < 5; i++)
        assert_true(vx__lane_push(&l, &jobs[i].link));
    assert_false(vx__lane_push(&l, &jobs[5].link)); /* 3 waiting: full */
    open_gate(&g);
    vx__lane_free(&l);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(jobs[i].runs + jobs[i].cancelled, 1);
        assert_true(jobs[i].worker < 2);
    }
    assert_int_equal(jobs[5].runs + jobs[5].cancelled, 0);
}

static void *stopper(void *arg)
{
    vx__lane_stop(arg);
    return NULL;
}

static void test_stop_cancels_what_is_queued(void **state)
{
    (void)state;
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0};
    vx__lane l;
    job jobs[4];
    pthread_t t;
    memset(jobs, 0, sizeof jobs);
    assert_int_equal(vx__lane_start(&l, 1, 8, run, &g), VX_OK);
    for (int i = 0; i < 4; i++)
        assert_true(vx__lane_push(&l, &jobs[i].link));
    wait_started(&g, 1);
    /* Stopping while the only worker is held: the three queued jobs are finished, cancelled,
     * by the stopping thread, which then waits for the held one. */
    assert_int_equal(pthread_create(&t, NULL, stopper, &l), 0);
    for (int i = 0; i < 2000 && jobs[3].cancelled == 0; i++)
        usleep(1000);
    open_gate(&g);
    pthread_join(t, NULL);
    assert_int_equal(jobs[0].runs, 1);
    for (int i = 1; i < 4; i++) {
        assert_int_equal(jobs[i].runs, 0);
        assert_int_equal(jobs[i].cancelled, 1);
    }
    job late;
    memset(&late, 0, sizeof late);
    assert_false(vx__lane_push(&l, &late.link)); /* stopped: refused, still valid */
    vx__lane_stop(&l);                           /* twice is harmless */
    vx__lane_free(&l);
    vx__lane zero;
    memset(&zero, 0, sizeof zero);
    vx__lane_stop(&zero); /* a lane never started stops and frees quietly */
    vx__lane_free(&zero);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_lane_refuses_and_all_run_once),
        cmocka_unit_test(test_stop_cancels_what_is_queued),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
