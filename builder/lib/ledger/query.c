/*
 * ledger/query: builds read back whole (lists, findings, patch evaluations
 * with the patches' metadata): one image's history and its last success.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/ledger/internal.h"

static const char sql_read_build[] =
    "SELECT b.started, b.finished, b.outcome, b.message, b.builder_version, b.repo_url,"
    " b.repo_commit, b.lock_digest, b.recipe_blob, b.base_digest, b.vulndb_digest,"
    " b.inputs_digest, b.image_digest, b.signing_key, i.name, b.npatches"
    " FROM builds b JOIN images i ON i.id = b.image WHERE b.id = ?1";
static const char sql_read_strings[] =
    "SELECT kind, value FROM build_strings WHERE build = ?1 ORDER BY kind, pos";
static const char sql_read_findings[] =
    "SELECT phase, severity, fixable, unfixed FROM findings WHERE build = ?1";
static const char sql_read_evals[] =
    "SELECT p.name, p.title, p.severity, p.cves, p.advisory, p.first_seen, p.first_commit,"
    " bp.applied FROM build_patches bp JOIN patches p ON p.id = bp.patch"
    " WHERE bp.build = ?1 ORDER BY p.name";

static const char *col(struct ldg_arena *a, sqlite3_stmt *st, int i)
{
	return ldg_strdup(a, (const char *)sqlite3_column_text(st, i));
}

void ldg_split(struct ldg_arena *a, const char *text, const char *const **out, size_t *n)
{
	const char **v;
	size_t k = 1;

	*out = NULL;
	*n = 0;
	if (!text || !*text)
		return;
	for (const char *p = text; *p; p++)
		k += *p == '\n';
	v = ldg_alloc(a, k * sizeof(*v));
	if (!v)
		return;
	for (const char *p = text;;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *s = ldg_alloc(a, len + 1);

		if (!s)
			return;
		memcpy(s, p, len);
		v[(*n)++] = s;
		if (!nl)
			break;
		p = nl + 1;
	}
	*out = v;
}

/* Tags, published, attestations: rows come sorted by kind, then position. */
int ldg_read_strings(struct pl_ledger *l, struct ldg_arena *a, int64_t id,
		     struct pl_ledger_build *b, struct pl_err *err)
{
	const char **lists[3] = {NULL, NULL, NULL};
	size_t counts[3] = {0, 0, 0}, caps[3] = {0, 0, 0};
	sqlite3_stmt *st = NULL;
	int rc, s;

	rc = ldg_stmt(l, LS_READ_STRINGS, sql_read_strings, &st, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		int k = sqlite3_column_int(st, 0);

		if (k < 0 || k > 2)
			continue;
		if (counts[k] == caps[k]) {
			/* arena arrays cannot grow: double into a fresh one */
			size_t cap = caps[k] ? caps[k] * 2 : 4;
			const char **v = ldg_alloc(a, cap * sizeof(*v));

			if (!v)
				break;
			if (counts[k])
				memcpy(v, lists[k], counts[k] * sizeof(*v));
			lists[k] = v;
			caps[k] = cap;
		}
		lists[k][counts[k]++] = col(a, st, 1);
	}
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		rc = ldg_sql_err(l, "read a build's lists", err);
	sqlite3_reset(st);
	b->tags = lists[0];
	b->ntags = counts[0];
	b->published = lists[1];
	b->npublished = counts[1];
	b->attestations = lists[2];
	b->nattestations = counts[2];
	return rc;
}

static int read_findings(struct pl_ledger *l, int64_t id, struct pl_ledger_build *b,
			 struct pl_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, s;

	rc = ldg_stmt(l, LS_READ_FINDINGS, sql_read_findings, &st, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct pl_ledger_findings *f = sqlite3_column_int(st, 0) ? &b->after : &b->before;
		int sev = sqlite3_column_int(st, 1);

		if (sev < 0 || sev >= PL_LEDGER_NSEV)
			sev = PL_LEDGER_UNKNOWN;
		f->fixable[sev] += (uint32_t)sqlite3_column_int64(st, 2);
		f->unfixed[sev] += (uint32_t)sqlite3_column_int64(st, 3);
	}
	if (s != SQLITE_DONE)
		rc = ldg_sql_err(l, "read a build's findings", err);
	sqlite3_reset(st);
	return rc;
}

void ldg_patch_from_row(struct ldg_arena *a, sqlite3_stmt *st, int c, struct pl_ledger_patch *p)
{
	p->id = col(a, st, c);
	p->title = col(a, st, c + 1);
	p->severity = col(a, st, c + 2);
	ldg_split(a, (const char *)sqlite3_column_text(st, c + 3), &p->cves, &p->ncves);
	p->advisory = col(a, st, c + 4);
	p->first_seen = sqlite3_column_int64(st, c + 5);
	p->first_commit = col(a, st, c + 6);
	p->known = true;
}

static int read_evals(struct pl_ledger *l, struct ldg_arena *a, int64_t id, size_t n,
		      struct pl_ledger_build *b, struct pl_err *err)
{
	struct pl_ledger_patch_eval *v = NULL;
	sqlite3_stmt *st = NULL;
	int rc, s;

	if (n == 0)
		return 0;
	v = ldg_alloc(a, n * sizeof(*v));
	if (!v)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	rc = ldg_stmt(l, LS_READ_EVALS, sql_read_evals, &st, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	b->patches = v;
	while ((s = sqlite3_step(st)) == SQLITE_ROW && b->npatches < n) {
		ldg_patch_from_row(a, st, 0, &v[b->npatches].patch);
		v[b->npatches++].status =
		    sqlite3_column_int(st, 7) ? PL_LEDGER_APPLIED : PL_LEDGER_NOT_APPLICABLE;
	}
	if (s != SQLITE_DONE && s != SQLITE_ROW)
		rc = ldg_sql_err(l, "read a build's patches", err);
	sqlite3_reset(st);
	return rc;
}

static int read_build(struct pl_ledger *l, struct ldg_arena *a, int64_t id,
		      struct pl_ledger_build *b, struct pl_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t npatches = 0;
	int rc;

	memset(b, 0, sizeof(*b));
	rc = ldg_stmt(l, LS_READ_BUILD, sql_read_build, &st, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = ldg_sql_err(l, "read a build", err);
		sqlite3_reset(st);
		return rc;
	}
	b->id = id;
	b->started = sqlite3_column_int64(st, 0);
	b->finished = sqlite3_column_int64(st, 1);
	b->outcome = (enum pl_ledger_outcome)sqlite3_column_int(st, 2);
	b->message = col(a, st, 3);
	b->builder_version = col(a, st, 4);
	b->repo_url = col(a, st, 5);
	b->commit = col(a, st, 6);
	b->lock_digest = col(a, st, 7);
	b->recipe_blob = col(a, st, 8);
	b->base_digest = col(a, st, 9);
	b->vulndb_digest = col(a, st, 10);
	b->inputs_digest = col(a, st, 11);
	b->image_digest = col(a, st, 12);
	b->signing_key = col(a, st, 13);
	b->recipe = col(a, st, 14);
	npatches = (size_t)sqlite3_column_int64(st, 15);
	sqlite3_reset(st);
	rc = ldg_read_strings(l, a, id, b, err);
	if (rc == 0)
		rc = read_findings(l, id, b, err);
	if (rc == 0)
		rc = read_evals(l, a, id, npatches, b, err);
	return rc;
}

int ldg_read_builds(struct pl_ledger *l, struct ldg_arena *a, const int64_t *ids, size_t n,
		    struct pl_ledger_build *dst, struct pl_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++)
		rc = read_build(l, a, ids[i], &dst[i], err);
	if (rc == 0 && a->oom)
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	return rc;
}

void pl_ledger_history_free(struct pl_ledger_history *h)
{
	if (!h)
		return;
	if (h->priv) {
		ldg_arena_release(h->priv);
		free(h->priv);
	}
	free(h);
}

/* Builds of recipe whose ids the query (bound to the recipe) yields. */
static int history_of(struct pl_ledger *l, const char *recipe, const char *sql,
		      struct pl_ledger_history **out, struct pl_err *err)
{
	struct pl_ledger_history *h = NULL;
	struct ldg_arena *a = NULL;
	struct pl_ledger_build *builds = NULL;
	sqlite3_stmt *st = NULL;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc = 0, s;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	a = calloc(1, sizeof(*a));
	if (!h || !a) {
		free(h);
		free(a);
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	h->priv = a;
	h->recipe = ldg_strdup(a, recipe);
	if (sqlite3_prepare_v2(l->h, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = ldg_sql_err(l, "query builds", err);
		goto out;
	}
	sqlite3_bind_text(st, 1, recipe, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			continue;
		if (n == cap) {
			int64_t *v = realloc(ids, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!v) {
				rc = pl_err_set(err, PL_ENOMEM, "out of memory");
				goto out;
			}
			ids = v;
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	if (s != SQLITE_DONE) {
		rc = ldg_sql_err(l, "query builds", err);
		goto out;
	}
	if (n) {
		builds = ldg_alloc(a, n * sizeof(*builds));
		if (!builds) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = ldg_read_builds(l, a, ids, n, builds, err);
	h->builds = builds;
	h->n = n;
out:
	sqlite3_finalize(st);
	free(ids);
	if (rc < 0) {
		pl_err_wrap(err, "history of '%s'", recipe);
		pl_ledger_history_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

int pl_ledger_history(struct pl_ledger *l, const char *recipe, struct pl_ledger_history **out,
		      struct pl_err *err)
{
	return history_of(l, recipe,
			  "SELECT b.id FROM builds b JOIN images i ON i.id = b.image"
			  " WHERE i.name = ?1 ORDER BY b.id DESC",
			  out, err);
}

int pl_ledger_last_success(struct pl_ledger *l, const char *recipe,
			   struct pl_ledger_history **out, struct pl_err *err)
{
	return history_of(l, recipe, "SELECT latest_success FROM images WHERE name = ?1", out,
			  err);
}
