/*
 * registry.c - the table of sinks.  One row per sink; the capture core
 * opens those that are enabled for the configuration, in this order.
 */
#include "sink.h"

extern const struct sink_ops headers_sink_ops;

const struct sink_ops *const sink_registry[] = {
    &headers_sink_ops,
};

const size_t sink_registry_count = sizeof sink_registry / sizeof sink_registry[0];
