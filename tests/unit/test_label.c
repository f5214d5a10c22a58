/*
 * test_label.c - the alert parsers (eve.json, Suricata fast.log, Snort
 * fast alerts) and the alert index of netsift label: exact and reversed
 * 5-tuples, time spans, port-less and address-less records, file order of
 * several matches, and an index lookup checked against a brute-force scan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "label/alert.h"
#include "label/index.h"

/* 2017-07-05 12:34:56 UTC */
#define T0 1499258096LL

static void test_eve(void **state)
{
    (void)state;
    struct alert a;
    char err[256];
    const char *line =
        "{\"timestamp\":\"2017-07-05T14:34:56.123456+0200\",\"flow_id\":1,\"event_type\":\"alert\","
        "\"src_ip\":\"10.0.0.1\",\"src_port\":49152,\"dest_ip\":\"1.2.3.4\",\"dest_port\":80,"
        "\"proto\":\"TCP\",\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":2013028,"
        "\"rev\":5,\"signature\":\"ET POLICY curl\",\"category\":\"Attempted Information Leak\","
        "\"severity\":2}}";
    assert_int_equal(alert_parse_eve(line, &a, err, sizeof err), 1);
    assert_true(a.ts == T0 * 1000000 + 123456);
    assert_int_equal(a.proto, 6);
    assert_int_equal(a.addr_len, 4);
    assert_memory_equal(a.src, ((uint8_t[]){10, 0, 0, 1}), 4);
    assert_memory_equal(a.dst, ((uint8_t[]){1, 2, 3, 4}), 4);
    assert_int_equal(a.sport, 49152);
    assert_int_equal(a.dport, 80);
    assert_int_equal(a.sid, 2013028);
    assert_int_equal(a.gid, 1);
    assert_int_equal(a.rev, 5);
    assert_int_equal(a.severity, 2);
    assert_string_equal(a.classification, "Attempted Information Leak");
    assert_string_equal(a.description, "ET POLICY curl");
    alert_free(&a);

    /* Z and IPv6 and ICMP (no ports) */
    line = "{\"timestamp\":\"2017-07-05T12:34:56Z\",\"event_type\":\"alert\",\"src_ip\":\"2001:db8:"
           ":1\","
           "\"dest_ip\":\"2001:db8::2\",\"proto\":\"IPv6-ICMP\",\"icmp_type\":128,"
           "\"alert\":{\"signature_id\":7,\"signature\":\"ping6\",\"severity\":3}}";
    assert_int_equal(alert_parse_eve(line, &a, err, sizeof err), 1);
    assert_true(a.ts == T0 * 1000000);
    assert_int_equal(a.proto, 58);
    assert_int_equal(a.addr_len, 16);
    assert_int_equal(a.sport, 0);
    assert_string_equal(a.classification, "");
    alert_free(&a);

    /* a decoder event on a packet without IP: no addresses, time only */
    line = "{\"timestamp\":\"2017-07-05T12:34:56Z\",\"event_type\":\"alert\",\"alert\":{"
           "\"signature_id\":"
           "2200000,\"signature\":\"SURICATA decoder event\",\"category\":\"Generic Protocol "
           "Command Decode\"}}";
    assert_int_equal(alert_parse_eve(line, &a, err, sizeof err), 1);
    assert_int_equal(a.addr_len, 0);
    char ep[64];
    assert_string_equal(alert_endpoint(&a, false, ep, sizeof ep), "-");
    struct label_index *ix = label_index_build(&a, 1);
    uint32_t *ids = NULL;
    size_t cap = 0;
    struct label_key tk = {.t0 = a.ts, .t1 = a.ts, .proto = -1};
    assert_int_equal(label_index_match(ix, &tk, &ids, &cap), 1);
    tk.addr_len = 4; /* a record with addresses is not this alert's */
    assert_int_equal(label_index_match(ix, &tk, &ids, &cap), 0);
    label_index_free(ix);
    free(ids);
    alert_free(&a);

    /* other events are skipped, broken ones are errors with a reason */
    assert_int_equal(alert_parse_eve("{\"event_type\":\"flow\"}", &a, err, sizeof err), 0);
    assert_int_equal(alert_parse_eve("", &a, err, sizeof err), 0);
    static const char *const bad[] = {
        "{\"event_type\":\"alert\"",
        "[1,2]",
        "{\"event_type\":\"alert\",\"timestamp\":\"yesterday\",\"src_ip\":\"1.1.1.1\",\"dest_ip\":"
        "\"2.2.2.2\","
        "\"proto\":\"TCP\",\"alert\":{\"signature_id\":1}}",
        "{\"event_type\":\"alert\",\"timestamp\":\"2017-07-05T12:34:56Z\",\"src_ip\":\"1.1.1\","
        "\"dest_ip\":"
        "\"2.2.2.2\",\"proto\":\"TCP\",\"alert\":{\"signature_id\":1}}",
        "{\"event_type\":\"alert\",\"timestamp\":\"2017-07-05T12:34:56Z\",\"src_ip\":\"1.1.1.1\","
        "\"dest_ip\":"
        "\"2.2.2.2\",\"proto\":\"TCP\",\"src_port\":70000,\"dest_port\":1,\"alert\":{\"signature_"
        "id\":1}}",
        "{\"event_type\":\"alert\",\"timestamp\":\"2017-07-05T12:34:56Z\",\"src_ip\":\"1.1.1.1\","
        "\"dest_ip\":"
        "\"2.2.2.2\",\"proto\":\"TCP\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(alert_parse_eve(bad[i], &a, err, sizeof err), -1);
        assert_true(err[0] != '\0');
    }
}

static void test_fast(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    struct alert a;
    char err[256];
    /* Suricata */
    assert_int_equal(
        alert_parse_fast("07/05/2017-12:34:56.123456  [**] [1:2013028:5] ET POLICY curl "
                         "User-Agent [**] [Classification: Attempted Information Leak] "
                         "[Priority: 2] {TCP} 10.0.0.1:49152 -> 1.2.3.4:80",
                         0, &a, err, sizeof err),
        1);
    assert_true(a.ts == T0 * 1000000 + 123456);
    assert_int_equal(a.proto, 6);
    assert_int_equal(a.sport, 49152);
    assert_int_equal(a.dport, 80);
    assert_int_equal(a.sid, 2013028);
    assert_int_equal(a.severity, 2);
    assert_string_equal(a.description, "ET POLICY curl User-Agent");
    assert_string_equal(a.classification, "Attempted Information Leak");
    alert_free(&a);
    /* Suricata drop, IPv6 without brackets, (null) classification */
    assert_int_equal(
        alert_parse_fast("07/05/2017-12:34:56.000001  [Drop] [**] [1:9:1] x [**] "
                         "[Classification: (null)] [Priority: 3] {UDP} 2001:db8::1:53 -> "
                         "2001:db8::2:5353",
                         0, &a, err, sizeof err),
        1);
    assert_int_equal(a.addr_len, 16);
    assert_int_equal(a.sport, 53);
    assert_int_equal(a.dport, 5353);
    assert_string_equal(a.classification, "");
    alert_free(&a);
    /* Snort without a year (the default year is used) and without classification */
    assert_int_equal(alert_parse_fast("07/05-12:34:56.500000  [**] [1:1000:2] SNORT test [**] "
                                      "[Priority: 1] {TCP} 1.2.3.4:80 -> 5.6.7.8:1234",
                                      2017, &a, err, sizeof err),
                     1);
    assert_true(a.ts == T0 * 1000000 + 500000);
    assert_int_equal(a.sid, 1000);
    assert_int_equal(a.severity, 1);
    assert_string_equal(a.classification, "");
    alert_free(&a);
    /* Snort -y (two-digit year), ICMP type:code are no ports */
    assert_int_equal(
        alert_parse_fast("07/05/17-12:34:56.000000  [**] [1:384:5] ICMP PING [**] "
                         "[Classification: Misc activity] [Priority: 3] {ICMP} 1.2.3.4:8 -> "
                         "5.6.7.8:0",
                         0, &a, err, sizeof err),
        1);
    assert_true(a.ts == T0 * 1000000);
    assert_int_equal(a.proto, 1);
    assert_int_equal(a.sport, 0);
    alert_free(&a);
    static const char *const bad[] = {
        "garbage",
        "13/45/2017-12:34:56.0  [**] [1:1:1] x [**] [Priority: 1] {TCP} 1.2.3.4:1 -> 5.6.7.8:2",
        "07/05/2017-12:34:56.0  [**] [1:1:1] x [**] [Priority: 1] {TCP} 1.2.3.4:99999 -> 5.6.7.8:2",
        "07/05/2017-12:34:56.0  [**] [1:1:1] x [**] [Priority: 1] {NOPE} 1.2.3.4:1 -> 5.6.7.8:2",
        "07/05/2017-12:34:56.0  [**] [1:1:1] x [**] [Priority: 1] {TCP} 1.2.3.4:1 -> ::1:2",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(alert_parse_fast(bad[i], 2017, &a, err, sizeof err), -1);
}

static struct alert mk(int64_t ts, uint8_t proto, uint8_t s4, uint16_t sp, uint8_t d4, uint16_t dp,
                       uint32_t order)
{
    struct alert a = {
        .ts = ts, .proto = proto, .addr_len = 4, .sport = sp, .dport = dp, .order = order};
    a.src[0] = 10, a.src[3] = s4;
    a.dst[0] = 10, a.dst[3] = d4;
    return a;
}

static struct label_key key(int64_t t0, int64_t t1, int proto, uint8_t a4, uint16_t pa, uint8_t b4,
                            uint16_t pb)
{
    struct label_key k = {
        .t0 = t0, .t1 = t1, .proto = proto, .addr_len = 4, .has_ports = true, .pa = pa, .pb = pb};
    k.a[0] = 10, k.a[3] = a4;
    k.b[0] = 10, k.b[3] = b4;
    return k;
}

static void test_index(void **state)
{
    (void)state;
    struct alert v[] = {
        mk(100, 6, 1, 1000, 2, 80, 0), /* conn A forward */
        mk(150, 6, 2, 80, 1, 1000, 1), /* conn A reverse */
        mk(100, 6, 3, 1000, 2, 80, 2), /* other host, same time */
        mk(500, 17, 1, 53, 2, 53, 3),  /* UDP */
        mk(120, 6, 1, 1000, 2, 80, 4), /* conn A again */
    };
    struct label_index *ix = label_index_build(v, 5);
    assert_non_null(ix);
    uint32_t *ids = NULL;
    size_t cap = 0;
    /* a packet of conn A at 100: only alert 0 (not the other host's) */
    struct label_key k = key(100, 100, 6, 1, 1000, 2, 80);
    assert_int_equal(label_index_match(ix, &k, &ids, &cap), 1);
    assert_int_equal(ids[0], 0);
    /* the flow of conn A, seen from the other side, spanning 90..200: alerts 0, 1, 4 in file order
     */
    k = key(90, 200, 6, 2, 80, 1, 1000);
    assert_int_equal(label_index_match(ix, &k, &ids, &cap), 3);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 1);
    assert_int_equal(ids[2], 4);
    /* span 101..149: only 4 */
    k.t0 = 101, k.t1 = 149;
    assert_int_equal(label_index_match(ix, &k, &ids, &cap), 1);
    assert_int_equal(ids[0], 4);
    /* wrong protocol, ports crossed, other ports: nothing */
    k = key(0, 1000, 17, 1, 1000, 2, 80);
    assert_int_equal(label_index_match(ix, &k, &ids, &cap), 0);
    k = key(0, 1000, 6, 1, 80, 2, 1000);
    assert_int_equal(label_index_match(ix, &k, &ids, &cap), 0);
    /* a time-only record (Ethernet) at 100: alerts 0 and 2 */
    struct label_key t = {.t0 = 100, .t1 = 100, .proto = -1};
    assert_int_equal(label_index_match(ix, &t, &ids, &cap), 2);
    /* addresses only (IPv4 record) at 100, host 3: alert 2 */
    struct label_key ka = key(100, 100, 6, 2, 0, 3, 0);
    ka.has_ports = false;
    assert_int_equal(label_index_match(ix, &ka, &ids, &cap), 1);
    assert_int_equal(ids[0], 2);
    /* ports only (TransportFlow) 53/53 over all time: the UDP alert */
    struct label_key kp = {
        .t0 = INT64_MIN, .t1 = INT64_MAX, .proto = -1, .has_ports = true, .pa = 53, .pb = 53};
    assert_int_equal(label_index_match(ix, &kp, &ids, &cap), 1);
    assert_int_equal(ids[0], 3);
    label_index_free(ix);

    /* random alerts and keys: the index agrees with a scan of every alert */
    enum { NA = 3000, NK = 2000 };
    struct alert *r = calloc(NA, sizeof *r);
    assert_non_null(r);
    srand(7);
    for (uint32_t i = 0; i < NA; i++)
        r[i] = mk(rand() % 1000, rand() % 2 ? 6 : 17, (uint8_t)(rand() % 8), (uint16_t)(rand() % 4),
                  (uint8_t)(rand() % 8), (uint16_t)(rand() % 4), i);
    ix = label_index_build(r, NA);
    for (int i = 0; i < NK; i++) {
        int64_t t0 = rand() % 1000;
        struct label_key q = key(t0, t0 + rand() % 50, rand() % 3 ? (rand() % 2 ? 6 : 17) : -1,
                                 (uint8_t)(rand() % 8), (uint16_t)(rand() % 4),
                                 (uint8_t)(rand() % 8), (uint16_t)(rand() % 4));
        int shape = rand() % 4;
        if (shape == 1)
            q.has_ports = false;
        if (shape == 2)
            q.addr_len = 0;
        if (shape == 3)
            q.has_ports = false, q.addr_len = 0;
        size_t n = label_index_match(ix, &q, &ids, &cap), want = 0;
        for (uint32_t j = 0; j < NA; j++)
            if (label_key_matches(&q, &r[j])) {
                assert_true(want < n);
                assert_int_equal(ids[want], j);
                want++;
            }
        assert_int_equal(n, want);
    }
    label_index_free(ix);
    free(r);
    free(ids);
}

static void test_load(void **state)
{
    (void)state;
    char path[] = "/tmp/netsift-label-test.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "07/05/2017-12:34:56.1  [**] [1:1:1] a [**] [Classification: Keep] [Priority: 1] "
               "{TCP} 1.1.1.1:1 -> 2.2.2.2:2\n"
               "\n"
               "broken line\n"
               "07/05/2017-12:34:56.2  [**] [1:2:1] b [**] [Classification: Drop me] [Priority: 1] "
               "{TCP} 1.1.1.1:1 -> 2.2.2.2:2\n"
               "07/05/2017-12:34:56.3  [**] [1:3:1] c [**] [Classification: Keep] [Priority: 1] "
               "{TCP} 1.1.1.1:1 -> 2.2.2.2:2\n");
    fclose(f);
    const char *excl[] = {"drop ME", NULL};
    struct alert_opts o = {.exclude = excl, .default_year = 2017};
    struct alert_set set = {0};
    FILE *log = tmpfile();
    assert_int_equal(alert_set_load(&set, path, &o, log), 0);
    assert_int_equal(set.n, 2);
    assert_int_equal(set.malformed, 1);
    assert_int_equal(set.excluded, 1);
    assert_int_equal(set.v[0].line, 1);
    assert_int_equal(set.v[1].line, 5);
    assert_int_equal(set.v[1].order, 1);
    char buf[512] = "";
    rewind(log);
    assert_non_null(fgets(buf, sizeof buf, log));
    assert_non_null(strstr(buf, ":3: "));
    alert_set_free(&set);
    o.strict = true; /* the malformed line is fatal */
    assert_int_equal(alert_set_load(&set, path, &o, log), -1);
    alert_set_free(&set);
    fclose(log);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eve),
        cmocka_unit_test(test_fast),
        cmocka_unit_test(test_index),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
