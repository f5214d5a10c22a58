/*
 * report.h - the ways a watcher's snapshot leaves the daemon: rows of the
 * `stats` table in DB_PATH/stats.sqlite, Prometheus text exposition, and
 * the text and JSON of `netsift stats`.
 */
#ifndef NETSIFT_STATS_REPORT_H
#define NETSIFT_STATS_REPORT_H

#include <stdio.h>

#include "../db/schema.h"
#include "shm.h"

struct stats_db;
/* Open (creating) DIR/stats.sqlite and its table.  NULL with a reason. */
struct stats_db *stats_db_open(const char *dir, char *err, size_t errlen);
/* Append one row per entry of every snapshot, at time now_us, in one
 * transaction.  0 or -1 with a reason. */
int stats_db_append(struct stats_db *db, const struct stats_snapshot *snaps, size_t n,
                    uint64_t now_us, char *err, size_t errlen);
void stats_db_close(struct stats_db *db);

/* Prometheus text exposition format 0.0.4 of the snapshots. */
void metrics_write(FILE *f, const struct stats_snapshot *snaps, size_t n);

/* `netsift stats` output: one JSON document, or text tables (top
 * entries per handler by bytes; top 0 = all). */
void stats_write_json(FILE *f, const struct stats_snapshot *snaps, size_t n);
void stats_write_text(FILE *f, const struct stats_snapshot *snaps, size_t n, unsigned top);

extern const char *const stats_state_names[];

#endif
