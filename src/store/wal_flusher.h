/*
 * wal_flusher.h - write a database's WAL to disk ahead of its checkpoint.
 *
 * In WAL mode with synchronous=NORMAL, SQLite syncs the WAL file only when
 * it checkpoints, on the writer's thread: the WAL's tens of megabytes
 * written since the last checkpoint go to the disk while the writer
 * waits.  A flusher is a helper thread that syncs the WAL after every
 * commit instead (fdatasync of its own read-only descriptor of the file),
 * while the writer goes on with the next transaction, so the checkpoint's
 * own sync finds little or nothing left to write.  It only adds syncs:
 * SQLite's own still happen, in the same order, so what survives a crash
 * or power loss is unchanged.  The WAL file has no POSIX locks of
 * SQLite's (those live on the database and -shm files), so opening and
 * closing a descriptor of it releases none.
 */
#ifndef NETSIFT_WAL_FLUSHER_H
#define NETSIFT_WAL_FLUSHER_H

struct wal_flusher;

/* Start a flusher for the WAL file at wal_path (it may not exist yet).
 * NULL when the thread cannot start (the database works the same, only
 * its checkpoints wait longer). */
struct wal_flusher *wal_flusher_start(const char *wal_path);

/* A transaction was committed: sync the WAL soon (returns at once). */
void wal_flusher_kick(struct wal_flusher *f);

/* Stop the thread and close the descriptor.  NULL is ignored. */
void wal_flusher_stop(struct wal_flusher *f);

#endif
