/*
 * conf.c - options table, INI loader and command-line parser (see conf.h).
 */
#define _GNU_SOURCE
#include "conf.h"
#include "../util/ini.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum opt_type {
    OPT_BOOL,
    OPT_UINT,
    OPT_STR,
    OPT_SIZE,     /* bytes with an optional K/M/G/T suffix (conf_parse_size) */
    OPT_DURATION, /* seconds with an optional s/m/h/d suffix (conf_parse_duration) */
};

struct option_def {
    const char *key;   /* configuration file key */
    const char *flag;  /* long flag; NULL: the key with '_' as '-' */
    const char *alias; /* another accepted file key, or NULL */
    char short_flag;
    enum opt_type type;
    size_t offset, size; /* field in struct netsift_conf and its size */
    uint64_t max;        /* OPT_UINT: largest accepted value */
    const char *arg;     /* argument name in usage */
    const char *help;
};

#define FIELD(f) offsetof(struct netsift_conf, f), sizeof(((struct netsift_conf *)0)->f)
/* flag of an option that is read from the configuration file only (a
 * secret must not show in the process list) */
#define FILE_ONLY ""

static const struct option_def options[] = {
    {"interface", NULL, "capture_interface", 'i', OPT_STR, FIELD(interface), 0, "IFACE",
     "Capture live from IFACE ('any' for all interfaces) through libpcap's memory-mapped ring."},
    {"read_file", "read", NULL, 'r', OPT_STR, FIELD(read_file), 0, "FILE",
     "Read packets from a pcap or pcapng FILE instead of an interface; gzip-compressed "
     "files (.pcap.gz, .pcapng.gz) are read through zlib; - reads standard input (uncompressed: "
     "zcat FILE.gz | netsift capture -r -)."},
    {"filter", NULL, NULL, 'f', OPT_STR, FIELD(filter), 0, "EXPR",
     "BPF filter expression (pcap-filter(7)); may also be given as trailing arguments."},
    {"count", NULL, NULL, 0, OPT_UINT, FIELD(count), UINT64_MAX, "N",
     "Stop after N packets (0, the default: no limit)."},
    {"snaplen", NULL, NULL, 's', OPT_UINT, FIELD(snaplen), 262144, "BYTES",
     "Bytes to capture of each live packet (default 262144)."},
    {"promiscuous", NULL, NULL, 0, OPT_BOOL, FIELD(promiscuous), 0, NULL,
     "Put the interface in promiscuous mode (default on; --no-promiscuous to turn off)."},
    {"immediate", NULL, NULL, 0, OPT_BOOL, FIELD(immediate), 0, NULL,
     "Deliver each packet as soon as it arrives instead of in kernel batches (default off)."},
    {"buffer_timeout", NULL, NULL, 0, OPT_UINT, FIELD(buffer_timeout), 60000, "MS",
     "libpcap read timeout for live capture, milliseconds (default 1000)."},
    {"buffer_size", NULL, NULL, 'B', OPT_UINT, FIELD(buffer_size), 4194304, "KIB",
     "Kernel capture ring size in KiB, like tcpdump -B (default 32768)."},
    {"process_interval", NULL, NULL, 0, OPT_UINT, FIELD(process_interval), 3600000, "MS",
     "Commit stored rows at least every MS milliseconds (default 1000)."},
    {"workers", NULL, NULL, 'w', OPT_UINT, FIELD(workers), 64, "N",
     "Decoding threads; each flow stays on one (default 0: one per core). 1 decodes on the reading thread, which is fastest for headers alone on 2 cores."},
    {"db_write", NULL, NULL, 0, OPT_BOOL, FIELD(db_write), 0, NULL,
     "Store decoded headers in DB_PATH/headers.sqlite (default on; --no-db-write: no headers.sqlite; the device monitor still runs unless --no-monitor)."},
    {"db_path", NULL, NULL, 'd', OPT_STR, FIELD(db_path), 0, "DIR",
     "Directory of the databases (default ./netsift-db; created if its parent exists)."},
    {"batch_rows", NULL, NULL, 0, OPT_UINT, FIELD(batch_rows), 10000000, "N",
     "Rows per database transaction, shared among the workers (default 200000); a batch is also committed every process_interval, and when it holds its share of the database's batch memory (headers.sqlite 96 MiB, pcap-meta.sqlite 24 MiB, fingerprint.sqlite 4 MiB, for all its batches together; the first two less when --memory requires it)."},
    {"memory", NULL, NULL, 0, OPT_SIZE, FIELD(memory), 1ull << 50, "SIZE",
     "Memory budget of the whole capture (default 256M; 0: none; at least 32M). The caps you do not set yourself (--max-flows, --audit-max-flows, --stream-memcap, --defrag-memcap, --cache-mib and the databases' batch memory) are lowered in one proportion, never raised and never below a floor, until the enabled sinks fit in SIZE with every cap full; the summary's memory section says how far (caps_percent). See bench/README.md, \"Memory and active flows\"."},
    {"cache_mib", NULL, NULL, 0, OPT_UINT, FIELD(cache_mib), 65536, "MIB",
     "SQLite page cache of all the databases together, MiB (default 32, down to 16 when --memory requires it; the process's peak memory grows by about 1.2 MiB per MiB): the raw store's index and the monitor's database take a quarter each (at most 16), headers.sqlite the rest."},
    {"synchronous", "db-synchronous", NULL, 0, OPT_STR, FIELD(synchronous), 0, "MODE",
     "SQLite synchronous mode: off, normal (default) or full. WAL mode is always on."},
    {"file_write", NULL, NULL, 0, OPT_BOOL, FIELD(file_write), 0, NULL,
     "Store every packet in pcap files under DB_PATH/pcap/, indexed one row per packet in DB_PATH/pcap-meta.sqlite (default off; read back with netsift extract)."},
    {"pcap_rotate_size", NULL, NULL, 0, OPT_SIZE, FIELD(pcap_rotate_size), UINT64_MAX, "SIZE",
     "Start a new pcap file once the current one holds SIZE bytes (suffix K, M, G, T: powers of 1024; default 64M, at least 1K)."},
    {"pcap_rotate_time", NULL, NULL, 0, OPT_DURATION, FIELD(pcap_rotate_time), UINT32_MAX, "DURATION",
     "Start a new pcap file at a packet DURATION or more after the file's first packet (packet time), or once the file has been open that long (seconds, or suffix s, m, h, d; default 300)."},
    {"pcap_max_size", NULL, NULL, 0, OPT_SIZE, FIELD(pcap_max_size), UINT64_MAX, "SIZE",
     "Retention: while all pcap files together exceed SIZE, remove the oldest closed file and its index rows (default 0: no limit)."},
    {"pcap_max_age", NULL, NULL, 0, OPT_DURATION, FIELD(pcap_max_age), UINT32_MAX, "DURATION",
     "Retention: remove closed pcap files whose last packet is more than DURATION older than the newest packet stored (default 0: no limit)."},
    {"db_rotate_size", NULL, NULL, 0, OPT_SIZE, FIELD(db_rotate_size), UINT64_MAX, "SIZE",
     "Close headers.sqlite once it holds SIZE bytes and start a new one; the closed file moves to DB_PATH/headers/, named by the time range of its packets (suffix K, M, G, T; 0: never; default 256M on a live interface, never when reading a file; see docs/schema.md, netsift sql)."},
    {"db_rotate_time", NULL, NULL, 0, OPT_DURATION, FIELD(db_rotate_time), UINT32_MAX, "DURATION",
     "Close headers.sqlite once its packets span DURATION (packet time) and start a new one, as --db-rotate-size (seconds, or suffix s, m, h, d; 0: never; default 1h on a live interface, never when reading a file)."},
    {"db_max_size", NULL, NULL, 0, OPT_SIZE, FIELD(db_max_size), UINT64_MAX, "SIZE",
     "Retention: while the closed header files in DB_PATH/headers/ and headers.sqlite together exceed SIZE, remove the oldest closed file (default 0: no limit)."},
    {"db_max_age", NULL, NULL, 0, OPT_DURATION, FIELD(db_max_age), UINT32_MAX, "DURATION",
     "Retention: remove closed header files whose last packet is more than DURATION older than the newest packet stored, and the fingerprint and flow rows of fingerprint.sqlite older than that (devices are kept; default 0: no limit)."},
    {"db_sync", NULL, NULL, 0, OPT_BOOL, FIELD(db_sync), 0, NULL,
     "Push new rows of every database to PostgreSQL continuously, in the background (default off; see netsift sync --help)."},
    {"db_sync_address", "sync-address", NULL, 0, OPT_STR, FIELD(db_sync_address), 0, "HOST",
     "PostgreSQL host for db_sync (default: PGHOST, else the local socket)."},
    {"db_sync_port", "sync-port", NULL, 0, OPT_UINT, FIELD(db_sync_port), 65535, "PORT",
     "PostgreSQL port for db_sync (default 5432)."},
    {"db_sync_db", "sync-db", "sync_db", 0, OPT_STR, FIELD(db_sync_db), 0, "NAME",
     "PostgreSQL database for db_sync (default: PGDATABASE, else the user name)."},
    {"db_sync_user", "sync-user", "sync_user", 0, OPT_STR, FIELD(db_sync_user), 0, "USER",
     "PostgreSQL role for db_sync (default: PGUSER, else the login name)."},
    {"db_sync_password", FILE_ONLY, "sync_password", 0, OPT_STR, FIELD(db_sync_password), 0, "PASSWORD",
     "PostgreSQL password for db_sync. Never a flag: give it here, or in PGPASSWORD, ~/.pgpass or sync_conninfo. Never printed."},
    {"db_sync_conninfo", "sync-conninfo", "sync_conninfo", 0, OPT_STR, FIELD(db_sync_conninfo), 0, "CONNINFO",
     "libpq connection string or URI for db_sync ('host=... dbname=... sslrootcert=...'); its settings override the other sync options."},
    {"db_sync_sslmode", "sync-sslmode", "sync_sslmode", 0, OPT_STR, FIELD(db_sync_sslmode), 0, "MODE",
     "libpq sslmode for db_sync: disable, allow, prefer (libpq's default), require, verify-ca, verify-full."},
    {"sensor", NULL, NULL, 0, OPT_STR, FIELD(sensor), 0, "NAME",
     "This gateway's name in the sensor column of the PostgreSQL tables (default: the host name)."},
    {"user", NULL, NULL, 'Z', OPT_STR, FIELD(user), 0, "USER",
     "After opening the interface or file, drop root privileges to USER (and its groups), like tcpdump -Z; databases are then created as USER."},
    {"json", NULL, NULL, 0, OPT_BOOL, FIELD(json), 0, NULL,
     "Print the summary as one JSON object."},
    {"quiet", NULL, NULL, 'q', OPT_BOOL, FIELD(quiet), 0, NULL,
     "No progress bar (it is shown only when stderr is a terminal anyway)."},
    {"monitor", NULL, NULL, 0, OPT_BOOL, FIELD(monitor), 0, NULL,
     "Device monitor: classify flows with nDPI, store fingerprints, devices and flows in DB_PATH/fingerprint.sqlite, serve the control socket (default on; --no-monitor to turn off)."},
    {"flow_log", NULL, NULL, 0, OPT_BOOL, FIELD(flow_log), 0, NULL,
     "Monitor: also store one row per finished flow (endpoints, MACs, nDPI protocol, counters, fingerprint input) in fingerprint.sqlite's flows table (default off)."},
    {"max_flows", NULL, NULL, 0, OPT_UINT, FIELD(max_flows), 1u << 26, "N",
     "Flows the monitor tracks at once, over all workers (default 262144, less when --memory requires it); when full, the least recently seen flow is ended (counted as evicted)."},
    {"flow_idle_timeout", NULL, NULL, 0, OPT_UINT, FIELD(flow_idle_timeout), 86400, "S",
     "Seconds of packet time without a packet that end a flow (default 0: 120 for UDP and other protocols, 300 for TCP; a closed TCP flow ends after 10)."},
    {"control", NULL, NULL, 0, OPT_STR, FIELD(control), 0, "PATH",
     "Unix socket answering PING, STATS, QUERY_FINGERPRINT, QUERY_FLOWS while the capture runs (default DB_PATH/control.sock; 'none': no socket). See netsift query --help."},
    {"audit_dir", "audit", NULL, 0, OPT_STR, FIELD(audit_dir), 0, "DIR",
     "Write audit records: one gzip file of length-delimited protobuf messages per record type, DIR/<Type>.ncap.gz, plus DIR/unknown.pcap, DIR/errors.pcap and DIR/errors.log (see docs/audit.md; read them with netsift dump)."},
    {"payload", NULL, NULL, 0, OPT_BOOL, FIELD(payload), 0, NULL,
     "Audit: keep each layer's payload bytes in its records (default off)."},
    {"encoders", NULL, NULL, 0, OPT_BOOL, FIELD(encoders), 0, NULL,
     "List the audit encoders (record types) and exit."},
    {"include", NULL, NULL, 0, OPT_STR, FIELD(include), 0, "A,B",
     "Audit: run only these encoders (comma-separated names from --encoders)."},
    {"exclude", NULL, NULL, 0, OPT_STR, FIELD(exclude), 0, "A,B",
     "Audit: do not run these encoders; excluding a layer also drops the records of every layer it encapsulates."},
    {"audit_compression", NULL, NULL, 0, OPT_UINT, FIELD(audit_compression), 9, "LEVEL",
     "Audit: gzip compression level, 0 (stored) to 9 (default 1: on the benchmark file 6 makes the files 11% smaller for 60% more CPU time)."},
    {"audit_max_flows", NULL, NULL, 0, OPT_UINT, FIELD(audit_max_flows), 1u << 24, "N",
     "Audit: entries per flow table (Flow and Connection: per worker; LinkFlow, NetworkFlow, TransportFlow: shared) (default 65536, less when --memory requires it); a full table writes out all its records."},
    {"audit_flow_timeout", NULL, NULL, 0, OPT_UINT, FIELD(audit_flow_timeout), 31536000, "S",
     "Audit: seconds of packet time without a packet that end a Flow or Connection record, and the fixed window of a LinkFlow, NetworkFlow or TransportFlow record (default 120)."},
    {"http", NULL, NULL, 0, OPT_BOOL, FIELD(http), 0, NULL,
     "Reassemble TCP streams and store one row per HTTP/1.x transaction in headers.sqlite's http table (default on; --no-http to turn off). See docs/streams.md."},
    {"extract_files", NULL, NULL, 0, OPT_STR, FIELD(extract_files), 0, "DIR",
     "Write every complete HTTP body (dechunked, gzip/deflate decoded) to DIR, named by the SHA-256 of its content (DIR is created if its parent exists)."},
    {"streams", NULL, NULL, 0, OPT_STR, FIELD(streams), 0, "DIR",
     "Write the reassembled bytes of each TCP connection to DIR, one file per direction named like tcpflow's (SRCIP.SRCPORT-DSTIP.DSTPORT); gaps are holes."},
    {"stream_memcap", NULL, NULL, 0, OPT_SIZE, FIELD(stream_memcap), UINT64_MAX, "SIZE",
     "Memory for TCP reassembly (connections, out-of-order data, HTTP heads), all workers together (default 64M, less when --memory requires it); when full, the least recently seen connection is ended."},
    {"stream_conn_memcap", NULL, NULL, 0, OPT_SIZE, FIELD(stream_conn_memcap), UINT32_MAX, "SIZE",
     "Out-of-order bytes buffered per connection direction (default 4M); beyond it the missing bytes are declared a gap."},
    {"stream_idle_timeout", NULL, NULL, 0, OPT_DURATION, FIELD(stream_idle_timeout), UINT32_MAX, "DURATION",
     "End a TCP connection after DURATION of packet time without a segment (default 300)."},
    {"defrag_memcap", NULL, NULL, 0, OPT_SIZE, FIELD(defrag_memcap), 1ull << 40, "SIZE",
     "Memory for IPv4 fragments waiting for the rest of their datagram (default 16M, less when --memory requires it), used when streams are reassembled (--http, --extract-files, --streams); when full, the oldest incomplete datagrams are dropped."},
    {"defrag_timeout", NULL, NULL, 0, OPT_DURATION, FIELD(defrag_timeout), UINT32_MAX, "DURATION",
     "Drop an IPv4 datagram still incomplete DURATION of packet time after its first fragment (default 60)."},
    {"queue_drop", NULL, NULL, 0, OPT_BOOL, FIELD(queue_drop), 0, NULL,
     "Lossy mode: when a worker falls behind and its queue is full, drop the frame (counted as queue_dropped in the summary and STATS) instead of making the reader wait (default off: back-pressure, so a live capture loses packets in the kernel ring instead, counted as kernel drops)."},
    {"queue_size", NULL, NULL, 0, OPT_SIZE, FIELD(queue_size), 1ull << 30, "SIZE",
     "Bytes of each worker's queue of captured frames (default 4M, at least 256K; used with more than one worker, or when reading a pipe)."},
    {"community_id_seed", NULL, NULL, 0, OPT_UINT, FIELD(community_id_seed), 65535, "N",
     "Seed (0-65535, default 0) of the Community ID v1 flow hash stored in the community_id columns; use the seed your Zeek/Suricata sensors use. See docs/interop.md."},
};
#define NOPTIONS (sizeof options / sizeof options[0])

void conf_defaults(struct netsift_conf *c)
{
    memset(c, 0, sizeof *c);
    c->promiscuous = true;
    c->immediate = false;
    c->buffer_timeout = 1000;
    c->buffer_size = 32768;
    c->process_interval = 1000;
    c->db_write = true;
    snprintf(c->db_path, sizeof c->db_path, "netsift-db");
    c->db_sync_port = 5432;
    c->snaplen = 262144;
    c->batch_rows = 200000;
    c->cache_mib = 32;
    c->memory = 256ull << 20;
    c->headers_batch_memory = 96ull << 20;
    c->meta_batch_memory = 24ull << 20;
    c->monitor = true;
    c->max_flows = 262144;
    snprintf(c->synchronous, sizeof c->synchronous, "normal");
    c->pcap_rotate_size = 64ull << 20;
    c->queue_size = 4ull << 20;
    c->pcap_rotate_time = 300;
    c->audit_compression = 1;
    c->audit_max_flows = 65536;
    c->audit_flow_timeout = 120;
    c->http = true;
    c->stream_memcap = 64ull << 20;
    c->stream_conn_memcap = 4ull << 20;
    c->stream_idle_timeout = 300;
    c->defrag_memcap = 16ull << 20;
    c->defrag_timeout = 60;
}

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const struct option_def *find_key(const char *key)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (strcmp(options[i].key, key) == 0 ||
            (options[i].alias && strcmp(options[i].alias, key) == 0))
            return &options[i];
    return NULL;
}

int conf_parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return *out = true, 0;
        if (strcasecmp(v, no[i]) == 0)
            return *out = false, 0;
    }
    return -1;
}

struct unit {
    const char *suffix;
    uint64_t mult;
};

static const struct unit size_units[] = {
    {"", 1},           {"B", 1},          {"K", 1ull << 10}, {"KB", 1ull << 10},
    {"KiB", 1ull << 10}, {"M", 1ull << 20}, {"MB", 1ull << 20}, {"MiB", 1ull << 20},
    {"G", 1ull << 30}, {"GB", 1ull << 30}, {"GiB", 1ull << 30}, {"T", 1ull << 40},
    {"TB", 1ull << 40}, {"TiB", 1ull << 40}, {NULL, 0},
};

static const struct unit no_units[] = {{"", 1}, {NULL, 0}};

static const struct unit duration_units[] = {
    {"", 1}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}, {NULL, 0},
};

/* A whole number followed by one of units' suffixes (any case). */
static int parse_scaled(const char *text, const struct unit *units, uint64_t *out)
{
    char *end;
    if (!isdigit((unsigned char)text[0]))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno)
        return -1;
    const struct unit *u = units;
    while (u->suffix && strcasecmp(end, u->suffix) != 0)
        u++;
    if (!u->suffix || v > UINT64_MAX / u->mult)
        return -1;
    *out = (uint64_t)v * u->mult;
    return 0;
}

int conf_parse_size(const char *text, uint64_t *out)
{
    return parse_scaled(text, size_units, out);
}

int conf_parse_duration(const char *text, uint64_t *out)
{
    return parse_scaled(text, duration_units, out);
}

/* An integer option's value: its parser, the table's maximum, the field's
 * width. */
static int set_number(const struct option_def *o, char *field, const char *value, char *err,
                      size_t errlen)
{
    static const char *const what[] = {
        [OPT_UINT] = "a whole number",
        [OPT_SIZE] = "a size (a whole number of bytes, optional suffix K, M, G or T)",
        [OPT_DURATION] = "a duration (whole seconds, optional suffix s, m, h or d)",
    };
    const struct unit *units = o->type == OPT_SIZE       ? size_units
                               : o->type == OPT_DURATION ? duration_units
                                                         : no_units;
    uint64_t v;
    if (parse_scaled(value, units, &v) != 0 || v > o->max) {
        fail(err, errlen, "%s: '%s' is not %s from 0 to %llu", o->key, value, what[o->type],
             (unsigned long long)o->max);
        return -1;
    }
    if (o->size == sizeof(uint64_t))
        *(uint64_t *)field = v;
    else
        *(uint32_t *)field = (uint32_t)v;
    return 0;
}

_Static_assert(NOPTIONS <= 64 * sizeof(((struct netsift_conf *)0)->given) / sizeof(uint64_t),
               "struct netsift_conf's given bits cannot cover every option");

bool conf_given(const struct netsift_conf *c, const char *key)
{
    const struct option_def *o = find_key(key);
    size_t i = o ? (size_t)(o - options) : 0;
    return o && (c->given[i / 64] >> (i % 64) & 1);
}

static int set_value(struct netsift_conf *c, const struct option_def *o, const char *value,
                     char *err, size_t errlen)
{
    char *field = (char *)c + o->offset;
    size_t i = (size_t)(o - options);
    c->given[i / 64] |= 1ull << (i % 64);
    switch (o->type) {
    case OPT_BOOL:
        if (conf_parse_bool(value, (bool *)field) != 0) {
            fail(err, errlen, "%s: '%s' is not a boolean (use true/false, yes/no, on/off, 1/0)",
                 o->key, value);
            return -1;
        }
        return 0;
    case OPT_UINT:
    case OPT_SIZE:
    case OPT_DURATION:
        return set_number(o, field, value, err, errlen);
    case OPT_STR:
        if (strlen(value) >= o->size) {
            fail(err, errlen, "%s: value is too long (at most %zu bytes)", o->key, o->size - 1);
            return -1;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    }
    return -1;
}

int conf_set(struct netsift_conf *c, const char *key, const char *value, char *err, size_t errlen)
{
    const struct option_def *o = find_key(key);
    if (!o) {
        fail(err, errlen, "unknown key '%s'", key);
        return -1;
    }
    return set_value(c, o, value, err, errlen);
}

static int load_key(void *arg, const char *section, const char *key, const char *value,
                    unsigned line, char *why, size_t whylen)
{
    (void)section, (void)line; /* netsift.conf's sections are only headings */
    return conf_set(arg, key, value, why, whylen);
}

int conf_load_file(struct netsift_conf *c, const char *path, char *err, size_t errlen)
{
    static const struct ini_handlers handlers = {.section = NULL, .key = load_key};
    char why[8192], *text;
    size_t len;
    if (ini_read_file(path, &text, &len, why, sizeof why) != 0) {
        fail(err, errlen, "cannot open configuration file %s", why);
        return -1;
    }
    int rc = ini_parse(text, len, path, &handlers, c, why, sizeof why);
    free(text);
    if (rc != 0)
        fail(err, errlen, "%s", why);
    return rc;
}

static void flag_name(const struct option_def *o, char *buf, size_t size)
{
    snprintf(buf, size, "%s", o->flag ? o->flag : o->key);
    for (char *p = buf; *p; p++)
        if (*p == '_')
            *p = '-';
}

/* Validate combinations once every source has been applied. */
static int conf_check(struct netsift_conf *c, char *err, size_t errlen)
{
    if (c->interface[0] && c->read_file[0]) {
        fail(err, errlen, "give either -i IFACE or -r FILE, not both");
        return -1;
    }
    if (!c->interface[0] && !c->read_file[0] && !c->encoders) {
        fail(err, errlen, "nothing to capture: give -i IFACE or -r FILE (see --help)");
        return -1;
    }
    static const char *const modes[] = {"off", "normal", "full"};
    bool known = false;
    for (int i = 0; i < 3; i++)
        known |= strcasecmp(c->synchronous, modes[i]) == 0;
    if (!known) {
        fail(err, errlen, "synchronous: '%s' is not one of off, normal, full", c->synchronous);
        return -1;
    }
    if (c->batch_rows == 0 || c->process_interval == 0 || c->snaplen == 0) {
        fail(err, errlen, "batch_rows, process_interval and snaplen must be greater than 0");
        return -1;
    }
    if (c->memory && c->memory < (32u << 20)) {
        fail(err, errlen, "memory must be 0 (no budget) or at least 32M");
        return -1;
    }
    if (c->queue_size < (256u << 10)) {
        fail(err, errlen, "queue_size must be at least 256K (a frame of up to 64 KiB must fit)");
        return -1;
    }
    if (c->pcap_rotate_size < 1024 || c->pcap_rotate_time == 0) {
        fail(err, errlen, "pcap_rotate_size must be at least 1K and pcap_rotate_time at least 1s");
        return -1;
    }
    /* headers.sqlite is rotated on a live interface by default, like Zeek's
     * logs: a capture that runs for weeks keeps each file small enough to
     * stay fast (bench/README.md, "Growth"); a file read goes to one */
    if (!conf_given(c, "db_rotate_size") && c->interface[0])
        c->db_rotate_size = CONF_DB_ROTATE_SIZE_LIVE;
    if (!conf_given(c, "db_rotate_time") && c->interface[0])
        c->db_rotate_time = CONF_DB_ROTATE_TIME_LIVE;
    if (c->db_rotate_size && c->db_rotate_size < (64u << 10)) {
        fail(err, errlen, "db_rotate_size must be 0 (never) or at least 64K");
        return -1;
    }
    return 0;
}

/* An option of the table: in the list `only` (NULL: every option)? */
static bool listed(const struct option_def *o, const char *const *only)
{
    for (; only && *only; only++)
        if (strcmp(*only, o->key) == 0)
            return true;
    return !only;
}

/* Has it a command-line flag in this subcommand? */
static bool offered(const struct option_def *o, const char *const *only)
{
    return listed(o, only) && !(o->flag && !o->flag[0]);
}

/* The command line: the options of `only` (NULL: all, trailing arguments
 * form the filter, the capture's checks apply). */
static int parse_args(struct netsift_conf *c, int argc, char **argv, const char *const *only,
                      void (*usage)(FILE *f), char *err, size_t errlen)
{
    /* long options: every key, "no-" forms of booleans, config and help */
    struct option longopts[2 * NOPTIONS + 3];
    char names[2 * NOPTIONS][64], shortopts[4 * NOPTIONS + 8];
    size_t n = 0, s = 0;
    shortopts[s++] = ':';
    for (size_t i = 0; i < NOPTIONS; i++) {
        const struct option_def *o = &options[i];
        char base[48];
        if (!offered(o, only))
            continue;
        flag_name(o, base, sizeof base);
        snprintf(names[2 * i], sizeof names[0], "%s", base);
        longopts[n++] = (struct option){names[2 * i], o->type == OPT_BOOL ? no_argument
                                                                           : required_argument,
                                        NULL, 256 + (int)(2 * i)};
        if (o->type == OPT_BOOL) {
            snprintf(names[2 * i + 1], sizeof names[0], "no-%s", base);
            longopts[n++] = (struct option){names[2 * i + 1], no_argument, NULL, 257 + (int)(2 * i)};
        }
        if (o->short_flag) {
            shortopts[s++] = o->short_flag;
            if (o->type != OPT_BOOL)
                shortopts[s++] = ':';
        }
    }
    longopts[n++] = (struct option){"config", required_argument, NULL, 'c'};
    longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[n] = (struct option){NULL, 0, NULL, 0};
    memcpy(shortopts + s, "c:h", 4);

    /* the configuration file first, so that flags override it */
    opterr = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (ch == 'h') {
            usage(stdout);
            return 1;
        }
        if (ch == 'c') {
            snprintf(c->config_file, sizeof c->config_file, "%s", optarg);
            if (conf_load_file(c, optarg, err, errlen) != 0)
                return -1;
        }
    }
    optind = 1;
    while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        const struct option_def *o = NULL;
        const char *value = optarg;
        if (ch == 'c' || ch == 'h')
            continue;
        if (ch == '?' || ch == ':') {
            if (optopt && optopt < 256)
                fail(err, errlen, ch == ':' ? "option -%c needs a value" : "unknown option -%c",
                     optopt);
            else /* the name only: "--x=VALUE" may carry a secret */
                fail(err, errlen, ch == ':' ? "option %.*s needs a value" : "unknown option %.*s",
                     (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
            return -1;
        }
        if (ch >= 256) {
            o = &options[(ch - 256) / 2];
            if (o->type == OPT_BOOL)
                value = (ch - 256) % 2 ? "false" : "true";
        } else {
            for (size_t i = 0; i < NOPTIONS; i++)
                if (options[i].short_flag == ch)
                    o = &options[i];
            if (o && o->type == OPT_BOOL)
                value = "true";
        }
        char why[512];
        if (!o || set_value(c, o, value, why, sizeof why) != 0) {
            fail(err, errlen, "%s", o ? why : "unknown option");
            return -1;
        }
    }
    if (only && optind < argc) {
        fail(err, errlen, "unexpected argument '%s'", argv[optind]);
        return -1;
    }
    /* trailing arguments form the filter, as with tcpdump */
    if (optind < argc) {
        if (c->filter[0]) {
            fail(err, errlen, "filter given twice: with -f and as trailing arguments");
            return -1;
        }
        size_t used = 0;
        for (int i = optind; i < argc; i++) {
            int w = snprintf(c->filter + used, sizeof c->filter - used, "%s%s", i > optind ? " " : "",
                             argv[i]);
            if (w < 0 || (size_t)w >= sizeof c->filter - used) {
                fail(err, errlen, "filter expression is too long");
                return -1;
            }
            used += (size_t)w;
        }
    }
    return only ? 0 : conf_check(c, err, errlen);
}

int conf_parse_capture_args(struct netsift_conf *c, int argc, char **argv, char *err,
                            size_t errlen)
{
    return parse_args(c, argc, argv, NULL, conf_print_capture_usage, err, errlen);
}

int conf_parse_args(struct netsift_conf *c, int argc, char **argv, const char *const *only,
                    void (*usage)(FILE *f), char *err, size_t errlen)
{
    static const char *const none[] = {NULL};
    return parse_args(c, argc, argv, only ? only : none, usage, err, errlen);
}

void conf_print_options(FILE *f, const char *const *only)
{
    for (size_t i = 0; i < NOPTIONS; i++) {
        const struct option_def *o = &options[i];
        char name[64], left[160];
        if (!listed(o, only))
            continue;
        flag_name(o, name, sizeof name);
        if (!offered(o, only))
            snprintf(left, sizeof left, "%s = %s  (configuration file only)", o->key, o->arg);
        else if (o->type == OPT_BOOL)
            snprintf(left, sizeof left, "%s%c%s--%s, --no-%s", o->short_flag ? "-" : "",
                     o->short_flag ? o->short_flag : ' ', o->short_flag ? ", " : "", name, name);
        else
            snprintf(left, sizeof left, "%s%c%s--%s %s", o->short_flag ? "-" : "",
                     o->short_flag ? o->short_flag : ' ', o->short_flag ? ", " : "", name, o->arg);
        fprintf(f, "    %s\n        %s  [file key: %s]\n", left[0] == ' ' ? left + 1 : left,
                o->help, o->key);
    }
}

void conf_print_capture_usage(FILE *f)
{
    fprintf(f,
            "NAME\n"
            "    netsift capture - capture packets, decode every layer once, store headers in SQLite\n\n"
            "SYNOPSIS\n"
            "    netsift capture -i IFACE [options] [BPF expression]\n"
            "    netsift capture -r FILE  [options] [BPF expression]\n\n"
            "DESCRIPTION\n"
            "    Reads packets live from an interface or from a pcap/pcapng file, decodes\n"
            "    Ethernet, 802.1Q/802.1ad, Linux cooked (v1, v2), raw IP and BSD loopback\n"
            "    frames down through ARP, IPv4, IPv6 (extension headers), TCP, UDP, ICMP,\n"
            "    ICMPv6, DNS, mDNS and DHCP, and stores one row per header in the tables of\n"
            "    DB_PATH/headers.sqlite (see docs/schema.md).  At the end it prints a\n"
            "    summary: packets read, decoded per protocol, rows stored per table,\n"
            "    frames merged into an existing row (same key: the row's frames column\n"
            "    counts them), truncated and malformed headers, kernel drops, rate.\n"
            "    The device monitor (on unless --no-monitor) names every flow's protocol\n"
            "    with nDPI, fingerprints devices into DB_PATH/fingerprint.sqlite and serves\n"
            "    the control socket (docs/fingerprints.md, docs/control.md, netsift query).\n"
            "    With --audit DIR it also writes audit records: one gzip file of protobuf\n"
            "    messages per protocol and flow type, DIR/<Type>.ncap.gz, with unknown and\n"
            "    malformed packets in DIR/unknown.pcap, errors.pcap and errors.log\n"
            "    (docs/audit.md; print them with netsift dump).\n"
            "    SIGINT or SIGTERM stops the capture: the current batch is committed and the\n"
            "    summary printed.  SIGUSR1 prints kernel drop counters without stopping.\n\n"
            "OPTIONS\n"
            "    -c, --config FILE\n"
            "        Read options from an INI file (key = value, one per line; keys are the\n"
            "        names below with '_', e.g. db_path = /var/lib/netsift).  Flags override it.\n");
    conf_print_options(f, NULL);
    fprintf(f,
            "    -h, --help\n        Show this text.\n\n"
            "EXIT STATUS\n"
            "    0 success; 1 a runtime failure (unreadable or truncated capture file, database\n"
            "    error, interface failure; what was decoded before it is committed); 2 a usage\n"
            "    or configuration error (nothing was captured).\n\n"
            "EXAMPLES\n"
            "    netsift capture -r trace.pcap -d /tmp/db\n"
            "    netsift capture -i eth0 -d /var/lib/netsift 'udp port 53 or port 67'\n"
            "    netsift capture -c /etc/netsift.conf --count 100000 --json\n"
            "    netsift capture -r trace.pcap --no-db-write --no-monitor --audit /tmp/audit\n");
}

unsigned conf_cache_mib(const struct netsift_conf *c, enum conf_database db)
{
    /* a quarter of the budget each for the raw index and the monitor, at
     * most 16 MiB, at least 1; headers.sqlite the rest */
    unsigned side_cache = c->cache_mib / 4 > 16 ? 16 : c->cache_mib / 4 ? (unsigned)(c->cache_mib / 4) : 1;
    if (db != CONF_DB_HEADERS)
        return side_cache;
    unsigned others = (c->file_write ? side_cache : 0) + (c->monitor ? side_cache : 0);
    return c->cache_mib > others ? (unsigned)(c->cache_mib - others) : 1;
}

unsigned conf_cache_total_mib(const struct netsift_conf *c)
{
    return (c->db_write ? conf_cache_mib(c, CONF_DB_HEADERS) : 0) +
           (c->file_write ? conf_cache_mib(c, CONF_DB_RAW_INDEX) : 0) +
           (c->monitor ? conf_cache_mib(c, CONF_DB_MONITOR) : 0);
}
