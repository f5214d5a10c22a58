/*
 * client.h - `netsift query`: send control commands to a running
 * capture's socket, or answer QUERY_FINGERPRINT from a database directory
 * with no capture running.
 */
#ifndef NETSIFT_CONTROL_CLIENT_H
#define NETSIFT_CONTROL_CLIENT_H

/* Run `netsift query` (argv[0] = "query").  Exit status: 0 every reply
 * ended with END, 1 a FAIL reply or a connection/database error, 2 usage. */
int query_main(int argc, char **argv);

#endif
