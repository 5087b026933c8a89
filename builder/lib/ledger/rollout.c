/*
 * ledger/rollout: the patches-by-images matrix from the derived cells table
 * (one row per image and patch, kept by every append), the images' latest
 * builds and the few builds the cells refer to, each read once. The state
 * rules are in ledger.h; all reads run in one read transaction, so the
 * matrix is one snapshot even while builders append.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/ledger/internal.h"

struct patch_row {
	struct pl_ledger_patch p;
	int64_t dbid; /* 0: an extra patch the ledger has never seen */
};

struct raw_cell {
	int64_t eval, carrier, pub;
	int applied, exists;
};

/* A build a cell refers to; pub first so &ref->pub converts back. */
struct ref {
	struct pl_ledger_ref pub;
	int64_t npatches;
};

struct ctx {
	struct pl_ledger *l;
	const struct pl_ledger_rollout_opts *o;
	struct ldg_arena *a;
	struct patch_row *all; /* every known patch plus unknown extras */
	size_t nall;
	struct patch_row **sel; /* the reported ones, sorted by id */
	size_t nsel;
	int64_t *image_ids, *image_latest; /* by image index */
	const char **image_names;
	size_t nimages;
	struct raw_cell *raw; /* nsel * nimages */
	int64_t *ids;         /* referenced builds, sorted, unique */
	size_t nids, capids;
	struct ref *refs; /* parallel to ids */
};

static int cmp_row(const void *x, const void *y)
{
	const struct patch_row *a = *(struct patch_row *const *)x, *b = *(struct patch_row *const *)y;

	return strcmp(a->p.id, b->p.id);
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static int oom(struct pl_err *err)
{
	return pl_err_set(err, PL_ENOMEM, "out of memory");
}

static int load_patches(struct ctx *c, const struct pl_ledger_rollout_opts *o,
			struct pl_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 64;
	int rc = 0, s;

	c->all = malloc(cap * sizeof(*c->all));
	if (!c->all)
		return oom(err);
	if (sqlite3_prepare_v2(c->l->h,
			       "SELECT id, name, title, severity, cves, advisory, first_seen,"
			       " first_commit FROM patches",
			       -1, &st, NULL) != SQLITE_OK)
		return ldg_sql_err(c->l, "read patches", err);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (c->nall == cap) {
			struct patch_row *v = realloc(c->all, (cap *= 2) * sizeof(*v));

			if (!v) {
				rc = oom(err);
				goto out;
			}
			c->all = v;
		}
		c->all[c->nall].dbid = sqlite3_column_int64(st, 0);
		ldg_patch_from_row(c->a, st, 1, &c->all[c->nall++].p);
	}
	if (s != SQLITE_DONE) {
		rc = ldg_sql_err(c->l, "read patches", err);
		goto out;
	}
	for (size_t i = 0; o && i < o->nextra; i++) {
		const struct pl_ledger_patch *x = &o->extra[i];
		size_t j;

		if (!x->id)
			continue;
		for (j = 0; j < c->nall && strcmp(c->all[j].p.id, x->id) != 0; j++)
			;
		if (j < c->nall)
			continue; /* the ledger's record wins */
		if (c->nall == cap) {
			struct patch_row *v = realloc(c->all, (cap *= 2) * sizeof(*v));

			if (!v) {
				rc = oom(err);
				goto out;
			}
			c->all = v;
		}
		c->all[c->nall].dbid = 0;
		c->all[c->nall].p = *x;
		c->all[c->nall].p.first_seen = o->now;
		c->all[c->nall].p.first_commit = NULL;
		c->all[c->nall++].p.known = false;
	}
out:
	sqlite3_finalize(st);
	return rc;
}

/* Choose and sort the reported patches; copy the extras' strings. */
static int select_patches(struct ctx *c, const struct pl_ledger_rollout_opts *o,
			  struct pl_err *err)
{
	size_t want = o && o->patch_ids ? o->npatch_ids : c->nall, k;

	c->sel = malloc((want ? want : 1) * sizeof(*c->sel));
	if (!c->sel)
		return oom(err);
	for (size_t i = 0; i < want; i++) {
		struct patch_row *r = NULL;

		if (o && o->patch_ids) {
			for (size_t j = 0; j < c->nall && !r; j++)
				if (strcmp(c->all[j].p.id, o->patch_ids[i]) == 0)
					r = &c->all[j];
			if (!r)
				return pl_err_set(err, PL_ENOTFOUND,
						  "patch '%s' is in neither ledger '%s' nor the "
						  "curation repo",
						  o->patch_ids[i], c->l->path);
		} else {
			r = &c->all[i];
		}
		c->sel[c->nsel++] = r;
	}
	if (c->nsel)
		qsort(c->sel, c->nsel, sizeof(*c->sel), cmp_row);
	/* drop ids asked for twice */
	k = 0;
	for (size_t i = 0; i < c->nsel; i++)
		if (k == 0 || c->sel[i] != c->sel[k - 1])
			c->sel[k++] = c->sel[i];
	c->nsel = k;
	for (size_t i = 0; i < c->nsel; i++) {
		struct pl_ledger_patch *p = &c->sel[i]->p;
		const char **cves;

		if (p->known)
			continue;
		p->id = ldg_strdup(c->a, p->id);
		p->title = ldg_strdup(c->a, p->title);
		p->severity = ldg_strdup(c->a, p->severity);
		p->advisory = ldg_strdup(c->a, p->advisory);
		cves = p->ncves ? ldg_alloc(c->a, p->ncves * sizeof(*cves)) : NULL;
		for (size_t j = 0; cves && j < p->ncves; j++)
			cves[j] = ldg_strdup(c->a, p->cves[j]);
		p->cves = cves;
	}
	return c->a->oom ? oom(err) : 0;
}

static int add_id(struct ctx *c, int64_t id, struct pl_err *err)
{
	if (id <= 0)
		return 0;
	if (c->nids == c->capids) {
		size_t cap = c->capids ? c->capids * 2 : 1024;
		int64_t *v = realloc(c->ids, cap * sizeof(*v));

		if (!v)
			return oom(err);
		c->ids = v;
		c->capids = cap;
	}
	c->ids[c->nids++] = id;
	return 0;
}

static int load_images(struct ctx *c, struct pl_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc = 0, s;

	if (sqlite3_prepare_v2(c->l->h, "SELECT id, name, latest FROM images ORDER BY name", -1,
			       &st, NULL) != SQLITE_OK)
		return ldg_sql_err(c->l, "read images", err);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (c->nimages == cap) {
			cap = cap ? cap * 2 : 64;
			int64_t *a = realloc(c->image_ids, cap * sizeof(*a));

			if (a)
				c->image_ids = a;
			int64_t *b = realloc(c->image_latest, cap * sizeof(*b));

			if (b)
				c->image_latest = b;
			const char **n = realloc(c->image_names, cap * sizeof(*n));

			if (n)
				c->image_names = n;
			if (!a || !b || !n) {
				rc = oom(err);
				goto out;
			}
		}
		c->image_ids[c->nimages] = sqlite3_column_int64(st, 0);
		c->image_names[c->nimages] = ldg_strdup(c->a, (const char *)sqlite3_column_text(st, 1));
		c->image_latest[c->nimages] = sqlite3_column_int64(st, 2);
		rc = add_id(c, c->image_latest[c->nimages++], err);
		if (rc < 0)
			goto out;
	}
	if (s != SQLITE_DONE)
		rc = ldg_sql_err(c->l, "read images", err);
out:
	sqlite3_finalize(st);
	return rc;
}

/* Index of a database id in a table indexed by id (ids are dense rowids). */
static int64_t *id_index(const int64_t *ids, size_t n, int64_t *maxid)
{
	int64_t *ix;

	*maxid = 0;
	for (size_t i = 0; i < n; i++)
		if (ids[i] > *maxid)
			*maxid = ids[i];
	ix = malloc(((size_t)*maxid + 1) * sizeof(*ix));
	if (!ix)
		return NULL;
	for (int64_t i = 0; i <= *maxid; i++)
		ix[i] = -1;
	for (size_t i = 0; i < n; i++)
		if (ids[i] > 0)
			ix[ids[i]] = (int64_t)i;
	return ix;
}

static int load_cells(struct ctx *c, struct pl_err *err)
{
	int64_t *pids = NULL, *pix = NULL, *iix = NULL, pmax = 0, imax = 0;
	sqlite3_stmt *st = NULL;
	int rc = 0, s;

	c->raw = calloc(c->nsel * c->nimages + 1, sizeof(*c->raw));
	pids = malloc((c->nsel + 1) * sizeof(*pids));
	if (!c->raw || !pids) {
		rc = oom(err);
		goto out;
	}
	for (size_t i = 0; i < c->nsel; i++)
		pids[i] = c->sel[i]->dbid;
	pix = id_index(pids, c->nsel, &pmax);
	iix = id_index(c->image_ids, c->nimages, &imax);
	if (!pix || !iix) {
		rc = oom(err);
		goto out;
	}
	if (sqlite3_prepare_v2(c->l->h,
			       "SELECT image, patch, eval, applied, carrier, pub FROM cells", -1,
			       &st, NULL) != SQLITE_OK) {
		rc = ldg_sql_err(c->l, "read the rollout", err);
		goto out;
	}
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t im = sqlite3_column_int64(st, 0), pa = sqlite3_column_int64(st, 1);
		struct raw_cell *r;

		if (im < 0 || im > imax || pa < 0 || pa > pmax || iix[im] < 0 || pix[pa] < 0)
			continue;
		r = &c->raw[(size_t)pix[pa] * c->nimages + (size_t)iix[im]];
		r->exists = 1;
		r->eval = sqlite3_column_int64(st, 2);
		r->applied = sqlite3_column_int(st, 3);
		r->carrier = sqlite3_column_int64(st, 4);
		r->pub = sqlite3_column_int64(st, 5);
		rc = add_id(c, r->applied ? (r->pub ? r->pub : r->carrier) : r->eval, err);
		if (rc == 0 && r->applied)
			rc = add_id(c, r->eval, err);
		if (rc < 0)
			goto out;
	}
	if (s != SQLITE_DONE)
		rc = ldg_sql_err(c->l, "read the rollout", err);
out:
	sqlite3_finalize(st);
	free(pids);
	free(pix);
	free(iix);
	return rc;
}

static int load_refs(struct ctx *c, struct pl_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t k = 0;
	int rc = 0;

	if (c->nids)
		qsort(c->ids, c->nids, sizeof(*c->ids), cmp_i64);
	for (size_t i = 0; i < c->nids; i++)
		if (k == 0 || c->ids[i] != c->ids[k - 1])
			c->ids[k++] = c->ids[i];
	c->nids = k;
	c->refs = ldg_alloc(c->a, (k + 1) * sizeof(*c->refs));
	if (!c->refs)
		return oom(err);
	if (sqlite3_prepare_v2(c->l->h,
			       "SELECT started, finished, outcome, message, repo_commit,"
			       " image_digest, npatches FROM builds WHERE id = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return ldg_sql_err(c->l, "read builds", err);
	for (size_t i = 0; i < k && rc == 0; i++) {
		struct ref *r = &c->refs[i];
		struct pl_ledger_build b;

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, c->ids[i]);
		if (sqlite3_step(st) != SQLITE_ROW) {
			rc = ldg_sql_err(c->l, "read a build", err);
			break;
		}
		r->pub.id = c->ids[i];
		r->pub.started = sqlite3_column_int64(st, 0);
		r->pub.finished = sqlite3_column_int64(st, 1);
		r->pub.outcome = (enum pl_ledger_outcome)sqlite3_column_int(st, 2);
		r->pub.message = ldg_strdup(c->a, (const char *)sqlite3_column_text(st, 3));
		r->pub.commit = ldg_strdup(c->a, (const char *)sqlite3_column_text(st, 4));
		r->pub.image_digest = ldg_strdup(c->a, (const char *)sqlite3_column_text(st, 5));
		r->npatches = sqlite3_column_int64(st, 6);
		memset(&b, 0, sizeof(b));
		rc = ldg_read_strings(c->l, c->a, c->ids[i], &b, err);
		r->pub.tags = b.tags;
		r->pub.ntags = b.ntags;
		r->pub.published = b.published;
		r->pub.npublished = b.npublished;
	}
	sqlite3_finalize(st);
	if (rc == 0 && c->a->oom)
		rc = oom(err);
	return rc;
}

static struct ref *find_ref(struct ctx *c, int64_t id)
{
	size_t lo = 0, hi = c->nids;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->ids[mid] == id)
			return &c->refs[mid];
		if (c->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The rules of ledger.h, for one cell. */
static void resolve(struct ctx *c, size_t p, size_t i, struct pl_ledger_cell *cell)
{
	const struct raw_cell *r = &c->raw[p * c->nimages + i];
	struct ref *latest = find_ref(c, c->image_latest[i]), *b = NULL;
	int latest_bad = latest && latest->pub.outcome != PL_LEDGER_SUCCESS;

	if (r->exists && !r->applied) {
		cell->state = PL_LEDGER_STATE_NA;
		b = find_ref(c, r->eval);
	} else if (r->pub) {
		cell->state = PL_LEDGER_PUBLISHED;
		b = find_ref(c, r->pub);
	} else if (r->carrier) {
		cell->state = PL_LEDGER_BUILT;
		b = find_ref(c, r->carrier);
	} else if (!r->exists && c->o && c->o->applies &&
		   c->o->applies(c->o->applies_ctx, c->sel[p]->p.id, c->image_names[i]) == 0) {
		/* never evaluated, and as the repo stands the patch does not apply */
		cell->state = PL_LEDGER_STATE_NA;
		b = latest;
	} else if (latest_bad &&
		   (r->exists ||
		    (latest->npatches == 0 && latest->pub.started >= c->sel[p]->p.first_seen))) {
		cell->state = PL_LEDGER_FAILED;
		b = latest;
	} else {
		cell->state = PL_LEDGER_PENDING;
		b = latest;
	}
	cell->build = b ? &b->pub : NULL;
	cell->latest_failed = latest_bad && latest != b ? &latest->pub : NULL;
}

static int build_result(struct ctx *c, struct pl_ledger_rollout *out, struct pl_err *err)
{
	struct pl_ledger_patch *patches = ldg_alloc(c->a, (c->nsel + 1) * sizeof(*patches));
	struct pl_ledger_cell *cells = ldg_alloc(c->a, (c->nsel * c->nimages + 1) * sizeof(*cells));

	if (!patches || !cells)
		return oom(err);
	for (size_t p = 0; p < c->nsel; p++) {
		patches[p] = c->sel[p]->p;
		for (size_t i = 0; i < c->nimages; i++)
			resolve(c, p, i, &cells[p * c->nimages + i]);
	}
	out->npatches = c->nsel;
	out->patches = patches;
	out->nimages = c->nimages;
	out->images = c->image_names;
	c->image_names = NULL;
	out->cells = cells;
	return 0;
}

void pl_ledger_rollout_free(struct pl_ledger_rollout *r)
{
	if (!r)
		return;
	free((void *)r->images);
	if (r->priv) {
		ldg_arena_release(r->priv);
		free(r->priv);
	}
	free(r);
}

int pl_ledger_rollout(struct pl_ledger *l, const struct pl_ledger_rollout_opts *opts,
		      struct pl_ledger_rollout **out, struct pl_err *err)
{
	struct pl_ledger_rollout *r = NULL;
	struct ctx c;
	int rc, txn = 0;

	memset(&c, 0, sizeof(c));
	*out = NULL;
	c.l = l;
	c.o = opts;
	r = calloc(1, sizeof(*r));
	c.a = calloc(1, sizeof(*c.a));
	if (!r || !c.a) {
		free(r);
		free(c.a);
		return oom(err);
	}
	r->priv = c.a;
	if (!l->batch) {
		rc = ldg_exec(l, "BEGIN", "begin a read", err);
		if (rc < 0)
			goto out;
		txn = 1;
	}
	rc = load_patches(&c, opts, err);
	if (rc == 0)
		rc = select_patches(&c, opts, err);
	if (rc == 0)
		rc = load_images(&c, err);
	if (rc == 0)
		rc = load_cells(&c, err);
	if (rc == 0)
		rc = load_refs(&c, err);
	if (rc == 0)
		rc = build_result(&c, r, err);
out:
	if (txn)
		sqlite3_exec(l->h, "COMMIT", NULL, NULL, NULL);
	free(c.all);
	free(c.sel);
	free(c.image_ids);
	free(c.image_latest);
	free(c.image_names);
	free(c.raw);
	free(c.ids);
	if (rc < 0) {
		pl_ledger_rollout_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int pl_ledger_advisory(struct pl_ledger *l, const char *patch_id,
		       const struct pl_ledger_patch *extra, size_t nextra, int64_t now,
		       struct pl_ledger_rollout **out, struct pl_err *err)
{
	struct pl_ledger_rollout_opts o = { .patch_ids = &patch_id, .npatch_ids = 1, .extra = extra,
					    .nextra = nextra, .now = now };

	return pl_ledger_rollout(l, &o, out, err);
}
