/*
 * plinth build for a fleet: every recipe asked for, several at once (each
 * job with its own repository handle and stores), past failures, skipping
 * recipes whose inputs are unchanged since their last successful build,
 * publishing, and one ledger record per build whatever its outcome.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/ledger.h"
#include "lib/sign.h"
#include "lib/pipeline/internal.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/log.h"

#define MAX_JOBS 64

struct fleet {
	const struct pl_build_opts *o;
	const char *out_dir;
	const struct pl_oci_strv *names;
	struct pl_build_result *res;
	struct pl_ledger *ledger;   /* NULL with no_ledger */
	struct pl_patchset all;     /* every patch at the commit, for the evaluations */
	struct pl_build_inputs *ins; /* each recipe's inputs (digest "" when unknown) */
	struct pl_sign_key *key;    /* signs what passed, when asked */
	pthread_mutex_t lock;       /* next, the ledger */
	size_t next;
	int rc;                     /* a failure that is no recipe's own (a job could not start) */
	struct pl_err err;
};

/* pl_sev index -> ledger severity; the ledger has no "none"/"negligible": those are low */
static int ledger_sev(int sev)
{
	switch (sev) {
	case 6: return PL_LEDGER_CRITICAL;
	case 5: return PL_LEDGER_HIGH;
	case 4: return PL_LEDGER_MEDIUM;
	case 3: case 2: case 1: return PL_LEDGER_LOW;
	default: return PL_LEDGER_UNKNOWN;
	}
}

static void findings(const size_t *all, const size_t *fixable, struct pl_ledger_findings *out)
{
	memset(out, 0, sizeof(*out));
	for (int s = 0; s < 7; s++) {
		out->fixable[ledger_sev(s)] += (uint32_t)fixable[s];
		out->unfixed[ledger_sev(s)] += (uint32_t)(all[s] - fixable[s]);
	}
}

static bool applied(const struct pl_built_image *img, const char *id)
{
	size_t n = strlen(id);

	for (const char *p = img->patch_ids; p && *p;) {
		const char *c = strchr(p, ',');
		size_t k = c ? (size_t)(c - p) : strlen(p);
		if (k == n && !strncmp(p, id, n))
			return true;
		p = c ? c + 1 : p + k;
	}
	return false;
}

static int record(struct fleet *f, const struct pl_built_image *img,
		  const struct pl_build_inputs *in, struct pl_err *err)
{
	const struct pl_build_result *res = f->res;
	struct pl_ledger_build b = { 0 };
	struct pl_ledger_patch_eval *ev = NULL;
	bool evaluated = img->rc == 0 || img->gate_refused;
	int rc;

	if (!f->ledger)
		return 0;
	if (evaluated && f->all.n) {
		ev = calloc(f->all.n, sizeof(*ev));
		if (!ev)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		for (size_t i = 0; i < f->all.n; i++) {
			const struct pl_patchdef *p = f->all.v[i];

			ev[i].patch.id = p->id;
			ev[i].patch.title = p->title;
			ev[i].patch.severity = pl_recipe_sev_name(p->severity);
			ev[i].patch.cves = (const char *const *)p->cves.v;
			ev[i].patch.ncves = p->cves.n;
			ev[i].patch.advisory = p->advisory;
			ev[i].status = applied(img, p->id) ? PL_LEDGER_APPLIED
							   : PL_LEDGER_NOT_APPLICABLE;
		}
		b.patches = ev;
		b.npatches = f->all.n;
	}
	b.started = img->started;
	b.finished = img->finished;
	b.builder_version = PL_VERSION;
	b.repo_url = res->repo_url;
	b.commit = res->commit;
	b.recipe = img->name;
	b.lock_digest = in && in->lock_blob[0] ? in->lock_blob : NULL;
	b.recipe_blob = in ? in->recipe_blob : NULL;
	b.base_digest = in && in->base[0] ? in->base : NULL;
	b.vulndb_digest = img->db_digest[0] ? img->db_digest : in && in->db[0] ? in->db : NULL;
	b.inputs_digest = img->inputs[0] ? img->inputs : NULL;
	b.image_digest = img->rc == 0 ? img->desc.digest : NULL;
	b.tags = (const char *const *)img->refs.v;
	b.ntags = img->refs.n;
	b.published = (const char *const *)img->published.v;
	b.npublished = img->published.n;
	b.signing_key = img->key_id[0] ? img->key_id : NULL;
	b.attestations = (const char *const *)img->attestations.v;
	b.nattestations = img->attestations.n;
	b.outcome = img->rc == 0 ? PL_LEDGER_SUCCESS
		    : img->gate_refused ? PL_LEDGER_GATE_REFUSED : PL_LEDGER_ERROR;
	b.message = img->message;
	findings(img->by_sev, img->fixable_sev, &b.after);
	if (img->patched_scan)
		findings(img->before_sev, img->before_fixable_sev, &b.before);
	else
		b.before = b.after;
	pthread_mutex_lock(&f->lock);
	rc = pl_ledger_append(f->ledger, &b, NULL, err);
	pthread_mutex_unlock(&f->lock);
	free(ev);
	return rc;
}

/*
 * The recipe's last successful build, when its inputs equal in and its
 * image is still what its tags name in the layout: then nothing is built.
 */
static bool still_current(struct fleet *f, struct pl_build_job *job, const char *name,
			  const struct pl_build_inputs *in, struct pl_built_image *img)
{
	struct pl_ledger_history *h = NULL;
	struct pl_err e = PL_ERR_INIT;
	const struct pl_ledger_build *last;
	bool ok = false;

	if (!f->ledger || f->o->force || f->o->check_reproducible)
		return false;
	pthread_mutex_lock(&f->lock);
	if (pl_ledger_last_success(f->ledger, name, &h, &e) < 0)
		h = NULL;
	pthread_mutex_unlock(&f->lock);
	if (!h || h->n != 1)
		goto out;
	last = &h->builds[0];
	if (!last->inputs_digest || strcmp(last->inputs_digest, in->digest) != 0 ||
	    !last->image_digest || last->ntags == 0)
		goto out;
	ok = true;
	for (size_t i = 0; ok && i < last->ntags; i++) {
		struct pl_oci_desc d = { 0 };
		ok = pl_oci_layout_resolve(pl_build_job_layout(job), last->tags[i], &d, &e) == 0 &&
		     !strcmp(d.digest, last->image_digest);
		if (ok && i == 0)
			ok = pl_oci_desc_copy(&img->desc, &d, &e) == 0;
		pl_oci_desc_release(&d);
	}
	for (size_t i = 0; ok && i < last->ntags; i++)
		ok = pl_oci_strv_push(&img->refs, last->tags[i], &e) == 0;
	/* the findings as that build recorded them */
	for (int s = 0; ok && s < PL_LEDGER_NSEV; s++) {
		static const int back[PL_LEDGER_NSEV] = { 6, 5, 4, 3, 0 };
		img->by_sev[back[s]] = last->after.fixable[s] + last->after.unfixed[s];
		img->fixable_sev[back[s]] = last->after.fixable[s];
	}
	if (ok) {
		struct pl_buf ids = PL_BUF_INIT;
		for (size_t i = 0; i < last->npatches; i++)
			if (last->patches[i].status == PL_LEDGER_APPLIED &&
			    pl_buf_addf(&ids, &e, "%s%s", ids.len ? "," : "",
					last->patches[i].patch.id) < 0)
				ok = false;
		img->patch_ids = ids.len ? pl_buf_detach(&ids, NULL) : NULL;
		pl_buf_release(&ids);
		img->scanned = last->vulndb_digest != NULL;
		if (last->vulndb_digest)
			snprintf(img->db_digest, sizeof(img->db_digest), "%s", last->vulndb_digest);
		img->not_scanned = "unchanged since its last build";
	}
out:
	if (!ok) {
		pl_oci_desc_release(&img->desc);
		pl_oci_strv_release(&img->refs);
	}
	pl_ledger_history_free(h);
	return ok;
}

static void fail(struct pl_built_image *img, const struct pl_err *e)
{
	img->rc = e->code ? e->code : PL_EIO;
	free(img->message);
	img->message = strdup(e->msg);
}

/* Publish a good image (after every check) and record the build. */
static void finish_one(struct fleet *f, size_t i)
{
	struct pl_built_image *img = &f->res->images[i];
	const struct pl_build_inputs *in = f->ins[i].digest[0] ? &f->ins[i] : NULL;
	struct pl_err e = PL_ERR_INIT;

	if (img->rc == 0 && (f->o->push_to || (f->key && !img->unchanged)) &&
	    pl_publish(&f->o->src, f->out_dir, f->o->push_to, f->key, f->res, img, &e) < 0)
		fail(img, &e);
	img->finished = (int64_t)time(NULL);
	pl_err_init(&e);
	/*
	 * A build the ledger did not take is a failed build. An unchanged
	 * image is recorded only when it was published now: that is news.
	 */
	if ((!img->unchanged || img->published.n) && record(f, img, in, &e) < 0 && img->rc == 0)
		fail(img, &e);
}

static void run_one(struct fleet *f, struct pl_build_job *job, size_t i)
{
	struct pl_built_image *img = &f->res->images[i];
	const char *name = f->names->v[i];
	struct pl_build_inputs *in = &f->ins[i];
	struct pl_err e = PL_ERR_INIT;
	int rc;

	img->started = (int64_t)time(NULL);
	/*
	 * Without inputs (a broken recipe, a base that is not there) there is
	 * nothing to compare: the build runs and reports the error itself.
	 */
	if (f->ledger && pl_build_inputs(pl_build_job_source(job), f->o, name, in, &e) == 0)
		memcpy(img->inputs, in->digest, sizeof(img->inputs));
	pl_err_init(&e);
	if (img->inputs[0] && still_current(f, job, name, in, img)) {
		img->unchanged = true;
		pl_log_info("%s: unchanged since its last build (%.19s)", name, img->desc.digest);
		rc = 0;
	} else {
		pl_log_info("building %s", name);
		rc = pl_build_job_recipe(job, name, img, &e);
	}
	if (!img->name)
		img->name = strdup(name);
	if (rc < 0)
		fail(img, &e);
	img->finished = (int64_t)time(NULL);
	/* with --check-reproducible, publishing waits for the second build */
	if (!f->o->check_reproducible)
		finish_one(f, i);
}

static void *worker(void *arg)
{
	struct fleet *f = arg;
	struct pl_build_job *job = NULL;
	struct pl_err e = PL_ERR_INIT;

	if (pl_build_job_open(f->o, f->out_dir, &job, &e) < 0) {
		pthread_mutex_lock(&f->lock);
		if (f->rc == 0) {
			f->rc = e.code;
			f->err = e;
		}
		pthread_mutex_unlock(&f->lock);
		return NULL;
	}
	for (;;) {
		size_t i;

		pthread_mutex_lock(&f->lock);
		i = f->next++;
		pthread_mutex_unlock(&f->lock);
		if (i >= f->names->n || f->rc < 0)
			break;
		run_one(f, job, i);
	}
	pl_build_job_free(job);
	return NULL;
}

static int run_jobs(struct fleet *f, struct pl_err *err)
{
	pthread_t th[MAX_JOBS];
	int n = f->o->jobs > 0 ? f->o->jobs : 1, started = 0;

	if (n > MAX_JOBS)
		n = MAX_JOBS;
	if ((size_t)n > f->names->n)
		n = (int)f->names->n;
	if (n <= 1) {
		worker(f);
	} else {
		for (int i = 0; i < n; i++)
			if (pthread_create(&th[i], NULL, worker, f) == 0)
				started++;
		if (started == 0)
			worker(f);
		for (int i = 0; i < started; i++)
			pthread_join(th[i], NULL);
	}
	if (f->rc < 0) {
		*err = f->err;
		return f->rc;
	}
	return 0;
}

/* "2 of 5 images failed: a: ...; b: ..." */
static int sum_up(struct pl_build_result *res, struct pl_err *err)
{
	struct pl_buf m = PL_BUF_INIT;
	int code = 0, rc;

	for (size_t i = 0; i < res->n; i++) {
		const struct pl_built_image *img = &res->images[i];

		if (img->rc == 0) {
			if (img->unchanged)
				res->unchanged++;
			else
				res->built++;
		} else if (img->gate_refused) {
			res->refused++;
		} else {
			res->failed++;
			if (!code)
				code = img->rc;
		}
	}
	if (res->failed + res->refused == 0)
		return 0;
	if (res->n == 1) {
		/* one recipe: its own error, as it always was */
		return pl_err_set(err, res->images[0].rc, "%s", res->images[0].message);
	}
	rc = pl_buf_addf(&m, err, "%zu of %zu images failed:", res->failed + res->refused, res->n);
	for (size_t i = 0, k = 0; rc == 0 && i < res->n; i++)
		if (res->images[i].rc < 0)
			rc = pl_buf_addf(&m, err, "%s %s", k++ ? "," : "", res->images[i].name);
	rc = pl_err_set(err, code ? code : PL_EPOLICY, "%s", m.data ? m.data : "failed");
	pl_buf_release(&m);
	return rc;
}

int pl_build(const struct pl_build_opts *o, struct pl_build_result *res, struct pl_err *err)
{
	struct fleet f = { .o = o, .res = res };
	struct pl_source src;
	struct pl_oci_strv names = { 0 }, built = { 0 };
	bool dirty = false;
	int rc;

	memset(res, 0, sizeof(*res));
	pthread_mutex_init(&f.lock, NULL);
	rc = pl_source_open(&src, &o->src, NULL, err);
	if (rc < 0)
		return rc;
	memcpy(res->commit, src.commit.id, sizeof(res->commit));
	res->epoch = o->has_epoch ? o->epoch : src.commit.time;
	res->repo_url = strdup(pl_gitsrc_url(src.git));
	f.out_dir = o->out_dir ? o->out_dir : src.settings->output;
	res->out_dir = strdup(f.out_dir);
	if (!res->repo_url || !res->out_dir) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if (pl_gitsrc_is_dirty(src.git, &dirty, NULL) == 0 && dirty)
		pl_log_warn("the work tree has uncommitted changes; building commit %.12s as "
			    "committed", src.commit.id);
	if (o->all) {
		rc = pl_source_recipe_names(&src, &names, err);
	} else {
		for (size_t i = 0; rc == 0 && i < o->nrecipes; i++)
			rc = pl_oci_strv_push(&names, o->recipes[i], err);
	}
	if (rc == 0 && names.n == 0)
		rc = pl_err_set(err, PL_EUSAGE, "no recipes to build (name some, or use --all)");
	if (rc == 0 && !o->no_ledger) {
		const char *lp = o->ledger_path ? o->ledger_path : src.settings->ledger.path;

		res->ledger = strdup(lp);
		rc = res->ledger ? pl_ledger_open(&f.ledger, lp, err)
				 : pl_err_set(err, PL_ENOMEM, "out of memory");
		if (rc == 0)
			rc = pl_patchset_load(&src, NULL, NULL, 0, &f.all, err);
	}
	if (rc == 0 && (o->sign || o->sign_key)) {
		const char *kp = o->sign_key ? o->sign_key : src.settings->signing.key;
		bool enc = false;

		rc = kp ? pl_sign_key_load_private(kp, o->sign_pass, o->sign_passlen, &f.key, &enc,
						   err)
			: pl_err_set(err, PL_EUSAGE, "--sign needs a key: --key PATH or "
						     "plinth.yaml's signing.key");
		if (rc == 0 && !enc)
			pl_log_warn("the signing key '%s' is not encrypted", kp);
	}
	if (rc < 0)
		goto out;
	res->images = calloc(names.n, sizeof(*res->images));
	f.ins = calloc(names.n, sizeof(*f.ins));
	if (!res->images || !f.ins) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	res->n = names.n;
	f.names = &names;
	/* the stores are created once, before jobs open them concurrently */
	rc = pl_mkdir_p(f.out_dir, 0755, err);
	if (rc == 0)
		rc = run_jobs(&f, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; o->check_reproducible && i < res->n; i++)
		if (res->images[i].rc == 0 && !res->images[i].unchanged &&
		    (rc = pl_oci_strv_push(&built, res->images[i].name, err)) < 0)
			goto out;
	if (built.n) {
		struct pl_err e = PL_ERR_INIT;

		/* an image that does not rebuild the same is not published */
		if (pl_build_check_reproducible(o, &built, res, &e) < 0)
			for (size_t i = 0; i < res->n; i++)
				if (res->images[i].rc == 0 && !res->images[i].unchanged &&
				    !res->images[i].reproducible)
					fail(&res->images[i], &e);
	}
	for (size_t i = 0; o->check_reproducible && i < res->n; i++)
		finish_one(&f, i);
	rc = sum_up(res, err);
out:
	for (size_t i = 0; f.ins && i < names.n; i++)
		pl_build_inputs_release(&f.ins[i]);
	free(f.ins);
	pl_ledger_free(f.ledger);
	pl_sign_key_free(f.key);
	pl_patchset_release(&f.all);
	pl_oci_strv_release(&names);
	pl_oci_strv_release(&built);
	pl_source_release(&src);
	pthread_mutex_destroy(&f.lock);
	return rc;
}
