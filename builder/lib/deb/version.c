/*
 * deb/version: dpkg's version syntax and ordering, transcribed from dpkg's
 * lib/dpkg/version.c (verrevcmp) and lib/dpkg/parsehelp.c (parseversion)
 * so that every comparison agrees with `dpkg --compare-versions`.
 */
#include "lib/deb.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lib/deb/internal.h"

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* dpkg's order(): '~' before the end, the end before letters, letters before the rest. */
static int order(int c)
{
	if (is_digit(c))
		return 0;
	if (is_alpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c)
		return c + 256;
	return 0;
}

/* Compare [a, ae) with [b, be) as dpkg's verrevcmp does. */
static int verrevcmp(const char *a, const char *ae, const char *b, const char *be)
{
	while (a < ae || b < be) {
		int first_diff = 0;

		while ((a < ae && !is_digit(*a)) || (b < be && !is_digit(*b))) {
			int ac = order(a < ae ? (unsigned char)*a : 0);
			int bc = order(b < be ? (unsigned char)*b : 0);

			if (ac != bc)
				return ac - bc;
			a++;
			b++;
		}
		while (a < ae && *a == '0')
			a++;
		while (b < be && *b == '0')
			b++;
		while (a < ae && b < be && is_digit(*a) && is_digit(*b)) {
			if (!first_diff)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (a < ae && is_digit(*a))
			return 1;
		if (b < be && is_digit(*b))
			return -1;
		if (first_diff)
			return first_diff;
	}
	return 0;
}

int pl_debver_parse(const char *s, struct pl_debver *v, const char **why)
{
	const char *end, *p, *colon, *hyphen;

	memset(v, 0, sizeof(*v));
	*why = NULL;
	while (*s && is_blank((unsigned char)*s))
		s++;
	v->up = v->up_end = v->rev = v->rev_end = s;
	if (!*s) {
		*why = "version string is empty";
		return PL_DEBVER_ERROR;
	}
	end = s;
	while (*end && !is_blank((unsigned char)*end))
		end++;
	for (p = end; *p && is_blank((unsigned char)*p); p++)
		;
	v->up_end = v->rev = v->rev_end = end;
	if (*p) {
		*why = "version string has embedded spaces";
		return PL_DEBVER_ERROR;
	}
	colon = memchr(s, ':', (size_t)(end - s));
	if (colon) {
		char *eep;
		long epoch;

		errno = 0;
		epoch = strtol(s, &eep, 10);
		if (eep == s) {
			*why = "epoch in version is empty";
			return PL_DEBVER_ERROR;
		}
		if (eep != colon) {
			*why = "epoch in version is not number";
			return PL_DEBVER_ERROR;
		}
		if (epoch < 0) {
			*why = "epoch in version is negative";
			return PL_DEBVER_ERROR;
		}
		if (epoch > INT_MAX || errno == ERANGE) {
			*why = "epoch in version is too big";
			return PL_DEBVER_ERROR;
		}
		if (colon + 1 == end) {
			*why = "nothing after colon in version number";
			return PL_DEBVER_ERROR;
		}
		v->epoch = epoch;
		s = colon + 1;
	}
	v->up = s;
	hyphen = NULL;
	for (p = s; p < end; p++)
		if (*p == '-')
			hyphen = p;
	if (hyphen) {
		v->up_end = hyphen;
		v->rev = hyphen + 1;
		if (v->rev == end) {
			*why = "revision number is empty";
			return PL_DEBVER_ERROR;
		}
	} else {
		v->up_end = end;
		v->rev = end;
	}
	v->rev_end = end;
	if (v->up == v->up_end) {
		*why = "version number is empty";
		return PL_DEBVER_ERROR;
	}
	if (!is_digit((unsigned char)*v->up)) {
		*why = "version number does not start with digit";
		return PL_DEBVER_WARN;
	}
	for (p = v->up + 1; p < v->up_end; p++)
		if (!is_digit((unsigned char)*p) && !is_alpha((unsigned char)*p) &&
		    !strchr(".-+~:", *p)) {
			*why = "invalid character in version number";
			return PL_DEBVER_WARN;
		}
	for (p = v->rev; p < v->rev_end; p++)
		if (!is_digit((unsigned char)*p) && !is_alpha((unsigned char)*p) &&
		    !strchr(".+~", *p)) {
			*why = "invalid character in revision number";
			return PL_DEBVER_WARN;
		}
	return 0;
}

int pl_debver_cmp_parsed(const struct pl_debver *a, const struct pl_debver *b)
{
	int r;

	if (a->epoch != b->epoch)
		return a->epoch < b->epoch ? -1 : 1;
	r = verrevcmp(a->up, a->up_end, b->up, b->up_end);
	if (r)
		return r;
	return verrevcmp(a->rev, a->rev_end, b->rev, b->rev_end);
}

/*
 * Versions dpkg rejects still get a total, deterministic order: what could
 * be parsed is compared (an unusable epoch counts as 0 and the text as it
 * stands is the upstream part).
 */
static void parse_lenient(const char *s, struct pl_debver *v)
{
	const char *why;

	if (pl_debver_parse(s, v, &why) == PL_DEBVER_ERROR) {
		const char *e;

		while (*s && is_blank((unsigned char)*s))
			s++;
		e = s + strlen(s);
		memset(v, 0, sizeof(*v));
		v->up = s;
		v->up_end = e;
		v->rev = v->rev_end = e;
	}
}

int pl_debver_cmp(const char *a, const char *b)
{
	struct pl_debver va, vb;
	int r;

	parse_lenient(a, &va);
	parse_lenient(b, &vb);
	r = pl_debver_cmp_parsed(&va, &vb);
	return r < 0 ? -1 : r > 0;
}

int pl_debver_check(const char *v, struct pl_err *err)
{
	struct pl_debver p;
	const char *why;

	if (pl_debver_parse(v, &p, &why) != 0)
		return pl_err_set(err, PL_EINVAL, "version '%.200s' has bad syntax: %s", v, why);
	return 0;
}
