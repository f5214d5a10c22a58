/*
 * sql_cmd.h - `netsift sql`: query the open and the closed header files
 * of a database directory as one database (sql_cmd.c).
 */
#ifndef NETSIFT_SQL_CMD_H
#define NETSIFT_SQL_CMD_H

/* argv[0] is "sql".  Returns the exit status. */
int sql_main(int argc, char **argv);

#endif
