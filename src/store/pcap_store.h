/*
 * pcap_store.h - the raw packet store: pcap files under DB_PATH/pcap/ and
 * their index, DB_PATH/pcap-meta.sqlite.
 *
 * Writing (pcap_store.c, the "raw" sink, enabled by file_write): each
 * worker appends the packets it owns to its own pcap file, named
 * "<uuid v4>.pcap", and rotates it by size and by time.  Every packet
 * gets one row in the `meta` table (the specification's columns, then
 * where the packet is: its byte offset in the file, and what a query
 * selects on: MACs, IPs, ports, the link-layer header hash that joins to
 * headers.sqlite).  The `files` table holds each file's state.
 *
 * Crash safety: a worker flushes its file before it hands the rows that
 * point into it to the writer, so a committed row never points at bytes
 * that are not in the file.  On the next start, files not marked closed
 * are trimmed to what their rows cover and closed (pcap_index.c).
 *
 * Reading: netsift extract (extract.c).
 */
#ifndef NETSIFT_PCAP_STORE_H
#define NETSIFT_PCAP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../db/schema.h"

#define PCAP_META_DB "pcap-meta.sqlite"
#define PCAP_DIR "pcap"
/* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx.pcap" */
#define PCAP_UUID_LEN 36
#define PCAP_NAME_LEN (PCAP_UUID_LEN + 5)
/* pcap file header and per-record header sizes */
#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR 16

/* Tables of pcap-meta.sqlite, in this order in a batch. */
enum pcap_table { PCAP_T_META, PCAP_T_FILES, PCAP_T_COUNT };

/* One row of `meta`: one stored packet.  Text fields point at strings
 * that live while the row is added. */
struct meta_record {
    const char *id;        /* "<file uuid>:<packet number in the file, from 1>" */
    uint64_t timestamp;    /* microseconds since the epoch */
    const char *name;      /* the pcap file holding the packet */
    const char *interface; /* -i IFACE, or the name of the -r FILE read */
    const char *filter;    /* the capture's BPF expression, '' when none */
    uint32_t caplen, length;
    uint64_t offset;       /* of the packet's 16-byte record header in the file */
    bool has_eth, has_ip, has_ports;
    uint32_t ethh_hash;    /* when has_eth */
    struct bytes src_mac, dst_mac, src_ip, dst_ip; /* len 0: absent */
    uint8_t ip_proto;      /* when has_ip */
    uint16_t src_port, dst_port; /* when has_ports (TCP or UDP) */
    uint64_t frame;        /* the packet's number in the capture (packet.number) */
    const char *community_id; /* Community ID v1 of its flow, NULL when none */
};

/* One row of `files`: the state of one pcap file (INSERT OR REPLACE: the
 * newest row of a file is its state). */
struct file_record {
    const char *name;
    uint32_t worker;
    uint32_t linktype, snaplen;
    uint64_t opened;           /* wall-clock microseconds when created */
    uint64_t first_ts, last_ts; /* oldest and newest timestamp of the packets indexed */
    uint64_t bytes;            /* bytes of the file its rows cover (header included) */
    uint64_t packets;          /* packets indexed */
    bool closed;               /* no more packets will be written to it */
    bool deleting;             /* retention is removing it */
};

extern const struct table_schema pcap_meta_tables[PCAP_T_COUNT];
extern const struct database_schema pcap_meta_database;

/* True when name is exactly a lower-case UUID followed by ".pcap": the
 * only names the store creates, reads or removes. */
bool pcap_name_valid(const char *name);

/* A fresh random (version 4) UUID as 36 lower-case characters and a NUL.
 * 0, or -1 when the system has no randomness to give. */
int pcap_uuid_new(char out[PCAP_UUID_LEN + 1]);

/* Format 16 bytes as a version 4 UUID (sets the version and variant
 * bits of the text, as RFC 4122 says). */
void pcap_uuid_format(const uint8_t bytes[16], char out[PCAP_UUID_LEN + 1]);

#endif
