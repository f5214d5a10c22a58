/*
 * encoders.h - the layer encoders: one decoded packet into the audit
 * records of its layers, and the encoder selection of --include and
 * --exclude.
 *
 * Layer encoders turn the fields of a struct packet (decode/packet.h)
 * into one protobuf message per layer present (Dot1Q: one per tag).
 * Custom encoders (Flow, Connection, LinkFlow, NetworkFlow,
 * TransportFlow) aggregate over packets (flows.c); they are selected here
 * too.  Excluding a layer encoder also drops the records of every layer
 * it encapsulates, as if the packet had not been decoded past it.
 */
#ifndef NETSIFT_AUDIT_ENCODERS_H
#define NETSIFT_AUDIT_ENCODERS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../decode/packet.h"
#include "audit_types.h"

/* Called with each record built; the message (and what it points to)
 * lives only during the call. */
typedef int (*audit_emit_fn)(void *ctx, enum audit_rec rec, const ProtobufCMessage *m);

/* Which encoders run: bit (1u << rec).  Parsed from --include/--exclude
 * (comma-separated names, any case; empty: all).  0, or -1 with the
 * unknown name in err. */
int audit_select(const char *include, const char *exclude, uint32_t *enabled,
                 uint32_t *excluded, char *err, size_t errlen);

/* The --encoders listing: "+ Name" per encoder. */
void audit_list_encoders(FILE *f);

/*
 * Build the layer records of pkt: for every layer present whose encoder
 * is enabled and that no excluded encoder encapsulates, call emit.
 * payload: fill the Payload fields.  Returns the first non-zero emit
 * result, else 0.
 */
int audit_encode_layers(const struct packet *pkt, uint32_t enabled, uint32_t excluded,
                        bool payload, audit_emit_fn emit, void *ctx);

/* The records pkt would give with every encoder on: bit (1u << rec). */
uint32_t audit_layers_present(const struct packet *pkt);

#endif
