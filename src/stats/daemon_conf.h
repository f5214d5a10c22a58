/*
 * daemon_conf.h - the configuration file of `netsift daemon`.
 *
 * INI text: '#' or ';' comments, "key = value" lines, a [daemon] section
 * for the settings of the whole daemon and one [watcher NAME] section per
 * watcher.  One table per section kind (daemon_conf.c) describes every
 * key once.  Parsing validates everything a watcher needs before anything
 * runs (addresses, CIDRs, port ranges, protocol, PCRE2 regex, BPF
 * expression, that the interface exists), so a bad file is rejected as a
 * whole with "FILE:LINE: reason" and, on SIGHUP, the running
 * configuration stays.
 */
#ifndef NETSIFT_DAEMON_CONF_H
#define NETSIFT_DAEMON_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../conf/conf.h"
#include "filter.h"
#include "shm.h"

struct watcher_conf {
    char name[STATS_NAME_MAX];
    int line; /* of its [watcher NAME] header */
    char interface[CONF_IFNAME_MAX];
    char read_file[CONF_PATH_MAX]; /* replay a capture file instead (tests, offline) */
    char bpf[2048];                /* kernel filter, "" none */
    char regex[1024];              /* the pattern compiled into filter.re */
    bool promiscuous;
    uint32_t handlers;    /* bit (1 << SK_*) */
    uint32_t max_entries; /* entries of its shared-memory table */
    struct watch_filter filter;
    char canon[8192]; /* every setting as text: equal = unchanged */
};

struct daemon_conf {
    char db_path[CONF_PATH_MAX]; /* DB_PATH/stats.sqlite; "" no persistence */
    uint64_t persist_interval;   /* seconds between appends to the stats table */
    char metrics[CONF_HOST_MAX]; /* ADDR:PORT of the Prometheus endpoint; "" none */
    char shm_prefix[32];
    uint32_t publish_ms; /* how often watchers publish to shared memory */
    struct watcher_conf *watchers;
    size_t nwatchers;
};

enum { DCONF_NO_IFACE_CHECK = 1 }; /* parse flags: don't ask the kernel about interfaces */

void daemon_conf_init(struct daemon_conf *c);
/* Parse text (len bytes, NULs rejected) named fname in messages.  0, or
 * -1 with "FNAME:LINE: reason" in err (c is then empty). */
int daemon_conf_parse(struct daemon_conf *c, const char *text, size_t len, const char *fname,
                      unsigned flags, char *err, size_t errlen);
int daemon_conf_load(struct daemon_conf *c, const char *path, char *err, size_t errlen);
void daemon_conf_free(struct daemon_conf *c);
/* Move one watcher's settings out of c (its filter then belongs to dst). */
void daemon_conf_take(struct daemon_conf *c, size_t i, struct watcher_conf *dst);

/* "ADDR:PORT", "[ADDR6]:PORT" or "PORT" (loopback) into host and port.
 * 0 or -1 with a reason. */
int parse_listen_addr(const char *text, char *host, size_t hostlen, uint16_t *port, char *err,
                      size_t errlen);

/* The usage text of the file keys. */
void daemon_conf_print_keys(FILE *f);

#endif
