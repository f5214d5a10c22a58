/*
 * schema.c - the header tables (see schema.h): column lists, SQL
 * generation and the schema reference.
 */
#include "schema.h"

#include <stdarg.h>
#include <string.h>

#include "../decode/http.h"

#define AT(field) offsetof(struct packet, field)
#define COL(name, kind, field, doc) {name, kind, AT(field), 0, -1, doc}
#define COL_ARG(name, kind, field, arg, doc) {name, kind, AT(field), arg, -1, doc}
#define COL_IF(name, kind, field, cond, doc) {name, kind, AT(field), 0, (int)AT(cond), doc}
/* The five columns every header table starts with (the specification's). */
#define HEADER_COMMON(l)                                                                          \
    COL("hash", COL_U32, ref[l].hash, "XXH32 (seed 0) of this table's header bytes as captured"), \
    COL("timestamp", COL_U64, timestamp, "capture time, microseconds since the Unix epoch"),     \
    COL("ethh_hash", COL_U32, ref[LAYER_ETH].hash,                                              \
        "XXH32 (seed 0) of the frame's link-layer header; joins every table to eth.hash"),      \
    COL("caplen", COL_U32, caplen, "bytes captured of the frame"),                              \
    COL("length", COL_U32, length, "bytes of the frame on the wire")
/* netsift's columns every header table ends with. */
#define HEADER_FRAME                                                                             \
    COL("frame", COL_U64, number,                                                                \
        "the packet's number in the capture, from 1 (tshark's frame.number when reading one "    \
        "file); with timestamp and ethh_hash it finds the packet in the raw store (meta.frame)")
#define HEADER_CID                                                                               \
    COL("community_id", COL_CID, number,                                                         \
        "Community ID v1 of the packet's flow (`1:` + base64 SHA-1, the same in both "           \
        "directions, as Zeek, Suricata and Wireshark compute it; seed --community-id-seed); "    \
        "see docs/interop.md")
/* netsift's columns that make a row stand for every frame with its key.
 * A row does not bring them: frames takes its default, merged_bytes stays
 * NULL, and the writer updates both on the rare row that later frames
 * are merged into.  (Binding two more columns made the bench file's
 * headers 10% slower; a generated `bytes` column, coalesce(merged_bytes,
 * length), cost another 3.5% of the instructions, SQLite computing it
 * for every row it inserts.) */
#define HEADER_FRAMES_COUNT 2
#define HEADER_FRAMES                                                                            \
    {"frames", COL_U64, 0, 0, -1,                                                                \
     "frames this row stands for: 1, plus 1 for every later frame whose header has the same "    \
     "hash, timestamp and ethh_hash (the primary key), which is merged into this row instead "   \
     "of being dropped; `sum(frames)` over eth is the frames read"},                             \
    {"merged_bytes", COL_U64, 0, 0, -1,                                                          \
     "bytes on the wire of all the frames this row stands for when it stands for several "       \
     "(frames > 1), NULL when it stands for one (then it is `length`): "                         \
     "`sum(coalesce(merged_bytes, length))` over eth is the bytes read"}
static const char *const header_frames_sql[HEADER_FRAMES_COUNT] = {"NOT NULL DEFAULT 1", NULL};
#define HEADER_TABLE(l, text, covers, columns, n)                                              \
    {.name = #l, .doc = text, .hash_covers = covers, .cols = columns,                           \
     .ncols = sizeof columns / sizeof columns[0], .nspec = 5 + n,                               \
     .ninsert = sizeof columns / sizeof columns[0] - HEADER_FRAMES_COUNT,                        \
     .later_sql = header_frames_sql,                                                             \
     .primary_key = "hash, timestamp, ethh_hash", .not_null_mask = 0x7, .sort_key_cols = 3,      \
     .merge_frames = true}

static const struct column eth_cols[] = {
    HEADER_COMMON(LAYER_ETH),
    COL("ether_dhost", COL_HWADDR, eth.dst, "destination MAC (NULL for link types without one; 802.11: the destination address as the DS bits place it, the receiver for management and control frames)"),
    COL("ether_shost", COL_HWADDR, eth.src, "source MAC (Linux cooked: the sender's link address; 802.11 data frames: the source address as the DS bits place it; NULL for raw IP/loopback/PPP)"),
    COL("ether_type", COL_U16, eth.type, "first EtherType of the frame (0x8100 when VLAN-tagged; below 1536 an 802.3 length); cooked/loopback/raw/PPP/HDLC: the payload's EtherType"),
    COL("linktype", COL_U32, eth.linktype, "libpcap DLT_* link type of the frame (1 Ethernet, 113 SLL, 276 SLL2, 12 raw, 0 null, 108 loop, 9 PPP, 50 PPP serial, 51 PPPoE, 104 Cisco HDLC, 105 802.11, 127 radiotap)"),
    COL("payload_type", COL_U16, eth.payload_type, "EtherType after all VLAN tags"),
    COL_ARG("vlan_id", COL_VLAN, eth.vlan_id, 0, "outermost 802.1Q/802.1ad VLAN id, NULL when untagged"),
    COL_ARG("vlan_id2", COL_VLAN, eth.vlan_id, 1, "second (inner) VLAN id of a stacked frame, NULL otherwise"),
    HEADER_FRAME,
    HEADER_FRAMES,
};

static const struct column arp_cols[] = {
    HEADER_COMMON(LAYER_ARP),
    COL("arp_hrd", COL_U16, arp.hrd, "hardware type (1 Ethernet)"),
    COL("arp_pro", COL_U16, arp.pro, "protocol type (0x0800 IPv4)"),
    COL("arp_hln", COL_U8, arp.hln, "hardware address length"),
    COL("arp_pln", COL_U8, arp.pln, "protocol address length"),
    COL("arp_op", COL_U16, arp.op, "operation (1 request, 2 reply, 3/4 RARP)"),
    COL("arp_sha", COL_ADDR, arp.sha, "sender hardware address"),
    COL("arp_spa", COL_ADDR, arp.spa, "sender protocol address (dotted quad when 4 bytes)"),
    COL("arp_tha", COL_ADDR, arp.tha, "target hardware address"),
    COL("arp_tpa", COL_ADDR, arp.tpa, "target protocol address"),
    HEADER_FRAME,
    HEADER_FRAMES,
};

static const struct column ip4_cols[] = {
    HEADER_COMMON(LAYER_IP4),
    COL("ip_hl", COL_U8, ip4.hl, "header length in 32-bit words"),
    COL("ip_v", COL_U8, ip4.v, "version (4)"),
    COL("ip_tos", COL_U8, ip4.tos, "type of service / DSCP+ECN byte"),
    COL("ip_len", COL_U16, ip4.len, "total length"),
    COL("ip_id", COL_U16, ip4.id, "identification"),
    COL("ip_off", COL_U16, ip4.off, "flags (0x4000 DF, 0x2000 MF) and fragment offset (low 13 bits, 8-byte units), as on the wire"),
    COL("ip_ttl", COL_U8, ip4.ttl, "time to live"),
    COL("ip_p", COL_U8, ip4.p, "protocol of the payload"),
    COL("ip_sum", COL_U16, ip4.sum, "header checksum as captured (not verified)"),
    COL("ip_src", COL_IP4, ip4.src, "source address"),
    COL("ip_dst", COL_IP4, ip4.dst, "destination address"),
    HEADER_FRAME,
    HEADER_FRAMES,
};

static const struct column ip6_cols[] = {
    HEADER_COMMON(LAYER_IP6),
    COL("ip6_un1_flow", COL_U32, ip6.flow, "first 32 bits: version (4), traffic class (8), flow label (20)"),
    COL("ip6_un1_plen", COL_U16, ip6.plen, "payload length"),
    COL("ip6_un1_nxt", COL_U8, ip6.nxt, "next header of the fixed header"),
    COL("cip6_un1_hlim", COL_U8, ip6.hlim, "hop limit (the specification's spelling)"),
    COL("ip6_un2_vfc", COL_U8, ip6.vfc, "first byte: version (4 bits) and the high 4 bits of the traffic class"),
    COL("ip6_src", COL_IP6, ip6.src, "source address, RFC 5952 text"),
    COL("ip6_dst", COL_IP6, ip6.dst, "destination address, RFC 5952 text"),
    COL("upper_nxt", COL_U8, ip6.upper, "protocol after the extension header chain"),
    COL("ext_count", COL_U8, ip6.ext_count, "extension headers walked (their bytes are part of the hashed header)"),
    HEADER_FRAME,
    HEADER_FRAMES,
};

static const struct column tcp_cols[] = {
    HEADER_COMMON(LAYER_TCP),
    COL("source", COL_U16, tcp.source, "source port"),
    COL("dest", COL_U16, tcp.dest, "destination port"),
    COL("seq", COL_U32, tcp.seq, "sequence number (raw, not relative)"),
    COL("ack_seq", COL_U32, tcp.ack_seq, "acknowledgement number (raw)"),
    COL("res1", COL_U8, tcp.res1, "the 4 bits after the data offset (3 reserved bits and AE/NS), as Linux struct tcphdr"),
    COL("doff", COL_U8, tcp.doff, "data offset (header length in 32-bit words)"),
    COL_ARG("fin", COL_BIT, tcp.flags, 0x01, "FIN flag"),
    COL_ARG("syn", COL_BIT, tcp.flags, 0x02, "SYN flag"),
    COL_ARG("rst", COL_BIT, tcp.flags, 0x04, "RST flag"),
    COL_ARG("psh", COL_BIT, tcp.flags, 0x08, "PSH flag"),
    COL_ARG("ack", COL_BIT, tcp.flags, 0x10, "ACK flag"),
    COL_ARG("urg", COL_BIT, tcp.flags, 0x20, "URG flag"),
    COL("window", COL_U16, tcp.window, "window (unscaled)"),
    COL("check_p", COL_U16, tcp.check, "checksum as captured (not verified)"),
    COL("urg_ptr", COL_U16, tcp.urg_ptr, "urgent pointer"),
    COL_ARG("ece", COL_BIT, tcp.flags, 0x40, "ECE flag"),
    COL_ARG("cwr", COL_BIT, tcp.flags, 0x80, "CWR flag"),
    COL("payload_len", COL_PAYLOAD, tcp.payload, "payload bytes captured after the header"),
    HEADER_FRAME,
    HEADER_CID,
    HEADER_FRAMES,
};

static const struct column udp_cols[] = {
    HEADER_COMMON(LAYER_UDP),
    COL("source", COL_U16, udp.source, "source port"),
    COL("dest", COL_U16, udp.dest, "destination port"),
    COL("len", COL_U16, udp.len, "length field (header + payload)"),
    COL("check_p", COL_U16, udp.check, "checksum as captured (not verified)"),
    COL("payload_len", COL_PAYLOAD, udp.payload, "payload bytes captured after the header"),
    HEADER_FRAME,
    HEADER_CID,
    HEADER_FRAMES,
};

static const struct column icmp4_cols[] = {
    HEADER_COMMON(LAYER_ICMP4),
    COL("type", COL_U8, icmp4.type, "ICMP type"),
    COL("code", COL_U8, icmp4.code, "ICMP code"),
    COL("checksum", COL_U16, icmp4.checksum, "checksum as captured"),
    COL("gateway", COL_U32, icmp4.data32, "bytes 4-7 as one host-order integer (gateway, echo id<<16|seq, next-hop MTU, ...)"),
    HEADER_FRAME,
    HEADER_CID,
    HEADER_FRAMES,
};

static const struct column icmp6_cols[] = {
    HEADER_COMMON(LAYER_ICMP6),
    COL("icmp6_type", COL_U8, icmp6.type, "ICMPv6 type"),
    COL("icmp6_code", COL_U8, icmp6.code, "ICMPv6 code"),
    COL("icmp6_cksum", COL_U16, icmp6.checksum, "checksum as captured"),
    COL("icmp6_un_data32", COL_U32, icmp6.data32, "bytes 4-7 as one host-order integer (echo id<<16|seq, MTU, pointer, ND flags)"),
    HEADER_FRAME,
    HEADER_CID,
    HEADER_FRAMES,
};

/* DNS and mDNS share their shape (only the hashed layer differs). */
#define DNS_COLUMNS \
    COL("tid", COL_U16, dns.tid, "transaction id"), \
    COL("flags", COL_U16, dns.flags, "flags word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode)"), \
    COL("nqueries", COL_U16, dns.qdcount, "question count (QDCOUNT)"), \
    COL("nanswers", COL_U16, dns.ancount, "answer count (ANCOUNT)"), \
    COL("nauth", COL_U16, dns.nscount, "authority count (NSCOUNT)"), \
    COL("nother", COL_U16, dns.arcount, "additional count (ARCOUNT)"), \
    COL_IF("qname", COL_CSTR, dns.qname, dns.has_question, "first question's name, decompressed, presentation form ('.' for the root; odd bytes as \\DDD)"), \
    COL_IF("qtype", COL_U16, dns.qtype, dns.has_question, "first question's type (1 A, 28 AAAA, 12 PTR, ...)"), \
    COL_IF("qclass", COL_U16, dns.qclass, dns.has_question, "first question's class (mDNS: top bit is unicast-response)"), \
    COL("over_tcp", COL_BOOL, dns.over_tcp, "1 when carried over TCP (after the 2-byte length prefix)")

static const struct column dns_cols[] = {HEADER_COMMON(LAYER_DNS), DNS_COLUMNS, HEADER_FRAME, HEADER_FRAMES};
static const struct column mdns_cols[] = {HEADER_COMMON(LAYER_MDNS), DNS_COLUMNS, HEADER_FRAME, HEADER_FRAMES};


static const struct column dhcp_cols[] = {
    HEADER_COMMON(LAYER_DHCP),
    COL("op", COL_U8, dhcp.op, "1 BOOTREQUEST, 2 BOOTREPLY"),
    COL("htype", COL_U8, dhcp.htype, "hardware address type"),
    COL("hlen", COL_U8, dhcp.hlen, "hardware address length"),
    COL("hops", COL_U8, dhcp.hops, "relay hops"),
    COL("xid", COL_U32, dhcp.xid, "transaction id"),
    COL("secs", COL_U16, dhcp.secs, "seconds since the client began"),
    COL("flags", COL_U16, dhcp.flags, "flags (0x8000 broadcast)"),
    COL("ciaddr", COL_IP4, dhcp.ciaddr, "client address"),
    COL("yiaddr", COL_IP4, dhcp.yiaddr, "'your' (offered) address"),
    COL("siaddr", COL_IP4, dhcp.siaddr, "next server address"),
    COL("giaddr", COL_IP4, dhcp.giaddr, "relay agent address"),
    COL("chaddr", COL_HWADDR, dhcp.chaddr, "client hardware address (first hlen bytes, at most 16)"),
    COL("msg_type", COL_I16_OPT, dhcp.msg_type, "option 53 message type (1 DISCOVER ... 8 INFORM); NULL for plain BOOTP"),
    COL("host_name", COL_TEXT, dhcp.host_name, "option 12 host name"),
    COL("vendor_class", COL_TEXT, dhcp.vendor_class, "option 60 vendor class identifier"),
    COL("param_list", COL_DECLIST, dhcp.param_list, "option 55 parameter request list, comma-separated decimal codes"),
    COL("client_id", COL_HWADDR, dhcp.client_id, "option 61 client identifier, colon hex (first 16 bytes)"),
    COL("requested_ip", COL_ADDR, dhcp.requested_ip, "option 50 requested address"),
    HEADER_FRAME,
    HEADER_FRAMES,
};

/* The http table: one row per HTTP transaction (struct http_txn). */
#define HT(name, kind, field, doc) {name, kind, offsetof(struct http_txn, field), 0, -1, doc}
#define HT_IF(name, kind, field, cond, doc) \
    {name, kind, offsetof(struct http_txn, field), 0, (int)offsetof(struct http_txn, cond), doc}
static const struct column http_cols[] = {
    HT("conn_ts", COL_U64, conn_ts, "time of the connection's first packet seen, microseconds since the epoch"),
    HT("client_ip", COL_CSTR, client_ip, "client address (the side that sent the requests)"),
    HT("client_port", COL_U16, client_port, "client TCP port"),
    HT("server_ip", COL_CSTR, server_ip, "server address"),
    HT("server_port", COL_U16, server_port, "server TCP port"),
    HT("client_mac", COL_CSTR, client_mac, "source MAC of the client's packets, NULL when the link type has none"),
    HT("server_mac", COL_CSTR, server_mac, "source MAC of the server's packets (a router's MAC for remote servers)"),
    HT("depth", COL_U32, depth, "transaction number in the connection: 0, 1, ... (keep-alive, pipelining)"),
    HT_IF("req_ts", COL_U64, req_ts, has_req, "packet time of the request's first byte; NULL for a response without a request"),
    HT("method", COL_CSTR, method, "request method"),
    HT("uri", COL_STR, uri, "request target as sent (non-UTF-8 bytes as \\DDD escapes; at most 16383 bytes)"),
    HT("req_version", COL_CSTR, req_version, "HTTP version of the request (`1.1`)"),
    HT("host", COL_CSTR, host, "Host header (at most 255 bytes)"),
    HT("user_agent", COL_CSTR, user_agent, "User-Agent header (at most 511 bytes)"),
    HT("req_content_type", COL_CSTR, req_content_type, "request Content-Type"),
    HT_IF("req_content_length", COL_U64, req_content_length, has_req_cl, "request Content-Length header, NULL when absent or invalid"),
    HT_IF("req_chunked", COL_BOOL, req_chunked, has_req, "1 when the request body is chunked"),
    HT_IF("req_body_len", COL_U64, req_body_len, has_req, "request body bytes transferred (after removing chunked coding)"),
    HT_IF("req_body_size", COL_U64, req_body_size, has_req, "request content bytes (after gzip/deflate decoding): what req_body_sha256 covers"),
    HT("req_body_sha256", COL_CSTR, req_body_sha256, "SHA-256 (hex) of the request content; NULL when there is no body"),
    HT_IF("req_gap", COL_BOOL, req_gap, has_req, "1 when bytes of the request were lost (its body hash covers only what was seen)"),
    HT_IF("resp_ts", COL_U64, resp_ts, has_resp, "packet time of the response's first byte; NULL when no response was seen"),
    HT("resp_version", COL_CSTR, resp_version, "HTTP version of the response"),
    HT_IF("status", COL_U16, status, has_resp, "response status code"),
    HT("reason", COL_CSTR, reason, "response reason phrase"),
    HT("resp_content_type", COL_CSTR, resp_content_type, "response Content-Type"),
    HT("resp_content_encoding", COL_CSTR, resp_content_encoding, "response Content-Encoding (`gzip`, `deflate` are decoded)"),
    HT_IF("resp_content_length", COL_U64, resp_content_length, has_resp_cl, "response Content-Length header, NULL when absent or invalid"),
    HT_IF("resp_chunked", COL_BOOL, resp_chunked, has_resp, "1 when the response body is chunked"),
    HT_IF("resp_body_len", COL_U64, resp_body_len, has_resp, "response body bytes transferred (after removing chunked coding)"),
    HT_IF("resp_body_size", COL_U64, resp_body_size, has_resp, "response content bytes (decoded): what resp_body_sha256 covers and --extract-files writes"),
    HT("resp_body_sha256", COL_CSTR, resp_body_sha256, "SHA-256 (hex) of the response content, the extracted file's name; NULL when there is no body"),
    HT_IF("resp_gap", COL_BOOL, resp_gap, has_resp, "1 when bytes of the response were lost"),
    HT_IF("interim_status", COL_U16, interim, has_interim, "status of an interim 1xx response before the final one (100 Continue), NULL when none"),
    HT("flags", COL_CSTR, flags, "anomalies, comma-separated (docs/streams.md): no_request, no_response, resp_truncated, bad_chunk, head_too_large, tunnel, ..."),
    HT("community_id", COL_CSTR, community_id, "Community ID v1 of the connection (docs/interop.md), as on its tcp rows"),
};

const struct table_schema header_tables[HEADER_TABLE_COUNT] = {
    [LAYER_ETH] = HEADER_TABLE(eth, "link-layer header of every frame (Ethernet with its VLAN tags; Linux cooked; loopback; empty for raw IP)",
          "Ethernet: destination, source, every 802.1Q/802.1ad tag, MPLS label and PPPoE+PPP header, and the EtherType before the network header (14 bytes untagged). Linux cooked: the 16 (v1) or 20 (v2) byte header. BSD loopback: the 4-byte family. Raw IP: zero bytes (XXH32 of nothing = 46947589)", eth_cols, 3),
    [LAYER_ARP] = HEADER_TABLE(arp, "ARP/RARP header with its four addresses",
          "the 8-byte fixed part and the four addresses (8 + 2*hln + 2*pln bytes)", arp_cols, 9),
    [LAYER_IP4] = HEADER_TABLE(ip4, "IPv4 header, options included",
          "ip_hl*4 bytes (options included), fewer when the capture ends inside the header; 20 when ip_hl is below 5", ip4_cols, 11),
    [LAYER_IP6] = HEADER_TABLE(ip6, "IPv6 fixed header and its extension headers",
          "the 40-byte fixed header and every extension header up to the upper-layer protocol (hop-by-hop, routing, fragment, destination options, AH, mobility, HIP, shim6), fewer when the capture ends inside the chain", ip6_cols, 7),
    [LAYER_TCP] = HEADER_TABLE(tcp, "TCP header, options included",
          "doff*4 bytes (options included), fewer when the capture ends inside the header; 20 when doff is below 5", tcp_cols, 15),
    [LAYER_UDP] = HEADER_TABLE(udp, "UDP header",
          "the 8-byte header", udp_cols, 4),
    [LAYER_ICMP4] = HEADER_TABLE(icmp4, "first 8 bytes of an ICMP message",
          "the first 8 bytes of the message (type, code, checksum, rest of header)", icmp4_cols, 4),
    [LAYER_ICMP6] = HEADER_TABLE(icmp6, "first 8 bytes of an ICMPv6 message",
          "the first 8 bytes of the message (type, code, checksum, icmp6_un_data32)", icmp6_cols, 4),
    [LAYER_DNS] = HEADER_TABLE(dns, "DNS message on port 53, UDP or TCP",
          "the whole DNS message as captured (header and all sections; over TCP without the 2-byte length prefix, up to the length it gives)", dns_cols, 6),
    [LAYER_MDNS] = HEADER_TABLE(mdns, "mDNS message on UDP port 5353",
          "the whole mDNS message as captured", mdns_cols, 6),
    [LAYER_DHCP] = HEADER_TABLE(dhcp, "BOOTP/DHCP message on UDP ports 67/68",
          "the whole BOOTP message as captured: 236-byte fixed part, magic cookie and options", dhcp_cols, 11),
    [HT_HTTP] = {.name = "http",
                 .doc = "*netsift*: one row per HTTP/1.x transaction (request and its response) "
                        "reconstructed from reassembled TCP streams (docs/streams.md); written "
                        "when the capture ends the connection or the transaction completes",
                 .cols = http_cols, .ncols = sizeof http_cols / sizeof http_cols[0], .nspec = 0,
                 .primary_key = "conn_ts, client_ip, client_port, server_ip, server_port, depth",
                 .not_null_mask = 0x1},
};

const struct database_schema header_database = {
    "headers.sqlite",
    "One table per decoded protocol, one row per header of every packet. Every table has the "
    "specification's primary key (hash, timestamp, ethh_hash) and is created exactly as the "
    "specification's CREATE TABLE says (a rowid table: rows are appended and the random-hash key "
    "lives in the small primary-key index, which measured 19% faster to fill than WITHOUT ROWID). "
    "Integers are in host order; addresses are text (MACs lower-case `aa:bb:cc:dd:ee:ff`, IPv4 "
    "dotted quad, IPv6 RFC 5952). Columns marked *netsift* are additions to the specification.\n\n"
    "Header hashes are XXH32 (libxxhash, seed 0) over the header bytes as captured, stored as an "
    "unsigned 32-bit integer; each table says exactly which bytes. `ethh_hash` in every table is "
    "the `hash` of the frame's eth row, so `JOIN eth ON eth.hash = t.ethh_hash AND eth.timestamp = "
    "t.timestamp` finds the frame. Two headers with the same hash, timestamp and ethh_hash (a burst "
    "of identical frames within one microsecond) are one row: the first frame's values are kept, "
    "and every later one adds to its `frames` and `merged_bytes` columns instead of being lost, "
    "so `sum(frames)` and `sum(coalesce(merged_bytes, length))` count every frame read and its "
    "bytes (the capture summary's "
    "`frames_merged` says how many were merged into an existing row). Reading the same capture "
    "into a database twice counts its frames twice.\n\n"
    "With --db-rotate-size or --db-rotate-time, headers.sqlite is closed and moved to "
    "`DB_PATH/headers/headers-<first>--<last>.sqlite` (UTC, microseconds; read-only, out of WAL "
    "mode, integrity-checked), each closed file with exactly these tables. `netsift sql -d "
    "DB_PATH 'SELECT ...'` queries all of them as one, however many (tables named like these "
    "that read every file; `extract --sql` reads the same); with plain "
    "sqlite3 the same is `ATTACH 'DB_PATH/headers/headers-....sqlite' AS h1; ...; CREATE TEMP "
    "VIEW eth AS SELECT * FROM main.eth UNION ALL SELECT * FROM h1.eth UNION ALL ...`, for at "
    "most 10 files at once (SQLite's limit on attached databases).\n\n"
    "Every header file also has netsift's table `netsift_file (id INTEGER NOT NULL, created "
    "INTEGER NOT NULL)`: one row, a random 63-bit identity and when the file was made "
    "(microseconds since the epoch), which stays with the file when it is rotated; the sync's "
    "positions follow it (docs/sync.md). `DB_PATH/headers.lock` is the lock that keeps readers "
    "(sync, netsift sql, extract --sql) from opening headers.sqlite while the writer rotates it.",
    header_tables,
    HEADER_TABLE_COUNT,
};

int schema_col_is_text(enum col_kind k)
{
    switch (k) {
    case COL_IP4: case COL_IP6: case COL_HWADDR: case COL_ADDR: case COL_TEXT:
    case COL_DECLIST: case COL_CSTR: case COL_STR: case COL_CID:
        return 1;
    default:
        return 0;
    }
}

const char *schema_col_type(const struct column *c)
{
    return schema_col_is_text(c->kind) ? "TEXT" : "INTEGER";
}

/* Append formatted text to buf at *used; returns -1 once it does not fit. */
static int append(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, size - *used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size - *used)
        return -1;
    *used += (size_t)n;
    return 0;
}

int schema_column_sql(const struct table_schema *t, size_t i, char *buf, size_t size)
{
    size_t u = 0;
    const struct column *c = &t->cols[i];
    int rc = append(buf, size, &u, "%s %s", c->name, schema_col_type(c));
    if (rc == 0 && (t->not_null_mask >> i) & 1)
        rc = append(buf, size, &u, " NOT NULL");
    if (rc == 0 && schema_later_sql(t, i))
        rc = append(buf, size, &u, " %s", schema_later_sql(t, i));
    return rc;
}

int schema_create_sql(const struct table_schema *t, char *buf, size_t size)
{
    size_t u = 0;
    char col[512];
    int rc = append(buf, size, &u, "CREATE TABLE IF NOT EXISTS %s (", t->name);
    for (size_t i = 0; i < t->ncols && rc == 0; i++) {
        rc = schema_column_sql(t, i, col, sizeof col);
        if (rc == 0)
            rc = append(buf, size, &u, "%s%s", i ? ", " : "", col);
    }
    if (rc == 0)
        rc = append(buf, size, &u, ", PRIMARY KEY (%s))", t->primary_key);
    return rc;
}

int schema_index_sql(const struct table_schema *t, char *buf, size_t size)
{
    size_t u = 0;
    if (!t->index)
        return -1;
    return append(buf, size, &u, "CREATE INDEX IF NOT EXISTS %s_idx ON %s (%s)", t->name, t->name,
                  t->index);
}

int schema_insert_sql(const struct table_schema *t, unsigned nrows, char *buf, size_t size)
{
    return schema_insert_sql_cols(t, schema_insert_cols(t), nrows, buf, size);
}

int schema_insert_sql_cols(const struct table_schema *t, size_t ncols, unsigned nrows, char *buf,
                           size_t size)
{
    size_t u = 0;
    int rc = append(buf, size, &u, "INSERT OR %s INTO %s (", t->replace ? "REPLACE" : "IGNORE",
                    t->name);
    for (size_t i = 0; i < ncols && rc == 0; i++)
        rc = append(buf, size, &u, "%s%s", i ? ", " : "", t->cols[i].name);
    if (rc == 0)
        rc = append(buf, size, &u, ") VALUES ");
    for (unsigned r = 0; r < nrows && rc == 0; r++) {
        rc = append(buf, size, &u, "%s(", r ? "," : "");
        for (size_t i = 0; i < ncols && rc == 0; i++)
            rc = append(buf, size, &u, i ? ",?" : "?");
        if (rc == 0)
            rc = append(buf, size, &u, ")");
    }
    return rc;
}

int schema_merge_sql(const struct table_schema *t, char *buf, size_t size)
{
    size_t u = 0;
    if (!t->merge_frames)
        return -1;
    return append(buf, size, &u,
                  "UPDATE %s SET frames = frames + ?1, merged_bytes = coalesce(merged_bytes, "
                  "length) + ?2, rowid = (SELECT max(rowid) + 1 FROM %s) WHERE hash = ?3 AND "
                  "timestamp = ?4 AND ethh_hash = ?5 AND rowid <= ?6",
                  t->name, t->name);
}

uint64_t schema_text_mask(const struct table_schema *t)
{
    uint64_t mask = 0;
    for (size_t i = 0; i < t->ncols; i++)
        if (schema_col_is_text(t->cols[i].kind))
            mask |= 1ull << i;
    return mask;
}

void schema_write_markdown(FILE *f, const struct database_schema *db)
{
    fprintf(f, "# %s\n\n%s\n\n", db->file, db->doc);
    for (size_t n = 0; n < db->ntables; n++) {
        const struct table_schema *t = &db->tables[n];
        fprintf(f, "## %s\n\n%s.", t->name, t->doc);
        if (t->hash_covers)
            fprintf(f, " `hash` covers %s.", t->hash_covers);
        fprintf(f, " Primary key (%s).", t->primary_key);
        if (t->index)
            fprintf(f, " Index `%s_idx` on (%s).", t->name, t->index);
        if (t->bump_column)
            fprintf(f, " A row whose key is already stored is kept, with `%s` moved to the next "
                       "free value (+1, +2, ...).", t->bump_column);
        fprintf(f, "\n\n| column | type | source | meaning |\n| --- | --- | --- | --- |\n");
        for (size_t i = 0; i < t->ncols; i++)
            fprintf(f, "| %s | %s | %s | %s |\n", t->cols[i].name, schema_col_type(&t->cols[i]),
                    i < t->nspec ? "spec" : "*netsift*", t->cols[i].doc);
        fprintf(f, "\n");
    }
}
