/*
 * progress.h - a one-line progress bar on stderr for long file reads:
 * percentage of bytes read, packets, rate and time left.  Drawn at the
 * first update, then at most four times a second, and only when stderr is
 * a terminal.
 */
#ifndef NETSIFT_PROGRESS_H
#define NETSIFT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
    bool enabled;
    uint64_t total_bytes;
    uint64_t start_us, last_draw_us;
    bool drawn;
};

void progress_init(struct progress *p, uint64_t total_bytes, bool enabled, uint64_t now_us);
void progress_update(struct progress *p, uint64_t done_bytes, uint64_t packets, uint64_t now_us);
void progress_finish(struct progress *p);

/* Monotonic clock in microseconds. */
uint64_t monotonic_us(void);

#endif
