/*
 * rotation.h - closed header databases: DB_PATH/headers/ and their
 * retention.
 *
 * headers.sqlite can be rotated like the raw store's pcap files and like
 * tcpdump -G/-C (--db-rotate-size, --db-rotate-time): its writer closes it
 * between two transactions (a batch goes whole to one file), renames it
 * into DB_PATH/headers/ under a pending name and opens a new
 * headers.sqlite, so the capture waits for no more than a close, a rename
 * and an open.  A thread of this module finishes each pending file:
 * PRAGMA integrity_check, its time range (the eth table's first and last
 * timestamp), its final name headers-<first>--<last>.sqlite (UTC with
 * microseconds, so names sort by time), mode 0440 (never written again).
 * Then retention (--db-max-size, --db-max-age) removes whole closed
 * files, oldest first.  A pending file that a kill -9 left behind is
 * finished at the next start; a removal is one unlink, so a kill during
 * retention leaves every file whole.
 */
#ifndef NETSIFT_ROTATION_H
#define NETSIFT_ROTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db_rotation;

struct db_rotation_stats {
    uint64_t files_closed;   /* finished into DB_PATH/headers/ */
    uint64_t files_removed;  /* by retention */
    uint64_t files_bad;      /* failed integrity_check: kept, named bad-... */
};

/* Set up DB_PATH/<dir> (created 0750 unless it exists; a link is
 * refused) and the thread that finishes closed files, with retention
 * limits max_size (bytes of the closed files and the open one; 0: none)
 * and max_age_s (seconds; 0: none).  Finishes pending files left by an
 * earlier run.  NULL with a one-line reason in err. */
struct db_rotation *db_rotation_open(const char *db_path, const char *dir, uint64_t max_size,
                                     uint64_t max_age_s, char *err, size_t errlen);

/* Move the closed database file (no -wal or -shm beside it) into the
 * directory under a pending name, to be finished on the thread;
 * newest_us is the newest packet stored so far (for --db-max-age),
 * open_bytes what the open file holds (for --db-max-size).  0, or -1 with
 * the reason in err (the file is then where it was). */
int db_rotation_hand_over(struct db_rotation *r, const char *db_file, uint64_t newest_us,
                          char *err, size_t errlen);

/* Finish every handed-over file, apply retention once more with the
 * newest packet stored (newest_us) and the open file's final size, stop
 * the thread, fill stats (may be NULL) and free r.  NULL is ignored. */
void db_rotation_close(struct db_rotation *r, uint64_t newest_us, struct db_rotation_stats *stats);

/* The finished files of DB_PATH/<dir>, oldest first: *names gets a
 * malloc'ed array of malloc'ed file names (not paths).  Their count, or -1
 * with the reason in err. */
int db_rotation_list(const char *db_path, const char *dir, char ***names, char *err,
                     size_t errlen);
void db_rotation_list_free(char **names, int n);

/* The rotation lock, DB_PATH/headers.lock: a reader of headers.sqlite
 * (sync, netsift sql, extract --sql) holds it shared while it has the
 * file open, and the writer holds it exclusive while it closes, moves and
 * reopens the file, so that no reader opens the file between the
 * writer's close and its rename (its -wal and -shm would stay beside the
 * new headers.sqlite).  Two bytes of the file: a gate that the writer
 * closes as soon as a rotation is due, which keeps new readers waiting,
 * and the file's byte, which the writer takes once the readers inside
 * have left.  Readers that hold the file long look at the gate between
 * two steps (db_rotation_wanted()) and leave.
 *
 * db_rotation_lock_shared(): the descriptor, held until
 * db_rotation_unlock(); may wait while a rotation is due; -1 when there
 * can be no lock (a directory the reader cannot write to, where nothing
 * it could disturb rotates; or an error): go on without.
 * db_rotation_lock_exclusive(): 0 when the writer may rotate now; 1
 * while a reader still holds the file (the gate stays closed: try again
 * after the next transaction); -1 when there can be no lock.  Each time
 * db_rotation_unlock_exclusive() opens the gate again once the writer
 * rotated or gave up. */
int db_rotation_lock_shared(const char *db_path);
bool db_rotation_wanted(int fd);
void db_rotation_unlock(int fd);
int db_rotation_lock_exclusive(struct db_rotation *r);
void db_rotation_unlock_exclusive(struct db_rotation *r);

/* The time range of the packets of a finished file, read from its name
 * (headers-<first>--<last>.sqlite): true, or false when the name is not
 * one. */
bool db_rotation_name_range(const char *name, uint64_t *first_us, uint64_t *last_us);

#endif
