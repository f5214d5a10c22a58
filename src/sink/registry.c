/*
 * registry.c - the table of sinks.  One row per sink; the capture core
 * opens those that are enabled for the configuration, in this order.
 */
#include "sink.h"

extern const struct sink_ops streams_sink_ops;
extern const struct sink_ops headers_sink_ops;
extern const struct sink_ops raw_sink_ops;
extern const struct sink_ops monitor_sink_ops;
extern const struct sink_ops sync_sink_ops;
extern const struct sink_ops audit_sink_ops;

const struct sink_ops *const sink_registry[] = {
    &streams_sink_ops, /* before headers: its close adds http rows the headers close commits */
    &headers_sink_ops,
    &raw_sink_ops,
    &monitor_sink_ops,
    &audit_sink_ops,
    &sync_sink_ops, /* keep last: its close pushes what the others committed in theirs */
};

const size_t sink_registry_count = sizeof sink_registry / sizeof sink_registry[0];
