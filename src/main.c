/*
 * main.c - netsift: subcommand dispatch.
 *
 *   netsift capture ...   capture, decode, store (capture/capture.c)
 *   netsift schema ...    print the header tables (SQL or markdown)
 *   netsift version
 */
#include <stdio.h>
#include <string.h>

#include "capture/capture.h"
#include "store/schema.h"

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
            "    netsift schema [--sql | --markdown]\n"
            "    netsift version\n"
            "    netsift help\n\n"
            "DESCRIPTION\n"
            "    capture   read packets live or from a pcap/pcapng file, decode every layer\n"
            "              once and store the headers in DB_PATH/headers.sqlite.\n"
            "              'netsift capture --help' lists its options.\n"
            "    schema    print the CREATE TABLE statements of headers.sqlite (--sql, the\n"
            "              default) or the column reference (--markdown, docs/schema.md).\n"
            "    version   print the version.\n");
}

static int schema_main(int argc, char **argv)
{
    bool markdown = argc > 1 && strcmp(argv[1], "--markdown") == 0;
    if (argc > 1 && !markdown && strcmp(argv[1], "--sql") != 0) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            printf("usage: netsift schema [--sql | --markdown]\n");
            return 0;
        }
        fprintf(stderr, "netsift schema: unknown option '%s' (use --sql or --markdown)\n", argv[1]);
        return 2;
    }
    if (markdown) {
        schema_write_markdown(stdout);
        return 0;
    }
    char sql[4096];
    for (int l = 0; l < LAYER_COUNT; l++) {
        if (schema_create_sql(&schema_tables[l], sql, sizeof sql) == 0)
            printf("%s;\n", sql);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "capture") == 0)
        return capture_main(argc - 1, argv + 1);
    if (strcmp(cmd, "schema") == 0)
        return schema_main(argc - 1, argv + 1);
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
