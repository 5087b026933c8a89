/*
 * The resolver: depth-first, deterministic, with backtracking over the
 * alternatives and candidates of each dependency. A package name holds one
 * chosen version; what is chosen is preferred when it already satisfies a
 * dependency; otherwise the first alternative whose subtree resolves wins.
 * Errors name the deepest failing chain, which is the one a user can act on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/apt/internal.h"

#define MAX_DEPTH 4096

int apt_alt_text(const struct pl_dep_alt *alt, struct pl_buf *b, struct pl_err *err)
{
	static const char *const ops[] = {"", "<<", "<=", "=", ">=", ">>"};
	int rc = pl_buf_adds(b, alt->name, err);

	if (rc == 0 && alt->arch)
		rc = pl_buf_addf(b, err, ":%s", alt->arch);
	if (rc == 0 && alt->op != PL_DEP_ANY && alt->version)
		rc = pl_buf_addf(b, err, " (%s %s)", ops[alt->op], alt->version);
	return rc;
}

int apt_request_parse(const char *req, struct pl_deplist *out, struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	const char *eq = strchr(req, '=');
	int rc;

	memset(out, 0, sizeof(*out));
	if (eq && !strchr(req, '(')) {
		rc = pl_buf_addf(&b, err, "%.*s (= %s)", (int)(eq - req), req, eq + 1);
		if (rc < 0)
			goto out;
		req = b.data;
	}
	rc = pl_deplist_parse(req, "request", out, err);
	if (rc < 0)
		goto out;
	if (out->n != 1) {
		pl_deplist_release(out);
		rc = pl_err_set(err, PL_EINVAL, "request '%s' is not one package", req);
	}
out:
	pl_buf_release(&b);
	return rc;
}

struct parsed {
	bool done;
	struct pl_deplist dep, pre, conf, brk, prov;
};

struct frame {
	const struct apt_pkg *pkg; /* whose dependency this is; NULL for the request */
	const struct pl_dep_alt *alt;
	bool pre;
};

struct rs {
	const struct pl_apt *a;
	const struct apt_pkg **chosen;
	size_t n;
	const struct apt_pkg **mark; /* per name entry: the chosen package */
	struct parsed *parsed;	     /* per package id */
	size_t steps, max_steps;
	struct frame frames[MAX_DEPTH + 1];
	const char *request;
	struct pl_buf msg;
	int msg_depth;
	struct pl_err *err;
};

static int get_parsed(struct rs *r, const struct apt_pkg *p, struct parsed **out)
{
	struct parsed *ps = &r->parsed[p->id];
	const char *src[5] = {p->pub.depends, p->pub.pre_depends, p->pub.conflicts, p->pub.breaks,
			      p->pub.provides};
	const char *names[5] = {"Depends", "Pre-Depends", "Conflicts", "Breaks", "Provides"};
	struct pl_deplist *dst[5] = {&ps->dep, &ps->pre, &ps->conf, &ps->brk, &ps->prov};
	char what[300];
	int rc;

	*out = ps;
	if (ps->done)
		return 0;
	for (int i = 0; i < 5; i++) {
		if (!src[i])
			continue;
		snprintf(what, sizeof(what), "package '%s' %s: %s", p->pub.name, p->pub.version,
			 names[i]);
		rc = pl_deplist_parse(src[i], what, dst[i], r->err);
		if (rc < 0)
			return rc;
	}
	ps->done = true;
	return 0;
}

static bool arch_qual_ok(const struct rs *r, const struct pl_dep_alt *alt,
			 const struct pl_apt_pkg *p)
{
	const char *q = alt->arch;

	if (!q || !strcmp(q, "native"))
		return true;
	if (!strcmp(q, "any"))
		return p->multi_arch && !strcmp(p->multi_arch, "allowed");
	return !strcmp(q, p->arch) || (!strcmp(p->arch, "all") && !strcmp(q, r->a->arch));
}

static bool pkg_matches(const struct rs *r, const struct pl_dep_alt *alt,
			const struct pl_apt_pkg *p)
{
	return !strcmp(alt->name, p->name) && arch_qual_ok(r, alt, p) &&
	       pl_dep_version_ok(alt, p->version);
}

static bool prov_matches(const struct pl_dep_alt *alt, const char *version)
{
	if (alt->arch && strcmp(alt->arch, "native") != 0)
		return false;
	if (alt->op == PL_DEP_ANY)
		return true;
	return version && pl_dep_version_ok(alt, version);
}

static size_t ent_index(const struct rs *r, const struct apt_ent *e)
{
	return (size_t)(e - r->a->ents);
}

static bool satisfied_by_chosen(const struct rs *r, const struct pl_dep_alt *alt)
{
	const struct apt_ent *e = apt_ent_find(r->a, alt->name);
	const struct apt_pkg *ch;

	if (!e)
		return false;
	ch = r->mark[ent_index(r, e)];
	if (ch && pkg_matches(r, alt, &ch->pub))
		return true;
	for (size_t i = 0; i < e->nprov; i++)
		if (r->mark[e->prov[i].pkg->ent] == e->prov[i].pkg &&
		    prov_matches(alt, e->prov[i].version))
			return true;
	return false;
}

/* Does x's Conflicts or Breaks hit y? Sets *kind to the field's name. */
static int conflicts(struct rs *r, const struct apt_pkg *x, const struct apt_pkg *y,
		     const char **kind, const struct pl_dep_alt **hit, bool *res)
{
	struct parsed *px, *py;
	int rc;

	*res = false;
	if (x == y)
		return 0;
	if ((rc = get_parsed(r, x, &px)) < 0 || (rc = get_parsed(r, y, &py)) < 0)
		return rc;
	for (int k = 0; k < 2; k++) {
		const struct pl_deplist *l = k ? &px->brk : &px->conf;
		for (size_t i = 0; i < l->n; i++) {
			for (size_t j = 0; j < l->v[i].nalts; j++) {
				const struct pl_dep_alt *alt = &l->v[i].alts[j];
				bool m = !strcmp(alt->name, y->pub.name) &&
					 pl_dep_version_ok(alt, y->pub.version);
				for (size_t pi = 0; !m && pi < py->prov.n; pi++) {
					for (size_t pj = 0; !m && pj < py->prov.v[pi].nalts; pj++) {
						const struct pl_dep_alt *pv =
						    &py->prov.v[pi].alts[pj];
						if (strcmp(pv->name, alt->name))
							continue;
						m = alt->op == PL_DEP_ANY ||
						    (pv->op == PL_DEP_EQ && pv->version &&
						     pl_dep_version_ok(alt, pv->version));
					}
				}
				if (m) {
					*kind = k ? "breaks" : "conflicts with";
					*hit = alt;
					*res = true;
					return 0;
				}
			}
		}
	}
	return 0;
}

/* Remember a failure whose chain is frames[0..d] when it is the deepest yet. */
static int record_fail(struct rs *r, int d, const char *reason)
{
	struct pl_buf *b = &r->msg;
	int rc;

	if (r->msg_depth >= d)
		return 0;
	r->msg_depth = d;
	pl_buf_reset(b);
	rc = pl_buf_addf(b, r->err, "cannot install '%s'", r->request);
	for (int i = 1; rc == 0 && i <= d; i++) {
		const struct frame *f = &r->frames[i];
		if (i == 1)
			rc = pl_buf_addf(b, r->err, ": %s %s '", f->pkg->pub.name,
					 f->pre ? "pre-depends on" : "depends on");
		else
			rc = pl_buf_addf(b, r->err, ", which %s '",
					 f->pre ? "pre-depends on" : "needs");
		if (rc == 0)
			rc = apt_alt_text(f->alt, b, r->err);
		if (rc == 0)
			rc = pl_buf_addch(b, '\'', r->err);
	}
	if (rc == 0)
		rc = pl_buf_addf(b, r->err, "%s%s", d ? "; " : ": ", reason);
	return rc;
}

/* Why alt has no candidate, into b. */
static int explain(struct rs *r, const struct pl_dep_alt *alt, struct pl_buf *b)
{
	const struct apt_ent *e = apt_ent_find(r->a, alt->name);
	const struct apt_pkg *ch;
	int rc = 0;

	if (!e || (e->n == 0 && e->nprov == 0))
		return pl_buf_addf(b, r->err, "no repository has a package named '%s'", alt->name);
	ch = r->mark[ent_index(r, e)];
	if (ch)
		return pl_buf_addf(b, r->err, "%s %s is already chosen", ch->pub.name,
				   ch->pub.version);
	if (e->n > 0) {
		if (alt->arch && !strcmp(alt->arch, "any")) {
			bool allowed = false;
			for (size_t i = 0; i < e->n; i++)
				if (arch_qual_ok(r, alt, e->v[i]))
					allowed = true;
			if (!allowed)
				return pl_buf_addf(b, r->err,
						   "'%s' is not Multi-Arch: allowed, so '%s:any' "
						   "cannot be satisfied",
						   alt->name, alt->name);
		}
		for (size_t ri = 0; rc == 0 && ri < r->a->nrepos; ri++) {
			int nv = 0;
			for (size_t i = 0; rc == 0 && i < e->n; i++) {
				if (e->v[i]->repo != ri)
					continue;
				if (nv++ == 0)
					rc = pl_buf_addf(b, r->err, "%srepository '%s' has only %s",
							 b->len ? "; " : "",
							 r->a->repos[ri].info.name,
							 e->v[i]->version);
				else
					rc = pl_buf_addf(b, r->err, ", %s", e->v[i]->version);
			}
		}
		return rc;
	}
	for (size_t i = 0; i < e->nprov; i++)
		if (r->mark[e->prov[i].pkg->ent] && r->mark[e->prov[i].pkg->ent] != e->prov[i].pkg)
			return pl_buf_addf(b, r->err,
					   "'%s' is a virtual package and its providers are "
					   "excluded by other chosen versions",
					   alt->name);
	return pl_buf_addf(b, r->err,
			   "'%s' is a virtual package and no provider offers a matching version",
			   alt->name);
}

static int satisfy(struct rs *r, const struct pl_dep *dep, int d);

static void rollback(struct rs *r, size_t to)
{
	while (r->n > to) {
		const struct apt_pkg *p = r->chosen[--r->n];
		r->mark[p->ent] = NULL;
	}
}

/* Choose c (its chain is frames[0..d-1]) and everything it depends on. */
static int install(struct rs *r, const struct apt_pkg *c, int d)
{
	struct parsed *pc;
	size_t keep = r->n;
	int rc;

	if (++r->steps > r->max_steps)
		return pl_err_set(r->err, PL_ETOOBIG,
				  "cannot install '%s': dependency resolution gave up after %zu "
				  "steps",
				  r->request, r->max_steps);
	if (d >= MAX_DEPTH)
		return pl_err_set(r->err, PL_ETOOBIG,
				  "cannot install '%s': dependency chain deeper than %d",
				  r->request, MAX_DEPTH);
	for (size_t i = 0; i < r->n; i++) {
		const struct apt_pkg *p = r->chosen[i];
		const struct pl_dep_alt *hit = NULL;
		const char *kind = NULL;
		bool bad;

		rc = conflicts(r, c, p, &kind, &hit, &bad);
		if (rc == 0 && !bad) {
			rc = conflicts(r, p, c, &kind, &hit, &bad);
			if (rc == 0 && bad) {
				const struct apt_pkg *t = c;
				c = p;
				p = t;
			}
		}
		if (rc < 0)
			return rc;
		if (bad) {
			struct pl_buf why = PL_BUF_INIT;
			rc = pl_buf_addf(&why, r->err, "%s %s %s '", c->pub.name, c->pub.version,
					 kind);
			if (rc == 0)
				rc = apt_alt_text(hit, &why, r->err);
			if (rc == 0)
				rc = pl_buf_addf(&why, r->err, "' (%s %s)", p->pub.name,
						 p->pub.version);
			if (rc == 0)
				rc = record_fail(r, d - 1, why.data);
			pl_buf_release(&why);
			return rc < 0 ? rc : PL_EINVAL;
		}
	}
	rc = get_parsed(r, c, &pc);
	if (rc < 0)
		return rc;
	r->chosen[r->n++] = c;
	r->mark[c->ent] = c;
	r->frames[d].pkg = c;
	for (int k = 0; k < 2; k++) {
		const struct pl_deplist *l = k ? &pc->dep : &pc->pre;
		for (size_t i = 0; i < l->n; i++) {
			r->frames[d].pkg = c;
			r->frames[d].pre = k == 0;
			rc = satisfy(r, &l->v[i], d);
			if (rc < 0) {
				rollback(r, keep);
				return rc;
			}
		}
	}
	return 0;
}

static int satisfy(struct rs *r, const struct pl_dep *dep, int d)
{
	const struct pl_apt *a = r->a;
	const struct apt_pkg **cands = NULL;
	size_t live = 0;
	int rc = PL_EINVAL;

	for (size_t i = 0; i < dep->nalts; i++) {
		if (!pl_dep_arch_ok(&dep->alts[i], a->arch))
			continue;
		live++;
		if (satisfied_by_chosen(r, &dep->alts[i]))
			return 0;
	}
	if (!live)
		return 0;
	for (size_t i = 0; i < dep->nalts; i++) {
		const struct pl_dep_alt *alt = &dep->alts[i];
		const struct apt_ent *e;
		size_t nc = 0;

		if (!pl_dep_arch_ok(alt, a->arch))
			continue;
		r->frames[d].alt = alt;
		e = apt_ent_find(a, alt->name);
		if (e) {
			free(cands);
			cands = calloc(e->n + e->nprov + 1, sizeof(*cands));
			if (!cands)
				return pl_err_set(r->err, PL_ENOMEM, "out of memory");
			if (!r->mark[ent_index(r, e)]) {
				for (size_t j = 0; j < e->n; j++)
					if (pkg_matches(r, alt, e->v[j]))
						cands[nc++] = (const struct apt_pkg *)e->v[j];
			}
			for (size_t j = 0; j < e->nprov; j++) {
				const struct apt_pkg *pp = e->prov[j].pkg;
				bool dup = false;
				if (r->mark[pp->ent] || !prov_matches(alt, e->prov[j].version))
					continue;
				for (size_t k = 0; k < nc; k++)
					dup = dup || cands[k] == pp;
				if (!dup)
					cands[nc++] = pp;
			}
		}
		if (nc == 0) {
			struct pl_buf why = PL_BUF_INIT;
			int rc2 = explain(r, alt, &why);
			if (rc2 == 0)
				rc2 = record_fail(r, d, why.data);
			pl_buf_release(&why);
			if (rc2 < 0) {
				rc = rc2;
				goto out;
			}
			continue;
		}
		for (size_t j = 0; j < nc; j++) {
			rc = install(r, cands[j], d + 1);
			if (rc != PL_EINVAL)
				goto out; /* chosen, or a hard error */
		}
	}
	rc = PL_EINVAL;
out:
	free(cands);
	return rc;
}

static int name_order(const void *x, const void *y)
{
	const struct pl_apt_pkg *a = *(const struct pl_apt_pkg *const *)x;
	const struct pl_apt_pkg *b = *(const struct pl_apt_pkg *const *)y;

	return strcmp(a->name, b->name);
}

static int ent_name_order(const void *x, const void *y)
{
	const struct apt_ent *a = *(const struct apt_ent *const *)x;
	const struct apt_ent *b = *(const struct apt_ent *const *)y;

	return strcmp(a->name, b->name);
}

static int add_request(char ***v, size_t *n, const char *s, struct pl_err *err)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	(*n)++;
	return 0;
}

int pl_apt_resolve(const struct pl_apt *a, const char *const *requests, size_t nrequests,
		   const struct pl_apt_resolve_opts *o, struct pl_apt_resolution *res,
		   struct pl_err *err)
{
	struct pl_apt_resolve_opts defo = {0};
	struct rs *r = NULL;
	char **all = NULL;
	size_t nall = 0, nexplicit;
	const struct apt_ent **sorted = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!o)
		o = &defo;
	for (size_t i = 0; i < nrequests; i++)
		if ((rc = add_request(&res->requested, &res->nrequested, requests[i], err)) < 0)
			goto out;
	for (size_t i = 0; i < nrequests; i++)
		if ((rc = add_request(&all, &nall, requests[i], err)) < 0)
			goto out;
	nexplicit = nall;
	if (o->essential || o->required) {
		sorted = calloc(a->nents + 1, sizeof(*sorted));
		if (!sorted) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < a->nents; i++)
			sorted[i] = &a->ents[i];
		qsort(sorted, a->nents, sizeof(*sorted), ent_name_order);
		for (size_t i = 0; i < a->nents; i++) {
			const struct apt_ent *e = sorted[i];
			bool want = false;
			for (size_t j = 0; j < e->n && !want; j++)
				want = (o->essential && e->v[j]->essential) ||
				       (o->required && e->v[j]->priority &&
					!strcmp(e->v[j]->priority, "required"));
			if (want && (rc = add_request(&all, &nall, e->name, err)) < 0)
				goto out;
		}
	}

	r = calloc(1, sizeof(*r));
	if (!r) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	r->a = a;
	r->err = err;
	r->max_steps = o->max_steps ? o->max_steps : 200000;
	r->chosen = calloc(a->npkgs + 1, sizeof(*r->chosen));
	r->mark = calloc(a->nents + 1, sizeof(*r->mark));
	r->parsed = calloc(a->npkgs + 1, sizeof(*r->parsed));
	if (!r->chosen || !r->mark || !r->parsed) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nall; i++) {
		struct pl_deplist req = {0};

		rc = apt_request_parse(all[i], &req, err);
		if (rc < 0)
			goto out;
		r->request = all[i];
		r->msg_depth = -1;
		r->frames[0].pkg = NULL;
		r->frames[0].pre = false;
		rc = satisfy(r, &req.v[0], 0);
		pl_deplist_release(&req);
		if (rc == PL_EINVAL && r->msg.len)
			pl_err_set(err, PL_EINVAL, "%s%s", r->msg.data,
				   i >= nexplicit ? " (an essential or required package)" : "");
		if (rc < 0)
			goto out;
	}
	res->pkgs = calloc(r->n + 1, sizeof(*res->pkgs));
	if (!res->pkgs) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < r->n; i++)
		res->pkgs[i] = &r->chosen[i]->pub;
	res->n = r->n;
	qsort(res->pkgs, res->n, sizeof(*res->pkgs), name_order);
	rc = 0;
out:
	if (r) {
		for (size_t i = 0; r->parsed && i < a->npkgs; i++) {
			struct parsed *ps = &r->parsed[i];
			pl_deplist_release(&ps->dep);
			pl_deplist_release(&ps->pre);
			pl_deplist_release(&ps->conf);
			pl_deplist_release(&ps->brk);
			pl_deplist_release(&ps->prov);
		}
		free(r->parsed);
		free(r->chosen);
		free(r->mark);
		pl_buf_release(&r->msg);
		free(r);
	}
	for (size_t i = 0; i < nall; i++)
		free(all[i]);
	free(all);
	free(sorted);
	if (rc < 0)
		pl_apt_resolution_release(res);
	return rc;
}

void pl_apt_resolution_release(struct pl_apt_resolution *res)
{
	for (size_t i = 0; i < res->nrequested; i++)
		free(res->requested[i]);
	free(res->requested);
	free(res->pkgs);
	memset(res, 0, sizeof(*res));
}
