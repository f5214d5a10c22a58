/*
 * stats_cmd.c - `netsift stats`: read the daemon's counters from shared
 * memory, from another process, without stopping capture.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "stats.h"

static void usage(FILE *f)
{
    fprintf(f, "NAME\n"
               "    netsift stats - show the live counters of netsift daemon's watchers\n\n"
               "SYNOPSIS\n"
               "    netsift stats [--json] [--watch [SECONDS]] [--top N] [--shm-prefix NAME] "
               "[WATCHER...]\n\n"
               "DESCRIPTION\n"
               "    Reads each watcher's shared-memory segment (/PREFIX.WATCHER) with its\n"
               "    sequence lock, so the copy is consistent, and prints the watcher's totals\n"
               "    and, per handler, its keys by bytes.  Without WATCHER: every watcher under\n"
               "    the prefix.\n\n"
               "OPTIONS\n"
               "    --json              one JSON document with every entry (for scripts)\n"
               "    --watch [SECONDS]   redraw every SECONDS (default 1) like top, until ^C\n"
               "    --top N             keys per handler in the text output (default 10, 0 all)\n"
               "    --shm-prefix NAME   the daemon's shm_prefix (default netsift)\n"
               "    --verify N          read N times as fast as possible and check every copy's\n"
               "                        check values; exit 1 on a torn read (for tests)\n"
               "    -h, --help          this text\n\n"
               "EXIT STATUS\n"
               "    0 printed, 1 no such watcher or unreadable segment, 2 bad usage.\n");
}

static volatile sig_atomic_t interrupted;
static void on_int(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Read the named watchers (or all); returns how many, -1 after an error. */
static int read_set(const char *prefix, char **names, int nnames, struct stats_snapshot **out)
{
    char **all = NULL;
    int n = nnames;
    if (nnames == 0) {
        n = stats_shm_list(prefix, &all);
        if (n < 0) {
            fprintf(stderr, "netsift stats: cannot list /dev/shm\n");
            return -1;
        }
        names = all;
    }
    struct stats_snapshot *s = calloc(n ? (size_t)n : 1, sizeof *s);
    int got = 0, rc = 0;
    for (int i = 0; s && i < n; i++) {
        char err[512];
        if (stats_shm_read_named(prefix, names[i], &s[got], err, sizeof err) == 0)
            got++;
        else {
            fprintf(stderr, "netsift stats: %s\n", err);
            rc = -1;
        }
    }
    for (int i = 0; all && i < n; i++)
        free(all[i]);
    free(all);
    *out = s;
    return rc < 0 && nnames ? -1 : got;
}

static void free_set(struct stats_snapshot *s, int n)
{
    for (int i = 0; i < n; i++)
        stats_snapshot_free(&s[i]);
    free(s);
}

/* --verify: hammer one watcher's segment and check every copy. */
static int verify(const char *prefix, const char *name, long rounds)
{
    uint64_t retries = 0, publishes_seen = 0, last = 0;
    for (long r = 0; r < rounds; r++) {
        struct stats_snapshot s;
        char err[512];
        int rc = stats_shm_read_named(prefix, name, &s, err, sizeof err);
        if (rc != 0) {
            fprintf(stderr, "netsift stats: %s\n", err);
            return 1;
        }
        retries += s.retries;
        if (s.hdr.publishes != last)
            publishes_seen++, last = s.hdr.publishes;
        /* across entries: the interface handler counts every matched packet once */
        if (s.hdr.handlers & (1u << SK_IFACE)) {
            uint64_t sum = 0, bytes = 0;
            for (uint64_t i = 0; i < s.hdr.nentries; i++)
                if (s.entries[i].key.kind == SK_IFACE) {
                    sum += s.entries[i].tx_packets + s.entries[i].rx_packets;
                    bytes += s.entries[i].tx_bytes + s.entries[i].rx_bytes;
                }
            if ((sum != s.hdr.packets_matched || bytes != s.hdr.bytes_matched) &&
                s.hdr.overflow == 0) {
                {
                    fprintf(
                        stderr,
                        "netsift stats: torn read: interface counters %llu packets, header %llu\n",
                        (unsigned long long)sum, (unsigned long long)s.hdr.packets_matched);
                    stats_snapshot_free(&s);
                    return 1;
                }
            }
        }
        stats_snapshot_free(&s);
    }
    printf("%ld reads, %llu distinct publications, %llu retries, no torn read\n", rounds,
           (unsigned long long)publishes_seen, (unsigned long long)retries);
    return 0;
}

int stats_main(int argc, char **argv)
{
    bool json = false, watch = false;
    double interval = 1;
    unsigned top = 10;
    long verify_rounds = 0;
    const char *prefix = "netsift";
    char **names = calloc((size_t)argc, sizeof *names);
    int nnames = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            free(names);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--watch") == 0) {
            watch = true;
            if (i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9') {
                char *end;
                interval = strtod(argv[++i], &end);
                if (*end || interval < 0.1 || interval > 3600) {
                    fprintf(stderr, "netsift stats: --watch SECONDS: 0.1 to 3600\n");
                    free(names);
                    return 2;
                }
            }
        } else if ((strcmp(a, "--top") == 0 || strcmp(a, "--shm-prefix") == 0 ||
                    strcmp(a, "--verify") == 0) &&
                   i + 1 < argc) {
            const char *v = argv[++i];
            char *end;
            if (a[2] == 's') {
                prefix = v;
                continue;
            }
            long x = strtol(v, &end, 10);
            if (*end || x < 0 || x > 100000000 || !*v) {
                fprintf(stderr, "netsift stats: %s: '%s' is not a whole number\n", a, v);
                free(names);
                return 2;
            }
            if (a[2] == 't')
                top = (unsigned)x;
            else
                verify_rounds = x;
        } else if (a[0] == '-') {
            fprintf(stderr,
                    "netsift stats: unknown option or missing value '%s' (see 'netsift stats "
                    "--help')\n",
                    a);
            free(names);
            return 2;
        } else {
            names[nnames++] = argv[i];
        }
    }
    if (verify_rounds) {
        int rc = nnames == 1 ? verify(prefix, names[0], verify_rounds) : 2;
        if (nnames != 1)
            fprintf(stderr, "netsift stats: --verify needs one WATCHER\n");
        free(names);
        return rc;
    }
    signal(SIGINT, on_int);
    signal(SIGTERM, on_int);
    int status = 0;
    do {
        struct stats_snapshot *s;
        int n = read_set(prefix, names, nnames, &s);
        if (n < 0) {
            free_set(s, 0);
            status = 1;
            break;
        }
        if (watch && !json && isatty(STDOUT_FILENO))
            fputs("\033[H\033[2J", stdout); /* redraw in place, like top */
        if (json)
            stats_write_json(stdout, s, (size_t)n);
        else if (n == 0)
            printf("no watchers under shm prefix '%s' (is netsift daemon running?)\n", prefix);
        else
            stats_write_text(stdout, s, (size_t)n, top);
        fflush(stdout);
        free_set(s, n);
        if (watch && !interrupted)
            usleep((useconds_t)(interval * 1e6));
    } while (watch && !interrupted);
    free(names);
    return status;
}
