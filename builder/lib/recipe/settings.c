/*
 * plinth.yaml -> struct pl_settings: repo-wide registry, output, apt
 * repositories, policy, vulnerability feeds, signing, ledger, patch order and
 * the trust policy (matched by trust.c).
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

/* ---- trust ---- */

typedef int (*item_check)(const struct yctx *c, const struct yn *n, const char *s);

/*
 * A list of strings, each passed to check (with its node, for the mark);
 * empty, when non-NULL, is the message for an empty list.
 */
static int checked_list(const struct yctx *c, const struct yn *n, item_check check,
			const char *empty, struct pl_recipe_list *out)
{
	const struct yn *v;
	size_t i = 0;
	int rc = yc_list(c, n, out);

	if (rc < 0)
		return rc;
	if (empty && out->n == 0)
		return yc_fail(c, n, PL_EINVAL, "%s", empty);
	for (v = n->head; v; v = v->next, i++)
		if ((rc = check(c, v, out->v[i])) < 0)
			return rc;
	return 0;
}

/*
 * A repository glob names its registry, as docker's grammar does (a first
 * component with '.' or ':', or "localhost"), or a wildcard standing for it,
 * or is "oci:PATH"; it names no tag or digest.
 */
static int check_pattern(const struct yctx *c, const struct yn *n, const char *s)
{
	const char *slash = strchr(s, '/'), *last = strrchr(s, '/');
	size_t first = slash ? (size_t)(slash - s) : strlen(s);

	if (!*s)
		return yc_fail(c, n, PL_EINVAL, "repository pattern must not be empty");
	if (strpbrk(s, " \t\r\n"))
		return yc_fail(c, n, PL_EINVAL, "repository pattern '%.200s' contains a space", s);
	if (!strncmp(s, "oci:", 4))
		return s[4] ? 0
			    : yc_fail(c, n, PL_EINVAL,
				      "repository pattern 'oci:' needs a layout path (oci:PATH, or "
				      "oci:* for every layout)");
	if (strchr(s, '@'))
		return yc_fail(c, n, PL_EINVAL,
			       "repository pattern '%.200s' names a digest; write the repository "
			       "and list digests under 'digests'",
			       s);
	if (slash && strchr(last, ':'))
		return yc_fail(c, n, PL_EINVAL,
			       "repository pattern '%.200s' names a tag; trust covers whole "
			       "repositories, drop the ':TAG'",
			       s);
	if (!slash && !strpbrk(s, "*?"))
		goto no_registry;
	if (memchr(s, '.', first) || memchr(s, ':', first) || memchr(s, '*', first) ||
	    memchr(s, '?', first) || (first == 9 && !strncmp(s, "localhost", 9)))
		return 0;
no_registry:
	return yc_fail(c, n, PL_EINVAL,
		       "repository pattern '%.200s' does not start with a registry; write it in "
		       "full, e.g. docker.io/library/debian",
		       s);
}

/* keys/NAME.pub or keys/NAME.pem, normalised, inside keys/. */
static int check_key(const struct yctx *c, const struct yn *n, const char *s)
{
	size_t len = strlen(s);
	const char *p;

	if (strncmp(s, "keys/", 5) || len <= 9 ||
	    (strcmp(s + len - 4, ".pub") && strcmp(s + len - 4, ".pem")))
		return yc_fail(c, n, PL_EINVAL,
			       "key '%.200s' must be a public key in the curation repo's keys/ "
			       "directory (keys/NAME.pub or keys/NAME.pem)",
			       s);
	for (p = s + 5;; p++) {
		const char *end = strchr(p, '/');
		size_t clen = end ? (size_t)(end - p) : strlen(p);

		if (clen == 0 || (clen == 1 && p[0] == '.') ||
		    (clen == 2 && p[0] == '.' && p[1] == '.'))
			return yc_fail(c, n, PL_EINVAL,
				       "key '%.200s' must be normalised (no empty, '.' or '..' "
				       "components)",
				       s);
		if (!end)
			return 0;
		p = end;
	}
}

static int check_digest(const struct yctx *c, const struct yn *n, const char *s)
{
	if (strncmp(s, "sha256:", 7) || !pl_recipe_is_hex64(s + 7))
		return yc_fail(c, n, PL_EINVAL,
			       "digest '%.200s' is not a digest such as sha256:<64 lowercase hex "
			       "digits>",
			       s);
	return 0;
}

/* The key the other kind of entry uses is the likely slip: say so. */
static int wrong_repo_key(const struct yctx *c, const struct yn *n, const char *wrong,
			  const char *what, const char *right)
{
	const struct yn *v = yn_get(n, wrong);

	if (!v)
		return 0;
	return yc_fail(c, v->key, PL_EINVAL, "%s takes '%s', not '%s'", what, right, wrong);
}

static int parse_trust_rule(const struct yctx *c, const struct yn *n, struct pl_trust_rule *r)
{
	static const char *const keys[] = {"repositories", "keys", "require", NULL};
	static const char *const requires[] = {"any", "all", NULL};
	static const char *const where = "a trust.images rule";
	const struct yn *v;
	int rc, k;

	if ((rc = yc_map(c, n)) < 0 ||
	    (rc = wrong_repo_key(c, n, "repository", where, "repositories (a list)")) < 0 ||
	    (rc = yc_keys(c, n, keys, where)) < 0)
		return rc;
	r->mark = yc_mark(c, n);
	if ((rc = yc_need(c, n, "repositories", where, &v)) < 0 ||
	    (rc = checked_list(c, v, check_pattern,
			       "'repositories' must list at least one repository pattern",
			       &r->repositories)) < 0)
		return rc;
	if ((rc = yc_need(c, n, "keys", where, &v)) < 0 ||
	    (rc = checked_list(c, v, check_key, "'keys' must list at least one public key",
			       &r->keys)) < 0)
		return rc;
	if ((v = yn_get(n, "require"))) {
		if ((rc = yc_enum(c, v, requires, &k)) < 0)
			return rc;
		r->require_all = k == 1;
	}
	return 0;
}

static int parse_trust_base(const struct yctx *c, const struct yn *n, struct pl_trust_base *b)
{
	static const char *const keys[] = {"repository", "digests", "keys", NULL};
	static const char *const where = "a trust.bases entry";
	const struct yn *v;
	int rc;

	if ((rc = yc_map(c, n)) < 0 ||
	    (rc = wrong_repo_key(c, n, "repositories", where, "repository (one pattern)")) < 0 ||
	    (rc = yc_keys(c, n, keys, where)) < 0)
		return rc;
	b->mark = yc_mark(c, n);
	if ((rc = yc_need(c, n, "repository", where, &v)) < 0 ||
	    (rc = yc_str(c, v, &b->repository)) < 0 ||
	    (rc = check_pattern(c, v, b->repository)) < 0)
		return rc;
	b->repository_mark = yc_mark(c, v);
	if ((v = yn_get(n, "digests")) &&
	    (rc = checked_list(c, v, check_digest,
			       "'digests' must list at least one digest; leave it out to allow "
			       "any digest",
			       &b->digests)) < 0)
		return rc;
	if ((v = yn_get(n, "keys")) &&
	    (rc = checked_list(c, v, check_key,
			       "'keys' must list at least one public key; leave it out when the "
			       "upstream does not sign",
			       &b->keys)) < 0)
		return rc;
	return 0;
}

static int parse_trust(const struct yctx *c, const struct yn *n, struct pl_trust *t)
{
	static const char *const keys[] = {"images", "bases", "default", NULL};
	static const char *const defaults[] = {"allow", "deny", NULL};
	const struct yn *v, *w;
	size_t i;
	int rc, k;

	if ((rc = yc_keys(c, n, keys, "'trust'")) < 0)
		return rc;
	t->set = true;
	t->mark = yc_mark(c, n);
	if ((v = yn_get(n, "images"))) {
		if ((rc = yc_seq(c, v)) < 0)
			return rc;
		if (!(t->images = ar_array(c->a, v->n + 1, sizeof(*t->images))))
			return nomem(c);
		for (i = 0, w = v->head; w; w = w->next, i++)
			if ((rc = parse_trust_rule(c, w, &t->images[i])) < 0)
				return rc;
		t->nimages = v->n;
	}
	if ((v = yn_get(n, "bases"))) {
		if ((rc = yc_seq(c, v)) < 0)
			return rc;
		if (!(t->bases = ar_array(c->a, v->n + 1, sizeof(*t->bases))))
			return nomem(c);
		for (i = 0, w = v->head; w; w = w->next, i++)
			if ((rc = parse_trust_base(c, w, &t->bases[i])) < 0)
				return rc;
		t->nbases = v->n;
		t->bases_set = true;
	}
	if ((v = yn_get(n, "default"))) {
		if ((rc = yc_enum(c, v, defaults, &k)) < 0)
			return rc;
		t->default_action = k ? PL_TRUST_DENY : PL_TRUST_ALLOW;
		t->default_mark = yc_mark(c, v);
	}
	return 0;
}

static int parse_settings(const struct yctx *c, const struct yn *root, struct pl_settings *s)
{
	static const char *const keys[] = {"registry", "output", "compression", "repositories",
					   "policy",   "vulndb", "signing",	"ledger",
					   "patches",  "trust",	 NULL};
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
	if ((v = yn_get(root, "trust")) && (rc = parse_trust(c, v, &s->trust)) < 0)
		return rc;
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
