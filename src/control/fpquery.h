/*
 * fpquery.h - QUERY_FINGERPRINT against fingerprint.sqlite, one row at a
 * time, shared by the control server (which streams rows as the client
 * reads them) and `netsift query --db-path` (no capture running).
 *
 * The SQL text is one of five fixed statements, chosen by the operator;
 * the MAC, timestamp and protocol are bound parameters.  A protocol
 * matches a row's protocol when equal (ignoring case) to the whole name
 * or to one of its dotted parts: "TLS" and "Amazon" both match
 * "TLS.Amazon".  Rows come ordered by timestamp.
 */
#ifndef NETSIFT_FPQUERY_H
#define NETSIFT_FPQUERY_H

#include <stddef.h>

#include "protocol.h"

struct sqlite3;
struct sqlite3_stmt;

/* The statement for a QUERY_FINGERPRINT command; NULL with a reason. */
struct sqlite3_stmt *fpq_prepare(struct sqlite3 *db, const struct control_cmd *cmd, char *err,
                                 size_t errlen);

/* The next row as "mac,protocol,fingerprint,timestamp,query" (no
 * newline; control characters shown as '?').  1: a row; 0: no more;
 * -1: a database error (reason in line). */
int fpq_next(struct sqlite3_stmt *st, char *line, size_t size);

#define FPQ_LINE_MAX 1024 /* a row line always fits */

#endif
