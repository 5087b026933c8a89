/*
 * ledger/append: one build record in one transaction (a savepoint inside a
 * batch): the build row, its lists, findings, patch evaluations, the
 * patches' metadata and the derived rollout rows (images, cells).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/ledger/internal.h"
#include "util/buf.h"

static const char sql_image[] =
    "INSERT INTO images(name) VALUES(?1) ON CONFLICT(name) DO UPDATE SET name=excluded.name"
    " RETURNING id";
static const char sql_build[] =
    "INSERT INTO builds(image, started, finished, outcome, message, builder_version, repo_url,"
    " repo_commit, lock_digest, recipe_blob, base_digest, vulndb_digest, inputs_digest,"
    " image_digest, signing_key, npublished, npatches)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";
static const char sql_string[] =
    "INSERT INTO build_strings(build, kind, pos, value) VALUES(?1, ?2, ?3, ?4)";
static const char sql_finding[] =
    "INSERT INTO findings(build, phase, severity, fixable, unfixed) VALUES(?1, ?2, ?3, ?4, ?5)";
static const char sql_patch[] =
    "INSERT INTO patches(name, title, severity, cves, advisory, first_seen, first_commit)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(name) DO UPDATE SET"
    " title=coalesce(excluded.title, title), severity=coalesce(excluded.severity, severity),"
    " cves=coalesce(excluded.cves, cves), advisory=coalesce(excluded.advisory, advisory)"
    " RETURNING id";
static const char sql_eval[] =
    "INSERT INTO build_patches(build, patch, applied) VALUES(?1, ?2, ?3)";
/* the rollout rows of every patch the build evaluated, in one statement */
static const char sql_cell[] =
    "INSERT INTO cells(image, patch, eval, applied, carrier, pub)"
    " SELECT ?1, patch, build, applied, CASE WHEN applied AND ?3 THEN build END,"
    " CASE WHEN applied AND ?3 AND ?4 THEN build END FROM build_patches WHERE build = ?2"
    " ON CONFLICT(image, patch) DO UPDATE SET eval=excluded.eval, applied=excluded.applied,"
    " carrier=coalesce(excluded.carrier, carrier), pub=coalesce(excluded.pub, pub)";
static const char sql_latest[] =
    "UPDATE images SET latest=?2,"
    " latest_success=CASE WHEN ?3 THEN ?2 ELSE latest_success END WHERE id=?1";

static void bind_str(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Step a statement expecting no row back. */
static int run(struct pl_ledger *l, sqlite3_stmt *st, const char *what, struct pl_err *err)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : ldg_sql_err(l, what, err);

	sqlite3_reset(st);
	return rc;
}

/* Step a statement whose one row is an id (RETURNING id). */
static int run_id(struct pl_ledger *l, sqlite3_stmt *st, int64_t *id, const char *what,
		  struct pl_err *err)
{
	int rc = 0;

	if (sqlite3_step(st) != SQLITE_ROW)
		rc = ldg_sql_err(l, what, err);
	else
		*id = sqlite3_column_int64(st, 0);
	/* RETURNING is finished only once stepped to the end */
	if (rc == 0 && sqlite3_step(st) != SQLITE_DONE)
		rc = ldg_sql_err(l, what, err);
	sqlite3_reset(st);
	return rc;
}

void ldg_pcache_clear(struct ldg_pcache *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->names[i]);
	free(c->names);
	free(c->ids);
	free(c->meta);
	memset(c, 0, sizeof(*c));
}

static uint64_t fnv(uint64_t h, const char *s)
{
	/* a NULL field hashes apart from an empty one */
	h = (h ^ (s ? 1u : 2u)) * 0x100000001b3ull;
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static uint64_t meta_hash(const struct pl_ledger_patch *p)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = fnv(h, p->title);
	h = fnv(h, p->severity);
	for (size_t i = 0; i < p->ncves; i++)
		h = fnv(h, p->cves[i]);
	return fnv(h, p->advisory);
}

/* Slot of name in the cache (cap is a power of two, never full). */
static size_t pcache_slot(const struct ldg_pcache *c, const char *name)
{
	size_t i = (size_t)fnv(0xcbf29ce484222325ull, name) & (c->cap - 1);

	while (c->names[i] && strcmp(c->names[i], name) != 0)
		i = (i + 1) & (c->cap - 1);
	return i;
}

/* Remember a written patch; failure to remember only costs a rewrite. */
static void pcache_put(struct ldg_pcache *c, const char *name, int64_t id, uint64_t meta)
{
	size_t i;

	if (c->n * 2 >= c->cap) {
		struct ldg_pcache big = {NULL, NULL, NULL, c->cap ? c->cap * 2 : 256, 0};

		big.names = calloc(big.cap, sizeof(*big.names));
		big.ids = calloc(big.cap, sizeof(*big.ids));
		big.meta = calloc(big.cap, sizeof(*big.meta));
		if (!big.names || !big.ids || !big.meta) {
			ldg_pcache_clear(&big);
			return;
		}
		for (size_t j = 0; j < c->cap; j++) {
			if (!c->names[j])
				continue;
			i = pcache_slot(&big, c->names[j]);
			big.names[i] = c->names[j];
			big.ids[i] = c->ids[j];
			big.meta[i] = c->meta[j];
			c->names[j] = NULL;
			big.n++;
		}
		ldg_pcache_clear(c);
		*c = big;
	}
	i = pcache_slot(c, name);
	if (!c->names[i]) {
		if (!(c->names[i] = strdup(name)))
			return;
		c->n++;
	}
	c->ids[i] = id;
	c->meta[i] = meta;
}

static int upsert_patch(struct pl_ledger *l, const struct pl_ledger_patch *p, int64_t now,
			const char *commit, int64_t *id, struct pl_err *err)
{
	uint64_t meta;
	size_t slot;
	struct pl_buf cves = PL_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (!p->id || !*p->id)
		return pl_err_set(err, PL_EINVAL, "ledger '%s': a patch without an id", l->path);
	meta = meta_hash(p);
	if (l->batch && l->pc.cap) {
		slot = pcache_slot(&l->pc, p->id);
		if (l->pc.names[slot] && l->pc.meta[slot] == meta) {
			*id = l->pc.ids[slot];
			return 0;
		}
	}
	for (size_t i = 0; i < p->ncves; i++) {
		rc = pl_buf_addf(&cves, err, "%s%s", i ? "\n" : "", p->cves[i]);
		if (rc < 0)
			goto out;
	}
	rc = ldg_stmt(l, LS_PATCH, sql_patch, &st, err);
	if (rc < 0)
		goto out;
	bind_str(st, 1, p->id);
	bind_str(st, 2, p->title);
	bind_str(st, 3, p->severity);
	bind_str(st, 4, p->ncves ? cves.data : NULL);
	bind_str(st, 5, p->advisory);
	sqlite3_bind_int64(st, 6, now);
	bind_str(st, 7, commit);
	rc = run_id(l, st, id, "record a patch", err);
	if (rc < 0)
		pl_err_wrap(err, "patch '%s'", p->id);
	else if (l->batch)
		pcache_put(&l->pc, p->id, *id, meta);
out:
	pl_buf_release(&cves);
	return rc;
}

static int add_strings(struct pl_ledger *l, int64_t build, int kind, const char *const *v,
		       size_t n, struct pl_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = ldg_stmt(l, LS_STRING, sql_string, &st, err);
		if (rc < 0)
			break;
		sqlite3_bind_int64(st, 1, build);
		sqlite3_bind_int(st, 2, kind);
		sqlite3_bind_int64(st, 3, (int64_t)i);
		bind_str(st, 4, v[i] ? v[i] : "");
		rc = run(l, st, "record a build list", err);
	}
	return rc;
}

static int add_findings(struct pl_ledger *l, int64_t build, int phase,
			const struct pl_ledger_findings *f, struct pl_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	for (int s = 0; s < PL_LEDGER_NSEV && rc == 0; s++) {
		if (!f->fixable[s] && !f->unfixed[s])
			continue;
		rc = ldg_stmt(l, LS_FINDING, sql_finding, &st, err);
		if (rc < 0)
			break;
		sqlite3_bind_int64(st, 1, build);
		sqlite3_bind_int(st, 2, phase);
		sqlite3_bind_int(st, 3, s);
		sqlite3_bind_int64(st, 4, f->fixable[s]);
		sqlite3_bind_int64(st, 5, f->unfixed[s]);
		rc = run(l, st, "record findings", err);
	}
	return rc;
}

static int add_eval(struct pl_ledger *l, int64_t build, const struct pl_ledger_build *b,
		    const struct pl_ledger_patch_eval *e, struct pl_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t patch = 0;
	int rc;

	rc = upsert_patch(l, &e->patch, b->started, b->commit, &patch, err);
	if (rc == 0)
		rc = ldg_stmt(l, LS_EVAL, sql_eval, &st, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, build);
	sqlite3_bind_int64(st, 2, patch);
	sqlite3_bind_int(st, 3, e->status == PL_LEDGER_APPLIED);
	rc = run(l, st, "record a patch evaluation", err);
	if (rc < 0)
		pl_err_wrap(err, "patch '%s'", e->patch.id);
	return rc;
}

static int update_cells(struct pl_ledger *l, int64_t image, int64_t build,
			const struct pl_ledger_build *b, struct pl_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = ldg_stmt(l, LS_CELL, sql_cell, &st, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, image);
	sqlite3_bind_int64(st, 2, build);
	sqlite3_bind_int(st, 3, b->outcome == PL_LEDGER_SUCCESS);
	sqlite3_bind_int(st, 4, b->npublished > 0);
	return run(l, st, "update the rollout", err);
}

static int insert_build(struct pl_ledger *l, const struct pl_ledger_build *b, int64_t image,
			int64_t *id, struct pl_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = ldg_stmt(l, LS_BUILD, sql_build, &st, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, image);
	sqlite3_bind_int64(st, 2, b->started);
	sqlite3_bind_int64(st, 3, b->finished);
	sqlite3_bind_int(st, 4, (int)b->outcome);
	bind_str(st, 5, b->message);
	bind_str(st, 6, b->builder_version);
	bind_str(st, 7, b->repo_url);
	bind_str(st, 8, b->commit);
	bind_str(st, 9, b->lock_digest);
	bind_str(st, 10, b->recipe_blob);
	bind_str(st, 11, b->base_digest);
	bind_str(st, 12, b->vulndb_digest);
	bind_str(st, 13, b->inputs_digest);
	bind_str(st, 14, b->image_digest);
	bind_str(st, 15, b->signing_key);
	sqlite3_bind_int64(st, 16, (int64_t)b->npublished);
	sqlite3_bind_int64(st, 17, (int64_t)b->npatches);
	rc = run(l, st, "record the build", err);
	if (rc == 0)
		*id = sqlite3_last_insert_rowid(l->h);
	return rc;
}

static int append_rows(struct pl_ledger *l, const struct pl_ledger_build *b, int64_t *id,
		       struct pl_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t image = 0, build = 0;
	int rc;

	rc = ldg_stmt(l, LS_IMAGE, sql_image, &st, err);
	if (rc == 0) {
		bind_str(st, 1, b->recipe);
		rc = run_id(l, st, &image, "record the image", err);
	}
	if (rc == 0)
		rc = insert_build(l, b, image, &build, err);
	if (rc == 0)
		rc = add_strings(l, build, 0, b->tags, b->ntags, err);
	if (rc == 0)
		rc = add_strings(l, build, 1, b->published, b->npublished, err);
	if (rc == 0)
		rc = add_strings(l, build, 2, b->attestations, b->nattestations, err);
	if (rc == 0)
		rc = add_findings(l, build, 0, &b->before, err);
	if (rc == 0)
		rc = add_findings(l, build, 1, &b->after, err);
	for (size_t i = 0; i < b->npatches && rc == 0; i++)
		rc = add_eval(l, build, b, &b->patches[i], err);
	if (rc == 0 && b->npatches)
		rc = update_cells(l, image, build, b, err);
	if (rc == 0)
		rc = ldg_stmt(l, LS_IMAGE_LATEST, sql_latest, &st, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, image);
	sqlite3_bind_int64(st, 2, build);
	sqlite3_bind_int(st, 3, b->outcome == PL_LEDGER_SUCCESS);
	rc = run(l, st, "update the image", err);
	if (rc == 0)
		*id = build;
	return rc;
}

/* BEGIN IMMEDIATE, or a savepoint inside a batch. */
static int begin(struct pl_ledger *l, struct pl_err *err)
{
	return ldg_exec(l, l->batch ? "SAVEPOINT ldg_append" : "BEGIN IMMEDIATE",
			"begin the append", err);
}

static void rollback(struct pl_ledger *l)
{
	/* the cache may name patches whose insert is being undone */
	ldg_pcache_clear(&l->pc);
	if (l->batch) {
		sqlite3_exec(l->h, "ROLLBACK TO ldg_append", NULL, NULL, NULL);
		sqlite3_exec(l->h, "RELEASE ldg_append", NULL, NULL, NULL);
	} else {
		sqlite3_exec(l->h, "ROLLBACK", NULL, NULL, NULL);
	}
}

/* Commit when rc is 0, else roll back; returns the outcome. */
static int finish(struct pl_ledger *l, int rc, struct pl_err *err)
{
	if (rc == 0)
		rc = ldg_exec(l, l->batch ? "RELEASE ldg_append" : "COMMIT", "commit", err);
	if (rc < 0)
		rollback(l);
	return rc;
}

int pl_ledger_append(struct pl_ledger *l, const struct pl_ledger_build *b, int64_t *id,
		     struct pl_err *err)
{
	int64_t build = 0;
	int rc;

	if (!b->recipe || !*b->recipe)
		return pl_err_set(err, PL_EINVAL, "ledger '%s': a build record without a recipe",
				  l->path);
	if ((unsigned)b->outcome > PL_LEDGER_ERROR)
		return pl_err_set(err, PL_EINVAL, "ledger '%s': bad build outcome %d", l->path,
				  (int)b->outcome);
	rc = begin(l, err);
	if (rc < 0)
		return rc;
	rc = append_rows(l, b, &build, err);
	if (rc == 0 && l->hook)
		l->hook(l->hook_ctx);
	rc = finish(l, rc, err);
	if (rc < 0)
		return pl_err_wrap(err, "record build of '%s'", b->recipe);
	if (id)
		*id = build;
	return 0;
}

int pl_ledger_upsert_patches(struct pl_ledger *l, const struct pl_ledger_patch *patches,
			     size_t n, int64_t now, const char *commit, struct pl_err *err)
{
	int64_t id;
	int rc;

	rc = begin(l, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = upsert_patch(l, &patches[i], now, commit, &id, err);
	return finish(l, rc, err);
}
