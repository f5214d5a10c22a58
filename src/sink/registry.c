/*
 * registry.c - the table of sinks.  One row per sink; the capture core
 * opens those that are enabled for the configuration.  Their order does
 * not matter: sinks share nothing but the packet and the records they
 * hand on through the core, and every finish() runs before any close()
 * (sink.h).  Services (the control socket, the sync) are not sinks:
 * main.c lists them (capture.h).
 */
#include "sink.h"

extern const struct sink_ops streams_sink_ops;
extern const struct sink_ops headers_sink_ops;
extern const struct sink_ops raw_sink_ops;
extern const struct sink_ops monitor_sink_ops;
extern const struct sink_ops audit_sink_ops;

const struct sink_ops *const sink_registry[] = {
    &headers_sink_ops,
    &raw_sink_ops,
    &streams_sink_ops,
    &monitor_sink_ops,
    &audit_sink_ops,
};

const size_t sink_registry_count = sizeof sink_registry / sizeof sink_registry[0];
