/*
 * databases.c - the list of every database the sinks write (see
 * databases.h).  Like the sink registry, it names each database by its
 * descriptor alone, so that it includes no sink.
 */
#include "databases.h"

extern const struct database_schema pcap_meta_database;   /* store/pcap_index.c: the raw sink */
extern const struct database_schema fingerprint_database; /* monitor/monitor_tables.c */

const struct database_schema *const all_databases[] = {
    &header_database, /* db/schema.c: the headers sink */
    &pcap_meta_database,
    &fingerprint_database,
};

const size_t all_databases_count = sizeof all_databases / sizeof all_databases[0];
