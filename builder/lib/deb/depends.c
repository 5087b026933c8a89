/*
 * deb/depends: dependency fields (Debian policy 7.1) as dpkg and apt read
 * them: comma-separated items of '|' alternatives, each a package name with
 * an optional ":arch" qualifier, "(op version)", "[arch list]" and build
 * profile formulas "<!nocheck>" (checked, then dropped).
 */
#include "lib/deb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/deb/internal.h"

#define MAX_TOKEN 512

struct dp {
	const char *s, *p, *what, *item;
	struct pl_err *err;
};

static bool sp(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void skip(struct dp *d)
{
	while (sp(*d->p))
		d->p++;
}

/* The current item, for messages: up to the next ',' (at most 60 bytes). */
static int item_len(const struct dp *d)
{
	const char *e = d->item;

	while (*e && *e != ',' && e - d->item < 60)
		e++;
	return (int)(e - d->item);
}

static int fail(struct dp *d, const char *msg)
{
	return pl_err_set(d->err, PL_EINVAL, "%s: %s in '%.*s'", d->what, msg, item_len(d),
			  d->item);
}

static char *dup_span(struct dp *d, const char *a, const char *b)
{
	char *s = strndup(a, (size_t)(b - a));

	if (!s)
		pl_err_set(d->err, PL_ENOMEM, "out of memory");
	return s;
}

static bool arch_char(char c)
{
	return alnum(c) || c == '-';
}

static int parse_name(struct dp *d, struct pl_dep_alt *alt)
{
	const char *a = d->p, *q;

	while (*d->p && !sp(*d->p) && !strchr(":(,|[<", *d->p))
		d->p++;
	if (d->p == a)
		return fail(d, "missing package name, or garbage where a name is expected");
	if (d->p - a > MAX_TOKEN)
		return fail(d, "package name too long");
	if (!alnum(*a))
		return fail(d, "package name must start with an alphanumeric character");
	for (q = a; q < d->p; q++)
		if (!alnum(*q) && !strchr("-+._", *q))
			return fail(d, "invalid character in package name");
	alt->name = dup_span(d, a, d->p);
	if (!alt->name)
		return PL_ENOMEM;
	if (*d->p == ':') {
		a = ++d->p;
		while (arch_char(*d->p))
			d->p++;
		if (d->p == a)
			return fail(d, "empty architecture qualifier");
		if (d->p - a > MAX_TOKEN)
			return fail(d, "architecture qualifier too long");
		alt->arch = dup_span(d, a, d->p);
		if (!alt->arch)
			return PL_ENOMEM;
	}
	return 0;
}

static int parse_version(struct dp *d, struct pl_dep_alt *alt)
{
	const char *a, *why;
	struct pl_debver v;

	d->p++; /* '(' */
	skip(d);
	if (d->p[0] == '<') {
		if (d->p[1] == '<') {
			alt->op = PL_DEP_LT;
			d->p += 2;
		} else if (d->p[1] == '=') {
			alt->op = PL_DEP_LE;
			d->p += 2;
		} else {
			alt->op = PL_DEP_LE; /* obsolete '<' means '<=' */
			d->p++;
		}
	} else if (d->p[0] == '>') {
		if (d->p[1] == '>') {
			alt->op = PL_DEP_GT;
			d->p += 2;
		} else if (d->p[1] == '=') {
			alt->op = PL_DEP_GE;
			d->p += 2;
		} else {
			alt->op = PL_DEP_GE; /* obsolete '>' means '>=' */
			d->p++;
		}
	} else if (d->p[0] == '=') {
		alt->op = PL_DEP_EQ;
		d->p++;
	} else {
		return fail(d, "missing version relation (<<, <=, =, >=, >>)");
	}
	skip(d);
	a = d->p;
	while (*d->p && !sp(*d->p) && *d->p != ')' && *d->p != '(' && *d->p != ',')
		d->p++;
	if (d->p == a)
		return fail(d, "empty version");
	if (d->p - a > MAX_TOKEN)
		return fail(d, "version too long");
	alt->version = dup_span(d, a, d->p);
	if (!alt->version)
		return PL_ENOMEM;
	skip(d);
	if (*d->p != ')')
		return fail(d, "missing ')' after the version");
	d->p++;
	if (pl_debver_parse(alt->version, &v, &why) == PL_DEBVER_ERROR) {
		char msg[160];

		snprintf(msg, sizeof(msg), "bad version '%.64s': %s", alt->version, why);
		return fail(d, msg);
	}
	return 0;
}

static int parse_archs(struct dp *d, struct pl_dep_alt *alt)
{
	size_t n = 0, cap = 0;
	int neg = -1;

	d->p++; /* '[' */
	for (;;) {
		const char *a;
		char **v;
		int this_neg = 0;

		skip(d);
		if (*d->p == ']')
			break;
		if (*d->p == '!') {
			this_neg = 1;
			d->p++;
		}
		a = d->p;
		while (arch_char(*d->p))
			d->p++;
		if (d->p == a)
			return fail(d, *a ? "bad architecture in restriction list"
					  : "missing ']' after the architecture list");
		if (d->p - a > MAX_TOKEN)
			return fail(d, "architecture name too long");
		if (neg >= 0 && neg != this_neg)
			return fail(d, "architecture list mixes negated and plain architectures");
		neg = this_neg;
		if (n + 2 > cap) {
			cap = cap ? cap * 2 : 4;
			v = realloc(alt->archs, cap * sizeof(*v));
			if (!v)
				return pl_err_set(d->err, PL_ENOMEM, "out of memory");
			alt->archs = v;
		}
		alt->archs[n] = dup_span(d, a - this_neg, d->p);
		alt->archs[n + 1] = NULL;
		if (!alt->archs[n])
			return PL_ENOMEM;
		n++;
	}
	if (n == 0)
		return fail(d, "empty architecture list");
	d->p++;
	return 0;
}

static int parse_profiles(struct dp *d)
{
	int terms = 0;

	d->p++; /* '<' */
	for (;;) {
		const char *a;

		skip(d);
		if (*d->p == '>')
			break;
		if (*d->p == '!')
			d->p++;
		a = d->p;
		while (alnum(*d->p) || (*d->p && strchr("-+.", *d->p)))
			d->p++;
		if (d->p == a)
			return fail(d,
				    *a ? "bad build profile" : "missing '>' after build profiles");
		terms++;
	}
	if (terms == 0)
		return fail(d, "empty build profile formula");
	d->p++;
	return 0;
}

static void alt_release(struct pl_dep_alt *a)
{
	free(a->name);
	free(a->arch);
	free(a->version);
	if (a->archs)
		for (char **p = a->archs; *p; p++)
			free(*p);
	free(a->archs);
}

void pl_deplist_release(struct pl_deplist *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		for (size_t j = 0; j < l->v[i].nalts; j++)
			alt_release(&l->v[i].alts[j]);
		free(l->v[i].alts);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int pl_deplist_parse(const char *s, const char *what, struct pl_deplist *out, struct pl_err *err)
{
	struct dp d = {s, s, what ? what : "dependency field", s, err};
	size_t cap = 0;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	skip(&d);
	if (!*d.p)
		return 0;
	for (;;) {
		struct pl_dep *dep;
		size_t acap = 0;

		skip(&d);
		d.item = d.p;
		if (out->n == cap) {
			struct pl_dep *v;

			cap = cap ? cap * 2 : 8;
			v = realloc(out->v, cap * sizeof(*v));
			if (!v) {
				rc = pl_err_set(err, PL_ENOMEM, "out of memory");
				goto out;
			}
			out->v = v;
		}
		dep = &out->v[out->n++];
		dep->alts = NULL;
		dep->nalts = 0;
		for (;;) {
			struct pl_dep_alt *alt;

			if (dep->nalts == acap) {
				struct pl_dep_alt *a;

				acap = acap ? acap * 2 : 2;
				a = realloc(dep->alts, acap * sizeof(*a));
				if (!a) {
					rc = pl_err_set(err, PL_ENOMEM, "out of memory");
					goto out;
				}
				dep->alts = a;
			}
			alt = &dep->alts[dep->nalts++];
			memset(alt, 0, sizeof(*alt));
			skip(&d);
			rc = parse_name(&d, alt);
			if (rc < 0)
				goto out;
			skip(&d);
			if (*d.p == '(') {
				rc = parse_version(&d, alt);
				if (rc < 0)
					goto out;
				skip(&d);
			}
			if (*d.p == '[') {
				rc = parse_archs(&d, alt);
				if (rc < 0)
					goto out;
				skip(&d);
			}
			while (*d.p == '<') {
				rc = parse_profiles(&d);
				if (rc < 0)
					goto out;
				skip(&d);
			}
			if (*d.p != '|')
				break;
			d.p++;
		}
		if (!*d.p)
			break;
		if (*d.p != ',') {
			rc = fail(&d, "garbage after a dependency (expected ',' or '|')");
			goto out;
		}
		d.p++;
	}
out:
	if (rc < 0)
		pl_deplist_release(out);
	return rc;
}

bool pl_dep_version_ok(const struct pl_dep_alt *alt, const char *version)
{
	int c;

	if (alt->op == PL_DEP_ANY || !alt->version)
		return true;
	if (!version)
		return false;
	c = pl_debver_cmp(version, alt->version);
	switch (alt->op) {
	case PL_DEP_LT:
		return c < 0;
	case PL_DEP_LE:
		return c <= 0;
	case PL_DEP_EQ:
		return c == 0;
	case PL_DEP_GE:
		return c >= 0;
	case PL_DEP_GT:
		return c > 0;
	default:
		return true;
	}
}

/*
 * Debian architecture wildcards, in the common two-part form: "any",
 * "<os>-any" and "any-<cpu>". A bare name like "amd64" is the Linux port.
 */
static bool arch_match(const char *pat, const char *arch)
{
	const char *dash = strrchr(arch, '-');
	size_t oslen = dash ? (size_t)(dash - arch) : 5;
	const char *os = dash ? arch : "linux";
	const char *cpu = dash ? dash + 1 : arch;
	size_t pl = strlen(pat);

	if (strcmp(pat, "any") == 0 || strcmp(pat, arch) == 0)
		return true;
	if (pl > 4 && strcmp(pat + pl - 4, "-any") == 0)
		return pl - 4 == oslen && strncmp(pat, os, oslen) == 0;
	if (strncmp(pat, "any-", 4) == 0)
		return strcmp(pat + 4, cpu) == 0;
	return false;
}

bool pl_dep_arch_ok(const struct pl_dep_alt *alt, const char *arch)
{
	bool neg;

	if (!alt->archs || !alt->archs[0])
		return true;
	neg = alt->archs[0][0] == '!';
	for (char **p = alt->archs; *p; p++) {
		const char *pat = neg ? *p + 1 : *p;

		if (arch_match(pat, arch))
			return !neg;
	}
	return neg;
}
