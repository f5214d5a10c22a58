/*
 * fuzz_conf.c - libFuzzer harness for the configuration file loader.
 *
 * Each input is written to one temporary file (in /dev/shm when there is
 * one, else TMPDIR or /tmp) and loaded with conf_load_file() over the
 * defaults.  The result must be 0 or -1, an error message must be
 * NUL-terminated, and every string field must stay NUL-terminated.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[256];

static void require(bool ok)
{
    if (!ok)
        abort();
}

static void remove_file(void)
{
    if (path[0])
        unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/netsift-fuzz-conf-XXXXXX", dir ? dir : "/tmp");
    int fd = mkstemp(path);
    require(fd >= 0);
    close(fd);
    atexit(remove_file);
    return 0;
}

#define TERMINATED(field) require(memchr((field), '\0', sizeof(field)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    require(f != NULL);
    require(fwrite(data, 1, size, f) == size);
    require(fclose(f) == 0);

    struct netsift_conf c;
    char err[256];
    memset(err, 'X', sizeof err);
    conf_defaults(&c);
    int rc = conf_load_file(&c, path, err, sizeof err);
    require(rc == 0 || rc == -1);
    if (rc == -1)
        require(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
    TERMINATED(c.interface);
    TERMINATED(c.db_path);
    TERMINATED(c.db_sync_address);
    TERMINATED(c.filter);
    TERMINATED(c.read_file);
    TERMINATED(c.synchronous);
    TERMINATED(c.config_file);
    return 0;
}
