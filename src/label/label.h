/*
 * label.h - `netsift label`: label audit records and header database rows
 * with IDS alerts (Suricata eve.json / fast.log, Snort fast alerts), or
 * run Suricata on a capture first.  docs/label.md.
 */
#ifndef NETSIFT_LABEL_H
#define NETSIFT_LABEL_H

int label_main(int argc, char **argv);

#endif
