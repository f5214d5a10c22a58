/*
 * sql_cmd.c - `netsift sql`: one logical header database over the open
 * headers.sqlite and the closed files of DB_PATH/headers/ (rotation.h).
 *
 * It opens headers.sqlite, attaches the closed files and defines
 * temporary views named like the tables (eth, ip4, ..., http), each the
 * UNION ALL of that table in every file, so a query over weeks reads as
 * over one table.  The connection is query-only.  SQLite attaches at most
 * 10 databases in Debian's build (SQLITE_MAX_ATTACHED), so the 9 newest
 * closed files are attached and the older ones named on stderr.
 */
#define _GNU_SOURCE
#include "sql_cmd.h"

#include <getopt.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rotation.h"
#include "schema.h"

#define MAX_CLOSED_ATTACHED 9 /* and main: SQLITE_MAX_ATTACHED (10) in Debian's build */

static void usage(FILE *f)
{
    fprintf(f,
            "NAME\n"
            "    netsift sql - query every header file of a database directory as one\n\n"
            "SYNOPSIS\n"
            "    netsift sql [-d DIR] [--csv] [--header] [--list] [SQL]\n\n"
            "DESCRIPTION\n"
            "    Opens DIR/headers.sqlite and the closed files of DIR/headers/ (written\n"
            "    by capture --db-rotate-size/--db-rotate-time), and defines temporary\n"
            "    views named like the tables (eth, arp, ip4, ip6, tcp, udp, icmp4, icmp6,\n"
            "    dns, mdns, dhcp, http) over all of them, so that a query names each\n"
            "    table once whatever the number of files.  Runs SQL (every statement of\n"
            "    it), or the statements read from standard input when SQL is not given,\n"
            "    and prints the rows as sqlite3 does ('|' between columns, NULL as\n"
            "    nothing).  The connection is read-only.  SQLite attaches at most 10\n"
            "    databases at once: the 9 newest closed files are included, and the\n"
            "    older ones are named on standard error (query them with sqlite3 and\n"
            "    ATTACH, docs/schema.md).\n\n"
            "OPTIONS\n"
            "    -d, --db-path DIR   the database directory (default netsift-db)\n"
            "    --csv               comma-separated values, quoted as RFC 4180 says\n"
            "    --header            print the column names first\n"
            "    --list              print the files that the views cover, oldest first\n"
            "    -h, --help          this text\n\n"
            "EXIT STATUS\n"
            "    0 success, 1 a database or SQL error, 2 a usage error.\n\n"
            "EXAMPLES\n"
            "    netsift sql -d /var/lib/netsift 'SELECT sum(frames) FROM eth'\n"
            "    netsift sql -d db --csv --header 'SELECT ip_src, count(*) FROM ip4 GROUP BY 1'\n");
}

/* The view of table t: its columns from every schema in `schemas` (names
 * from the compiled-in schema and our own schema names only). */
static int create_view(sqlite3 *db, const struct table_schema *t, char **schemas, int n)
{
    char *sql = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&sql, &len);
    if (!f)
        return -1;
    fprintf(f, "CREATE TEMP VIEW %s AS ", t->name);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%sSELECT ", i ? " UNION ALL " : "");
        for (size_t c = 0; c < t->ncols; c++)
            fprintf(f, "%s%s", c ? ", " : "", t->cols[c].name);
        fprintf(f, " FROM %s.%s", schemas[i], t->name);
    }
    int rc = fclose(f) == 0 ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
    free(sql);
    return rc == SQLITE_OK ? 0 : -1;
}

static void print_value(sqlite3_stmt *st, int c, bool csv)
{
    const char *v = (const char *)sqlite3_column_text(st, c);
    if (!v)
        return;
    if (!csv || !strpbrk(v, ",\"\r\n")) {
        fputs(v, stdout);
        return;
    }
    putchar('"');
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            putchar('"');
        putchar(*p);
    }
    putchar('"');
}

/* Run every statement of sql; 0 or -1 (the error on stderr). */
static int run(sqlite3 *db, const char *sql, bool csv, bool header)
{
    const char *tail = sql;
    while (tail && *tail) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, tail, -1, &st, &tail) != SQLITE_OK) {
            fprintf(stderr, "netsift sql: %s\n", sqlite3_errmsg(db));
            return -1;
        }
        if (!st)
            continue; /* whitespace or a comment */
        int ncol = sqlite3_column_count(st), rc;
        const char *sep = csv ? "," : "|";
        if (header && ncol) {
            for (int c = 0; c < ncol; c++)
                printf("%s%s", c ? sep : "", sqlite3_column_name(st, c));
            putchar('\n');
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            for (int c = 0; c < ncol; c++) {
                if (c)
                    fputs(sep, stdout);
                print_value(st, c, csv);
            }
            putchar('\n');
        }
        if (rc != SQLITE_DONE) {
            fprintf(stderr, "netsift sql: %s\n", sqlite3_errmsg(db));
            sqlite3_finalize(st);
            return -1;
        }
        sqlite3_finalize(st);
    }
    return 0;
}

static char *read_all(FILE *f)
{
    size_t cap = 65536, len = 0, n;
    char *buf = malloc(cap);
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *g = realloc(buf, cap * 2);
            if (!g) {
                free(buf);
                return NULL;
            }
            buf = g;
            cap *= 2;
        }
    }
    if (buf)
        buf[len] = '\0';
    return buf;
}

int sql_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db-path", required_argument, NULL, 'd'}, {"csv", no_argument, NULL, 'C'},
        {"header", no_argument, NULL, 'H'},        {"list", no_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    const char *dir = "netsift-db";
    bool csv = false, header = false, list = false;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': dir = optarg; break;
        case 'C': csv = true; break;
        case 'H': header = true; break;
        case 'L': list = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "netsift sql: give the SQL as one argument (quote it)\n");
        return 2;
    }
    char err[512], open_path[4096];
    char **closed = NULL;
    int nclosed = db_rotation_list(dir, "headers", &closed, err, sizeof err);
    if (nclosed < 0) {
        fprintf(stderr, "netsift sql: %s\n", err);
        return 1;
    }
    snprintf(open_path, sizeof open_path, "%s/headers.sqlite", dir);
    struct stat st;
    bool have_open = stat(open_path, &st) == 0;
    if (!have_open && nclosed == 0) {
        fprintf(stderr, "netsift sql: no header database in '%s' (neither headers.sqlite nor headers/)\n", dir);
        db_rotation_list_free(closed, nclosed);
        return 1;
    }
    int first = nclosed > MAX_CLOSED_ATTACHED ? nclosed - MAX_CLOSED_ATTACHED : 0;
    for (int i = 0; i < first; i++)
        fprintf(stderr, "netsift sql: not included (SQLite attaches at most 10 files): %s/headers/%s\n",
                dir, closed[i]);
    sqlite3 *db = NULL;
    int rc = 1;
    char *schemas[MAX_CLOSED_ATTACHED + 1];
    int nschemas = 0;
    if (sqlite3_open_v2(have_open ? open_path : ":memory:", &db, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK) {
        fprintf(stderr, "netsift sql: %s: %s\n", open_path, db ? sqlite3_errmsg(db) : "out of memory");
        goto done;
    }
    sqlite3_busy_timeout(db, 5000);
    for (int i = first; i < nclosed; i++) {
        char path[8192], name[16];
        snprintf(path, sizeof path, "%s/headers/%s", dir, closed[i]);
        snprintf(name, sizeof name, "h%d", i - first + 1);
        sqlite3_stmt *a;
        if (sqlite3_prepare_v2(db, "ATTACH ?1 AS ?2", -1, &a, NULL) != SQLITE_OK) {
            fprintf(stderr, "netsift sql: %s\n", sqlite3_errmsg(db));
            goto done;
        }
        sqlite3_bind_text(a, 1, path, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(a, 2, name, -1, SQLITE_TRANSIENT);
        int step = sqlite3_step(a);
        sqlite3_finalize(a);
        if (step != SQLITE_DONE) {
            fprintf(stderr, "netsift sql: %s: %s\n", path, sqlite3_errmsg(db));
            goto done;
        }
        schemas[nschemas++] = strdup(name);
    }
    if (have_open)
        schemas[nschemas++] = strdup("main");
    for (int i = 0; i < nschemas; i++)
        if (!schemas[i]) {
            fprintf(stderr, "netsift sql: out of memory\n");
            goto done;
        }
    if (list) {
        for (int i = first; i < nclosed; i++)
            printf("%s/headers/%s\n", dir, closed[i]);
        if (have_open)
            printf("%s\n", open_path);
        rc = 0;
        goto done;
    }
    for (size_t t = 0; t < HEADER_TABLE_COUNT; t++)
        if (create_view(db, &header_tables[t], schemas, nschemas) != 0) {
            fprintf(stderr, "netsift sql: cannot define the view %s: %s\n", header_tables[t].name,
                    sqlite3_errmsg(db));
            goto done;
        }
    sqlite3_exec(db, "PRAGMA query_only=1", NULL, NULL, NULL);
    char *input = optind < argc ? strdup(argv[optind]) : read_all(stdin);
    if (!input) {
        fprintf(stderr, "netsift sql: out of memory\n");
        goto done;
    }
    rc = run(db, input, csv, header) == 0 ? 0 : 1;
    free(input);
done:
    for (int i = 0; i < nschemas; i++)
        free(schemas[i]);
    sqlite3_close(db);
    db_rotation_list_free(closed, nclosed);
    return rc;
}
