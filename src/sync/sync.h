/*
 * sync.h - database sync to a central PostgreSQL.
 *
 * Every table of every local database (sink/databases.h) is copied to a
 * PostgreSQL table of the same name and columns plus `sensor`, the
 * gateway's name (pg_tables.h), exactly once in effect: positions live in
 * DB_PATH/sync-state.sqlite and move only after PostgreSQL committed
 * (sync_state.h, sync_engine.h).
 *
 * Two ways in:
 *   - `netsift capture --db-sync`: the sync service (sync_service.c) runs a
 *     background thread that pushes new rows every process_interval and
 *     retries with back-off while PostgreSQL is away; the capture never
 *     waits for it.
 *   - `netsift sync`: push everything pending, then exit; `--status`
 *     shows what is pending per table (sync_cmd.c).
 */
#ifndef NETSIFT_SYNC_H
#define NETSIFT_SYNC_H

#include "../capture/capture.h"

/* `netsift sync ...` (argv[0] = "sync"); the process exit status. */
int sync_main(int argc, char **argv);

/* `netsift capture --db-sync`: the sync as a service of the capture
 * (sync_service.c). */
extern const struct capture_service_ops sync_service_ops;

#endif
