/*
 * test_control_parse.c - the control protocol's parser: every command and
 * operator, the spec's examples, every malformed argument, injection
 * attempts in each argument, and the QUERY_FINGERPRINT SQL against an
 * in-memory fingerprint table (operators, protocol filters, order).
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

#include "control/fpquery.h"
#include "control/protocol.h"

static int parse(const char *line, struct control_cmd *cmd)
{
    char why[256];
    return control_parse(line, strlen(line), cmd, why, sizeof why);
}

static void spec_examples(void **state)
{
    (void)state;
    struct control_cmd c;
    assert_int_equal(parse("QUERY_FINGERPRINT 84:e3:42:3a:cb:2f 0 >= all", &c), 0);
    assert_int_equal(c.verb, CMD_QUERY_FINGERPRINT);
    assert_string_equal(c.mac, "84:e3:42:3a:cb:2f");
    assert_int_equal(c.timestamp, 0);
    assert_int_equal(c.op, OP_GE);
    assert_true(c.all_protocols);
    assert_int_equal(parse("QUERY_FINGERPRINT 84:e3:42:3a:cb:2f 1625055051481102 <= all", &c), 0);
    assert_int_equal(c.timestamp, 1625055051481102ull);
    assert_int_equal(c.op, OP_LE);
    assert_int_equal(parse("QUERY_FINGERPRINT 84:E3:42:3A:CB:2F 0 >= DNS", &c), 0);
    assert_string_equal(c.mac, "84:e3:42:3a:cb:2f"); /* normalised to lower case */
    assert_false(c.all_protocols);
    assert_string_equal(c.protocol, "DNS");
}

static void every_operator_and_command(void **state)
{
    (void)state;
    static const char *const ops[] = {">=", "<=", ">", "<", "="};
    struct control_cmd c;
    char line[128];
    for (int i = 0; i < 5; i++) {
        snprintf(line, sizeof line, "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff 5 %s TLS.Amazon", ops[i]);
        assert_int_equal(parse(line, &c), 0);
        assert_int_equal(c.op, i);
        assert_string_equal(control_op_text(c.op), ops[i]);
        assert_string_equal(c.protocol, "TLS.Amazon");
    }
    assert_int_equal(parse("PING", &c), 0);
    assert_int_equal(c.verb, CMD_PING);
    assert_int_equal(parse("STATS\r", &c), 0); /* a CR before the LF is fine */
    assert_int_equal(c.verb, CMD_STATS);
    assert_int_equal(parse("QUERY_FLOWS", &c), 0);
    assert_false(c.has_mac);
    assert_int_equal(parse("QUERY_FLOWS 02:00:00:00:00:01", &c), 0);
    assert_true(c.has_mac);
    assert_int_equal(parse("  QUERY_FINGERPRINT\taa:bb:cc:dd:ee:ff  9223372036854775807 = ALL ", &c), 0);
    assert_int_equal(c.timestamp, 9223372036854775807ull);
    assert_true(c.all_protocols);
}

static void malformed_commands(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "   ",
        "ping",
        "PING now",
        "STATS x",
        "QUERY_FINGERPRINT",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff 0 >=",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff 0 >= all extra",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee 0 >= all",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:fg 0 >= all",
        "QUERY_FINGERPRINT aa-bb-cc-dd-ee-ff 0 >= all",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff: 0 >= all",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff -1 >= all",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff 1e6 >= all",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff 9223372036854775808 >= all",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff 99999999999999999999 >= all",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff 0x10 >= all",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff 0 == all",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff 0 != all",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff 0 => all",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff 0 >= TLS/Amazon",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff 0 >= a%b",
        ("QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff 0 >= "
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        "QUERY_FLOWS aa:bb:cc:dd:ee:ff extra",
        "QUERY_FLOWS nonsense",
        "DROP TABLE fingerprint",
    };
    struct control_cmd c;
    char why[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        if (control_parse(bad[i], strlen(bad[i]), &c, why, sizeof why) != -1)
            fail_msg("accepted: '%s'", bad[i]);
        assert_true(why[0] != '\0');
        assert_null(strchr(why, '\n'));
    }
    /* a NUL byte inside the line */
    assert_int_equal(control_parse("PING\0", 5, &c, why, sizeof why), -1);
}

/* "' OR 1=1 --" (and friends) in each argument position. */
static void injection_in_every_argument(void **state)
{
    (void)state;
    static const char *const evil[] = {"' OR 1=1 --", "'OR'1'='1", "1;DROP", "all'--", "\"",
                                       "x')--", "*"};
    static const char *const templates[] = {
        "QUERY_FINGERPRINT %s 0 >= all",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff %s >= all",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff 0 %s all",
        "QUERY_FINGERPRINT aa:bb:cc:dd:ee:ff 0 >= %s",
        "QUERY_FLOWS %s",
        "%s",
    };
    struct control_cmd c;
    char line[256];
    for (size_t t = 0; t < sizeof templates / sizeof templates[0]; t++)
        for (size_t e = 0; e < sizeof evil / sizeof evil[0]; e++) {
            snprintf(line, sizeof line, templates[t], evil[e]);
            if (parse(line, &c) != -1)
                fail_msg("accepted: '%s'", line);
        }
}

/* ---- the SQL ------------------------------------------------------- */

static sqlite3 *fixture(void)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE fingerprint (mac TEXT NOT NULL, protocol TEXT, fingerprint "
                     "TEXT, timestamp INTEGER NOT NULL, query TEXT, PRIMARY KEY (mac, timestamp));"
                     "INSERT INTO fingerprint VALUES"
                     "('84:e3:42:3a:cb:2f','TLS.Amazon','mI1E',1625055051481102,'a2.tuyaeu.com'),"
                     "('9c:ef:d5:fd:db:56','TLS.Amazon','mI1E',1625055051481102,'a2.tuyaeu.com'),"
                     "('84:e3:42:3a:cb:2f','DNS','NqRT',1625055072748967,'1.0.0.10.in-addr.arpa'),"
                     "('84:e3:42:3a:cb:2f','MDNS','t9HL',1625055000000000,NULL);",
                     NULL, NULL, NULL),
        SQLITE_OK);
    return db;
}

/* The rows' timestamps for a command, joined by spaces. */
static void rows(sqlite3 *db, const char *line, char *out, size_t size)
{
    struct control_cmd c;
    char why[256], row[FPQ_LINE_MAX];
    assert_int_equal(parse(line, &c), 0);
    sqlite3_stmt *st = fpq_prepare(db, &c, why, sizeof why);
    assert_non_null(st);
    out[0] = '\0';
    while (fpq_next(st, row, sizeof row) == 1) {
        strncat(out, out[0] ? " " : "", size - strlen(out) - 1);
        strncat(out, row, size - strlen(out) - 1);
    }
    sqlite3_finalize(st);
}

static void query_operators_and_filters(void **state)
{
    (void)state;
    sqlite3 *db = fixture();
    char out[2048];
    const char *mac = "84:e3:42:3a:cb:2f";
    char line[128];
    snprintf(line, sizeof line, "QUERY_FINGERPRINT %s 0 >= all", mac);
    rows(db, line, out, sizeof out);
    assert_string_equal(out, "84:e3:42:3a:cb:2f,MDNS,t9HL,1625055000000000, "
                             "84:e3:42:3a:cb:2f,TLS.Amazon,mI1E,1625055051481102,a2.tuyaeu.com "
                             "84:e3:42:3a:cb:2f,DNS,NqRT,1625055072748967,1.0.0.10.in-addr.arpa");
    snprintf(line, sizeof line, "QUERY_FINGERPRINT %s 1625055051481102 <= all", mac);
    rows(db, line, out, sizeof out);
    assert_non_null(strstr(out, "TLS.Amazon"));
    assert_null(strstr(out, ",DNS,"));
    snprintf(line, sizeof line, "QUERY_FINGERPRINT %s 1625055051481102 < all", mac);
    rows(db, line, out, sizeof out);
    assert_string_equal(out, "84:e3:42:3a:cb:2f,MDNS,t9HL,1625055000000000,");
    snprintf(line, sizeof line, "QUERY_FINGERPRINT %s 1625055051481102 > all", mac);
    rows(db, line, out, sizeof out);
    assert_string_equal(out, "84:e3:42:3a:cb:2f,DNS,NqRT,1625055072748967,1.0.0.10.in-addr.arpa");
    snprintf(line, sizeof line, "QUERY_FINGERPRINT %s 1625055051481102 = all", mac);
    rows(db, line, out, sizeof out);
    assert_string_equal(out, "84:e3:42:3a:cb:2f,TLS.Amazon,mI1E,1625055051481102,a2.tuyaeu.com");
    /* protocol: whole name or a dotted part, any case; MDNS is not DNS */
    snprintf(line, sizeof line, "QUERY_FINGERPRINT %s 0 >= DNS", mac);
    rows(db, line, out, sizeof out);
    assert_string_equal(out, "84:e3:42:3a:cb:2f,DNS,NqRT,1625055072748967,1.0.0.10.in-addr.arpa");
    static const char *const tls[] = {"TLS", "tls", "Amazon", "TLS.Amazon"};
    for (int i = 0; i < 4; i++) {
        snprintf(line, sizeof line, "QUERY_FINGERPRINT %s 0 >= %s", mac, tls[i]);
        rows(db, line, out, sizeof out);
        assert_string_equal(out, "84:e3:42:3a:cb:2f,TLS.Amazon,mI1E,1625055051481102,a2.tuyaeu.com");
    }
    snprintf(line, sizeof line, "QUERY_FINGERPRINT %s 0 >= TL", mac);
    rows(db, line, out, sizeof out);
    assert_string_equal(out, "");
    rows(db, "QUERY_FINGERPRINT 00:00:00:00:00:00 0 >= all", out, sizeof out);
    assert_string_equal(out, "");
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_examples),
        cmocka_unit_test(every_operator_and_command),
        cmocka_unit_test(malformed_commands),
        cmocka_unit_test(injection_in_every_argument),
        cmocka_unit_test(query_operators_and_filters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
