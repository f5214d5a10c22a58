/*
 * test_pcap_store.c - the small parts of the raw packet store: size and
 * duration options (OPT_SIZE, OPT_DURATION), UUID names of pcap files and
 * their validation, extract's time arguments, and the meta table's shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "store/extract.h"
#include "store/pcap_store.h"

static void test_parse_size(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        uint64_t v;
    } cases[] = {
        {"0", 0, 0},
        {"65536", 0, 65536},
        {"64K", 0, 64ull << 10},
        {"64k", 0, 64ull << 10},
        {"64KiB", 0, 64ull << 10},
        {"64kb", 0, 64ull << 10},
        {"64M", 0, 64ull << 20},
        {"10G", 0, 10ull << 30},
        {"2T", 0, 2ull << 40},
        {"100B", 0, 100},
        {"16777215T", 0, 16777215ull << 40},
        {"16777216T", -1, 0}, /* 2^64: overflows */
        {"18446744073709551615", 0, UINT64_MAX},
        {"18446744073709551616", -1, 0},
        {"", -1, 0},
        {"K", -1, 0},
        {"-1", -1, 0},
        {"+5", -1, 0},
        {" 5", -1, 0},
        {"5 K", -1, 0},
        {"1.5G", -1, 0},
        {"5X", -1, 0},
        {"5KK", -1, 0},
        {"5Ki", -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 12345;
        int rc = conf_parse_size(cases[i].text, &v);
        if (rc != cases[i].rc || (rc == 0 && v != cases[i].v))
            fail_msg("conf_parse_size(\"%s\") = %d, %llu", cases[i].text, rc,
                     (unsigned long long)v);
    }
}

static void test_parse_duration(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        uint64_t v;
    } cases[] = {
        {"300", 0, 300}, {"300s", 0, 300},  {"5m", 0, 300},   {"5M", 0, 300},
        {"2h", 0, 7200}, {"7d", 0, 604800}, {"0", 0, 0},      {"", -1, 0},
        {"s", -1, 0},    {"5w", -1, 0},     {"1.5h", -1, 0},  {"-5", -1, 0},
        {"5 m", -1, 0},  {"5ms", -1, 0},    {"213503982334602d", -1, 0}, /* overflows */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 12345;
        int rc = conf_parse_duration(cases[i].text, &v);
        if (rc != cases[i].rc || (rc == 0 && v != cases[i].v))
            fail_msg("conf_parse_duration(\"%s\") = %d, %llu", cases[i].text, rc,
                     (unsigned long long)v);
    }
}

/* The options table takes sizes and durations by flag and by file key. */
static void test_options(void **state)
{
    (void)state;
    struct netsift_conf c;
    char err[512];
    conf_defaults(&c);
    assert_false(c.file_write);
    assert_int_equal(c.pcap_rotate_size, 64ull << 20);
    assert_int_equal(c.pcap_rotate_time, 300);
    assert_int_equal(c.pcap_max_size, 0);
    assert_int_equal(c.pcap_max_age, 0);

    char *argv[] = {"capture", "-r", "x.pcap", "--file-write", "--pcap-rotate-size", "1M",
                    "--pcap-rotate-time", "2m", "--pcap-max-size", "10G", "--pcap-max-age", "7d"};
    assert_int_equal(conf_parse_capture_args(&c, sizeof argv / sizeof argv[0], argv, err,
                                             sizeof err), 0);
    assert_true(c.file_write);
    assert_int_equal(c.pcap_rotate_size, 1ull << 20);
    assert_int_equal(c.pcap_rotate_time, 120);
    assert_int_equal(c.pcap_max_size, 10ull << 30);
    assert_int_equal(c.pcap_max_age, 7 * 86400);

    assert_int_equal(conf_set(&c, "pcap_max_size", "512K", err, sizeof err), 0);
    assert_int_equal(c.pcap_max_size, 512ull << 10);
    assert_int_equal(conf_set(&c, "pcap_rotate_size", "lots", err, sizeof err), -1);
    assert_non_null(strstr(err, "pcap_rotate_size: 'lots' is not a size"));
    assert_int_equal(conf_set(&c, "pcap_max_age", "3w", err, sizeof err), -1);
    assert_non_null(strstr(err, "is not a duration"));
    /* plain numbers still take no suffix */
    assert_int_equal(conf_set(&c, "count", "5K", err, sizeof err), -1);

    conf_defaults(&c);
    char *small[] = {"capture", "-r", "x.pcap", "--file-write", "--pcap-rotate-size", "100"};
    assert_int_equal(conf_parse_capture_args(&c, 6, small, err, sizeof err), -1);
    assert_non_null(strstr(err, "at least 1K"));
    conf_defaults(&c);
    char *zero[] = {"capture", "-r", "x.pcap", "--pcap-rotate-time", "0"};
    assert_int_equal(conf_parse_capture_args(&c, 5, zero, err, sizeof err), -1);
}

static void test_uuid_format(void **state)
{
    (void)state;
    char out[PCAP_UUID_LEN + 1];
    uint8_t zero[16] = {0}, ones[16];
    memset(ones, 0xff, sizeof ones);
    pcap_uuid_format(zero, out);
    assert_string_equal(out, "00000000-0000-4000-8000-000000000000");
    pcap_uuid_format(ones, out);
    assert_string_equal(out, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    uint8_t seq[16];
    for (int i = 0; i < 16; i++)
        seq[i] = (uint8_t)(i * 17);
    pcap_uuid_format(seq, out);
    assert_string_equal(out, "00112233-4455-4677-8899-aabbccddeeff");
    assert_int_equal(seq[6], 0x66); /* the input is not changed */
}

static void test_uuid_new(void **state)
{
    (void)state;
    char a[PCAP_UUID_LEN + 1], b[PCAP_UUID_LEN + 1], name[PCAP_NAME_LEN + 1];
    assert_int_equal(pcap_uuid_new(a), 0);
    assert_int_equal(pcap_uuid_new(b), 0);
    assert_string_not_equal(a, b);
    assert_int_equal(strlen(a), PCAP_UUID_LEN);
    assert_int_equal(a[14], '4');
    assert_non_null(strchr("89ab", a[19]));
    snprintf(name, sizeof name, "%s.pcap", a);
    assert_true(pcap_name_valid(name));
}

static void test_name_valid(void **state)
{
    (void)state;
    static const char *const good[] = {
        "00000000-0000-4000-8000-000000000000.pcap",
        "0123abcd-ef01-4abc-9def-0123456789ab.pcap",
    };
    static const char *const bad[] = {
        "",
        ".pcap",
        "../../etc/passwd",
        "00000000-0000-4000-8000-000000000000",
        "00000000-0000-4000-8000-000000000000.pcapng",
        "00000000-0000-4000-8000-000000000000.pcap/",
        "00000000-0000-4000-8000-00000000000.pcap",
        "00000000-0000-4000-8000-0000000000000.pcap",
        "0000000000000-4000-8000-000000000000.pcap",
        "00000000-0000-4000-8000-00000000000G.pcap",
        "ABCDEF00-0000-4000-8000-000000000000.pcap", /* upper case: never made */
        "../00000-0000-4000-8000-000000000000.pcap",
        "00000000-0000-4000-8000-000000000000.pca",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(pcap_name_valid(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (pcap_name_valid(bad[i]))
            fail_msg("'%s' accepted", bad[i]);
}

static void test_parse_time(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        uint64_t us;
    } cases[] = {
        {"1700000000", 0, 1700000000000000ull},
        {"1700000000.25", 0, 1700000000250000ull},
        {"1700000000.123456789", 0, 1700000000123456ull},
        {"0", 0, 0},
        {"2023-11-14T22:13:20", 0, 1700000000000000ull},
        {"2023-11-14 22:13:20", 0, 1700000000000000ull},
        {"2023-11-14T22:13:20.5Z", 0, 1700000000500000ull},
        {"2023-11-14", 0, 1699920000000000ull},
        {"", -1, 0},
        {"yesterday", -1, 0},
        {"1700000000x", -1, 0},
        {"-5", -1, 0},
        {"2023-11-14T25:00:00", -1, 0},
        {"2023-11-14T22:13:20+02", -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t us = 777;
        int rc = extract_parse_time(cases[i].text, &us);
        if (rc != cases[i].rc || (rc == 0 && us != cases[i].us))
            fail_msg("extract_parse_time(\"%s\") = %d, %llu", cases[i].text, rc,
                     (unsigned long long)us);
    }
}

/* meta: the specification's seven columns first, in its order; its key. */
static void test_meta_schema(void **state)
{
    (void)state;
    static const char *const spec[] = {"id", "timestamp", "name", "interface", "filter",
                                       "caplen", "length"};
    const struct table_schema *t = &pcap_meta_tables[PCAP_T_META];
    assert_string_equal(t->name, "meta");
    assert_int_equal(t->nspec, 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(t->cols[i].name, spec[i]);
    assert_string_equal(t->primary_key, "id, timestamp, interface");
    assert_int_equal(t->not_null_mask, 1u << 1); /* timestamp only */
    char sql[4096];
    assert_int_equal(schema_create_sql(t, sql, sizeof sql), 0);
    assert_non_null(strstr(sql, "CREATE TABLE IF NOT EXISTS meta (id TEXT, timestamp INTEGER NOT "
                                "NULL, name TEXT, interface TEXT, filter TEXT, caplen INTEGER, "
                                "length INTEGER, "));
    assert_int_equal(schema_index_sql(t, sql, sizeof sql), 0);
    assert_string_equal(sql, "CREATE INDEX IF NOT EXISTS meta_idx ON meta (timestamp)");
    assert_int_equal(schema_insert_sql(&pcap_meta_tables[PCAP_T_FILES], 1, sql, sizeof sql), 0);
    assert_non_null(strstr(sql, "INSERT OR REPLACE INTO files"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_size),  cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_options),     cmocka_unit_test(test_uuid_format),
        cmocka_unit_test(test_uuid_new),    cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_parse_time),  cmocka_unit_test(test_meta_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
