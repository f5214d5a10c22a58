/*
 * stats.h - the statistics daemon's subcommands.
 *
 *   netsift daemon -c FILE   watchers with filters and handlers, counters in
 *                            shared memory, Prometheus endpoint, stats table
 *   netsift stats [WATCHER]  read the counters from shared memory
 */
#ifndef NETSIFT_STATS_H
#define NETSIFT_STATS_H

int daemon_main(int argc, char **argv);
int stats_main(int argc, char **argv);

#endif
