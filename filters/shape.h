/* shape.h - message shapes: a template such as
 * "Failed %m for %u from %a port %p ssh2" compiled once into ops, and
 * matched against a message with the address attributed from the grammar.
 *
 * Fields:
 *   %u  user, client-written, any text (spaces and look-alike clauses too)
 *   %U  account name: a valid account, no spaces
 *   %t  target account, no spaces          %T  target, any text
 *   %b  acting local user, no spaces       %R  PAM ruser, any text
 *   %r  PAM ruser as a word or nothing (the services here set a local
 *       account or nothing)
 *   %a  numeric address (the source)       %h  address or host name
 *   %o  PAM rhost: address, name or empty  %c  address with /prefix
 *   %l  another address (local end), not kept
 *   %p  port    %n  count (N attempts)     %d  a number, not kept
 *   %z  a word or nothing, not kept (PAM's logname=, tty=)
 *   %m  method  %s  PAM service            %w  a word sshd writes, not kept
 *   %*  any text, not kept (reasons, banners, key IDs, client offers)
 *   %E  any text sshd itself writes (ssh_err() strings), not kept
 *   %%  a literal '%'
 * "Any text" fields are free: they may hold every literal of the shape.
 * Every other field is one token: no spaces, ended by the byte that starts
 * the literal after it.
 *
 * Attribution: the address is the one every parse of the line agrees on.
 * A parse is a way to split the line into the template's fields. With no
 * free field before the address the split is fixed; with free fields only
 * before it, the literal after the last free field starts with a space and
 * every later field is a token, so the number of spaces fixes the split
 * and the first candidate from the right is the only one; with free
 * fields on both sides every split is tried (bounded) and, unless all give
 * the same address, the source is unknown: a lost source rather than a
 * wrong one. */
#ifndef AG_SHAPE_H
#define AG_SHAPE_H

#include <stdint.h>
#include <string.h>

#include "filters/event.h"
#include "filters/match.h"

#define AG_SHAPE_OPS_MAX 32

struct ag_shape_op {
    uint8_t type;  /* 0 for a literal, else the field letter ('u', 'a', ...) */
    uint8_t order; /* free fields: 1 = from the right (unique), 2 = every split */
    uint16_t len;  /* literal length */
    uint8_t free;  /* a free field */
    uint8_t addr;  /* %a %l %h %c: checked once a whole split fits */
    uint8_t stop;  /* a token field ends at a space or at this byte */
    uint16_t last_sp; /* literal: offset of its last space (len: none) */
    const char *lit;
};

struct ag_shape {
    struct ag_shape_op op[AG_SHAPE_OPS_MAX];
    uint8_t n;
    uint8_t has_src;   /* a %a/%h/%o/%c field */
    uint8_t every;     /* some free field needs every split tried */
    uint8_t tail_free; /* ends with a free field: its text can mimic the
                          tail of another shape */
    uint16_t head_len; /* the literal the shape starts with (0: a field) */
    uint16_t tail_len; /* the literal it ends with (0: a field) */
    uint16_t min_len;  /* bytes of all its literals */
    /* Without a free field of order 2 (most shapes) a line has at most one
     * split that the matcher need find: the fixed ops from the left up to
     * the order-1 free field (split_at), whose end is the last place its
     * next literal starts such that the fixed rest fits; no search tree. */
    uint8_t simple;
    int8_t split_at; /* the order-1 free field, or -1 */
    int8_t src_op;   /* the %a/%h/%c field, or -1 */
    /* The ops from back_from on are fixed by the end of the line alone:
     * literals, and tokens after a literal holding a space (no token has
     * a space, so the last space before a token is its literal's). */
    int8_t back_from;
    uint8_t first_free; /* the first free field, or n: ops before it are
                           walked from the left alone */
};

/* Where a field or literal lies in the line. */
struct ag_shape_cap {
    const char *p, *e;
};

/* What the rows tried on one line share: the ops the last walked shape
 * matched from the left (or failed at). A shape that starts with the same
 * ops (see the catalogue's shared table) resumes after them, or fails at
 * once where the last one failed. Reset (valid = 0) for each line. */
struct ag_shape_prefix {
    uint8_t valid;
    uint8_t done;   /* ops of the fixed prefix matched */
    uint8_t failed; /* op `done` failed */
    struct ag_shape_cap cap[AG_SHAPE_OPS_MAX];
};

/* Compiles tpl. Returns 0, or -1 for a template that breaks the rules
 * above (two fields with no literal between, too many ops, a free field
 * before the address followed by a literal that does not start with a
 * space, an unknown field). */
int ag_shape_compile(struct ag_shape *s, const char *tpl);

/* Matches [p, e) against s and fills ev's fields. Returns 1 on a match
 * (ev->src is AG_AF_NONE when the parses disagree), 0 otherwise. ev's
 * fields are only written on a match. */
int ag_shape_match(const struct ag_shape *s, struct ag_event *ev, const char *p, const char *e);

/* Whether the ops from back_from on fit the end of [p, e), read from the
 * right: a line that fails this has no split at all. On success *at is
 * where op back_from starts. */
int ag_shape_back(const struct ag_shape *s, const char *p, const char *e, const char **at);

/* The cheapest checks: length, first and last literal. */
static inline int ag_shape_ends_ok(const struct ag_shape *s, const char *p, const char *e)
{
    size_t n = (size_t)(e - p);
    if (n < s->min_len)
        return 0;
    if (s->head_len && !ag_bytes_eq(p, s->op[0].lit, s->head_len))
        return 0;
    return s->tail_len == 0 || ag_bytes_eq(e - s->tail_len, s->op[s->n - 1].lit, s->tail_len);
}

/* The cheap checks before a match: the ends, then the fixed ops at the end
 * of the shape. Most rows tried on a line fail here, without a walk from
 * the left. */
static inline int ag_shape_may_match(const struct ag_shape *s, const char *p, const char *e)
{
    const char *at;
    return ag_shape_ends_ok(s, p, e) && (s->back_from >= s->n || ag_shape_back(s, p, e, &at));
}

/* ag_shape_match() with what ag_shape_back() found (back_at, or NULL):
 * when the only free field before the end is just before back_from, the
 * split is where back_at says, and no other split is tried. pre (or NULL)
 * holds the last shape walked on this line, of which s shares the first
 * `shared` ops (identical ops before either's first free field). */
int ag_shape_match_at(const struct ag_shape *s, struct ag_event *ev, const char *p, const char *e,
                      const char *back_at, struct ag_shape_prefix *pre, unsigned shared);

/* The fields of the first parse of [p, e): f0[i], f1[i] bound op i
 * (literals included). Returns 0 when s does not match. For tests. */
int ag_shape_fields(const struct ag_shape *s, const char *p, const char *e, const char **f0,
                    const char **f1);

/* True for the free field letters. */
int ag_shape_field_is_free(char type);
/* True for the free fields a client can write (all but %E). */
int ag_shape_field_is_client(char type);

#endif
