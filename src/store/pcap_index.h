/*
 * pcap_index.h - housekeeping of the raw packet store's index
 * (pcap-meta.sqlite) together with its files: recovery after a crash and
 * retention.  Both keep the one invariant of the store: every row of
 * `meta` points at bytes that exist in its file, and every pcap file in
 * DB_PATH/pcap/ is listed in `files`.
 *
 * The caller holds the store's lock (one capture writes a store at a
 * time), so no other process writes these files meanwhile.
 */
#ifndef NETSIFT_PCAP_INDEX_H
#define NETSIFT_PCAP_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct sqlite3;

struct pcap_recovery {
    uint64_t files_closed;   /* files left open by a crash, trimmed and closed */
    uint64_t rows_dropped;   /* rows that pointed past the end of their file */
    uint64_t bytes_trimmed;  /* bytes cut off after the last complete record */
    uint64_t files_removed;  /* files without a usable row, or unindexed, removed */
    uint64_t deletions_finished; /* retention removals a crash interrupted */
};

/*
 * Before writing: finish interrupted retention removals, trim and close
 * every file a crash left open (rows past the end of the file are
 * dropped, the file is cut after the last indexed record), and remove
 * pcap files the index does not know (created just before a crash, none
 * of their rows committed).  db_file is pcap-meta.sqlite, dir the pcap
 * folder.  A store whose index is missing while pcap files exist is
 * refused rather than emptied.  0, or -1 with a reason in err.
 */
int pcap_index_recover(const char *db_file, const char *dir, struct pcap_recovery *r, char *err,
                       size_t errlen);

struct pcap_retention {
    const char *dir;      /* the pcap folder */
    uint64_t max_size;    /* bytes of all files; 0: no limit */
    uint64_t max_age_us;  /* age of a file's last packet behind the newest packet; 0: none */
    uint64_t files_removed, bytes_removed, packets_removed;
    char error[4608];     /* the first failure, "" when none */
};

/*
 * Remove the oldest closed files while the limits are exceeded.  Per
 * file: mark it deleting (one transaction), unlink it, then delete its
 * rows and its entry (a second transaction); extract skips files marked
 * deleting, and recovery finishes them.  Runs on the index writer's
 * thread, outside a transaction.  0, or -1 with r->error set.
 */
int pcap_index_retain(struct sqlite3 *db, struct pcap_retention *r);

#endif
