/*
 * plinth.yaml -> struct pl_settings: repo-wide registry, output, apt
 * repositories, policy, vulnerability feeds, signing, ledger and patch order.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static int nomem(const struct yctx *c)
{
	return pl_err_set(c->err, PL_ENOMEM, "out of memory");
}

static int parse_repo(const struct yctx *c, const struct yn *n, struct pl_settings_repo *r)
{
	static const char *const keys[] = {"url",     "suite",	 "components", "architectures",
					   "keyring", "trusted", NULL};
	char where[100];
	const struct yn *v;
	int rc;

	snprintf(where, sizeof(where), "repository '%.60s'", n->key->s);
	if ((rc = yc_keys(c, n, keys, where)) < 0)
		return rc;
	r->mark = yc_mark(c, n->key);
	if (!(r->name = ar_strdup(c->a, n->key->s)))
		return nomem(c);
	if ((rc = yc_need(c, n, "url", where, &v)) < 0 || (rc = yc_str(c, v, &r->url)) < 0)
		return rc;
	if ((rc = yc_need(c, n, "suite", where, &v)) < 0 || (rc = yc_str(c, v, &r->suite)) < 0)
		return rc;
	if ((v = yn_get(n, "components"))) {
		if ((rc = yc_list(c, v, &r->components)) < 0)
			return rc;
	} else {
		r->components.v = ar_array(c->a, 2, sizeof(char *));
		r->components.marks = ar_array(c->a, 2, sizeof(struct pl_mark));
		if (!r->components.v || !r->components.marks)
			return nomem(c);
		r->components.v[0] = "main";
		r->components.marks[0].file = c->file;
		r->components.n = 1;
	}
	if ((v = yn_get(n, "architectures")) && (rc = yc_list(c, v, &r->architectures)) < 0)
		return rc;
	if ((rc = yc_opt_str(c, n, "keyring", &r->keyring, &r->keyring_mark)) < 0)
		return rc;
	if ((v = yn_get(n, "trusted")) && (rc = yc_bool(c, v, &r->trusted)) < 0)
		return rc;
	return 0;
}

static int parse_feed(const struct yctx *c, const struct yn *n, struct pl_settings_feed *f)
{
	static const char *const keys[] = {"kind", "url", NULL};
	static const char *const kinds[] = {"osv", "debian", "alpine", NULL};
	const struct yn *v;
	int rc, k;

	if ((rc = yc_keys(c, n, keys, "a feed")) < 0)
		return rc;
	f->mark = yc_mark(c, n);
	if ((rc = yc_need(c, n, "kind", "feed", &v)) < 0 || (rc = yc_enum(c, v, kinds, &k)) < 0)
		return rc;
	f->kind = (char *)kinds[k];
	if ((rc = yc_need(c, n, "url", "feed", &v)) < 0 || (rc = yc_str(c, v, &f->url)) < 0)
		return rc;
	return 0;
}

static int parse_settings(const struct yctx *c, const struct yn *root, struct pl_settings *s)
{
	static const char *const keys[] = {"registry", "output", "compression", "repositories",
					   "policy",   "vulndb", "signing",	"ledger",
					   "patches",  NULL};
	static const char *const comps[] = {"gzip", "zstd", NULL};
	const struct yn *v, *w;
	size_t i = 0;
	int rc, k;

	if ((rc = yc_root(c, root, "plinth.yaml")) < 0 ||
	    (rc = yc_keys(c, root, keys, "settings")) < 0)
		return rc;
	if ((rc = yc_opt_str(c, root, "registry", &s->registry, NULL)) < 0)
		return rc;
	s->output = "out/images";
	if ((rc = yc_opt_str(c, root, "output", &s->output, NULL)) < 0)
		return rc;
	if ((v = yn_get(root, "compression"))) {
		if ((rc = yc_enum(c, v, comps, &k)) < 0)
			return rc;
		s->compression = k ? PL_SETTINGS_ZSTD : PL_SETTINGS_GZIP;
	}
	if ((v = yn_get(root, "repositories"))) {
		if ((rc = yc_map(c, v)) < 0)
			return rc;
		s->repos = ar_array(c->a, v->n + 1, sizeof(*s->repos));
		if (!s->repos)
			return nomem(c);
		for (w = v->head; w; w = w->next, i++)
			if ((rc = parse_repo(c, w, &s->repos[i])) < 0)
				return rc;
		s->nrepos = v->n;
	}
	s->policy.fail_on = PL_RECIPE_SEV_HIGH;
	if ((v = yn_get(root, "policy")) && (rc = yc_policy(c, v, &s->policy)) < 0)
		return rc;
	s->vulndb.path = "out/vuln.db";
	if ((v = yn_get(root, "vulndb"))) {
		static const char *const vkeys[] = {"path", "feeds", NULL};

		if ((rc = yc_keys(c, v, vkeys, "'vulndb'")) < 0)
			return rc;
		s->vulndb.mark = yc_mark(c, v);
		if ((rc = yc_opt_str(c, v, "path", &s->vulndb.path, NULL)) < 0)
			return rc;
		if ((w = yn_get(v, "feeds"))) {
			if ((rc = yc_seq(c, w)) < 0)
				return rc;
			s->vulndb.feeds = ar_array(c->a, w->n + 1, sizeof(*s->vulndb.feeds));
			if (!s->vulndb.feeds)
				return nomem(c);
			i = 0;
			for (const struct yn *f = w->head; f; f = f->next, i++)
				if ((rc = parse_feed(c, f, &s->vulndb.feeds[i])) < 0)
					return rc;
			s->vulndb.nfeeds = w->n;
		}
	}
	if ((v = yn_get(root, "signing"))) {
		static const char *const skeys[] = {"key", NULL};

		if ((rc = yc_keys(c, v, skeys, "'signing'")) < 0)
			return rc;
		s->signing.mark = yc_mark(c, v);
		if ((rc = yc_opt_str(c, v, "key", &s->signing.key, NULL)) < 0)
			return rc;
	}
	s->ledger.path = "out/ledger.db";
	if ((v = yn_get(root, "ledger"))) {
		static const char *const lkeys[] = {"path", NULL};

		if ((rc = yc_keys(c, v, lkeys, "'ledger'")) < 0)
			return rc;
		s->ledger.mark = yc_mark(c, v);
		if ((rc = yc_opt_str(c, v, "path", &s->ledger.path, NULL)) < 0)
			return rc;
	}
	if ((v = yn_get(root, "patches"))) {
		static const char *const pkeys[] = {"order", "exclude", NULL};

		if ((rc = yc_keys(c, v, pkeys, "'patches'")) < 0)
			return rc;
		s->patches.mark = yc_mark(c, v);
		if ((w = yn_get(v, "order")) && (rc = yc_list(c, w, &s->patches.order)) < 0)
			return rc;
		if ((w = yn_get(v, "exclude")) && (rc = yc_list(c, w, &s->patches.exclude)) < 0)
			return rc;
	}
	return 0;
}

int pl_settings_parse(const char *data, size_t len, const char *file, struct pl_settings **out,
		      struct pl_err *err)
{
	struct yc_doc d;
	struct pl_settings *s;
	int rc;

	*out = NULL;
	rc = yc_doc_begin(&d, data, len, file, "plinth.yaml", sizeof(*s), err);
	s = d.model;
	if (rc == 0) {
		s->arena = d.c.a;
		s->file = d.c.file;
		rc = parse_settings(&d.c, d.root, s);
	}
	rc = yc_doc_end(&d, rc);
	if (rc == 0)
		*out = s;
	return rc;
}

void pl_settings_free(struct pl_settings *s)
{
	if (s)
		ar_free(s->arena);
}

const struct pl_settings_repo *pl_settings_repo(const struct pl_settings *s, const char *name)
{
	for (size_t i = 0; s && i < s->nrepos; i++)
		if (!strcmp(s->repos[i].name, name))
			return &s->repos[i];
	return NULL;
}
