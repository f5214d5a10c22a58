/*
 * pg_tables.h - a local table's twin in PostgreSQL.
 *
 * The twin has the same name and columns (INTEGER -> bigint, TEXT ->
 * text) plus `sensor text NOT NULL` first, and primary key (sensor, <the
 * table's primary key>), so several gateways share one table and keep
 * their rows apart.  It is created when missing and given the columns
 * it lacks (a newer netsift adds columns).  Rows arrive by COPY, two
 * ways: straight into the table (the fast way, for rows PostgreSQL
 * cannot have yet: a duplicate key fails the whole COPY), or into a
 * session-private staging table merged with INSERT ... SELECT: ON
 * CONFLICT DO NOTHING (a row sent twice is stored once), or, for a table
 * whose rows are rewritten locally (schema.h `replace`: pcap-meta's
 * files, fingerprint's devices), ON CONFLICT ... DO UPDATE to the newest
 * version.  Identifiers come only from the compiled-in schema and are
 * quoted with PQescapeIdentifier all the same.
 */
#ifndef NETSIFT_PG_TABLES_H
#define NETSIFT_PG_TABLES_H

#include <libpq-fe.h>
#include <stddef.h>

#include "../db/schema.h"

/* The statements of one table on one connection. */
struct pg_table {
    const struct table_schema *t;
    char *direct_sql; /* COPY <table> (sensor, columns...) FROM STDIN */
    char *copy_sql;   /* COPY <staging> (sensor, columns...) FROM STDIN */
    char *merge_sql;  /* INSERT INTO <table> ... SELECT ... FROM <staging> ON CONFLICT ... */
};

/* Create or complete the table, create its staging table and build the
 * statements.  Run outside a transaction.  0, or -1 with libpq's reason
 * (one line) in err; pt is then empty. */
int pg_table_prepare(PGconn *pg, const struct table_schema *t, struct pg_table *pt, char *err,
                     size_t errlen);
void pg_table_free(struct pg_table *pt);

/* A failed command's reason on one line: "<what>: <libpq message>". */
void pg_result_error(PGconn *pg, PGresult *res, const char *what, char *err, size_t errlen);

#endif
