/*
 * pg_target.c - connection parameters and connecting (see pg_target.h).
 */
#define _GNU_SOURCE
#include "pg_target.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Set key to val (replacing an earlier value); an empty val is skipped. */
static int set_param(struct pg_target *t, const char *key, const char *val)
{
    if (!val || !val[0])
        return 0;
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->keys[i], key) == 0) {
            t->vals[i] = val;
            return 0;
        }
    if (t->n == PG_TARGET_MAX_PARAMS)
        return -1;
    t->keys[t->n] = key;
    t->vals[t->n++] = val;
    t->keys[t->n] = t->vals[t->n] = NULL;
    return 0;
}

static const char *param(const struct pg_target *t, const char *key)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->keys[i], key) == 0)
            return t->vals[i];
    return NULL;
}

/* A parameter's value, else its PG* variable, else fallback. */
static const char *effective(const struct pg_target *t, const char *key, const char *env,
                             const char *fallback)
{
    const char *v = param(t, key);
    if (!v || !v[0])
        v = getenv(env);
    return v && v[0] ? v : fallback;
}

/* Fixed settings first: a user's conninfo may override every one. */
static int set_defaults(struct pg_target *t)
{
    static const char *const fixed[][2] = {
        {"application_name", "netsift"}, {"client_encoding", "UTF8"}, /* SQLite text is UTF-8 */
        {"connect_timeout", "5"},        {"keepalives", "1"}, /* notice a server that vanished */
        {"keepalives_idle", "10"},       {"keepalives_interval", "5"}, {"keepalives_count", "3"},
        {"tcp_user_timeout", "30000"}, /* ms unacknowledged before giving up */
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (set_param(t, fixed[i][0], fixed[i][1]) != 0)
            return -1;
    return 0;
}

static int set_from_conf(struct pg_target *t, const struct netsift_conf *c)
{
    if (c->db_sync_port)
        snprintf(t->port, sizeof t->port, "%u", (unsigned)c->db_sync_port);
    return set_param(t, "host", c->db_sync_address) | set_param(t, "port", t->port) |
           set_param(t, "dbname", c->db_sync_db) | set_param(t, "user", c->db_sync_user) |
           set_param(t, "password", c->db_sync_password) |
           set_param(t, "sslmode", c->db_sync_sslmode);
}

static int set_from_conninfo(struct pg_target *t, const char *conninfo, char *err, size_t errlen)
{
    char *why = NULL;
    if (!conninfo[0])
        return 0;
    t->parsed = PQconninfoParse(conninfo, &why);
    PQfreemem(why); /* it may quote the string, password included: not shown */
    if (!t->parsed) {
        snprintf(err, errlen,
                 "db_sync_conninfo: not a valid libpq connection string or URI "
                 "(its text is not shown: it may hold a password)");
        return -1;
    }
    for (PQconninfoOption *o = t->parsed; o->keyword; o++)
        if (o->val && set_param(t, o->keyword, o->val) != 0) {
            snprintf(err, errlen, "db_sync_conninfo: too many settings");
            return -1;
        }
    return 0;
}

static void set_sensor(struct pg_target *t, const struct netsift_conf *c)
{
    if (c->sensor[0]) {
        snprintf(t->sensor, sizeof t->sensor, "%s", c->sensor);
        return;
    }
    if (gethostname(t->sensor, sizeof t->sensor - 1) != 0 || !t->sensor[0])
        snprintf(t->sensor, sizeof t->sensor, "netsift");
    t->sensor[sizeof t->sensor - 1] = '\0';
}

int pg_target_init(struct pg_target *t, const struct netsift_conf *c, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (set_defaults(t) != 0 || set_from_conf(t, c) != 0) {
        snprintf(err, errlen, "sync: too many connection settings");
        return -1;
    }
    if (set_from_conninfo(t, c->db_sync_conninfo, err, errlen) != 0) {
        pg_target_free(t);
        return -1;
    }
    set_sensor(t, c);
    const char *user = getenv("USER");
    snprintf(t->where, sizeof t->where, "%s:%s database %s",
             effective(t, "host", "PGHOST", "localhost"), effective(t, "port", "PGPORT", "5432"),
             effective(t, "dbname", "PGDATABASE",
                       effective(t, "user", "PGUSER", user ? user : "(default)")));
    snprintf(t->id, sizeof t->id, "%s sensor %s", t->where, t->sensor);
    return 0;
}

void pg_target_free(struct pg_target *t)
{
    if (t->parsed)
        PQconninfoFree(t->parsed);
    t->parsed = NULL;
    t->n = 0;
}

void pg_one_line(char *dst, size_t size, const char *msg)
{
    size_t o = 0;
    bool blank = false;
    for (const char *p = msg ? msg : ""; *p && o + 1 < size; p++) {
        if (isspace((unsigned char)*p)) {
            blank = o > 0;
            continue;
        }
        if (blank && o + 2 < size)
            dst[o++] = ' ';
        blank = false;
        dst[o++] = *p;
    }
    if (size)
        dst[o < size ? o : size - 1] = '\0';
}

static void quiet_notices(void *arg, const char *message)
{
    (void)arg; /* "relation already exists, skipping" and the like */
    (void)message;
}

PGconn *pg_target_connect(const struct pg_target *t, char *err, size_t errlen)
{
    PGconn *pg = PQconnectdbParams(t->keys, t->vals, 0);
    if (pg && PQstatus(pg) == CONNECTION_OK) {
        PQsetNoticeProcessor(pg, quiet_notices, NULL);
        return pg;
    }
    char why[1024];
    pg_one_line(why, sizeof why, pg ? PQerrorMessage(pg) : "out of memory");
    snprintf(err, errlen, "PostgreSQL at %s: %s", t->where, why);
    PQfinish(pg);
    return NULL;
}
