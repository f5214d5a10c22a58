/*
 * test_schema.c - the header tables against the specification: table
 * names, the exact specification columns in order, primary keys, and the
 * generated CREATE TABLE / INSERT statements (checked by SQLite itself).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db/schema.h"

/* The specification: every table starts with these five ... */
static const char *const common[] = {"hash", "timestamp", "ethh_hash", "caplen", "length"};

/* ... then its own columns, in this order.  NULL ends a list. */
static const struct {
    enum layer layer;
    const char *table;
    const char *cols[16];
} spec[] = {
    {LAYER_ETH, "eth", {"ether_dhost", "ether_shost", "ether_type", NULL}},
    {LAYER_ARP,
     "arp",
     {"arp_hrd", "arp_pro", "arp_hln", "arp_pln", "arp_op", "arp_sha", "arp_spa", "arp_tha",
      "arp_tpa", NULL}},
    {LAYER_IP4,
     "ip4",
     {"ip_hl", "ip_v", "ip_tos", "ip_len", "ip_id", "ip_off", "ip_ttl", "ip_p", "ip_sum", "ip_src",
      "ip_dst", NULL}},
    {LAYER_IP6,
     "ip6",
     {"ip6_un1_flow", "ip6_un1_plen", "ip6_un1_nxt", "cip6_un1_hlim", "ip6_un2_vfc", "ip6_src",
      "ip6_dst", NULL}},
    {LAYER_TCP,
     "tcp",
     {"source", "dest", "seq", "ack_seq", "res1", "doff", "fin", "syn", "rst", "psh", "ack", "urg",
      "window", "check_p", "urg_ptr", NULL}},
    {LAYER_UDP, "udp", {"source", "dest", "len", "check_p", NULL}},
    {LAYER_ICMP4, "icmp4", {"type", "code", "checksum", "gateway", NULL}},
    {LAYER_ICMP6, "icmp6", {"icmp6_type", "icmp6_code", "icmp6_cksum", "icmp6_un_data32", NULL}},
    {LAYER_DNS, "dns", {"tid", "flags", "nqueries", "nanswers", "nauth", "nother", NULL}},
    {LAYER_MDNS, "mdns", {"tid", "flags", "nqueries", "nanswers", "nauth", "nother", NULL}},
    {LAYER_DHCP,
     "dhcp",
     {"op", "htype", "hlen", "hops", "xid", "secs", "flags", "ciaddr", "yiaddr", "siaddr", "giaddr",
      NULL}},
};
#define NSPEC (sizeof spec / sizeof spec[0])
#define NCOMMON (sizeof common / sizeof common[0])

static size_t count(const char *const *cols)
{
    size_t n = 0;
    while (cols[n])
        n++;
    return n;
}

static void test_every_layer_has_a_table(void **state)
{
    (void)state;
    assert_int_equal(NSPEC, LAYER_COUNT);
    assert_ptr_equal(header_database.tables, header_tables);
    assert_int_equal(header_database.ntables, HEADER_TABLE_COUNT);
    assert_string_equal(header_database.file, "headers.sqlite");
    for (size_t i = 0; i < NSPEC; i++) {
        const struct table_schema *t = &header_tables[spec[i].layer];
        assert_string_equal(t->name, spec[i].table);
        assert_string_equal(layer_name(spec[i].layer), spec[i].table);
    }
}

static void test_spec_columns_first_and_in_order(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSPEC; i++) {
        const struct table_schema *t = &header_tables[spec[i].layer];
        size_t n = count(spec[i].cols);
        assert_int_equal(t->nspec, NCOMMON + n);
        assert_true(t->ncols >= NCOMMON + n);
        assert_true(t->ncols <= SCHEMA_MAX_COLS);
        for (size_t c = 0; c < NCOMMON; c++)
            assert_string_equal(t->cols[c].name, common[c]);
        for (size_t c = 0; c < n; c++)
            assert_string_equal(t->cols[NCOMMON + c].name, spec[i].cols[c]);
        assert_string_equal(t->primary_key, "hash, timestamp, ethh_hash");
        /* no name twice, every column documented */
        for (size_t a = 0; a < t->ncols; a++) {
            for (size_t b = a + 1; b < t->ncols; b++)
                assert_string_not_equal(t->cols[a].name, t->cols[b].name);
            assert_non_null(t->cols[a].doc);
        }
    }
}

static sqlite3 *open_db(void)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    return db;
}

static void test_create_sql_makes_the_spec_table(void **state)
{
    (void)state;
    sqlite3 *db = open_db();
    for (size_t i = 0; i < NSPEC; i++) {
        const struct table_schema *t = &header_tables[spec[i].layer];
        char sql[8192];
        assert_int_equal(schema_create_sql(t, sql, sizeof sql), 0);
        char *errmsg = NULL;
        int rc = sqlite3_exec(db, sql, NULL, NULL, &errmsg);
        if (rc != SQLITE_OK)
            fail_msg("%s: %s", sql, errmsg);
        /* running it again is harmless (IF NOT EXISTS) */
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);

        char q[128];
        snprintf(q, sizeof q, "PRAGMA table_info(%s)", spec[i].table);
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
        size_t col = 0, nspec = count(spec[i].cols);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 1);
            const char *type = (const char *)sqlite3_column_text(st, 2);
            int pk = sqlite3_column_int(st, 5);
            if (col < NCOMMON) {
                assert_string_equal(name, common[col]);
                assert_string_equal(type, "INTEGER");
                assert_int_equal(pk, col < 3 ? (int)col + 1 : 0);
            } else {
                size_t c = col - NCOMMON;
                if (c < nspec)
                    assert_string_equal(name, spec[i].cols[c]);
                assert_int_equal(pk, 0);
            }
            assert_true(col < t->ncols);
            assert_string_equal(name, t->cols[col].name);
            assert_string_equal(type, schema_col_type(&t->cols[col]));
            col++;
        }
        sqlite3_finalize(st);
        assert_int_equal(col, t->ncols);
    }
    sqlite3_close(db);
}

static void test_insert_sql_binds_every_column(void **state)
{
    (void)state;
    sqlite3 *db = open_db();
    for (size_t i = 0; i < NSPEC; i++) {
        const struct table_schema *t = &header_tables[spec[i].layer];
        char sql[8192];
        assert_int_equal(schema_create_sql(t, sql, sizeof sql), 0);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        /* several rows per statement: every row binds every column it
         * brings (frames and merged_bytes take their defaults) */
        sqlite3_stmt *st;
        int ncols = (int)schema_insert_cols(t);
        assert_int_equal(t->ncols - schema_insert_cols(t), 2);
        assert_int_equal(schema_merge_sql(t, sql, sizeof sql), 0);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
            fail_msg("%s: %s", sql, sqlite3_errmsg(db));
        assert_int_equal(sqlite3_bind_parameter_count(st), 6);
        sqlite3_finalize(st);
        assert_int_equal(schema_insert_sql(t, 3, sql, sizeof sql), 0);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
            fail_msg("%s: %s", sql, sqlite3_errmsg(db));
        assert_int_equal(sqlite3_bind_parameter_count(st), 3 * ncols);
        sqlite3_finalize(st);

        assert_int_equal(schema_insert_sql(t, 1, sql, sizeof sql), 0);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
            fail_msg("%s: %s", sql, sqlite3_errmsg(db));
        assert_int_equal(sqlite3_bind_parameter_count(st), ncols);
        /* a row with the key set and everything else NULL goes in once;
         * the same key again is ignored (INSERT OR IGNORE) */
        for (int round = 0; round < 2; round++) {
            sqlite3_bind_int64(st, 1, 0x12345678);
            sqlite3_bind_int64(st, 2, 1700000000000000ll);
            sqlite3_bind_int64(st, 3, 0x9abcdef0);
            assert_int_equal(sqlite3_step(st), SQLITE_DONE);
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
        char q[128];
        snprintf(q, sizeof q, "SELECT count(*) FROM %s", spec[i].table);
        assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), 1);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

static void test_sql_buffer_too_small(void **state)
{
    (void)state;
    const struct table_schema *t = &header_tables[LAYER_TCP];
    char sql[8192];
    assert_int_equal(schema_create_sql(t, sql, sizeof sql), 0);
    size_t need = strlen(sql);
    assert_int_equal(schema_create_sql(t, sql, need + 1), 0);
    assert_int_not_equal(schema_create_sql(t, sql, need), 0);
    assert_int_not_equal(schema_create_sql(t, sql, 40), 0);
    assert_int_equal(schema_insert_sql(t, 2, sql, sizeof sql), 0);
    need = strlen(sql);
    assert_int_equal(schema_insert_sql(t, 2, sql, need + 1), 0);
    assert_int_not_equal(schema_insert_sql(t, 2, sql, need), 0);
}

static void test_column_types(void **state)
{
    (void)state;
    static const struct {
        enum layer layer;
        const char *col;
        const char *type;
    } cases[] = {
        {LAYER_ETH, "ether_dhost", "TEXT"}, {LAYER_ETH, "ether_type", "INTEGER"},
        {LAYER_ARP, "arp_spa", "TEXT"},     {LAYER_ARP, "arp_op", "INTEGER"},
        {LAYER_IP4, "ip_src", "TEXT"},      {LAYER_IP4, "ip_len", "INTEGER"},
        {LAYER_IP6, "ip6_dst", "TEXT"},     {LAYER_IP6, "ip6_un1_flow", "INTEGER"},
        {LAYER_TCP, "fin", "INTEGER"},      {LAYER_TCP, "seq", "INTEGER"},
        {LAYER_DHCP, "yiaddr", "TEXT"},     {LAYER_DHCP, "xid", "INTEGER"},
        {LAYER_DNS, "nother", "INTEGER"},   {LAYER_ICMP4, "gateway", "INTEGER"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct table_schema *t = &header_tables[cases[i].layer];
        const struct column *found = NULL;
        for (size_t c = 0; c < t->ncols; c++)
            if (strcmp(t->cols[c].name, cases[i].col) == 0)
                found = &t->cols[c];
        assert_non_null(found);
        assert_string_equal(schema_col_type(found), cases[i].type);
        assert_int_equal(schema_col_is_text(found->kind), strcmp(cases[i].type, "TEXT") == 0);
    }
}

static void test_markdown_lists_every_column(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    schema_write_markdown(f, &header_database);
    fclose(f);
    for (size_t i = 0; i < NSPEC; i++) {
        char heading[32];
        snprintf(heading, sizeof heading, "## %s\n", spec[i].table);
        const char *section = strstr(text, heading);
        assert_non_null(section);
        const char *next = strstr(section + 1, "\n## ");
        const struct table_schema *t = &header_tables[spec[i].layer];
        for (size_t c = 0; c < t->ncols; c++) {
            char row[96];
            snprintf(row, sizeof row, "| %s | %s | %s |", t->cols[c].name,
                     schema_col_type(&t->cols[c]), c < t->nspec ? "spec" : "*netsift*");
            const char *at = strstr(section, row);
            assert_non_null(at);
            assert_true(next == NULL || at < next);
        }
    }
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_layer_has_a_table),
        cmocka_unit_test(test_spec_columns_first_and_in_order),
        cmocka_unit_test(test_create_sql_makes_the_spec_table),
        cmocka_unit_test(test_insert_sql_binds_every_column),
        cmocka_unit_test(test_sql_buffer_too_small),
        cmocka_unit_test(test_column_types),
        cmocka_unit_test(test_markdown_lists_every_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
