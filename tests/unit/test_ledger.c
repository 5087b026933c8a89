/*
 * ledger: schema creation and migration, appending and reading back every
 * field, last success, history order, each rollout state (and a published
 * image whose rebuild failed), patches only the repo knows, the advisory,
 * four concurrent writers, and a writer killed in the middle of an append.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "lib/ledger.h"
#include "lib/ledger/internal.h"
#include "util/buf.h"
#include "util/json.h"
#include "testutil.h"

struct fx {
	char *dir, *path;
	struct pl_ledger *l;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pl_err err = PL_ERR_INIT;

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	f->path = tu_path(f->dir, "state/sub/ledger.db");
	assert_int_equal(pl_ledger_open(&f->l, f->path, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pl_ledger_free(f->l);
	free(f->path);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* Run one SQL query returning one integer (or text compared by the caller). */
static long long sql_int(const char *path, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static int integrity_ok(const char *path)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int ok;

	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL),
			 SQLITE_OK);
	ok = sqlite3_step(st) == SQLITE_ROW &&
	     strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	sqlite3_close(h);
	return ok;
}

/* Patches used throughout: P1 (2 CVEs), P2, P3. */
static const char *const p1_cves[] = {"CVE-2026-0001", "CVE-2026-0002"};

static struct pl_ledger_patch_eval ev(const char *id, enum pl_ledger_eval status)
{
	struct pl_ledger_patch_eval e;

	memset(&e, 0, sizeof(e));
	e.patch.id = id;
	e.status = status;
	if (strcmp(id, "P1") == 0) {
		e.patch.title = "OpenSSL security update";
		e.patch.severity = "high";
		e.patch.cves = p1_cves;
		e.patch.ncves = 2;
		e.patch.advisory = "https://security.example/P1";
	}
	return e;
}

static const char *const pub_loc[] = {"registry.example/app:1"};

/* Append a build of recipe at time t; published when pub. */
static int64_t add(struct pl_ledger *l, const char *recipe, int64_t t,
		   enum pl_ledger_outcome outcome, int pub, const struct pl_ledger_patch_eval *e,
		   size_t ne)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_build b;
	char digest[80];
	int64_t id = 0;

	memset(&b, 0, sizeof(b));
	snprintf(digest, sizeof(digest), "sha256:%064lld", (long long)t);
	b.recipe = recipe;
	b.started = t;
	b.finished = t + 5;
	b.outcome = outcome;
	b.message = outcome == PL_LEDGER_SUCCESS ? NULL : "gate: CVE-2026-9 high fixable";
	b.image_digest = outcome == PL_LEDGER_SUCCESS ? digest : NULL;
	b.inputs_digest = digest;
	if (pub) {
		b.published = pub_loc;
		b.npublished = 1;
	}
	b.patches = e;
	b.npatches = ne;
	if (pl_ledger_append(l, &b, &id, &err) < 0)
		fail_msg("append: %s", err.msg);
	return id;
}

static void test_ledger_schema_create_reopen(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct stat sb;

	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sql_int(f->path, "PRAGMA user_version"), PL_LEDGER_SCHEMA_VERSION);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM sqlite_master WHERE name='cells'"),
			 1);
	add(f->l, "app", 100, PL_LEDGER_SUCCESS, 0, NULL, 0);
	pl_ledger_free(f->l);
	f->l = NULL;
	assert_int_equal(pl_ledger_open(&f->l, f->path, &err), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM builds"), 1);
	assert_int_equal(
	    sql_int(f->path, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode='wal'"),
	    1);
}

static void test_ledger_not_a_database(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger *l = NULL;
	char *p = tu_path(f->dir, "junk.db");

	tu_write(f->dir, "junk.db", "this is not sqlite, not at all, just text...", 44);
	assert_true(pl_ledger_open(&l, p, &err) < 0);
	assert_null(l);
	assert_non_null(strstr(err.msg, p));
	free(p);
}

static void test_ledger_append_read_back(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_history *h = NULL;
	static const char *const tags[] = {"12", "bookworm"};
	static const char *const pubs[] = {"registry.example/base:12", "oci:/srv/oci:base-12"};
	static const char *const atts[] = {"sha256:aa", "sha256:bb", "sha256:cc"};
	struct pl_ledger_patch_eval e[2] = {ev("P1", PL_LEDGER_APPLIED),
					    ev("P2", PL_LEDGER_NOT_APPLICABLE)};
	struct pl_ledger_build b;
	const struct pl_ledger_build *r;
	int64_t id = 0;

	memset(&b, 0, sizeof(b));
	b.started = 1000;
	b.finished = 1042;
	b.builder_version = "0.9.1";
	b.repo_url = "https://git.example/curation";
	b.commit = "0123456789abcdef0123456789abcdef01234567";
	b.recipe = "debian-base";
	b.lock_digest = "sha256:lock";
	b.recipe_blob = "blob1";
	b.base_digest = "sha256:base";
	b.vulndb_digest = "sha256:vdb";
	b.inputs_digest = "sha256:inputs";
	b.image_digest = "sha256:image";
	b.signing_key = "key-1";
	b.tags = tags;
	b.ntags = 2;
	b.published = pubs;
	b.npublished = 2;
	b.attestations = atts;
	b.nattestations = 3;
	b.outcome = PL_LEDGER_SUCCESS;
	b.message = "ok";
	b.before.fixable[PL_LEDGER_CRITICAL] = 2;
	b.before.unfixed[PL_LEDGER_LOW] = 7;
	b.after.unfixed[PL_LEDGER_LOW] = 7;
	b.after.fixable[PL_LEDGER_UNKNOWN] = 1;
	b.patches = e;
	b.npatches = 2;
	assert_int_equal(pl_ledger_append(f->l, &b, &id, &err), 0);
	assert_true(id > 0);

	assert_int_equal(pl_ledger_history(f->l, "debian-base", &h, &err), 0);
	assert_int_equal(h->n, 1);
	r = &h->builds[0];
	assert_int_equal(r->id, id);
	assert_int_equal(r->started, 1000);
	assert_int_equal(r->finished, 1042);
	assert_string_equal(r->builder_version, "0.9.1");
	assert_string_equal(r->repo_url, b.repo_url);
	assert_string_equal(r->commit, b.commit);
	assert_string_equal(r->recipe, "debian-base");
	assert_string_equal(r->lock_digest, "sha256:lock");
	assert_string_equal(r->recipe_blob, "blob1");
	assert_string_equal(r->base_digest, "sha256:base");
	assert_string_equal(r->vulndb_digest, "sha256:vdb");
	assert_string_equal(r->inputs_digest, "sha256:inputs");
	assert_string_equal(r->image_digest, "sha256:image");
	assert_string_equal(r->signing_key, "key-1");
	assert_int_equal(r->ntags, 2);
	assert_string_equal(r->tags[0], "12");
	assert_string_equal(r->tags[1], "bookworm");
	assert_int_equal(r->npublished, 2);
	assert_string_equal(r->published[1], "oci:/srv/oci:base-12");
	assert_int_equal(r->nattestations, 3);
	assert_string_equal(r->attestations[2], "sha256:cc");
	assert_int_equal(r->outcome, PL_LEDGER_SUCCESS);
	assert_string_equal(r->message, "ok");
	assert_memory_equal(&r->before, &b.before, sizeof(b.before));
	assert_memory_equal(&r->after, &b.after, sizeof(b.after));
	assert_int_equal(r->npatches, 2);
	assert_string_equal(r->patches[0].patch.id, "P1");
	assert_int_equal(r->patches[0].status, PL_LEDGER_APPLIED);
	assert_string_equal(r->patches[0].patch.title, "OpenSSL security update");
	assert_string_equal(r->patches[0].patch.severity, "high");
	assert_int_equal(r->patches[0].patch.ncves, 2);
	assert_string_equal(r->patches[0].patch.cves[1], "CVE-2026-0002");
	assert_string_equal(r->patches[0].patch.advisory, "https://security.example/P1");
	assert_int_equal(r->patches[0].patch.first_seen, 1000);
	assert_string_equal(r->patches[0].patch.first_commit, b.commit);
	assert_string_equal(r->patches[1].patch.id, "P2");
	assert_int_equal(r->patches[1].status, PL_LEDGER_NOT_APPLICABLE);
	assert_null(r->patches[1].patch.title);
	pl_ledger_history_free(h);

	/* a NULL-only record is fine; a record without a recipe is not */
	memset(&b, 0, sizeof(b));
	b.recipe = "bare";
	b.outcome = PL_LEDGER_ERROR;
	assert_int_equal(pl_ledger_append(f->l, &b, NULL, &err), 0);
	b.recipe = NULL;
	assert_int_equal(pl_ledger_append(f->l, &b, NULL, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, f->path));
}

static void test_ledger_patch_metadata_upsert(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_history *h = NULL;
	struct pl_ledger_patch_eval e = ev("P1", PL_LEDGER_APPLIED);

	add(f->l, "app", 100, PL_LEDGER_SUCCESS, 0, &e, 1);
	e.patch.title = "OpenSSL update (revised)";
	e.patch.advisory = NULL; /* keeps the stored one */
	add(f->l, "app", 200, PL_LEDGER_SUCCESS, 0, &e, 1);
	assert_int_equal(pl_ledger_history(f->l, "app", &h, &err), 0);
	assert_string_equal(h->builds[0].patches[0].patch.title, "OpenSSL update (revised)");
	assert_string_equal(h->builds[0].patches[0].patch.advisory, "https://security.example/P1");
	assert_int_equal(h->builds[0].patches[0].patch.first_seen, 100);
	pl_ledger_history_free(h);
}

static void test_ledger_last_success_skips_failures(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_history *h = NULL;
	int64_t ok;

	assert_int_equal(pl_ledger_last_success(f->l, "app", &h, &err), 0);
	assert_int_equal(h->n, 0);
	pl_ledger_history_free(h);
	add(f->l, "app", 100, PL_LEDGER_SUCCESS, 1, NULL, 0);
	ok = add(f->l, "app", 200, PL_LEDGER_SUCCESS, 0, NULL, 0);
	add(f->l, "other", 250, PL_LEDGER_SUCCESS, 0, NULL, 0);
	add(f->l, "app", 300, PL_LEDGER_GATE_REFUSED, 0, NULL, 0);
	add(f->l, "app", 400, PL_LEDGER_ERROR, 0, NULL, 0);
	assert_int_equal(pl_ledger_last_success(f->l, "app", &h, &err), 0);
	assert_int_equal(h->n, 1);
	assert_int_equal(h->builds[0].id, ok);
	assert_string_equal(h->builds[0].inputs_digest,
			    "sha256:0000000000000000000000000000000000000000000000000000000000000200");
	pl_ledger_history_free(h);
}

static void test_ledger_history_newest_first(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_history *h = NULL;
	json_t *j = NULL;
	struct pl_buf out = PL_BUF_INIT;
	int64_t a, b, c;

	a = add(f->l, "app", 100, PL_LEDGER_SUCCESS, 0, NULL, 0);
	add(f->l, "other", 150, PL_LEDGER_SUCCESS, 0, NULL, 0);
	b = add(f->l, "app", 200, PL_LEDGER_ERROR, 0, NULL, 0);
	c = add(f->l, "app", 300, PL_LEDGER_SUCCESS, 1, NULL, 0);
	assert_int_equal(pl_ledger_history(f->l, "app", &h, &err), 0);
	assert_int_equal(h->n, 3);
	assert_int_equal(h->builds[0].id, c);
	assert_int_equal(h->builds[1].id, b);
	assert_int_equal(h->builds[2].id, a);
	assert_int_equal(h->builds[1].outcome, PL_LEDGER_ERROR);
	assert_int_equal(pl_ledger_history_json(h, &j, &err), 0);
	assert_int_equal(pl_json_dump(j, &out, &err), 0);
	assert_non_null(strstr(out.data, "\"image\":\"app\""));
	assert_non_null(strstr(out.data, "\"outcome\":\"error\""));
	assert_true(strstr(out.data, "\"started\":300") < strstr(out.data, "\"started\":100"));
	json_decref(j);
	pl_buf_release(&out);
	pl_ledger_history_free(h);
	assert_int_equal(pl_ledger_history(f->l, "never-built", &h, &err), 0);
	assert_int_equal(h->n, 0);
	pl_ledger_history_free(h);
}

static const struct pl_ledger_cell *cell(const struct pl_ledger_rollout *r, const char *patch,
					 const char *image)
{
	for (size_t p = 0; p < r->npatches; p++)
		for (size_t i = 0; i < r->nimages; i++)
			if (strcmp(r->patches[p].id, patch) == 0 &&
			    strcmp(r->images[i], image) == 0)
				return &r->cells[p * r->nimages + i];
	fail_msg("no cell %s x %s", patch, image);
	return NULL;
}

/*
 * P1 exists from t=100, P2 from t=500 (first evaluated by "fresh").
 *   pub      P1 applied, published                        -> published
 *   built    P1 applied, not published                    -> built
 *   old      built before P1 (no evaluations)             -> pending
 *   broken   P1 applied, gate refused                     -> failed
 *   early    errored before patching, after P1 appeared   -> failed
 *   na       P1 not applicable                            -> not-applicable
 *   regress  P1 published, then a rebuild errored         -> published + latest_failed
 */
static void fill_rollout(struct pl_ledger *l)
{
	struct pl_ledger_patch_eval a1 = ev("P1", PL_LEDGER_APPLIED);
	struct pl_ledger_patch_eval n1 = ev("P1", PL_LEDGER_NOT_APPLICABLE);
	struct pl_ledger_patch_eval both[2] = {ev("P1", PL_LEDGER_APPLIED),
					       ev("P2", PL_LEDGER_APPLIED)};

	add(l, "old", 50, PL_LEDGER_SUCCESS, 1, NULL, 0);
	add(l, "pub", 100, PL_LEDGER_SUCCESS, 1, &a1, 1);
	add(l, "built", 110, PL_LEDGER_SUCCESS, 0, &a1, 1);
	add(l, "broken", 120, PL_LEDGER_GATE_REFUSED, 0, &a1, 1);
	add(l, "early", 130, PL_LEDGER_ERROR, 0, NULL, 0);
	add(l, "na", 140, PL_LEDGER_SUCCESS, 1, &n1, 1);
	add(l, "regress", 150, PL_LEDGER_SUCCESS, 1, &a1, 1);
	add(l, "regress", 160, PL_LEDGER_ERROR, 0, &a1, 1);
	add(l, "fresh", 500, PL_LEDGER_SUCCESS, 1, both, 2);
}

static void test_ledger_rollout_states(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_rollout *r = NULL;
	const struct pl_ledger_cell *c;

	fill_rollout(f->l);
	assert_int_equal(pl_ledger_rollout(f->l, NULL, &r, &err), 0);
	assert_int_equal(r->npatches, 2);
	assert_string_equal(r->patches[0].id, "P1");
	assert_string_equal(r->patches[1].id, "P2");
	assert_int_equal(r->nimages, 8);
	assert_string_equal(r->images[0], "broken"); /* sorted */

	c = cell(r, "P1", "pub");
	assert_int_equal(c->state, PL_LEDGER_PUBLISHED);
	assert_string_equal(c->build->published[0], "registry.example/app:1");
	assert_int_equal(c->build->finished, 105);
	assert_non_null(c->build->image_digest);
	assert_null(c->latest_failed);
	assert_int_equal(cell(r, "P1", "built")->state, PL_LEDGER_BUILT);
	c = cell(r, "P1", "old");
	assert_int_equal(c->state, PL_LEDGER_PENDING);
	assert_int_equal(c->build->started, 50);
	c = cell(r, "P1", "broken");
	assert_int_equal(c->state, PL_LEDGER_FAILED);
	assert_int_equal(c->build->outcome, PL_LEDGER_GATE_REFUSED);
	assert_string_equal(c->build->message, "gate: CVE-2026-9 high fixable");
	assert_int_equal(cell(r, "P1", "early")->state, PL_LEDGER_FAILED);
	assert_int_equal(cell(r, "P1", "na")->state, PL_LEDGER_STATE_NA);
	c = cell(r, "P1", "regress");
	assert_int_equal(c->state, PL_LEDGER_PUBLISHED);
	assert_int_equal(c->build->started, 150);
	assert_non_null(c->latest_failed);
	assert_int_equal(c->latest_failed->started, 160);
	assert_int_equal(c->latest_failed->outcome, PL_LEDGER_ERROR);
	assert_int_equal(cell(r, "P1", "fresh")->state, PL_LEDGER_PUBLISHED);

	/* P2 appeared at 500: everything else predates it */
	assert_int_equal(cell(r, "P2", "fresh")->state, PL_LEDGER_PUBLISHED);
	assert_int_equal(cell(r, "P2", "pub")->state, PL_LEDGER_PENDING);
	assert_int_equal(cell(r, "P2", "early")->state, PL_LEDGER_PENDING);
	c = cell(r, "P2", "regress");
	assert_int_equal(c->state, PL_LEDGER_PENDING);
	pl_ledger_rollout_free(r);

	/* a rebuild fixes "broken"; "built" gets published; "na" now applies */
	{
		struct pl_ledger_patch_eval a1 = ev("P1", PL_LEDGER_APPLIED);

		add(f->l, "broken", 600, PL_LEDGER_SUCCESS, 0, &a1, 1);
		add(f->l, "built", 610, PL_LEDGER_SUCCESS, 1, &a1, 1);
		add(f->l, "na", 620, PL_LEDGER_SUCCESS, 0, &a1, 1);
	}
	assert_int_equal(pl_ledger_rollout(f->l, NULL, &r, &err), 0);
	assert_int_equal(cell(r, "P1", "broken")->state, PL_LEDGER_BUILT);
	assert_int_equal(cell(r, "P1", "built")->state, PL_LEDGER_PUBLISHED);
	assert_int_equal(cell(r, "P1", "na")->state, PL_LEDGER_BUILT);
	pl_ledger_rollout_free(r);
}

static void test_ledger_rollout_extra_patches(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_rollout *r = NULL;
	struct pl_ledger_patch extra[2];
	const char *ids[2] = {"P9", "P1"};
	struct pl_ledger_rollout_opts o;

	fill_rollout(f->l);
	memset(extra, 0, sizeof(extra));
	extra[0].id = "P9";
	extra[0].title = "brand new";
	extra[1].id = "P1"; /* known: the ledger wins */
	extra[1].title = "ignored";
	memset(&o, 0, sizeof(o));
	o.extra = extra;
	o.nextra = 2;
	o.now = 10000;
	assert_int_equal(pl_ledger_rollout(f->l, &o, &r, &err), 0);
	assert_int_equal(r->npatches, 3);
	assert_string_equal(r->patches[2].id, "P9");
	assert_false(r->patches[2].known);
	assert_string_equal(r->patches[2].title, "brand new");
	assert_string_equal(r->patches[0].title, "OpenSSL security update");
	for (size_t i = 0; i < r->nimages; i++)
		assert_int_equal(r->cells[2 * r->nimages + i].state, PL_LEDGER_PENDING);
	pl_ledger_rollout_free(r);

	/* a selection, sorted, with an unknown id refused */
	o.patch_ids = ids;
	o.npatch_ids = 2;
	assert_int_equal(pl_ledger_rollout(f->l, &o, &r, &err), 0);
	assert_int_equal(r->npatches, 2);
	assert_string_equal(r->patches[0].id, "P1");
	assert_string_equal(r->patches[1].id, "P9");
	pl_ledger_rollout_free(r);
	o.nextra = 0;
	assert_int_equal(pl_ledger_rollout(f->l, &o, &r, &err), PL_ENOTFOUND);
	assert_null(r);
	assert_non_null(strstr(err.msg, "'P9'"));

	/* the persistent way: upserted, P9 now known with first_seen */
	assert_int_equal(pl_ledger_upsert_patches(f->l, extra, 1, 9000, "c0ffee", &err), 0);
	assert_int_equal(pl_ledger_advisory(f->l, "P9", NULL, 0, 0, &r, &err), 0);
	assert_true(r->patches[0].known);
	assert_int_equal(r->patches[0].first_seen, 9000);
	assert_string_equal(r->patches[0].first_commit, "c0ffee");
	assert_int_equal(cell(r, "P9", "pub")->state, PL_LEDGER_PENDING);
	pl_ledger_rollout_free(r);
}

static void test_ledger_advisory(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_rollout *r = NULL;
	struct pl_buf out = PL_BUF_INIT;
	json_t *j = NULL, *cells, *c;
	size_t i;

	fill_rollout(f->l);
	assert_int_equal(pl_ledger_advisory(f->l, "P1", NULL, 0, 0, &r, &err), 0);
	assert_int_equal(r->npatches, 1);
	assert_int_equal(r->patches[0].ncves, 2);
	assert_int_equal(pl_ledger_advisory_json(r, &j, &err), 0);
	assert_string_equal(pl_json_str(j, "id"), "P1");
	assert_string_equal(pl_json_str(j, "advisory"), "https://security.example/P1");
	assert_int_equal(json_array_size(json_object_get(j, "cves")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "summary"),
							    "published")),
			 3);
	cells = json_object_get(j, "cells");
	assert_int_equal(json_array_size(cells), 8);
	json_array_foreach(cells, i, c)
	{
		if (strcmp(pl_json_str(c, "image"), "regress") != 0)
			continue;
		assert_string_equal(pl_json_str(c, "state"), "published");
		assert_string_equal(json_string_value(json_array_get(
					json_object_get(json_object_get(c, "build"), "published"), 0)),
				    "registry.example/app:1");
		assert_string_equal(pl_json_str(json_object_get(c, "latest_failed"), "outcome"),
				    "error");
	}
	assert_int_equal(pl_json_dump(j, &out, &err), 0);
	assert_non_null(strstr(out.data, "\"published\":[\"registry.example/app:1\"]"));
	json_decref(j);
	pl_buf_release(&out);
	pl_ledger_rollout_free(r);
	assert_int_equal(pl_ledger_advisory(f->l, "nope", NULL, 0, 0, &r, &err), PL_ENOTFOUND);
}

static void test_ledger_rollout_json_stable(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_rollout *r = NULL;
	struct pl_buf a = PL_BUF_INIT, b = PL_BUF_INIT;
	json_t *j = NULL, *p, *states;

	fill_rollout(f->l);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(pl_ledger_rollout(f->l, NULL, &r, &err), 0);
		assert_int_equal(pl_ledger_rollout_json(r, &j, &err), 0);
		assert_int_equal(pl_json_dump(j, k ? &b : &a, &err), 0);
		if (k) {
			p = json_array_get(json_object_get(j, "patches"), 0);
			states = json_object_get(p, "states");
			assert_int_equal(json_array_size(states), r->nimages);
			/* images[1] is "built" */
			assert_string_equal(json_string_value(json_array_get(states, 1)), "built");
			assert_true(json_is_object(json_object_get(json_object_get(j, "builds"),
								    "1")));
		}
		json_decref(j);
		pl_ledger_rollout_free(r);
	}
	assert_string_equal(a.data, b.data);
	pl_buf_release(&a);
	pl_buf_release(&b);
}

static void test_ledger_migrate_v1_to_current(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger *l = NULL;
	struct pl_ledger_history *h = NULL;
	char *p = tu_path(f->dir, "old.db");
	struct pl_ledger_patch_eval e = ev("P1", PL_LEDGER_APPLIED);

	assert_int_equal(ldg_open_version(&l, p, 1, &err), 0);
	add(l, "app", 100, PL_LEDGER_SUCCESS, 1, &e, 1);
	add(l, "app", 200, PL_LEDGER_ERROR, 0, NULL, 0);
	pl_ledger_free(l);
	assert_int_equal(sql_int(p, "PRAGMA user_version"), 1);
	assert_int_equal(
	    sql_int(p, "SELECT count(*) FROM sqlite_master WHERE name='builds_digest'"), 0);

	assert_int_equal(pl_ledger_open(&l, p, &err), 0);
	assert_int_equal(sql_int(p, "PRAGMA user_version"), 2);
	assert_int_equal(
	    sql_int(p, "SELECT count(*) FROM sqlite_master WHERE name='builds_digest'"), 1);
	assert_int_equal(pl_ledger_history(l, "app", &h, &err), 0);
	assert_int_equal(h->n, 2);
	assert_int_equal(h->builds[1].npatches, 1);
	pl_ledger_history_free(h);
	add(l, "app", 300, PL_LEDGER_SUCCESS, 0, NULL, 0);
	pl_ledger_free(l);
	free(p);
}

static void test_ledger_newer_schema_refused(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger *l = NULL;

	pl_ledger_free(f->l);
	f->l = NULL;
	sql_int(f->path, "PRAGMA user_version=99");
	assert_int_equal(pl_ledger_open(&l, f->path, &err), PL_EINVAL);
	assert_null(l);
	assert_non_null(strstr(err.msg, "schema version 99"));
	assert_non_null(strstr(err.msg, "newer"));
	assert_non_null(strstr(err.msg, f->path));
	assert_int_equal(sql_int(f->path, "PRAGMA user_version"), 99);
}

static void test_ledger_concurrent_writers(void **state)
{
	struct fx *f = *state;
	pid_t kids[4];
	int status;

	pl_ledger_free(f->l);
	f->l = NULL;
	for (int k = 0; k < 4; k++) {
		kids[k] = fork();
		assert_true(kids[k] >= 0);
		if (kids[k] == 0) {
			struct pl_err err = PL_ERR_INIT;
			struct pl_ledger *l = NULL;
			struct pl_ledger_patch_eval e = ev("P1", PL_LEDGER_APPLIED);
			char name[16];

			snprintf(name, sizeof(name), "img-%d", k);
			if (pl_ledger_open(&l, f->path, &err) < 0)
				_exit(10);
			for (int i = 0; i < 50; i++) {
				struct pl_ledger_build b;

				memset(&b, 0, sizeof(b));
				b.recipe = name;
				b.started = 1000 + i;
				b.outcome = PL_LEDGER_SUCCESS;
				b.patches = &e;
				b.npatches = 1;
				if (pl_ledger_append(l, &b, NULL, &err) < 0) {
					fprintf(stderr, "child %d: %s\n", k, err.msg);
					_exit(11);
				}
			}
			pl_ledger_free(l);
			_exit(0);
		}
	}
	for (int k = 0; k < 4; k++) {
		assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM builds"), 200);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM build_patches"), 200);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM cells"), 4);
	assert_true(integrity_ok(f->path));
}

/* The hook: tell the parent we are mid-append, then wait to be killed. */
static void pause_hook(void *ctx)
{
	int fd = *(int *)ctx;
	char c = 'x';

	if (write(fd, &c, 1) != 1)
		_exit(12);
	for (;;)
		pause();
}

static void test_ledger_killed_mid_append(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_rollout *r = NULL;
	int fds[2], status;
	char c;
	pid_t kid;

	add(f->l, "app", 100, PL_LEDGER_SUCCESS, 1, NULL, 0);
	assert_int_equal(pipe(fds), 0);
	kid = fork();
	assert_true(kid >= 0);
	if (kid == 0) {
		struct pl_ledger *l = NULL;
		struct pl_ledger_patch_eval e = ev("P1", PL_LEDGER_APPLIED);

		close(fds[0]);
		if (pl_ledger_open(&l, f->path, &err) < 0)
			_exit(10);
		ldg_set_hook(l, pause_hook, &fds[1]);
		add(l, "app", 200, PL_LEDGER_SUCCESS, 1, &e, 1);
		_exit(13); /* not reached */
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_int_equal(kill(kid, SIGKILL), 0);
	assert_int_equal(waitpid(kid, &status, 0), kid);
	assert_true(WIFSIGNALED(status));
	close(fds[0]);

	assert_true(integrity_ok(f->path));
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM builds"), 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM patches"), 0);
	/* the surviving handle and a new one both append */
	add(f->l, "app", 300, PL_LEDGER_SUCCESS, 0, NULL, 0);
	pl_ledger_free(f->l);
	f->l = NULL;
	assert_int_equal(pl_ledger_open(&f->l, f->path, &err), 0);
	add(f->l, "app", 400, PL_LEDGER_SUCCESS, 0, NULL, 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM builds"), 3);
	assert_int_equal(pl_ledger_rollout(f->l, NULL, &r, &err), 0);
	assert_int_equal(r->npatches, 0);
	pl_ledger_rollout_free(r);
	assert_true(integrity_ok(f->path));
}

static void test_ledger_batch_rollback(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_patch_eval e = ev("P1", PL_LEDGER_APPLIED);

	assert_int_equal(pl_ledger_batch_begin(f->l, &err), 0);
	add(f->l, "app", 100, PL_LEDGER_SUCCESS, 1, &e, 1);
	add(f->l, "app", 200, PL_LEDGER_SUCCESS, 1, &e, 1);
	assert_int_equal(pl_ledger_batch_end(f->l, false, &err), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM builds"), 0);
	assert_int_equal(pl_ledger_batch_begin(f->l, &err), 0);
	add(f->l, "app", 100, PL_LEDGER_SUCCESS, 1, &e, 1);
	add(f->l, "app", 200, PL_LEDGER_SUCCESS, 1, &e, 1);
	assert_int_equal(pl_ledger_batch_end(f->l, true, &err), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM build_patches"), 2);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM patches"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ledger_schema_create_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_not_a_database, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_append_read_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_patch_metadata_upsert, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_last_success_skips_failures, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_history_newest_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_rollout_states, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_rollout_extra_patches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_advisory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_rollout_json_stable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_migrate_v1_to_current, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_newer_schema_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_concurrent_writers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_killed_mid_append, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_batch_rollback, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
