/*
 * wal_checkpointer.c - the helper thread that checkpoints a database's
 * WAL while its writer goes on (see wal_checkpointer.h).
 */
#define _GNU_SOURCE
#include "wal_checkpointer.h"

#include "../util/thread_name.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wal_checkpointer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    sqlite3 *db;        /* the checkpointer's own connection */
    int start, limit;   /* frames */
    uint64_t requested; /* commits that asked for a checkpoint */
    uint64_t done;      /* `requested` as it was when the last checkpoint began */
    bool stopping;
    bool broken;        /* a checkpoint failed: the writer takes over */
};

static void *checkpointer_main(void *arg)
{
    struct wal_checkpointer *c = arg;
    const char *path = sqlite3_db_filename(c->db, "main");
    thread_name("ckpt:", path ? path : "");
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (c->done == c->requested && !c->stopping)
            pthread_cond_wait(&c->changed, &c->lock);
        if (c->stopping)
            break;
        uint64_t target = c->requested;
        pthread_mutex_unlock(&c->lock);
        /* PASSIVE: copies what no reader still needs, never waits for
         * a lock; BUSY means another connection is checkpointing */
        int rc = sqlite3_wal_checkpoint_v2(c->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&c->lock);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            c->broken = true; /* the writer's own checkpoint reports the error */
        c->done = target;
        pthread_cond_broadcast(&c->changed);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static sqlite3 *open_connection(const char *db_path, const char *synchronous)
{
    sqlite3 *db = NULL;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA synchronous=%s; PRAGMA cache_size=-1024", synchronous);
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) !=
            SQLITE_OK ||
        sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
        sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
        /* a first read opens the WAL: a checkpoint needs it open */
        sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

struct wal_checkpointer *wal_checkpointer_start(const char *db_path, const char *synchronous,
                                                int start, int limit)
{
    struct wal_checkpointer *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->start = start > 0 ? start : 1;
    c->limit = limit > c->start ? limit : c->start;
    c->db = open_connection(db_path, synchronous);
    if (!c->db) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->changed, NULL);
    if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->changed);
        sqlite3_close(c->db);
        free(c);
        return NULL;
    }
    return c;
}

bool wal_checkpointer_committed(struct wal_checkpointer *c, int wal_frames)
{
    pthread_mutex_lock(&c->lock);
    if (wal_frames >= c->start) {
        c->requested++;
        pthread_cond_broadcast(&c->changed);
    }
    bool catch_up = c->broken || wal_frames >= c->limit;
    pthread_mutex_unlock(&c->lock);
    return catch_up;
}

bool wal_checkpointer_catch_up(struct wal_checkpointer *c)
{
    pthread_mutex_lock(&c->lock);
    c->requested++; /* a checkpoint that begins from now on */
    pthread_cond_broadcast(&c->changed);
    while (c->done != c->requested && !c->broken)
        pthread_cond_wait(&c->changed, &c->lock);
    bool ok = !c->broken;
    pthread_mutex_unlock(&c->lock);
    return ok;
}

void wal_checkpointer_stop(struct wal_checkpointer *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    sqlite3_close(c->db);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->changed);
    free(c);
}
