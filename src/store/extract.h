/*
 * extract.h - netsift extract: packets of the raw packet store back out
 * as one pcap file, chosen by time, MAC, IP, port and a BPF expression.
 */
#ifndef NETSIFT_EXTRACT_H
#define NETSIFT_EXTRACT_H

#include <stdint.h>

/* Run `netsift extract` with its arguments (argv[0] = "extract").
 * Returns the exit status: 0 every matching packet written, 1 some could
 * not be read (each file and its rows named on stderr) or the output
 * could not be written, 2 a usage error. */
int extract_main(int argc, char **argv);

/* Seconds since the epoch ("1700000000", "1700000000.25") or a UTC date
 * and time ("2023-11-14", "2023-11-14T22:13:20", "2023-11-14 22:13:20.5Z")
 * in microseconds.  0, or -1. */
int extract_parse_time(const char *text, uint64_t *us);

#endif
