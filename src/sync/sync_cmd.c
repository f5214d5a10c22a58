/*
 * sync_cmd.c - `netsift sync`: push every row PostgreSQL does not have
 * yet, then exit; `--status` prints, per target, database and table, the
 * local rows, the position, the rows pushed, the rows pending and the
 * last error, without connecting.
 *
 * Options are the sync subset of the one options table (conf.c); the
 * password comes only from the configuration file (db_sync_password),
 * PGPASSWORD, ~/.pgpass or the conninfo, and is never printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../conf/conf.h"
#include "../util/progress.h"
#include "sync.h"
#include "sync_engine.h"
#include "sync_state.h"

static const char *const sync_keys[] = {
    "db_path",          "db_sync_address",  "db_sync_port",    "db_sync_db", "db_sync_user",
    "db_sync_password", "db_sync_conninfo", "db_sync_sslmode", "sensor",     NULL,
};

static void sync_usage(FILE *f)
{
    fprintf(f,
            "NAME\n"
            "    netsift sync - push the databases in DB_PATH to a central PostgreSQL\n\n"
            "SYNOPSIS\n"
            "    netsift sync [-d DIR] [--sync-address HOST] [--sync-port PORT] [--sync-db NAME]\n"
            "                 [--sync-user USER] [--sensor NAME] [--sync-conninfo CONNINFO]\n"
            "                 [--sync-sslmode MODE] [-c FILE] [--status]\n\n"
            "DESCRIPTION\n"
            "    Every table of every database in DB_PATH (headers.sqlite, pcap-meta.sqlite,\n"
            "    fingerprint.sqlite) goes to a PostgreSQL table of the same name and columns\n"
            "    plus `sensor` (this gateway's name), created when missing, primary key\n"
            "    (sensor, <the table's key>).  Rows are sent in rowid order, in batches, each\n"
            "    in one transaction (COPY into a staging table, then INSERT ... ON CONFLICT);\n"
            "    the position of the last row sent is kept per table in\n"
            "    DB_PATH/" SYNC_STATE_FILE " and moves only after PostgreSQL committed, so\n"
            "    a row is stored once however often it is sent.  `netsift capture --db-sync`\n"
            "    does the same continuously in the background.\n\n"
            "    Without --status, pushes everything pending and exits.  The password is\n"
            "    never a flag: db_sync_password in the -c file, PGPASSWORD, ~/.pgpass or the\n"
            "    conninfo.  Other PG* variables (PGHOST, PGDATABASE, PGUSER, PGSSLMODE, ...)\n"
            "    apply where the options leave a setting open.\n\n"
            "OPTIONS\n"
            "    --status\n"
            "        Print per database and table: local rows, pushed position (rowid), rows\n"
            "        pushed, rows pending and the last error, for every target pushed to\n"
            "        before and the one configured.  Does not connect.\n"
            "    -c, --config FILE\n"
            "        Read options from an INI file (the keys below).  Flags override it.\n");
    conf_print_options(f, sync_keys);
    fprintf(f, "    -h, --help\n        Show this text.\n\n"
               "EXIT STATUS\n"
               "    0 everything pending was pushed (or the status was printed); 1 a failure\n"
               "    (one line on stderr: PostgreSQL unreachable, refused, a table that could not\n"
               "    be written; what was pushed before it stays pushed); 2 a usage error.\n");
}

/* Remove every `flag` from argv; true when there was one. */
static bool take_flag(int *argc, char **argv, const char *flag)
{
    bool found = false;
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], flag) == 0)
            found = true;
        else
            argv[out++] = argv[i];
    }
    argv[out] = NULL;
    *argc = out;
    return found;
}

static int push_all(const struct netsift_conf *conf)
{
    char err[2048];
    struct sync_engine *e = sync_engine_new(conf, true, err, sizeof err);
    if (!e) {
        fprintf(stderr, "netsift sync: %s\n", err);
        return 1;
    }
    uint64_t start = monotonic_us();
    int rc = sync_engine_pass(e, 0, NULL);
    double secs = (double)(monotonic_us() - start) / 1e6;
    struct sync_totals t;
    sync_engine_totals(e, &t);
    if (rc < 0)
        fprintf(stderr, "netsift sync: %s\n", sync_engine_error(e));
    else
        printf("pushed %" PRIu64 " rows (%" PRIu64 " new or changed) in %" PRIu64
               " transactions to %s in %.2f s (%.0f rows/s)\n",
               t.pushed, t.inserted, t.batches, sync_engine_target(e), secs,
               secs > 0 ? (double)t.pushed / secs : 0.0);
    sync_engine_free(e);
    return rc < 0 ? 1 : 0;
}

/* ---- --status ------------------------------------------------------- */

#define MAX_TARGETS 64

struct targets {
    size_t n;
    char *name[MAX_TARGETS];
    char *conn_error[MAX_TARGETS]; /* NULL: none */
};

static size_t target_index(struct targets *ts, const char *name)
{
    for (size_t i = 0; i < ts->n; i++)
        if (strcmp(ts->name[i], name) == 0)
            return i;
    if (ts->n == MAX_TARGETS || !(ts->name[ts->n] = strdup(name)))
        return SIZE_MAX;
    ts->conn_error[ts->n] = NULL;
    return ts->n++;
}

static void collect_target(void *arg, const struct sync_state_row *r)
{
    struct targets *ts = arg;
    size_t i = target_index(ts, r->target);
    if (i != SIZE_MAX && !r->database[0] && !r->table[0] && r->error && !ts->conn_error[i])
        ts->conn_error[i] = strdup(r->error);
}

struct status_sums {
    uint64_t pending;
    unsigned tables;
};

static void print_table(void *arg, const struct sync_table_status *s)
{
    struct status_sums *sum = arg;
    if (!s->present)
        return;
    printf("  %-20s %-12s %12" PRIu64 " %12" PRId64 " %12" PRIu64 " %12" PRIu64 "  %s\n",
           s->database, s->table, s->local_rows, s->last_rowid, s->pushed, s->pending,
           s->error[0] ? s->error : "-");
    sum->pending += s->pending;
    sum->tables++;
}

static int print_target(struct sync_engine *e, const char *target, const char *conn_error)
{
    char err[2048];
    struct status_sums sum = {0, 0};
    printf("target %s\n  connection: %s\n", target, conn_error ? conn_error : "no error");
    printf("  %-20s %-12s %12s %12s %12s %12s  %s\n", "database", "table", "local_rows", "position",
           "pushed", "pending", "last_error");
    if (sync_engine_status(e, target, print_table, &sum, err, sizeof err) != 0) {
        fprintf(stderr, "netsift sync: %s\n", err);
        return -1;
    }
    printf("  pending: %" PRIu64 " rows in %u tables\n", sum.pending, sum.tables);
    return 0;
}

static int show_status(const struct netsift_conf *conf)
{
    char err[2048];
    struct sync_engine *e = sync_engine_new(conf, false, err, sizeof err);
    if (!e) {
        fprintf(stderr, "netsift sync: %s\n", err);
        return 1;
    }
    struct targets ts = {0};
    target_index(&ts, sync_engine_target(e)); /* the configured one first */
    if (sync_engine_state(e))
        sync_state_foreach(sync_engine_state(e), collect_target, &ts);
    else
        printf("nothing pushed from %s yet (no %s)\n", conf->db_path, SYNC_STATE_FILE);
    int rc = 0;
    for (size_t i = 0; i < ts.n; i++) {
        if (rc == 0 && print_target(e, ts.name[i], ts.conn_error[i]) != 0)
            rc = 1;
        free(ts.name[i]);
        free(ts.conn_error[i]);
    }
    sync_engine_free(e);
    return rc;
}

int sync_main(int argc, char **argv)
{
    static struct netsift_conf conf;
    char err[2048];
    conf_defaults(&conf);
    bool status = take_flag(&argc, argv, "--status");
    int rc = conf_parse_args(&conf, argc, argv, sync_keys, sync_usage, err, sizeof err);
    if (rc == 1)
        return 0;
    if (rc != 0) {
        fprintf(stderr, "netsift sync: %s\n", err);
        return 2;
    }
    struct stat st;
    int found = stat(conf.db_path, &st);
    if (found != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "netsift sync: database directory '%s': %s\n", conf.db_path,
                found != 0 ? strerror(errno) : "not a directory");
        return 1;
    }
    return status ? show_status(&conf) : push_all(&conf);
}
