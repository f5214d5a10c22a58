/*
 * pg_target.h - where the sync pushes to: the PostgreSQL connection
 * parameters and the sensor name, resolved once from the configuration.
 *
 * Parameters are handed to libpq as keyword/value arrays
 * (PQconnectdbParams), never pasted into a connection string.  Order of
 * precedence, last wins: libpq's defaults and PG* environment, then
 * db_sync_address/port/db/user/password/sslmode, then every setting of
 * db_sync_conninfo.  The password is never printed: messages name the
 * server by host, port and database only, and a conninfo that libpq
 * cannot parse is reported without its text.
 */
#ifndef NETSIFT_PG_TARGET_H
#define NETSIFT_PG_TARGET_H

#include <libpq-fe.h>
#include <stddef.h>

#include "../conf/conf.h"

#define PG_TARGET_MAX_PARAMS 64

struct pg_target {
    const char *keys[PG_TARGET_MAX_PARAMS + 1]; /* NULL-terminated, for PQconnectdbParams */
    const char *vals[PG_TARGET_MAX_PARAMS + 1];
    int n;
    PQconninfoOption *parsed; /* db_sync_conninfo's settings (owns their strings) */
    char port[12];
    char sensor[CONF_HOST_MAX];
    char where[CONF_HOST_MAX + 80];   /* "HOST:PORT database DB": for messages */
    char id[2 * CONF_HOST_MAX + 120]; /* where + sensor: the key of sync positions */
};

/* Resolve c's sync settings (sensor: c->sensor or the host name).
 * 0, or -1 with one line in err. */
int pg_target_init(struct pg_target *t, const struct netsift_conf *c, char *err, size_t errlen);
void pg_target_free(struct pg_target *t);

/* Connect (blocking, bounded by connect_timeout).  NULL with one line in
 * err: "PostgreSQL at WHERE: <libpq's reason>". */
PGconn *pg_target_connect(const struct pg_target *t, char *err, size_t errlen);

/* A libpq message as one line (newlines and runs of blanks become one
 * space, no trailing blank). */
void pg_one_line(char *dst, size_t size, const char *msg);

#endif
