/*
 * fsutil.h - small file-system helpers shared by the stores.
 */
#ifndef NETSIFT_FSUTIL_H
#define NETSIFT_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Create directory path (mode 0750; a database or output folder) unless
 * it exists; its parent must exist.  0, or -1 with a one-line reason in
 * err. */
int ensure_dir(const char *path, char *err, size_t errlen);

/* Create the file name in the directory dirfd (AT_FDCWD: name is a path)
 * for writing, replacing a file of that name: whatever was there (a file,
 * or a link someone planted) is unlinked, never written through, and the
 * new file is made with O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode 0640.  A
 * descriptor, or -1 with errno set. */
int create_file_at(int dirfd, const char *name);
/* create_file_at() as a stdio stream ("w"), or NULL with errno set. */
FILE *create_stream(const char *path);

#endif
