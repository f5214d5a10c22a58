/*
 * fsutil.c - small file-system helpers (see fsutil.h).
 */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int create_file_at(int dirfd, const char *name)
{
    if (unlinkat(dirfd, name, 0) != 0 && errno != ENOENT)
        return -1; /* a directory of that name, or no right to replace it */
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd >= 0 && fchmod(fd, 0640) != 0) { /* 0640 whatever the umask */
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

FILE *create_stream(const char *path)
{
    int fd = create_file_at(AT_FDCWD, path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (fd >= 0 && !f) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}
