/*
 * http.h - HTTP/1.x transactions from reassembled TCP streams.
 *
 * An http_conn follows one TCP connection: it is fed each direction's
 * bytes in order (reasm.h data callback) and its gaps, parses request
 * and response heads (request line, status line, Host, User-Agent,
 * Content-Type, Content-Length, Transfer-Encoding, Content-Encoding),
 * follows bodies (Content-Length, chunked, until close; none for HEAD
 * requests, 1xx, 204 and 304), keeps several requests pending
 * (keep-alive, pipelining) and pairs each response with the oldest
 * request without one.  Interim 1xx responses (100 Continue) are noted
 * and skipped.  CONNECT with a 2xx answer and 101 Switching Protocols
 * end parsing (the rest is not HTTP).  Each finished transaction goes to
 * the emit callback as one struct http_txn: the row of the http table
 * (store/schema.c).
 *
 * Which side is the client is decided by the bytes: the side whose
 * first bytes are a request line.  A connection whose first bytes are
 * neither a request nor a response line is not HTTP: http_data()
 * returns false and the connection is left alone.
 *
 * A gap inside a Content-Length body only shortens what is left of it.
 * A gap that breaks framing (in a head, a chunked body, or past the end of
 * a body) finishes the message being read (flag gap) and the direction
 * waits for a reassembled piece that starts with a request method or
 * "HTTP/1." (as tshark picks up after lost segments).
 *
 * Bounds (hostile input): a message head is at most HTTP_HEAD_MAX bytes,
 * a chunk-size line HTTP_LINE_MAX, at most HTTP_PENDING_MAX requests wait
 * for their responses (older ones are emitted unanswered), and head
 * buffers of all connections of a context stay under ctx->memcap.  Going
 * over a bound sets a flag on the transaction and stops parsing that
 * direction; it never blocks.
 */
#ifndef NETSIFT_HTTP_H
#define NETSIFT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decode/community_id.h"
#include "http_body.h"
#include "reasm.h"

#define HTTP_HEAD_MAX 65536
#define HTTP_LINE_MAX 1024
#define HTTP_PENDING_MAX 32
#define HTTP_FLAGS_MAX 160

/* One transaction: the record of a row of the http table.  Text fields
 * are NUL-terminated and cut to their size; empty means absent. */
struct http_txn {
    /* the connection */
    uint64_t conn_ts;               /* its first packet */
    char client_ip[48], server_ip[48]; /* ADDR_TEXT_MAX */
    uint16_t client_port, server_port;
    char client_mac[18], server_mac[18];
    uint32_t depth;                 /* 0, 1, ...: transaction number in the connection */
    char community_id[COMMUNITY_ID_SIZE]; /* Community ID v1 of the connection */
    /* request */
    bool has_req;
    uint64_t req_ts;                /* packet time of its first byte */
    char method[24];
    const char *uri;                /* heap copy (up to HTTP_HEAD_MAX); NULL when no request */
    char req_version[12];
    char host[256];
    char user_agent[512];
    char req_content_type[128];
    bool has_req_cl, req_chunked, req_gap;
    uint64_t req_content_length;
    uint64_t req_body_len, req_body_size; /* transferred (dechunked) / content (decoded) */
    char req_body_sha256[65];
    /* response */
    bool has_resp;
    uint64_t resp_ts;
    char resp_version[12];
    uint16_t status;
    char reason[128];
    char resp_content_type[128];
    char resp_content_encoding[64];
    bool has_resp_cl, resp_chunked, resp_gap;
    uint64_t resp_content_length;
    uint64_t resp_body_len, resp_body_size;
    char resp_body_sha256[65];
    bool has_interim;
    uint16_t interim;               /* status of the last 1xx interim response (100) */
    char flags[HTTP_FLAGS_MAX];     /* anomalies, comma-separated (docs/streams.md) */
    /* parser state, not stored */
    bool req_done, resp_done, is_head, is_connect;
    char *uri_buf;
};

struct http_stats {
    uint64_t connections;     /* connections recognised as HTTP */
    uint64_t requests, responses, transactions;
    uint64_t unmatched_responses; /* responses without a pending request */
    uint64_t head_too_large, bad_chunk, bad_length, pending_overflow, memcap_hits;
    uint64_t gaps;            /* transactions with a gap in either body or head */
    uint64_t resyncs;         /* messages found again after a gap broke framing */
    uint64_t decode_errors;
};

struct http_ctx {
    struct body_out out;
    uint64_t memory, memcap; /* bytes of head buffers and transactions, all connections */
    struct http_stats st;
    void (*emit)(void *user, const struct reasm_conn *c, struct http_txn *t);
    void *user;
};

struct http_conn;

/* Bytes one http_conn takes (counted in ctx->memory while it lives). */
size_t http_conn_size(void);

/* NULL when out of memory. */
struct http_conn *http_conn_new(struct http_ctx *ctx, const struct reasm_conn *c);
/* Bytes of direction dir (reasm's: 0 client side as guessed).  False
 * when the direction needs no more bytes (not HTTP, or given up). */
bool http_data(struct http_ctx *ctx, struct http_conn *h, int dir, const uint8_t *p, size_t n,
               uint64_t ts);
void http_gap(struct http_ctx *ctx, struct http_conn *h, int dir, uint64_t n);
/* True when neither direction will be parsed any more (not HTTP, or both
 * stopped): the caller may end h at once to give its memory back. */
bool http_conn_done(const struct http_conn *h);
/* The connection ended: finish close-delimited bodies, emit every
 * pending transaction, free h. */
void http_conn_end(struct http_ctx *ctx, struct http_conn *h);

#endif
