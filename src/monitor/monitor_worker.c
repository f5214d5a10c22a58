/*
 * monitor_worker.c - the device monitor's per-packet path (see
 * monitor_worker.h).
 */
#include "monitor_worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../decode/community_id.h"
#include "../db/sqlite_writer.h"
#include "../util/text.h"
#include "collect.h"
#include "monitor_tables.h"

#define DEVICE_TOUCH_US 1000000 /* refresh devices' last_seen at most once a second per flow */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

static const char *const end_names[] = {
    [FLOW_END_IDLE] = "idle",         [FLOW_END_CLOSED] = "closed", [FLOW_END_EVICTED] = "evicted",
    [FLOW_END_REUSED] = "reused",     [FLOW_END_CAPTURE] = "capture_end",
};

/* A flow's fingerprint, kept for its flows row: three strings in one
 * allocation of the size they need. */
struct flow_fp {
    const char *query, *input;
    char hash[FP_HASH_LEN];
    char ja4[FP_JA4_LEN];
    char ja3[FP_MD5_HEX_LEN];
    char text[]; /* query, then input */
};

static struct flow_fp *keep_fingerprint(const struct fingerprint *fp)
{
    size_t q = strlen(fp->query) + 1, i = strlen(fp->input) + 1;
    struct flow_fp *k = malloc(sizeof *k + q + i);
    if (!k)
        return NULL;
    memcpy(k->hash, fp->hash, sizeof k->hash);
    memcpy(k->ja4, fp->ja4, sizeof k->ja4);
    memcpy(k->ja3, fp->ja3, sizeof k->ja3);
    memcpy(k->text, fp->query, q);
    memcpy(k->text + q, fp->input, i);
    k->query = k->text;
    k->input = k->text + q;
    return k;
}

int monitor_worker_init(struct monitor_worker *w, uint32_t max_flows,
                        const uint64_t timeout_us[FLOW_LISTS], uint32_t max_collectors,
                        struct device_book *book, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->snap_lock, NULL);
    w->book = book;
    w->max_collectors = max_collectors;
    /* nDPI's flow state (688 bytes) is kept until detection completes,
     * which a flow of one SYN never does: at most a quarter of the table
     * holds it, so a scan or flood filling the table costs 56 MiB of flows
     * rather than 240 MiB (bench/README.md, "Memory and active flows") */
    w->max_inspecting = max_flows / 4 ? max_flows / 4 : 1;
    if (!(w->cl = classifier_new(err, errlen)))
        return -1;
    if (!(w->flows = flow_table_new(max_flows, timeout_us)) ||
        device_set_init(&w->devices, MONITOR_DEVICE_NOTES) != 0) {
        snprintf(err, errlen, "out of memory for the flow table (--max-flows %u)", max_flows);
        return -1;
    }
    return 0;
}

void monitor_worker_free(struct monitor_worker *w)
{
    if (!w->book)
        return; /* never initialised */
    w->batch = NULL;
    if (w->flows)
        monitor_end_all(w); /* releases nDPI and collector state (rows go nowhere) */
    flow_table_free(w->flows);
    while (w->nspare)
        free(w->spare[--w->nspare]);
    classifier_free(w->cl);
    device_set_free(&w->devices);
    pthread_mutex_destroy(&w->snap_lock);
    w->flows = NULL;
    w->cl = NULL;
}

/* ---- devices ------------------------------------------------------- */

/* The worker's note for mac (merging into the book first when the notes
 * are full); NULL for group addresses. */
static struct device *note(struct monitor_worker *w, const uint8_t *mac, uint64_t ts)
{
    struct device *d = device_get(&w->devices, mac, ts);
    if (!d && !mac_is_group(mac) && w->devices.count) {
        device_book_merge(w->book, &w->devices);
        d = device_get(&w->devices, mac, ts);
    }
    if (d)
        device_seen(d, ts);
    return d;
}

static void note_ip(struct monitor_worker *w, const uint8_t *mac, uint64_t ts, uint8_t family,
                    const uint8_t *addr)
{
    struct device *d = note(w, mac, ts);
    if (d)
        device_add_ip(d, family, addr);
}

/* ARP senders and DHCP clients: addresses and names, whatever the flow. */
static void note_link_protocols(struct monitor_worker *w, const struct packet *pkt)
{
    if (packet_has(pkt, LAYER_ARP) && pkt->arp.sha.len == 6 && pkt->arp.spa.len == 4)
        note_ip(w, pkt->arp.sha.p, pkt->timestamp, 4, pkt->arp.spa.p); /* 0.0.0.0 is ignored */
    if (!packet_has(pkt, LAYER_DHCP) || pkt->dhcp.htype != 1 || pkt->dhcp.chaddr.len != 6)
        return;
    const struct dhcp_fields *d = &pkt->dhcp;
    struct device *dev = note(w, d->chaddr.p, pkt->timestamp);
    if (!dev)
        return;
    if (d->op == 1) {
        char host[FP_TEXT_MAX + 1], vendor[FP_TEXT_MAX + 1];
        text_field(d->host_name.p, d->host_name.len, DEVICE_NAME_MAX, false, host);
        text_field(d->vendor_class.p, d->vendor_class.len, DEVICE_NAME_MAX, false, vendor);
        char client[DEVICE_NAME_MAX + 1] = "";
        if (d->client_id.len)
            format_hex_colon(d->client_id.p, d->client_id.len > 16 ? 16 : d->client_id.len, client);
        device_set_dhcp(dev, host, vendor, client);
    } else if (d->msg_type == 5) { /* ACK: the address given to the client */
        device_add_ip(dev, 4, d->yiaddr);
    }
}

/* What a flow tells about its two devices, noted when it ends and every
 * second of its traffic before: when they were seen, the address each
 * sent from (MAC i sends direction i's packets), the protocol once nDPI
 * is done, and at the end one more flow each. */
static void note_flow(struct monitor_worker *w, struct flow *f, bool ended)
{
    const char *proto = f->detected ? classifier_name(w->cl, &f->cls) : NULL;
    for (unsigned i = 0; i < 2; i++) {
        if (!f->has_mac[i] || (i == 1 && f->has_mac[0] && !memcmp(f->mac[0], f->mac[1], 6)))
            continue;
        struct device *d = note(w, f->mac[i], f->first_seen);
        if (!d)
            continue;
        device_seen(d, f->last_seen);
        if (f->seen_dir[i])
            device_add_ip(d, f->key.family, f->key.addr[f->init_side ^ i]);
        if (proto)
            device_add_protocol(d, proto);
        d->flows += ended;
    }
}

/* ---- rows ---------------------------------------------------------- */

void monitor_hand_over(struct monitor_worker *w)
{
    if (!w->batch)
        return;
    writer_submit(w->writer, w->batch);
    w->batch = writer_get_batch(w->writer); /* blocks while the writer is behind */
}

void monitor_add_row(struct monitor_worker *w, enum monitor_table t, const void *row)
{
    if (!w->batch || !batch_add(w->batch, t, row))
        w->c.rows_lost++;
    else if (writer_batch_full(w->writer, w->batch))
        monitor_hand_over(w); /* also while ending every flow at the capture's end */
}

static const char *flow_ip_text(const struct flow *f, unsigned side, char out[ADDR_TEXT_MAX])
{
    format_addr(f->key.addr[side], f->key.family == 4 ? 4 : 16, out);
    return out;
}

/* The flow's Community ID into out; NULL for ICMP, ICMPv6 and SCTP (the
 * flow key holds no ports for them, so the value would not be the
 * packets'). */
static const char *flow_community_id(const struct flow *f, char out[COMMUNITY_ID_SIZE])
{
    const struct flow_key *k = &f->key;
    if (k->proto == 1 || k->proto == 58 || k->proto == 132)
        return NULL;
    bool ports = k->proto == 6 || k->proto == 17;
    return community_id_v1(community_id_seed(), k->addr[0], k->addr[1], k->family == 4 ? 4 : 16,
                           k->proto, ports, k->port[0], k->port[1], out) == 0 ? out : NULL;
}

static void flow_row(struct monitor_worker *w, struct flow *f, enum flow_end why,
                     const struct flow_fp *fp)
{
    char src[ADDR_TEXT_MAX], dst[ADDR_TEXT_MAX], smac[18], dmac[18], cid[COMMUNITY_ID_SIZE];
    unsigned s = f->init_side;
    if (f->has_mac[0])
        mac_format(f->mac[0], smac);
    if (f->has_mac[1])
        mac_format(f->mac[1], dmac);
    struct flow_row row = {
        .first_seen = f->first_seen,
        .last_seen = f->last_seen,
        .vlan = f->key.vlan,
        .ip_proto = f->key.proto,
        .src_ip = flow_ip_text(f, s, src),
        .dst_ip = flow_ip_text(f, s ^ 1, dst),
        .src_port = f->key.port[s],
        .dst_port = f->key.port[s ^ 1],
        .src_mac = f->has_mac[0] ? smac : NULL,
        .dst_mac = f->has_mac[1] ? dmac : NULL,
        .protocol = classifier_name(w->cl, &f->cls),
        .confidence = classification_confidence(&f->cls),
        .packets = f->packets,
        .bytes = f->bytes,
        .end_reason = end_names[why],
        .fingerprint = fp ? fp->hash : NULL,
        .query = fp && fp->query[0] ? fp->query : NULL,
        .fingerprint_input = fp ? fp->input : NULL,
        .ja4 = fp && fp->ja4[0] ? fp->ja4 : NULL,
        .ja3 = fp && fp->ja3[0] ? fp->ja3 : NULL,
        .tcp_gaps = f->tcp_gaps,
        .tcp_gap_bytes = f->tcp_gap_bytes,
        .community_id = flow_community_id(f, cid),
        .src_mac_local = f->has_mac[0] && mac_locally_administered(f->mac[0]),
        .dst_mac_local = f->has_mac[1] && mac_locally_administered(f->mac[1]),
    };
    monitor_add_row(w, MT_FLOWS, &row);
}

/* DNS and DHCP fingerprints need no more than the packet nDPI named the
 * protocol on (it may wait for the answer; the name does not change):
 * they are stored with that packet's time.  The others wait for detection
 * to complete, as the name may still be refined (TLS.Amazon). */
static bool early_kind(const struct flow *f)
{
    return f->collector && (f->collector->kind == FP_DNS || f->collector->kind == FP_DHCP);
}

/* The protocol and time a flow's fingerprint rows carry. */
static const struct classification *fp_moment(const struct flow *f, uint64_t *at)
{
    if (f->named && early_kind(f)) {
        *at = f->named_at;
        return &f->named_cls;
    }
    *at = f->detected_at;
    return &f->cls;
}

/* The fingerprint rows of a flow: one per distinct unicast MAC. */
static void fingerprint_rows(struct monitor_worker *w, struct flow *f, const struct fingerprint *fp)
{
    char mac[18], cid[COMMUNITY_ID_SIZE];
    uint64_t at;
    const char *proto = classifier_name(w->cl, fp_moment(f, &at));
    for (int i = 0; i < 2; i++) {
        if (!f->has_mac[i] || mac_is_group(f->mac[i]) ||
            (i == 1 && f->has_mac[0] && !memcmp(f->mac[0], f->mac[1], 6)))
            continue;
        mac_format(f->mac[i], mac);
        struct fingerprint_row row = {mac, proto, fp->hash, at, fp->query[0] ? fp->query : NULL,
                                      flow_community_id(f, cid), mac_locally_administered(f->mac[i]),
                                      fp->ja4[0] ? fp->ja4 : NULL};
        monitor_add_row(w, MT_FINGERPRINT, &row);
        struct device *d = note(w, f->mac[i], at);
        if (d)
            d->fingerprints++;
    }
}

/* ---- flows --------------------------------------------------------- */

/* A collector for f, from the worker's spares when there is one; false
 * when the worker gathers for max_collectors flows already. */
static bool take_collector(struct monitor_worker *w, struct flow *f)
{
    if (w->collectors >= w->max_collectors)
        return false;
    f->collector = w->nspare ? w->spare[--w->nspare] : malloc(sizeof *f->collector);
    if (f->collector)
        w->collectors++;
    return f->collector != NULL;
}

static void drop_collector(struct monitor_worker *w, struct flow *f)
{
    if (!f->collector)
        return;
    collect_free(f->collector);
    if (w->nspare < MONITOR_SPARE_COLLECTORS)
        w->spare[w->nspare++] = f->collector;
    else
        free(f->collector);
    f->collector = NULL;
    w->collectors--;
}

/* Inputs and protocol are known: emit the fingerprint (if any) once. */
static void finish_fingerprint(struct monitor_worker *w, struct flow *f, struct flow_fp **kept)
{
    struct fingerprint fp;
    f->fingerprinted = true;
    if (f->collector && collect_fingerprint(f->collector, &fp)) {
        fingerprint_rows(w, f, &fp);
        w->c.fingerprints++;
        if (w->flow_log)
            *kept = keep_fingerprint(&fp);
    }
    drop_collector(w, f);
}

/* Detection is complete (cls final): free nDPI's state; QUIC gets its
 * collector from what nDPI decrypted. */
static void classified(struct monitor_worker *w, struct flow *f, uint64_t ts)
{
    f->detected = true;
    f->detected_at = ts;
    if (classification_is_quic(&f->cls) && !f->collector && f->ndpi && take_collector(w, f)) {
        char sni[FP_TEXT_MAX + 1];
        classifier_quic_sni(f->ndpi, sni, sizeof sni);
        collect_start_quic(f->collector, sni);
    }
    if (!f->collector)
        f->fingerprinted = true; /* nothing identifies a device in this flow */
    if (f->ndpi) {
        classifier_flow_free(f->ndpi);
        f->ndpi = NULL;
        w->inspecting--;
    }
}

static void end_flow(struct monitor_worker *w, struct flow *f, enum flow_end why)
{
    struct flow_fp *fp = f->fp;
    if (!f->detected) {
        if (f->ndpi)
            classifier_giveup(w->cl, f->ndpi, &f->cls);
        classified(w, f, f->named ? f->named_at : f->last_seen);
    }
    if (!f->fingerprinted)
        finish_fingerprint(w, f, &fp);
    note_flow(w, f, true);
    if (w->flow_log)
        flow_row(w, f, why, fp);
    free(fp);
    f->fp = NULL;
    drop_collector(w, f);
    flow_table_remove(w->flows, f);
}

void monitor_expire(struct monitor_worker *w, uint64_t now_us)
{
    enum flow_end why;
    struct flow *f;
    while ((f = flow_table_expired(w->flows, now_us, &why)))
        end_flow(w, f, why);
}

void monitor_end_all(struct monitor_worker *w)
{
    struct flow *f;
    while ((f = flow_table_oldest(w->flows)))
        end_flow(w, f, FLOW_END_CAPTURE);
}

static struct flow *new_flow(struct monitor_worker *w, const struct flow_key *key,
                             const struct packet *pkt, unsigned src_side)
{
    if (flow_table_full(w->flows)) {
        end_flow(w, flow_table_oldest(w->flows), FLOW_END_EVICTED);
        w->c.evicted++;
    }
    struct flow *f = flow_table_insert(w->flows, key);
    if (!f)
        return NULL;
    /* the flow's source is the side that opened it: the first sender, or
     * the other side when the first packet seen is a SYN-ACK */
    bool syn_ack = packet_has(pkt, LAYER_TCP) &&
                   (pkt->tcp.flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
    f->init_side = (uint8_t)(syn_ack ? src_side ^ 1 : src_side);
    f->first_seen = f->last_seen = f->moved = f->device_touch = pkt->timestamp;
    if (w->inspecting < w->max_inspecting && (f->ndpi = classifier_flow_new()))
        w->inspecting++;
    else
        w->c.not_inspected++; /* classified Unknown at its end */
    w->c.flows_total++;
    return f;
}

/* MACs: the first packet's source and destination; a reply fills in what
 * its link header has that the first packet's did not. */
static void learn_macs(struct flow *f, const struct packet *pkt, unsigned dir)
{
    const struct bytes *src = &pkt->eth.src, *dst = &pkt->eth.dst;
    if (!packet_has(pkt, LAYER_ETH))
        return;
    unsigned s = dir, d = dir ^ 1; /* index of this packet's source / destination */
    if (!f->has_mac[s] && src->len == 6) {
        memcpy(f->mac[s], src->p, 6);
        f->has_mac[s] = true;
    }
    if (!f->has_mac[d] && dst->len == 6) {
        memcpy(f->mac[d], dst->p, 6);
        f->has_mac[d] = true;
    }
}

/* TCP sequence space: a segment that starts beyond the highest byte seen
 * in its direction leaves a hole (a packet lost before netsift, or one
 * still to come out of order): counted on the flow and the worker. */
static void tcp_sequence(struct monitor_worker *w, struct flow *f, const struct packet *pkt,
                         unsigned dir)
{
    int64_t seg;
    if (packet_has(pkt, LAYER_IP4))
        seg = (int64_t)pkt->ip4.len - pkt->ref[LAYER_IP4].len;
    else
        seg = (int64_t)pkt->ip6.plen - (pkt->ref[LAYER_IP6].len - 40);
    seg -= (int64_t)pkt->tcp.doff * 4;
    if (seg < 0)
        seg = 0;
    uint32_t seq = pkt->tcp.seq;
    uint32_t end = seq + (uint32_t)seg + ((pkt->tcp.flags & TCP_SYN) ? 1 : 0) +
                   ((pkt->tcp.flags & TCP_FIN) ? 1 : 0);
    if (seg > 0 || (pkt->tcp.flags & (TCP_SYN | TCP_FIN)))
        f->seq_sure |= (uint8_t)(1u << dir);
    if (!f->seq_known[dir]) {
        f->seq_known[dir] = true;
        f->next_seq[dir] = end;
        return;
    }
    int32_t hole = (int32_t)(seq - f->next_seq[dir]);
    if (hole > 0) {
        f->tcp_gaps++;
        f->tcp_gap_bytes += (uint32_t)hole;
        w->c.tcp_gaps++;
        w->c.tcp_gap_bytes += (uint32_t)hole;
    }
    if ((int32_t)(end - f->next_seq[dir]) > 0)
        f->next_seq[dir] = end;
}

/* TCP state: FIN both ways or RST closes the flow (it then lingers on
 * the closed list for late packets). */
static enum flow_list tcp_list(struct flow *f, const struct packet *pkt, unsigned dir)
{
    if (!packet_has(pkt, LAYER_TCP))
        return f->list;
    if (pkt->tcp.flags & TCP_FIN)
        f->fin_dirs |= (uint8_t)(1u << dir);
    if ((pkt->tcp.flags & TCP_RST) || f->fin_dirs == 3 || f->list == FLOW_LIST_CLOSED)
        return FLOW_LIST_CLOSED;
    return FLOW_LIST_TCP;
}

/* seq: the flow's TCP sequence space before this packet (collect.h). */
static void collect(struct monitor_worker *w, struct flow *f, const struct packet *pkt,
                    unsigned dir, const struct collect_seq *seq)
{
    if (f->collector) {
        collect_packet(f->collector, pkt, dir);
        if (collect_abandoned(f->collector))
            drop_collector(w, f); /* its first bytes identified nothing */
        return;
    }
    if (f->detected || f->packets > FP_CANDIDATE_PACKETS)
        return;
    bool pending;
    enum fp_kind kind = collect_candidate(pkt, seq, dir, &pending);
    if (kind == FP_NONE && !pending)
        return;
    if (!take_collector(w, f)) {
        w->c.collectors_skipped++;
        return;
    }
    collect_start(f->collector, kind, pkt, dir, seq, &w->streams);
}

static void classify(struct monitor_worker *w, struct flow *f, const struct packet *pkt)
{
    enum layer ip = f->key.family == 4 ? LAYER_IP4 : LAYER_IP6;
    if (f->detected || !f->ndpi || (pkt->truncated & (1u << ip)))
        return; /* ndpiReader skips IP packets cut by the snapshot length too */
    const uint8_t *hdr = pkt->ref[ip].hdr;
    uint32_t len = pkt->caplen - (uint32_t)(hdr - pkt->data);
    f->ndpi_packets++;
    struct classification c;
    enum cls_state st = classifier_packet(w->cl, f->ndpi, hdr, len, pkt->timestamp,
                                          f->ndpi_packets, f->key.proto, &c);
    if (st != CLS_PENDING && !f->named) {
        f->named = true;
        f->named_at = pkt->timestamp;
        f->named_cls = c;
    }
    if (st == CLS_DONE) {
        f->cls = c;
        classified(w, f, pkt->timestamp);
    }
}

/* Emit the fingerprint once the protocol and the inputs are known. */
static void maybe_fingerprint(struct monitor_worker *w, struct flow *f)
{
    if (f->fingerprinted || !(f->detected || (f->named && early_kind(f))))
        return;
    if (!f->collector || collect_complete(f->collector) || f->packets > FP_MAX_PACKETS)
        finish_fingerprint(w, f, &f->fp);
}

void monitor_packet(struct monitor_worker *w, const struct packet *pkt)
{
    struct flow_key key;
    unsigned side;
    w->c.packets++;
    /* now is the latest packet's time, even when it went back (files
     * joined out of order): nothing expires then, rather than everything */
    w->clock_us = pkt->timestamp;
    if (pkt->layers & (1u << LAYER_ARP | 1u << LAYER_DHCP))
        note_link_protocols(w, pkt);
    if (!flow_key_of(pkt, &key, &side))
        return;
    monitor_expire(w, w->clock_us);
    struct flow *f = flow_table_find(w->flows, &key);
    if (f && f->list == FLOW_LIST_CLOSED && packet_has(pkt, LAYER_TCP) &&
        (pkt->tcp.flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
        end_flow(w, f, FLOW_END_REUSED); /* a new connection on the same endpoints */
        f = NULL;
    }
    if (!f && !(f = new_flow(w, &key, pkt, side)))
        return;
    unsigned dir = side == f->init_side ? 0 : 1;
    f->packets++;
    f->bytes += pkt->length;
    if (pkt->timestamp > f->last_seen)
        f->last_seen = pkt->timestamp;
    learn_macs(f, pkt, dir);
    f->seen_dir[dir] = true;
    /* where each TCP direction stands before this packet, for the collector:
     * only what a SYN, FIN or data told (a keep-alive sits one byte behind) */
    struct collect_seq seq = {{f->seq_sure & 1, f->seq_sure >> 1 & 1},
                              {f->next_seq[0], f->next_seq[1]}};
    if (packet_has(pkt, LAYER_TCP) && !(pkt->tcp.flags & TCP_RST))
        tcp_sequence(w, f, pkt, dir);
    if (pkt->timestamp - f->device_touch >= DEVICE_TOUCH_US && pkt->timestamp > f->device_touch) {
        f->device_touch = pkt->timestamp;
        note_flow(w, f, false);
    }
    flow_table_touch(w->flows, f, tcp_list(f, pkt, dir));
    if (!f->fingerprinted)
        collect(w, f, pkt, dir, &seq);
    classify(w, f, pkt);
    maybe_fingerprint(w, f);
}

/* ---- publishing ---------------------------------------------------- */

static void snapshot_one(void *arg, const struct flow *f)
{
    struct monitor_worker *w = arg;
    struct flow_view *v = &w->snap[w->nsnap++];
    v->key = f->key;
    v->init_side = f->init_side;
    memcpy(v->has_mac, f->has_mac, sizeof v->has_mac);
    memcpy(v->mac, f->mac, sizeof v->mac);
    v->protocol[0] = '\0';
    if (f->detected)
        snprintf(v->protocol, sizeof v->protocol, "%s", classifier_name(w->cl, &f->cls));
    v->packets = f->packets;
    v->bytes = f->bytes;
    v->first_seen = f->first_seen;
    v->last_seen = f->last_seen;
}

void monitor_publish(struct monitor_worker *w)
{
    w->c.flows_active = flow_table_count(w->flows);
    w->c.stream_ooo_segments = w->streams.ooo_segments;
    w->c.stream_gaps = w->streams.memcap_gaps;
    const uint64_t *src = (const uint64_t *)&w->c;
    for (size_t i = 0; i < sizeof w->c / sizeof(uint64_t); i++)
        atomic_store_explicit(&w->pub[i], src[i], memory_order_relaxed);
    pthread_mutex_lock(&w->snap_lock);
    w->nsnap = 0;
    flow_table_recent(w->flows, MONITOR_SNAPSHOT_MAX, snapshot_one, w);
    pthread_mutex_unlock(&w->snap_lock);
    device_book_merge(w->book, &w->devices);
}

void monitor_read_counters(struct monitor_worker *w, struct monitor_counters *out)
{
    uint64_t *dst = (uint64_t *)out;
    for (size_t i = 0; i < sizeof *out / sizeof(uint64_t); i++)
        dst[i] = atomic_load_explicit(&w->pub[i], memory_order_relaxed);
}
