/*
 * pcap_index.c - the tables of pcap-meta.sqlite, the names of pcap files,
 * and the index's housekeeping: recovery after a crash and retention (see
 * pcap_index.h and pcap_store.h).
 *
 * The rows of one file are found through the primary-key index: a file's
 * ids all start with its UUID and a ':', so they lie between "<uuid>:"
 * and "<uuid>;" (';' follows ':' in ASCII).
 */
#define _GNU_SOURCE
#include "pcap_index.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../db/sqlite_writer.h"
#include "pcap_store.h"

/* ---- the tables ---------------------------------------------------- */

#define MCOL(name, kind, field, doc) {name, kind, offsetof(struct meta_record, field), 0, -1, doc}
#define MCOL_IF(name, kind, field, cond, doc) \
    {name, kind, offsetof(struct meta_record, field), 0, (int)offsetof(struct meta_record, cond), doc}
#define FCOL(name, kind, field, doc) {name, kind, offsetof(struct file_record, field), 0, -1, doc}

static const struct column meta_cols[] = {
    MCOL("id", COL_STR, id, "`<uuid>:<n>`: the file's UUID and the packet's number in that file, from 1, zero-padded to 10 digits (ids sort in file order); unique per packet"),
    MCOL("timestamp", COL_U64, timestamp, "capture time, microseconds since the Unix epoch"),
    MCOL("name", COL_STR, name, "the pcap file holding the packet, `<uuid>.pcap` in DB_PATH/pcap/"),
    MCOL("interface", COL_STR, interface, "the interface captured (-i), or the name of the file read (-r; its last path component)"),
    MCOL("filter", COL_STR, filter, "the capture's BPF expression, '' when none"),
    MCOL("caplen", COL_U32, caplen, "bytes captured of the frame (the record's data in the file)"),
    MCOL("length", COL_U32, length, "bytes of the frame on the wire"),
    MCOL("file_offset", COL_U64, offset, "byte offset in the file of the packet's 16-byte pcap record header; its data follow it"),
    MCOL_IF("ethh_hash", COL_U32, ethh_hash, has_eth, "XXH32 of the link-layer header, as headers.sqlite: `JOIN eth ON eth.hash = meta.ethh_hash AND eth.timestamp = meta.timestamp`; NULL when the link type is not decoded"),
    MCOL("src_mac", COL_HWADDR, src_mac, "source MAC (Linux cooked: the sender's link address), NULL when none"),
    MCOL("dst_mac", COL_HWADDR, dst_mac, "destination MAC, NULL when none"),
    MCOL("src_ip", COL_ADDR, src_ip, "source address of the first (outer) IPv4 or IPv6 header, NULL when none"),
    MCOL("dst_ip", COL_ADDR, dst_ip, "destination address of that header, NULL when none"),
    MCOL_IF("ip_proto", COL_U8, ip_proto, has_ip, "protocol after that header (6 TCP, 17 UDP, ...; IPv6: after the extension headers), NULL without IP"),
    MCOL_IF("src_port", COL_U16, src_port, has_ports, "TCP or UDP source port, NULL otherwise"),
    MCOL_IF("dst_port", COL_U16, dst_port, has_ports, "TCP or UDP destination port, NULL otherwise"),
    MCOL("frame", COL_U64, frame, "the packet's number in the capture, from 1, as the `frame` column of headers.sqlite: (timestamp, ethh_hash, frame) joins a header row to its packet"),
    MCOL("community_id", COL_STR, community_id, "Community ID v1 of the packet's flow (as the tcp/udp/icmp4/icmp6 tables; SCTP too), NULL without IP or when the transport header is missing; see docs/interop.md"),
};

static const struct column files_cols[] = {
    FCOL("name", COL_STR, name, "`<uuid>.pcap`, a file in DB_PATH/pcap/ (a random version 4 UUID)"),
    FCOL("worker", COL_U32, worker, "the capture worker that wrote it (each worker writes its own file)"),
    FCOL("linktype", COL_U32, linktype, "libpcap DLT_* link type of its packets"),
    FCOL("snaplen", COL_U32, snaplen, "snapshot length in its pcap header"),
    FCOL("opened", COL_U64, opened, "wall-clock time it was created, microseconds since the epoch"),
    FCOL("first_ts", COL_U64, first_ts, "oldest timestamp of its indexed packets"),
    FCOL("last_ts", COL_U64, last_ts, "newest timestamp of its indexed packets"),
    FCOL("bytes", COL_U64, bytes, "bytes of the file its rows cover, pcap header included: the file's size once closed"),
    FCOL("packets", COL_U64, packets, "packets indexed (rows in meta)"),
    FCOL("closed", COL_BOOL, closed, "1 once no more packets will be written to it"),
    FCOL("deleting", COL_BOOL, deleting, "1 while retention removes it (extract skips it)"),
};

const struct table_schema pcap_meta_tables[PCAP_T_COUNT] = {
    [PCAP_T_META] = {.name = "meta",
                     .doc = "one row per stored packet: where it is and what it is. Read a packet "
                            "by opening DB_PATH/pcap/`name`, seeking to `file_offset` and reading "
                            "the 16-byte record header and `caplen` bytes",
                     .cols = meta_cols,
                     .ncols = sizeof meta_cols / sizeof meta_cols[0],
                     .nspec = 7,
                     .primary_key = "id, timestamp, interface",
                     .not_null_mask = 1u << 1,
                     .index = "timestamp"},
    [PCAP_T_FILES] = {.name = "files",
                      .doc = "one row per pcap file: its state. A file not `closed` is being "
                             "written (or was, when a capture was killed: the next capture trims "
                             "and closes it)",
                      .cols = files_cols,
                      .ncols = sizeof files_cols / sizeof files_cols[0],
                      .primary_key = "name",
                      .not_null_mask = 1u,
                      .replace = true},
};

const struct database_schema pcap_meta_database = {
    PCAP_META_DB,
    "The raw packet store's index (`netsift capture --file-write`). Every captured packet is "
    "appended to a pcap file in DB_PATH/pcap/; each worker writes its own file, named by a random "
    "UUID, and starts a new one by size (--pcap-rotate-size) and time (--pcap-rotate-time). The "
    "`meta` table is the specification's, its columns first and in its order, then netsift's "
    "additions; `files` is netsift's. A worker writes a file's bytes out before the rows that "
    "point into them are committed, so every row points at bytes its file holds; after a crash "
    "the next capture trims the files left open to their last indexed record and closes them. "
    "Retention (--pcap-max-size, --pcap-max-age) removes the oldest closed files with their rows. "
    "`netsift extract` reads packets back by query. See docs/raw-store.md.",
    pcap_meta_tables,
    PCAP_T_COUNT,
};

/* ---- names --------------------------------------------------------- */

bool pcap_name_valid(const char *name)
{
    for (int i = 0; i < PCAP_UUID_LEN; i++) {
        char ch = name[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? ch != '-' : !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return false;
    }
    return strcmp(name + PCAP_UUID_LEN, ".pcap") == 0;
}

void pcap_uuid_format(const uint8_t bytes[16], char out[PCAP_UUID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t b[16];
    memcpy(b, bytes, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10xx */
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
}

int pcap_uuid_new(char out[PCAP_UUID_LEN + 1])
{
    uint8_t b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return -1;
    pcap_uuid_format(b, out);
    return 0;
}

/* ---- SQL on the rows of one file ----------------------------------- */

/* Prepare sql and bind the parameters every statement here uses: ?1 and
 * ?2 bound the ids of the file's rows, ?3 is its name, ?4 a number.
 * (Binding a parameter a statement lacks is a harmless SQLITE_RANGE.) */
static sqlite3_stmt *file_stmt(sqlite3 *db, const char *sql, const char *name, int64_t n)
{
    sqlite3_stmt *st;
    char lo[PCAP_UUID_LEN + 2], hi[PCAP_UUID_LEN + 2];
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    snprintf(lo, sizeof lo, "%.*s:", PCAP_UUID_LEN, name);
    snprintf(hi, sizeof hi, "%.*s;", PCAP_UUID_LEN, name);
    sqlite3_bind_text(st, 1, lo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, hi, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, n);
    return st;
}

/* Run a statement on one file's rows; the rows it changed, or -1. */
static int64_t file_exec(sqlite3 *db, const char *sql, const char *name, int64_t n)
{
    sqlite3_stmt *st = file_stmt(db, sql, name, n);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? sqlite3_changes(db) : -1;
}

/* First row of a query on one file: up to n integers into out.  1 when
 * there was a row, 0 when none, -1 on error. */
static int file_query(sqlite3 *db, const char *sql, const char *name, int64_t *out, int n)
{
    sqlite3_stmt *st = file_stmt(db, sql, name, 0);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    for (int i = 0; rc == SQLITE_ROW && i < n; i++)
        out[i] = sqlite3_column_int64(st, i);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static const char DELETE_ROWS[] = "DELETE FROM meta WHERE id >= ?1 AND id < ?2";
static const char DELETE_ENTRY[] = "DELETE FROM files WHERE name = ?3";

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static void file_path(const char *dir, const char *name, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", dir, name);
}

/* Unlink a store file; a file already gone is fine. */
static int remove_path(const char *path)
{
    return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* Delete a file's rows and entry.  The rows deleted, or -1. */
static int64_t forget_file(sqlite3 *db, const char *name)
{
    int64_t rows = file_exec(db, DELETE_ROWS, name, 0);
    if (rows < 0 || file_exec(db, DELETE_ENTRY, name, 0) < 0)
        return -1;
    return rows;
}

/* ---- recovery ------------------------------------------------------ */

/* Size of a file that starts with a pcap header, or -1. */
static int64_t pcap_file_size(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    uint8_t h[4];
    struct stat st;
    int64_t size = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= PCAP_FILE_HDR &&
        read(fd, h, sizeof h) == (ssize_t)sizeof h) {
        uint32_t magic = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 |
                         (uint32_t)h[3] << 24;
        if (magic == 0xa1b2c3d4u || magic == 0xd4c3b2a1u)
            size = st.st_size;
    }
    close(fd);
    return size;
}

/* Make one file a crash left open consistent and closed: drop the rows
 * past its end, cut it after its last indexed record, mark it closed (or
 * remove it when no row is left).  Inside the caller's transaction. */
static int recover_file(sqlite3 *db, const char *dir, const char *name, struct pcap_recovery *r)
{
    char path[4200];
    file_path(dir, name, path, sizeof path);
    int64_t size = pcap_file_size(path), dropped, v[2] = {0, 0};
    dropped = file_exec(db,
                        "DELETE FROM meta WHERE id >= ?1 AND id < ?2 AND "
                        "(file_offset < 24 OR file_offset + 16 + caplen > ?4)",
                        name, size < 0 ? 0 : size);
    if (dropped < 0 ||
        file_exec(db,
                  "UPDATE files SET closed = 1, deleting = 0,"
                  " packets = (SELECT count(*) FROM meta WHERE id >= ?1 AND id < ?2),"
                  " bytes = (SELECT max(file_offset + 16 + caplen) FROM meta WHERE id >= ?1 AND id < ?2),"
                  " first_ts = (SELECT min(timestamp) FROM meta WHERE id >= ?1 AND id < ?2),"
                  " last_ts = (SELECT max(timestamp) FROM meta WHERE id >= ?1 AND id < ?2)"
                  " WHERE name = ?3",
                  name, 0) < 0 ||
        file_query(db, "SELECT packets, coalesce(bytes, 0) FROM files WHERE name = ?3", name, v,
                   2) < 0)
        return -1;
    r->rows_dropped += (uint64_t)dropped;
    if (v[0] == 0) { /* nothing usable: the file goes */
        r->files_removed++;
        return file_exec(db, DELETE_ENTRY, name, 0) < 0 || remove_path(path) != 0 ? -1 : 0;
    }
    if (size > v[1]) {
        if (truncate(path, v[1]) != 0)
            return -1;
        r->bytes_trimmed += (uint64_t)(size - v[1]);
    }
    r->files_closed++;
    return 0;
}

/* Finish a removal retention began: the file goes, then its rows. */
static int finish_deletion(sqlite3 *db, const char *dir, const char *name, struct pcap_recovery *r)
{
    char path[4200];
    file_path(dir, name, path, sizeof path);
    if (remove_path(path) != 0 || forget_file(db, name) < 0)
        return -1;
    r->deletions_finished++;
    return 0;
}

typedef int (*file_fn)(sqlite3 *db, const char *dir, const char *name, struct pcap_recovery *r);

/* Apply fn to every file the query lists, each in its own transaction. */
static int each_file(sqlite3 *db, const char *sql, const char *dir, file_fn fn,
                     struct pcap_recovery *r, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "pcap index: %s", sqlite3_errmsg(db));
        return -1;
    }
    /* collect first: the callbacks change the table being read */
    char (*names)[PCAP_NAME_LEN + 1] = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (!name || !pcap_name_valid(name))
            continue; /* never a path: not a name the store makes */
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            void *p = realloc(names, cap * sizeof *names);
            if (!p)
                rc = -1;
            else
                names = p;
        }
        if (rc == 0)
            memcpy(names[n++], name, PCAP_NAME_LEN + 1);
    }
    sqlite3_finalize(st);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = exec(db, "BEGIN IMMEDIATE");
        if (rc == 0 && (rc = fn(db, dir, names[i], r)) == 0)
            rc = exec(db, "COMMIT");
        if (rc != 0) {
            snprintf(err, errlen, "pcap file '%s/%s': cannot recover: %s", dir, names[i],
                     errno ? strerror(errno) : sqlite3_errmsg(db));
            exec(db, "ROLLBACK");
        }
    }
    free(names);
    return rc;
}

/* Remove store files (UUID names) the index does not list. */
static int remove_orphans(sqlite3 *db, const char *dir, struct pcap_recovery *r)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = 0;
    int64_t known;
    while (rc == 0 && (e = readdir(d))) {
        if (!pcap_name_valid(e->d_name))
            continue;
        int q = file_query(db, "SELECT 1 FROM files WHERE name = ?3", e->d_name, &known, 1);
        if (q < 0) {
            rc = -1;
        } else if (q == 0) {
            char path[4200];
            file_path(dir, e->d_name, path, sizeof path);
            rc = remove_path(path);
            r->files_removed++;
        }
    }
    closedir(d);
    return rc;
}

/* Store files in dir. */
static size_t count_store_files(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += pcap_name_valid(e->d_name);
    closedir(d);
    return n;
}

int pcap_index_recover(const char *db_file, const char *dir, struct pcap_recovery *r, char *err,
                       size_t errlen)
{
    sqlite3 *db = NULL;
    bool have_db = false;
    if (access(db_file, F_OK) == 0 &&
        sqlite3_open_v2(db_file, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        int64_t one = 0;
        have_db = file_query(db, "SELECT 1 FROM sqlite_master WHERE name = 'files'", "", &one,
                             1) == 1;
    }
    int rc = 0;
    for (size_t t = 0; have_db && rc == 0 && t < PCAP_T_COUNT; t++) {
        char why[512];
        int foreign = db_table_foreign(db, &pcap_meta_tables[t], why, sizeof why);
        if (foreign != 0) { /* recovery would change it (and the files it names) */
            snprintf(err, errlen,
                     foreign > 0 ? "database '%s' is not netsift's (%s); netsift changes nothing in "
                                   "it: move it away or give another --db-path"
                                 : "database '%s': cannot read its tables: %s",
                     db_file, foreign > 0 ? why : sqlite3_errmsg(db));
            rc = -1;
        }
    }
    if (rc != 0) {
        /* refused above */
    } else if (!have_db) {
        size_t n = count_store_files(dir);
        if (n) {
            snprintf(err, errlen,
                     "'%s' holds %zu pcap files but their index '%s' is missing or unreadable; "
                     "move them away or restore the index",
                     dir, n, db_file);
            rc = -1;
        }
    } else {
        errno = 0;
        rc = each_file(db, "SELECT name FROM files WHERE deleting = 1", dir, finish_deletion, r,
                       err, errlen);
        if (rc == 0)
            rc = each_file(db, "SELECT name FROM files WHERE closed = 0", dir, recover_file, r,
                           err, errlen);
        if (rc == 0 && remove_orphans(db, dir, r) != 0) {
            snprintf(err, errlen, "pcap folder '%s': cannot remove unindexed files: %s", dir,
                     errno ? strerror(errno) : sqlite3_errmsg(db));
            rc = -1;
        }
    }
    if (db && sqlite3_close(db) != SQLITE_OK && rc == 0) {
        snprintf(err, errlen, "database '%s': cannot close after recovery", db_file);
        rc = -1;
    }
    return rc;
}

/* ---- retention ----------------------------------------------------- */

static int64_t clamp64(uint64_t v)
{
    return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* The oldest closed file over a limit: 1 with its name and size, 0 when
 * none, -1 on error. */
static int next_victim(sqlite3 *db, const struct pcap_retention *r, char *name, int64_t *bytes,
                       int64_t *packets)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT name, bytes, packets FROM files"
                           " WHERE closed = 1 AND deleting = 0 AND ("
                           "  (?1 > 0 AND (SELECT total(bytes) FROM files) > ?1) OR"
                           "  (?2 > 0 AND last_ts < (SELECT max(last_ts) FROM files) - ?2))"
                           " ORDER BY first_ts, opened, name LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, clamp64(r->max_size));
    sqlite3_bind_int64(st, 2, clamp64(r->max_age_us));
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        const char *n = (const char *)sqlite3_column_text(st, 0);
        if (n && pcap_name_valid(n)) {
            memcpy(name, n, PCAP_NAME_LEN + 1);
            *bytes = sqlite3_column_int64(st, 1);
            *packets = sqlite3_column_int64(st, 2);
            found = 1;
        } else {
            found = -1; /* a name the store never makes: stop rather than guess */
        }
    } else if (rc != SQLITE_DONE) {
        found = -1;
    }
    sqlite3_finalize(st);
    return found;
}

/* Run sql on one file's rows as a transaction of its own. */
static int file_txn(sqlite3 *db, const char *sql1, const char *sql2, const char *name)
{
    if (exec(db, "BEGIN IMMEDIATE") != 0)
        return -1;
    if (file_exec(db, sql1, name, 0) < 0 || (sql2 && file_exec(db, sql2, name, 0) < 0) ||
        exec(db, "COMMIT") != 0) {
        exec(db, "ROLLBACK");
        return -1;
    }
    return 0;
}

static int remove_file(sqlite3 *db, struct pcap_retention *r, const char *name)
{
    char path[4200];
    file_path(r->dir, name, path, sizeof path);
    if (file_txn(db, "UPDATE files SET deleting = 1 WHERE name = ?3", NULL, name) != 0) {
        snprintf(r->error, sizeof r->error, "cannot mark '%s' for removal: %s", path,
                 sqlite3_errmsg(db));
        return -1;
    }
    if (remove_path(path) != 0) {
        snprintf(r->error, sizeof r->error, "cannot remove '%s': %s", path, strerror(errno));
        return -1;
    }
    if (file_txn(db, DELETE_ROWS, DELETE_ENTRY, name) != 0) {
        snprintf(r->error, sizeof r->error, "cannot delete the rows of '%s': %s", path,
                 sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

int pcap_index_retain(sqlite3 *db, struct pcap_retention *r)
{
    if (r->error[0])
        return -1;
    if (!r->max_size && !r->max_age_us)
        return 0;
    for (;;) {
        char name[PCAP_NAME_LEN + 1];
        int64_t bytes = 0, packets = 0;
        int found = next_victim(db, r, name, &bytes, &packets);
        if (found == 0)
            return 0;
        if (found < 0) {
            snprintf(r->error, sizeof r->error, "cannot choose files to remove: %s",
                     sqlite3_errmsg(db));
            return -1;
        }
        if (remove_file(db, r, name) != 0)
            return -1;
        r->files_removed++;
        r->bytes_removed += (uint64_t)bytes;
        r->packets_removed += (uint64_t)packets;
    }
}
