/*
 * fsutil.c - small file-system helpers (see fsutil.h).
 */
#include "fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int ensure_dir(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "'%s' is not a directory", path);
            return -1;
        }
        return 0;
    }
    if (mkdir(path, 0750) != 0) {
        snprintf(err, errlen, "cannot create directory '%s': %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
