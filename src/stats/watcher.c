/*
 * watcher.c - a watcher's capture thread (see watcher.h).
 */
#define _GNU_SOURCE
#include "watcher.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../capture/source.h"
#include "../util/text.h"
#include "../util/thread_name.h"

struct watcher {
    struct watcher_conf conf;
    struct stats_shm shm;
    struct counters *ctr;
    const char *prefix;
    uint32_t publish_ms;
    pthread_t thread;
    bool thread_running;
    atomic_int stop;
    atomic_int publish_now;
    _Atomic uint64_t published;
    atomic_bool finished; /* read_file: end of file reached */
    pthread_mutex_t pub_lock;
    pthread_cond_t pub_cond;

    /* thread state */
    struct source src;
    bool open, live, eof;
    uint64_t seen, matched, bytes_matched, reopens, opened_once;
    uint64_t last_packet_us;
    uint64_t kernel_received, kernel_dropped, interface_dropped;
    enum stats_state state;
    char error[256];
    struct packet pkt;
};

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The interface's own hardware address, to tell sent from received. */
static bool own_mac(const char *ifname, uint8_t mac[6])
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return false;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    copy_str(ifr.ifr_name, sizeof ifr.ifr_name, ifname);
    bool ok = ioctl(fd, SIOCGIFHWADDR, &ifr) == 0;
    close(fd);
    if (ok)
        memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return ok;
}

static void publish(struct watcher *w)
{
    struct stats_shm_header *h = w->shm.hdr;
    uint64_t now = wall_us();
    uint64_t now_s = w->live ? now / 1000000u : (w->last_packet_us / 1000000u + 1);
    if (w->live && w->open) {
        struct pcap_stat ps;
        if (pcap_stats(w->src.pcap, &ps) == 0) {
            w->kernel_received = ps.ps_recv;
            w->kernel_dropped = ps.ps_drop;
            w->interface_dropped = ps.ps_ifdrop;
        }
    }
    stats_shm_begin(&w->shm);
    h->nentries = counters_publish(w->ctr, w->shm.entries, h->capacity, now_s);
    h->updated_us = now;
    h->packets_seen = w->seen;
    h->packets_matched = w->matched;
    h->bytes_matched = w->bytes_matched;
    h->kernel_received = w->kernel_received;
    h->kernel_dropped = w->kernel_dropped;
    h->interface_dropped = w->interface_dropped;
    h->overflow = counters_overflow(w->ctr);
    h->reopens = w->reopens;
    h->state = w->state;
    h->handlers = w->conf.handlers;
    h->pid = (int32_t)getpid();
    copy_str(h->source, sizeof h->source,
             w->conf.interface[0] ? w->conf.interface : w->conf.read_file);
    snprintf(h->error, sizeof h->error, "%s", w->error);
    stats_shm_end(&w->shm);
    pthread_mutex_lock(&w->pub_lock);
    atomic_fetch_add(&w->published, 1);
    pthread_cond_broadcast(&w->pub_cond);
    pthread_mutex_unlock(&w->pub_lock);
}

static void on_packet(u_char *user, const struct pcap_pkthdr *hdr, const u_char *bytes)
{
    struct watcher *w = (struct watcher *)user;
    uint64_t secs = hdr->ts.tv_sec < 0 ? (uint32_t)hdr->ts.tv_sec : (uint64_t)hdr->ts.tv_sec;
    uint64_t ts = secs * 1000000u + (uint64_t)hdr->ts.tv_usec;
    w->seen++;
    decode_packet(&w->pkt, w->src.linktype, bytes, hdr->caplen, hdr->len, ts);
    if (!filter_match(&w->conf.filter, &w->pkt))
        return;
    w->matched++;
    w->bytes_matched += hdr->len;
    if (ts > w->last_packet_us)
        w->last_packet_us = ts;
    counters_add(w->ctr, w->conf.handlers, &w->pkt);
}

static int try_open(struct watcher *w)
{
    struct netsift_conf nc;
    conf_defaults(&nc);
    snprintf(nc.interface, sizeof nc.interface, "%s", w->conf.interface);
    snprintf(nc.read_file, sizeof nc.read_file, "%s", w->conf.read_file);
    snprintf(nc.filter, sizeof nc.filter, "%s", w->conf.bpf);
    nc.promiscuous = w->conf.promiscuous;
    /* not immediate: libpcap then uses TPACKET_V3's variable-size frames
     * (immediate mode falls back to fixed snaplen-sized slots, a few dozen
     * of them, which drop bursts); blocks are handed over after 50 ms */
    nc.immediate = false;
    nc.buffer_timeout = 50;
    nc.buffer_size = 8192; /* KiB of kernel ring per watcher */
    char err[512];
    if (source_open(&w->src, &nc, err, sizeof err) != 0) {
        if (strcmp(err, w->error) != 0)
            fprintf(stderr, "netsift daemon: watcher %s: %s; retrying every second\n", w->conf.name,
                    err);
        copy_str(w->error, sizeof w->error, err);
        w->state = WS_WAITING;
        return -1;
    }
    if (w->opened_once++)
        w->reopens++;
    w->open = true;
    w->live = w->src.live;
    w->error[0] = '\0';
    w->state = WS_RUNNING;
    uint8_t mac[6];
    counters_set_source(w->ctr, w->conf.interface[0] ? w->conf.interface : "file",
                        w->live && own_mac(w->conf.interface, mac) ? mac : NULL);
    fprintf(stderr, "netsift daemon: watcher %s: listening on %s\n", w->conf.name, w->src.name);
    return 0;
}

static void close_source(struct watcher *w, const char *why)
{
    fprintf(stderr, "netsift daemon: watcher %s: %s: %s; retrying every second\n", w->conf.name,
            w->src.name, why);
    snprintf(w->error, sizeof w->error, "%s", why);
    source_close(&w->src);
    w->open = false;
    w->state = WS_WAITING;
}

static void *watcher_thread(void *arg)
{
    struct watcher *w = arg;
    uint64_t last_pub = 0, last_try = 0;
    thread_name("watch:", w->conf.name);
    w->state = WS_STARTING;
    publish(w);
    while (!atomic_load(&w->stop)) {
        uint64_t now = mono_ms();
        if (!w->open && !w->eof) {
            if (now - last_try >= 1000 || last_try == 0) {
                last_try = now;
                if (try_open(w) != 0)
                    publish(w);
            }
            if (!w->open) {
                usleep(50000);
                goto maybe_publish;
            }
        }
        if (w->eof) {
            usleep(10000);
            goto maybe_publish;
        }
        if (w->live) {
            struct pollfd pfd = {.fd = pcap_get_selectable_fd(w->src.pcap), .events = POLLIN};
            int timeout = (int)(w->publish_ms < 100 ? w->publish_ms : 100);
            if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
                close_source(w, strerror(errno));
                continue;
            }
        }
        int rc = pcap_dispatch(w->src.pcap, w->live ? -1 : 4096, on_packet, (u_char *)w);
        if (rc == PCAP_ERROR || rc == PCAP_ERROR_BREAK) {
            if (rc == PCAP_ERROR)
                close_source(w, pcap_geterr(w->src.pcap));
        } else if (!w->live && rc == 0) {
            w->eof = true;
            w->state = WS_DONE;
            atomic_store(&w->finished, true);
            fprintf(stderr, "netsift daemon: watcher %s: end of %s (%llu packets, %llu matched)\n",
                    w->conf.name, w->src.name, (unsigned long long)w->seen,
                    (unsigned long long)w->matched);
            publish(w);
            last_pub = mono_ms();
        }
    maybe_publish:
        now = mono_ms();
        if (atomic_exchange(&w->publish_now, 0) || now - last_pub >= w->publish_ms) {
            publish(w);
            last_pub = now;
        }
    }
    if (!w->eof)
        w->state = WS_STOPPED;
    publish(w);
    if (w->open)
        source_close(&w->src);
    w->open = false;
    return NULL;
}

static int start_thread(struct watcher *w, char *err, size_t errlen)
{
    atomic_store(&w->stop, 0);
    w->eof = false;
    atomic_store(&w->finished, false);
    w->error[0] = '\0';
    int rc = pthread_create(&w->thread, NULL, watcher_thread, w);
    if (rc != 0) {
        snprintf(err, errlen, "watcher %s: cannot start thread: %s", w->conf.name, strerror(rc));
        return -1;
    }
    w->thread_running = true;
    return 0;
}

static int make_storage(struct watcher *w, char *err, size_t errlen)
{
    w->ctr = counters_new(w->conf.max_entries);
    if (!w->ctr) {
        snprintf(err, errlen, "watcher %s: out of memory", w->conf.name);
        return -1;
    }
    if (stats_shm_create(&w->shm, w->prefix, w->conf.name, w->conf.max_entries, err, errlen) != 0)
        return -1;
    w->shm.hdr->started_us = wall_us();
    return 0;
}

struct watcher *watcher_start(struct watcher_conf *conf, const char *shm_prefix,
                              uint32_t publish_ms, char *err, size_t errlen)
{
    struct watcher *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->conf = *conf;
    conf->filter.re = conf->filter.match_data = NULL;
    w->prefix = shm_prefix;
    w->publish_ms = publish_ms;
    pthread_mutex_init(&w->pub_lock, NULL);
    pthread_cond_init(&w->pub_cond, NULL);
    if (make_storage(w, err, errlen) != 0 || start_thread(w, err, errlen) != 0) {
        watcher_free(w, true);
        return NULL;
    }
    return w;
}

int watcher_restart(struct watcher *w, struct watcher_conf *conf, uint32_t publish_ms, char *err,
                    size_t errlen)
{
    watcher_stop(w);
    bool resize = conf->max_entries != w->conf.max_entries;
    filter_free(&w->conf.filter);
    w->conf = *conf;
    conf->filter.re = conf->filter.match_data = NULL;
    w->publish_ms = publish_ms;
    w->opened_once = 0; /* a new configuration's first open is not a reopen */
    if (resize) {
        counters_free(w->ctr);
        stats_shm_close(&w->shm, true);
        w->seen = w->matched = w->bytes_matched = 0;
        if (make_storage(w, err, errlen) != 0)
            return -1;
    }
    return start_thread(w, err, errlen);
}

uint64_t watcher_request_publish(struct watcher *w)
{
    uint64_t n = atomic_load(&w->published);
    atomic_store(&w->publish_now, 1);
    return n;
}

void watcher_wait_published(struct watcher *w, uint64_t after, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&w->pub_lock);
    while (w->thread_running && atomic_load(&w->published) <= after)
        if (pthread_cond_timedwait(&w->pub_cond, &w->pub_lock, &until) != 0)
            break;
    pthread_mutex_unlock(&w->pub_lock);
}

void watcher_stop(struct watcher *w)
{
    if (!w->thread_running)
        return;
    atomic_store(&w->stop, 1);
    pthread_join(w->thread, NULL);
    w->thread_running = false;
}

void watcher_free(struct watcher *w, bool unlink_segment)
{
    if (!w)
        return;
    watcher_stop(w);
    filter_free(&w->conf.filter);
    counters_free(w->ctr);
    stats_shm_close(&w->shm, unlink_segment);
    pthread_mutex_destroy(&w->pub_lock);
    pthread_cond_destroy(&w->pub_cond);
    free(w);
}

const struct watcher_conf *watcher_conf(const struct watcher *w)
{
    return &w->conf;
}

bool watcher_finished(struct watcher *w)
{
    return atomic_load(&w->finished);
}
