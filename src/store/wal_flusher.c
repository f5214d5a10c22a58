/*
 * wal_flusher.c - the helper thread that syncs a WAL file after each
 * commit (see wal_flusher.h).
 */
#define _GNU_SOURCE
#include "wal_flusher.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct wal_flusher {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t kicked;
    bool pending, stopping;
    int fd; /* the WAL, opened at the first kick that finds it */
    char path[];
};

static void *flusher_main(void *arg)
{
    struct wal_flusher *f = arg;
    pthread_mutex_lock(&f->lock);
    for (;;) {
        while (!f->pending && !f->stopping)
            pthread_cond_wait(&f->kicked, &f->lock);
        if (f->stopping)
            break;
        f->pending = false;
        pthread_mutex_unlock(&f->lock);
        if (f->fd < 0)
            f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
        if (f->fd >= 0)
            fdatasync(f->fd); /* an error here is SQLite's to see: its own sync reports it */
        pthread_mutex_lock(&f->lock);
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

struct wal_flusher *wal_flusher_start(const char *wal_path)
{
    size_t len = strlen(wal_path);
    struct wal_flusher *f = calloc(1, sizeof *f + len + 1);
    if (!f)
        return NULL;
    memcpy(f->path, wal_path, len + 1);
    f->fd = -1;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->kicked, NULL);
    if (pthread_create(&f->thread, NULL, flusher_main, f) != 0) {
        pthread_mutex_destroy(&f->lock);
        pthread_cond_destroy(&f->kicked);
        free(f);
        return NULL;
    }
    return f;
}

void wal_flusher_kick(struct wal_flusher *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->lock);
    f->pending = true;
    pthread_cond_signal(&f->kicked);
    pthread_mutex_unlock(&f->lock);
}

void wal_flusher_stop(struct wal_flusher *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->lock);
    f->stopping = true;
    pthread_cond_signal(&f->kicked);
    pthread_mutex_unlock(&f->lock);
    pthread_join(f->thread, NULL);
    if (f->fd >= 0)
        close(f->fd);
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->kicked);
    free(f);
}
