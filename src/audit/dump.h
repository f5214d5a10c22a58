/*
 * dump.h - `netsift dump FILE.ncap.gz`: audit records as a table, CSV or
 * JSON lines.
 */
#ifndef NETSIFT_AUDIT_DUMP_H
#define NETSIFT_AUDIT_DUMP_H

int dump_main(int argc, char **argv);

#endif
