/*
 * headers_sink.h - what other sinks may ask of the headers sink: adding
 * rows of headers.sqlite's non-header tables (the http table) to the
 * batch of a worker, so that they share its writer and transactions.
 */
#ifndef NETSIFT_HEADERS_SINK_H
#define NETSIFT_HEADERS_SINK_H

#include <stdbool.h>
#include <stddef.h>

/* Add one row of table `table` (an index into header_tables, e.g.
 * HT_HTTP) built from `record`, on worker `worker`'s thread (or after the
 * workers stopped, before the headers sink closes).  False when the
 * headers sink is not open (--no-db-write) or out of memory. */
bool headers_add_row(unsigned worker, size_t table, const void *record);

#endif
