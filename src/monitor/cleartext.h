/*
 * cleartext.h - the first bytes of clear-text protocols that identify a
 * device: an HTTP request's Host and User-Agent headers, and an SSH
 * identification line ("SSH-2.0-OpenSSH_9.2p1 Debian-2").
 *
 * Both read a stream prefix (stream_prefix.h): the first bytes one side
 * sent, in order.  With final false they answer CT_MORE until the part
 * they need is complete; with final true (no more bytes will come) they
 * take what is there.  Values are fingerprint text (fingerprint.h):
 * escaped, cut at FP_TEXT_MAX bytes, the HTTP host lower-cased.
 */
#ifndef NETSIFT_CLEARTEXT_H
#define NETSIFT_CLEARTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fingerprint.h"

enum ct_status { CT_MORE, CT_DONE, CT_BAD };

#define FP_HTTP_HEAD_MAX 4096 /* request line and headers read at most */
#define SSH_BANNER_MAX 255 /* RFC 4253: the line with CR LF */

/* True when the bytes start like an HTTP/1.x request ("GET ", "POST ", ...). */
bool http_is_request(const uint8_t *p, size_t n);

/* Host and User-Agent of the request in p[0..n) ("" when absent). */
enum ct_status http_parse_request(const uint8_t *p, size_t n, bool final,
                                  char host[FP_TEXT_MAX + 1], char user_agent[FP_TEXT_MAX + 1]);

/* True when the bytes start like an SSH identification line ("SSH-"). */
bool ssh_is_banner(const uint8_t *p, size_t n);

/* The identification line without CR LF. */
enum ct_status ssh_parse_banner(const uint8_t *p, size_t n, bool final,
                                char banner[FP_TEXT_MAX + 1]);

#endif
