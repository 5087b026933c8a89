/*
 * Matching: installed packages x vulndb statements -> findings. Packages
 * are grouped by source package (one look-up each); the statements about
 * one source are grouped by CVE and decided per installed source version:
 *   1. a changelog FIXED statement at or below the installed version
 *      suppresses (the installed package already carries the fix);
 *   2. the distribution's own statements (Debian tracker, Alpine secdb)
 *      win over OSV ranges; a NOT_AFFECTED among them suppresses;
 *   3. otherwise OSV ranges/versions, otherwise changelog fixes above the
 *      installed version;
 * versions compared with dpkg or apk ordering by ecosystem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/deb.h"
#include "lib/scan.h"
#include "lib/scan/internal.h"

typedef int (*vercmp_fn)(const char *a, const char *b);

struct stmt {
	char *record, *feed, *feed_name;
	enum pl_vuln_status status;
	char *introduced, *fixed, *last_affected;
	char **versions;
	char *urgency, *reason, *cvss_vector, *summary;
	int rank; /* 0 distribution, 1 osv, 2 changelog */
};

struct pair {
	char *cve;
	size_t stmt;
};

struct collect {
	struct stmt *s;
	size_t ns, caps;
	struct pair *p;
	size_t np, capp;
};

static void stmt_release(struct stmt *s)
{
	size_t i;

	free(s->record);
	free(s->feed);
	free(s->feed_name);
	free(s->introduced);
	free(s->fixed);
	free(s->last_affected);
	for (i = 0; s->versions && s->versions[i]; i++)
		free(s->versions[i]);
	free(s->versions);
	free(s->urgency);
	free(s->reason);
	free(s->cvss_vector);
	free(s->summary);
}

static void collect_reset(struct collect *c)
{
	size_t i;

	for (i = 0; i < c->ns; i++)
		stmt_release(&c->s[i]);
	for (i = 0; i < c->np; i++)
		free(c->p[i].cve);
	c->ns = c->np = 0;
}

static void collect_release(struct collect *c)
{
	collect_reset(c);
	free(c->s);
	free(c->p);
	memset(c, 0, sizeof(*c));
}

static int feed_rank(const char *feed)
{
	if (!feed)
		return 1;
	if (!strcmp(feed, "debian-tracker") || !strcmp(feed, "alpine-secdb"))
		return 0;
	if (!strcmp(feed, "changelog"))
		return 2;
	return 1;
}

static int add_pair(struct collect *c, const char *cve, struct pl_err *err)
{
	if (c->np == c->capp) {
		size_t cap = c->capp ? c->capp * 2 : 32;
		struct pair *v = realloc(c->p, cap * sizeof(*v));

		if (!v)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		c->p = v;
		c->capp = cap;
	}
	c->p[c->np].stmt = c->ns - 1;
	if (!(c->p[c->np].cve = strdup(cve)))
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	c->np++;
	return 0;
}

static int on_stmt(const struct pl_vulndb_affected *a, void *ctx, struct pl_err *err)
{
	struct collect *c = ctx;
	struct stmt *s;
	size_t i, n = 0;
	int rc;

	if (c->ns == c->caps) {
		size_t cap = c->caps ? c->caps * 2 : 32;
		struct stmt *v = realloc(c->s, cap * sizeof(*v));

		if (!v)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		c->s = v;
		c->caps = cap;
	}
	s = &c->s[c->ns++];
	memset(s, 0, sizeof(*s));
	s->status = a->status;
	s->rank = feed_rank(a->feed);
	s->record = sc_strdup(a->record ? a->record : "?");
	s->feed = sc_strdup(a->feed ? a->feed : "?");
	s->feed_name = sc_strdup(a->feed_name ? a->feed_name : "");
	s->introduced = sc_strdup(a->introduced);
	s->fixed = sc_strdup(a->fixed);
	s->last_affected = sc_strdup(a->last_affected);
	s->urgency = sc_strdup(a->urgency);
	s->reason = sc_strdup(a->reason);
	s->cvss_vector = sc_strdup(a->cvss_vector);
	s->summary = sc_strdup(a->summary);
	if (!s->record || !s->feed || !s->feed_name || (a->introduced && !s->introduced) ||
	    (a->fixed && !s->fixed) || (a->last_affected && !s->last_affected) ||
	    (a->urgency && !s->urgency) || (a->reason && !s->reason) ||
	    (a->cvss_vector && !s->cvss_vector) || (a->summary && !s->summary))
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	if (a->versions) {
		while (a->versions[n])
			n++;
		if (!(s->versions = calloc(n + 1, sizeof(*s->versions))))
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		for (i = 0; i < n; i++)
			if (!(s->versions[i] = strdup(a->versions[i])))
				return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	if (!a->cves || !a->cves[0])
		return add_pair(c, s->record, err);
	for (i = 0; a->cves[i]; i++)
		if ((rc = add_pair(c, a->cves[i], err)) < 0)
			return rc;
	return 0;
}

static int cmp_pair(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;
	int r = strcmp(a->cve, b->cve);

	if (r)
		return r;
	return a->stmt < b->stmt ? -1 : a->stmt > b->stmt;
}

/* ---- deciding one CVE ---- */

struct verdict {
	bool report;
	enum pl_fstate state;
	const struct stmt *by;
	const char *fixed;
};

static bool is_zero(const char *v)
{
	return !v || !strcmp(v, "0");
}

/* Does s say version v is affected? Fills state and fixed when it does. */
static bool stmt_affects(const struct stmt *s, const char *v, vercmp_fn cmp,
			 enum pl_fstate *state, const char **fixed)
{
	size_t i;
	bool in_range;

	*fixed = NULL;
	if (!is_zero(s->introduced) && cmp(v, s->introduced) < 0)
		return false;
	switch (s->status) {
	case PL_VULN_NOT_AFFECTED:
		return false;
	case PL_VULN_FIXED:
		if (is_zero(s->fixed) || cmp(v, s->fixed) >= 0)
			return false;
		*state = PL_FSTATE_FIXED;
		*fixed = s->fixed;
		return true;
	case PL_VULN_OPEN:
	case PL_VULN_WONT_FIX:
	case PL_VULN_EOL:
		if (s->fixed && !is_zero(s->fixed) && cmp(v, s->fixed) >= 0)
			return false;
		*state = s->status == PL_VULN_OPEN	   ? PL_FSTATE_UNFIXED
			 : s->status == PL_VULN_WONT_FIX ? PL_FSTATE_WONT_FIX
							 : PL_FSTATE_EOL;
		return true;
	case PL_VULN_AFFECTED:
	default:
		break;
	}
	for (i = 0; s->versions && s->versions[i]; i++)
		if (cmp(v, s->versions[i]) == 0) {
			*state = s->fixed ? PL_FSTATE_FIXED : PL_FSTATE_UNFIXED;
			*fixed = s->fixed;
			return true;
		}
	if (s->versions && !s->introduced && !s->fixed && !s->last_affected)
		return false; /* an explicit version list only */
	in_range = (!s->fixed || cmp(v, s->fixed) < 0) &&
		   (!s->last_affected || cmp(v, s->last_affected) <= 0);
	if (!in_range)
		return false;
	*state = s->fixed ? PL_FSTATE_FIXED : PL_FSTATE_UNFIXED;
	*fixed = s->fixed;
	return true;
}

/* Decide one CVE (pairs[lo..hi)) for installed source version v. */
static struct verdict decide(const struct collect *c, size_t lo, size_t hi, const char *v,
			     vercmp_fn cmp)
{
	struct verdict best = {false, PL_FSTATE_UNFIXED, NULL, NULL};
	int have[3] = {0, 0, 0}, use;
	size_t i;

	for (i = lo; i < hi; i++) {
		const struct stmt *s = &c->s[c->p[i].stmt];

		have[s->rank]++;
		if (s->rank == 2 && s->status == PL_VULN_FIXED && !is_zero(s->fixed) &&
		    cmp(v, s->fixed) >= 0)
			return best; /* the installed changelog already names the fix */
	}
	use = have[0] ? 0 : have[1] ? 1 : 2;
	for (i = lo; i < hi; i++) {
		const struct stmt *s = &c->s[c->p[i].stmt];
		enum pl_fstate st;
		const char *fx;

		if (s->rank != use)
			continue;
		if (use == 0 && s->status == PL_VULN_NOT_AFFECTED)
			return (struct verdict){false, PL_FSTATE_UNFIXED, s, NULL};
		if (!stmt_affects(s, v, cmp, &st, &fx))
			continue;
		/* prefer a statement with a fix, then the highest fixed version */
		if (!best.report || (fx && !best.fixed) ||
		    (fx && best.fixed && cmp(fx, best.fixed) > 0)) {
			best.report = true;
			best.state = st;
			best.by = s;
			best.fixed = fx;
		}
	}
	return best;
}

/* ---- findings ---- */

static int add_finding(struct pl_report *r, struct pl_finding **out, struct pl_err *err)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct pl_finding *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		r->v = v;
		r->cap = cap;
	}
	*out = &r->v[r->n++];
	memset(*out, 0, sizeof(**out));
	(*out)->cvss = -1;
	return 0;
}

static void finding_release(struct pl_finding *f)
{
	free(f->cve); /* the block holding every string but ignore_reason */
	free(f->ignore_reason);
}

void pl_report_free(struct pl_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		finding_release(&r->v[i]);
	for (i = 0; i < r->nexpired; i++) {
		free(r->expired[i].id);
		free(r->expired[i].package);
		free(r->expired[i].expires);
		free(r->expired[i].where);
	}
	free(r->expired);
	free(r->v);
	free(r->target);
	free(r->image_digest);
	free(r->os);
	free(r->ecosystem);
	free(r);
}

static void why_line(char *buf, size_t size, const struct verdict *d, const char *src,
		     const char *v, const char *where)
{
	const struct stmt *s = d->by;

	switch (s->status) {
	case PL_VULN_OPEN:
		snprintf(buf, size, "source %s %s is affected and %s has no fix yet (%s %s)", src,
			 v, where, s->feed, s->record);
		return;
	case PL_VULN_WONT_FIX:
		snprintf(buf, size, "source %s %s is affected; %s will not fix it%s%s (%s %s)", src, v,
			 where, s->reason ? ": " : "", s->reason ? s->reason : "", s->feed,
			 s->record);
		return;
	case PL_VULN_EOL:
		snprintf(buf, size, "source %s %s is affected; %s support for it has ended (%s %s)",
			 src, v, where, s->feed, s->record);
		return;
	default:
		break;
	}
	if (d->fixed)
		snprintf(buf, size, "source %s %s < %s fixed in %s (%s, %s)", src, v, d->fixed,
			 s->record, s->feed, where);
	else if (s->last_affected)
		snprintf(buf, size, "source %s %s <= last affected %s in %s (%s, %s)", src, v,
			 s->last_affected, s->record, s->feed, where);
	else
		snprintf(buf, size, "source %s %s is affected and %s names no fix (%s, %s)", src, v,
			 s->record, s->feed, where);
}

/* Severity of one CVE: the deciding statement's urgency, else a CVSS vector of any. */
static void severity(const struct collect *c, size_t lo, size_t hi, const struct stmt *by,
		     struct pl_finding *f, const char **vector)
{
	size_t i;
	double score;

	*vector = NULL;
	f->sev = pl_sev_from_urgency(by->urgency);
	if (by->cvss_vector)
		*vector = by->cvss_vector;
	for (i = lo; i < hi && !*vector; i++)
		if (c->s[c->p[i].stmt].cvss_vector)
			*vector = c->s[c->p[i].stmt].cvss_vector;
	if (*vector && pl_cvss3_score(*vector, &score, NULL) == 0) {
		f->cvss = score;
		if (f->sev == PL_SEV_UNKNOWN)
			f->sev = pl_cvss_rating(score);
	} else {
		*vector = NULL;
	}
}

/* What one decision gives every binary of the source: reason and severity. */
struct prepared {
	char why[1024];
	struct pl_finding sev; /* sev, cvss only */
	const char *vector;
};

static void prepare(struct prepared *pp, const struct collect *c, size_t lo, size_t hi,
		    const struct verdict *d, const struct pl_inv_pkg *p, const char *where)
{
	why_line(pp->why, sizeof(pp->why), d, p->source, p->source_version, where);
	pp->sev.cvss = -1;
	severity(c, lo, hi, d->by, &pp->sev, &pp->vector);
}

/* Copy s (may be NULL) to *dst, advancing it; returns the copy or NULL. */
static char *put_str(char **dst, const char *s)
{
	char *at = *dst;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	memcpy(at, s, n);
	*dst += n;
	return at;
}

static size_t slen(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/*
 * One finding; its strings share one allocation that starts at f->cve (one
 * malloc per finding instead of thirteen: scans emit thousands).
 */
static int emit(struct pl_report *r, const struct pl_inv_pkg *p, const struct collect *c,
		size_t lo, const struct verdict *d, const struct prepared *pp,
		struct pl_err *err)
{
	struct pl_finding *f = NULL;
	const struct stmt *by = d->by;
	char *block, *at;
	int rc;

	if ((rc = add_finding(r, &f, err)) < 0)
		return rc;
	block = malloc(slen(c->p[lo].cve) + slen(p->name) + slen(p->source) + slen(p->version) +
		       slen(p->source_version) + slen(d->fixed) + slen(pp->vector) +
		       slen(by->feed) + slen(by->feed_name) + slen(by->record) +
		       slen(by->summary) + slen(pp->why) + slen(p->db_path));
	if (!block) {
		r->n--;
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	at = block;
	f->cve = put_str(&at, c->p[lo].cve);
	f->package = put_str(&at, p->name);
	f->source = put_str(&at, p->source);
	f->installed = put_str(&at, p->version);
	f->source_version = put_str(&at, p->source_version);
	f->fixed = put_str(&at, d->fixed);
	f->cvss_vector = put_str(&at, pp->vector);
	f->feed = put_str(&at, by->feed);
	f->feed_name = put_str(&at, by->feed_name);
	f->record = put_str(&at, by->record);
	f->summary = put_str(&at, by->summary);
	f->why = put_str(&at, pp->why);
	f->db_path = put_str(&at, p->db_path);
	f->db_line = p->line;
	f->state = d->state;
	f->sev = pp->sev.sev;
	f->cvss = pp->sev.cvss;
	return 0;
}

static int cmp_finding(const void *x, const void *y)
{
	const struct pl_finding *a = x, *b = y;
	int r;

	if (a->sev != b->sev)
		return a->sev > b->sev ? -1 : 1;
	if ((r = strcmp(a->package, b->package)))
		return r;
	if ((r = strcmp(a->cve, b->cve)))
		return r;
	return strcmp(a->record, b->record);
}

void sc_report_count(struct pl_report *r)
{
	size_t i;

	memset(r->by_sev, 0, sizeof(r->by_sev));
	memset(r->by_state, 0, sizeof(r->by_state));
	r->ignored = 0;
	for (i = 0; i < r->n; i++) {
		if (r->v[i].ignored) {
			r->ignored++;
			continue;
		}
		r->by_sev[r->v[i].sev]++;
		r->by_state[r->v[i].state]++;
	}
}

/* Package order for grouping: source, then source version. */
static int cmp_src(const void *x, const void *y, void *ctx)
{
	const struct pl_inv_pkg *base = ctx;
	const struct pl_inv_pkg *a = &base[*(const size_t *)x];
	const struct pl_inv_pkg *b = &base[*(const size_t *)y];
	int r = strcmp(a->source, b->source);

	if (r)
		return r;
	if ((r = strcmp(a->source_version, b->source_version)))
		return r;
	return *(const size_t *)x < *(const size_t *)y ? -1 : 1;
}

static int debcmp(const char *a, const char *b)
{
	return pl_debver_cmp(a, b);
}

int pl_scan_run(const struct pl_inventory *inv, struct pl_vulndb *db,
		const struct pl_scan_opts *o, struct pl_report **out, struct pl_err *err)
{
	struct pl_report *r = NULL;
	struct collect c;
	size_t *idx = NULL, i, j, k, lo, hi;
	char eco[64], where[128];
	vercmp_fn cmp = inv->kind == PL_INV_APK ? pl_apkver_cmp : debcmp;
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	if (!(r = calloc(1, sizeof(*r)))) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = pl_scan_ecosystem(inv, eco, sizeof(eco), err)) < 0)
		goto out;
	snprintf(where, sizeof(where), "%s", inv->os.codename ? inv->os.codename : eco);
	r->target = strdup(o && o->target ? o->target : "unknown");
	r->image_digest = sc_strdup(o ? o->image_digest : NULL);
	r->ecosystem = strdup(eco);
	if (inv->os.pretty)
		r->os = strdup(inv->os.pretty);
	else {
		char os[160];

		snprintf(os, sizeof(os), "%s %s", inv->os.id,
			 inv->os.version_id ? inv->os.version_id
					    : inv->os.codename ? inv->os.codename : "");
		r->os = strdup(os);
	}
	if (!r->target || !r->ecosystem || !r->os ||
	    (o && o->image_digest && !r->image_digest)) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = pl_vulndb_snapshot(db, r->db_digest, err)) < 0)
		goto out;
	r->packages = inv->n;
	if (inv->n && !(idx = malloc(inv->n * sizeof(*idx)))) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < inv->n; i++)
		idx[i] = i;
	if (inv->n)
		qsort_r(idx, inv->n, sizeof(*idx), cmp_src, inv->pkgs);
	for (i = 0; i < inv->n; i = j) {
		const char *src = inv->pkgs[idx[i]].source;

		for (j = i + 1; j < inv->n && !strcmp(inv->pkgs[idx[j]].source, src); j++)
			;
		collect_reset(&c);
		if ((rc = pl_vulndb_lookup(db, eco, src, on_stmt, &c, err)) < 0) {
			pl_err_wrap(err, "look up '%s'", src);
			goto out;
		}
		if (!c.np)
			continue;
		qsort(c.p, c.np, sizeof(*c.p), cmp_pair);
		for (lo = 0; lo < c.np; lo = hi) {
			const char *sv = NULL;
			struct verdict d = {false, PL_FSTATE_UNFIXED, NULL, NULL};
			struct prepared pp;

			for (hi = lo + 1; hi < c.np && !strcmp(c.p[hi].cve, c.p[lo].cve); hi++)
				;
			for (k = i; k < j; k++) {
				const struct pl_inv_pkg *p = &inv->pkgs[idx[k]];

				if (!sv || strcmp(sv, p->source_version)) {
					sv = p->source_version;
					d = decide(&c, lo, hi, sv, cmp);
					if (d.report)
						prepare(&pp, &c, lo, hi, &d, p, where);
				}
				if (d.report && (rc = emit(r, p, &c, lo, &d, &pp, err)) < 0)
					goto out;
			}
		}
	}
	if (r->n)
		qsort(r->v, r->n, sizeof(*r->v), cmp_finding);
	sc_report_count(r);
out:
	collect_release(&c);
	free(idx);
	if (rc < 0)
		pl_report_free(r);
	else
		*out = r;
	return rc;
}
