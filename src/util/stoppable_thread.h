/*
 * stoppable_thread.h - a thread that serves sockets with poll() until it
 * is told to stop: the control socket (control/server.c) and the
 * daemon's Prometheus endpoint (stats/metrics_server.c).
 *
 * The thread polls wake_fd(t) among its own descriptors and returns when
 * it becomes readable; stoppable_thread_stop() makes it so and joins.
 */
#ifndef NETSIFT_STOPPABLE_THREAD_H
#define NETSIFT_STOPPABLE_THREAD_H

#include <pthread.h>
#include <stdbool.h>

struct stoppable_thread {
    pthread_t thread;
    int wake[2]; /* -1 before start */
    bool started;
};

/* Before start, and so that stop is safe without start. */
void stoppable_thread_init(struct stoppable_thread *t);

/* Start fn(arg); 0, or -1 with errno set. */
int stoppable_thread_start(struct stoppable_thread *t, void *(*fn)(void *), void *arg);

/* The descriptor the thread polls for POLLIN: readable once it must stop. */
static inline int stoppable_thread_wake_fd(const struct stoppable_thread *t)
{
    return t->wake[0];
}

/* Tell the thread to stop, join it, close the pipe.  Safe to call twice. */
void stoppable_thread_stop(struct stoppable_thread *t);

#endif
