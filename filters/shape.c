/* shape.c - compiles message templates into ops and matches them, with the
 * address taken only where every parse of the line agrees (see shape.h). */
#include "filters/shape.h"

#include <string.h>

#include "filters/match.h"

/* Candidate splits tried per line and shape: a crafted line with many
 * look-alike clauses costs at most this many, and then has no source. */
#define SPLIT_BUDGET 64

int ag_shape_field_is_free(char type)
{
    return type == 'u' || type == 'T' || type == 'R' || type == '*' || type == 'E';
}

int ag_shape_field_is_client(char type)
{
    return type != 'E' && ag_shape_field_is_free(type);
}

static int is_src_field(char type)
{
    return type == 'a' || type == 'h' || type == 'o' || type == 'c' || type == 'p';
}

static int known_field(char c)
{
    return strchr("uUtTbrRahoclpndmswzE*", c) != NULL;
}

static int push(struct ag_shape *s, uint8_t type, const char *lit, size_t len)
{
    if (s->n >= AG_SHAPE_OPS_MAX)
        return -1;
    struct ag_shape_op *o = &s->op[s->n++];
    o->type = type;
    o->order = 0;
    o->lit = lit;
    o->len = (uint16_t)len;
    return 0;
}

/* Splits tpl into literals and fields. A "%%" ends the literal before it
 * and starts a new one at the second '%'. */
static int tokenize(struct ag_shape *s, const char *tpl)
{
    const char *p = tpl;
    const char *lit = p;
    while (*p) {
        if (*p != '%') {
            p++;
            continue;
        }
        if (p > lit && push(s, 0, lit, (size_t)(p - lit)) < 0)
            return -1;
        if (p[1] == '%') {
            lit = p + 1;
            p += 2;
            continue;
        }
        if (!known_field(p[1]) || push(s, (uint8_t)p[1], NULL, 0) < 0)
            return -1;
        p += 2;
        lit = p;
    }
    if (p > lit && push(s, 0, lit, (size_t)(p - lit)) < 0)
        return -1;
    return 0;
}

/* Orders the free fields (see shape.h) and checks the rules. */
static int plan(struct ag_shape *s)
{
    for (int i = 0; i < s->n; i++) {
        struct ag_shape_op *o = &s->op[i];
        if (o->type == 0)
            continue;
        if (i + 1 < s->n && s->op[i + 1].type != 0)
            return -1; /* two fields with no literal to part them */
        if (is_src_field((char)o->type))
            s->has_src = 1;
        if (!ag_shape_field_is_free((char)o->type) || i + 1 == s->n)
            continue;
        int later_free = 0, later_src = 0;
        for (int j = i + 1; j < s->n; j++) {
            later_free |= ag_shape_field_is_free((char)s->op[j].type);
            later_src |= is_src_field((char)s->op[j].type);
        }
        o->order = later_free ? 2 : 1;
        if (later_src && later_free)
            s->every = 1;
        /* The space count argument needs a space at the candidate. */
        if (later_src && !later_free && s->op[i + 1].lit[0] != ' ')
            return -1;
    }
    return 0;
}

static int is_addr_field(char type)
{
    return type == 'a' || type == 'l' || type == 'h' || type == 'c';
}

/* What the matcher needs per op and per shape, worked out once. */
static void annotate(struct ag_shape *s)
{
    s->simple = 1;
    s->split_at = -1;
    s->src_op = -1;
    s->first_free = s->n;
    int n_src = 0;
    for (int i = 0; i < s->n; i++) {
        struct ag_shape_op *o = &s->op[i];
        char t = (char)o->type;
        if (t == 0)
            continue;
        o->free = (uint8_t)ag_shape_field_is_free(t);
        if (o->free && s->first_free == s->n)
            s->first_free = (uint8_t)i;
        o->addr = (uint8_t)is_addr_field(t);
        o->stop = i + 1 < s->n ? (uint8_t)s->op[i + 1].lit[0] : (uint8_t)' ';
        if (o->order == 2)
            s->simple = 0;
        if (o->order == 1)
            s->split_at = (int8_t)i;
        if (t == 'a' || t == 'h' || t == 'c') {
            s->src_op = (int8_t)i;
            n_src++;
        }
    }
    if (n_src > 1)
        s->src_op = -1;
    for (int i = 0; i < s->n; i++) {
        struct ag_shape_op *o = &s->op[i];
        o->last_sp = o->len;
        for (int k = 0; o->type == 0 && k < o->len; k++)
            if (o->lit[k] == ' ')
                o->last_sp = (uint16_t)k;
    }
    s->back_from = (int8_t)s->n;
    for (int i = s->n - 1; i >= 0; i--) {
        const struct ag_shape_op *o = &s->op[i];
        if (o->type != 0 && (o->free || i == 0 || s->op[i - 1].last_sp == s->op[i - 1].len))
            break;
        s->back_from = (int8_t)i;
    }
}

/* See shape.h. A token found from the right ends where the literal after
 * it starts; it starts after the last space before that, plus the bytes
 * of its literal after that literal's last space. A successful walk from
 * the left puts every one of these ops exactly there, so a line that does
 * not fit has no split. */
int ag_shape_back(const struct ag_shape *s, const char *p, const char *e, const char **at)
{
    const char *q = e;
    for (int i = s->n - 1; i >= s->back_from; i--) {
        const struct ag_shape_op *o = &s->op[i];
        if (o->type == 0) {
            if ((size_t)(q - p) < o->len || !ag_bytes_eq(q - o->len, o->lit, o->len))
                return 0;
            q -= o->len;
            continue;
        }
        const struct ag_shape_op *L = &s->op[i - 1];
        const char *sp = ag_word_start(p, q);
        if (sp == p)
            return 0; /* no space for the literal's */
        const char *t = sp - 1 + (L->len - L->last_sp);
        if (t > q || (o->stop != ' ' && memchr(t, o->stop, (size_t)(q - t)) != NULL))
            return 0;
        q = t;
    }
    *at = q;
    return 1;
}

int ag_shape_compile(struct ag_shape *s, const char *tpl)
{
    memset(s, 0, sizeof *s);
    if (tokenize(s, tpl) < 0 || plan(s) < 0)
        return -1;
    annotate(s);
    /* A final PAM rhost= can also be read into the ruser before it. */
    char last = s->n > 0 ? (char)s->op[s->n - 1].type : 0;
    for (int i = 0; i < s->n; i++)
        s->min_len = (uint16_t)(s->min_len + s->op[i].len);
    if (s->n > 0 && s->op[0].type == 0)
        s->head_len = s->op[0].len;
    if (s->n > 1 && last == 0)
        s->tail_len = s->op[s->n - 1].len;
    s->tail_free = last != 0 && (ag_shape_field_is_client(last) || last == 'o');
    return 0;
}

/* ---- matching -------------------------------------------------------------- */



struct run {
    const struct ag_shape *s;
    const char *end;
    struct ag_shape_cap *cur; /* the split being tried */
    struct ag_shape_cap best[AG_SHAPE_OPS_MAX];
    int done; /* ops walk_fixed() matched before it failed */
    const struct ag_shape_cap *result; /* cur (simple shapes) or best */
    int parses;
    int disagree;
    int stop;
    int budget;
    /* the source field's address as parsed when the split was checked, so
     * that a match parses it once (simple shapes only) */
    struct ag_addr src;
    int src_parsed;
};

static int method_of(const char *p, const char *e)
{
    size_t n = (size_t)(e - p);
    switch (p[0]) {
    case 'p':
        if (n == 8 && memcmp(p, "password", 8) == 0)
            return AG_M_PASSWORD;
        if (n == 9 && memcmp(p, "publickey", 9) == 0)
            return AG_M_PUBLICKEY;
        break;
    case 'k':
        if (n >= 20 && memcmp(p, "keyboard-interactive", 20) == 0)
            return AG_M_KBDINT; /* also ".../pam" */
        break;
    case 'h':
        if (n == 9 && memcmp(p, "hostbased", 9) == 0)
            return AG_M_HOSTBASED;
        break;
    case 'g':
        if (n >= 6 && memcmp(p, "gssapi", 6) == 0)
            return AG_M_GSSAPI;
        break;
    case 'n':
        if (n == 4 && memcmp(p, "none", 4) == 0)
            return AG_M_NONE_METHOD;
        break;
    case 'r':
        if (n == 3 && memcmp(p, "rsa", 3) == 0)
            return AG_M_PUBLICKEY; /* SSH-1 RSA authentication */
        break;
    }
    return AG_M_NONE;
}

static int all_digits(const char *p, const char *e, size_t max)
{
    if (p == e || (size_t)(e - p) > max)
        return 0;
    for (; p < e; p++)
        if (!ag_is_digit(*p))
            return 0;
    return 1;
}

/* "ADDR/BITS" as sshd's penalty lines print a source. */
static int cidr_addr(const char *p, const char *e, const char **a1)
{
    const char *sl = ag_find_byte(p, e, '/');
    struct ag_addr a;
    if (sl == e || !all_digits(sl + 1, e, 3) || ag_addr_parse(p, (size_t)(sl - p), &a) < 0)
        return 0;
    *a1 = sl;
    return 1;
}

/* Whether the token [p, e) fits the field. */
static inline int token_ok(char type, const char *p, const char *e)
{
    struct ag_addr a;
    const char *a1;
    uint32_t v;
    switch (type) {
    case 'o':
    case 'z':
    case 'r':
        return 1;
    case 'a':
    case 'l':
        return p < e && ag_addr_parse(p, (size_t)(e - p), &a) == 0;
    case 'h':
        return p < e && (ag_addr_parse(p, (size_t)(e - p), &a) == 0 || ag_looks_like_hostname(p, e));
    case 'c':
        return cidr_addr(p, e, &a1);
    case 'p': {
        uint16_t port;
        const char *q = p;
        return ag_take_port(&q, e, &port) == 0 && q == e;
    }
    case 'n': {
        const char *q = p;
        return ag_take_uint(&q, e, 5, 65535, &v) == 0 && q == e && v > 0;
    }
    case 'd':
        return all_digits(p, e, 20);
    case 'U':
    case 't':
    case 'b':
        return p < e && e - p <= AG_USER_MAX;
    default:
        return p < e;
    }
}

static int same(struct ag_shape_cap a, struct ag_shape_cap b)
{
    return a.e - a.p == b.e - b.p && memcmp(a.p, b.p, (size_t)(a.e - a.p)) == 0;
}

/* Addresses are checked once a whole split fits: most rows tried on a line
 * fail on a literal, and parsing their addresses first would cost more
 * than everything else. The source's address is kept for apply(). */
static int addresses_ok(struct run *r)
{
    const struct ag_shape *s = r->s;
    r->src_parsed = 0;
    for (int i = 0; i < s->n; i++) {
        const struct ag_shape_op *o = &s->op[i];
        if (!o->addr)
            continue;
        const char *p = r->cur[i].p, *e = r->cur[i].e;
        if (i == s->src_op && o->type != 'c') {
            if (p < e && ag_addr_parse(p, (size_t)(e - p), &r->src) == 0) {
                r->src_parsed = 1;
                continue;
            }
            if (o->type == 'h' && p < e && ag_looks_like_hostname(p, e))
                continue;
            return 0;
        }
        if (!token_ok((char)o->type, p, e))
            return 0;
    }
    return 1;
}

static int complete(struct run *r)
{
    if (!addresses_ok(r))
        return 0;
    if (r->parses++ == 0) {
        memcpy(r->best, r->cur, sizeof r->cur[0] * r->s->n);
    } else {
        for (int i = 0; i < r->s->n; i++)
            if (is_src_field((char)r->s->op[i].type) && !same(r->cur[i], r->best[i]))
                r->disagree = 1;
    }
    if (!r->s->every || r->disagree)
        r->stop = 1;
    return 1;
}

/* A token field from p: up to a space or the byte its next literal starts
 * with. Returns its end, or NULL when the token does not fit the field. */
static inline const char *take_token(const struct ag_shape_op *o, const char *p, const char *e)
{
    const char *q = ag_find_either(p, e, ' ', (char)o->stop);
    if (o->addr ? p == q : !token_ok((char)o->type, p, q))
        return NULL;
    return q;
}

static inline int lit_at(const struct ag_shape_op *o, const char *p, const char *e)
{
    return (size_t)(e - p) >= o->len && p[0] == o->lit[0] && ag_bytes_eq(p, o->lit, o->len);
}

/* Ops [i, n) from p, none of them free but a last one: fills r->cur
 * (literals too) and returns where they end, or NULL with r->done at the
 * op that failed. */
static const char *walk_fixed(struct run *r, int i, int n, const char *p)
{
    const struct ag_shape_op *op = r->s->op;
    const char *e = r->end;
    for (; i < n; i++) {
        const struct ag_shape_op *o = &op[i];
        if (o->type == 0) {
            if (!lit_at(o, p, e))
                goto fail;
            r->cur[i] = (struct ag_shape_cap){p, p + o->len};
            p += o->len;
            continue;
        }
        if (o->free) { /* the last op: the rest of the line */
            r->cur[i] = (struct ag_shape_cap){p, e};
            p = e;
            continue;
        }
        const char *q = take_token(o, p, e);
        if (q == NULL)
            goto fail;
        r->cur[i] = (struct ag_shape_cap){p, q};
        p = q;
    }
    r->done = n;
    return p;
fail:
    r->done = i;
    return NULL;
}

/* A simple shape (see shape.h): the fixed ops before the order-1 free
 * field from the left, then its candidate ends from the right, the first
 * one after which the rest fits, as walk_free() would find it. */
static int match_simple(struct run *r, const char *p, const char *back_at)
{
    const struct ag_shape *s = r->s;
    const char *e = r->end;
    int k = s->split_at;
    if (k < 0) {
        const char *q = walk_fixed(r, s->first_free, s->n, p);
        return q == e && addresses_ok(r);
    }
    if (back_at != NULL && s->back_from == k + 1) {
        /* the ops after the free field are fixed from the right: the one
         * place its next literal can start */
        if (back_at < p)
            return 0;
        r->cur[k] = (struct ag_shape_cap){p, back_at};
        return walk_fixed(r, k + 1, s->n, back_at) == e && addresses_ok(r);
    }
    const struct ag_shape_op *L = &s->op[k + 1];
    const char *hi = e;
    const char *q;
    while ((q = ag_rfind(p, hi, L->lit, L->len)) != NULL) {
        if (--r->budget < 0) {
            r->disagree = 1;
            return 0;
        }
        r->cur[k] = (struct ag_shape_cap){p, q};
        if (walk_fixed(r, k + 1, s->n, q) == e && addresses_ok(r))
            return 1;
        hi = q + L->len - 1;
    }
    return 0;
}

static int walk(struct run *r, int i, const char *p);

/* A free field: its end is one of the places where the next literal
 * starts. */
static int walk_free(struct run *r, int i, const char *p)
{
    const struct ag_shape_op *o = &r->s->op[i];
    const char *e = r->end;
    if (i + 1 == r->s->n) {
        r->cur[i] = (struct ag_shape_cap){p, e};
        return walk(r, i + 1, e);
    }
    const struct ag_shape_op *L = &r->s->op[i + 1];
    int found = 0;
    if (o->order == 1) {
        const char *hi = e;
        const char *q;
        while ((q = ag_rfind(p, hi, L->lit, L->len)) != NULL) {
            if (--r->budget < 0) {
                r->disagree = 1;
                return 0;
            }
            r->cur[i] = (struct ag_shape_cap){p, q};
            if (walk(r, i + 1, q))
                return 1;
            hi = q + L->len - 1;
        }
        return 0;
    }
    const char *q = p;
    while (!r->stop && (q = ag_find(q, e, L->lit, L->len)) != NULL) {
        if (--r->budget < 0) {
            r->disagree = 1;
            r->stop = 1;
            break;
        }
        r->cur[i] = (struct ag_shape_cap){p, q};
        found |= walk(r, i + 1, q);
        q++;
    }
    return found;
}

/* The general case: every split, depth first. */
static int walk(struct run *r, int i, const char *p)
{
    const char *e = r->end;
    if (i == r->s->n)
        return p == e ? complete(r) : 0;
    const struct ag_shape_op *o = &r->s->op[i];
    if (o->type == 0) {
        if (!lit_at(o, p, e))
            return 0;
        return walk(r, i + 1, p + o->len);
    }
    if (o->free)
        return walk_free(r, i, p);
    const char *q = take_token(o, p, e);
    if (q == NULL)
        return 0;
    r->cur[i] = (struct ag_shape_cap){p, q};
    return walk(r, i + 1, q);
}

static void apply(const struct run *r, struct ag_event *ev, int src_ok)
{
    const struct ag_shape *s = r->s;
    const struct ag_shape_cap *c = r->result;
    for (int i = 0; i < s->n; i++) {
        if (i == s->src_op && r->src_parsed) {
            if (src_ok)
                ev->src = r->src; /* as ag_set_addr() would parse it */
            continue;
        }
        const char *p = c[i].p, *e = c[i].e;
        const char *a1;
        uint32_t v;
        switch (s->op[i].type) {
        case 'u':
        case 'U':
            ag_set_user(ev, p, e);
            break;
        case 't':
        case 'T':
            if (e > p && e - p <= AG_USER_MAX)
                ev->target = ag_span_at(ev, p, e);
            break;
        case 'b':
        case 'r':
        case 'R':
            if (e > p && e - p <= AG_USER_MAX)
                ev->ruser = ag_span_at(ev, p, e);
            break;
        case 'a':
            if (src_ok)
                ag_set_addr(ev, p, e);
            break;
        case 'h':
        case 'o':
            if (src_ok && e > p)
                ag_set_src(ev, p, e); /* unreadable: no source, never a wrong one */
            break;
        case 'c':
            if (src_ok && cidr_addr(p, e, &a1))
                ag_set_addr(ev, p, a1);
            break;
        case 'p':
            if (src_ok)
                ag_take_port(&p, e, &ev->src_port);
            break;
        case 'n':
            if (ag_take_uint(&p, e, 5, 65535, &v) == 0)
                ev->count = (uint16_t)v;
            break;
        case 'm':
            ev->method = (uint8_t)method_of(p, e);
            break;
        case 's':
            ev->service = ag_span_at(ev, p, e);
            break;
        default:
            break;
        }
    }
}

/* The fixed prefix from the left (resumed from pre where it is shared),
 * then the rest: the one split of a simple shape, else every split. */
static int run_shape(struct run *r, const struct ag_shape *s, const char *p, const char *e,
                     const char *back_at, struct ag_shape_prefix *pre, unsigned shared)
{
    r->s = s;
    r->end = e;
    r->parses = 0;
    r->disagree = 0;
    r->stop = 0;
    r->budget = SPLIT_BUDGET;
    r->src_parsed = 0;
    unsigned start = 0;
    if (pre->valid) {
        if (pre->failed && shared > pre->done)
            return 0; /* fails where the last shape did */
        start = shared < pre->done ? shared : pre->done;
        if (start > 0)
            p = pre->cap[start - 1].e;
    }
    r->cur = pre->cap;
    p = walk_fixed(r, (int)start, s->first_free, p);
    pre->valid = 1;
    pre->done = (uint8_t)r->done;
    pre->failed = p == NULL;
    if (p == NULL)
        return 0;
    if (s->simple) {
        r->result = r->cur;
        return match_simple(r, p, back_at);
    }
    r->result = r->best;
    walk(r, s->first_free, p);
    r->src_parsed = 0; /* parsed for the last split tried, not best's */
    return r->parses > 0;
}

int ag_shape_match_at(const struct ag_shape *s, struct ag_event *ev, const char *p, const char *e,
                      const char *back_at, struct ag_shape_prefix *pre, unsigned shared)
{
    struct run r;
    struct ag_shape_prefix none;
    if (pre == NULL) {
        none.valid = 0;
        pre = &none;
    }
    if (!run_shape(&r, s, p, e, back_at, pre, shared))
        return 0;
    apply(&r, ev, !r.disagree);
    return 1;
}

int ag_shape_match(const struct ag_shape *s, struct ag_event *ev, const char *p, const char *e)
{
    return ag_shape_match_at(s, ev, p, e, NULL, NULL, 0);
}

int ag_shape_fields(const struct ag_shape *s, const char *p, const char *e, const char **f0,
                    const char **f1)
{
    struct run r;
    struct ag_shape_prefix none;
    none.valid = 0;
    if (!run_shape(&r, s, p, e, NULL, &none, 0))
        return 0;
    for (int i = 0; i < s->n; i++) {
        f0[i] = r.result[i].p;
        f1[i] = r.result[i].e;
    }
    return 1;
}
