/*
 * wal_checkpointer.h - checkpoint a database's WAL on a thread of its own.
 *
 * In WAL mode SQLite checkpoints on the writer's thread, inside the
 * COMMIT that takes the WAL past 1000 pages: it syncs the WAL, copies
 * every page into the database file and syncs that, while the next
 * transaction waits (a sixth of the time of storing headers alone went to
 * those syncs).  A checkpointer is a helper thread with its own connection
 * that runs the checkpoint instead, while the writer goes on inserting.
 *
 * The catch is SQLite's WAL restart: the WAL goes back to its start only
 * when a write transaction begins with every frame already copied.  A
 * writer that never pauses always begins while a checkpoint is copying
 * the previous commit, so the WAL would grow without end.  So the writer
 * tells the checkpointer the WAL's size after every commit
 * (wal_checkpointer_committed) and, once the WAL is past the limit,
 * waits before its next transaction for a checkpoint of everything it
 * committed (wal_checkpointer_catch_up): with nothing left to copy, that
 * transaction restarts the WAL.  The waits come once per `limit` frames,
 * and by then only the last commit is left to copy.
 *
 * The checkpoint syncs exactly as the writer's would (same synchronous
 * mode: WAL before copying, database after), so what survives a crash or
 * power loss is unchanged.
 */
#ifndef NETSIFT_WAL_CHECKPOINTER_H
#define NETSIFT_WAL_CHECKPOINTER_H

#include <stdbool.h>

struct wal_checkpointer;

/* Start a checkpointer for the database at db_path (in WAL mode; opened
 * by the thread itself), syncing as `synchronous` ("NORMAL" or "FULL")
 * says.  It checkpoints once the WAL holds `start` frames; the writer
 * catches up past `limit`.  NULL when the thread cannot start (the writer
 * then checkpoints itself, as SQLite does by default). */
struct wal_checkpointer *wal_checkpointer_start(const char *db_path, const char *synchronous,
                                                int start, int limit);

/* A transaction was committed and the WAL now holds wal_frames frames
 * (from sqlite3_wal_hook).  Returns at once.  True when the writer must
 * call wal_checkpointer_catch_up() before its next transaction. */
bool wal_checkpointer_committed(struct wal_checkpointer *c, int wal_frames);

/* Wait until a checkpoint that began after the last commit has ended
 * (whatever its outcome: a reader holding an old snapshot can keep it
 * from copying everything, and then the WAL grows, as it would with
 * SQLite's own checkpoints).  False when the checkpointer cannot
 * checkpoint (its connection failed): the caller checkpoints itself. */
bool wal_checkpointer_catch_up(struct wal_checkpointer *c);

/* Stop the thread and close its connection.  NULL is ignored. */
void wal_checkpointer_stop(struct wal_checkpointer *c);

#endif
