/*
 * databases.h - the list of every database netsift writes in DB_PATH.
 *
 * One entry per database file (struct database_schema, schema.h).  What
 * walks all databases uses this list: `netsift schema` prints it, the
 * PostgreSQL sync (src/sync/) pushes every table of it.  A new database
 * is added here once.
 */
#ifndef NETSIFT_DATABASES_H
#define NETSIFT_DATABASES_H

#include <stddef.h>

#include "../db/schema.h"

extern const struct database_schema *const all_databases[];
extern const size_t all_databases_count;

#endif
