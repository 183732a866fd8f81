/* catalogue.h - the recognition catalogue: one row per message shape that
 * sshd, PAM, sudo, su, login and tcpwrappers write, with its program
 * family, its template (shape.h), the event it yields, what it counts as
 * (policy), the versions that write it, why, and a real example line that
 * the unit tests check field by field.
 *
 * The rows compile once per parser into per-family lists keyed by the
 * message's first word, so a message is tried only against the few rows
 * that start like it.
 * Adding a shape is adding a row with its example. */
#ifndef AG_CATALOGUE_H
#define AG_CATALOGUE_H

#include <stdint.h>
#include <stdio.h>

#include "filters/event.h"
#include "filters/shape.h"

/* Program families. A row of FAM_PAM or FAM_TCPW applies to every program
 * (PAM modules and libwrap log under the name of the program using them). */
enum ag_family {
    AG_FAM_SSHD,    /* sshd, sshd-session, sshd-auth */
    AG_FAM_PAM,     /* "pam_MODULE(SERVICE:auth): ..." from any program */
    AG_FAM_PAM_OLD, /* Linux-PAM < 0.99 "SERVICE(pam_unix)[PID]: ..." */
    AG_FAM_SUDO,
    AG_FAM_SU,
    AG_FAM_LOGIN,
    AG_FAM_TCPW,    /* "refused connect from ..." from any program */
    AG_FAM_COUNT
};

/* What a line counts as. */
enum ag_policy {
    AG_POL_ATTEMPT, /* one guess of a secret (or its announcement) */
    AG_POL_ECHO,    /* another line of an attempt already counted */
    AG_POL_PROBE,   /* pre-authentication activity: scans, broken clients */
    AG_POL_SUCCESS, /* a login */
    AG_POL_NOTHING, /* known, but no evidence (or no address) */
    AG_POL_COUNT
};

/* Row conditions (ag_row.cond). */
#define AG_ROW_PREAUTH     0x01 /* only with sshd's " [preauth]" tag */
#define AG_ROW_PAM_SERVICE 0x02 /* the kind follows the PAM service (pam.c) */

struct ag_row {
    uint8_t family;      /* enum ag_family */
    uint8_t policy;      /* enum ag_policy */
    uint8_t kind;        /* enum ag_kind; AG_EV_NONE with AG_POL_NOTHING */
    uint8_t method;      /* fixed method, when the template has no %m */
    uint8_t flags;       /* AG_EVF_* the event gets */
    uint8_t cond;        /* AG_ROW_* */
    const char *shape;   /* template, shape.h */
    const char *since;   /* first version writing it ("" unknown/always) */
    const char *until;   /* last version ("" still written) */
    const char *why;     /* the policy and attribution reason */
    const char *example; /* a whole syslog line */
    /* what the example must yield */
    const char *ex_user;
    const char *ex_src;
    uint16_t ex_port;
    uint16_t ex_count;   /* 0 means 1 */
};

extern const struct ag_row ag_rows[];
extern const unsigned ag_n_rows;

#define AG_CAT_ROWS_MAX 256
#define AG_CAT_LIST_MAX 4096
#define AG_CAT_WORD_MAX 32 /* a longer first word is nobody's */
#define AG_CAT_SLOTS 64    /* first words per family, a power of two */

/* The rows a message whose first word is w may match, in row order: the
 * rows starting with "w " and those whose first word is not all literal. */
struct ag_cat_word {
    const char *w; /* NULL: an empty slot */
    uint8_t len;
    uint16_t at, n; /* in list */
};

/* The compiled catalogue, held by each parser. */
struct ag_catalogue {
    struct ag_shape shape[AG_CAT_ROWS_MAX];
    /* per family, an open-addressing table of first words */
    struct ag_cat_word word[AG_FAM_COUNT][AG_CAT_SLOTS];
    /* per family, the rows for a first word no row names */
    uint16_t any_at[AG_FAM_COUNT], any_n[AG_FAM_COUNT];
    /* per row, the rows that end in client text and could also fit a line
     * it fits (same family, first words, first and last literals agree):
     * the ones checked for another reading of the source */
    uint16_t rival_at[AG_CAT_ROWS_MAX], rival_n[AG_CAT_ROWS_MAX];
    /* per row, rows whose fixed ops at the end (shape.h, back_from) are
     * the same share a class: a line checks each class once */
    uint8_t back_class[AG_CAT_ROWS_MAX];
    /* [i][j]: how many first ops rows i and j share, before either's first
     * free field: a line walked by one resumes there for the other */
    uint8_t shared[AG_CAT_ROWS_MAX][AG_CAT_ROWS_MAX];
    /* [i]: the rows no line can fit together with row i's first literal,
     * last literal and fixed end: once a line fits those of row i, they
     * are not tried */
    uint64_t disjoint[AG_CAT_ROWS_MAX][AG_CAT_ROWS_MAX / 64];
    uint8_t list[AG_CAT_LIST_MAX];
    unsigned n, n_list;
};

/* Compiles ag_rows. Returns 0, or -1 (with the bad row's index in *bad)
 * for a template that does not compile. */
int ag_catalogue_init(struct ag_catalogue *c, unsigned *bad);

/* Matches the message [p, e) of ev against family fam. Returns the row
 * index with ev filled (kind AG_EV_NONE for a row of policy nothing), or
 * -1 when no row matches. */
int ag_catalogue_match(const struct ag_catalogue *c, enum ag_family fam, struct ag_event *ev,
                       const char *p, const char *e);

const char *ag_family_name(enum ag_family f);
const char *ag_policy_name(enum ag_policy p);

/* Prints the README's recognition table. */
void ag_catalogue_markdown(FILE *out);

#endif
