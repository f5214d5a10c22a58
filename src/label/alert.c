/*
 * alert.c - parsing IDS alerts (alert.h): Suricata eve.json lines with
 * jansson, Suricata fast.log and Snort "-A fast" lines with one PCRE2
 * expression, into struct alert.
 */
#define _GNU_SOURCE
#include "alert.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

static const struct {
    const char *name;
    int num;
} proto_names[] = {
    {"TCP", 6},    {"UDP", 17}, {"ICMP", 1}, {"IPV6-ICMP", 58}, {"ICMPV6", 58}, {"ICMP6", 58},
    {"SCTP", 132}, {"GRE", 47}, {"ESP", 50}, {"AH", 51},        {"IGMP", 2},    {"IP", 0},
};

int alert_proto_number(const char *name)
{
    if (!name || !*name)
        return -1;
    for (size_t i = 0; i < sizeof proto_names / sizeof proto_names[0]; i++)
        if (strcasecmp(name, proto_names[i].name) == 0)
            return proto_names[i].num;
    char *end;
    errno = 0;
    long v = strtol(name, &end, 10);
    if (*end || errno || v < 0 || v > 255)
        return -1;
    return (int)v;
}

int alert_parse_addr(const char *s, uint8_t addr[16])
{
    memset(addr, 0, 16);
    if (inet_pton(AF_INET, s, addr) == 1)
        return 4;
    if (inet_pton(AF_INET6, s, addr) == 1)
        return 16;
    return 0;
}

static bool is_icmp(uint8_t proto)
{
    return proto == 1 || proto == 58;
}

void alert_free(struct alert *a)
{
    free(a->classification);
    free(a->description);
    a->classification = a->description = NULL;
}

/* "12.345678" style fraction after the seconds into microseconds. */
static long parse_usec(const char *frac, size_t len)
{
    long us = 0;
    size_t i = 0;
    for (; i < len && i < 6; i++)
        us = us * 10 + (frac[i] - '0');
    for (; i < 6; i++)
        us *= 10;
    return us;
}

/* eve.json "2017-07-05T12:34:56.123456+0200" (also Z, +02:00, no fraction). */
static int parse_iso_time(const char *s, int64_t *out)
{
    struct tm tm = {0};
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6 ||
        n != 19)
        return -1;
    const char *p = s + n;
    long us = 0;
    if (*p == '.') {
        size_t len = strspn(p + 1, "0123456789");
        if (len == 0)
            return -1;
        us = parse_usec(p + 1, len);
        p += 1 + len;
    }
    long off = 0;
    if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        int hh, mm;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) == 2 && strlen(p) == 6)
            ;
        else if (strlen(p) == 5 && strspn(p + 1, "0123456789") == 4)
            hh = (p[1] - '0') * 10 + (p[2] - '0'), mm = (p[3] - '0') * 10 + (p[4] - '0');
        else
            return -1;
        if (hh > 23 || mm > 59)
            return -1;
        off = sign * (hh * 3600L + mm * 60L);
    } else if (*p == 'Z') {
        if (p[1])
            return -1;
    } else if (*p) {
        return -1;
    }
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    *out = ((int64_t)t - off) * 1000000 + us;
    return 0;
}

static char *dup_or_empty(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d) {
        fprintf(stderr, "netsift label: out of memory\n");
        exit(1);
    }
    return d;
}

/* Address and optional port of the alert's endpoints, with the protocol set. */
static int set_endpoints(struct alert *a, const char *src, const char *dst, char *err,
                         size_t errlen)
{
    uint8_t tmp[16];
    int ls = alert_parse_addr(src, a->src), ld = alert_parse_addr(dst, tmp);
    if (!ls || !ld || ls != ld) {
        snprintf(err, errlen, "bad address '%s' or '%s'", src, dst);
        return -1;
    }
    memcpy(a->dst, tmp, 16);
    a->addr_len = (uint8_t)ls;
    return 0;
}

int alert_parse_eve(const char *line, struct alert *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    if (line[strspn(line, " \t\r\n")] == '\0')
        return 0;
    json_error_t jerr;
    json_t *root = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(err, errlen, "not JSON: %s (column %d)", jerr.text, jerr.column);
        return -1;
    }
    int rc = -1;
    const char *etype = json_string_value(json_object_get(root, "event_type"));
    json_t *al = json_object_get(root, "alert");
    const char *ts = json_string_value(json_object_get(root, "timestamp"));
    const char *src = json_string_value(json_object_get(root, "src_ip"));
    const char *dst = json_string_value(json_object_get(root, "dest_ip"));
    json_t *proto = json_object_get(root, "proto");
    if (!json_is_object(root) || !etype) {
        snprintf(err, errlen, "not an eve.json event (no \"event_type\")");
        goto out;
    }
    if (strcmp(etype, "alert") != 0) {
        rc = 0;
        goto out;
    }
    bool no_ip = !src && !dst && !proto; /* a decoder event on a packet without IP */
    if (!json_is_object(al) || !ts || (!no_ip && (!src || !dst || !proto))) {
        snprintf(err, errlen, "alert event without %s",
                 !json_is_object(al) ? "\"alert\""
                 : !ts               ? "\"timestamp\""
                 : !src              ? "\"src_ip\""
                 : !dst              ? "\"dest_ip\""
                                     : "\"proto\"");
        goto out;
    }
    if (parse_iso_time(ts, &a->ts) != 0) {
        snprintf(err, errlen, "bad timestamp '%s'", ts);
        goto out;
    }
    int p = no_ip                    ? 0
            : json_is_integer(proto) ? (int)json_integer_value(proto)
                                     : alert_proto_number(json_string_value(proto));
    if (p < 0 || p > 255) {
        snprintf(err, errlen, "unknown protocol");
        goto out;
    }
    a->proto = (uint8_t)p;
    if (!no_ip && set_endpoints(a, src, dst, err, errlen) != 0)
        goto out;
    json_t *sp = json_object_get(root, "src_port"), *dp = json_object_get(root, "dest_port");
    if (!is_icmp(a->proto) && (sp || dp)) {
        json_int_t s = json_integer_value(sp), d = json_integer_value(dp);
        if (!json_is_integer(sp) || !json_is_integer(dp) || s < 0 || s > 65535 || d < 0 ||
            d > 65535) {
            snprintf(err, errlen, "bad src_port/dest_port");
            goto out;
        }
        a->sport = (uint16_t)s;
        a->dport = (uint16_t)d;
    }
    json_t *sid = json_object_get(al, "signature_id");
    if (!json_is_integer(sid)) {
        snprintf(err, errlen, "alert without \"signature_id\"");
        goto out;
    }
    a->sid = (uint32_t)json_integer_value(sid);
    a->gid = (uint32_t)json_integer_value(json_object_get(al, "gid"));
    a->rev = (uint32_t)json_integer_value(json_object_get(al, "rev"));
    a->severity = (int)json_integer_value(json_object_get(al, "severity"));
    a->classification = dup_or_empty(json_string_value(json_object_get(al, "category")));
    a->description = dup_or_empty(json_string_value(json_object_get(al, "signature")));
    rc = 1;
out:
    json_decref(root);
    return rc;
}

/*
 * The fast format, Suricata:
 *   07/05/2017-12:34:56.123456  [**] [1:2013028:5] MSG [**] [Classification: C] [Priority: 2]
 * {TCP} 10.0.0.1:49152 -> 1.2.3.4:80 and Snort (year only with -y, two digits):
 *   07/05-12:34:56.123456  [**] [1:2000:1] MSG [**] [Classification: C] [Priority: 1]
 * {TCP} 1.2.3.4:80 -> 5.6.7.8:1234 Suricata may put "[Drop] " or "[wDrop] " before the first [**];
 * Snort omits the classification of a rule without one; Suricata prints "(null)".
 */
static const char FAST_RE[] =
    "^\\s*(\\d{2})/(\\d{2})(?:/(\\d{4}|\\d{2}))?-(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,9}))?\\s+"
    "(?:\\[[A-Za-z]+\\]\\s+)?\\[\\*\\*\\]\\s+\\[(\\d+):(\\d+):(\\d+)\\]\\s+(.*?)\\s*\\[\\*\\*\\]"
    "(?:\\s*\\[Classification:\\s*([^\\]]*?)\\s*\\])?(?:\\s*\\[Priority:\\s*(\\d+)\\])?"
    "\\s*\\{([^}]+)\\}\\s+(\\S+)\\s+->\\s+(\\S+)\\s*$";

enum {
    F_MON = 1,
    F_DAY,
    F_YEAR,
    F_H,
    F_M,
    F_S,
    F_FRAC,
    F_GID,
    F_SID,
    F_REV,
    F_MSG,
    F_CLASS,
    F_PRIO,
    F_PROTO,
    F_SRC,
    F_DST,
    F_COUNT
};

static pcre2_code *fast_re(void)
{
    static pcre2_code *re;
    if (!re) {
        int code;
        PCRE2_SIZE off;
        re = pcre2_compile((PCRE2_SPTR)FAST_RE, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
        if (!re) {
            fprintf(stderr,
                    "netsift label: internal: fast.log expression does not compile at %zu\n",
                    (size_t)off);
            exit(1);
        }
        pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    }
    return re;
}

/* "1.2.3.4:80", "2001:db8::1:80" (the last colon, as Suricata prints it:
 * it always adds the port), "[2001:db8::1]:80", or a bare address (Snort,
 * protocols without ports). */
static int split_endpoint(const char *s, char *addr, size_t alen, uint16_t *port)
{
    *port = 0;
    uint8_t tmp[16];
    const char *colon = strrchr(s, ':');
    if (s[0] == '[' && (colon = strstr(s, "]:")) != NULL) {
        snprintf(addr, alen, "%.*s", (int)(colon - s - 1), s + 1);
        colon++;
    } else if (colon &&
               (snprintf(addr, alen, "%.*s", (int)(colon - s), s), alert_parse_addr(addr, tmp))) {
        /* address:port */
    } else if (alert_parse_addr(s, tmp)) {
        snprintf(addr, alen, "%s", s);
        return 0;
    } else {
        return -1;
    }
    char *end;
    errno = 0;
    long v = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end || errno || v < 0 || v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

int alert_parse_fast(const char *line, int default_year, struct alert *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    if (line[strspn(line, " \t\r\n")] == '\0')
        return 0;
    pcre2_code *re = fast_re();
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    if (!md) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = -1;
    size_t len = strcspn(line, "\r\n");
    int m = pcre2_match(re, (PCRE2_SPTR)line, len, 0, 0, md, NULL);
    if (m < 0) {
        snprintf(err, errlen, "not a Suricata/Snort fast alert line");
        goto out;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    char f[F_COUNT][1024];
    for (int i = 1; i < F_COUNT; i++) {
        f[i][0] = '\0';
        if (i < m && ov[2 * i] != PCRE2_UNSET)
            snprintf(f[i], sizeof f[i], "%.*s", (int)(ov[2 * i + 1] - ov[2 * i]), line + ov[2 * i]);
    }
    struct tm tm = {0};
    tm.tm_mon = atoi(f[F_MON]) - 1;
    tm.tm_mday = atoi(f[F_DAY]);
    tm.tm_hour = atoi(f[F_H]);
    tm.tm_min = atoi(f[F_M]);
    tm.tm_sec = atoi(f[F_S]);
    int year = default_year;
    if (f[F_YEAR][0])
        year = strlen(f[F_YEAR]) == 2 ? 2000 + atoi(f[F_YEAR]) : atoi(f[F_YEAR]);
    if (year == 0) {
        time_t now = time(NULL);
        struct tm lt;
        localtime_r(&now, &lt);
        year = lt.tm_year + 1900;
    }
    tm.tm_year = year - 1900;
    tm.tm_isdst = -1;
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60) {
        snprintf(err, errlen, "bad date or time");
        goto out;
    }
    time_t t = mktime(&tm); /* fast alert times are the sensor's local time (TZ) */
    a->ts = (int64_t)t * 1000000 + parse_usec(f[F_FRAC], strlen(f[F_FRAC]));
    int p = alert_proto_number(f[F_PROTO]);
    if (p < 0) {
        snprintf(err, errlen, "unknown protocol '%s'", f[F_PROTO]);
        goto out;
    }
    a->proto = (uint8_t)p;
    char src[256], dst[256];
    if (split_endpoint(f[F_SRC], src, sizeof src, &a->sport) != 0 ||
        split_endpoint(f[F_DST], dst, sizeof dst, &a->dport) != 0) {
        snprintf(err, errlen, "bad endpoint '%s' or '%s'", f[F_SRC], f[F_DST]);
        goto out;
    }
    if (set_endpoints(a, src, dst, err, errlen) != 0)
        goto out;
    if (is_icmp(a->proto)) /* the fast format's ports are ICMP type:code */
        a->sport = a->dport = 0;
    a->gid = (uint32_t)strtoul(f[F_GID], NULL, 10);
    a->sid = (uint32_t)strtoul(f[F_SID], NULL, 10);
    a->rev = (uint32_t)strtoul(f[F_REV], NULL, 10);
    a->severity = atoi(f[F_PRIO]);
    a->classification = dup_or_empty(strcmp(f[F_CLASS], "(null)") == 0 ? "" : f[F_CLASS]);
    a->description = dup_or_empty(f[F_MSG]);
    rc = 1;
out:
    pcre2_match_data_free(md);
    return rc;
}

static bool excluded(const struct alert *a, const struct alert_opts *opts)
{
    for (const char *const *e = opts->exclude; e && *e; e++)
        if (strcasecmp(*e, a->classification) == 0)
            return true;
    return false;
}

int alert_set_load(struct alert_set *set, const char *path, const struct alert_opts *opts,
                   FILE *log)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(log, "netsift label: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char **files = realloc(set->files, (set->nfiles + 1) * sizeof *files);
    if (!files || !(files[set->nfiles] = strdup(path))) {
        fprintf(log, "netsift label: out of memory\n");
        exit(1);
    }
    set->files = files;
    const char *name = files[set->nfiles++];
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned lineno = 0;
    int eve = -1, status = 0;
    while ((len = getline(&line, &cap, f)) != -1) {
        lineno++;
        if ((size_t)len != strlen(line)) {
            fprintf(log, "%s:%u: NUL byte in the line; skipped\n", name, lineno);
            set->malformed++;
            if (opts->strict) {
                status = -1;
                break;
            }
            continue;
        }
        const char *first = line + strspn(line, " \t\r\n");
        if (!*first)
            continue;
        if (eve < 0)
            eve = *first == '{';
        struct alert a;
        char err[256];
        int rc = eve ? alert_parse_eve(line, &a, err, sizeof err)
                     : alert_parse_fast(line, opts->default_year, &a, err, sizeof err);
        if (rc < 0) {
            fprintf(log, "%s:%u: %s%s\n", name, lineno, err, opts->strict ? "" : "; skipped");
            set->malformed++;
            if (opts->strict) {
                status = -1;
                break;
            }
            continue;
        }
        if (rc == 0) {
            set->other_events++;
            continue;
        }
        if (excluded(&a, opts)) {
            set->excluded++;
            alert_free(&a);
            continue;
        }
        if (set->n == set->cap) {
            size_t ncap = set->cap ? set->cap * 2 : 256;
            struct alert *v = realloc(set->v, ncap * sizeof *v);
            if (!v) {
                fprintf(log, "netsift label: out of memory\n");
                exit(1);
            }
            set->v = v;
            set->cap = ncap;
        }
        a.file = name;
        a.line = lineno;
        a.order = (uint32_t)set->n;
        set->v[set->n++] = a;
    }
    if (ferror(f)) {
        fprintf(log, "netsift label: %s: read error\n", name);
        status = -1;
    }
    free(line);
    fclose(f);
    return status;
}

void alert_set_free(struct alert_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        alert_free(&set->v[i]);
    free(set->v);
    for (size_t i = 0; i < set->nfiles; i++)
        free(set->files[i]);
    free(set->files);
    memset(set, 0, sizeof *set);
}

const char *alert_address(const struct alert *a, bool dst, char *buf, size_t len)
{
    buf[0] = '\0';
    if (a->addr_len && !inet_ntop(a->addr_len == 4 ? AF_INET : AF_INET6, dst ? a->dst : a->src, buf,
                                  (socklen_t)len))
        buf[0] = '\0';
    return buf;
}

const char *alert_endpoint(const struct alert *a, bool dst, char *buf, size_t len)
{
    char ip[INET6_ADDRSTRLEN];
    if (!a->addr_len)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, a->addr_len == 4 ? "%s:%u" : "[%s]:%u",
                 alert_address(a, dst, ip, sizeof ip), dst ? a->dport : a->sport);
    return buf;
}
