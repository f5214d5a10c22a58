/*
 * thread_name.h - name the calling thread, so that `top -H`, `ps -L`,
 * `perf report --sort comm` and gdb show which of netsift's threads is
 * which (worker0, db:headers, ckpt:headers, control, sync, ...).
 */
#ifndef NETSIFT_THREAD_NAME_H
#define NETSIFT_THREAD_NAME_H

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* prefix + the file name of path without its directory and ".sqlite",
 * cut to the kernel's 15 characters. */
static inline void thread_name(const char *prefix, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 7 && strcmp(base + n - 7, ".sqlite") == 0)
        n -= 7;
    char name[16];
    snprintf(name, sizeof name, "%s%.*s", prefix, (int)n, base);
    pthread_setname_np(pthread_self(), name);
}

#endif
