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

/* db_rotate_size and db_rotate_time when not given, on a live interface
 * (conf_check(); reading a file: 0, never). */
#define CONF_DB_ROTATE_SIZE_LIVE (256ull << 20)
#define CONF_DB_ROTATE_TIME_LIVE 3600u

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
    uint64_t cache_mib;        /* SQLite page cache, all databases */
    uint64_t memory;           /* bytes the capture may hold (0: no budget; capture/budget.h) */
    char synchronous[8];       /* SQLite synchronous: off, normal, full */
    uint64_t pcap_rotate_size; /* raw store: bytes per pcap file before a new one */
    uint64_t pcap_rotate_time; /* raw store: seconds of packets (or open time) per file */
    uint64_t pcap_max_size;    /* raw store retention: bytes of all files (0: no limit) */
    uint64_t pcap_max_age;     /* raw store retention: seconds (0: no limit) */
    uint64_t db_rotate_size;   /* headers.sqlite: bytes before it is closed and moved to
                                  DB_PATH/headers/ (0: never) */
    uint64_t db_rotate_time;   /* headers.sqlite: seconds of packets before the same (0: never) */
    uint64_t db_max_size;      /* retention of the closed header files: bytes (0: no limit) */
    uint64_t db_max_age;       /* retention of the closed header files: seconds (0: no limit) */
    bool monitor;              /* device monitor: nDPI flows, fingerprint.sqlite, control socket */
    bool flow_log;             /* monitor: one row per finished flow in the flows table */
    uint64_t max_flows;        /* monitor: flows tracked at once, all workers */
    uint32_t flow_idle_timeout; /* monitor: seconds; 0: 120 UDP/other, 300 TCP */
    char control[CONF_PATH_MAX]; /* monitor: control socket path ("": DB_PATH/control.sock) */
    uint32_t community_id_seed; /* Community ID v1 seed, 0-65535 */
    bool queue_drop;           /* drop frames at a full worker queue instead of waiting */
    uint64_t queue_size;       /* bytes of each worker's ring */
    bool json;                 /* summary as JSON */
    bool quiet;                /* no progress bar */
    char config_file[CONF_PATH_MAX];
    char user[64];             /* drop root to this user after opening the source */

    /* TCP stream reassembly and HTTP (src/stream/) */
    bool http;                 /* http table in headers.sqlite */
    char extract_files[CONF_PATH_MAX]; /* HTTP bodies into this directory ("": off) */
    char streams[CONF_PATH_MAX];       /* raw per-direction stream files ("": off) */
    uint64_t stream_memcap;    /* bytes of reassembly state, all workers */
    uint64_t stream_conn_memcap; /* out-of-order bytes buffered per direction */
    uint64_t stream_idle_timeout; /* seconds of packet time */
    uint64_t defrag_memcap;    /* bytes of IPv4 fragments in flight (capture/defrag.h) */
    uint64_t defrag_timeout;   /* seconds of packet time to complete a datagram */

    /* database sync to PostgreSQL (src/sync/; with db_sync, db_sync_address
     * and db_sync_port above).  Empty strings: libpq's defaults (PG*
     * environment, ~/.pgpass). */
    char sensor[CONF_HOST_MAX];           /* this gateway's name in the central tables ("": host name) */
    char db_sync_db[CONF_HOST_MAX];       /* PostgreSQL database */
    char db_sync_user[CONF_HOST_MAX];     /* PostgreSQL role */
    char db_sync_password[CONF_HOST_MAX]; /* configuration file only; never printed */
    char db_sync_conninfo[CONF_PATH_MAX]; /* libpq connection string or URI; overrides the above */
    char db_sync_sslmode[16];             /* libpq sslmode */

    /* audit records (src/audit/, docs/audit.md) */
    char audit_dir[CONF_PATH_MAX]; /* "": no audit records */
    bool payload;                  /* fill the records' Payload fields */
    bool encoders;                 /* list the audit encoders and exit */
    char include[1024];            /* audit encoders to run ("": all) */
    char exclude[1024];            /* audit encoders not to run */
    uint32_t audit_compression;    /* gzip level 0-9 */
    uint64_t audit_max_flows;      /* entries per flow table */
    uint32_t audit_flow_timeout;   /* seconds of packet time that end a flow record */

    /* not options: set by the capture once the source is open, for the
     * sinks that need them (the raw packet store writes pcap files of the
     * source's link type and snapshot length) */
    int source_linktype;       /* DLT_* */
    uint32_t source_snaplen;
    /* not options: bytes of each database's batches in circulation, all
     * workers together (db/sqlite_writer.h); set by conf_defaults and
     * lowered with the other caps by the memory budget */
    uint64_t headers_batch_memory, meta_batch_memory;

    uint64_t given[2]; /* bit per option of conf.c's table: set by a file or a flag */
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

/*
 * Parse the command line of a subcommand that takes some of the options
 * (argv[0] is its name): `only` lists their file keys, NULL-terminated.
 * -c FILE is loaded first; -h/--help calls usage(stdout) and returns 1.
 * No trailing arguments.  Returns 0, 1 (help), or -1 with one line in err.
 */
int conf_parse_args(struct netsift_conf *c, int argc, char **argv, const char *const *only,
                    void (*usage)(FILE *f), char *err, size_t errlen);

/* The usage lines of the options whose file keys are in `only` (NULL:
 * every option). */
void conf_print_options(FILE *f, const char *const *only);

/* A byte count: a whole number with an optional suffix K, M, G or T
 * (powers of 1024, optionally followed by B or iB; any case), e.g. 64M,
 * 10G, 65536.  0, or -1 when text is not one or overflows. */
int conf_parse_size(const char *text, uint64_t *out);

/* A duration in seconds: a whole number with an optional suffix s, m, h
 * or d, e.g. 300, 5m, 7d.  0, or -1. */
int conf_parse_duration(const char *text, uint64_t *out);

/* A boolean: 1/true/yes/on or 0/false/no/off, any case.  0, or -1. */
int conf_parse_bool(const char *text, bool *out);

/* The page cache, MiB, of one of the capture's databases: --cache-mib is
 * the budget of all of them together.  The raw store's index (--file-write)
 * and the monitor's database each take a quarter of it (at most 16 MiB),
 * headers.sqlite the rest. */
enum conf_database { CONF_DB_HEADERS, CONF_DB_RAW_INDEX, CONF_DB_MONITOR };
unsigned conf_cache_mib(const struct netsift_conf *c, enum conf_database db);

/* Was the option of this file key ("max_flows") set by the configuration
 * file or a flag, rather than left at its default? */
bool conf_given(const struct netsift_conf *c, const char *key);

/* The page caches, MiB, of the databases this capture opens, together. */
unsigned conf_cache_total_mib(const struct netsift_conf *c);


#endif
