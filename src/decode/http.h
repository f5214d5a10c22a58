/*
 * http.h - HTTP/1.x message heads: the one parser of request lines,
 * status lines and header fields, and the record of one transaction.
 *
 * Every consumer of HTTP reads heads through these functions: the
 * transaction engine over reassembled streams (stream/http.c: the http
 * table, --extract-files) and the monitor's device clues (Host and
 * User-Agent of a request, monitor/cleartext.c).  They take bytes and a
 * length and never read past it; nothing is copied or allocated.
 *
 * struct http_txn is one row of headers.sqlite's http table: its columns
 * are described in db/schema.c, filled by stream/http.c.
 */
#ifndef NETSIFT_DECODE_HTTP_H
#define NETSIFT_DECODE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "community_id.h"

#define HTTP_FLAGS_MAX 160
#define HTTP_METHOD_MAX 20 /* longest method token a request line may start with */

/* True when p starts with a method HTTP/1.x clients send ("GET ", "POST ",
 * "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "PATCH ", "TRACE "). */
bool http_known_method(const char *p, size_t n);

/* What the first bytes of a direction are: 1 a request line (a token of
 * upper-case letters, '-' or '_' and a blank), 2 a status line ("HTTP/"),
 * 0 too few bytes to tell, -1 neither. */
int http_start_kind(const char *p, size_t n);

/* True when p[0..n) is exactly "HTTP/d.d". */
bool http_version(const char *p, size_t n);

/* A request line without its CR LF: METHOD SP URI SP HTTP/d.d (the URI
 * is what lies between the first and the last blank, blanks included). */
struct http_request_line {
    const char *method, *uri, *version; /* version: "d.d" */
    size_t method_len, uri_len;
};
bool http_parse_request_line(const char *p, size_t len, struct http_request_line *out);

/* A status line without its CR LF: HTTP/d.d SP 3DIGIT [SP reason]. */
struct http_status_line {
    const char *version, *reason; /* version: "d.d"; reason: may be empty */
    size_t reason_len;
    uint16_t status;
};
bool http_parse_status_line(const char *p, size_t len, struct http_status_line *out);

/* The header fields of a head: begin with the whole head (start line
 * first), then http_field_next() gives each "name: value" line (value
 * without surrounding blanks; lines without a colon are skipped) until
 * the empty line ending the head (it->complete set) or the end of the
 * complete lines given (it->complete false). */
struct http_field_iter {
    const char *p, *end;
    bool complete;
};
struct http_field {
    const char *name, *value;
    size_t name_len, value_len;
};
/* False when the start line itself is not complete. */
bool http_fields_begin(struct http_field_iter *it, const char *head, size_t n);
bool http_field_next(struct http_field_iter *it, struct http_field *f);
/* True when the field's name is `name`, case-insensitively. */
bool http_field_is(const struct http_field *f, const char *name);

/* A decimal Content-Length value; false when it is not one. */
bool http_content_length(const char *v, size_t n, uint64_t *out);

/* True when the last coding of a Transfer-Encoding value is chunked. */
bool http_chunked(const char *te, size_t n);

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
    const char *uri;                /* heap copy (up to a head's size); NULL when no request */
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

#endif
