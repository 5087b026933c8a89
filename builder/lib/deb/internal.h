/*
 * deb/internal: pieces shared between the files of lib/deb: a parsed version
 * that borrows from its string (so hot loops compare without allocating).
 */
#ifndef PL_DEB_INTERNAL_H
#define PL_DEB_INTERNAL_H

#include "lib/deb.h"

#define PL_DEBVER_ERROR 2 /* dpkg refuses the version */
#define PL_DEBVER_WARN 1  /* dpkg warns but uses it */

struct pl_debver {
	long epoch;
	const char *up, *up_end;   /* upstream part */
	const char *rev, *rev_end; /* revision ("" when absent) */
};

/*
 * Split s as dpkg's parseversion does: 0 when valid, PL_DEBVER_WARN or
 * PL_DEBVER_ERROR with *why set to dpkg's own wording. v borrows from s.
 */
int pl_debver_parse(const char *s, struct pl_debver *v, const char **why);
int pl_debver_cmp_parsed(const struct pl_debver *a, const struct pl_debver *b);

#endif
