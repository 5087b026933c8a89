/*
 * The lock file: a resolution pinned to exact versions, URLs, sizes and
 * sha256 digests, written with sorted keys and read back strictly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/apt/internal.h"
#include "util/json.h"

static char *xstrdup(const char *s)
{
	return strdup(s ? s : "");
}

static void lock_pkg_release(struct pl_apt_lock_pkg *p)
{
	free(p->name);
	free(p->version);
	free(p->arch);
	free(p->repository);
	free(p->url);
	free(p->filename);
	free(p->source);
	free(p->source_version);
	free(p->depends);
	free(p->pre_depends);
	free(p->provides);
}

void pl_apt_lock_free(struct pl_apt_lock *l)
{
	if (!l)
		return;
	free(l->arch);
	for (size_t i = 0; i < l->nrequested; i++)
		free(l->requested[i]);
	free(l->requested);
	for (size_t i = 0; i < l->nrepos; i++) {
		free(l->repos[i].name);
		free(l->repos[i].url);
		free(l->repos[i].suite);
	}
	free(l->repos);
	for (size_t i = 0; i < l->npkgs; i++)
		lock_pkg_release(&l->pkgs[i]);
	free(l->pkgs);
	free(l);
}

static int repo_order(const void *x, const void *y)
{
	return strcmp(((const struct pl_apt_lock_repo *)x)->name,
		      ((const struct pl_apt_lock_repo *)y)->name);
}

int pl_apt_lock_from(const struct pl_apt *a, const struct pl_apt_resolution *res,
		     struct pl_apt_lock **out, struct pl_err *err)
{
	struct pl_apt_lock *l = calloc(1, sizeof(*l));
	bool *used = calloc(a->nrepos + 1, sizeof(*used));
	int rc = PL_ENOMEM;

	*out = NULL;
	if (!l || !used)
		goto nomem;
	l->version = 1;
	l->arch = strdup(a->arch);
	l->requested = calloc(res->nrequested + 1, sizeof(*l->requested));
	l->pkgs = calloc(res->n + 1, sizeof(*l->pkgs));
	l->repos = calloc(a->nrepos + 1, sizeof(*l->repos));
	if (!l->arch || !l->requested || !l->pkgs || !l->repos)
		goto nomem;
	for (size_t i = 0; i < res->nrequested; i++) {
		if (!(l->requested[i] = strdup(res->requested[i])))
			goto nomem;
		l->nrequested++;
	}
	for (size_t i = 0; i < res->n; i++) {
		const struct pl_apt_pkg *p = res->pkgs[i];
		struct pl_apt_lock_pkg *q = &l->pkgs[i];

		l->npkgs++;
		q->name = xstrdup(p->name);
		q->version = xstrdup(p->version);
		q->arch = xstrdup(p->arch);
		q->repository = xstrdup(a->repos[p->repo].info.name);
		q->url = pl_apt_pkg_url(a, p);
		q->filename = xstrdup(p->filename);
		q->source = xstrdup(p->source);
		q->source_version = xstrdup(p->source_version);
		q->depends = xstrdup(p->depends);
		q->pre_depends = xstrdup(p->pre_depends);
		q->provides = xstrdup(p->provides);
		q->size = p->size;
		memcpy(q->sha256, p->sha256, sizeof(q->sha256));
		if (!q->name || !q->version || !q->arch || !q->repository || !q->url ||
		    !q->filename || !q->source || !q->source_version || !q->depends ||
		    !q->pre_depends || !q->provides)
			goto nomem;
		used[p->repo] = true;
	}
	for (size_t i = 0; i < a->nrepos; i++) {
		struct pl_apt_lock_repo *q;

		if (!used[i])
			continue;
		q = &l->repos[l->nrepos++];
		q->name = xstrdup(a->repos[i].info.name);
		q->url = xstrdup(a->repos[i].info.url);
		q->suite = xstrdup(a->repos[i].info.suite);
		memcpy(q->release_sha256, a->repos[i].info.release_sha256,
		       sizeof(q->release_sha256));
		if (!q->name || !q->url || !q->suite)
			goto nomem;
	}
	qsort(l->repos, l->nrepos, sizeof(*l->repos), repo_order);
	*out = l;
	l = NULL;
	rc = 0;
	goto out;
nomem:
	rc = pl_err_set(err, PL_ENOMEM, "out of memory");
out:
	free(used);
	pl_apt_lock_free(l);
	return rc;
}

/* ---- writing ---- */

static int set_str(json_t *o, const char *k, const char *v, struct pl_err *err)
{
	return pl_json_set_str(o, k, v ? v : "", err);
}

int pl_apt_lock_write(const struct pl_apt_lock *l, struct pl_buf *out, struct pl_err *err)
{
	json_t *root = json_object(), *pkgs = json_array(), *repos = json_object();
	json_t *req = json_array();
	int rc;

	if (!root || !pkgs || !repos || !req) {
		json_decref(pkgs);
		json_decref(repos);
		json_decref(req);
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = pl_json_set_new(root, "packages", pkgs, err)) < 0) {
		json_decref(repos);
		json_decref(req);
		goto out;
	}
	if ((rc = pl_json_set_new(root, "repositories", repos, err)) < 0) {
		json_decref(req);
		goto out;
	}
	if ((rc = pl_json_set_new(root, "requested", req, err)) < 0 ||
	    (rc = pl_json_set_new(root, "version", json_integer(l->version), err)) < 0 ||
	    (rc = set_str(root, "architecture", l->arch, err)) < 0)
		goto out;
	for (size_t i = 0; i < l->nrequested; i++)
		if ((rc = pl_json_append_new(req, json_string(l->requested[i]), err)) < 0)
			goto out;
	for (size_t i = 0; i < l->nrepos; i++) {
		const struct pl_apt_lock_repo *r = &l->repos[i];
		json_t *o = json_object();

		if ((rc = pl_json_set_new(repos, r->name, o, err)) < 0 ||
		    (rc = set_str(o, "url", r->url, err)) < 0 ||
		    (rc = set_str(o, "suite", r->suite, err)) < 0 ||
		    (rc = set_str(o, "release_sha256", pl_digest_hex(r->release_sha256), err)) < 0)
			goto out;
	}
	for (size_t i = 0; i < l->npkgs; i++) {
		const struct pl_apt_lock_pkg *p = &l->pkgs[i];
		json_t *o = json_object();

		if ((rc = pl_json_append_new(pkgs, o, err)) < 0 ||
		    (rc = set_str(o, "name", p->name, err)) < 0 ||
		    (rc = set_str(o, "version", p->version, err)) < 0 ||
		    (rc = set_str(o, "architecture", p->arch, err)) < 0 ||
		    (rc = set_str(o, "repository", p->repository, err)) < 0 ||
		    (rc = set_str(o, "url", p->url, err)) < 0 ||
		    (rc = set_str(o, "filename", p->filename, err)) < 0 ||
		    (rc = set_str(o, "source", p->source, err)) < 0 ||
		    (rc = set_str(o, "source_version", p->source_version, err)) < 0 ||
		    (rc = set_str(o, "depends", p->depends, err)) < 0 ||
		    (rc = set_str(o, "pre_depends", p->pre_depends, err)) < 0 ||
		    (rc = set_str(o, "provides", p->provides, err)) < 0 ||
		    (rc = set_str(o, "sha256", pl_digest_hex(p->sha256), err)) < 0 ||
		    (rc = pl_json_set_new(o, "size", json_integer(p->size), err)) < 0)
			goto out;
	}
	rc = pl_json_dump_pretty(root, out, err);
out:
	json_decref(root);
	return rc;
}

/* ---- parsing ---- */

struct lp {
	const char *what;
	struct pl_err *err;
	char path[128];
};

static int bad(struct lp *c, const char *key, const char *msg)
{
	return pl_err_set(c->err, PL_EINVAL, "%s: %s%s%s: %s", c->what, c->path,
			  c->path[0] && key ? "." : "", key ? key : "", msg);
}

static int only_keys(struct lp *c, json_t *o, const char *const *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		bool ok = false;
		for (size_t i = 0; keys[i] && !ok; i++)
			ok = !strcmp(keys[i], k);
		if (!ok) {
			char msg[160];
			snprintf(msg, sizeof(msg), "unknown key '%.100s'", k);
			return bad(c, NULL, msg);
		}
	}
	return 0;
}

static int get_str(struct lp *c, json_t *o, const char *key, bool nonempty, char **out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return bad(c, key, "missing");
	if (!json_is_string(v))
		return bad(c, key, "not a string");
	if (nonempty && json_string_length(v) == 0)
		return bad(c, key, "empty");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return bad(c, key, "contains a NUL byte");
	*out = strdup(json_string_value(v));
	return *out ? 0 : pl_err_set(c->err, PL_ENOMEM, "out of memory");
}

static int get_sha(struct lp *c, json_t *o, const char *key, char out[PL_DIGEST_SIZE])
{
	json_t *v = json_object_get(o, key);
	const char *s;

	if (!v)
		return bad(c, key, "missing");
	s = json_string_value(v);
	if (!s || strlen(s) != 64 || strspn(s, "0123456789abcdef") != 64)
		return bad(c, key, "not a sha256");
	snprintf(out, PL_DIGEST_SIZE, "sha256:%s", s);
	return 0;
}

static int check_deps(struct lp *c, const char *key, const char *s)
{
	struct pl_deplist l = {0};
	struct pl_err e2 = PL_ERR_INIT;
	int rc;

	if (!*s)
		return 0;
	rc = pl_deplist_parse(s, key, &l, &e2);
	pl_deplist_release(&l);
	if (rc < 0) {
		const char *m = e2.msg;
		size_t kl = strlen(key);
		if (!strncmp(m, key, kl) && !strncmp(m + kl, ": ", 2))
			m += kl + 2; /* the path already names the field */
		return bad(c, key, m);
	}
	return 0;
}

static int parse_pkg(struct lp *c, json_t *o, struct pl_apt_lock_pkg *p)
{
	static const char *const keys[] = {
	    "name",	   "version",  "architecture",	 "repository", "url",
	    "filename",	   "source",   "size",		 "sha256",     "depends",
	    "pre_depends", "provides", "source_version", NULL};
	struct pl_err e2 = PL_ERR_INIT;
	json_t *sz;
	int rc;

	if (!json_is_object(o))
		return bad(c, NULL, "not an object");
	if ((rc = only_keys(c, o, keys)) < 0 || (rc = get_str(c, o, "name", true, &p->name)) < 0 ||
	    (rc = get_str(c, o, "version", true, &p->version)) < 0 ||
	    (rc = get_str(c, o, "architecture", true, &p->arch)) < 0 ||
	    (rc = get_str(c, o, "repository", true, &p->repository)) < 0 ||
	    (rc = get_str(c, o, "url", true, &p->url)) < 0 ||
	    (rc = get_str(c, o, "filename", true, &p->filename)) < 0 ||
	    (rc = get_str(c, o, "source", true, &p->source)) < 0 ||
	    (rc = get_str(c, o, "source_version", true, &p->source_version)) < 0 ||
	    (rc = get_str(c, o, "depends", false, &p->depends)) < 0 ||
	    (rc = get_str(c, o, "pre_depends", false, &p->pre_depends)) < 0 ||
	    (rc = get_str(c, o, "provides", false, &p->provides)) < 0 ||
	    (rc = get_sha(c, o, "sha256", p->sha256)) < 0)
		return rc;
	if (pl_debver_check(p->version, &e2) < 0)
		return bad(c, "version", e2.msg);
	if (strchr(p->name, ' ') || strchr(p->name, ','))
		return bad(c, "name", "not a package name");
	sz = json_object_get(o, "size");
	if (!sz)
		return bad(c, "size", "missing");
	if (!json_is_integer(sz) || json_integer_value(sz) < 0)
		return bad(c, "size", "not a non-negative integer");
	p->size = json_integer_value(sz);
	if (strncmp(p->url, "http://", 7) && strncmp(p->url, "https://", 8) &&
	    strncmp(p->url, "file://", 7))
		return bad(c, "url", "not an http, https or file URL");
	if ((rc = check_deps(c, "depends", p->depends)) < 0 ||
	    (rc = check_deps(c, "pre_depends", p->pre_depends)) < 0 ||
	    (rc = check_deps(c, "provides", p->provides)) < 0)
		return rc;
	return 0;
}

int pl_apt_lock_parse(const char *data, size_t len, const char *what, struct pl_apt_lock **out,
		      struct pl_err *err)
{
	static const char *const top[] = {"version",   "architecture", "packages",
					  "requested", "repositories", NULL};
	static const char *const rkeys[] = {"url", "suite", "release_sha256", NULL};
	struct lp c = {what, err, ""};
	struct pl_apt_lock *l = NULL;
	json_t *root = NULL, *v, *pkgs, *repos, *req;
	const char *k;
	int rc;

	*out = NULL;
	if (len > PL_APT_MAX_LOCK)
		return pl_err_set(err, PL_ETOOBIG, "%s: lock file larger than %u bytes", what,
				  PL_APT_MAX_LOCK);
	rc = pl_json_load(data, len, what, &root, err);
	if (rc < 0)
		goto out;
	l = calloc(1, sizeof(*l));
	if (!l) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if (!json_is_object(root)) {
		rc = bad(&c, NULL, "not a JSON object");
		goto out;
	}
	if ((rc = only_keys(&c, root, top)) < 0)
		goto out;
	v = json_object_get(root, "version");
	if (!v || !json_is_integer(v) || json_integer_value(v) != 1) {
		rc = bad(&c, "version", v ? "unsupported lock version (expected 1)" : "missing");
		goto out;
	}
	l->version = 1;
	if ((rc = get_str(&c, root, "architecture", true, &l->arch)) < 0)
		goto out;

	req = json_object_get(root, "requested");
	if (!json_is_array(req)) {
		rc = bad(&c, "requested", req ? "not an array" : "missing");
		goto out;
	}
	l->requested = calloc(json_array_size(req) + 1, sizeof(*l->requested));
	if (!l->requested) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(req); i++) {
		const char *s = json_string_value(json_array_get(req, i));
		if (!s || !*s) {
			snprintf(c.path, sizeof(c.path), "requested[%zu]", i);
			rc = bad(&c, NULL, "not a package name");
			goto out;
		}
		if (!(l->requested[i] = strdup(s))) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		l->nrequested++;
	}

	repos = json_object_get(root, "repositories");
	if (!json_is_object(repos)) {
		rc = bad(&c, "repositories", repos ? "not an object" : "missing");
		goto out;
	}
	l->repos = calloc(json_object_size(repos) + 1, sizeof(*l->repos));
	if (!l->repos) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	json_object_foreach(repos, k, v)
	{
		struct pl_apt_lock_repo *r = &l->repos[l->nrepos++];

		snprintf(c.path, sizeof(c.path), "repositories.%.100s", k);
		if (!json_is_object(v)) {
			rc = bad(&c, NULL, "not an object");
			goto out;
		}
		if (!(r->name = strdup(k))) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = only_keys(&c, v, rkeys)) < 0 ||
		    (rc = get_str(&c, v, "url", true, &r->url)) < 0 ||
		    (rc = get_str(&c, v, "suite", true, &r->suite)) < 0 ||
		    (rc = get_sha(&c, v, "release_sha256", r->release_sha256)) < 0)
			goto out;
	}
	qsort(l->repos, l->nrepos, sizeof(*l->repos), repo_order);

	pkgs = json_object_get(root, "packages");
	c.path[0] = '\0';
	if (!json_is_array(pkgs)) {
		rc = bad(&c, "packages", pkgs ? "not an array" : "missing");
		goto out;
	}
	l->pkgs = calloc(json_array_size(pkgs) + 1, sizeof(*l->pkgs));
	if (!l->pkgs) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(pkgs); i++) {
		struct pl_apt_lock_pkg *p = &l->pkgs[l->npkgs++];
		bool known = false;

		snprintf(c.path, sizeof(c.path), "packages[%zu]", i);
		rc = parse_pkg(&c, json_array_get(pkgs, i), p);
		if (rc < 0)
			goto out;
		if (i > 0 && strcmp(l->pkgs[i - 1].name, p->name) >= 0) {
			rc = bad(&c, "name", "packages are not sorted by name, or a name repeats");
			goto out;
		}
		for (size_t j = 0; j < l->nrepos && !known; j++)
			known = !strcmp(l->repos[j].name, p->repository);
		if (!known) {
			rc = bad(&c, "repository", "names no entry of \"repositories\"");
			goto out;
		}
	}
	*out = l;
	l = NULL;
	rc = 0;
out:
	json_decref(root);
	pl_apt_lock_free(l);
	return rc;
}

/* ---- checking ---- */

struct lprov {
	const struct pl_apt_lock_pkg *pkg;
	struct pl_deplist prov;
};

static int pkg_cmp_name(const void *key, const void *elem)
{
	return strcmp(key, ((const struct pl_apt_lock_pkg *)elem)->name);
}

static const struct pl_apt_lock_pkg *lock_find(const struct pl_apt_lock *l, const char *name)
{
	return bsearch(name, l->pkgs, l->npkgs, sizeof(*l->pkgs), pkg_cmp_name);
}

static bool lock_satisfies(const struct pl_apt_lock *l, const struct lprov *pv,
			   const struct pl_dep_alt *alt)
{
	const struct pl_apt_lock_pkg *p = lock_find(l, alt->name);

	if (p && pl_dep_version_ok(alt, p->version))
		return true;
	for (size_t i = 0; i < l->npkgs; i++) {
		for (size_t j = 0; j < pv[i].prov.n; j++) {
			for (size_t k = 0; k < pv[i].prov.v[j].nalts; k++) {
				const struct pl_dep_alt *x = &pv[i].prov.v[j].alts[k];
				if (strcmp(x->name, alt->name))
					continue;
				if (alt->op == PL_DEP_ANY || (x->op == PL_DEP_EQ && x->version &&
							      pl_dep_version_ok(alt, x->version)))
					return true;
			}
		}
	}
	return false;
}

static bool dep_ok(const struct pl_apt_lock *l, const struct lprov *pv, const struct pl_dep *d,
		   const char *arch)
{
	size_t live = 0;

	for (size_t i = 0; i < d->nalts; i++) {
		if (!pl_dep_arch_ok(&d->alts[i], arch))
			continue;
		live++;
		if (lock_satisfies(l, pv, &d->alts[i]))
			return true;
	}
	return live == 0;
}

/* "; the lock has x 1.0" when the first alternative's name is locked. */
static int what_it_has(const struct pl_apt_lock *l, const struct pl_dep *d, struct pl_buf *b,
		       struct pl_err *err)
{
	const struct pl_apt_lock_pkg *p = d->nalts ? lock_find(l, d->alts[0].name) : NULL;

	if (!p)
		return 0;
	return pl_buf_addf(b, err, " (the lock has %s %s)", p->name, p->version);
}

static int dep_text(const struct pl_dep *d, struct pl_buf *b, struct pl_err *err)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < d->nalts; i++) {
		if (i)
			rc = pl_buf_adds(b, " | ", err);
		if (rc == 0)
			rc = apt_alt_text(&d->alts[i], b, err);
	}
	return rc;
}

int pl_apt_lock_check(const struct pl_apt_lock *l, const char *const *requests, size_t nrequests,
		      const char *arch, struct pl_err *err)
{
	struct lprov *pv = calloc(l->npkgs + 1, sizeof(*pv));
	struct pl_buf b = PL_BUF_INIT;
	int rc;

	if (!pv)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	if (arch && strcmp(arch, l->arch) != 0) {
		rc = pl_err_set(err, PL_EINVAL,
				"lock is for architecture '%s', not '%s'; run plinth lock", l->arch,
				arch);
		goto out;
	}
	for (size_t i = 0; i < l->npkgs; i++) {
		pv[i].pkg = &l->pkgs[i];
		if (*l->pkgs[i].provides &&
		    (rc = pl_deplist_parse(l->pkgs[i].provides, "provides", &pv[i].prov, err)) < 0)
			goto out;
	}
	for (size_t i = 0; i < nrequests; i++) {
		struct pl_deplist req = {0};
		bool ok;

		rc = apt_request_parse(requests[i], &req, err);
		if (rc < 0)
			goto out;
		ok = dep_ok(l, pv, &req.v[0], l->arch);
		if (!ok) {
			rc = pl_buf_addf(&b, err, "lock has no package for '%s'", requests[i]);
			if (rc == 0)
				rc = what_it_has(l, &req.v[0], &b, err);
			if (rc == 0)
				rc = pl_err_set(err, PL_EINVAL, "%s; run plinth lock", b.data);
		}
		pl_deplist_release(&req);
		if (!ok)
			goto out;
	}
	for (size_t i = 0; i < l->npkgs; i++) {
		const struct pl_apt_lock_pkg *p = &l->pkgs[i];
		const char *fields[2] = {p->pre_depends, p->depends};

		for (int k = 0; k < 2; k++) {
			struct pl_deplist dl = {0};

			if (!*fields[k])
				continue;
			rc = pl_deplist_parse(fields[k], k ? "depends" : "pre_depends", &dl, err);
			if (rc < 0)
				goto out;
			for (size_t j = 0; j < dl.n && rc == 0; j++) {
				if (dep_ok(l, pv, &dl.v[j], l->arch))
					continue;
				rc = pl_buf_addf(&b, err, "lock: %s %s %s '", p->name, p->version,
						 k ? "depends on" : "pre-depends on");
				if (rc == 0)
					rc = dep_text(&dl.v[j], &b, err);
				if (rc == 0)
					rc = pl_buf_adds(&b, "', which the lock does not satisfy",
							 err);
				if (rc == 0)
					rc = what_it_has(l, &dl.v[j], &b, err);
				if (rc == 0)
					rc = pl_err_set(err, PL_EINVAL, "%s; run plinth lock",
							b.data);
			}
			pl_deplist_release(&dl);
			if (rc < 0)
				goto out;
		}
	}
	rc = 0;
out:
	for (size_t i = 0; i < l->npkgs; i++)
		pl_deplist_release(&pv[i].prov);
	free(pv);
	pl_buf_release(&b);
	return rc;
}

int pl_apt_lock_items(const struct pl_apt_lock *l, struct pl_fetch_item **items, size_t *n,
		      struct pl_err *err)
{
	struct pl_fetch_item *v = calloc(l->npkgs + 1, sizeof(*v));

	*items = NULL;
	*n = 0;
	if (!v)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	for (size_t i = 0; i < l->npkgs; i++) {
		v[i].url = l->pkgs[i].url;
		v[i].sha256 = l->pkgs[i].sha256;
		v[i].size = l->pkgs[i].size;
		v[i].what = l->pkgs[i].filename;
	}
	*items = v;
	*n = l->npkgs;
	return 0;
}
