/*
 * client.c - `netsift query` (see client.h and docs/control.md).
 *
 * Commands come from the arguments (joined by spaces into one command)
 * or, without arguments, one per line of standard input.  Through the
 * socket each command is sent as one line and the reply read up to its
 * terminator; with --db-path the same parser and query code
 * (protocol.h, fpquery.h) answer from DIR/fingerprint.sqlite.
 */
#define _GNU_SOURCE
#include "client.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../conf/conf.h"
#include "../db/sqlite_writer.h"
#include "fpquery.h"

struct query_opts {
    char control[CONF_PATH_MAX + 32];
    char db_path[CONF_PATH_MAX];
    bool raw;
    bool prometheus;  /* STATS lines as Prometheus text exposition */
    bool rows_typed;  /* the TYPE line of netsift_rows_total was written */
    int timeout_ms;
};

/* STATS figures that go up and down; every other one only grows. */
static const char *const gauges[] = {"flows_active", "devices", "control_clients"};

/* One "name value" STATS line as Prometheus text exposition (format
 * 0.0.4, for node_exporter's textfile collector or any scraper that reads
 * a file): netsift_<name>_total for counters, netsift_<name> for gauges,
 * rows.<database>.<table> as netsift_rows_total{database=,table=}.  Lines
 * that are not a name and a whole number are left out. */
static void prometheus_line(struct query_opts *o, const char *line)
{
    char name[128], a[64], b[64];
    unsigned long long v;
    int n = 0;
    if (sscanf(line, "%127s %llu%n", name, &v, &n) != 2 || line[n] != '\0')
        return;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
              *p == '-'))
            return;
    if (sscanf(name, "rows.%63[^.].%63s", a, b) == 2) {
        if (!o->rows_typed)
            printf("# TYPE netsift_rows_total counter\n");
        o->rows_typed = true;
        printf("netsift_rows_total{database=\"%s\",table=\"%s\"} %llu\n", a, b, v);
        return;
    }
    if (strchr(name, '.') || strchr(name, '-'))
        return;
    bool gauge = false;
    for (size_t i = 0; i < sizeof gauges / sizeof gauges[0]; i++)
        gauge |= strcmp(name, gauges[i]) == 0;
    printf("# TYPE netsift_%s%s %s\nnetsift_%s%s %llu\n", name, gauge ? "" : "_total",
           gauge ? "gauge" : "counter", name, gauge ? "" : "_total", v);
}

/* Where replies go: data lines to stdout; END is swallowed and FAIL goes
 * to stderr, unless --raw prints every line as received. */
static int emit(struct query_opts *o, const char *line)
{
    bool end = strcmp(line, "END") == 0, failed = strncmp(line, "FAIL", 4) == 0;
    if (o->raw)
        printf("%s\n", line);
    else if (o->prometheus && !failed && !end)
        prometheus_line(o, line);
    else if (failed)
        fprintf(stderr, "%s\n", line);
    else if (!end)
        printf("%s\n", line);
    return end ? 0 : failed ? 1 : -1; /* -1: more lines follow */
}

/* ---- through the socket -------------------------------------------- */

#define CONN_LOST 2 /* ask_socket(): the connection cannot be used any more */

struct conn {
    int fd;
    char buf[65536];
    size_t len;
};

static int connect_socket(struct conn *c, const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "netsift query: socket path '%s' is too long\n", path);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    c->len = 0;
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "netsift query: cannot connect to %s: %s (is netsift capture running?)\n",
                path, strerror(errno));
        if (c->fd >= 0)
            close(c->fd);
        return -1;
    }
    return 0;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One reply line (without its newline) into line; -1 on timeout, close
 * or error. */
static int read_line(struct conn *c, char *line, size_t size, int timeout_ms)
{
    for (;;) {
        char *lf = memchr(c->buf, '\n', c->len);
        if (lf) {
            size_t n = (size_t)(lf - c->buf);
            snprintf(line, size, "%.*s", (int)n, c->buf);
            c->len -= n + 1;
            memmove(c->buf, lf + 1, c->len);
            return 0;
        }
        if (c->len == sizeof c->buf)
            return -1; /* no server line is this long */
        struct pollfd pfd = {c->fd, POLLIN, 0};
        int r = poll(&pfd, 1, timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        ssize_t got = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (got <= 0)
            return -1;
        c->len += (size_t)got;
    }
}

static int ask_socket(struct query_opts *o, struct conn *c, const char *cmd)
{
    char line[FPQ_LINE_MAX + 64];
    size_t n = strlen(cmd);
    if (send_all(c->fd, cmd, n) != 0 || send_all(c->fd, "\n", 1) != 0) {
        fprintf(stderr, "netsift query: the connection closed\n");
        return CONN_LOST;
    }
    for (;;) {
        if (read_line(c, line, sizeof line, o->timeout_ms) != 0) {
            fprintf(stderr, "netsift query: no complete reply (timeout or connection closed)\n");
            return CONN_LOST;
        }
        int rc = emit(o, line);
        if (rc >= 0)
            return rc;
    }
}

/* ---- from the database --------------------------------------------- */

static int ask_database(struct query_opts *o, sqlite3 *db, const char *cmdline)
{
    struct control_cmd cmd;
    char why[512], line[FPQ_LINE_MAX + 8];
    if (control_parse(cmdline, strlen(cmdline), &cmd, why, sizeof why) != 0) {
        snprintf(line, sizeof line, "FAIL %s", why);
        return emit(o, line);
    }
    if (cmd.verb == CMD_PING) {
        emit(o, "PONG");
        return emit(o, "END");
    }
    if (cmd.verb != CMD_QUERY_FINGERPRINT)
        return emit(o, "FAIL this command needs a running capture: use --control");
    sqlite3_stmt *st = fpq_prepare(db, &cmd, why, sizeof why);
    if (!st) {
        snprintf(line, sizeof line, "FAIL %s", why);
        return emit(o, line);
    }
    int rc;
    while ((rc = fpq_next(st, line, sizeof line)) == 1)
        emit(o, line);
    sqlite3_finalize(st);
    if (rc < 0) {
        char fail[sizeof line + 8];
        snprintf(fail, sizeof fail, "FAIL %s", line);
        return emit(o, fail);
    }
    return emit(o, "END");
}

/* ---- commands ------------------------------------------------------ */

struct target {
    struct query_opts *o;
    sqlite3 *db;     /* --db-path */
    struct conn conn; /* --control */
};

static int ask(struct target *t, const char *cmd)
{
    return t->db ? ask_database(t->o, t->db, cmd) : ask_socket(t->o, &t->conn, cmd);
}

/* Each line of stdin is a command; the worst status wins. */
static int ask_stdin(struct target *t)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int status = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        if ((size_t)n >= CONTROL_LINE_MAX) {
            emit(t->o, "FAIL line too long");
            status = 1;
            continue;
        }
        int rc = ask(t, line);
        if (rc != 0)
            status = 1;
        if (rc == CONN_LOST)
            break;
    }
    free(line);
    return status;
}

static void usage(FILE *f)
{
    fprintf(f,
            "NAME\n"
            "    netsift query - ask a running capture, or its database, about devices\n\n"
            "SYNOPSIS\n"
            "    netsift query [--control PATH | --db-path DIR] [--raw | --prometheus]\n"
            "                  [--timeout S] [COMMAND]\n\n"
            "DESCRIPTION\n"
            "    Sends COMMAND (the arguments joined by spaces), or each line of standard\n"
            "    input when there is none, to the control socket of a running `netsift\n"
            "    capture` and prints the reply lines.  Commands (docs/control.md):\n\n"
            "      PING\n"
            "      STATS\n"
            "      QUERY_FINGERPRINT mac timestamp op protocol\n"
            "          rows mac,protocol,fingerprint,timestamp,query of the fingerprint\n"
            "          table for mac, timestamp compared with op (>= <= > < =), protocol\n"
            "          `all` or an nDPI name (TLS matches TLS.Amazon), ordered by timestamp\n"
            "      QUERY_FLOWS [mac]\n"
            "          live flows: src_mac,dst_mac,ip_proto,src_ip,src_port,dst_ip,dst_port,\n"
            "          vlan,protocol,packets,bytes,first_seen,last_seen\n\n"
            "OPTIONS\n"
            "    --control PATH\n"
            "        The capture's socket (default DB_PATH/control.sock of the default\n"
            "        database path: netsift-db/control.sock).\n"
            "    --db-path DIR\n"
            "        Answer PING and QUERY_FINGERPRINT from DIR/fingerprint.sqlite directly,\n"
            "        with or without a capture running (read-only).\n"
            "    --raw\n"
            "        Print every reply line as received, END and FAIL included.\n"
            "    --prometheus\n"
            "        Print the reply to STATS in Prometheus text exposition format:\n"
            "        netsift_<name>_total counters (netsift_drops_kernel_total,\n"
            "        netsift_queue_dropped_total, netsift_db_rows_lost_total, ...),\n"
            "        gauges netsift_flows_active, netsift_devices, and\n"
            "        netsift_rows_total{database,table}; for node_exporter's textfile\n"
            "        collector, e.g. from cron into /var/lib/node_exporter/netsift.prom.\n"
            "    --timeout S\n"
            "        Seconds to wait for a reply line (default 30).\n"
            "    -h, --help\n"
            "        Show this text.\n\n"
            "OUTPUT\n"
            "    Data lines go to standard output; a FAIL line (the reason a command was\n"
            "    refused) goes to standard error.\n\n"
            "EXIT STATUS\n"
            "    0 every command was answered; 1 a command failed (FAIL), or the socket or\n"
            "    database could not be used; 2 a usage error.\n\n"
            "EXAMPLES\n"
            "    netsift query 'QUERY_FINGERPRINT 84:e3:42:3a:cb:2f 0 >= all'\n"
            "    netsift query --db-path /var/lib/netsift 'QUERY_FINGERPRINT 84:e3:42:3a:cb:2f 0 >= DNS'\n"
            "    printf 'PING\\nSTATS\\n' | netsift query --control /run/netsift.sock\n"
            "    netsift query --prometheus STATS > /var/lib/node_exporter/netsift.prom.tmp\n");
}

static int parse_args(int argc, char **argv, struct query_opts *o, char *cmd, size_t cmdsize)
{
    static const struct option longopts[] = {
        {"control", required_argument, NULL, 'C'}, {"db-path", required_argument, NULL, 'd'},
        {"raw", no_argument, NULL, 'r'},           {"timeout", required_argument, NULL, 't'},
        {"prometheus", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    int ch;
    opterr = 0;
    optind = 1;
    /* "+": stop at the first command word, so "<=" and friends are never options */
    while ((ch = getopt_long(argc, argv, "+hd:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'C': snprintf(o->control, sizeof o->control, "%s", optarg); break;
        case 'd': snprintf(o->db_path, sizeof o->db_path, "%s", optarg); break;
        case 'r': o->raw = true; break;
        case 'P': o->prometheus = true; break;
        case 't': o->timeout_ms = atoi(optarg) > 0 ? atoi(optarg) * 1000 : 30000; break;
        case 'h': usage(stdout); return 1;
        default:
            fprintf(stderr, "netsift query: unknown option or missing value: %s\n",
                    argv[optind - 1]);
            return -1;
        }
    }
    if (o->raw && o->prometheus) {
        fprintf(stderr, "netsift query: give --raw or --prometheus, not both\n");
        return -1;
    }
    if (o->control[0] && o->db_path[0]) {
        fprintf(stderr, "netsift query: give --control or --db-path, not both\n");
        return -1;
    }
    cmd[0] = '\0';
    for (int i = optind, used = 0; i < argc; i++) {
        int w = snprintf(cmd + used, cmdsize - (size_t)used, "%s%s", i > optind ? " " : "", argv[i]);
        if (w < 0 || (size_t)w >= cmdsize - (size_t)used) {
            fprintf(stderr, "netsift query: command too long\n");
            return -1;
        }
        used += w;
    }
    return 0;
}

int query_main(int argc, char **argv)
{
    struct query_opts o = {.timeout_ms = 30000};
    char cmd[CONTROL_LINE_MAX], err[4096 + 64];
    int prc = parse_args(argc, argv, &o, cmd, sizeof cmd);
    if (prc != 0)
        return prc > 0 ? 0 : 2;
    struct target t = {.o = &o, .conn.fd = -1};
    if (o.db_path[0]) {
        char path[CONF_PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/fingerprint.sqlite", o.db_path);
        if (!(t.db = db_open_readonly(path, err, sizeof err))) {
            fprintf(stderr, "netsift query: %s\n", err);
            return 1;
        }
    } else {
        if (!o.control[0]) {
            struct netsift_conf defaults;
            conf_defaults(&defaults);
            snprintf(o.control, sizeof o.control, "%s/control.sock", defaults.db_path);
        }
        if (connect_socket(&t.conn, o.control) != 0)
            return 1;
    }
    int status = cmd[0] ? ask(&t, cmd) != 0 : ask_stdin(&t);
    if (t.db)
        sqlite3_close(t.db);
    if (t.conn.fd >= 0)
        close(t.conn.fd);
    return status;
}
