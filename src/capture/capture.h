/*
 * capture.h - netsift capture: the loop from source through decoder to
 * sinks, signals, progress and the summary.
 */
#ifndef NETSIFT_CAPTURE_H
#define NETSIFT_CAPTURE_H

#include <stdint.h>

/* Run `netsift capture` with its arguments (argv[0] = "capture").
 * Returns the process exit status. */
int capture_main(int argc, char **argv);

/* Figures of the running capture, published by its reading thread about
 * every second; any thread may read them (the control socket's STATS). */
struct capture_live_stats {
    uint64_t packets;          /* packets read */
    uint64_t kernel_drops;     /* live capture: pcap_stats ps_drop */
    uint64_t interface_drops;  /* live capture: pcap_stats ps_ifdrop */
    uint64_t truncated, malformed; /* packets the decoder found cut short / malformed */
    uint64_t queue_full_waits; /* frames held back while a worker's ring was full */
};
void capture_live_stats(struct capture_live_stats *out);

#endif
