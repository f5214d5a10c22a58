/*
 * index.h - finding the alerts that belong to a record without comparing
 * every record with every alert.
 *
 * The alerts are indexed four ways, each an array sorted by (key hash,
 * time): by the direction-free 5-tuple (both endpoints' address and
 * port), by the address pair, by the port pair, and by time alone.  A
 * record's lookup picks the most specific key it can build, finds the
 * key's run by binary search and walks only the alerts of that run whose
 * time falls in the record's span, checking each for real (the hash only
 * narrows).  Cost per record: O(log A + matches), so a million records
 * against ten thousand alerts is a matter of seconds.
 */
#ifndef NETSIFT_LABEL_INDEX_H
#define NETSIFT_LABEL_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"

/* What a record knows about itself. */
struct label_key {
    int64_t t0, t1;   /* its time span, inclusive (t0 == t1: one packet) */
    int proto;        /* IP protocol number, -1 when the record does not say */
    uint8_t addr_len; /* 4 or 16; 0: the record has no addresses */
    uint8_t a[16], b[16];
    bool has_ports;
    uint16_t pa, pb; /* a's port, b's port */
    bool no_ip;      /* the record's packet is known to have no IP header: only
                        alerts without addresses (decoder events) can be its */
};

struct label_index;

/* Index of v[0..n) (kept by pointer: v must outlive the index).  NULL: out of memory. */
struct label_index *label_index_build(const struct alert *v, size_t n);
void label_index_free(struct label_index *ix);

/* The alerts matching k (either direction), as indices into v in file
 * order, into *out (grown as needed; *cap its size).  Returns their number. */
size_t label_index_match(const struct label_index *ix, const struct label_key *k, uint32_t **out,
                         size_t *cap);

/* Whether some alert has exactly this time. */
bool label_index_has_time(const struct label_index *ix, int64_t ts);

/* Direction-free hash of k's addresses and ports (the 5-tuple key; the
 * protocol is not part of it). */
uint64_t label_key_tuple_hash(const struct label_key *k);

/* Whether alert a matches k (the check behind label_index_match). */
bool label_key_matches(const struct label_key *k, const struct alert *a);

#endif
