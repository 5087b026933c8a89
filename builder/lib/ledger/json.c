/*
 * ledger/json: JSON for the query results, the shapes ledger.h lists.
 * Objects are dumped with sorted keys by pl_json_dump; arrays keep the
 * results' order (builds newest first, patches and images by name). A build
 * that many rollout cells refer to is built once and shared (jansson values
 * are reference counted), which keeps a 100,000-cell matrix cheap.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/ledger/internal.h"

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *str_array(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, str_or_null(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* Set obj[key] = val (stolen); a NULL val or obj marks the whole thing failed. */
static int put(json_t *obj, const char *key, json_t *val)
{
	if (!val)
		return -1;
	if (!obj || json_object_set_new(obj, key, val) < 0)
		return -1;
	return 0;
}

static json_t *by_severity(const uint32_t *v)
{
	json_t *o = json_object();
	int bad = 0;

	for (int s = 0; s < PL_LEDGER_NSEV; s++)
		bad |= put(o, pl_ledger_severity_name((enum pl_ledger_severity)s),
			   json_integer(v[s]));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *findings(const struct pl_ledger_findings *f)
{
	json_t *o = json_object();
	json_int_t total = 0;
	int bad = 0;

	for (int s = 0; s < PL_LEDGER_NSEV; s++)
		total += (json_int_t)f->fixable[s] + f->unfixed[s];
	bad |= put(o, "fixable", by_severity(f->fixable));
	bad |= put(o, "unfixed", by_severity(f->unfixed));
	bad |= put(o, "total", json_integer(total));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *patch_json(const struct pl_ledger_patch *p)
{
	json_t *o = json_object();
	int bad = 0;

	bad |= put(o, "id", str_or_null(p->id));
	bad |= put(o, "title", str_or_null(p->title));
	bad |= put(o, "severity", str_or_null(p->severity));
	bad |= put(o, "cves", str_array(p->cves, p->ncves));
	bad |= put(o, "advisory", str_or_null(p->advisory));
	bad |= put(o, "first_seen", json_integer(p->first_seen));
	bad |= put(o, "first_commit", str_or_null(p->first_commit));
	bad |= put(o, "known", json_boolean(p->known));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *build_json(const struct pl_ledger_build *b)
{
	json_t *o = json_object(), *evals = json_array(), *applied = json_array(), *f;
	int bad = !evals || !applied;

	for (size_t i = 0; !bad && i < b->npatches; i++) {
		const struct pl_ledger_patch_eval *e = &b->patches[i];
		json_t *x = json_object();

		bad |= put(x, "id", str_or_null(e->patch.id));
		bad |= put(x, "status",
			   json_string(e->status == PL_LEDGER_APPLIED ? "applied" : "not-applicable"));
		bad |= json_array_append_new(evals, x) < 0;
		if (e->status == PL_LEDGER_APPLIED)
			bad |= json_array_append_new(applied, str_or_null(e->patch.id)) < 0;
	}
	bad |= put(o, "patches", evals);
	bad |= put(o, "applied", applied);
	f = json_object();
	bad |= put(f, "before", findings(&b->before));
	bad |= put(f, "after", findings(&b->after));
	bad |= put(o, "findings", f);
	bad |= put(o, "id", json_integer(b->id));
	bad |= put(o, "recipe", str_or_null(b->recipe));
	bad |= put(o, "started", json_integer(b->started));
	bad |= put(o, "finished", json_integer(b->finished));
	bad |= put(o, "outcome", json_string(pl_ledger_outcome_name(b->outcome)));
	bad |= put(o, "message", str_or_null(b->message));
	bad |= put(o, "builder_version", str_or_null(b->builder_version));
	bad |= put(o, "repo_url", str_or_null(b->repo_url));
	bad |= put(o, "commit", str_or_null(b->commit));
	bad |= put(o, "lock_digest", str_or_null(b->lock_digest));
	bad |= put(o, "recipe_blob", str_or_null(b->recipe_blob));
	bad |= put(o, "base_digest", str_or_null(b->base_digest));
	bad |= put(o, "vulndb_digest", str_or_null(b->vulndb_digest));
	bad |= put(o, "inputs_digest", str_or_null(b->inputs_digest));
	bad |= put(o, "image_digest", str_or_null(b->image_digest));
	bad |= put(o, "signing_key", str_or_null(b->signing_key));
	bad |= put(o, "tags", str_array(b->tags, b->ntags));
	bad |= put(o, "published", str_array(b->published, b->npublished));
	bad |= put(o, "attestations", str_array(b->attestations, b->nattestations));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int pl_ledger_build_json(const struct pl_ledger_build *b, json_t **out, struct pl_err *err)
{
	*out = build_json(b);
	return *out ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
}

int pl_ledger_history_json(const struct pl_ledger_history *h, json_t **out, struct pl_err *err)
{
	json_t *o = json_object(), *a = json_array();
	int bad = !a;

	for (size_t i = 0; !bad && i < h->n; i++)
		bad |= json_array_append_new(a, build_json(&h->builds[i])) < 0;
	bad |= put(o, "builds", a);
	bad |= put(o, "image", str_or_null(h->recipe));
	if (bad) {
		json_decref(o);
		*out = NULL;
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	*out = o;
	return 0;
}

/* ---- rollout ---- */

/* Open-addressed map from a ref to its (shared) JSON. */
struct refmap {
	const struct pl_ledger_ref **keys;
	json_t **vals;
	size_t cap;
	json_t **ids; /* the id as a JSON integer, when by_id */
	int by_id;    /* cells name builds by id; the builds go in one map */
};

static json_t *ref_json(const struct pl_ledger_ref *r)
{
	json_t *o = json_object();
	int bad = 0;

	bad |= put(o, "id", json_integer(r->id));
	bad |= put(o, "finished", json_integer(r->finished));
	bad |= put(o, "outcome", json_string(pl_ledger_outcome_name(r->outcome)));
	bad |= put(o, "message", str_or_null(r->message));
	bad |= put(o, "commit", str_or_null(r->commit));
	bad |= put(o, "digest", str_or_null(r->image_digest));
	bad |= put(o, "tags", str_array(r->tags, r->ntags));
	bad |= put(o, "published", str_array(r->published, r->npublished));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A new reference to r's JSON (built on first use). */
static json_t *ref_get(struct refmap *m, const struct pl_ledger_ref *r)
{
	size_t h = ((uintptr_t)r >> 4) * 0x9e3779b97f4a7c15ull % m->cap;

	while (m->keys[h] && m->keys[h] != r)
		h = (h + 1) % m->cap;
	if (!m->keys[h]) {
		m->vals[h] = ref_json(r);
		m->ids[h] = json_integer(r->id);
		if (!m->vals[h] || !m->ids[h]) {
			json_decref(m->vals[h]);
			json_decref(m->ids[h]);
			m->vals[h] = m->ids[h] = NULL;
			return NULL;
		}
		m->keys[h] = r;
	}
	return json_incref(m->by_id ? m->ids[h] : m->vals[h]);
}

static json_t *summary_json(const size_t *counts)
{
	json_t *sum = json_object();

	for (int s = 0; s < 5; s++)
		if (put(sum, pl_ledger_state_name((enum pl_ledger_state)s),
			json_integer((json_int_t)counts[s])) < 0) {
			json_decref(sum);
			return NULL;
		}
	return sum;
}

/* The advisory's cells: one object per image, builds inline. */
static json_t *cells_json(const struct pl_ledger_rollout *r, size_t p, struct refmap *m)
{
	json_t *o = json_object(), *cells = json_array();
	size_t counts[5] = {0, 0, 0, 0, 0};
	int bad = !cells;

	for (size_t i = 0; !bad && i < r->nimages; i++) {
		const struct pl_ledger_cell *c = &r->cells[p * r->nimages + i];
		json_t *x = json_object();

		counts[c->state]++;
		bad |= put(x, "image", json_string(r->images[i]));
		bad |= put(x, "state", json_string(pl_ledger_state_name(c->state)));
		if (c->build)
			bad |= put(x, "build", ref_get(m, c->build));
		if (c->latest_failed)
			bad |= put(x, "latest_failed", ref_get(m, c->latest_failed));
		bad |= json_array_append_new(cells, x) < 0;
	}
	bad |= put(o, "cells", cells);
	bad |= put(o, "summary", summary_json(counts));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * The matrix's row for one patch, in columns parallel to "images" (100,000
 * cell objects would cost more than the whole query): "states", "builds"
 * and "latest_failed" (build ids or null). State strings are shared.
 */
static json_t *columns_json(const struct pl_ledger_rollout *r, size_t p, struct refmap *m,
			    json_t *const *states)
{
	json_t *o = json_object(), *st = json_array(), *bu = json_array(), *lf = json_array();
	size_t counts[5] = {0, 0, 0, 0, 0};
	int bad = !st || !bu || !lf;

	for (size_t i = 0; !bad && i < r->nimages; i++) {
		const struct pl_ledger_cell *c = &r->cells[p * r->nimages + i];

		counts[c->state]++;
		bad |= json_array_append(st, states[c->state]) < 0;
		bad |= json_array_append_new(bu, c->build ? ref_get(m, c->build) : json_null()) < 0;
		bad |= json_array_append_new(lf, c->latest_failed ? ref_get(m, c->latest_failed)
								  : json_null()) < 0;
	}
	bad |= put(o, "states", st);
	bad |= put(o, "builds", bu);
	bad |= put(o, "latest_failed", lf);
	bad |= put(o, "summary", summary_json(counts));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The patch object: metadata, cells, summary. */
static json_t *patch_rollout(const struct pl_ledger_rollout *r, size_t p, struct refmap *m,
			     json_t *const *states)
{
	json_t *o = patch_json(&r->patches[p]);
	json_t *c = states ? columns_json(r, p, m, states) : cells_json(r, p, m);

	if (!o || !c || json_object_update(o, c) < 0) {
		json_decref(o);
		o = NULL;
	}
	json_decref(c);
	return o;
}

static int refmap_init(struct refmap *m, const struct pl_ledger_rollout *r)
{
	/* at most two refs a cell; far fewer in practice, the map grows no further */
	size_t n = r->npatches * r->nimages * 2;

	m->cap = (n < 1024 ? 1024 : n) * 2 + 1;
	m->keys = calloc(m->cap, sizeof(*m->keys));
	m->vals = calloc(m->cap, sizeof(*m->vals));
	m->ids = calloc(m->cap, sizeof(*m->ids));
	return m->keys && m->vals && m->ids ? 0 : -1;
}

static void refmap_release(struct refmap *m)
{
	for (size_t i = 0; m->vals && m->ids && i < m->cap; i++) {
		json_decref(m->vals[i]);
		json_decref(m->ids[i]);
	}
	free(m->keys);
	free(m->vals);
	free(m->ids);
}

int pl_ledger_rollout_json(const struct pl_ledger_rollout *r, json_t **out, struct pl_err *err)
{
	json_t *o = json_object(), *patches = json_array();
	struct refmap m = {NULL, NULL, 0, NULL, 1};
	int bad = !patches || refmap_init(&m, r) < 0;
	json_t *builds = json_object(), *states[5];

	for (int s = 0; s < 5; s++) {
		states[s] = json_string(pl_ledger_state_name((enum pl_ledger_state)s));
		bad |= !states[s];
	}
	for (size_t p = 0; !bad && p < r->npatches; p++)
		bad |= json_array_append_new(patches, patch_rollout(r, p, &m, states)) < 0;
	for (size_t i = 0; !bad && i < m.cap; i++) {
		char key[32];

		if (!m.keys[i])
			continue;
		snprintf(key, sizeof(key), "%lld", (long long)m.keys[i]->id);
		bad |= put(builds, key, json_incref(m.vals[i]));
	}
	bad |= put(o, "builds", builds);
	bad |= put(o, "patches", patches);
	bad |= put(o, "images", str_array(r->images, r->nimages));
	refmap_release(&m);
	for (int s = 0; s < 5; s++)
		json_decref(states[s]);
	if (bad) {
		json_decref(o);
		*out = NULL;
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	*out = o;
	return 0;
}

int pl_ledger_advisory_json(const struct pl_ledger_rollout *r, json_t **out, struct pl_err *err)
{
	struct refmap m = {NULL, NULL, 0, NULL, 0};

	*out = NULL;
	if (r->npatches != 1)
		return pl_err_set(err, PL_EINVAL, "an advisory is about one patch, not %zu",
				  r->npatches);
	if (refmap_init(&m, r) == 0)
		*out = patch_rollout(r, 0, &m, NULL);
	refmap_release(&m);
	return *out ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
}
