/*
 * test_sync.c - the parts of the PostgreSQL sync that need no server:
 * the COPY text format, connection parameters and the password's
 * secrecy, and the sync subcommand's share of the options table.
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
#include "sync/copybuf.h"
#include "sync/pg_target.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof(a)[0]))

static void test_escape(void **state)
{
    (void)state;
    char out[64];
    const char in[] = "a\\b\tc\nd\re\\N.";
    size_t n = copy_escape(out, in, strlen(in));
    out[n] = '\0';
    assert_string_equal(out, "a\\\\b\\tc\\nd\\re\\\\N.");
    assert_int_equal(copy_escape(out, "", 0), 0);
    /* other bytes, NUL-free UTF-8 included, stand for themselves */
    n = copy_escape(out, "caf\xc3\xa9 \x01|", 8);
    assert_memory_equal(out, "caf\xc3\xa9 \x01|", 8);
    assert_int_equal(n, 8);
}

static void test_rows(void **state)
{
    (void)state;
    struct copybuf b;
    copybuf_init(&b);
    copy_field_text(&b, "gw\t1", 4);
    copy_field_null(&b);
    copy_field_int(&b, 0);
    copy_field_int(&b, -42);
    copy_field_int(&b, INT64_MIN);
    copy_field_int(&b, INT64_MAX);
    copy_field_text(&b, "", 0);
    copy_end_row(&b);
    copy_field_text(&b, "\\.", 2); /* never the end-of-data marker */
    copy_end_row(&b);
    assert_false(b.oom);
    assert_string_equal(b.data, "gw\\t1\t\\N\t0\t-42\t-9223372036854775808\t9223372036854775807\t\n"
                                "\\\\.\n");
    copybuf_reset(&b);
    assert_int_equal(b.len, 0);
    copybuf_printf(&b, "%s-%d", "x", 7);
    assert_string_equal(b.data, "x-7");
    copybuf_free(&b);
}

static void test_one_line(void **state)
{
    (void)state;
    char out[64];
    pg_one_line(out, sizeof out, "connection failed: refused\n\tIs the server running?\n");
    assert_string_equal(out, "connection failed: refused Is the server running?");
    pg_one_line(out, 8, "abcdefghij");
    assert_string_equal(out, "abcdefg");
    pg_one_line(out, sizeof out, NULL);
    assert_string_equal(out, "");
}

static const char *param(const struct pg_target *t, const char *key)
{
    for (int i = 0; t->keys[i]; i++)
        if (strcmp(t->keys[i], key) == 0)
            return t->vals[i];
    return NULL;
}

static void test_target(void **state)
{
    (void)state;
    struct netsift_conf c;
    struct pg_target t;
    char err[512];
    conf_defaults(&c);
    snprintf(c.db_sync_address, sizeof c.db_sync_address, "db.example");
    snprintf(c.db_sync_db, sizeof c.db_sync_db, "fleet");
    snprintf(c.db_sync_password, sizeof c.db_sync_password, "s3cret");
    snprintf(c.sensor, sizeof c.sensor, "gw-7");
    assert_int_equal(pg_target_init(&t, &c, err, sizeof err), 0);
    assert_string_equal(param(&t, "host"), "db.example");
    assert_string_equal(param(&t, "port"), "5432");
    assert_string_equal(param(&t, "dbname"), "fleet");
    assert_string_equal(param(&t, "password"), "s3cret");
    assert_null(param(&t, "sslmode")); /* unset: libpq's default or PGSSLMODE */
    assert_string_equal(t.id, "db.example:5432 database fleet sensor gw-7");
    assert_null(strstr(t.id, "s3cret"));
    pg_target_free(&t);

    /* the conninfo's settings win */
    snprintf(c.db_sync_conninfo, sizeof c.db_sync_conninfo,
             "host=10.0.0.9 port=6543 sslmode=require");
    assert_int_equal(pg_target_init(&t, &c, err, sizeof err), 0);
    assert_string_equal(param(&t, "host"), "10.0.0.9");
    assert_string_equal(param(&t, "port"), "6543");
    assert_string_equal(param(&t, "sslmode"), "require");
    assert_string_equal(param(&t, "dbname"), "fleet");
    assert_string_equal(t.where, "10.0.0.9:6543 database fleet");
    pg_target_free(&t);

    /* a broken conninfo is refused without quoting it */
    snprintf(c.db_sync_conninfo, sizeof c.db_sync_conninfo, "host=x password hunter2");
    assert_int_equal(pg_target_init(&t, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "db_sync_conninfo"));
    assert_null(strstr(err, "hunter2"));
}

static void usage(FILE *f)
{
    fprintf(f, "usage\n");
}

static const char *const keys[] = {"db_path", "db_sync_port", "db_sync_password", "sensor", NULL};

static int parse(struct netsift_conf *c, int argc, char **argv, char *err, size_t errlen)
{
    conf_defaults(c);
    err[0] = '\0';
    return conf_parse_args(c, argc, argv, keys, usage, err, errlen);
}

static void test_sync_args(void **state)
{
    (void)state;
    struct netsift_conf c;
    char err[512];
    char *a1[] = {"sync", "-d", "/tmp/x", "--sync-port", "6000", "--sensor", "gw"};
    assert_int_equal(parse(&c, ARGC(a1), a1, err, sizeof err), 0);
    assert_string_equal(c.db_path, "/tmp/x");
    assert_int_equal(c.db_sync_port, 6000);
    assert_string_equal(c.sensor, "gw");
    /* the password is never a flag, and its value is never echoed */
    char *a2[] = {"sync", "--db-sync-password=hunter2"};
    assert_int_equal(parse(&c, ARGC(a2), a2, err, sizeof err), -1);
    assert_null(strstr(err, "hunter2"));
    /* capture options are not sync options; no trailing arguments */
    char *a3[] = {"sync", "-r", "x.pcap"};
    assert_int_equal(parse(&c, ARGC(a3), a3, err, sizeof err), -1);
    char *a4[] = {"sync", "extra"};
    assert_int_equal(parse(&c, ARGC(a4), a4, err, sizeof err), -1);
    assert_non_null(strstr(err, "extra"));
    /* db_sync_password comes from the configuration file */
    char path[] = "/tmp/netsift-test-sync-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "db_sync_password = 'p w'\nsync_db = fleet\n");
    fclose(f);
    char *a5[] = {"sync", "-c", path};
    assert_int_equal(parse(&c, ARGC(a5), a5, err, sizeof err), 0);
    assert_string_equal(c.db_sync_password, "p w");
    assert_string_equal(c.db_sync_db, "fleet");
    remove(path);
}

static void test_capture_accepts_db_sync(void **state)
{
    (void)state;
    struct netsift_conf c;
    char err[512];
    conf_defaults(&c);
    char *a[] = {"capture", "-r", "x.pcap", "--db-sync", "--sync-conninfo", "dbname=fleet"};
    assert_int_equal(conf_parse_capture_args(&c, ARGC(a), a, err, sizeof err), 0);
    assert_true(c.db_sync);
    assert_string_equal(c.db_sync_conninfo, "dbname=fleet");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),    cmocka_unit_test(test_rows),
        cmocka_unit_test(test_one_line),  cmocka_unit_test(test_target),
        cmocka_unit_test(test_sync_args), cmocka_unit_test(test_capture_accepts_db_sync),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
