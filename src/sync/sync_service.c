/*
 * sync_service.c - the in-capture sync (`--db-sync`), a service of the
 * capture (capture.h): it takes no packets.
 *
 * start() starts a thread that runs a sync
 * pass (sync_engine.h) every process_interval, in slices of a second
 * while there is a backlog.  When pushing starts to
 * fail it prints one line on stderr (the reason; later reasons of the
 * same outage go to the summary and `netsift sync --status`), retries
 * with exponential back-off, 1 s doubling up to 8 s, and says so when
 * it pushes again and catches up.  stop(), which the capture calls once every sink has
 * closed, stops the thread between two batches and lets it make one final
 * pass with a deadline, so that what the sinks committed in their close()
 * is pushed too.  The capture never waits for PostgreSQL, and a
 * sync failure never changes its exit status: the local databases hold
 * everything, and `netsift sync` pushes what is left.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../capture/capture.h"
#include "../util/fsutil.h"
#include "../util/progress.h"
#include "../util/thread_name.h"
#include "sync_engine.h"

#define BACKOFF_MIN_US 1000000ull
#define BACKOFF_MAX_US 8000000ull
#define SLICE_US 1000000ull          /* a pass longer than this goes on in the next */
#define CLOSE_DEADLINE_US 5000000ull /* the final pass */
#define CLOSE_GRACE_US 5000000ull    /* then the running statement is cancelled */

struct sync_service {
    struct sync_engine *engine;
    uint64_t interval_us;
    pthread_t thread;
    bool started;
    atomic_bool stop; /* ends a pass between two batches */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool closing, done; /* under lock */
    bool failing;       /* the thread's own */
    /* after close */
    struct sync_totals totals;
    uint64_t pending;
    char last_error[2048];
};

static bool sync_enabled(const struct netsift_conf *conf)
{
    return conf->db_sync;
}

/* The sync thread yields to the capture threads. */
static void lower_priority(void)
{
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
}

static void say_failure(struct sync_service *s, const char *then)
{
    if (!s->failing)
        fprintf(stderr, "netsift: sync: %s; %s\n", sync_engine_error(s->engine), then);
    s->failing = true;
}

static void say_success(struct sync_service *s)
{
    if (s->failing)
        fprintf(stderr, "netsift: sync: pushing to PostgreSQL at %s again\n",
                sync_engine_where(s->engine));
    s->failing = false;
}

/* Sleep for us microseconds or until close(); false once closing. */
static bool nap(struct sync_service *s, uint64_t us)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(us / 1000000u);
    until.tv_nsec += (long)(us % 1000000u) * 1000;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->closing && pthread_cond_timedwait(&s->changed, &s->lock, &until) == 0)
        ;
    bool go_on = !s->closing;
    pthread_mutex_unlock(&s->lock);
    return go_on;
}

static void *sync_thread(void *arg)
{
    struct sync_service *s = arg;
    uint64_t backoff = 0;
    thread_name("sync", "");
    lower_priority();
    for (;;) {
        struct sync_totals before, after;
        sync_engine_totals(s->engine, &before);
        int rc = sync_engine_pass(s->engine, monotonic_us() + SLICE_US, &s->stop);
        sync_engine_totals(s->engine, &after);
        if (rc < 0) {
            say_failure(s, "capture goes on, retrying");
            backoff = backoff ? backoff * 2 : BACKOFF_MIN_US;
            backoff = backoff > BACKOFF_MAX_US ? BACKOFF_MAX_US : backoff;
        } else if (rc == 0 || after.batches > before.batches) {
            say_success(s);
            backoff = 0;
        }
        if (rc == 1 && !atomic_load(&s->stop))
            continue; /* the slice ended: more to push */
        if (!nap(s, backoff ? backoff : s->interval_us))
            break;
    }
    /* the final pass: what the capture committed last */
    int rc = sync_engine_pass(s->engine, monotonic_us() + CLOSE_DEADLINE_US, NULL);
    if (rc < 0)
        say_failure(s, "'netsift sync' pushes the rest");
    else
        say_success(s);
    snprintf(s->last_error, sizeof s->last_error, "%s", rc < 0 ? sync_engine_error(s->engine) : "");
    pthread_mutex_lock(&s->lock);
    s->done = true;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static int sync_start(void **state, struct capture *cap, const struct netsift_conf *conf,
                      char *err, size_t errlen)
{
    (void)cap;
    struct sync_service *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *state = s;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->changed, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->lock, NULL);
    s->interval_us = (uint64_t)conf->process_interval * 1000;
    if (ensure_dir(conf->db_path, err, errlen) != 0 ||
        !(s->engine = sync_engine_new(conf, true, err, errlen)))
        return -1;
    if (pthread_create(&s->thread, NULL, sync_thread, s) != 0) {
        snprintf(err, errlen, "sync: cannot start its thread");
        return -1;
    }
    s->started = true;
    return 0;
}

/* Wait for the thread until `until` (monotonic); true when it is done. */
static bool wait_done(struct sync_service *s, uint64_t until_us)
{
    struct timespec until = {(time_t)(until_us / 1000000u), (long)(until_us % 1000000u) * 1000};
    pthread_mutex_lock(&s->lock);
    while (!s->done && pthread_cond_timedwait(&s->changed, &s->lock, &until) == 0)
        ;
    bool done = s->done;
    pthread_mutex_unlock(&s->lock);
    return done;
}

static void stop_thread(struct sync_service *s)
{
    if (!s->started)
        return;
    pthread_mutex_lock(&s->lock);
    s->closing = true;
    atomic_store(&s->stop, true);
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    if (!wait_done(s, monotonic_us() + CLOSE_DEADLINE_US + CLOSE_GRACE_US))
        sync_engine_cancel(s->engine); /* a statement that does not end */
    pthread_join(s->thread, NULL);
    s->started = false;
}

static void sync_stop(void *state)
{
    struct sync_service *s = state;
    if (!s->engine)
        return;
    stop_thread(s);
    sync_engine_totals(s->engine, &s->totals);
    sync_engine_pending(s->engine, &s->pending);
    /* sync trouble never fails the capture: see the header */
}

static void sync_report(void *state, struct report *r)
{
    struct sync_service *s = state;
    report_str(r, "target", sync_engine_target(s->engine));
    report_u64(r, "rows_pushed", s->totals.pushed);
    report_u64(r, "rows_new", s->totals.inserted);
    report_u64(r, "transactions", s->totals.batches);
    report_u64(r, "rows_pending", s->pending);
    if (s->last_error[0])
        report_str(r, "error", s->last_error);
}

static void sync_destroy(void *state)
{
    struct sync_service *s = state;
    if (!s)
        return;
    if (s->engine)
        stop_thread(s);
    sync_engine_free(s->engine);
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

const struct capture_service_ops sync_service_ops = {
    .name = "sync",
    .enabled = sync_enabled,
    .start = sync_start,
    .stop = sync_stop,
    .report = sync_report,
    .destroy = sync_destroy,
};
