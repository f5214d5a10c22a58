/*
 * http.c - the HTTP/1.x parser on reassembled streams (see http.h): one
 * state machine per direction, a queue of pending transactions per
 * connection.
 */
#define _GNU_SOURCE
#include "http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../decode/http.h"
#include "../util/text.h"

enum hstate {
    HS_HEAD,       /* reading a request or status line and header fields */
    HS_BODY_LEN,   /* Content-Length body: `remaining` bytes to go */
    HS_CHUNK_SIZE, /* chunked: the chunk-size line */
    HS_CHUNK_DATA, /* chunked: `remaining` bytes of chunk data */
    HS_CHUNK_CRLF, /* chunked: the line end after chunk data */
    HS_TRAILER,    /* chunked: trailer fields up to the empty line */
    HS_BODY_CLOSE, /* body delimited by the end of the connection */
    HS_RESYNC,     /* after a gap that broke framing: waiting for a segment that starts a message */
    HS_STOP,       /* not parsed any further */
};

struct hdir {
    enum hstate st;
    char *head;
    uint32_t hlen, hcap;
    uint64_t remaining;
    char line[HTTP_LINE_MAX];
    uint32_t llen;
    struct http_body body;
    struct http_txn *txn; /* whose message is being read */
    uint64_t msg_ts;
};

struct http_conn {
    const struct reasm_conn *c;
    int req_dir; /* reasm direction carrying requests; -1 not known yet */
    bool not_http;
    bool counted;
    struct hdir d[2];
    struct http_txn *pending[HTTP_PENDING_MAX]; /* oldest first */
    unsigned npend;
    uint32_t next_depth;
};

size_t http_conn_size(void)
{
    return sizeof(struct http_conn);
}

struct http_conn *http_conn_new(struct http_ctx *ctx, const struct reasm_conn *c)
{
    struct http_conn *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    ctx->memory += sizeof *h;
    h->c = c;
    h->req_dir = -1;
    return h;
}

static void add_flag(struct http_txn *t, const char *flag)
{
    if (!t || strstr(t->flags, flag))
        return;
    size_t used = strlen(t->flags), n = strlen(flag);
    if (used + n + 2 > sizeof t->flags)
        return;
    if (used)
        t->flags[used++] = ',';
    memcpy(t->flags + used, flag, n + 1);
}

/* n bytes of packet text into a field of size `size`: escaped to valid
 * UTF-8 (util/text.h), cut, NUL-terminated. */
static void set_text(char *dst, size_t size, const char *src, size_t n)
{
    text_escape((const uint8_t *)src, n, dst, size, false);
}

/* The same into a new heap string (NULL when out of memory). */
static char *dup_text(const char *src, size_t n)
{
    char *s = malloc(4 * n + 1);
    if (s)
        text_escape((const uint8_t *)src, n, s, 4 * n + 1, false);
    return s;
}

static void free_txn(struct http_ctx *ctx, struct http_txn *t)
{
    ctx->memory -= sizeof *t;
    free(t->uri_buf);
    free(t);
}

/* An address of the connection as text. */
static void format_side(const struct reasm_conn *c, int side, char out[ADDR_TEXT_MAX])
{
    if (c->key.family == 6)
        format_ip6(c->key.addr[side], out);
    else
        format_ip4(c->key.addr[side], out);
}

static void emit(struct http_ctx *ctx, struct http_conn *h, struct http_txn *t)
{
    const struct reasm_conn *c = h->c;
    int cs = h->req_dir < 0 ? 0 : h->req_dir; /* the client's side */
    t->conn_ts = c->first_ts;
    format_side(c, cs, t->client_ip);
    format_side(c, !cs, t->server_ip);
    t->client_port = c->key.port[cs];
    t->server_port = c->key.port[!cs];
    community_id_v1(community_id_seed(), c->key.addr[cs], c->key.addr[!cs],
                    c->key.family == 6 ? 16 : 4, 6 /* TCP */, true, t->client_port,
                    t->server_port, t->community_id);
    if (c->has_mac[cs])
        format_hex_colon(c->mac[cs], 6, t->client_mac);
    if (c->has_mac[!cs])
        format_hex_colon(c->mac[!cs], 6, t->server_mac);
    t->uri = t->uri_buf;
    if (t->req_gap || t->resp_gap)
        ctx->st.gaps++;
    ctx->st.transactions++;
    if (ctx->emit)
        ctx->emit(ctx->user, h->c, t);
    free_txn(ctx, t);
}

/* Emit finished transactions from the head of the queue, in order. */
static void try_emit(struct http_ctx *ctx, struct http_conn *h)
{
    while (h->npend && h->pending[0]->resp_done && (h->pending[0]->req_done || !h->pending[0]->has_req)) {
        struct http_txn *t = h->pending[0];
        memmove(h->pending, h->pending + 1, --h->npend * sizeof *h->pending);
        emit(ctx, h, t);
    }
}

static struct http_txn *new_txn(struct http_ctx *ctx, struct http_conn *h)
{
    if (h->npend == HTTP_PENDING_MAX) {
        ctx->st.pending_overflow++;
        return NULL;
    }
    struct http_txn *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    ctx->memory += sizeof *t;
    t->depth = h->next_depth++;
    h->pending[h->npend++] = t;
    return t;
}

static void free_head(struct http_ctx *ctx, struct hdir *hd)
{
    ctx->memory -= hd->hcap;
    free(hd->head);
    hd->head = NULL;
    hd->hlen = hd->hcap = 0;
}

/* The body of the message being read ends (complete or not). */
static void finish_message(struct http_ctx *ctx, struct http_conn *h, int dir)
{
    struct hdir *hd = &h->d[dir];
    struct http_txn *t = hd->txn;
    bool req = dir == h->req_dir;
    if (t) {
        char sha[65];
        struct http_body *b = &hd->body;
        if (b->active) {
            bool gap = b->gap;
            uint64_t wire = b->wire_len;
            if (b->decode_error) {
                ctx->st.decode_errors++;
                add_flag(t, req ? "req_decode_error" : "resp_decode_error");
            }
            if (b->decoded_cut)
                add_flag(t, req ? "req_decoded_cut" : "resp_decoded_cut");
            if (b->write_error)
                add_flag(t, "extract_error");
            body_end(b, sha, &ctx->out);
            if (req) {
                t->req_body_len = wire;
                t->req_body_size = b->len;
                t->req_gap |= gap;
                memcpy(t->req_body_sha256, sha, sizeof sha);
            } else {
                t->resp_body_len = wire;
                t->resp_body_size = b->len;
                t->resp_gap |= gap;
                memcpy(t->resp_body_sha256, sha, sizeof sha);
            }
        }
        if (req)
            t->req_done = true;
        else
            t->resp_done = true;
    }
    hd->txn = NULL;
    if (hd->st != HS_STOP)
        hd->st = HS_HEAD;
    try_emit(ctx, h);
}

/* Stop parsing a direction (a bound was hit, a gap broke framing, or the
 * rest is not HTTP). */
static void stop_dir(struct http_ctx *ctx, struct http_conn *h, int dir, const char *flag)
{
    struct hdir *hd = &h->d[dir];
    if (hd->txn)
        add_flag(hd->txn, flag);
    hd->st = HS_STOP;
    if (hd->txn)
        finish_message(ctx, h, dir);
    free_head(ctx, hd);
}

/* ---- heads (read by decode/http.h) ---- */

struct head_fields {
    const char *te, *ce;  /* Transfer-Encoding, Content-Encoding values */
    size_t te_len, ce_len;
    bool has_cl, bad_cl;
    uint64_t cl;
};

/* Walk the header fields of a complete head; store the fields of t the
 * direction knows. */
static void parse_fields(const char *head, size_t n, struct http_txn *t, bool req,
                         struct head_fields *f)
{
    memset(f, 0, sizeof *f);
    struct http_field_iter it;
    struct http_field hf;
    if (!http_fields_begin(&it, head, n))
        return;
    while (http_field_next(&it, &hf)) {
        if (http_field_is(&hf, "Content-Length")) {
            uint64_t cl;
            if (!http_content_length(hf.value, hf.value_len, &cl) || (f->has_cl && cl != f->cl))
                f->bad_cl = true;
            else
                f->cl = cl, f->has_cl = true;
        } else if (http_field_is(&hf, "Transfer-Encoding")) {
            f->te = hf.value, f->te_len = hf.value_len;
        } else if (http_field_is(&hf, "Content-Encoding")) {
            f->ce = hf.value, f->ce_len = hf.value_len;
        } else if (http_field_is(&hf, "Content-Type")) {
            if (req)
                set_text(t->req_content_type, sizeof t->req_content_type, hf.value, hf.value_len);
            else
                set_text(t->resp_content_type, sizeof t->resp_content_type, hf.value,
                         hf.value_len);
        } else if (req && http_field_is(&hf, "Host")) {
            set_text(t->host, sizeof t->host, hf.value, hf.value_len);
        } else if (req && http_field_is(&hf, "User-Agent")) {
            set_text(t->user_agent, sizeof t->user_agent, hf.value, hf.value_len);
        }
    }
}

/* Start the body of the message of hd (or finish the message when it
 * has none).  mode: HS_BODY_LEN (with len), HS_CHUNK_SIZE, HS_BODY_CLOSE,
 * or HS_HEAD for none. */
static void start_body(struct http_ctx *ctx, struct http_conn *h, int dir, enum hstate mode,
                       uint64_t len, const struct head_fields *f)
{
    struct hdir *hd = &h->d[dir];
    if (mode == HS_HEAD || (mode == HS_BODY_LEN && len == 0)) {
        finish_message(ctx, h, dir);
        return;
    }
    char enc[32] = "";
    if (f->ce)
        set_text(enc, sizeof enc, f->ce, f->ce_len);
    body_begin(&hd->body, enc, &ctx->out);
    hd->st = mode;
    hd->remaining = len;
    hd->llen = 0;
}

static void request_head(struct http_ctx *ctx, struct http_conn *h, int dir)
{
    struct hdir *hd = &h->d[dir];
    const char *p = hd->head;
    size_t llen = 0, next;
    (void)text_line(p, hd->hlen, &llen, &next); /* a complete head: its first line ends */
    struct http_request_line rl;
    if (!http_parse_request_line(p, llen, &rl)) {
        stop_dir(ctx, h, dir, "bad_request_line");
        return;
    }
    struct http_txn *t = new_txn(ctx, h);
    if (!t) {
        stop_dir(ctx, h, dir, "pending_overflow");
        return;
    }
    ctx->st.requests++;
    t->has_req = true;
    t->req_ts = hd->msg_ts;
    set_text(t->method, sizeof t->method, rl.method, rl.method_len);
    t->uri_buf = dup_text(rl.uri, rl.uri_len);
    set_text(t->req_version, sizeof t->req_version, rl.version, 3);
    t->is_head = strcmp(t->method, "HEAD") == 0;
    t->is_connect = strcmp(t->method, "CONNECT") == 0;
    struct head_fields f;
    parse_fields(p, hd->hlen, t, true, &f);
    t->has_req_cl = f.has_cl;
    t->req_content_length = f.cl;
    t->req_chunked = http_chunked(f.te, f.te_len);
    if (f.bad_cl) {
        add_flag(t, "bad_content_length");
        ctx->st.bad_length++;
    }
    hd->txn = t;
    if (t->req_chunked)
        start_body(ctx, h, dir, HS_CHUNK_SIZE, 0, &f);
    else if (f.has_cl && !f.bad_cl)
        start_body(ctx, h, dir, HS_BODY_LEN, f.cl, &f);
    else
        start_body(ctx, h, dir, HS_HEAD, 0, &f);
}

static void response_head(struct http_ctx *ctx, struct http_conn *h, int dir)
{
    struct hdir *hd = &h->d[dir];
    const char *p = hd->head;
    size_t llen = 0, next;
    (void)text_line(p, hd->hlen, &llen, &next); /* a complete head: its first line ends */
    struct http_status_line sl;
    if (!http_parse_status_line(p, llen, &sl)) {
        stop_dir(ctx, h, dir, "bad_status_line");
        return;
    }
    uint16_t status = sl.status;
    struct http_txn *t = NULL;
    for (unsigned i = 0; i < h->npend && !t; i++)
        if (!h->pending[i]->has_resp)
            t = h->pending[i];
    if (status >= 100 && status < 200 && status != 101) { /* interim: skip it */
        if (t)
            t->interim = status, t->has_interim = true;
        finish_message(ctx, h, dir);
        return;
    }
    if (!t) {
        ctx->st.unmatched_responses++;
        t = new_txn(ctx, h);
        if (!t) {
            stop_dir(ctx, h, dir, "pending_overflow");
            return;
        }
        add_flag(t, "no_request");
    }
    ctx->st.responses++;
    t->has_resp = true;
    t->resp_ts = hd->msg_ts;
    t->status = status;
    set_text(t->resp_version, sizeof t->resp_version, sl.version, 3);
    if (sl.reason_len)
        set_text(t->reason, sizeof t->reason, sl.reason, sl.reason_len);
    struct head_fields f;
    parse_fields(p, hd->hlen, t, false, &f);
    t->has_resp_cl = f.has_cl;
    t->resp_content_length = f.cl;
    t->resp_chunked = http_chunked(f.te, f.te_len);
    if (f.ce)
        set_text(t->resp_content_encoding, sizeof t->resp_content_encoding, f.ce, f.ce_len);
    if (f.bad_cl) {
        add_flag(t, "bad_content_length");
        ctx->st.bad_length++;
    }
    hd->txn = t;
    bool tunnel = status == 101 || (t->is_connect && status >= 200 && status < 300);
    if (tunnel) {
        add_flag(t, "tunnel");
        finish_message(ctx, h, dir);
        for (int d = 0; d < 2; d++)
            stop_dir(ctx, h, d, "tunnel");
        return;
    }
    if (t->is_head || status == 204 || status == 304 || status < 200)
        start_body(ctx, h, dir, HS_HEAD, 0, &f);
    else if (t->resp_chunked)
        start_body(ctx, h, dir, HS_CHUNK_SIZE, 0, &f);
    else if (f.has_cl && !f.bad_cl)
        start_body(ctx, h, dir, HS_BODY_LEN, f.cl, &f);
    else
        start_body(ctx, h, dir, HS_BODY_CLOSE, 0, &f);
}

/* Append head bytes; returns bytes consumed, *complete when the empty
 * line ending the head was reached.  On a bound the direction stops. */
static size_t feed_head(struct http_ctx *ctx, struct http_conn *h, int dir, const uint8_t *p,
                        size_t n, bool *complete)
{
    struct hdir *hd = &h->d[dir];
    *complete = false;
    size_t room = HTTP_HEAD_MAX - hd->hlen, take = n < room ? n : room;
    if (hd->hlen + take > hd->hcap) {
        uint32_t cap = hd->hcap ? hd->hcap : 1024;
        while (cap < hd->hlen + take)
            cap *= 2;
        if (ctx->memory + (cap - hd->hcap) > ctx->memcap) {
            ctx->st.memcap_hits++;
            stop_dir(ctx, h, dir, "memcap");
            return n;
        }
        char *nb = realloc(hd->head, cap);
        if (!nb) {
            stop_dir(ctx, h, dir, "memcap");
            return n;
        }
        ctx->memory += cap - hd->hcap;
        hd->head = nb;
        hd->hcap = cap;
    }
    uint32_t old = hd->hlen;
    memcpy(hd->head + old, p, take);
    hd->hlen += (uint32_t)take;
    for (uint32_t i = old > 2 ? old - 2 : 0; i < hd->hlen; i++) {
        if (hd->head[i] != '\n')
            continue;
        /* "\n\n" or "\n\r\n" ends the head */
        uint32_t e = 0;
        if (i + 1 < hd->hlen && hd->head[i + 1] == '\n')
            e = i + 2;
        else if (i + 2 < hd->hlen && hd->head[i + 1] == '\r' && hd->head[i + 2] == '\n')
            e = i + 3;
        if (e && e > old) {
            hd->hlen = e;
            *complete = true;
            return e - old;
        }
    }
    if (hd->hlen == HTTP_HEAD_MAX) {
        ctx->st.head_too_large++;
        stop_dir(ctx, h, dir, "head_too_large");
        return n;
    }
    return take;
}

/* A CRLF- or LF-terminated line of a chunked body into hd->line.
 * 1: complete (without the line end), 0: need more, -1: too long. */
static int feed_line(struct hdir *hd, const uint8_t **p, size_t *n)
{
    while (*n) {
        uint8_t ch = **p;
        (*p)++, (*n)--;
        if (ch == '\n') {
            if (hd->llen && hd->line[hd->llen - 1] == '\r')
                hd->llen--;
            hd->line[hd->llen] = '\0';
            return 1;
        }
        if (hd->llen + 1 >= sizeof hd->line)
            return -1;
        hd->line[hd->llen++] = (char)ch;
    }
    return 0;
}

static void body_bytes(struct http_ctx *ctx, struct hdir *hd, const uint8_t *p, size_t n)
{
    body_data(&hd->body, p, n, &ctx->out);
}

/* True when p (a piece of data just after a gap, or a later piece)
 * starts a message of the direction's kind. */
static bool starts_message(const uint8_t *p, size_t n, bool request)
{
    if (!request)
        return n >= 7 && memcmp(p, "HTTP/1.", 7) == 0;
    return http_known_method((const char *)p, n);
}

/* A gap broke the framing of direction dir: finish what it was reading
 * (flagged) and wait for a piece that starts a new message. */
static void resync(struct http_ctx *ctx, struct http_conn *h, int dir)
{
    struct hdir *hd = &h->d[dir];
    if (hd->txn) {
        add_flag(hd->txn, "gap");
        finish_message(ctx, h, dir);
    }
    free_head(ctx, hd);
    hd->st = HS_RESYNC;
}

bool http_data(struct http_ctx *ctx, struct http_conn *h, int dir, const uint8_t *p, size_t n,
               uint64_t ts)
{
    struct hdir *hd = &h->d[dir];
    while (n > 0 && hd->st != HS_STOP && !h->not_http) {
        size_t take;
        int r;
        switch (hd->st) {
        case HS_HEAD: {
            if (hd->hlen == 0) {
                if (*p == '\r' || *p == '\n') { /* blank lines between messages */
                    p++, n--;
                    continue;
                }
                hd->msg_ts = ts;
            }
            bool complete;
            take = feed_head(ctx, h, dir, p, n, &complete);
            p += take, n -= take;
            if (hd->st == HS_STOP)
                break;
            int kind = http_start_kind(hd->head, hd->hlen);
            if (kind == -1 || (kind == 0 && complete)) {
                if (h->req_dir < 0) {
                    h->not_http = true;
                    free_head(ctx, hd);
                    return false;
                }
                stop_dir(ctx, h, dir, "not_http");
                break;
            }
            if (kind == 0)
                break;
            if (h->req_dir < 0) {
                h->req_dir = kind == 1 ? dir : !dir;
                ctx->st.connections++;
            }
            if ((kind == 1) != (dir == h->req_dir)) {
                stop_dir(ctx, h, dir, "wrong_direction");
                break;
            }
            if (!complete)
                break;
            if (kind == 1)
                request_head(ctx, h, dir);
            else
                response_head(ctx, h, dir);
            if (hd->head)
                hd->hlen = 0;
            break;
        }
        case HS_BODY_LEN:
        case HS_CHUNK_DATA:
            take = n < hd->remaining ? n : (size_t)hd->remaining;
            body_bytes(ctx, hd, p, take);
            p += take, n -= take;
            hd->remaining -= take;
            if (hd->remaining == 0) {
                if (hd->st == HS_BODY_LEN)
                    finish_message(ctx, h, dir);
                else
                    hd->st = HS_CHUNK_CRLF, hd->llen = 0;
            }
            break;
        case HS_BODY_CLOSE:
            body_bytes(ctx, hd, p, n);
            n = 0;
            break;
        case HS_RESYNC:
            if (starts_message(p, n, dir == h->req_dir)) {
                ctx->st.resyncs++;
                hd->st = HS_HEAD;
            } else {
                n = 0; /* skip the piece */
            }
            break;
        case HS_CHUNK_SIZE:
        case HS_CHUNK_CRLF:
        case HS_TRAILER:
            r = feed_line(hd, &p, &n);
            if (r < 0) {
                ctx->st.bad_chunk++;
                stop_dir(ctx, h, dir, "bad_chunk");
                break;
            }
            if (r == 0)
                break;
            hd->llen = 0;
            if (hd->st == HS_CHUNK_CRLF) {
                hd->st = HS_CHUNK_SIZE;
                if (hd->line[0]) { /* data longer than its chunk size said */
                    ctx->st.bad_chunk++;
                    stop_dir(ctx, h, dir, "bad_chunk");
                }
            } else if (hd->st == HS_TRAILER) {
                if (!hd->line[0])
                    finish_message(ctx, h, dir);
            } else {
                char *end;
                if (!isxdigit((unsigned char)hd->line[0])) {
                    ctx->st.bad_chunk++;
                    stop_dir(ctx, h, dir, "bad_chunk");
                    break;
                }
                unsigned long long size = strtoull(hd->line, &end, 16);
                if (*end && *end != ';' && *end != ' ' && *end != '\t') {
                    ctx->st.bad_chunk++;
                    stop_dir(ctx, h, dir, "bad_chunk");
                    break;
                }
                if (size == 0)
                    hd->st = HS_TRAILER;
                else
                    hd->st = HS_CHUNK_DATA, hd->remaining = size;
            }
            break;
        case HS_STOP:
            break;
        }
    }
    if (h->not_http)
        return false;
    return hd->st != HS_STOP;
}

void http_gap(struct http_ctx *ctx, struct http_conn *h, int dir, uint64_t n)
{
    struct hdir *hd = &h->d[dir];
    if (h->not_http)
        return;
    struct http_txn *t = hd->txn;
    bool req = dir == h->req_dir;
    if (t) {
        if (req)
            t->req_gap = true;
        else
            t->resp_gap = true;
    }
    switch (hd->st) {
    case HS_BODY_LEN:
        body_gap(&hd->body, n);
        if (n >= hd->remaining) {
            bool lost_sync = n > hd->remaining;
            hd->remaining = 0;
            finish_message(ctx, h, dir);
            if (lost_sync)
                resync(ctx, h, dir);
        } else {
            hd->remaining -= n;
        }
        break;
    case HS_BODY_CLOSE:
        body_gap(&hd->body, n);
        break;
    case HS_HEAD:
        if (h->req_dir < 0) {
            h->not_http = true; /* cannot tell what this is */
            free_head(ctx, hd);
            break;
        }
        resync(ctx, h, dir);
        break;
    case HS_CHUNK_SIZE:
    case HS_CHUNK_DATA:
    case HS_CHUNK_CRLF:
    case HS_TRAILER:
        body_gap(&hd->body, n);
        resync(ctx, h, dir);
        break;
    case HS_RESYNC:
    case HS_STOP:
        break;
    }
}

bool http_conn_done(const struct http_conn *h)
{
    return h->not_http || (h->d[0].st == HS_STOP && h->d[1].st == HS_STOP);
}

void http_conn_end(struct http_ctx *ctx, struct http_conn *h)
{
    for (int dir = 0; dir < 2; dir++) {
        struct hdir *hd = &h->d[dir];
        if (hd->txn && hd->st != HS_BODY_CLOSE && hd->st != HS_STOP)
            add_flag(hd->txn, dir == h->req_dir ? "req_truncated" : "resp_truncated");
        if (hd->txn)
            finish_message(ctx, h, dir);
        free_head(ctx, hd);
    }
    while (h->npend) {
        struct http_txn *t = h->pending[0];
        memmove(h->pending, h->pending + 1, --h->npend * sizeof *h->pending);
        if (t->has_req && !t->has_resp)
            add_flag(t, "no_response");
        emit(ctx, h, t);
    }
    ctx->memory -= sizeof *h;
    free(h);
}
