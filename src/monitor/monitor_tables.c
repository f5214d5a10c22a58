/*
 * monitor_tables.c - the column lists of fingerprint.sqlite (see
 * monitor_tables.h; the reference is docs/schema.md).
 */
#include "monitor_tables.h"

#include <stddef.h>

#define COLUMN(rec, name, kind, field, doc) {name, kind, offsetof(struct rec, field), 0, -1, doc}
#define FPCOL(name, kind, field, doc) COLUMN(fingerprint_row, name, kind, field, doc)
#define DVCOL(name, kind, field, doc) COLUMN(device_row, name, kind, field, doc)
#define FLCOL(name, kind, field, doc) COLUMN(flow_row, name, kind, field, doc)
#define NCOLS(c) (sizeof c / sizeof c[0])

static const struct column fingerprint_cols[] = {
    FPCOL("mac", COL_STR, mac, "a MAC address of the flow (source or destination; group addresses are left out), lower-case `aa:bb:cc:dd:ee:ff`"),
    FPCOL("protocol", COL_STR, protocol, "nDPI's protocol name of the flow (`TLS.Amazon`, `DNS`; ndpi_protocol2name)"),
    FPCOL("fingerprint", COL_STR, fingerprint, "base64 (no padding) of SHA-256 over the flow's fingerprint input (docs/fingerprints.md)"),
    FPCOL("timestamp", COL_U64, timestamp, "microseconds since the epoch of the packet that completed nDPI's detection (DNS, mDNS, DHCP: the packet nDPI named the protocol on); when that microsecond is taken for this MAC, the next free one"),
    FPCOL("query", COL_STR, query, "DNS/mDNS question name, TLS or QUIC server name, HTTP Host, SSH client banner or DHCP host name; NULL when none"),
    FPCOL("community_id", COL_STR, community_id, "Community ID v1 of the flow (docs/interop.md); NULL for ICMP, ICMPv6 and SCTP flows, which the monitor keeps without ports"),
    FPCOL("mac_local", COL_BOOL, mac_local, "1 when `mac` is locally administered (0x02 bit: a randomized or software-set address)"),
    FPCOL("ja4", COL_STR, ja4, "TLS: JA4 of the client hello (FoxIO's TLS client fingerprint, `t13d1516h2_8daaf6152771_d8a2da3f94cd`; docs/interop.md), NULL for other protocols"),
};

static const struct column device_cols[] = {
    DVCOL("mac", COL_STR, mac, "the device's MAC address, lower-case colon hex"),
    DVCOL("first_seen", COL_U64, first_seen, "first packet time it was seen (source or destination), microseconds"),
    DVCOL("last_seen", COL_U64, last_seen, "last packet time it was seen (refreshed at least every second of its traffic)"),
    DVCOL("ips", COL_STR, ips, "addresses it sent from (IP source, ARP sender) or was given (DHCP ACK): the first 8 learned, sorted (IPv4, then IPv6), comma-separated; a router's MAC shows remote addresses too"),
    DVCOL("dhcp_host_name", COL_STR, dhcp_host_name, "DHCP option 12 of its latest DHCP request (at most 63 bytes), NULL when none"),
    DVCOL("dhcp_vendor_class", COL_STR, dhcp_vendor_class, "DHCP option 60 of its latest DHCP request (at most 63 bytes), NULL when none"),
    DVCOL("protocols", COL_STR, protocols, "nDPI protocol names of its flows (Unknown left out), sorted, comma-separated (at most 255 bytes)"),
    DVCOL("flows", COL_U64, flows, "flows it took part in"),
    DVCOL("fingerprints", COL_U64, fingerprints, "rows of the fingerprint table for it"),
    DVCOL("locally_administered", COL_BOOL, locally_administered, "1 when the MAC is locally administered (the 0x02 bit of its first byte): randomized by the device (private Wi-Fi addresses) or set by software"),
    DVCOL("dhcp_client_id", COL_STR, dhcp_client_id, "DHCP option 61 of its latest DHCP request, colon hex (first 16 bytes), NULL when none"),
    DVCOL("device_group", COL_STR, group, "what ties its traffic to one device across randomized MACs: for a locally administered MAC `dhcp-client-id:<hex>` or else `dhcp-host-name:<name>` when DHCP gave them, otherwise the MAC itself; `GROUP BY device_group` sums a device's MACs"),
};

static const struct column flow_cols[] = {
    FLCOL("first_seen", COL_U64, first_seen, "time of the flow's first packet, microseconds"),
    FLCOL("last_seen", COL_U64, last_seen, "time of its last packet"),
    FLCOL("vlan", COL_U16, vlan, "outer VLAN id, 0 when untagged"),
    FLCOL("ip_proto", COL_U8, ip_proto, "IP protocol (6 TCP, 17 UDP, 1 ICMP, ...)"),
    FLCOL("src_ip", COL_STR, src_ip, "address of the side that sent the first packet"),
    FLCOL("src_port", COL_U16, src_port, "its TCP/UDP port, 0 for other protocols"),
    FLCOL("dst_ip", COL_STR, dst_ip, "address of the other side"),
    FLCOL("dst_port", COL_U16, dst_port, "its port"),
    FLCOL("src_mac", COL_STR, src_mac, "source MAC of the first packet, NULL when the link type has none"),
    FLCOL("dst_mac", COL_STR, dst_mac, "its destination MAC"),
    FLCOL("protocol", COL_STR, protocol, "nDPI's protocol name (`Unknown` when nDPI could not tell)"),
    FLCOL("confidence", COL_STR, confidence, "how nDPI knows: `DPI`, `Match by port`, `Match by IP`, `Unknown`, ..."),
    FLCOL("packets", COL_U64, packets, "packets, both directions"),
    FLCOL("bytes", COL_U64, bytes, "bytes on the wire, both directions"),
    FLCOL("end_reason", COL_STR, end_reason, "why it ended: `idle`, `closed` (TCP FIN/RST), `evicted` (--max-flows), `reused`, `capture_end`"),
    FLCOL("fingerprint", COL_STR, fingerprint, "its fingerprint (as in the fingerprint table), NULL when none"),
    FLCOL("query", COL_STR, query, "its query (as in the fingerprint table), NULL when none"),
    FLCOL("fingerprint_input", COL_STR, fingerprint_input, "the bytes hashed into its fingerprint: the parts of docs/fingerprints.md joined by newlines (`sni\\nja3\\nja3s` for TLS), NULL when none"),
    FLCOL("community_id", COL_STR, community_id, "Community ID v1 of the flow, as the packets' (docs/interop.md); NULL for ICMP, ICMPv6 and SCTP flows, which the monitor keeps without ports (one monitor flow may span several Community ID flows)"),
    FLCOL("src_mac_local", COL_BOOL, src_mac_local, "1 when src_mac is locally administered (0x02 bit), 0 otherwise or without a MAC"),
    FLCOL("dst_mac_local", COL_BOOL, dst_mac_local, "1 when dst_mac is locally administered, 0 otherwise or without a MAC"),
    FLCOL("ja4", COL_STR, ja4, "TLS: JA4 of its client hello, NULL when none"),
    FLCOL("tcp_gaps", COL_U32, tcp_gaps, "TCP: segments that began beyond the highest byte seen in their direction (a packet lost before netsift: the kernel dropped it or the capture started late; or reordered); 0 when netsift saw every byte of the flow in order, always 0 for other protocols"),
    FLCOL("tcp_gap_bytes", COL_U64, tcp_gap_bytes, "TCP: bytes of sequence space those segments skipped"),
};

const struct table_schema monitor_tables[MT_COUNT] = {
    [MT_FINGERPRINT] = {
        .name = "fingerprint",
        .doc = "the specification's fingerprint table: for each flow with a fingerprint, one row "
               "per MAC address of the flow. Query it with `netsift query 'QUERY_FINGERPRINT mac "
               "timestamp op protocol'` (docs/control.md)",
        .cols = fingerprint_cols,
        .ncols = NCOLS(fingerprint_cols),
        .nspec = NCOLS(fingerprint_cols),
        .primary_key = "mac, timestamp",
        .not_null_mask = 1u << 0 | 1u << 3,
        .bump_column = "timestamp",
    },
    [MT_DEVICES] = {
        .name = "devices",
        .doc = "one row per MAC address seen (group addresses left out): what is on the network. "
               "Rewritten as the capture learns more; kept across captures into the same DB_PATH",
        .cols = device_cols,
        .ncols = NCOLS(device_cols),
        .primary_key = "mac",
        .not_null_mask = 1u << 0,
        .replace = true,
    },
    [MT_FLOWS] = {
        .name = "flows",
        .doc = "with --flow-log, one row per flow once it ends (idle, closed, evicted, or at "
               "the end of the capture): endpoints, MACs, nDPI protocol, counters. A flow whose key is stored "
               "already (same first packet time and endpoints: a capture replayed into the same "
               "DB_PATH) is counted as a duplicate",
        .cols = flow_cols,
        .ncols = NCOLS(flow_cols),
        .primary_key = "first_seen, src_ip, src_port, dst_ip, dst_port, ip_proto, vlan",
        .not_null_mask = 1u << 0,
    },
};

const struct database_schema fingerprint_database = {
    "fingerprint.sqlite",
    "Written by the device monitor (`--monitor`, on by default): nDPI classifies every flow, and "
    "flows that show something about a device (a DNS question, a TLS hello, an HTTP request, an "
    "SSH banner, a DHCP request, a QUIC server name) get a fingerprint (docs/fingerprints.md). "
    "The fingerprint table is exactly the specification's; devices and flows are netsift's "
    "additions.",
    monitor_tables,
    MT_COUNT,
};
