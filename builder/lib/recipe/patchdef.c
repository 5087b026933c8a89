/*
 * patches/<id>.yaml -> struct pl_patchdef: what a central patch fixes, which
 * images it applies to, and the actions the patch module performs.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static const char *const action_names[] = {"upgrade", "diff", "remove", "chmod",
					   "chown",   "file", NULL};

const char *pl_patch_action_name(enum pl_patch_action_kind kind)
{
	if ((int)kind < 0 || kind > PL_PATCH_FILE)
		return "unknown";
	return action_names[kind];
}

static int nomem(const struct yctx *c)
{
	return pl_err_set(c->err, PL_ENOMEM, "out of memory");
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool cve_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 13 && !strncmp(s, "CVE-", 4) && digits(s + 4, 4) && s[8] == '-' &&
	       digits(s + 9, n - 9) && n - 9 <= 19;
}

static bool date_ok(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4) || !digits(s + 5, 2) ||
	    !digits(s + 8, 2))
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

static int parse_applies(const struct yctx *c, const struct yn *n, struct pl_patchdef *p)
{
	static const char *const keys[] = {"package", "below",	"at_least", "source",
					   "recipes", "labels", NULL};
	const struct yn *v;
	int forms = 0, rc;

	p->applies_to.mark = yc_mark(c, n);
	if (n->kind == YN_SCALAR) {
		if (yn_type(n) != YT_STR || strcmp(n->s, "all"))
			return yc_fail(c, n, PL_EINVAL,
				       "'applies_to' must be \"all\" or a mapping with 'package', "
				       "'recipes' or 'labels'");
		p->applies_to.kind = PL_PATCH_APPLIES_ALL;
		return 0;
	}
	if ((rc = yc_keys(c, n, keys, "'applies_to'")) < 0)
		return rc;
	if (yn_get(n, "package") || yn_get(n, "below") || yn_get(n, "at_least") ||
	    yn_get(n, "source"))
		forms++;
	if (yn_get(n, "recipes"))
		forms++;
	if (yn_get(n, "labels"))
		forms++;
	if (forms != 1)
		return yc_fail(c, n, PL_EINVAL,
			       "'applies_to' needs exactly one form: {package, below, at_least, "
			       "source}, {recipes} or {labels}");
	if ((v = yn_get(n, "recipes"))) {
		p->applies_to.kind = PL_PATCH_APPLIES_RECIPES;
		return yc_list(c, v, &p->applies_to.recipes);
	}
	if ((v = yn_get(n, "labels"))) {
		p->applies_to.kind = PL_PATCH_APPLIES_LABELS;
		return yc_kvmap(c, v, &p->applies_to.labels);
	}
	p->applies_to.kind = PL_PATCH_APPLIES_PACKAGE;
	if ((rc = yc_need(c, n, "package", "'applies_to'", &v)) < 0 ||
	    (rc = yc_str(c, v, &p->applies_to.package)) < 0)
		return rc;
	if ((rc = yc_opt_str(c, n, "below", &p->applies_to.below, NULL)) < 0 ||
	    (rc = yc_opt_str(c, n, "at_least", &p->applies_to.at_least, NULL)) < 0)
		return rc;
	if ((v = yn_get(n, "source")) && (rc = yc_bool(c, v, &p->applies_to.source)) < 0)
		return rc;
	return 0;
}

static int nonempty(const struct yctx *c, const struct yn *n, const struct pl_recipe_list *l)
{
	char name[200];

	if (l->n)
		return 0;
	yn_name(n, name, sizeof(name));
	return yc_fail(c, n, PL_EINVAL, "%s must not be empty", name);
}

static int parse_action(const struct yctx *c, const struct yn *n, struct pl_patch_action *a)
{
	const struct yn *body, *v;
	int kind, rc;

	a->mark = yc_mark(c, n);
	if ((rc = yc_keys(c, n, action_names, "an action")) < 0)
		return rc;
	if (n->n != 1)
		return yc_fail(
		    c, n, PL_EINVAL,
		    "an action is a mapping with exactly one key (upgrade, diff, remove, "
		    "chmod, chown or file), got %zu",
		    n->n);
	body = n->head;
	for (kind = 0; strcmp(action_names[kind], body->key->s); kind++)
		;
	a->kind = (enum pl_patch_action_kind)kind;
	switch (a->kind) {
	case PL_PATCH_UPGRADE: {
		static const char *const keys[] = {"packages", "from", "version", NULL};

		if ((rc = yc_keys(c, body, keys, "'upgrade'")) < 0)
			return rc;
		if ((rc = yc_need(c, body, "packages", "'upgrade'", &v)) < 0 ||
		    (rc = yc_list(c, v, &a->packages)) < 0 ||
		    (rc = nonempty(c, v, &a->packages)) < 0)
			return rc;
		if ((rc = yc_need(c, body, "from", "'upgrade'", &v)) < 0 ||
		    (rc = yc_str(c, v, &a->from)) < 0)
			return rc;
		return yc_opt_str(c, body, "version", &a->version, NULL);
	}
	case PL_PATCH_DIFF:
		a->path_mark = yc_mark(c, body);
		return yc_str(c, body, &a->diff);
	case PL_PATCH_REMOVE:
		if ((rc = yc_list(c, body, &a->paths)) < 0)
			return rc;
		return nonempty(c, body, &a->paths);
	case PL_PATCH_CHMOD: {
		static const char *const keys[] = {"path", "mode", NULL};

		if ((rc = yc_keys(c, body, keys, "'chmod'")) < 0)
			return rc;
		if ((rc = yc_need(c, body, "path", "'chmod'", &v)) < 0 ||
		    (rc = yc_str(c, v, &a->path)) < 0)
			return rc;
		a->path_mark = yc_mark(c, v);
		if ((rc = yc_need(c, body, "mode", "'chmod'", &v)) < 0)
			return rc;
		return yc_mode(c, v, &a->mode);
	}
	case PL_PATCH_CHOWN: {
		static const char *const keys[] = {"path", "uid", "gid", NULL};

		if ((rc = yc_keys(c, body, keys, "'chown'")) < 0)
			return rc;
		if ((rc = yc_need(c, body, "path", "'chown'", &v)) < 0 ||
		    (rc = yc_str(c, v, &a->path)) < 0)
			return rc;
		a->path_mark = yc_mark(c, v);
		if ((v = yn_get(body, "uid"))) {
			if ((rc = yc_id(c, v, &a->uid)) < 0)
				return rc;
			a->has_uid = true;
		}
		if ((v = yn_get(body, "gid"))) {
			if ((rc = yc_id(c, v, &a->gid)) < 0)
				return rc;
			a->has_gid = true;
		}
		if (!a->has_uid && !a->has_gid)
			return yc_fail(c, body, PL_EINVAL, "'chown' needs 'uid', 'gid' or both");
		return 0;
	}
	case PL_PATCH_FILE: {
		static const char *const keys[] = {"path", "content", "source", "mode", NULL};

		if ((rc = yc_keys(c, body, keys, "'file'")) < 0)
			return rc;
		if ((rc = yc_need(c, body, "path", "'file'", &v)) < 0 ||
		    (rc = yc_str(c, v, &a->path)) < 0)
			return rc;
		a->path_mark = yc_mark(c, v);
		rc = yc_content_or_source(c, body, "'file'", &a->content, &a->content_len,
					  &a->source, NULL);
		if (rc < 0)
			return rc;
		a->mode = 0644;
		if ((v = yn_get(body, "mode")))
			return yc_mode(c, v, &a->mode);
		return 0;
	}
	}
	return 0;
}

static int parse_patch(const struct yctx *c, const struct yn *root, struct pl_patchdef *p)
{
	static const char *const keys[] = {"id",       "title",	    "severity",	   "cves",
					   "advisory", "published", "description", "applies_to",
					   "actions",  NULL};
	const struct yn *v;
	size_t i = 0;
	int rc;

	if ((rc = yc_root(c, root, "a patch")) < 0 || (rc = yc_keys(c, root, keys, "patch")) < 0)
		return rc;
	if ((rc = yc_need(c, root, "id", "patch", &v)) < 0 || (rc = yc_str(c, v, &p->id)) < 0)
		return rc;
	p->id_mark = yc_mark(c, v);
	if (!p->id[0] || strlen(p->id) > 128 ||
	    strspn(p->id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(p->id) ||
	    p->id[0] == '.' || p->id[0] == '-')
		return yc_fail(c, v, PL_EINVAL,
			       "'id': '%.60s' is not a valid patch id (letters, digits, '.', '_', "
			       "'-', such as PL-2026-0001)",
			       p->id);
	if ((rc = yc_need(c, root, "title", "patch", &v)) < 0 || (rc = yc_str(c, v, &p->title)) < 0)
		return rc;
	if ((rc = yc_need(c, root, "severity", "patch", &v)) < 0 ||
	    (rc = yc_sev(c, v, false, &p->severity)) < 0)
		return rc;
	if ((v = yn_get(root, "cves"))) {
		const struct yn *w = v->head;

		if ((rc = yc_list(c, v, &p->cves)) < 0)
			return rc;
		for (i = 0; i < p->cves.n; i++, w = w->next)
			if (!cve_ok(p->cves.v[i]))
				return yc_fail(c, w, PL_EINVAL,
					       "'%.60s' is not a CVE id such as CVE-2025-12345",
					       p->cves.v[i]);
	}
	if ((rc = yc_opt_str(c, root, "advisory", &p->advisory, NULL)) < 0 ||
	    (rc = yc_opt_str(c, root, "description", &p->description, NULL)) < 0)
		return rc;
	if ((v = yn_get(root, "published"))) {
		if ((rc = yc_str(c, v, &p->published)) < 0)
			return rc;
		if (!date_ok(p->published))
			return yc_fail(c, v, PL_EINVAL,
				       "'published': '%.40s' is not a date such as 2026-01-31",
				       p->published);
	}
	if ((rc = yc_need(c, root, "applies_to", "patch", &v)) < 0 ||
	    (rc = parse_applies(c, v, p)) < 0)
		return rc;
	if ((rc = yc_need(c, root, "actions", "patch", &v)) < 0 || (rc = yc_seq(c, v)) < 0)
		return rc;
	if (v->n == 0)
		return yc_fail(c, v, PL_EINVAL, "'actions' must list at least one action");
	p->actions = ar_array(c->a, v->n + 1, sizeof(*p->actions));
	if (!p->actions)
		return nomem(c);
	i = 0;
	for (const struct yn *w = v->head; w; w = w->next, i++)
		if ((rc = parse_action(c, w, &p->actions[i])) < 0)
			return rc;
	p->nactions = v->n;
	return 0;
}

int pl_patchdef_parse(const char *data, size_t len, const char *file, struct pl_patchdef **out,
		      struct pl_err *err)
{
	struct yc_doc d;
	struct pl_patchdef *p;
	int rc;

	*out = NULL;
	rc = yc_doc_begin(&d, data, len, file, "<patch>", sizeof(*p), err);
	p = d.model;
	if (rc == 0) {
		p->arena = d.c.a;
		p->file = d.c.file;
		rc = parse_patch(&d.c, d.root, p);
	}
	rc = yc_doc_end(&d, rc);
	if (rc == 0)
		*out = p;
	return rc;
}

void pl_patchdef_free(struct pl_patchdef *p)
{
	if (p)
		ar_free(p->arena);
}
