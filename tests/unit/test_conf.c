/*
 * test_conf.c - configuration: defaults, the INI loader (keys, booleans,
 * numbers, quotes, comments, errors with FILE:LINE) and the capture
 * command line (flags over file, trailing filter, conflicts).
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

#include "conf/conf.h"

/* Write text to a new temporary file; its path goes to path. */
static void write_conf(char path[64], const char *text)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, 64, "%s/netsift-conf-XXXXXX", dir && strlen(dir) < 40 ? dir : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
}

/* Load text as a configuration file over the defaults. */
static int load(struct netsift_conf *c, const char *text, char *err, size_t errlen, char path[64])
{
    write_conf(path, text);
    conf_defaults(c);
    err[0] = '\0';
    int rc = conf_load_file(c, path, err, errlen);
    unlink(path);
    return rc;
}

static void test_defaults(void **state)
{
    (void)state;
    struct netsift_conf c;
    memset(&c, 0x5a, sizeof c);
    conf_defaults(&c);
    assert_string_equal(c.interface, "");
    assert_string_equal(c.read_file, "");
    assert_string_equal(c.filter, "");
    assert_true(c.promiscuous);
    assert_false(c.immediate);
    assert_int_equal(c.buffer_timeout, 1000);
    assert_int_equal(c.process_interval, 1000);
    assert_true(c.db_write);
    assert_false(c.file_write);
    assert_false(c.db_sync);
    assert_string_equal(c.db_path, "netsift-db");
    assert_int_equal(c.db_sync_port, 5432);
    assert_int_equal(c.snaplen, 262144);
    assert_int_equal(c.batch_rows, 200000);
    assert_int_equal(c.count, 0);
    assert_string_equal(c.synchronous, "normal");
    assert_false(c.json);
    assert_false(c.quiet);
    assert_int_equal(c.cache_mib, 32);
    assert_int_equal(c.queue_size, 4u << 20);
    assert_int_equal(c.defrag_memcap, 16u << 20);
    assert_int_equal(c.defrag_timeout, 60);
}

/* --cache-mib is shared: a quarter (at most 16 MiB, at least 1) each for
 * the raw index and the monitor when they are on, headers.sqlite the rest. */
static void test_cache_budget(void **state)
{
    (void)state;
    static const struct {
        unsigned budget;
        bool raw, monitor;
        unsigned headers, side;
    } cases[] = {
        {32, false, false, 32, 8}, {32, true, false, 24, 8}, {32, true, true, 16, 8},
        {128, true, true, 96, 16}, {2, true, true, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct netsift_conf c;
        conf_defaults(&c);
        c.cache_mib = cases[i].budget;
        c.file_write = cases[i].raw;
        c.monitor = cases[i].monitor;
        assert_int_equal(conf_cache_mib(&c, CONF_DB_HEADERS), cases[i].headers);
        assert_int_equal(conf_cache_mib(&c, CONF_DB_RAW_INDEX), cases[i].side);
        assert_int_equal(conf_cache_mib(&c, CONF_DB_MONITOR), cases[i].side);
    }
}

static void test_load_good_file(void **state)
{
    (void)state;
    struct netsift_conf c;
    char err[512], path[64];
    const char *text = "# netsift configuration\n"
                       "; another comment style\n"
                       "\n"
                       "[capture]\n"
                       "interface = eth1\n"
                       "promiscuous = no\n"
                       "immediate=TRUE\n"
                       "   buffer_timeout   =   250   \n"
                       "process_interval = 60000\n"
                       "db_write = off\n"
                       "db_path = /var/lib/netsift\n"
                       "db_sync_address = db.example.org\n"
                       "db_sync_port = 65535\n"
                       "filter = tcp port 80 and host 10.0.0.1\n"
                       "count = 18446744073709551615\n"
                       "snaplen = 96\n"
                       "synchronous = full\n"
                       "json = 1\n"
                       "quiet = On\n"
                       "\t\n";
    assert_int_equal(load(&c, text, err, sizeof err, path), 0);
    assert_string_equal(c.interface, "eth1");
    assert_false(c.promiscuous);
    assert_true(c.immediate);
    assert_int_equal(c.buffer_timeout, 250);
    assert_int_equal(c.process_interval, 60000);
    assert_false(c.db_write);
    assert_string_equal(c.db_path, "/var/lib/netsift");
    assert_string_equal(c.db_sync_address, "db.example.org");
    assert_int_equal(c.db_sync_port, 65535);
    assert_string_equal(c.filter, "tcp port 80 and host 10.0.0.1");
    assert_true(c.count == UINT64_MAX);
    assert_int_equal(c.snaplen, 96);
    assert_string_equal(c.synchronous, "full");
    assert_true(c.json);
    assert_true(c.quiet);
    /* untouched keys keep their defaults */
    assert_int_equal(c.batch_rows, 200000);
}

static void test_crlf_alias_and_equals_in_value(void **state)
{
    (void)state;
    struct netsift_conf c;
    char err[512], path[64];
    const char *text = "capture_interface = wlan0\r\n"
                       "read_file = /tmp/a=b.pcap\r\n"
                       "json = yes\r\n";
    assert_int_equal(load(&c, text, err, sizeof err, path), 0);
    assert_string_equal(c.interface, "wlan0");
    assert_string_equal(c.read_file, "/tmp/a=b.pcap");
    assert_true(c.json);
}

static void test_quoted_values(void **state)
{
    (void)state;
    static const struct {
        const char *line, *value;
    } cases[] = {
        {"db_path = \"/tmp/with space\"\n", "/tmp/with space"},
        {"db_path = '/tmp/single'\n", "/tmp/single"},
        {"db_path = \"\"\n", ""},
        {"db_path = \"  padded  \"\n", "  padded  "},
        {"db_path = \"mismatched'\n", "\"mismatched'"},
        {"db_path = \"\n", "\""},
        {"db_path = it's\n", "it's"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct netsift_conf c;
        char err[512], path[64];
        assert_int_equal(load(&c, cases[i].line, err, sizeof err, path), 0);
        assert_string_equal(c.db_path, cases[i].value);
    }
}

/* err must hold "PATH:LINE:" and the given words. */
static void assert_error(const char *err, const char *path, unsigned line, const char *words)
{
    char where[128];
    snprintf(where, sizeof where, "%s:%u:", path, line);
    if (!strstr(err, where) || !strstr(err, words))
        fail_msg("error '%s' lacks '%s' or '%s'", err, where, words);
}

static void test_unknown_key(void **state)
{
    (void)state;
    struct netsift_conf c;
    char err[512], path[64];
    assert_int_equal(load(&c, "# comment\ndb_path = x\nbogus_key = 1\n", err, sizeof err, path),
                     -1);
    assert_error(err, path, 3, "bogus_key");
    assert_non_null(strstr(err, "unknown"));
}

static void test_bad_bool(void **state)
{
    (void)state;
    static const char *const bad[] = {"maybe", "2", "", "tru", "yes please", "-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct netsift_conf c;
        char err[512], path[64], text[64];
        snprintf(text, sizeof text, "json = yes\npromiscuous = %s\n", bad[i]);
        assert_int_equal(load(&c, text, err, sizeof err, path), -1);
        assert_error(err, path, 2, "promiscuous");
        assert_non_null(strstr(err, "boolean"));
        assert_true(c.promiscuous); /* unchanged default */
    }
}

static void test_bad_numbers(void **state)
{
    (void)state;
    static const struct {
        const char *key, *value;
    } bad[] = {
        {"buffer_timeout", "12x"},
        {"buffer_timeout", "-1"},
        {"buffer_timeout", "+5"},
        {"buffer_timeout", ""},
        {"buffer_timeout", "0x10"},
        {"buffer_timeout", "1e3"},
        {"buffer_timeout", "60001"}, /* above its maximum */
        {"buffer_timeout", "4294967296"},
        {"db_sync_port", "65536"},
        {"snaplen", "262145"},
        {"count", "18446744073709551616"}, /* 2^64 */
        {"count", "99999999999999999999999"},
        {"batch_rows", "1 000"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct netsift_conf c;
        char err[512], path[64], text[128];
        snprintf(text, sizeof text, "quiet = yes\n%s = %s\n", bad[i].key, bad[i].value);
        assert_int_equal(load(&c, text, err, sizeof err, path), -1);
        assert_error(err, path, 2, bad[i].key);
        assert_non_null(strstr(err, "number"));
    }
    /* the limits themselves are accepted */
    struct netsift_conf c;
    char err[512], path[64];
    assert_int_equal(load(&c,
                          "buffer_timeout = 60000\nbuffer_timeout = 0\nsnaplen = 262144\n"
                          "db_sync_port = 0\n",
                          err, sizeof err, path),
                     0);
    assert_int_equal(c.buffer_timeout, 0);
    assert_int_equal(c.snaplen, 262144);
    assert_int_equal(c.db_sync_port, 0);
}

static void test_other_errors(void **state)
{
    (void)state;
    struct netsift_conf c;
    char err[512], path[64];
    assert_int_equal(load(&c, "quiet = 1\njust some words\n", err, sizeof err, path), -1);
    assert_error(err, path, 2, "key = value");

    char text[256];
    snprintf(text, sizeof text, "interface = %.*s\n", CONF_IFNAME_MAX,
             "0123456789012345678901234567890123456789012345678901234567890123456789");
    assert_int_equal(load(&c, text, err, sizeof err, path), -1);
    assert_error(err, path, 1, "too long");
    snprintf(text, sizeof text, "interface = %.*s\n", CONF_IFNAME_MAX - 1,
             "0123456789012345678901234567890123456789012345678901234567890123456789");
    assert_int_equal(load(&c, text, err, sizeof err, path), 0);
    assert_int_equal(strlen(c.interface), CONF_IFNAME_MAX - 1);

    /* a line longer than the reader's buffer */
    size_t n = 20000;
    char *big = malloc(n + 32);
    assert_non_null(big);
    strcpy(big, "json = yes\nfilter = ");
    size_t at = strlen(big);
    memset(big + at, 'x', n);
    strcpy(big + at + n, "\n");
    assert_int_equal(load(&c, big, err, sizeof err, path), -1);
    assert_error(err, path, 2, "too long");
    free(big);

    conf_defaults(&c);
    assert_int_equal(conf_load_file(&c, "/nonexistent/netsift.conf", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/netsift.conf"));

    /* a small error buffer still gets a terminated message */
    char small[12];
    memset(small, 'Q', sizeof small);
    assert_int_equal(load(&c, "bogus = 1\n", small, sizeof small, path), -1);
    assert_true(memchr(small, '\0', sizeof small) != NULL);
}

static void test_conf_set(void **state)
{
    (void)state;
    struct netsift_conf c;
    char err[256];
    conf_defaults(&c);
    assert_int_equal(conf_set(&c, "batch_rows", "5000", err, sizeof err), 0);
    assert_int_equal(c.batch_rows, 5000);
    assert_int_equal(conf_set(&c, "capture_interface", "lo", err, sizeof err), 0);
    assert_string_equal(c.interface, "lo");
    assert_int_equal(conf_set(&c, "nope", "1", err, sizeof err), -1);
    assert_non_null(strstr(err, "nope"));
    assert_int_equal(conf_set(&c, "batch_rows", "lots", err, sizeof err), -1);
    assert_int_equal(c.batch_rows, 5000);
}

/* ---- the command line ---- */

#define ARGC(a) ((int)(sizeof(a) / sizeof(a)[0]))

static int parse(struct netsift_conf *c, int argc, char **argv, char *err, size_t errlen)
{
    conf_defaults(c);
    err[0] = '\0';
    return conf_parse_capture_args(c, argc, argv, err, errlen);
}

static void test_args_basic_and_trailing_filter(void **state)
{
    (void)state;
    struct netsift_conf c;
    char err[512];
    char *a1[] = {"capture", "-r", "trace.pcap", "-d", "/tmp/db", "tcp", "port", "80"};
    assert_int_equal(parse(&c, ARGC(a1), a1, err, sizeof err), 0);
    assert_string_equal(c.read_file, "trace.pcap");
    assert_string_equal(c.db_path, "/tmp/db");
    assert_string_equal(c.filter, "tcp port 80");
    assert_string_equal(c.interface, "");

    /* options may follow filter words */
    char *a2[] = {"capture", "udp", "-r", "t.pcap", "port", "53", "-q", "--count", "10"};
    assert_int_equal(parse(&c, ARGC(a2), a2, err, sizeof err), 0);
    assert_string_equal(c.filter, "udp port 53");
    assert_true(c.quiet);
    assert_int_equal(c.count, 10);

    char *a3[] = {
        "capture", "--read=x.pcap",    "--db-path=/d", "-f",           "icmp", "--snaplen=128",
        "--json",  "--no-promiscuous", "--immediate",  "--batch-rows", "7"};
    assert_int_equal(parse(&c, ARGC(a3), a3, err, sizeof err), 0);
    assert_string_equal(c.read_file, "x.pcap");
    assert_string_equal(c.db_path, "/d");
    assert_string_equal(c.filter, "icmp");
    assert_int_equal(c.snaplen, 128);
    assert_true(c.json);
    assert_false(c.promiscuous);
    assert_true(c.immediate);
    assert_int_equal(c.batch_rows, 7);

    char *a4[] = {"capture", "-i", "any", "--", "-r", "x"}; /* after --: filter words */
    assert_int_equal(parse(&c, ARGC(a4), a4, err, sizeof err), 0);
    assert_string_equal(c.interface, "any");
    assert_string_equal(c.read_file, "");
    assert_string_equal(c.filter, "-r x");
}

static void test_args_override_file(void **state)
{
    (void)state;
    char path[64];
    write_conf(path, "read_file = from-file.pcap\n"
                     "db_path = /from/file\n"
                     "batch_rows = 5\n"
                     "quiet = yes\n");
    struct netsift_conf c;
    char err[512];
    char *a1[] = {"capture", "-c", path, "-d", "/from/flag", "--no-quiet"};
    assert_int_equal(parse(&c, ARGC(a1), a1, err, sizeof err), 0);
    assert_string_equal(c.db_path, "/from/flag");
    assert_false(c.quiet);
    assert_int_equal(c.batch_rows, 5);
    assert_string_equal(c.read_file, "from-file.pcap");
    assert_string_equal(c.config_file, path);

    /* the file is applied first whatever its place on the command line */
    char *a2[] = {"capture", "-d", "/from/flag", "--batch-rows", "9", "--config", path};
    assert_int_equal(parse(&c, ARGC(a2), a2, err, sizeof err), 0);
    assert_string_equal(c.db_path, "/from/flag");
    assert_int_equal(c.batch_rows, 9);
    assert_true(c.quiet);
    unlink(path);

    /* an error in the file is reported with its place */
    write_conf(path, "db_path = x\nquiet = sometimes\n");
    char *a3[] = {"capture", "-r", "x.pcap", "-c", path};
    assert_int_equal(parse(&c, ARGC(a3), a3, err, sizeof err), -1);
    assert_error(err, path, 2, "quiet");
    unlink(path);
}

static void test_args_interface_and_file_conflict(void **state)
{
    (void)state;
    struct netsift_conf c;
    char err[512];
    char *a1[] = {"capture", "-i", "eth0", "-r", "x.pcap"};
    assert_int_equal(parse(&c, ARGC(a1), a1, err, sizeof err), -1);
    assert_non_null(strstr(err, "-i"));
    assert_non_null(strstr(err, "-r"));

    /* the same when one of them comes from the file */
    char path[64];
    write_conf(path, "interface = eth0\n");
    char *a2[] = {"capture", "-c", path, "-r", "x.pcap"};
    assert_int_equal(parse(&c, ARGC(a2), a2, err, sizeof err), -1);
    assert_non_null(strstr(err, "-r"));
    unlink(path);

    char *a3[] = {"capture", "-q"};
    assert_int_equal(parse(&c, ARGC(a3), a3, err, sizeof err), -1);
    assert_non_null(strstr(err, "nothing to capture"));
}

static void test_args_db_write(void **state)
{
    (void)state;
    struct netsift_conf c;
    char err[512];
    char *a1[] = {"capture", "-r", "x.pcap", "--no-db-write"};
    assert_int_equal(parse(&c, ARGC(a1), a1, err, sizeof err), 0);
    assert_false(c.db_write);
    char *a2[] = {"capture", "-r", "x.pcap", "--no-db-write", "--db-write"};
    assert_int_equal(parse(&c, ARGC(a2), a2, err, sizeof err), 0);
    assert_true(c.db_write);
    char *a3[] = {"capture", "-r", "x.pcap"};
    assert_int_equal(parse(&c, ARGC(a3), a3, err, sizeof err), 0);
    assert_true(c.db_write);
}

/* headers.sqlite is rotated by default on a live interface only; a
 * limit given (0 included) is kept either way */
static void test_args_db_rotation_defaults(void **state)
{
    (void)state;
    struct netsift_conf c;
    char err[512];
    char *live[] = {"capture", "-i", "eth0"};
    assert_int_equal(parse(&c, ARGC(live), live, err, sizeof err), 0);
    assert_int_equal(c.db_rotate_size, 256ull << 20);
    assert_int_equal(c.db_rotate_time, 3600);
    char *file[] = {"capture", "-r", "x.pcap"};
    assert_int_equal(parse(&c, ARGC(file), file, err, sizeof err), 0);
    assert_int_equal(c.db_rotate_size, 0);
    assert_int_equal(c.db_rotate_time, 0);
    char *never[] = {"capture", "-i", "eth0", "--db-rotate-size", "0", "--db-rotate-time", "0"};
    assert_int_equal(parse(&c, ARGC(never), never, err, sizeof err), 0);
    assert_int_equal(c.db_rotate_size, 0);
    assert_int_equal(c.db_rotate_time, 0);
    char *asked[] = {"capture", "-r", "x.pcap", "--db-rotate-time", "10m"};
    assert_int_equal(parse(&c, ARGC(asked), asked, err, sizeof err), 0);
    assert_int_equal(c.db_rotate_size, 0);
    assert_int_equal(c.db_rotate_time, 600);
}

static void test_args_errors(void **state)
{
    (void)state;
    struct netsift_conf c;
    char err[512];
    char *a1[] = {"capture", "-r", "x.pcap", "-f", "tcp", "port", "80"};
    assert_int_equal(parse(&c, ARGC(a1), a1, err, sizeof err), -1);
    assert_non_null(strstr(err, "filter"));

    char *a2[] = {"capture", "-r", "x.pcap", "--bogus"};
    assert_int_equal(parse(&c, ARGC(a2), a2, err, sizeof err), -1);
    assert_non_null(strstr(err, "--bogus"));

    char *a3[] = {"capture", "-r", "x.pcap", "-9"};
    assert_int_equal(parse(&c, ARGC(a3), a3, err, sizeof err), -1);
    assert_non_null(strstr(err, "-9"));

    char *a4[] = {"capture", "-r"};
    assert_int_equal(parse(&c, ARGC(a4), a4, err, sizeof err), -1);
    assert_non_null(strstr(err, "needs a value"));

    char *a5[] = {"capture", "-r", "x.pcap", "--snaplen", "0"};
    assert_int_equal(parse(&c, ARGC(a5), a5, err, sizeof err), -1);

    char *a6[] = {"capture", "-r", "x.pcap", "--db-synchronous", "fast"};
    assert_int_equal(parse(&c, ARGC(a6), a6, err, sizeof err), -1);
    assert_non_null(strstr(err, "fast"));

    char *a7[] = {"capture", "-r", "x.pcap", "--count", "many"};
    assert_int_equal(parse(&c, ARGC(a7), a7, err, sizeof err), -1);
    assert_non_null(strstr(err, "count"));

    char *a9[] = {"capture", "-r", "x.pcap", "--db-synchronous", "OFF"};
    assert_int_equal(parse(&c, ARGC(a9), a9, err, sizeof err), 0);
}

/* --memory: a size, 0 (no budget) or at least 32M; conf_given() tells the
 * options set by the file or a flag from those at their defaults. */
static void test_memory_and_given(void **state)
{
    (void)state;
    struct netsift_conf c;
    char err[512], path[64];
    char *a1[] = {"capture", "-r", "x.pcap"};
    assert_int_equal(parse(&c, ARGC(a1), a1, err, sizeof err), 0);
    assert_int_equal(c.memory, 256ull << 20);
    assert_false(conf_given(&c, "memory"));
    assert_false(conf_given(&c, "max_flows"));
    assert_true(conf_given(&c, "read_file"));
    assert_false(conf_given(&c, "no_such_key"));

    write_conf(path, "max_flows = 1000\n");
    char *a2[] = {"capture", "-r", "x.pcap", "--memory", "1G", "-c", path};
    assert_int_equal(parse(&c, ARGC(a2), a2, err, sizeof err), 0);
    unlink(path);
    assert_int_equal(c.memory, 1ull << 30);
    assert_true(conf_given(&c, "memory"));
    assert_true(conf_given(&c, "max_flows"));
    assert_int_equal(c.max_flows, 1000);
    assert_false(conf_given(&c, "audit_max_flows"));

    char *a3[] = {"capture", "-r", "x.pcap", "--memory", "0"};
    assert_int_equal(parse(&c, ARGC(a3), a3, err, sizeof err), 0);
    assert_int_equal(c.memory, 0);

    char *a4[] = {"capture", "-r", "x.pcap", "--memory", "31M"};
    assert_int_equal(parse(&c, ARGC(a4), a4, err, sizeof err), -1);
    assert_non_null(strstr(err, "memory"));

    char *a5[] = {"capture", "-r", "x.pcap", "--memory", "lots"};
    assert_int_equal(parse(&c, ARGC(a5), a5, err, sizeof err), -1);
    assert_non_null(strstr(err, "memory"));
}

static void test_args_help(void **state)
{
    (void)state;
    struct netsift_conf c;
    char err[512];
    char *a1[] = {"capture", "--help"};
    assert_int_equal(parse(&c, ARGC(a1), a1, err, sizeof err), 1);
    char *a2[] = {"capture", "-r", "x", "-h", "--bogus"};
    assert_int_equal(parse(&c, ARGC(a2), a2, err, sizeof err), 1);
}

/* A call that stops on an error in the middle of a cluster of short
 * options ("-9q") must not leak getopt state into the next call. */
static void test_args_parse_again_after_error(void **state)
{
    (void)state;
    struct netsift_conf c;
    char err[512];
    char *a1[] = {"capture", "-r", "x.pcap", "-9q"};
    assert_int_equal(parse(&c, ARGC(a1), a1, err, sizeof err), -1);
    char *a2[] = {"capture", "-r", "y.pcap"};
    assert_int_equal(parse(&c, ARGC(a2), a2, err, sizeof err), 0);
    assert_string_equal(c.read_file, "y.pcap");
    assert_false(c.quiet); /* the 'q' of the previous call */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_cache_budget),
        cmocka_unit_test(test_load_good_file),
        cmocka_unit_test(test_crlf_alias_and_equals_in_value),
        cmocka_unit_test(test_quoted_values),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_bad_bool),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_other_errors),
        cmocka_unit_test(test_conf_set),
        cmocka_unit_test(test_args_basic_and_trailing_filter),
        cmocka_unit_test(test_args_override_file),
        cmocka_unit_test(test_args_interface_and_file_conflict),
        cmocka_unit_test(test_args_db_write),
        cmocka_unit_test(test_args_errors),
        cmocka_unit_test(test_memory_and_given),
        cmocka_unit_test(test_args_help),
        cmocka_unit_test(test_args_db_rotation_defaults),
        cmocka_unit_test(test_args_parse_again_after_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
