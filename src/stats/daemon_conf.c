/*
 * daemon_conf.c - parsing and validating the daemon's configuration file
 * (see daemon_conf.h).
 */
#define _GNU_SOURCE
#include "daemon_conf.h"
#include "../conf/conf.h"
#include "../util/ini.h"

#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum vkind {
    V_IFACE,    /* interface name, must exist */
    V_TEXT,     /* plain string (size in aux) */
    V_BPF,      /* BPF expression, compiled to check it */
    V_MAC,      /* uint8_t[6]; aux: offset of its bool */
    V_CIDR,     /* struct cidr */
    V_PORTS,    /* struct port_range */
    V_PROTO,    /* int */
    V_REGEX,    /* PCRE2 pattern (text at off, size aux) */
    V_HANDLERS, /* uint32_t mask */
    V_UINT,     /* uint32_t in [min, max] */
    V_BOOL,     /* bool */
    V_DURATION, /* uint64_t seconds */
    V_LISTEN,   /* ADDR:PORT text */
    V_NAME,     /* [A-Za-z0-9_-] text */
};

struct key_def {
    const char *key;
    enum vkind kind;
    size_t off;
    size_t aux;
    uint32_t min, max;
    const char *help;
};

#define WOFF(f) offsetof(struct watcher_conf, f)
#define WF(f) (offsetof(struct watcher_conf, filter) + offsetof(struct watch_filter, f))
#define DOFF(f) offsetof(struct daemon_conf, f)

static const struct key_def watcher_keys[] = {
    {"interface", V_IFACE, WOFF(interface), sizeof(((struct watcher_conf *)0)->interface), 0, 0,
     "network interface to listen on (several watchers may share one)"},
    {"read_file", V_TEXT, WOFF(read_file), CONF_PATH_MAX, 0, 0,
     "read a pcap/pcapng file once instead of an interface (replays, tests)"},
    {"bpf", V_BPF, WOFF(bpf), sizeof(((struct watcher_conf *)0)->bpf), 0, 0,
     "BPF expression set as the kernel filter: rejected packets never reach user space"},
    {"src_mac", V_MAC, WF(src_mac), WF(src_mac_set), 0, 0, "source MAC address"},
    {"dst_mac", V_MAC, WF(dst_mac), WF(dst_mac_set), 0, 0, "destination MAC address"},
    {"mac", V_MAC, WF(mac), WF(mac_set), 0, 0, "MAC address on either side"},
    {"src_ip", V_CIDR, WF(src_ip), 0, 0, 0, "source IPv4/IPv6 address or CIDR"},
    {"dst_ip", V_CIDR, WF(dst_ip), 0, 0, 0, "destination IPv4/IPv6 address or CIDR"},
    {"ip", V_CIDR, WF(ip), 0, 0, 0, "IPv4/IPv6 address or CIDR on either side"},
    {"src_port", V_PORTS, WF(src_port), 0, 0, 0, "TCP/UDP source port or range LO-HI"},
    {"dst_port", V_PORTS, WF(dst_port), 0, 0, 0, "TCP/UDP destination port or range"},
    {"port", V_PORTS, WF(port), 0, 0, 0, "TCP/UDP port or range on either side"},
    {"protocol", V_PROTO, WF(protocol), 0, 0, 0,
     "tcp, udp, icmp, icmp6, sctp, gre, esp, ah, igmp, arp, ip, ip6 or a number"},
    {"regex", V_REGEX, WOFF(regex), sizeof(((struct watcher_conf *)0)->regex), 0, 0,
     "PCRE2 pattern matched (JIT) against the TCP/UDP/ICMP payload"},
    {"handlers", V_HANDLERS, WOFF(handlers), 0, 0, 0,
     "what to count: mac ip interface protocol conversation host, or all (default)"},
    {"max_entries", V_UINT, WOFF(max_entries), 0, 16, 1u << 22,
     "counters kept (keys of all handlers together; default 4096)"},
    {"promiscuous", V_BOOL, WOFF(promiscuous), 0, 0, 0,
     "put the interface in promiscuous mode (yes)"},
};

static const struct key_def daemon_keys[] = {
    {"db_path", V_TEXT, DOFF(db_path), CONF_PATH_MAX, 0, 0,
     "directory of stats.sqlite (counters appended on stop and every persist_interval)"},
    {"persist_interval", V_DURATION, DOFF(persist_interval), 0, 1, 0,
     "seconds between appends (60)"},
    {"metrics", V_LISTEN, DOFF(metrics), CONF_HOST_MAX, 0, 0,
     "ADDR:PORT of the Prometheus endpoint (PORT alone: 127.0.0.1)"},
    {"shm_prefix", V_NAME, DOFF(shm_prefix), sizeof(((struct daemon_conf *)0)->shm_prefix), 0, 0,
     "shared-memory segments are /PREFIX.WATCHER (netsift)"},
    {"publish_interval", V_UINT, DOFF(publish_ms), 0, 10, 60000,
     "milliseconds between shared-memory updates (200)"},
};

#define NKEYS(t) (sizeof t / sizeof t[0])

void daemon_conf_print_keys(FILE *f)
{
    fprintf(f, "  [daemon]\n");
    for (size_t i = 0; i < NKEYS(daemon_keys); i++)
        fprintf(f, "    %-18s %s\n", daemon_keys[i].key, daemon_keys[i].help);
    fprintf(f, "  [watcher NAME]\n");
    for (size_t i = 0; i < NKEYS(watcher_keys); i++)
        fprintf(f, "    %-18s %s\n", watcher_keys[i].key, watcher_keys[i].help);
}

void daemon_conf_init(struct daemon_conf *c)
{
    memset(c, 0, sizeof *c);
    c->persist_interval = 60;
    snprintf(c->shm_prefix, sizeof c->shm_prefix, "netsift");
    c->publish_ms = 200;
}

void daemon_conf_free(struct daemon_conf *c)
{
    for (size_t i = 0; i < c->nwatchers; i++)
        filter_free(&c->watchers[i].filter);
    free(c->watchers);
    c->watchers = NULL;
    c->nwatchers = 0;
}

void daemon_conf_take(struct daemon_conf *c, size_t i, struct watcher_conf *dst)
{
    *dst = c->watchers[i];
    c->watchers[i].filter.re = NULL;
    c->watchers[i].filter.match_data = NULL;
}

static bool valid_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n >= max)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
            return false;
    return true;
}

int parse_listen_addr(const char *text, char *host, size_t hostlen, uint16_t *port, char *err,
                      size_t errlen)
{
    const char *colon = strrchr(text, ':');
    const char *p = colon ? colon + 1 : text;
    char *end;
    errno = 0;
    unsigned long v = strtoul(p, &end, 10);
    if (!*p || *end || errno || v == 0 || v > 65535 || !isdigit((unsigned char)*p))
        goto bad;
    *port = (uint16_t)v;
    if (!colon) {
        snprintf(host, hostlen, "127.0.0.1");
        return 0;
    }
    size_t hl = (size_t)(colon - text);
    const char *h = text;
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= hostlen)
        goto bad;
    memcpy(host, h, hl);
    host[hl] = '\0';
    return 0;
bad:
    snprintf(err, errlen, "bad listen address '%s' (want ADDR:PORT, [ADDR6]:PORT or PORT)", text);
    return -1;
}

static int parse_handlers(const char *v, uint32_t *mask, char *err, size_t errlen)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", v);
    uint32_t m = 0;
    for (char *save, *tok = strtok_r(buf, " ,\t", &save); tok;
         tok = strtok_r(NULL, " ,\t", &save)) {
        if (strcmp(tok, "all") == 0) {
            m |= (1u << SK_COUNT) - 1;
            continue;
        }
        int k = stats_kind_lookup(tok);
        if (k < 0) {
            snprintf(err, errlen,
                     "unknown handler '%s' (mac, ip, interface, protocol, conversation, host, all)",
                     tok);
            return -1;
        }
        m |= 1u << k;
    }
    if (!m) {
        snprintf(err, errlen, "handlers: none given");
        return -1;
    }
    *mask = m;
    return 0;
}

static int check_bpf(const char *expr, char *err, size_t errlen)
{
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct bpf_program prog;
    int rc = pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN);
    if (rc != 0)
        snprintf(err, errlen, "bad BPF expression '%s': %s", expr, pcap_geterr(p));
    else
        pcap_freecode(&prog);
    pcap_close(p);
    return rc == 0 ? 0 : -1;
}

static int set_value(void *base, const struct key_def *k, const char *v, unsigned flags, char *err,
                     size_t errlen)
{
    char *field = (char *)base + k->off;
    switch (k->kind) {
    case V_IFACE:
        if (!v[0] || strlen(v) >= IF_NAMESIZE) {
            snprintf(err, errlen, "bad interface name '%s'", v);
            return -1;
        }
        if (!(flags & DCONF_NO_IFACE_CHECK) && if_nametoindex(v) == 0) {
            snprintf(err, errlen, "unknown interface '%s'", v);
            return -1;
        }
        /* fall through */
    case V_TEXT:
    case V_BPF:
    case V_LISTEN:
    case V_NAME:
        if (strlen(v) >= (k->kind == V_IFACE ? CONF_IFNAME_MAX : k->aux)) {
            snprintf(err, errlen, "%s: value too long", k->key);
            return -1;
        }
        if (k->kind == V_BPF && check_bpf(v, err, errlen) != 0)
            return -1;
        if (k->kind == V_NAME && !valid_name(v, k->aux)) {
            snprintf(err, errlen, "%s: '%s' is not a name of letters, digits, '_' and '-'", k->key,
                     v);
            return -1;
        }
        if (k->kind == V_LISTEN && v[0]) {
            char host[CONF_HOST_MAX];
            uint16_t port;
            if (parse_listen_addr(v, host, sizeof host, &port, err, errlen) != 0)
                return -1;
        }
        snprintf(field, k->kind == V_IFACE ? CONF_IFNAME_MAX : k->aux, "%s", v);
        return 0;
    case V_MAC:
        if (filter_parse_mac(v, (uint8_t *)field, err, errlen) != 0)
            return -1;
        *(bool *)((char *)base + k->aux) = true;
        return 0;
    case V_CIDR: return filter_parse_cidr(v, (struct cidr *)field, err, errlen);
    case V_PORTS: return filter_parse_ports(v, (struct port_range *)field, err, errlen);
    case V_PROTO: return filter_parse_protocol(v, (int *)field, err, errlen);
    case V_REGEX: {
        struct watcher_conf *w = base;
        if (strlen(v) >= k->aux) {
            snprintf(err, errlen, "regex: pattern too long");
            return -1;
        }
        if (filter_set_regex(&w->filter, v, err, errlen) != 0)
            return -1;
        snprintf(field, k->aux, "%s", v);
        return 0;
    }
    case V_HANDLERS: return parse_handlers(v, (uint32_t *)field, err, errlen);
    case V_UINT: {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(v, &end, 10);
        if (!isdigit((unsigned char)v[0]) || *end || errno || x < k->min || x > k->max) {
            snprintf(err, errlen, "%s: '%s' is not a whole number from %u to %u", k->key, v, k->min,
                     k->max);
            return -1;
        }
        *(uint32_t *)field = (uint32_t)x;
        return 0;
    }
    case V_BOOL:
        if (conf_parse_bool(v, (bool *)field) != 0) {
            snprintf(err, errlen, "%s: '%s' is not yes or no", k->key, v);
            return -1;
        }
        return 0;
    case V_DURATION: {
        uint64_t s;
        if (conf_parse_duration(v, &s) != 0 || s < k->min) {
            snprintf(err, errlen, "%s: '%s' is not a duration of at least %us (e.g. 60, 5m)",
                     k->key, v, k->min);
            return -1;
        }
        *(uint64_t *)field = s;
        return 0;
    }
    }
    return -1;
}

static void watcher_defaults(struct watcher_conf *w, const char *name, int line)
{
    memset(w, 0, sizeof *w);
    filter_init(&w->filter);
    snprintf(w->name, sizeof w->name, "%s", name);
    w->line = line;
    w->handlers = (1u << SK_COUNT) - 1;
    w->max_entries = 4096;
    w->promiscuous = true;
}

static void canon_add(struct watcher_conf *w, const char *key, const char *value)
{
    size_t u = strlen(w->canon);
    snprintf(w->canon + u, sizeof w->canon - u, "%s=%s\n", key, value);
}

/* Checks of a finished watcher section. */
static int watcher_finish(struct watcher_conf *w, const char *fname, char *err, size_t errlen)
{
    if (!w->interface[0] == !w->read_file[0]) {
        snprintf(err, errlen, "%s:%d: watcher '%s' needs exactly one of interface and read_file",
                 fname, w->line, w->name);
        return -1;
    }
    return 0;
}

/* The parse in progress: the section being read and the keys it gave. */
struct parse_state {
    struct daemon_conf *c;
    unsigned flags;
    const char *fname;
    enum { SEC_NONE, SEC_DAEMON, SEC_WATCHER } sec;
    bool seen[NKEYS(watcher_keys) > NKEYS(daemon_keys) ? NKEYS(watcher_keys) : NKEYS(daemon_keys)];
    bool daemon_seen;
    char finish_err[1200]; /* a finished watcher's fault, told at its own line */
};

static int finish_section(struct parse_state *ps)
{
    if (ps->sec != SEC_WATCHER)
        return 0;
    return watcher_finish(&ps->c->watchers[ps->c->nwatchers - 1], ps->fname, ps->finish_err,
                          sizeof ps->finish_err);
}

static int on_section(void *arg, const char *name, unsigned line, char *why, size_t whylen)
{
    struct parse_state *ps = arg;
    struct daemon_conf *c = ps->c;
    if (finish_section(ps) != 0)
        return -1;
    memset(ps->seen, 0, sizeof ps->seen);
    if (strcmp(name, "daemon") == 0) {
        if (ps->daemon_seen) {
            snprintf(why, whylen, "second [daemon] section");
            return -1;
        }
        ps->daemon_seen = true;
        ps->sec = SEC_DAEMON;
        return 0;
    }
    if (strncmp(name, "watcher", 7) != 0 || !isspace((unsigned char)name[7])) {
        snprintf(why, whylen, "unknown section [%s] (want [daemon] or [watcher NAME])", name);
        return -1;
    }
    const char *wname = name + 8;
    while (isspace((unsigned char)*wname))
        wname++;
    if (!valid_name(wname, STATS_NAME_MAX)) {
        snprintf(why, whylen, "bad watcher name '%s' (letters, digits, '_' and '-', at most %d)",
                 wname, STATS_NAME_MAX - 1);
        return -1;
    }
    for (size_t i = 0; i < c->nwatchers; i++)
        if (strcmp(c->watchers[i].name, wname) == 0) {
            snprintf(why, whylen, "watcher '%s' defined twice (first on line %d)", wname,
                     c->watchers[i].line);
            return -1;
        }
    struct watcher_conf *nw = realloc(c->watchers, (c->nwatchers + 1) * sizeof *nw);
    if (!nw) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    c->watchers = nw;
    watcher_defaults(&c->watchers[c->nwatchers++], wname, (int)line);
    ps->sec = SEC_WATCHER;
    return 0;
}

static int on_key(void *arg, const char *section, const char *key, const char *value,
                  unsigned line, char *why, size_t whylen)
{
    struct parse_state *ps = arg;
    (void)section, (void)line;
    if (ps->sec == SEC_NONE) {
        snprintf(why, whylen, "'%s' outside a section (start with [daemon] or [watcher NAME])", key);
        return -1;
    }
    const struct key_def *table = ps->sec == SEC_DAEMON ? daemon_keys : watcher_keys;
    size_t nkeys = ps->sec == SEC_DAEMON ? NKEYS(daemon_keys) : NKEYS(watcher_keys);
    size_t ki = 0;
    while (ki < nkeys && strcmp(table[ki].key, key) != 0)
        ki++;
    if (ki == nkeys) {
        snprintf(why, whylen, "unknown key '%s' in [%s]", key,
                 ps->sec == SEC_DAEMON ? "daemon" : "watcher");
        return -1;
    }
    if (ps->seen[ki]) {
        snprintf(why, whylen, "'%s' given twice in this section", key);
        return -1;
    }
    ps->seen[ki] = true;
    void *base = ps->sec == SEC_DAEMON ? (void *)ps->c : (void *)&ps->c->watchers[ps->c->nwatchers - 1];
    if (set_value(base, &table[ki], value, ps->flags, why, whylen) != 0)
        return -1;
    if (ps->sec == SEC_WATCHER)
        canon_add(base, key, value);
    return 0;
}

int daemon_conf_parse(struct daemon_conf *c, const char *text, size_t len, const char *fname,
                      unsigned flags, char *err, size_t errlen)
{
    static const struct ini_handlers handlers = {.section = on_section, .key = on_key};
    struct parse_state ps = {.c = c, .flags = flags, .fname = fname, .sec = SEC_NONE};
    daemon_conf_init(c);
    int rc = ini_parse(text, len, fname, &handlers, &ps, err, errlen);
    if (rc == 0 && finish_section(&ps) != 0)
        rc = -1;
    if (rc != 0) {
        if (ps.finish_err[0])
            snprintf(err, errlen, "%s", ps.finish_err);
        daemon_conf_free(c);
    }
    return rc;
}

int daemon_conf_load(struct daemon_conf *c, const char *path, char *err, size_t errlen)
{
    char *text;
    size_t len;
    daemon_conf_init(c);
    if (ini_read_file(path, &text, &len, err, errlen) != 0)
        return -1;
    int rc = daemon_conf_parse(c, text, len, path, 0, err, errlen);
    free(text);
    return rc;
}
