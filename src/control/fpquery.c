/*
 * fpquery.c - QUERY_FINGERPRINT's SQL (see fpquery.h).
 */
#include "fpquery.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* ?1 mac, ?2 timestamp, ?3 protocol (NULL: all).  Only the operator
 * differs between the five statements, and it comes from this table. */
#define FPQ_SQL(op)                                                                             \
    "SELECT mac, protocol, fingerprint, timestamp, query FROM fingerprint "                     \
    "WHERE mac = ?1 AND timestamp " op " ?2 AND (?3 IS NULL OR protocol = ?3 COLLATE NOCASE "   \
    "OR substr(protocol, 1, length(?3) + 1) = (?3 || '.') COLLATE NOCASE "                     \
    "OR substr(protocol, -length(?3) - 1) = ('.' || ?3) COLLATE NOCASE) "                      \
    "ORDER BY timestamp"

static const char *const fpq_sql[OP_COUNT] = {
    [OP_GE] = FPQ_SQL(">="), [OP_LE] = FPQ_SQL("<="), [OP_GT] = FPQ_SQL(">"),
    [OP_LT] = FPQ_SQL("<"),  [OP_EQ] = FPQ_SQL("="),
};

struct sqlite3_stmt *fpq_prepare(struct sqlite3 *db, const struct control_cmd *cmd, char *err,
                                 size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if ((unsigned)cmd->op >= OP_COUNT ||
        sqlite3_prepare_v2(db, fpq_sql[cmd->op], -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "database: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return NULL;
    }
    sqlite3_bind_text(st, 1, cmd->mac, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)cmd->timestamp);
    if (cmd->all_protocols)
        sqlite3_bind_null(st, 3);
    else
        sqlite3_bind_text(st, 3, cmd->protocol, -1, SQLITE_TRANSIENT);
    return st;
}

/* Append column i's text (NULL: nothing) with control characters as '?'. */
static size_t put_column(sqlite3_stmt *st, int i, char *out, size_t size)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    size_t n = 0;
    for (; v && v[n] && n + 1 < size; n++)
        out[n] = v[n] < 0x20 || v[n] == 0x7f ? '?' : (char)v[n];
    out[n] = '\0';
    return n;
}

int fpq_next(struct sqlite3_stmt *st, char *line, size_t size)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW) {
        snprintf(line, size, "database: %s", sqlite3_errmsg(sqlite3_db_handle(st)));
        return -1;
    }
    size_t used = 0;
    for (int i = 0; i < 5 && used + 1 < size; i++) {
        if (i) {
            line[used++] = ',';
            line[used] = '\0';
        }
        if (i == 3)
            used += (size_t)snprintf(line + used, size - used, "%lld",
                                     (long long)sqlite3_column_int64(st, 3));
        else
            used += put_column(st, i, line + used, size - used);
        if (used >= size)
            used = size - 1;
    }
    return 1;
}
