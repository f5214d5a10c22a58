/*
 * text.h - turning packet bytes into safe, printable database text.
 *
 * Everything from a packet that is stored as TEXT goes through here, so
 * the database only ever holds valid UTF-8: printable ASCII and valid
 * multi-byte UTF-8 sequences pass through, every other byte becomes a
 * \DDD decimal escape (as dig prints DNS names), and a backslash becomes
 * "\\".  Addresses have fixed formats: MACs and other hardware addresses
 * lower-case colon-separated hex, IPv4 dotted quad, IPv6 RFC 5952.
 */
#ifndef NETSIFT_TEXT_H
#define NETSIFT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest formatted address: an IPv6 address or 16 bytes of colon hex. */
#define ADDR_TEXT_MAX 48

/*
 * Escape n bytes into out (out_size bytes, always NUL-terminated when
 * out_size > 0).  With escape_dot, '.' also becomes "\." (DNS labels).
 * Returns the length written, or (size_t)-1 when out was too small
 * (out then holds a truncated, still valid, string).
 */
size_t text_escape(const uint8_t *in, size_t n, char *out, size_t out_size,
                   bool escape_dot);

/* "aa:bb:cc" lower-case hex of n bytes; out needs 3*n bytes (n <= 16). */
void format_hex_colon(const uint8_t *in, size_t n, char *out);

void format_ip4(const uint8_t addr[4], char out[16]);
void format_ip6(const uint8_t addr[16], char out[ADDR_TEXT_MAX]);

/* A protocol or hardware address of any size: 4 bytes IPv4, 16 bytes
 * IPv6, otherwise colon hex (at most 16 bytes shown). */
void format_addr(const uint8_t *in, size_t n, char out[ADDR_TEXT_MAX]);

#define TEXT_FIELD_MAX 255 /* bytes of a name, banner, user agent or list taken from traffic */

/* Packet bytes as bounded text: escaped (text_escape), cut at max bytes
 * (at most TEXT_FIELD_MAX) without splitting an escape or a character,
 * lower-cased on request.  Returns out. */
char *text_field(const uint8_t *in, size_t n, size_t max, bool lower_case,
                 char out[TEXT_FIELD_MAX + 1]);
/* Text that is already escaped (a DNS name in presentation form): cut and
 * lower-cased as text_field() does.  Returns out. */
char *text_cut(const char *in, size_t max, bool lower_case, char out[TEXT_FIELD_MAX + 1]);

/* Copy the string src into dst (size bytes), cut to fit, always
 * NUL-terminated when size > 0. */
void copy_str(char *dst, size_t size, const char *src);

/* The line at p[0..n) (protocol text: HTTP heads, SSH identification):
 * its length without CR LF in *len, the offset of the next line in
 * *next.  False when no LF ends it within n. */
bool text_line(const char *p, size_t n, size_t *len, size_t *next);

#endif
