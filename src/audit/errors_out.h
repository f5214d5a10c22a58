/*
 * errors_out.h - DIR/unknown.pcap, DIR/errors.pcap and DIR/errors.log of
 * an audit capture.
 *
 * A packet of a link type or protocol netsift does not decode goes to
 * unknown.pcap; a packet with a truncated or malformed layer goes to
 * errors.pcap, and errors.log gets one entry per such packet:
 *
 *     <UTC timestamp, RFC 3339 with microseconds>
 *     Error: <description>
 *     <the layers found, with their byte ranges, then a hex dump>
 *
 * and at close a summary, one "<error name>: <count>" line per error.
 * Shared by all workers (one lock; these packets are the exception).
 */
#ifndef NETSIFT_AUDIT_ERRORS_OUT_H
#define NETSIFT_AUDIT_ERRORS_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "../decode/packet.h"

struct audit_errors;

struct audit_errors *audit_errors_open(const char *dir, int linktype, uint32_t snaplen,
                                       char *err, size_t errlen);
void audit_errors_packet(struct audit_errors *e, const struct packet *pkt);
/* Write the summary and close; 0, or -1 with a reason in err. */
int audit_errors_close(struct audit_errors *e, char *err, size_t errlen);
uint64_t audit_errors_unknown(const struct audit_errors *e);
uint64_t audit_errors_errors(const struct audit_errors *e);
void audit_errors_free(struct audit_errors *e);

#endif
