/*
 * alert.h - IDS alerts as netsift reads them: the specification's alert
 * summary (timestamp, proto, source and destination address and port,
 * classification, description) plus signature id and severity, parsed
 * from Suricata's eve.json (event_type "alert", with jansson) and from
 * the one-line "fast" alert format that Suricata (fast.log) and Snort
 * (-A fast) write (with a PCRE2 expression).
 *
 *     struct alert_set set = {0};
 *     alert_set_load(&set, "eve.json", &opts, stderr);   (format by content)
 *     ... set.v[0 .. set.n) in file order ...
 *     alert_set_free(&set);
 */
#ifndef NETSIFT_LABEL_ALERT_H
#define NETSIFT_LABEL_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct alert {
    int64_t ts;       /* microseconds since the epoch, UTC */
    uint8_t proto;    /* IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...) */
    uint8_t addr_len; /* 4 or 16; 0: an eve.json alert on a packet without IP
                         (a decoder event): it can label time-only records */
    uint8_t src[16], dst[16];
    uint16_t sport, dport;  /* 0 for protocols without ports (ICMP type/code are not kept) */
    uint32_t gid, sid, rev; /* signature generator, id, revision */
    int severity;           /* priority 1 (high) ... 4; 0 when the line has none */
    char *classification;   /* "" when the alert has none */
    char *description;      /* the signature's message */
    const char *file;       /* where it came from (points into alert_set.files) */
    unsigned line;
    uint32_t order; /* position among all alerts read (first encountered = lowest) */
};

struct alert_opts {
    bool strict;                /* a malformed line is fatal (otherwise reported and skipped) */
    const char *const *exclude; /* classifications to ignore (case-insensitive), NULL-terminated */
    int default_year;           /* for Snort lines without a year (0: the current year) */
};

struct alert_set {
    struct alert *v;
    size_t n, cap;
    char **files;
    size_t nfiles;
    uint64_t malformed;    /* lines reported and skipped */
    uint64_t excluded;     /* alerts dropped by --exclude */
    uint64_t other_events; /* eve.json events that are not alerts */
};

/* Parsers of one line (no trailing newline needed).  1: an alert in *a
 * (its strings malloc'ed, file/line/order unset), 0: nothing to take (a
 * blank line, an eve event other than alert), -1: malformed, with the
 * reason in err. */
int alert_parse_eve(const char *line, struct alert *a, char *err, size_t errlen);
int alert_parse_fast(const char *line, int default_year, struct alert *a, char *err, size_t errlen);

/* IP protocol number of an alert protocol name ("TCP", "udp", "IPV6-ICMP",
 * "17"); -1 if unknown. */
int alert_proto_number(const char *name);

/* "1.2.3.4", "2001:db8::1" into addr (16 bytes); its length 4 or 16, 0 if not an address. */
int alert_parse_addr(const char *s, uint8_t addr[16]);

/* Appends the alerts of one file (eve.json when its first non-blank
 * character is '{', otherwise fast format).  Malformed lines are written
 * to log as "FILE:LINE: reason" and skipped.  0, or -1 after one line on
 * log (unreadable file; a malformed line with opts->strict). */
int alert_set_load(struct alert_set *set, const char *path, const struct alert_opts *opts,
                   FILE *log);

void alert_free(struct alert *a);
void alert_set_free(struct alert_set *set);

/* "1.2.3.4:80" / "[2001:db8::1]:80" text of an alert's endpoint into buf
 * ("-" without addresses). */
const char *alert_endpoint(const struct alert *a, bool dst, char *buf, size_t len);
/* The endpoint's address alone ("" without addresses). */
const char *alert_address(const struct alert *a, bool dst, char *buf, size_t len);

#endif
