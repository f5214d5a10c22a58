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
 * (db/schema.c).
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
#include "../decode/http.h"
#include "http_body.h"
#include "../capture/reasm.h"

#define HTTP_HEAD_MAX 65536
#define HTTP_LINE_MAX 1024
#define HTTP_PENDING_MAX 32

/* struct http_txn, one transaction (a row of the http table): decode/http.h */

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
