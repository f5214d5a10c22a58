/*
 * monitor_tables.h - the tables of DB_PATH/fingerprint.sqlite.
 *
 *   fingerprint  the specification's table, exactly: one row per MAC of a
 *                flow that has a fingerprint (see fingerprint.h)
 *   devices      one row per MAC address: what is on the network
 *   flows        one row per finished flow, with nDPI's protocol
 *
 * Each table is described once (schema.h) and filled from the row
 * structs below through batch_add().
 */
#ifndef NETSIFT_MONITOR_TABLES_H
#define NETSIFT_MONITOR_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#include "../db/schema.h"

enum monitor_table { MT_FINGERPRINT, MT_DEVICES, MT_FLOWS, MT_COUNT };

struct fingerprint_row {
    const char *mac;
    const char *protocol;
    const char *fingerprint;
    uint64_t timestamp;
    const char *query; /* NULL: none */
    const char *community_id; /* of the flow; NULL: none */
    bool mac_local;    /* mac is locally administered */
    const char *ja4;   /* TLS: the client's JA4; NULL: none */
};

struct device_row {
    const char *mac;
    uint64_t first_seen, last_seen;
    const char *ips, *dhcp_host_name, *dhcp_vendor_class, *protocols;
    uint64_t flows, fingerprints;
    bool locally_administered;
    const char *dhcp_client_id, *group;
};

struct flow_row {
    uint64_t first_seen, last_seen;
    uint16_t vlan;
    uint8_t ip_proto;
    const char *src_ip, *dst_ip;
    uint16_t src_port, dst_port;
    const char *src_mac, *dst_mac; /* NULL: none */
    const char *protocol, *confidence;
    uint64_t packets, bytes;
    const char *end_reason;
    const char *fingerprint, *query, *fingerprint_input; /* NULL: none */
    const char *community_id; /* NULL: none */
    bool src_mac_local, dst_mac_local; /* meaningful with the MAC */
    const char *ja4;          /* TLS: the client's JA4; NULL: none */
    const char *ja3;          /* TLS: the client's JA3; NULL: none */
    uint32_t tcp_gaps;        /* TCP: holes in its sequence space */
    uint64_t tcp_gap_bytes;
};

extern const struct table_schema monitor_tables[MT_COUNT];
extern const struct database_schema fingerprint_database;

#endif
