/*
 * flow.h - the one flow key: the decoder fills pkt->flow (packet.h) once
 * per packet; the one endpoint order and the one symmetric hash are here,
 * for the consumers that key flows without a packet (TCP reassembly's
 * segments).
 */
#ifndef NETSIFT_FLOW_H
#define NETSIFT_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"

/* The endpoint order: by address (alen bytes, as memcmp), then by port.
 * Negative, 0 or positive as (a, pa) comes before, equals or follows
 * (b, pb).  Flow tables put the first endpoint first; Community ID's
 * order is the same. */
int flow_endpoint_cmp(const uint8_t *a, uint16_t pa, const uint8_t *b, uint16_t pb, size_t alen);

/* Put two endpoints in the endpoint order, (*a, *pa) first: true when
 * they were swapped (the packet goes from the second endpoint). */
bool flow_order_endpoints(const uint8_t **a, uint16_t *pa, const uint8_t **b, uint16_t *pb,
                          size_t alen);

/* The symmetric hash of a flow: both directions alike (the endpoints are
 * put in order first).  family 4 or 6: IP addresses; 0: 6-byte MAC
 * addresses (frames without IP). */
uint32_t flow_hash(uint8_t family, uint8_t proto, uint16_t vlan, const uint8_t *a, uint16_t pa,
                   const uint8_t *b, uint16_t pb);

/* Fill pkt->flow from the decoded layers (decode.c calls it). */
void flow_tuple_fill(struct packet *pkt);

#endif
