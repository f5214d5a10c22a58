/*
 * stoppable_thread.c - a polling thread with a stop pipe (see
 * stoppable_thread.h).
 */
#define _GNU_SOURCE
#include "stoppable_thread.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

void stoppable_thread_init(struct stoppable_thread *t)
{
    t->wake[0] = t->wake[1] = -1;
    t->started = false;
}

int stoppable_thread_start(struct stoppable_thread *t, void *(*fn)(void *), void *arg)
{
    if (pipe2(t->wake, O_CLOEXEC) != 0)
        return -1;
    int rc = pthread_create(&t->thread, NULL, fn, arg);
    if (rc != 0) {
        stoppable_thread_stop(t);
        errno = rc;
        return -1;
    }
    t->started = true;
    return 0;
}

void stoppable_thread_stop(struct stoppable_thread *t)
{
    if (t->started) {
        ssize_t ignored = write(t->wake[1], "x", 1);
        (void)ignored;
        pthread_join(t->thread, NULL);
        t->started = false;
    }
    for (int i = 0; i < 2; i++)
        if (t->wake[i] >= 0) {
            close(t->wake[i]);
            t->wake[i] = -1;
        }
}
