/*
 * main.c - netsift: subcommand dispatch.
 *
 *   netsift capture ...   capture, decode, store (capture/capture.c)
 *   netsift extract ...   stored packets back out as pcap (store/extract.c)
 *   netsift query ...     ask a running capture (control socket) or its database
 *   netsift schema ...    print the database tables (SQL or markdown)
 *   netsift sync ...      push the databases to PostgreSQL (sync/sync_cmd.c)
 *   netsift dump ...      print audit records (audit/dump.c)
 *   netsift daemon ...    statistics daemon: watchers, shared memory (stats/daemon.c)
 *   netsift stats ...     read the daemon's counters (stats/stats_cmd.c)
 *   netsift label ...     label records with IDS alerts (label/label.c)
 *   netsift version
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "audit/dump.h"
#include "capture/capture.h"
#include "control/client.h"
#include "control/service.h"
#include "label/label.h"
#include "monitor/monitor_tables.h"
#include "store/extract.h"
#include "store/pcap_store.h"
#include "sink/databases.h"
#include "db/schema.h"
#include "store/sql_cmd.h"
#include "sync/sync.h"
#include "stats/stats.h"

#ifndef NETSIFT_VERSION
#define NETSIFT_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "NAME\n"
            "    netsift - network traffic capture and analysis engine\n\n"
            "SYNOPSIS\n"
            "    netsift capture (-i IFACE | -r FILE) [options] [BPF expression]\n"
            "    netsift extract [-d DIR] [--from T] [--to T] [--mac M] [--ip A] [--port P]\n"
            "                    [--sql SELECT | --community-id ID] -w FILE [BPF expression]\n"
            "    netsift query [--control PATH | --db-path DIR] [COMMAND]\n"
            "    netsift schema [--sql | --markdown]\n"
            "    netsift sql [-d DIR] [--csv] [--header] [SQL]\n"
            "    netsift sync [-d DIR] [--sync-address HOST] [--sync-port PORT] [--status] ...\n"
            "    netsift dump [--csv | --json] [--select FIELD,...] [--header] FILE.ncap.gz\n"
            "    netsift daemon -c FILE [--pid-file PATH] [--metrics ADDR:PORT] ...\n"
            "    netsift stats [--json] [--watch [SECONDS]] [WATCHER...]\n"
            "    netsift label --alerts FILE... (--audit DIR | --db-path DIR) [--strict|--collect]\n"
            "    netsift version\n"
            "    netsift help\n\n"
            "DESCRIPTION\n"
            "    capture   read packets live or from a pcap/pcapng file, decode every layer\n"
            "              once and store the headers in DB_PATH/headers.sqlite.\n"
            "              'netsift capture --help' lists its options.  With --file-write\n"
            "              it also keeps every packet in pcap files (DB_PATH/pcap/).\n"
            "    extract   write packets kept by --file-write back out as one pcap file,\n"
            "              chosen by time, MAC, IP, port and BPF ('netsift extract --help').\n"
            "    query     ask a running capture about devices and flows through its control\n"
            "              socket, or its fingerprint database ('netsift query --help').\n"
            "    schema    print the CREATE TABLE statements of every database (--sql, the\n"
            "              default) or the column reference (--markdown, docs/schema.md).\n"
            "    sql       query headers.sqlite and the closed header files of DIR/headers/\n"
            "              as one database: tables that read every file ('netsift sql --help').\n"
            "    sync      push the rows of every database that a central PostgreSQL does\n"
            "              not have yet, or show what is pending ('netsift sync --help').\n"
            "    dump      print the records of an audit file written by capture --audit DIR\n"
            "              as a table, CSV or JSON lines ('netsift dump --help').\n"
            "    daemon    statistics daemon: watchers (interface + filter + handlers) count\n"
            "              traffic per MAC, IP, interface, protocol, conversation and host into\n"
            "              shared memory ('netsift daemon --help', docs/daemon.md).\n"
            "    stats     show a running daemon's counters ('netsift stats --help').\n"
            "    label     label audit records and database rows with Suricata/Snort alerts\n"
            "              ('netsift label --help', docs/label.md).\n"
            "    version   print the version.\n");
}

static int schema_main(int argc, char **argv)
{
    bool markdown = argc > 1 && strcmp(argv[1], "--markdown") == 0;
    if (argc > 1 && !markdown && strcmp(argv[1], "--sql") != 0) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            printf("NAME\n"
                   "    netsift schema - print the tables of every netsift database\n\n"
                   "SYNOPSIS\n"
                   "    netsift schema [--sql | --markdown]\n\n"
                   "DESCRIPTION\n"
                   "    --sql       (default) the CREATE TABLE and CREATE INDEX statements of\n"
                   "                every database netsift capture writes under --db-path\n"
                   "                (headers.sqlite, pcap-meta.sqlite, fingerprint.sqlite, ...),\n"
                   "                each database introduced by a '-- FILE' comment line.\n"
                   "    --markdown  the column reference: every table and column with its\n"
                   "                meaning (this is docs/schema.md).\n\n"
                   "EXIT STATUS\n"
                   "    0 success, 2 an unknown option.\n");
            return 0;
        }
        fprintf(stderr, "netsift schema: unknown option '%s' (use --sql or --markdown)\n", argv[1]);
        return 2;
    }
    if (markdown)
        printf("# Database reference\n\nGenerated by `netsift schema --markdown`; do not edit "
               "by hand. Every database lives in the directory given by --db-path.\n\n");
    for (size_t d = 0; d < all_databases_count; d++) {
        const struct database_schema *db = all_databases[d];
        if (markdown) {
            schema_write_markdown(stdout, db);
            continue;
        }
        printf("-- %s\n", db->file);
        char sql[4096];
        for (size_t t = 0; t < db->ntables; t++) {
            if (schema_create_sql(&db->tables[t], sql, sizeof sql) == 0)
                printf("%s;\n", sql);
            if (schema_index_sql(&db->tables[t], sql, sizeof sql) == 0)
                printf("%s;\n", sql);
        }
    }
    return 0;
}

/* What runs beside a capture (capture.h): started once its sinks are open,
 * stopped once they have closed. */
static const struct capture_service_ops *const capture_services[] = {
    &control_service_ops,
    &sync_service_ops,
};

int main(int argc, char **argv)
{
    /* what netsift creates is its user's and its group's to read, nobody
     * else's, whatever umask it inherits: files 0640, directories 0750 */
    umask(027);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "capture") == 0)
        return capture_main(argc - 1, argv + 1, capture_services,
                            sizeof capture_services / sizeof capture_services[0]);
    if (strcmp(cmd, "extract") == 0)
        return extract_main(argc - 1, argv + 1);
    if (strcmp(cmd, "query") == 0)
        return query_main(argc - 1, argv + 1);
    if (strcmp(cmd, "schema") == 0)
        return schema_main(argc - 1, argv + 1);
    if (strcmp(cmd, "sql") == 0)
        return sql_main(argc - 1, argv + 1);
    if (strcmp(cmd, "sync") == 0)
        return sync_main(argc - 1, argv + 1);
    if (strcmp(cmd, "dump") == 0)
        return dump_main(argc - 1, argv + 1);
    if (strcmp(cmd, "daemon") == 0)
        return daemon_main(argc - 1, argv + 1);
    if (strcmp(cmd, "stats") == 0)
        return stats_main(argc - 1, argv + 1);
    if (strcmp(cmd, "label") == 0)
        return label_main(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("netsift %s\n", NETSIFT_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "netsift: unknown command '%s' (see 'netsift help')\n", cmd);
    return 2;
}
