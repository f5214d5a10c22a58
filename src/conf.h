/*
 * conf.h - the one configuration struct of netsift capture.
 *
 * Values come from defaults, then a configuration file (-c FILE, INI:
 * "key = value" lines, '#' or ';' comments, optional [section] headers),
 * then command-line flags; each later source overrides the earlier.  The
 * keys are the fields of the specification's capture_conf.  One table
 * (conf.c) describes every option once: its flag, its file key, its type
 * and its help line, so flags, file keys and usage text cannot drift.
 */
#ifndef NETSIFT_CONF_H
#define NETSIFT_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_PATH_MAX 4096
#define CONF_IFNAME_MAX 64
#define CONF_HOST_MAX 256

struct netsift_conf {
    /* the specification's capture_conf */
    char interface[CONF_IFNAME_MAX]; /* live capture; "" when reading a file */
    bool promiscuous;
    bool immediate;
    uint32_t buffer_timeout;   /* ms: libpcap read timeout */
    uint32_t process_interval; /* ms: longest wait before a batch is committed */
    bool file_write;
    bool db_write;
    bool db_sync;
    char db_path[CONF_PATH_MAX];
    char db_sync_address[CONF_HOST_MAX];
    uint32_t db_sync_port;
    char filter[8192];

    /* netsift additions */
    char read_file[CONF_PATH_MAX]; /* offline capture */
    uint64_t count;            /* stop after this many packets (0: no limit) */
    uint32_t snaplen;
    uint32_t buffer_size;      /* MiB of kernel ring for live capture */
    uint32_t workers;          /* decoding threads (0: one per core) */
    uint32_t batch_rows;       /* rows per database transaction */
    uint32_t cache_mib;        /* SQLite page cache */
    char synchronous[8];       /* SQLite synchronous: off, normal, full */
    bool json;                 /* summary as JSON */
    bool quiet;                /* no progress bar */
    char config_file[CONF_PATH_MAX];
    char user[64];             /* drop root to this user after opening the source */
};

void conf_defaults(struct netsift_conf *c);

/*
 * Parse the capture command line (argv[0] is the subcommand name),
 * loading -c FILE first when given.  Trailing non-option arguments form
 * the BPF filter, as with tcpdump.  Returns 0 on success, 1 when help was
 * printed, -1 on error (one line in err).
 */
int conf_parse_capture_args(struct netsift_conf *c, int argc, char **argv, char *err,
                            size_t errlen);

/* Load an INI file into c.  Returns 0 or -1 with "FILE:LINE: reason". */
int conf_load_file(struct netsift_conf *c, const char *path, char *err, size_t errlen);

/* Set one option by its file key ("db_path") from text. */
int conf_set(struct netsift_conf *c, const char *key, const char *value, char *err,
             size_t errlen);

void conf_print_capture_usage(FILE *f);

#endif
