/*
 * databases.c - the list of every database netsift writes (see
 * databases.h).
 */
#include "databases.h"

#include "../monitor/monitor_tables.h"
#include "pcap_store.h"

const struct database_schema *const all_databases[] = {
    &header_database,
    &pcap_meta_database,
    &fingerprint_database,
};

const size_t all_databases_count = sizeof all_databases / sizeof all_databases[0];
