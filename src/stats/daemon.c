/*
 * daemon.c - `netsift daemon`: the parent of the watchers.
 *
 * The main thread reads the configuration, starts one watcher thread per
 * [watcher NAME] section and the Prometheus endpoint's thread
 * (metrics_server.h: no client can hold it), and then only waits (poll) on
 * a signalfd and the persistence timer:
 *   SIGHUP          re-read the file; start new watchers, stop removed ones,
 *                   restart changed ones keeping their counters; a file that
 *                   does not parse is reported (FILE:LINE: reason) and the
 *                   running configuration stays
 *   SIGUSR1         snapshot: every watcher publishes, the counters are
 *                   appended to the stats table and summarised on stderr
 *   SIGTERM/SIGINT  stop every watcher, append the last counters, exit 0
 * Watchers publish into shared memory; the parent reads the segments like
 * any other reader (for the stats table and /metrics), so it never locks
 * a capture thread.
 */
#define _GNU_SOURCE
#include "stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "daemon_conf.h"
#include "metrics_server.h"
#include "report.h"
#include "watcher.h"
#include "../util/fsutil.h"

struct daemon {
    const char *config_path;
    struct daemon_conf conf; /* global settings in force (watchers moved out) */
    struct watcher **w;
    size_t nw;
    struct stats_db *db;
    struct metrics_server *metrics;
    pthread_mutex_t lock; /* the watcher list (w, nw) against the metrics thread */
    /* command-line overrides, re-applied after every reload */
    const char *opt_metrics, *opt_db_path, *opt_prefix;
    uint64_t opt_persist;
};

static void usage(FILE *f)
{
    fprintf(f,
            "NAME\n"
            "    netsift daemon - traffic statistics daemon: watchers with filters, live\n"
            "    counters in shared memory\n\n"
            "SYNOPSIS\n"
            "    netsift daemon -c FILE [--pid-file PATH] [--metrics ADDR:PORT] [--db-path DIR]\n"
            "                   [--persist-interval SECONDS] [--shm-prefix NAME] [--check]\n"
            "    netsift daemon -r PCAP --once [--json] [--top N] [--max-entries N] ...\n\n"
            "DESCRIPTION\n"
            "    Runs in the foreground (systemd Type=simple; dist/netsift-daemon.service) as one\n"
            "    parent process with one capture thread per watcher.  Each watcher listens on\n"
            "    an interface (several may share one) with its own kernel BPF filter and\n"
            "    user-space filter, counts what passes in its handlers, and publishes the\n"
            "    counters in the shared-memory segment /PREFIX.WATCHER, read by\n"
            "    'netsift stats'.  See docs/daemon.md.\n\n"
            "OPTIONS\n"
            "    -c, --config FILE      the configuration (keys below)\n"
            "    -r, --read-file PCAP   instead of -c: one watcher 'file' reading PCAP with\n"
            "                           every handler\n"
            "    --max-entries N        with -r: keys kept (default 4096)\n"
            "    --once                 stop when every watcher has read its whole file,\n"
            "                           and print the counters ('netsift stats' text, or\n"
            "                           --json; --top N keys per handler, default 10)\n"
            "    --pid-file PATH        write the daemon's process id there, removed at exit\n"
            "    --metrics ADDR:PORT    serve Prometheus text exposition at /metrics (PORT\n"
            "                           alone: 127.0.0.1); overrides the file's metrics\n"
            "    --db-path DIR          append counters to DIR/stats.sqlite; overrides db_path\n"
            "    --persist-interval S   seconds between appends (default 60)\n"
            "    --shm-prefix NAME      segment name prefix (default netsift)\n"
            "    --check                validate the configuration and exit (0 good, 2 bad)\n"
            "    -h, --help             this text\n\n"
            "SIGNALS\n"
            "    SIGHUP re-reads the configuration (watchers added, removed or changed; the\n"
            "    others keep running and every watcher keeps its counters; a bad file is\n"
            "    reported and the old configuration stays).  SIGUSR1 writes a snapshot to\n"
            "    the stats table and a summary to stderr.  SIGTERM and SIGINT stop cleanly.\n\n"
            "CONFIGURATION KEYS\n");
    daemon_conf_print_keys(f);
    fprintf(f, "\nEXIT STATUS\n    0 stopped by a signal, 1 runtime error, 2 bad usage or "
               "configuration.\n");
}

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void apply_overrides(struct daemon *d, struct daemon_conf *c)
{
    if (d->opt_metrics)
        snprintf(c->metrics, sizeof c->metrics, "%s", d->opt_metrics);
    if (d->opt_db_path)
        snprintf(c->db_path, sizeof c->db_path, "%s", d->opt_db_path);
    if (d->opt_prefix)
        snprintf(c->shm_prefix, sizeof c->shm_prefix, "%s", d->opt_prefix);
    if (d->opt_persist)
        c->persist_interval = d->opt_persist;
}

/* Consistent copies of every watcher's segment. */
static size_t read_all(struct daemon *d, struct stats_snapshot *snaps)
{
    size_t n = 0;
    for (size_t i = 0; i < d->nw; i++) {
        char err[256];
        if (stats_shm_read_named(d->conf.shm_prefix, watcher_conf(d->w[i])->name, &snaps[n], err,
                                 sizeof err) == 0)
            n++;
        else
            fprintf(stderr, "netsift daemon: watcher %s: %s\n", watcher_conf(d->w[i])->name, err);
    }
    return n;
}

static void persist(struct daemon *d, bool publish_first)
{
    if (publish_first) {
        uint64_t *gen = calloc(d->nw ? d->nw : 1, sizeof *gen);
        for (size_t i = 0; gen && i < d->nw; i++)
            gen[i] = watcher_request_publish(d->w[i]);
        for (size_t i = 0; gen && i < d->nw; i++)
            watcher_wait_published(d->w[i], gen[i], 1000);
        free(gen);
    }
    if (!d->db)
        return;
    struct stats_snapshot *snaps = calloc(d->nw ? d->nw : 1, sizeof *snaps);
    if (!snaps)
        return;
    size_t n = read_all(d, snaps);
    char err[512];
    if (stats_db_append(d->db, snaps, n, wall_us(), err, sizeof err) != 0)
        fprintf(stderr, "netsift daemon: %s\n", err);
    for (size_t i = 0; i < n; i++)
        stats_snapshot_free(&snaps[i]);
    free(snaps);
}

static void summary(struct daemon *d)
{
    struct stats_snapshot *snaps = calloc(d->nw ? d->nw : 1, sizeof *snaps);
    if (!snaps)
        return;
    size_t n = read_all(d, snaps);
    for (size_t i = 0; i < n; i++) {
        fprintf(stderr,
                "netsift daemon: watcher %s: %s, %llu packets seen, %llu matched, %llu bytes, %llu "
                "entries\n",
                snaps[i].hdr.watcher,
                snaps[i].hdr.state <= WS_STOPPED ? stats_state_names[snaps[i].hdr.state] : "?",
                (unsigned long long)snaps[i].hdr.packets_seen,
                (unsigned long long)snaps[i].hdr.packets_matched,
                (unsigned long long)snaps[i].hdr.bytes_matched,
                (unsigned long long)snaps[i].hdr.nentries);
        stats_snapshot_free(&snaps[i]);
    }
    free(snaps);
}

/* ---- the Prometheus endpoint (metrics_server.h, its own thread) ---- */

/* metrics_fill_fn: the exposition text of every watcher, on the metrics
 * thread; the watcher list does not change meanwhile (lock). */
static void fill_metrics(void *arg, FILE *f)
{
    struct daemon *d = arg;
    pthread_mutex_lock(&d->lock);
    struct stats_snapshot *snaps = calloc(d->nw ? d->nw : 1, sizeof *snaps);
    size_t n = snaps ? read_all(d, snaps) : 0;
    metrics_write(f, snaps, n);
    for (size_t i = 0; i < n; i++)
        stats_snapshot_free(&snaps[i]);
    free(snaps);
    pthread_mutex_unlock(&d->lock);
}

/* ---- watchers: start, reload ---- */

static int start_watchers(struct daemon *d, struct daemon_conf *c)
{
    d->w = calloc(c->nwatchers ? c->nwatchers : 1, sizeof *d->w);
    if (!d->w)
        return -1;
    for (size_t i = 0; i < c->nwatchers; i++) {
        char err[512];
        struct watcher_conf wc;
        daemon_conf_take(c, i, &wc);
        d->w[d->nw] = watcher_start(&wc, d->conf.shm_prefix, d->conf.publish_ms, err, sizeof err);
        if (!d->w[d->nw]) {
            fprintf(stderr, "netsift daemon: %s\n", err);
            filter_free(&wc.filter);
            return -1;
        }
        d->nw++;
    }
    return 0;
}

static int open_outputs(struct daemon *d, const struct daemon_conf *c, char *err, size_t errlen)
{
    if (c->db_path[0] && !(d->db = stats_db_open(c->db_path, err, errlen)))
        return -1;
    if (c->metrics[0] && !(d->metrics = metrics_server_start(c->metrics, fill_metrics, d, err, errlen)))
        return -1;
    return 0;
}

static void reload(struct daemon *d)
{
    struct daemon_conf nc;
    char err[1200];
    if (daemon_conf_load(&nc, d->config_path, err, sizeof err) != 0) {
        fprintf(stderr, "netsift daemon: SIGHUP: %s; keeping the running configuration\n", err);
        return;
    }
    apply_overrides(d, &nc);
    if (strcmp(nc.shm_prefix, d->conf.shm_prefix) != 0) {
        fprintf(stderr,
                "netsift daemon: SIGHUP: shm_prefix cannot change while running; keeping '%s'\n",
                d->conf.shm_prefix);
        snprintf(nc.shm_prefix, sizeof nc.shm_prefix, "%s", d->conf.shm_prefix);
    }
    /* outputs that changed: open the new ones first, keep the old on failure */
    if (strcmp(nc.db_path, d->conf.db_path) != 0) {
        struct stats_db *db = NULL;
        if (nc.db_path[0] && !(db = stats_db_open(nc.db_path, err, sizeof err))) {
            fprintf(stderr, "netsift daemon: SIGHUP: %s; keeping the running configuration\n", err);
            daemon_conf_free(&nc);
            return;
        }
        persist(d, true);
        stats_db_close(d->db);
        d->db = db;
    }
    if (strcmp(nc.metrics, d->conf.metrics) != 0) {
        struct metrics_server *ms = NULL;
        if (nc.metrics[0] &&
            !(ms = metrics_server_start(nc.metrics, fill_metrics, d, err, sizeof err))) {
            fprintf(stderr, "netsift daemon: SIGHUP: %s; metrics stay at '%s'\n", err,
                    d->conf.metrics);
            snprintf(nc.metrics, sizeof nc.metrics, "%s", d->conf.metrics);
        } else {
            metrics_server_stop(d->metrics);
            d->metrics = ms;
        }
    }
    /* watchers: removed, changed, unchanged, added */
    struct watcher **nw = calloc(nc.nwatchers ? nc.nwatchers : 1, sizeof *nw);
    if (!nw) {
        daemon_conf_free(&nc);
        return;
    }
    unsigned added = 0, removed = 0, changed = 0, kept = 0;
    pthread_mutex_lock(&d->lock); /* the metrics thread reads the list */
    for (size_t i = 0; i < d->nw; i++) {
        const char *name = watcher_conf(d->w[i])->name;
        size_t j = 0;
        while (j < nc.nwatchers && strcmp(nc.watchers[j].name, name) != 0)
            j++;
        if (j == nc.nwatchers) { /* removed: its last counters go to the table */
            uint64_t g = watcher_request_publish(d->w[i]);
            watcher_wait_published(d->w[i], g, 1000);
            watcher_stop(d->w[i]);
            if (d->db) {
                struct stats_snapshot s;
                if (stats_shm_read_named(d->conf.shm_prefix, name, &s, err, sizeof err) == 0) {
                    if (stats_db_append(d->db, &s, 1, wall_us(), err, sizeof err) != 0)
                        fprintf(stderr, "netsift daemon: %s\n", err);
                    stats_snapshot_free(&s);
                }
            }
            fprintf(stderr, "netsift daemon: SIGHUP: watcher %s removed\n", name);
            watcher_free(d->w[i], true);
            removed++;
            continue;
        }
        struct watcher_conf wc;
        daemon_conf_take(&nc, j, &wc);
        if (strcmp(wc.canon, watcher_conf(d->w[i])->canon) == 0 &&
            nc.publish_ms == d->conf.publish_ms) {
            filter_free(&wc.filter);
            kept++;
        } else if (watcher_restart(d->w[i], &wc, nc.publish_ms, err, sizeof err) != 0) {
            fprintf(stderr, "netsift daemon: SIGHUP: %s\n", err);
        } else {
            fprintf(stderr,
                    "netsift daemon: SIGHUP: watcher %s changed, restarted with its counters\n",
                    name);
            changed++;
        }
        nw[j] = d->w[i];
        nc.watchers[j].name[0] = '\0'; /* taken */
    }
    for (size_t j = 0; j < nc.nwatchers; j++) {
        if (!nc.watchers[j].name[0])
            continue;
        struct watcher_conf wc;
        daemon_conf_take(&nc, j, &wc);
        nw[j] = watcher_start(&wc, d->conf.shm_prefix, nc.publish_ms, err, sizeof err);
        if (!nw[j]) {
            fprintf(stderr, "netsift daemon: SIGHUP: %s\n", err);
            filter_free(&wc.filter);
        } else {
            fprintf(stderr, "netsift daemon: SIGHUP: watcher %s added\n", wc.name);
            added++;
        }
    }
    free(d->w);
    d->w = nw;
    d->nw = 0;
    for (size_t j = 0; j < nc.nwatchers; j++) /* keep configuration order, drop failures */
        if (nw[j])
            nw[d->nw++] = nw[j];
    daemon_conf_free(&nc);
    struct daemon_conf keep = nc; /* globals only; the watchers array is gone */
    keep.watchers = NULL;
    keep.nwatchers = 0;
    d->conf = keep;
    pthread_mutex_unlock(&d->lock);
    fprintf(stderr,
            "netsift daemon: SIGHUP: configuration reloaded: %u added, %u removed, %u changed, %u "
            "unchanged\n",
            added, removed, changed, kept);
}

static int write_pid_file(const char *path)
{
    FILE *f = create_stream(path);
    if (!f) {
        fprintf(stderr, "netsift daemon: pid file %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "%d\n", (int)getpid());
    return fclose(f) == 0 ? 0 : -1;
}

int daemon_main(int argc, char **argv)
{
    struct daemon d = {.lock = PTHREAD_MUTEX_INITIALIZER};
    const char *pid_file = NULL, *read_file = NULL, *max_entries = NULL;
    bool check_only = false, once = false, json = false;
    unsigned top = 10;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **target = NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--check") == 0 || strcmp(a, "--once") == 0 || strcmp(a, "--json") == 0) {
            *(a[2] == 'c' ? &check_only : a[2] == 'o' ? &once : &json) = true;
            continue;
        }
        if (strcmp(a, "--top") == 0) {
            char *end;
            long x = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : -1;
            if (x < 0 || x > 1000000 || *end || !argv[i + 1][0]) {
                fprintf(stderr, "netsift daemon: --top needs a whole number\n");
                return 2;
            }
            top = (unsigned)x;
            i++;
            continue;
        }
        if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0)
            target = &d.config_path;
        else if (strcmp(a, "-r") == 0 || strcmp(a, "--read-file") == 0)
            target = &read_file;
        else if (strcmp(a, "--max-entries") == 0)
            target = &max_entries;
        else if (strcmp(a, "--pid-file") == 0)
            target = &pid_file;
        else if (strcmp(a, "--metrics") == 0)
            target = &d.opt_metrics;
        else if (strcmp(a, "--db-path") == 0)
            target = &d.opt_db_path;
        else if (strcmp(a, "--shm-prefix") == 0)
            target = &d.opt_prefix;
        else if (strcmp(a, "--persist-interval") == 0) {
            if (i + 1 >= argc || conf_parse_duration(argv[i + 1], &d.opt_persist) != 0 ||
                !d.opt_persist) {
                fprintf(stderr,
                        "netsift daemon: --persist-interval needs a duration of at least 1s\n");
                return 2;
            }
            i++;
            continue;
        } else {
            fprintf(stderr, "netsift daemon: unknown option '%s' (see 'netsift daemon --help')\n",
                    a);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "netsift daemon: %s needs a value\n", a);
            return 2;
        }
        *target = argv[++i];
    }
    if (max_entries && !read_file) {
        fprintf(stderr,
                "netsift daemon: --max-entries goes with -r (with -c: max_entries in the file)\n");
        return 2;
    }
    if (!d.config_path == !read_file) {
        fprintf(stderr,
                "netsift daemon: give one of -c FILE and -r PCAP (see 'netsift daemon --help')\n");
        return 2;
    }
    char err[1200];
    struct daemon_conf c;
    int lrc;
    if (read_file) { /* one watcher, every handler: the configuration as text */
        char *text = NULL;
        size_t len = 0;
        FILE *mf = open_memstream(&text, &len);
        if (!mf)
            return 1;
        fprintf(mf, "[watcher file]\nread_file = %s\n", read_file);
        if (max_entries)
            fprintf(mf, "max_entries = %s\n", max_entries);
        fclose(mf);
        lrc = strchr(read_file, '\n') || (max_entries && strchr(max_entries, '\n'))
                  ? (snprintf(err, sizeof err, "-r: bad file name or --max-entries"), -1)
                  : daemon_conf_parse(&c, text, len, "-r", 0, err, sizeof err);
        free(text);
    } else {
        lrc = daemon_conf_load(&c, d.config_path, err, sizeof err);
    }
    if (lrc != 0) {
        fprintf(stderr, "netsift daemon: %s\n", err);
        return 2;
    }
    apply_overrides(&d, &c);
    if (c.metrics[0] || c.shm_prefix[0]) {
        char host[CONF_HOST_MAX];
        uint16_t port;
        if (c.metrics[0] &&
            parse_listen_addr(c.metrics, host, sizeof host, &port, err, sizeof err) != 0) {
            fprintf(stderr, "netsift daemon: --metrics: %s\n", err);
            daemon_conf_free(&c);
            return 2;
        }
    }
    if (check_only) {
        printf("%s: %zu watchers, configuration good\n", d.config_path ? d.config_path : read_file,
               c.nwatchers);
        daemon_conf_free(&c);
        return 0;
    }
    if (c.nwatchers == 0)
        fprintf(stderr, "netsift daemon: warning: %s has no [watcher NAME] section\n",
                d.config_path);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread: they inherit it */
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    int status = 0;
    d.conf = c;
    d.conf.watchers = NULL;
    d.conf.nwatchers = 0;
    if (sfd < 0 || open_outputs(&d, &c, err, sizeof err) != 0) {
        fprintf(stderr, "netsift daemon: %s\n", sfd < 0 ? strerror(errno) : err);
        daemon_conf_free(&c);
        status = 1;
        goto out;
    }
    if (pid_file && write_pid_file(pid_file) != 0) {
        daemon_conf_free(&c);
        status = 1;
        pid_file = NULL; /* not ours to remove */
        goto out;
    }
    pthread_mutex_lock(&d.lock); /* the metrics thread may read the list already */
    int started = start_watchers(&d, &c);
    pthread_mutex_unlock(&d.lock);
    if (started != 0) {
        daemon_conf_free(&c);
        status = 1;
        goto out;
    }
    daemon_conf_free(&c);
    fprintf(stderr, "netsift daemon: running %zu watchers (pid %d)%s%s\n", d.nw, (int)getpid(),
            d.conf.metrics[0] ? ", metrics at http://" : "", d.conf.metrics);

    uint64_t next_persist = wall_us() + d.conf.persist_interval * 1000000u;
    for (;;) {
        struct pollfd pfd[1] = {{.fd = sfd, .events = POLLIN}};
        uint64_t now = wall_us();
        int timeout = now >= next_persist ? 0 : (int)((next_persist - now) / 1000 + 1);
        if (timeout > (once ? 10 : 1000))
            timeout = once ? 10 : 1000;
        int rc = poll(pfd, 1, timeout);
        if (rc < 0 && errno != EINTR) {
            fprintf(stderr, "netsift daemon: poll: %s\n", strerror(errno));
            status = 1;
            break;
        }
        if (wall_us() >= next_persist) {
            persist(&d, false);
            next_persist = wall_us() + d.conf.persist_interval * 1000000u;
        }
        if (once) {
            size_t done = 0;
            while (done < d.nw && watcher_finished(d.w[done]))
                done++;
            if (done == d.nw)
                break;
        }
        if (rc > 0 && (pfd[0].revents & POLLIN)) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) != sizeof si)
                continue;
            if (si.ssi_signo == SIGHUP && !d.config_path) {
                fprintf(stderr, "netsift daemon: SIGHUP: no configuration file to read (-r)\n");
            } else if (si.ssi_signo == SIGHUP) {
                reload(&d);
                next_persist = wall_us() + d.conf.persist_interval * 1000000u;
            } else if (si.ssi_signo == SIGUSR1) {
                persist(&d, true);
                summary(&d);
            } else {
                fprintf(stderr, "netsift daemon: %s: stopping\n", strsignal((int)si.ssi_signo));
                break;
            }
        }
    }
out:
    metrics_server_stop(d.metrics); /* before the watchers go */
    d.metrics = NULL;
    for (size_t i = 0; i < d.nw; i++)
        watcher_stop(d.w[i]);
    if (d.nw) {
        persist(&d, false);
        summary(&d);
    }
    if (once && status == 0) {
        struct stats_snapshot *snaps = calloc(d.nw ? d.nw : 1, sizeof *snaps);
        size_t n = snaps ? read_all(&d, snaps) : 0;
        if (json)
            stats_write_json(stdout, snaps, n);
        else
            stats_write_text(stdout, snaps, n, top);
        for (size_t i = 0; i < n; i++)
            stats_snapshot_free(&snaps[i]);
        free(snaps);
    }
    for (size_t i = 0; i < d.nw; i++)
        watcher_free(d.w[i], true);
    free(d.w);
    stats_db_close(d.db);
    if (sfd >= 0)
        close(sfd);
    if (pid_file)
        unlink(pid_file);
    return status;
}
