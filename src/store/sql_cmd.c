/*
 * sql_cmd.c - `netsift sql`: one logical header database over the open
 * headers.sqlite and the closed files of DB_PATH/headers/ (rotation.h).
 *
 * The connection is header_files.h's: tables named like the header
 * tables (eth, ip4, ..., http), each reading that table in every file of
 * --from/--to (header_union.h), so a query over weeks reads as over one
 * table; query-only.
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

#include "extract.h"
#include "header_files.h"

static void usage(FILE *f)
{
    fprintf(f,
            "NAME\n"
            "    netsift sql - query every header file of a database directory as one\n\n"
            "SYNOPSIS\n"
            "    netsift sql [-d DIR] [--from TIME] [--to TIME] [--csv] [--header] [--list] [SQL]\n\n"
            "DESCRIPTION\n"
            "    Opens DIR/headers.sqlite and the closed files of DIR/headers/ (written\n"
            "    by capture --db-rotate-size/--db-rotate-time), and defines temporary\n"
            "    tables named like the tables (eth, arp, ip4, ip6, tcp, udp, icmp4,\n"
            "    icmp6, dns, mdns, dhcp, http) that read all of them, however many, so\n"
            "    that a query names each table once whatever the number of files.  Runs\n"
            "    SQL (every statement of it), or the statements read from standard\n"
            "    input when SQL is not given, and prints the rows as sqlite3 does ('|'\n"
            "    between columns, NULL as nothing).  The connection is read-only.\n"
            "    --from and --to choose the files whose packets meet them (every file\n"
            "    without them); a timestamp condition in the SQL skips files by their\n"
            "    names' time ranges as well, and the time range belongs in the SQL\n"
            "    too: --from/--to only choose files.\n\n"
            "OPTIONS\n"
            "    -d, --db-path DIR   the database directory (default netsift-db)\n"
            "    --from TIME, --to TIME\n"
            "                        only the files with packets in this range (UTC,\n"
            "                        2026-01-07T10:15:00[.frac][Z], or seconds since the epoch)\n"
            "    --csv               comma-separated values, quoted as RFC 4180 says\n"
            "    --header            print the column names first\n"
            "    --list              print the files read, oldest first\n"
            "    -h, --help          this text\n\n"
            "EXIT STATUS\n"
            "    0 success, 1 a database or SQL error, 2 a usage error.\n\n"
            "EXAMPLES\n"
            "    netsift sql -d /var/lib/netsift 'SELECT sum(frames) FROM eth'\n"
            "    netsift sql -d db --csv --header 'SELECT ip_src, count(*) FROM ip4 GROUP BY 1'\n");
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
        {"from", required_argument, NULL, 'F'},    {"to", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    const char *dir = "netsift-db";
    bool csv = false, header = false, list = false;
    uint64_t from = 0, to = UINT64_MAX;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': dir = optarg; break;
        case 'C': csv = true; break;
        case 'H': header = true; break;
        case 'L': list = true; break;
        case 'F':
        case 'T':
            if (extract_parse_time(optarg, opt == 'F' ? &from : &to) != 0) {
                fprintf(stderr, "netsift sql: --%s: not a time: '%s'\n", opt == 'F' ? "from" : "to",
                        optarg);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "netsift sql: give the SQL as one argument (quote it)\n");
        return 2;
    }
    if (from > to) {
        fprintf(stderr, "netsift sql: --from is after --to\n");
        return 2;
    }
    char err[8400];
    struct header_files hf;
    if (header_files_list(dir, &hf, err, sizeof err) != 0) {
        fprintf(stderr, "netsift sql: %s\n", err);
        return 1;
    }
    int rc = 1;
    sqlite3 *db = header_views_open(&hf, from, to, err, sizeof err);
    if (!db) {
        fprintf(stderr, "netsift sql: %s: %s\n", dir, err);
        goto done;
    }
    if (list) {
        for (int i = 0; i < hf.n; i++)
            if (hf.v[i].covered)
                printf("%s\n", hf.v[i].path);
        rc = 0;
        goto done;
    }
    char *input = optind < argc ? strdup(argv[optind]) : read_all(stdin);
    if (!input) {
        fprintf(stderr, "netsift sql: out of memory\n");
        goto done;
    }
    rc = run(db, input, csv, header) == 0 ? 0 : 1;
    free(input);
done:
    sqlite3_close(db);
    header_files_free(&hf);
    return rc;
}
