/*
 * rotation.c - closed header databases and their retention (see
 * rotation.h).
 */
#define _GNU_SOURCE
#include "rotation.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/thread_name.h"

#define PENDING_PREFIX ".pending-"
#define FINISHED_PREFIX "headers-"
#define SUFFIX ".sqlite"

struct db_rotation {
    char dir[4096];
    char db_path[4096];
    int lock_fd; /* DB_PATH/headers.lock, the writer's, or -1 */
    char open_file[4096]; /* DB_PATH/headers.sqlite: counted by --db-max-size */
    int dirfd;
    uint64_t max_size, max_age_us;
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    unsigned handed;  /* files handed over and not finished yet (lock) */
    bool closing;     /* (lock) */
    uint64_t newest_us; /* (lock) */
    uint64_t seq;
    struct db_rotation_stats stats; /* the thread's */
};

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in the directory dirfd starting with prefix and ending in .sqlite,
 * sorted; their count or -1. */
static int list_names(int dirfd, const char *prefix, char ***out)
{
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    rewinddir(d);
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || !has_suffix(e->d_name, SUFFIX))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(names, (size_t)cap * sizeof *names);
            if (!grown)
                break;
            names = grown;
        }
        if (!(names[n] = strdup(e->d_name)))
            break;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, (size_t)n, sizeof *names, cmp_names);
    *out = names;
    return n;
}

void db_rotation_list_free(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Open (creating) DB_PATH/dir without following a link. */
static int open_dir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create directory '%s': %s", path, strerror(errno));
        return -1;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        snprintf(err, errlen, "'%s' is not a directory (a link is refused): %s", path,
                 strerror(errno));
    return fd;
}

int db_rotation_list(const char *db_path, const char *dir, char ***names, char *err,
                     size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", db_path, dir);
    *names = NULL;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0; /* never rotated */
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    int n = list_names(fd, FINISHED_PREFIX, names);
    close(fd);
    if (n < 0)
        snprintf(err, errlen, "cannot list '%s'", path);
    return n;
}

#define LOCK_FILE "headers.lock"
#define GATE_BYTE 0 /* the writer holds it (write) from the moment it wants to rotate */
#define FILE_BYTE 1 /* readers hold it (read) while they have headers.sqlite open */

/* DB_PATH/headers.lock, created 0640 when missing, never through a link
 * (a link planted there is removed and the file made anew). */
static int open_lock_file(const char *db_path)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/" LOCK_FILE, db_path);
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0 && errno == ELOOP && unlink(path) == 0)
        fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0 && (errno == EACCES || errno == EROFS))
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    return fd;
}

/* An open file description lock (F_OFD_*: per descriptor, so threads of
 * one process exclude each other too) on one byte: 0, or -1 with errno. */
static int lock_byte(int fd, int byte, short type, bool wait)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1};
    int rc;
    while ((rc = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl)) != 0 && errno == EINTR)
        ;
    return rc;
}

int db_rotation_lock_shared(const char *db_path)
{
    int fd = open_lock_file(db_path);
    /* through the gate (a writer that wants to rotate holds it), then
     * the file's byte, then the gate is left */
    if (fd >= 0 && (lock_byte(fd, GATE_BYTE, F_RDLCK, true) != 0 ||
                    lock_byte(fd, FILE_BYTE, F_RDLCK, true) != 0)) {
        close(fd);
        return -1;
    }
    if (fd >= 0)
        lock_byte(fd, GATE_BYTE, F_UNLCK, false);
    return fd;
}

bool db_rotation_wanted(int fd)
{
    struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = GATE_BYTE, .l_len = 1};
    return fd >= 0 && fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

int db_rotation_lock_exclusive(struct db_rotation *r)
{
    if (r->lock_fd < 0 && (r->lock_fd = open_lock_file(r->db_path)) < 0)
        return -1;
    /* readers pass the gate in an instant: wait for it, and keep it until
     * the rotation is done, so that no reader opens the file meanwhile */
    if (lock_byte(r->lock_fd, GATE_BYTE, F_WRLCK, true) != 0)
        return -1;
    if (lock_byte(r->lock_fd, FILE_BYTE, F_WRLCK, false) == 0)
        return 0;
    return errno == EAGAIN || errno == EACCES ? 1 : -1;
}

void db_rotation_unlock_exclusive(struct db_rotation *r)
{
    if (r->lock_fd < 0)
        return;
    lock_byte(r->lock_fd, FILE_BYTE, F_UNLCK, false);
    lock_byte(r->lock_fd, GATE_BYTE, F_UNLCK, false);
}

void db_rotation_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* releases its locks */
}

/* "20260107T101500.123456Z" */
static void format_time(uint64_t us, char *buf, size_t size)
{
    time_t s = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char day[32];
    strftime(day, sizeof day, "%Y%m%dT%H%M%S", &tm);
    snprintf(buf, size, "%s.%06uZ", day, (unsigned)(us % 1000000));
}

/* The microseconds of "20260107T101500.123456Z" at s; 0 when unreadable. */
static uint64_t parse_time(const char *s)
{
    struct tm tm = {0};
    unsigned us = 0;
    if (sscanf(s, "%4d%2d%2dT%2d%2d%2d.%6uZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &us) != 7)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (uint64_t)timegm(&tm) * 1000000 + us;
}

bool db_rotation_name_range(const char *name, uint64_t *first_us, uint64_t *last_us)
{
    const char *p = strstr(name, "--");
    if (strncmp(name, FINISHED_PREFIX, strlen(FINISHED_PREFIX)) != 0 || !p)
        return false;
    *first_us = parse_time(name + strlen(FINISHED_PREFIX));
    *last_us = parse_time(p + 2);
    return *last_us != 0 && *first_us <= *last_us;
}

/* The microseconds of a name's "--<last>.sqlite" part; 0 when unreadable. */
static uint64_t last_of_name(const char *name)
{
    const char *p = strstr(name, "--");
    return p ? parse_time(p + 2) : 0;
}

/* integrity_check and the eth table's time range of a closed file. */
static bool check_file(const char *path, uint64_t *first, uint64_t *last)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    bool ok = false;
    *first = *last = 0;
    /* out of WAL mode: a closed file is read by many and written by none,
     * and readers of a WAL file leave -wal and -shm files beside it */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK)
        goto done;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
        goto done;
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db, "SELECT min(timestamp), max(timestamp) FROM eth", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        goto done;
    *first = (uint64_t)sqlite3_column_int64(st, 0);
    *last = (uint64_t)sqlite3_column_int64(st, 1);
    ok = true;
done:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}

/* Give a pending file its final name (never replacing another file). */
static void finish_file(struct db_rotation *r, const char *pending)
{
    char path[8192], base[256], name[300];
    uint64_t first, last;
    snprintf(path, sizeof path, "%s/%s", r->dir, pending);
    bool ok = check_file(path, &first, &last);
    if (ok) {
        char a[40], b[40];
        format_time(first, a, sizeof a);
        format_time(last, b, sizeof b);
        snprintf(base, sizeof base, FINISHED_PREFIX "%s--%s", a, b);
    } else {
        snprintf(base, sizeof base, "bad-%.*s", (int)(strlen(pending) - strlen(SUFFIX)),
                 pending);
        r->stats.files_bad++;
    }
    for (int i = 1; i < 1000; i++) {
        if (i == 1)
            snprintf(name, sizeof name, "%s" SUFFIX, base);
        else
            snprintf(name, sizeof name, "%s-%d" SUFFIX, base, i);
        if (linkat(r->dirfd, pending, r->dirfd, name, 0) == 0) {
            unlinkat(r->dirfd, pending, 0);
            int fd = openat(r->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            if (fd >= 0) { /* never written again (a planted link is not followed) */
                fchmod(fd, 0440);
                close(fd);
            }
            r->stats.files_closed += ok;
            return;
        }
        if (errno != EEXIST)
            return; /* stays pending: tried again at the next start */
    }
}

static uint64_t file_size_at(int dirfd, const char *name)
{
    struct stat st;
    return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? (uint64_t)st.st_size : 0;
}

/* Remove closed files, oldest first, past the age and size limits. */
static void retention(struct db_rotation *r, uint64_t newest_us)
{
    if (!r->max_size && !r->max_age_us)
        return;
    char **names;
    int n = list_names(r->dirfd, FINISHED_PREFIX, &names);
    if (n <= 0) {
        if (n == 0)
            free(names);
        return;
    }
    uint64_t total = 0;
    struct stat st;
    if (stat(r->open_file, &st) == 0)
        total += (uint64_t)st.st_size;
    for (int i = 0; i < n; i++)
        total += file_size_at(r->dirfd, names[i]);
    for (int i = 0; i < n; i++) {
        uint64_t last = last_of_name(names[i]);
        bool too_old = r->max_age_us && newest_us > r->max_age_us &&
                       last < newest_us - r->max_age_us;
        bool too_big = r->max_size && total > r->max_size;
        if (!too_old && !too_big)
            break; /* oldest first: the rest are newer */
        uint64_t size = file_size_at(r->dirfd, names[i]);
        if (unlinkat(r->dirfd, names[i], 0) == 0) {
            total -= size < total ? size : total;
            r->stats.files_removed++;
        }
    }
    db_rotation_list_free(names, n);
}

/* Finish every pending file, then apply retention. */
static void finish_pending(struct db_rotation *r, uint64_t newest_us)
{
    char **names;
    int n = list_names(r->dirfd, PENDING_PREFIX, &names);
    for (int i = 0; i < n; i++)
        finish_file(r, names[i]);
    if (n >= 0)
        db_rotation_list_free(names, n);
    retention(r, newest_us);
}

static void *rotation_main(void *arg)
{
    struct db_rotation *r = arg;
    thread_name("rotate:", "headers");
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (r->handed == 0 && !r->closing)
            pthread_cond_wait(&r->changed, &r->lock);
        if (r->handed == 0) { /* closing: once more, with the open file's final size */
            uint64_t newest = r->newest_us;
            pthread_mutex_unlock(&r->lock);
            finish_pending(r, newest);
            return NULL;
        }
        unsigned handed = r->handed;
        uint64_t newest = r->newest_us;
        pthread_mutex_unlock(&r->lock);
        finish_pending(r, newest);
        pthread_mutex_lock(&r->lock);
        r->handed -= handed;
        pthread_cond_broadcast(&r->changed);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

struct db_rotation *db_rotation_open(const char *db_path, const char *dir, uint64_t max_size,
                                     uint64_t max_age_s, char *err, size_t errlen)
{
    struct db_rotation *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(r->dir, sizeof r->dir, "%s/%s", db_path, dir);
    snprintf(r->db_path, sizeof r->db_path, "%s", db_path);
    r->lock_fd = -1;
    snprintf(r->open_file, sizeof r->open_file, "%s/headers.sqlite", db_path);
    r->max_size = max_size;
    r->max_age_us = max_age_s * 1000000u;
    r->dirfd = open_dir(r->dir, err, errlen);
    if (r->dirfd < 0) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->changed, NULL);
    finish_pending(r, 0); /* left by a run that was killed */
    r->thread_started = pthread_create(&r->thread, NULL, rotation_main, r) == 0;
    if (!r->thread_started) {
        snprintf(err, errlen, "cannot start the header rotation thread");
        db_rotation_close(r, 0, NULL);
        return NULL;
    }
    return r;
}

int db_rotation_hand_over(struct db_rotation *r, const char *db_file, uint64_t newest_us,
                          char *err, size_t errlen)
{
    char pending[128];
    snprintf(pending, sizeof pending, PENDING_PREFIX "%020" PRIu64 "-%06" PRIu64 SUFFIX,
             newest_us, r->seq++);
    if (renameat(AT_FDCWD, db_file, r->dirfd, pending) != 0) {
        snprintf(err, errlen, "cannot move '%s' into '%s': %s", db_file, r->dir,
                 strerror(errno));
        return -1;
    }
    pthread_mutex_lock(&r->lock);
    r->handed++;
    if (newest_us > r->newest_us)
        r->newest_us = newest_us;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
    return 0;
}

void db_rotation_close(struct db_rotation *r, uint64_t newest_us, struct db_rotation_stats *stats)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->closing = true;
    if (newest_us > r->newest_us)
        r->newest_us = newest_us;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
    if (r->thread_started)
        pthread_join(r->thread, NULL);
    if (stats)
        *stats = r->stats;
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->changed);
    close(r->dirfd);
    if (r->lock_fd >= 0)
        close(r->lock_fd);
    free(r);
}
