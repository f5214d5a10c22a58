/*
 * test_stats_filter.c - the statistics daemon's filters, counters and
 * shared-memory segment: criteria parsed from configuration text match
 * built packets as they should; counters count both directions; a
 * published segment reads back consistently and a corrupted entry is
 * reported as torn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "decode/packet.h"
#include "pktbuild.h"
#include "stats/counters.h"
#include "stats/daemon_conf.h"
#include "stats/shm.h"

static struct packet pkt;
static struct pb b;
static struct layout lay;

static void udp4(uint16_t sport, uint16_t dport, const char *payload)
{
    build_udp4(&b, sport, dport, payload, strlen(payload), &lay);
    decode_packet(&pkt, 1, b.d, (uint32_t)b.len, (uint32_t)b.len, 5000000);
}

/* Parse one watcher section and tell whether the current packet matches. */
static int matches(const char *body)
{
    char text[2048], err[1200];
    snprintf(text, sizeof text, "[watcher t]\nread_file = x\n%s\n", body);
    struct daemon_conf c;
    int rc =
        daemon_conf_parse(&c, text, strlen(text), "t.conf", DCONF_NO_IFACE_CHECK, err, sizeof err);
    if (rc != 0) {
        print_error("%s\n", err);
        return -1;
    }
    int m = filter_match(&c.watchers[0].filter, &pkt);
    daemon_conf_free(&c);
    return m;
}

static void test_filters(void **state)
{
    (void)state;
    udp4(5353, 53, "hello GET / world");
    /* table: criterion, expected match for 10.0.0.1:5353 -> 192.168.200.254:53 */
    static const struct {
        const char *body;
        int want;
    } cases[] = {
        {"src_ip = 10.0.0.0/8", 1},
        {"src_ip = 10.0.0.2", 0},
        {"dst_ip = 192.168.200.0/24", 1},
        {"dst_ip = 192.168.201.0/24", 0},
        {"ip = 192.168.200.254", 1},
        {"ip = 2001:db8::/32", 0},
        {"src_port = 5000-6000", 1},
        {"dst_port = 54-60", 0},
        {"port = 53", 1},
        {"protocol = udp", 1},
        {"protocol = tcp", 0},
        {"protocol = 17", 1},
        {"protocol = ip", 1},
        {"protocol = ip6", 0},
        {"regex = GET\\s/", 1},
        {"regex = ^GET", 0},
        {"src_mac = 02:42:ac:11:00:02", 1},
        {"dst_mac = 02:42:ac:11:00:02", 0},
        {"mac = 02:42:ac:11:00:02", 1},
        {"src_ip = 10.0.0.0/8\nport = 53\nregex = world$", 1},
        {"src_ip = 10.0.0.0/8\nport = 54", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = matches(cases[i].body);
        if (got != cases[i].want)
            fail_msg("'%s': expected %d, got %d", cases[i].body, cases[i].want, got);
    }
    build_udp6(&b, 1, 2, "x", 1, &lay);
    decode_packet(&pkt, 1, b.d, (uint32_t)b.len, (uint32_t)b.len, 1);
    assert_int_equal(matches("src_ip = 2001:db8::/32"), 1);
    assert_int_equal(matches("src_ip = 2001:db9::/32"), 0);
    assert_int_equal(matches("src_ip = 10.0.0.0/8"), 0);
}

static void test_counters_and_shm(void **state)
{
    (void)state;
    struct counters *c = counters_new(64);
    assert_non_null(c);
    counters_set_source(c, "eth0", NULL);
    udp4(1000, 53, "q");
    counters_add(c, (1u << SK_COUNT) - 1, &pkt);
    uint32_t len1 = pkt.length;
    /* the answer: swap addresses by building from the other side */
    build_udp4(&b, 53, 1000, "answer", 6, &lay);
    /* swap source and destination IP and MAC in place */
    uint8_t tmp[6];
    memcpy(tmp, b.d, 6), memcpy(b.d, b.d + 6, 6), memcpy(b.d + 6, tmp, 6);
    memcpy(tmp, b.d + 26, 4), memcpy(b.d + 26, b.d + 30, 4), memcpy(b.d + 30, tmp, 4);
    decode_packet(&pkt, 1, b.d, (uint32_t)b.len, (uint32_t)b.len, 5500000);
    counters_add(c, (1u << SK_COUNT) - 1, &pkt);

    char name[64];
    snprintf(name, sizeof name, "nsunit%d", (int)getpid());
    struct stats_shm shm;
    char err[256];
    assert_int_equal(stats_shm_create(&shm, name, "w", 64, err, sizeof err), 0);
    stats_shm_begin(&shm);
    shm.hdr->nentries = counters_publish(c, shm.entries, 64, 6);
    stats_shm_end(&shm);
    struct stats_snapshot s;
    assert_int_equal(stats_shm_read_named(name, "w", &s, err, sizeof err), 0);
    int conv = 0;
    for (uint64_t i = 0; i < s.hdr.nentries; i++) {
        const struct stats_entry *e = &s.entries[i];
        char key[STATS_KEY_TEXT];
        stats_key_format(&e->key, key);
        if (e->key.kind == SK_CONV) {
            conv++;
            assert_string_equal(key, "10.0.0.1,192.168.200.254");
            assert_int_equal(e->tx_packets, 1);
            assert_int_equal(e->tx_bytes, len1);
            assert_int_equal(e->rx_packets, 1);
            assert_int_equal(e->rx_bytes, pkt.length);
            assert_int_equal(e->win_packets[0], 2); /* second 5, seen from second 6 */
            assert_int_equal(e->first_seen, 5000000);
            assert_int_equal(e->last_seen, 5500000);
        }
        if (e->key.kind == SK_IP && strcmp(key, "10.0.0.1") == 0) {
            assert_int_equal(e->tx_packets, 1);
            assert_int_equal(e->rx_packets, 1);
        }
        if (e->key.kind == SK_IFACE) {
            assert_string_equal(key, "eth0");
            assert_int_equal(e->rx_packets, 2);
        }
    }
    assert_int_equal(conv, 1);
    stats_snapshot_free(&s);
    /* a value changed without its check value: a torn read is reported */
    shm.entries[0].tx_packets++;
    assert_int_equal(stats_shm_read_named(name, "w", &s, err, sizeof err), -2);
    stats_snapshot_free(&s);
    stats_shm_close(&shm, true);
    assert_int_equal(stats_shm_read_named(name, "w", &s, err, sizeof err), -1);
    counters_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_counters_and_shm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
