/*
 * service.c - the control socket as a service of the capture
 * (capture.h): it serves DB_PATH/control.sock (or --control PATH) while a
 * capture with the monitor runs.
 *
 * STATS is the capture's live figures (capture_live_stats), the SQLite
 * writers' losses and stored rows (db/sqlite_writer.h) and what each sink
 * says of itself (capture_query "stats": the monitor's flows, gaps,
 * fingerprints, devices); QUERY_FLOWS is the sinks' answer to "flows";
 * QUERY_FINGERPRINT reads fingerprint.sqlite on the server's own
 * connection (server.h).  No sink is called directly.
 */
#include "service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db/sqlite_writer.h"
#include "server.h"

struct control_service {
    struct capture *cap;
    struct control_server *server;
    char socket_path[CONF_PATH_MAX + 32];
    char db_file[CONF_PATH_MAX + 32];
};

static bool control_enabled(const struct netsift_conf *conf)
{
    return conf->monitor && strcmp(conf->control, "none") != 0;
}

static void reply_line(void *ctx, const char *text)
{
    control_reply_line(ctx, "%s", text);
}

static void stats_table_row(void *arg, const char *db_path, const char *table, uint64_t stored)
{
    const char *base = strrchr(db_path, '/');
    char name[256];
    snprintf(name, sizeof name, "%s", base ? base + 1 : db_path);
    char *dot = strrchr(name, '.');
    if (dot)
        *dot = '\0';
    control_reply_line(arg, "rows.%s.%s %llu", name, table, (unsigned long long)stored);
}

static void provide_stats(void *arg, struct control_reply *r)
{
    struct control_service *cs = arg;
    struct capture_live_stats live;
    capture_live_stats(&live);
    control_reply_line(r, "packets_read %llu", (unsigned long long)live.packets);
    control_reply_line(r, "drops_kernel %llu", (unsigned long long)live.kernel_drops);
    control_reply_line(r, "drops_interface %llu", (unsigned long long)live.interface_drops);
    control_reply_line(r, "queue_full_waits %llu", (unsigned long long)live.queue_full_waits);
    control_reply_line(r, "queue_dropped %llu", (unsigned long long)live.queue_dropped);
    control_reply_line(r, "decode_truncated %llu", (unsigned long long)live.truncated);
    control_reply_line(r, "decode_malformed %llu", (unsigned long long)live.malformed);
    uint64_t lost_batches, lost_rows;
    writer_losses(&lost_batches, &lost_rows);
    control_reply_line(r, "db_batches_failed %llu", (unsigned long long)lost_batches);
    control_reply_line(r, "db_rows_lost %llu", (unsigned long long)lost_rows);
    capture_query(cs->cap, "stats", NULL, reply_line, r);
    writer_foreach_table(stats_table_row, r);
}

static void provide_flows(void *arg, const struct control_cmd *cmd, struct control_reply *r)
{
    struct control_service *cs = arg;
    capture_query(cs->cap, "flows", cmd->has_mac ? cmd->mac : NULL, reply_line, r);
}

static int control_start(void **state, struct capture *cap, const struct netsift_conf *conf,
                         char *err, size_t errlen)
{
    struct control_service *cs = calloc(1, sizeof *cs);
    if (!cs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *state = cs;
    cs->cap = cap;
    if (conf->control[0])
        snprintf(cs->socket_path, sizeof cs->socket_path, "%s", conf->control);
    else
        snprintf(cs->socket_path, sizeof cs->socket_path, "%s/control.sock", conf->db_path);
    snprintf(cs->db_file, sizeof cs->db_file, "%s/fingerprint.sqlite", conf->db_path);
    struct control_provider p = {cs, provide_stats, provide_flows};
    cs->server = control_server_start(cs->socket_path, cs->db_file, &p, err, errlen);
    if (cs->server || conf->control[0])
        return cs->server ? 0 : -1;
    /* the default place did not work (a path too long for a socket, ...):
     * capture anyway, without a control socket */
    fprintf(stderr, "netsift capture: warning: %s; no control socket (give --control PATH)\n", err);
    cs->socket_path[0] = '\0';
    return 0;
}

static void control_stop(void *state)
{
    struct control_service *cs = state;
    control_server_stop(cs->server);
    cs->server = NULL;
}

static void control_report(void *state, struct report *r)
{
    struct control_service *cs = state;
    if (cs->socket_path[0])
        report_str(r, "socket", cs->socket_path);
}

static void control_destroy(void *state)
{
    struct control_service *cs = state;
    if (!cs)
        return;
    control_server_stop(cs->server);
    free(cs);
}

const struct capture_service_ops control_service_ops = {
    .name = "control",
    .enabled = control_enabled,
    .start = control_start,
    .stop = control_stop,
    .report = control_report,
    .destroy = control_destroy,
};
