/*
 * report.c - the stats table, Prometheus exposition, and the text/JSON of
 * `netsift stats` (see report.h).  Every output walks one table of fields
 * (entry_fields) so the three cannot drift apart.
 */
#include "report.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fsutil.h"
#include "../util/json.h"
#include "../util/text.h"

const char *const stats_state_names[] = {"starting", "running", "waiting", "done", "stopped"};

static const char *state_name(uint32_t s)
{
    return s <= WS_STOPPED ? stats_state_names[s] : "unknown";
}

/* The counters of an entry, by name, for every output. */
static const struct entry_field {
    const char *name;
    size_t off;
    const char *help;
} entry_fields[] = {
    {"tx_packets", offsetof(struct stats_entry, tx_packets),
     "packets sent by the key (conversation: a to b; interface, protocol: sent by this host)"},
    {"tx_bytes", offsetof(struct stats_entry, tx_bytes), "bytes on the wire of those packets"},
    {"rx_packets", offsetof(struct stats_entry, rx_packets),
     "packets received by the key (conversation: b to a; interface, protocol: the rest)"},
    {"rx_bytes", offsetof(struct stats_entry, rx_bytes), "bytes on the wire of those packets"},
    {"first_seen", offsetof(struct stats_entry, first_seen),
     "time of its first packet, microseconds since the epoch"},
    {"last_seen", offsetof(struct stats_entry, last_seen), "time of its last packet"},
    {"packets_1s", offsetof(struct stats_entry, win_packets[0]),
     "packets (both directions) in the last complete second"},
    {"bytes_1s", offsetof(struct stats_entry, win_bytes[0]), "bytes in the last complete second"},
    {"packets_10s", offsetof(struct stats_entry, win_packets[1]),
     "packets in the last 10 complete seconds"},
    {"bytes_10s", offsetof(struct stats_entry, win_bytes[1]),
     "bytes in the last 10 complete seconds"},
    {"packets_60s", offsetof(struct stats_entry, win_packets[2]),
     "packets in the last 60 complete seconds"},
    {"bytes_60s", offsetof(struct stats_entry, win_bytes[2]),
     "bytes in the last 60 complete seconds"},
};
#define NFIELDS (sizeof entry_fields / sizeof entry_fields[0])

static uint64_t field_of(const struct stats_entry *e, size_t i)
{
    uint64_t v;
    memcpy(&v, (const char *)e + entry_fields[i].off, sizeof v);
    return v;
}

/* ---- SQLite: the stats table ---- */

struct stats_row {
    uint64_t time;
    const char *watcher, *handler, *key;
};

#define SCOL(name, kind, field, doc)                                                               \
    {                                                                                              \
        name, kind, offsetof(struct stats_row, field), 0, -1, doc                                  \
    }
static const struct column stats_cols[4] = {
    SCOL("time", COL_U64, time, "when the daemon took the snapshot, microseconds since the epoch"),
    SCOL("watcher", COL_STR, watcher, "the watcher's name ([watcher NAME] of the configuration)"),
    SCOL("handler", COL_STR, handler, "mac, ip, interface, protocol, conversation or host"),
    SCOL("key", COL_STR, key,
         "what is counted: a MAC, an IP, an interface, a protocol name, `A,B` (conversation, A < "
         "B) or `MAC,IP` (host; the MAC alone when it sent no IP)"),
};

static const struct table_schema stats_table = {
    .name = "stats",
    .doc = "`netsift daemon`: every watcher's counters, appended on stop, on SIGUSR1 and every "
           "persist_interval (docs/daemon.md); counters are totals since the watcher started",
    .cols = stats_cols,
    .ncols = 4 + NFIELDS, /* the counters: build_table() */
    .primary_key = "time, watcher, handler, key",
    .not_null_mask = 0xf,
};

struct stats_db {
    sqlite3 *db;
    sqlite3_stmt *ins;
};

/* The counter columns come from entry_fields: filled in once. */
static struct column counter_cols[NFIELDS];
static struct table_schema full_table;

static void build_table(void)
{
    full_table = stats_table;
    static struct column all[4 + NFIELDS];
    memcpy(all, stats_cols, 4 * sizeof all[0]);
    for (size_t i = 0; i < NFIELDS; i++) {
        counter_cols[i] =
            (struct column){entry_fields[i].name, COL_U64, 0, 0, -1, entry_fields[i].help};
        all[4 + i] = counter_cols[i];
    }
    full_table.cols = all;
}

struct stats_db *stats_db_open(const char *dir, char *err, size_t errlen)
{
    build_table();
    if (ensure_dir(dir, err, errlen) != 0)
        return NULL;
    char path[4200], sql[4096];
    snprintf(path, sizeof path, "%s/stats.sqlite", dir);
    struct stats_db *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW,
                        NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(s->db, 5000);
    if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL, NULL,
                     NULL) != SQLITE_OK)
        goto fail;
    if (schema_create_sql(&full_table, sql, sizeof sql) != 0 ||
        sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    if (schema_insert_sql(&full_table, 1, sql, sizeof sql) != 0 ||
        sqlite3_prepare_v2(s->db, sql, -1, &s->ins, NULL) != SQLITE_OK)
        goto fail;
    return s;
fail:
    snprintf(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
    stats_db_close(s);
    return NULL;
}

int stats_db_append(struct stats_db *db, const struct stats_snapshot *snaps, size_t n,
                    uint64_t now_us, char *err, size_t errlen)
{
    if (sqlite3_exec(db->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    for (size_t w = 0; w < n; w++)
        for (uint64_t i = 0; i < snaps[w].hdr.nentries; i++) {
            const struct stats_entry *e = &snaps[w].entries[i];
            char key[STATS_KEY_TEXT];
            stats_key_format(&e->key, key);
            const char *handler =
                e->key.kind < SK_COUNT ? stats_kind_names[e->key.kind] : "unknown";
            sqlite3_reset(db->ins);
            sqlite3_bind_int64(db->ins, 1, (sqlite3_int64)now_us);
            sqlite3_bind_text(db->ins, 2, snaps[w].hdr.watcher, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(db->ins, 3, handler, -1, SQLITE_STATIC);
            sqlite3_bind_text(db->ins, 4, key, -1, SQLITE_TRANSIENT);
            for (size_t f = 0; f < NFIELDS; f++)
                sqlite3_bind_int64(db->ins, (int)(5 + f), (sqlite3_int64)field_of(e, f));
            if (sqlite3_step(db->ins) != SQLITE_DONE)
                goto rollback;
        }
    if (sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return 0;
rollback:
    snprintf(err, errlen, "stats.sqlite: %s", sqlite3_errmsg(db->db));
    sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
fail:
    snprintf(err, errlen, "stats.sqlite: %s", sqlite3_errmsg(db->db));
    return -1;
}

void stats_db_close(struct stats_db *db)
{
    if (!db)
        return;
    sqlite3_finalize(db->ins);
    sqlite3_close(db->db);
    free(db);
}

/* ---- Prometheus text exposition ---- */

static void label_value(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fputc('\\', f), fputc(*s, f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

/* Per-watcher families: one value of the header each. */
static const struct {
    const char *name, *type, *help;
    size_t off;
} watcher_families[] = {
    {"netsift_watcher_packets_seen_total", "counter",
     "packets the watcher read (after the kernel BPF filter)",
     offsetof(struct stats_shm_header, packets_seen)},
    {"netsift_watcher_packets_matched_total", "counter", "packets that passed the watcher's filter",
     offsetof(struct stats_shm_header, packets_matched)},
    {"netsift_watcher_bytes_matched_total", "counter", "bytes on the wire of those packets",
     offsetof(struct stats_shm_header, bytes_matched)},
    {"netsift_watcher_kernel_dropped_total", "counter",
     "packets the kernel dropped (pcap_stats ps_drop)",
     offsetof(struct stats_shm_header, kernel_dropped)},
    {"netsift_watcher_overflow_total", "counter",
     "packets whose new key found the counter table full",
     offsetof(struct stats_shm_header, overflow)},
    {"netsift_watcher_reopens_total", "counter",
     "times the source was opened again after it failed",
     offsetof(struct stats_shm_header, reopens)},
};

static void watcher_labels(FILE *f, const struct stats_snapshot *s)
{
    fputs("{watcher=\"", f);
    label_value(f, s->hdr.watcher);
    fputs("\"", f);
}

static void entry_labels(FILE *f, const struct stats_snapshot *s, const struct stats_entry *e)
{
    char key[STATS_KEY_TEXT];
    stats_key_format(&e->key, key);
    watcher_labels(f, s);
    fprintf(f, ",handler=\"%s\",key=\"",
            e->key.kind < SK_COUNT ? stats_kind_names[e->key.kind] : "unknown");
    label_value(f, key);
    fputs("\"", f);
}

/* Distinct MACs and IPs among the host entries (sorted copies). */
struct side17 {
    uint8_t v[17]; /* type + address */
};
static int cmp_side(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(struct side17));
}
static uint64_t distinct(struct side17 *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_side);
    uint64_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += i == 0 || memcmp(&v[i], &v[i - 1], sizeof *v) != 0;
    return d;
}
static void inventory_counts(const struct stats_snapshot *s, uint64_t *macs, uint64_t *ips)
{
    *macs = *ips = 0;
    size_t n = s->hdr.nentries, nm = 0, ni = 0;
    struct side17 *m = calloc(n ? n : 1, sizeof *m), *ip = calloc(n ? n : 1, sizeof *ip);
    if (m && ip) {
        for (size_t i = 0; i < n; i++) {
            const struct stats_key *k = &s->entries[i].key;
            if (k->kind != SK_HOST)
                continue;
            m[nm].v[0] = k->type_a;
            memcpy(m[nm++].v + 1, k->a, 16);
            if (k->type_b != AT_NONE) {
                ip[ni].v[0] = k->type_b;
                memcpy(ip[ni++].v + 1, k->b, 16);
            }
        }
        *macs = distinct(m, nm);
        *ips = distinct(ip, ni);
    }
    free(m);
    free(ip);
}

void metrics_write(FILE *f, const struct stats_snapshot *snaps, size_t n)
{
    for (size_t i = 0; i < sizeof watcher_families / sizeof watcher_families[0]; i++) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", watcher_families[i].name,
                watcher_families[i].help, watcher_families[i].name, watcher_families[i].type);
        for (size_t w = 0; w < n; w++) {
            uint64_t v;
            memcpy(&v, (const char *)&snaps[w].hdr + watcher_families[i].off, sizeof v);
            fputs(watcher_families[i].name, f);
            watcher_labels(f, &snaps[w]);
            fprintf(f, "} %llu\n", (unsigned long long)v);
        }
    }
    fputs("# HELP netsift_watcher_up 1 when the watcher reads its source, 0 while it waits for it\n"
          "# TYPE netsift_watcher_up gauge\n",
          f);
    for (size_t w = 0; w < n; w++) {
        fputs("netsift_watcher_up", f);
        watcher_labels(f, &snaps[w]);
        fprintf(f, ",state=\"%s\"} %d\n", state_name(snaps[w].hdr.state),
                snaps[w].hdr.state == WS_RUNNING || snaps[w].hdr.state == WS_DONE);
    }
    /* per entry: packets and bytes by direction (counters), windows and times (gauges) */
    static const struct {
        const char *name, *help;
        size_t tx, rx;
    } dir_families[] = {
        {"netsift_packets_total", "packets counted by a handler, by direction",
         offsetof(struct stats_entry, tx_packets), offsetof(struct stats_entry, rx_packets)},
        {"netsift_bytes_total", "bytes on the wire counted by a handler, by direction",
         offsetof(struct stats_entry, tx_bytes), offsetof(struct stats_entry, rx_bytes)},
    };
    for (size_t d = 0; d < 2; d++) {
        fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", dir_families[d].name, dir_families[d].help,
                dir_families[d].name);
        for (size_t w = 0; w < n; w++)
            for (uint64_t i = 0; i < snaps[w].hdr.nentries; i++)
                for (int side = 0; side < 2; side++) {
                    uint64_t v;
                    memcpy(&v,
                           (const char *)&snaps[w].entries[i] +
                               (side ? dir_families[d].rx : dir_families[d].tx),
                           8);
                    fputs(dir_families[d].name, f);
                    entry_labels(f, &snaps[w], &snaps[w].entries[i]);
                    fprintf(f, ",direction=\"%s\"} %llu\n", side ? "rx" : "tx",
                            (unsigned long long)v);
                }
    }
    static const struct {
        const char *name, *help;
        int bytes;
    } rate_families[] = {
        {"netsift_rate_packets_per_second",
         "packets per second (both directions) over the last complete window", 0},
        {"netsift_rate_bytes_per_second",
         "bytes per second (both directions) over the last complete window", 1},
    };
    for (size_t r = 0; r < 2; r++) {
        fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", rate_families[r].name, rate_families[r].help,
                rate_families[r].name);
        for (size_t w = 0; w < n; w++)
            for (uint64_t i = 0; i < snaps[w].hdr.nentries; i++)
                for (int k = 0; k < STATS_WINDOWS; k++) {
                    const struct stats_entry *e = &snaps[w].entries[i];
                    uint64_t v = rate_families[r].bytes ? e->win_bytes[k] : e->win_packets[k];
                    fputs(rate_families[r].name, f);
                    entry_labels(f, &snaps[w], e);
                    fprintf(f, ",window=\"%us\"} %.6g\n", stats_window_seconds[k],
                            (double)v / stats_window_seconds[k]);
                }
    }
    fputs(
        "# HELP netsift_last_seen_seconds time of the key's last packet, seconds since the epoch\n"
        "# TYPE netsift_last_seen_seconds gauge\n",
        f);
    for (size_t w = 0; w < n; w++)
        for (uint64_t i = 0; i < snaps[w].hdr.nentries; i++) {
            fputs("netsift_last_seen_seconds", f);
            entry_labels(f, &snaps[w], &snaps[w].entries[i]);
            fprintf(f, "} %.6f\n", snaps[w].entries[i].last_seen / 1e6);
        }
    fputs("# HELP netsift_inventory_hosts distinct source MACs and IPs of the host inventory\n"
          "# TYPE netsift_inventory_hosts gauge\n",
          f);
    for (size_t w = 0; w < n; w++) {
        if (!(snaps[w].hdr.handlers & (1u << SK_HOST)))
            continue;
        uint64_t macs, ips;
        inventory_counts(&snaps[w], &macs, &ips);
        fputs("netsift_inventory_hosts", f);
        watcher_labels(f, &snaps[w]);
        fprintf(f, ",address=\"mac\"} %llu\n", (unsigned long long)macs);
        fputs("netsift_inventory_hosts", f);
        watcher_labels(f, &snaps[w]);
        fprintf(f, ",address=\"ip\"} %llu\n", (unsigned long long)ips);
    }
}

/* ---- netsift stats: JSON and text ---- */

static const struct {
    const char *name;
    size_t off;
} header_fields[] = {
    {"packets_seen", offsetof(struct stats_shm_header, packets_seen)},
    {"packets_matched", offsetof(struct stats_shm_header, packets_matched)},
    {"bytes_matched", offsetof(struct stats_shm_header, bytes_matched)},
    {"kernel_received", offsetof(struct stats_shm_header, kernel_received)},
    {"kernel_dropped", offsetof(struct stats_shm_header, kernel_dropped)},
    {"interface_dropped", offsetof(struct stats_shm_header, interface_dropped)},
    {"overflow", offsetof(struct stats_shm_header, overflow)},
    {"reopens", offsetof(struct stats_shm_header, reopens)},
    {"publishes", offsetof(struct stats_shm_header, publishes)},
    {"started", offsetof(struct stats_shm_header, started_us)},
    {"updated", offsetof(struct stats_shm_header, updated_us)},
};

/* One watcher's counters as a JSON object. */
static json_t *watcher_json(const struct stats_snapshot *snap)
{
    const struct stats_shm_header *h = &snap->hdr;
    json_t *w = json_object(), *handlers = json_array(), *entries = json_array();
    json_object_set_new(w, "name", json_text(h->watcher));
    json_object_set_new(w, "source", json_text(h->source));
    json_object_set_new(w, "state", json_string(state_name(h->state)));
    json_object_set_new(w, "error", json_text(h->error));
    json_object_set_new(w, "pid", json_integer(h->pid));
    for (size_t i = 0; i < sizeof header_fields / sizeof header_fields[0]; i++) {
        uint64_t v;
        memcpy(&v, (const char *)h + header_fields[i].off, 8);
        json_object_set_new(w, header_fields[i].name, json_integer((json_int_t)v));
    }
    for (int k = 0; k < SK_COUNT; k++)
        if (h->handlers & (1u << k))
            json_array_append_new(handlers, json_string(stats_kind_names[k]));
    for (uint64_t i = 0; i < h->nentries; i++) {
        const struct stats_entry *e = &snap->entries[i];
        char key[STATS_KEY_TEXT], a[ADDR_TEXT_MAX], b[ADDR_TEXT_MAX];
        stats_key_format(&e->key, key);
        stats_key_side(&e->key, 0, a);
        stats_key_side(&e->key, 1, b);
        json_t *o = json_object();
        json_object_set_new(o, "handler", json_string(e->key.kind < SK_COUNT
                                                          ? stats_kind_names[e->key.kind]
                                                          : "unknown"));
        json_object_set_new(o, "key", json_text(key));
        json_object_set_new(o, "a", json_text(a));
        json_object_set_new(o, "b", json_text(b));
        for (size_t k = 0; k < NFIELDS; k++)
            json_object_set_new(o, entry_fields[k].name, json_integer((json_int_t)field_of(e, k)));
        json_array_append_new(entries, o);
    }
    json_object_set_new(w, "handlers", handlers);
    json_object_set_new(w, "entries", entries);
    return w;
}

void stats_write_json(FILE *f, const struct stats_snapshot *snaps, size_t n)
{
    json_t *root = json_object(), *watchers = json_array();
    for (size_t w = 0; w < n; w++)
        json_array_append_new(watchers, watcher_json(&snaps[w]));
    json_object_set_new(root, "watchers", watchers);
    json_print(f, root);
    json_decref(root);
}

static const struct stats_entry *sort_base;
static int by_bytes(const void *x, const void *y)
{
    const struct stats_entry *a = &sort_base[*(const uint32_t *)x],
                             *b = &sort_base[*(const uint32_t *)y];
    uint64_t ta = a->tx_bytes + a->rx_bytes, tb = b->tx_bytes + b->rx_bytes;
    return ta < tb ? 1 : ta > tb ? -1 : 0;
}

static void human(uint64_t v, char *out, size_t n)
{
    static const char units[] = " KMGTP";
    double d = (double)v;
    int u = 0;
    while (d >= 10000 && u < 5)
        d /= 1000, u++;
    if (u)
        snprintf(out, n, "%.1f%c", d, units[u]);
    else
        snprintf(out, n, "%llu", (unsigned long long)v);
}

void stats_write_text(FILE *f, const struct stats_snapshot *snaps, size_t n, unsigned top)
{
    for (size_t w = 0; w < n; w++) {
        const struct stats_shm_header *h = &snaps[w].hdr;
        fprintf(f,
                "watcher %s on %s: %s%s%s, %llu packets seen, %llu matched (%llu bytes), "
                "%llu dropped by kernel\n",
                h->watcher, h->source, state_name(h->state), h->error[0] ? ": " : "", h->error,
                (unsigned long long)h->packets_seen, (unsigned long long)h->packets_matched,
                (unsigned long long)h->bytes_matched, (unsigned long long)h->kernel_dropped);
        uint32_t *idx = malloc((h->nentries ? h->nentries : 1) * sizeof *idx);
        if (!idx)
            return;
        for (int k = 0; k < SK_COUNT; k++) {
            if (!(h->handlers & (1u << k)))
                continue;
            uint32_t m = 0;
            for (uint64_t i = 0; i < h->nentries; i++)
                if (snaps[w].entries[i].key.kind == k)
                    idx[m++] = (uint32_t)i;
            sort_base = snaps[w].entries;
            qsort(idx, m, sizeof *idx, by_bytes);
            fprintf(f, "  %-40s %9s %9s %9s %9s %9s %9s\n", stats_kind_names[k], "tx pkts",
                    "tx bytes", "rx pkts", "rx bytes", "pkt/s 10s", "B/s 10s");
            for (uint32_t j = 0; j < m && (top == 0 || j < top); j++) {
                const struct stats_entry *e = &snaps[w].entries[idx[j]];
                char key[STATS_KEY_TEXT], v[6][24];
                stats_key_format(&e->key, key);
                human(e->tx_packets, v[0], sizeof v[0]);
                human(e->tx_bytes, v[1], sizeof v[0]);
                human(e->rx_packets, v[2], sizeof v[0]);
                human(e->rx_bytes, v[3], sizeof v[0]);
                human(e->win_packets[1] / 10, v[4], sizeof v[0]);
                human(e->win_bytes[1] / 10, v[5], sizeof v[0]);
                fprintf(f, "  %-40s %9s %9s %9s %9s %9s %9s\n", key, v[0], v[1], v[2], v[3], v[4],
                        v[5]);
            }
            if (top && m > top)
                fprintf(f, "  (%u more)\n", m - top);
        }
        free(idx);
    }
}
