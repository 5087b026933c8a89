/* The vulnerability ignore file (.plinthignore.yaml) on the recipe YAML helpers. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/recipe.h"
#include "lib/recipe/internal.h"

static bool is_date(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d, i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	return true;
}

/* CVE-2024-1234, GHSA-xxxx-xxxx-xxxx, DSA-5678-1, ...: a prefix, '-', then id characters. */
static bool is_vuln_id(const char *s)
{
	const char *p = s;

	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	if (p == s || *p != '-' || !p[1])
		return false;
	for (p++; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
		      *p == ':'))
			return false;
	return true;
}

static int parse_entry(const struct yctx *c, const struct yn *n, struct pl_ignore *e)
{
	static const char *const keys[] = {"id", "package", "reason", "expires", NULL};
	const struct yn *v;
	int rc;

	if ((rc = yc_keys(c, n, keys, "an ignore entry")) < 0)
		return rc;
	e->mark = yc_mark(c, n);
	if ((rc = yc_need(c, n, "id", "ignore entry", &v)) < 0 || (rc = yc_str(c, v, &e->id)) < 0)
		return rc;
	if (!is_vuln_id(e->id))
		return yc_fail(c, v, PL_EINVAL,
			       "'%s' is not a vulnerability id (CVE-YYYY-N, GHSA-..., DSA-N-N)",
			       e->id);
	if ((rc = yc_need(c, n, "reason", "ignore entry", &v)) < 0 ||
	    (rc = yc_str(c, v, &e->reason)) < 0)
		return rc;
	if (!e->reason[0] || strspn(e->reason, " \t\n") == strlen(e->reason))
		return yc_fail(c, v, PL_EINVAL, "'reason' must say why %s is ignored", e->id);
	if ((rc = yc_opt_str(c, n, "package", &e->package, NULL)) < 0)
		return rc;
	if (e->package && !e->package[0])
		return yc_fail(c, yn_get(n, "package"), PL_EINVAL, "'package' is empty");
	if ((v = yn_get(n, "expires"))) {
		if ((rc = yc_str(c, v, &e->expires)) < 0)
			return rc;
		if (!is_date(e->expires))
			return yc_fail(c, v, PL_EINVAL, "'expires' must be a date YYYY-MM-DD, got '%s'",
				       e->expires);
	}
	return 0;
}

static int parse_ignores(const struct yctx *c, const struct yn *root, struct pl_ignores *ig)
{
	static const char *const keys[] = {"ignore", NULL};
	const struct yn *list = root, *n;
	size_t i = 0;
	int rc;

	if (!root || (root->kind == YN_SCALAR && yn_type(root) == YT_NULL))
		return 0;
	if (root->kind == YN_MAP) {
		if ((rc = yc_keys(c, root, keys, "the ignore file")) < 0)
			return rc;
		if (!(list = yn_get(root, "ignore")) ||
		    (list->kind == YN_SCALAR && yn_type(list) == YT_NULL))
			return 0;
	}
	if ((rc = yc_seq(c, list)) < 0)
		return rc;
	if (!list->n)
		return 0;
	if (!(ig->v = ar_array(c->a, list->n, sizeof(*ig->v))))
		return pl_err_set(c->err, PL_ENOMEM, "out of memory");
	for (n = list->head; n; n = n->next) {
		if ((rc = yc_map(c, n)) < 0 || (rc = parse_entry(c, n, &ig->v[i])) < 0)
			return rc;
		i++;
	}
	ig->n = i;
	return 0;
}

int pl_ignores_parse(const char *data, size_t len, const char *file, struct pl_ignores **out,
		     struct pl_err *err)
{
	struct pl_ignores *ig;
	struct yc_doc d;
	int rc;

	*out = NULL;
	rc = yc_doc_begin(&d, data, len, file, "<ignores>", sizeof(*ig), err);
	ig = d.model;
	if (rc == 0) {
		ig->arena = d.c.a;
		ig->file = d.c.file;
		rc = parse_ignores(&d.c, d.root, ig);
	}
	rc = yc_doc_end(&d, rc);
	if (rc == 0)
		*out = ig;
	return rc;
}

void pl_ignores_free(struct pl_ignores *ig)
{
	if (ig)
		ar_free(ig->arena);
}

bool pl_ignore_expired(const struct pl_ignore *e, const char *today)
{
	return e->expires && today && strcmp(e->expires, today) < 0;
}
