/*
 * audit_types.h - the table of audit record types: for each one its
 * NC_ enumeration value (proto/netsift.proto), its name (the value
 * without "NC_", also the file name DIR/<Name>.ncap.gz) and its
 * protobuf-c message descriptor.  The writer, the reader and `netsift
 * dump` all go through this one table.
 */
#ifndef NETSIFT_AUDIT_TYPES_H
#define NETSIFT_AUDIT_TYPES_H

#include <stddef.h>

#include "netsift.pb-c.h"

/* Index of a record type in audit_types[] (not its NC_ value). */
enum audit_rec {
    REC_ETHERNET,
    REC_DOT1Q,
    REC_ARP,
    REC_IPV4,
    REC_IPV6,
    REC_TCP,
    REC_UDP,
    REC_ICMPV4,
    REC_ICMPV6,
    REC_DNS,
    REC_DHCPV4,
    REC_TLSCLIENTHELLO,
    REC_TLSSERVERHELLO,
    REC_FLOW,
    REC_CONNECTION,
    REC_LINKFLOW,
    REC_NETWORKFLOW,
    REC_TRANSPORTFLOW,
    REC_COUNT
};

struct audit_type {
    Netsift__Type nc;                         /* NETSIFT__TYPE__NC_... */
    const char *name;                         /* "TCP" */
    const ProtobufCMessageDescriptor *desc;   /* its message */
    int custom;                               /* 1: Flow, Connection, ...; 0: one layer */
};

extern const struct audit_type audit_types[REC_COUNT];

/* The record type of a name ("TCP", any case) or NC_ value; -1 if none. */
int audit_type_by_name(const char *name);
int audit_type_by_nc(int nc);

/* "netsift <version>", the Header's Version. */
const char *audit_version(void);

#endif
