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

int ag_shape_compile(struct ag_shape *s, const char *tpl)
{
    memset(s, 0, sizeof *s);
    if (tokenize(s, tpl) < 0 || plan(s) < 0)
        return -1;
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

struct cap {
    const char *p, *e;
};

struct run {
    const struct ag_shape *s;
    const char *end;
    struct cap cur[AG_SHAPE_OPS_MAX];
    struct cap best[AG_SHAPE_OPS_MAX];
    int parses;
    int disagree;
    int stop;
    int budget;
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
static int token_ok(char type, const char *p, const char *e)
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

static int same(struct cap a, struct cap b)
{
    return a.e - a.p == b.e - b.p && memcmp(a.p, b.p, (size_t)(a.e - a.p)) == 0;
}

/* Addresses are checked once a whole split fits: most rows tried on a line
 * fail on a literal, and parsing their addresses first would cost more
 * than everything else. */
static int addresses_ok(const struct run *r)
{
    for (int i = 0; i < r->s->n; i++) {
        char t = (char)r->s->op[i].type;
        if ((t == 'a' || t == 'l' || t == 'h' || t == 'c') &&
            !token_ok(t, r->cur[i].p, r->cur[i].e))
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

static int walk(struct run *r, int i, const char *p);

/* A free field: its end is one of the places where the next literal
 * starts. */
static int walk_free(struct run *r, int i, const char *p)
{
    const struct ag_shape_op *o = &r->s->op[i];
    const char *e = r->end;
    if (i + 1 == r->s->n) {
        r->cur[i] = (struct cap){p, e};
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
            r->cur[i] = (struct cap){p, q};
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
        r->cur[i] = (struct cap){p, q};
        found |= walk(r, i + 1, q);
        q++;
    }
    return found;
}

static int walk(struct run *r, int i, const char *p)
{
    const char *e = r->end;
    if (i == r->s->n)
        return p == e ? complete(r) : 0;
    const struct ag_shape_op *o = &r->s->op[i];
    if (o->type == 0) {
        if (!ag_starts(p, e, o->lit, o->len))
            return 0;
        return walk(r, i + 1, p + o->len);
    }
    if (ag_shape_field_is_free((char)o->type))
        return walk_free(r, i, p);
    char stop = i + 1 < r->s->n ? r->s->op[i + 1].lit[0] : ' ';
    const char *q = p;
    while (q < e && *q != ' ' && *q != stop)
        q++;
    char t = (char)o->type;
    if (t == 'a' || t == 'l' || t == 'h' || t == 'c' ? p == q : !token_ok(t, p, q))
        return 0;
    r->cur[i] = (struct cap){p, q};
    return walk(r, i + 1, q);
}

static void apply(const struct ag_shape *s, const struct cap *c, struct ag_event *ev, int src_ok)
{
    for (int i = 0; i < s->n; i++) {
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

static int run_shape(struct run *r, const struct ag_shape *s, const char *p, const char *e)
{
    r->s = s;
    r->end = e;
    r->parses = 0;
    r->disagree = 0;
    r->stop = 0;
    r->budget = SPLIT_BUDGET;
    walk(r, 0, p);
    return r->parses > 0;
}

int ag_shape_match(const struct ag_shape *s, struct ag_event *ev, const char *p, const char *e)
{
    struct run r;
    if (!run_shape(&r, s, p, e))
        return 0;
    apply(s, r.best, ev, !r.disagree);
    return 1;
}

int ag_shape_fields(const struct ag_shape *s, const char *p, const char *e, const char **f0,
                    const char **f1)
{
    struct run r;
    if (!run_shape(&r, s, p, e))
        return 0;
    for (int i = 0; i < s->n; i++) {
        f0[i] = r.best[i].p;
        f1[i] = r.best[i].e;
    }
    return 1;
}
