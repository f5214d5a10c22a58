/*
 * fsutil.h - small file-system helpers shared by the stores.
 */
#ifndef NETSIFT_FSUTIL_H
#define NETSIFT_FSUTIL_H

#include <stddef.h>

/* Create directory path (mode 0750; a database or output folder) unless
 * it exists; its parent must exist.  0, or -1 with a one-line reason in
 * err. */
int ensure_dir(const char *path, char *err, size_t errlen);

#endif
