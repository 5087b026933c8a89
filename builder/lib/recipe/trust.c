/*
 * The trust section's matching rules: repository globs, the images rule that
 * covers a repository, and whether a base image may be imported. Pure
 * functions over the parsed model; no I/O.
 */
#include <assert.h>
#include <string.h>

#include "lib/recipe.h"
#include "util/buf.h"

/* Longer names never match: no repository or layout path is this long. */
#define TRUST_NAME_MAX 4096

enum tok { T_LIT, T_ONE, T_STAR, T_DSTAR, T_DSTAR_COMP };

/*
 * Read the token at p[*i] and advance *i. A "**" that is a whole path
 * component and is followed by '/' is T_DSTAR_COMP, which swallows that '/'
 * and matches either nothing or any run ending in '/'.
 */
static enum tok next_tok(const char *p, size_t *i)
{
	size_t at = *i;

	if (p[at] == '?') {
		*i = at + 1;
		return T_ONE;
	}
	if (p[at] != '*') {
		*i = at + 1;
		return T_LIT;
	}
	if (p[at + 1] != '*') {
		*i = at + 1;
		return T_STAR;
	}
	*i = at + 2;
	while (p[*i] == '*') /* "***" is "**" */
		(*i)++;
	if ((at == 0 || p[at - 1] == '/') && p[*i] == '/') {
		(*i)++;
		return T_DSTAR_COMP;
	}
	return T_DSTAR;
}

/* Does name have an empty, "." or ".." component (after "oci:" and a leading '/')? */
static bool unnormalised(const char *name)
{
	const char *c;

	if (!strncmp(name, "oci:", 4)) {
		name += 4;
		if (*name == '/')
			name++;
	}
	for (c = name;; c++) {
		const char *end = strchr(c, '/');
		size_t len = end ? (size_t)(end - c) : strlen(c);

		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return true;
		if (!end)
			return false;
		c = end;
	}
}

bool pl_trust_glob(const char *pattern, const char *name)
{
	/* reach[j]: the pattern read so far can match name[0..j) */
	bool a[TRUST_NAME_MAX + 1], b[TRUST_NAME_MAX + 1];
	bool *reach = a, *next = b, cross, any;
	size_t n = strlen(name), i = 0;

	assert(pattern && name);
	if (n > TRUST_NAME_MAX)
		return false;
	if (strpbrk(pattern, "*?") && unnormalised(name))
		return false;
	cross = !strncmp(pattern, "oci:", 4);
	memset(reach, 0, (n + 1) * sizeof(*reach));
	reach[0] = true;
	while (pattern[i]) {
		size_t at = i;
		enum tok t = next_tok(pattern, &i);
		bool *swap;

		memset(next, 0, (n + 1) * sizeof(*next));
		any = false;
		for (size_t j = 0; j <= n; j++) {
			switch (t) {
			case T_LIT:
				next[j] = j > 0 && reach[j - 1] && name[j - 1] == pattern[at];
				break;
			case T_ONE:
				next[j] = j > 0 && reach[j - 1] && (cross || name[j - 1] != '/');
				break;
			case T_STAR:
				/* a run of non-'/' since a reachable start */
				if (j > 0 && !cross && name[j - 1] == '/')
					any = false;
				any = any || reach[j];
				next[j] = any;
				break;
			case T_DSTAR:
				any = any || reach[j];
				next[j] = any;
				break;
			case T_DSTAR_COMP:
				/* nothing, or any run that ends in '/' */
				next[j] = reach[j] || (j > 0 && name[j - 1] == '/' && any);
				any = any || reach[j];
				break;
			}
		}
		swap = reach;
		reach = next;
		next = swap;
	}
	return reach[n];
}

static bool rule_covers(const struct pl_trust_rule *r, const char *repository)
{
	for (size_t i = 0; i < r->repositories.n; i++)
		if (pl_trust_glob(r->repositories.v[i], repository))
			return true;
	return false;
}

const struct pl_trust_rule *pl_trust_rule_for(const struct pl_trust *t, const char *repository)
{
	for (size_t i = 0; t && i < t->nimages; i++)
		if (rule_covers(&t->images[i], repository))
			return &t->images[i];
	return NULL;
}

static bool listed(const struct pl_recipe_list *l, const char *s)
{
	for (size_t i = 0; s && i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

int pl_trust_base_allowed(const struct pl_trust *t, const char *repository, const char *digest,
			  const struct pl_trust_base **rule, struct pl_buf *why, struct pl_err *err)
{
	const struct pl_trust_base *seen = NULL;
	const char *file;
	int rc = 0;

	assert(t && repository);
	if (rule)
		*rule = NULL;
	if (!t->bases_set)
		return 1;
	for (size_t i = 0; i < t->nbases; i++) {
		const struct pl_trust_base *b = &t->bases[i];

		if (!pl_trust_glob(b->repository, repository))
			continue;
		if (!b->digests.set || listed(&b->digests, digest)) {
			if (rule)
				*rule = b;
			return 1;
		}
		if (!seen)
			seen = b;
	}
	if (!why)
		return 0;
	file = t->mark.file ? t->mark.file : "plinth.yaml";
	if (!seen)
		rc = pl_buf_addf(why, err, "base '%s%s%s' is not in %s trust.bases", repository,
				 digest ? "@" : "", digest ? digest : "", file);
	else if (!digest)
		rc = pl_buf_addf(why, err,
				 "base '%s': its digest is unknown and %s:%d:%d allows only listed "
				 "digests",
				 repository, file, seen->mark.line, seen->mark.col);
	else
		rc = pl_buf_addf(why, err,
				 "base '%s@%s': digest not listed in %s trust.bases (%s:%d:%d)",
				 repository, digest, file, file, seen->mark.line, seen->mark.col);
	return rc < 0 ? rc : 0;
}
