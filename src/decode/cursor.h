/*
 * cursor.h - the only way decoders read packet bytes.
 *
 * A cursor is a window (pointer + bytes left) into the captured buffer.
 * Every accessor checks the window before it reads and reports failure
 * instead of reading past the captured length, so a decoder never casts
 * packet bytes to a host struct and never touches memory beyond caplen.
 * Multi-byte reads are big-endian (network order) and return host-order
 * integers.  The idea is tcpdump's GET_BE_U_2 and its nd_uint16_t types:
 * truncation is detected in one place, not in every parser.
 */
#ifndef NETSIFT_CURSOR_H
#define NETSIFT_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cursor {
    const uint8_t *p; /* next unread byte */
    size_t left;      /* bytes that may still be read */
};

static inline struct cursor cursor_make(const uint8_t *p, size_t len)
{
    struct cursor c = {p, len};
    return c;
}

/* True when at least n bytes can be read. */
static inline bool cursor_has(const struct cursor *c, size_t n)
{
    return c->left >= n;
}

/* Advance by n bytes; false (cursor unchanged) when fewer are left. */
static inline bool cursor_skip(struct cursor *c, size_t n)
{
    if (c->left < n)
        return false;
    if (n) { /* an empty window may have a NULL pointer: no arithmetic on it */
        c->p += n;
        c->left -= n;
    }
    return true;
}

/* A sub-cursor over the next n bytes (or fewer, clipped to what is left). */
static inline struct cursor cursor_sub(const struct cursor *c, size_t n)
{
    struct cursor s = {c->p, n < c->left ? n : c->left};
    return s;
}

/* Read at byte offset off without moving the cursor. */
static inline bool cursor_peek_u8(const struct cursor *c, size_t off, uint8_t *v)
{
    if (off >= c->left)
        return false;
    *v = c->p[off];
    return true;
}

static inline bool cursor_peek_be16(const struct cursor *c, size_t off, uint16_t *v)
{
    if (c->left < 2 || off > c->left - 2)
        return false;
    *v = (uint16_t)((uint16_t)c->p[off] << 8 | c->p[off + 1]);
    return true;
}

static inline bool cursor_peek_be32(const struct cursor *c, size_t off, uint32_t *v)
{
    if (c->left < 4 || off > c->left - 4)
        return false;
    const uint8_t *b = c->p + off;
    *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return true;
}

static inline bool cursor_get_u8(struct cursor *c, uint8_t *v)
{
    return cursor_peek_u8(c, 0, v) && cursor_skip(c, 1);
}

static inline bool cursor_get_be16(struct cursor *c, uint16_t *v)
{
    return cursor_peek_be16(c, 0, v) && cursor_skip(c, 2);
}

static inline bool cursor_get_be32(struct cursor *c, uint32_t *v)
{
    return cursor_peek_be32(c, 0, v) && cursor_skip(c, 4);
}

/* Copy n bytes out; false (nothing copied) when fewer are left. */
static inline bool cursor_get_bytes(struct cursor *c, void *dst, size_t n)
{
    if (c->left < n)
        return false;
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)dst)[i] = c->p[i];
    c->p += n;
    c->left -= n;
    return true;
}

#endif
