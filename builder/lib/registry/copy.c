/*
 * pl_copy: images between OCI layouts and registries, as skopeo copy does.
 * The source's manifest graph is read first (every manifest verified
 * against its digest), then the blobs are transferred several at once, then
 * the child manifests, and the top manifest last under the tag. Manifests
 * travel as their exact bytes, so every digest is preserved.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/registry/internal.h"
#include "util/fsutil.h"
#include "util/json.h"
#include "util/log.h"

#define MAX_MANIFESTS 1024
#define MAX_DEPTH 4

struct ep {
	struct pl_store *st;
	const struct pl_ref *ref;    /* the store's */
	const char *name;            /* as the user named it, for messages */
	struct pl_oci_layout *layout; /* one of these two, borrowed from st */
	struct pl_registry *reg;
};

struct man {
	char digest[PL_DIGEST_SIZE];
	char media_type[128];
	struct pl_buf body;
};

struct blob {
	char digest[PL_DIGEST_SIZE];
	int64_t size;
};

struct job {
	const struct pl_copy_opts *o;
	struct ep *src, *dst;
	struct man *mans;            /* children first, the top one last */
	size_t n_mans;
	struct blob *blobs;
	size_t n_blobs;
	struct pl_cas *stage;        /* registry-to-registry staging */
	/* the workers' shared state */
	pthread_mutex_t lock;
	size_t next;
	int rc;
	struct pl_err err;
	struct pl_progress progress;
	struct pl_reg_stats *stats;
};

static void ep_release(struct ep *e)
{
	pl_store_free(e->st);
	memset(e, 0, sizeof(*e));
}

static int ep_open(struct ep *e, const char *name, bool dst, const struct pl_copy_opts *o,
		   struct pl_err *err)
{
	int rc = pl_store_open(&e->st, name, dst, &o->reg, err);

	if (rc < 0)
		return rc;
	e->name = name;
	e->ref = pl_store_ref(e->st);
	e->layout = reg_store_layout(e->st);
	e->reg = reg_store_registry(e->st);
	return 0;
}

/* A registry destination names a tag or a digest, not both. */
static int dst_check(const char *dst, struct pl_err *err)
{
	struct pl_ref r = { 0 };
	int rc = pl_ref_parse(dst, &r, err);

	if (rc == 0 && r.kind != PL_REF_OCI && r.kind != PL_REF_REGISTRY)
		rc = pl_err_set(err, PL_EINVAL, "'%s': copy works on oci: layouts and registry "
						"references", dst);
	if (rc == 0 && r.kind == PL_REF_REGISTRY && r.digest && r.tag)
		rc = pl_err_set(err, PL_EINVAL, "'%s': a destination names a tag or a digest, not "
						"both", dst);
	pl_ref_release(&r);
	return rc;
}

/* ---- reading the source's manifests ---- */

/* The manifest reference names in the source (NULL: what its ref names), as its exact bytes. */
static int read_manifest(struct ep *e, const char *reference, struct man *m, struct pl_err *err)
{
	struct pl_reg_manifest rm;
	int rc = pl_store_get_manifest(e->st, reference, &rm, err);

	if (rc < 0)
		return rc;
	memcpy(m->digest, rm.digest, sizeof(m->digest));
	memcpy(m->media_type, rm.media_type, sizeof(m->media_type));
	m->body = rm.body;
	return 0;
}

static int add_blob(struct job *j, const struct pl_oci_desc *d, struct pl_err *err)
{
	struct blob *v;

	for (size_t i = 0; i < j->n_blobs; i++)
		if (strcmp(j->blobs[i].digest, d->digest) == 0)
			return 0;
	v = realloc(j->blobs, (j->n_blobs + 1) * sizeof(*v));
	if (!v)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	j->blobs = v;
	memcpy(v[j->n_blobs].digest, d->digest, PL_DIGEST_SIZE);
	v[j->n_blobs].size = (int64_t)d->size;
	j->n_blobs++;
	return 0;
}

static int push_man(struct job *j, struct man *m, struct pl_err *err)
{
	struct man *v;

	if (j->n_mans >= MAX_MANIFESTS)
		return pl_err_set(err, PL_ETOOBIG, "more than %d manifests", MAX_MANIFESTS);
	v = realloc(j->mans, (j->n_mans + 1) * sizeof(*v));
	if (!v)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	j->mans = v;
	v[j->n_mans++] = *m;
	memset(m, 0, sizeof(*m));
	return 0;
}

/* Walk m (already read): its blobs, or its children first. m is consumed. */
static int walk(struct job *j, struct man *m, int depth, struct pl_err *err)
{
	json_t *doc = NULL;
	const char *mt;
	char what[100];
	int rc;

	snprintf(what, sizeof(what), "manifest %s", m->digest);
	if (depth > MAX_DEPTH) {
		rc = pl_err_set(err, PL_EINVAL, "%s: indexes nested too deep", what);
		goto out;
	}
	rc = pl_json_load(m->body.data, m->body.len, what, &doc, err);
	if (rc < 0)
		goto out;
	mt = m->media_type[0] ? m->media_type : pl_oci_sniff_media_type(doc);
	if (!m->media_type[0] && mt)
		snprintf(m->media_type, sizeof(m->media_type), "%s", mt);
	if (mt && pl_oci_is_index_type(mt)) {
		struct pl_oci_index ix = { 0 };
		rc = pl_oci_index_from_json(doc, what, &ix, err);
		for (size_t i = 0; rc == 0 && i < ix.n_manifests; i++) {
			struct man c = { 0 };
			rc = read_manifest(j->src, ix.manifests[i].digest, &c, err);
			if (rc == 0 && ix.manifests[i].media_type && !c.media_type[0])
				snprintf(c.media_type, sizeof(c.media_type), "%s",
					 ix.manifests[i].media_type);
			if (rc == 0)
				rc = walk(j, &c, depth + 1, err);
			pl_buf_release(&c.body);
		}
		pl_oci_index_release(&ix);
	} else {
		struct pl_oci_manifest man = { 0 };
		rc = pl_oci_manifest_from_json(doc, what, &man, err);
		if (rc == 0)
			rc = add_blob(j, &man.config, err);
		for (size_t i = 0; rc == 0 && i < man.n_layers; i++)
			rc = add_blob(j, &man.layers[i], err);
		pl_oci_manifest_release(&man);
	}
	if (rc == 0)
		rc = push_man(j, m, err);
out:
	json_decref(doc);
	return rc;
}

/* ---- where a blob was last seen: mount sources across runs ---- */

static char *seen_path(const struct job *j, const char *digest)
{
	char *p = NULL;

	if (!j->o->cache_dir || !j->dst->reg)
		return NULL;
	if (asprintf(&p, "%s/registry-blobs/%s/%s", j->o->cache_dir, j->dst->ref->domain,
		     pl_digest_hex(digest)) < 0)
		return NULL;
	return p;
}

/* The repository of dst's registry known to hold digest, or NULL (malloc'd). */
static char *seen_get(const struct job *j, const char *digest)
{
	char *p = seen_path(j, digest);
	struct pl_buf b;
	struct pl_err e = PL_ERR_INIT;
	char *repo = NULL;

	if (!p)
		return NULL;
	pl_buf_init(&b, 4096);
	if (pl_read_file(p, 4096, &b, &e) == 0 && b.len > 0)
		repo = pl_buf_detach(&b, NULL);
	pl_buf_release(&b);
	free(p);
	return repo;
}

static void seen_put(const struct job *j, const char *digest, const char *repo)
{
	char *p = seen_path(j, digest), *dir;
	struct pl_err e = PL_ERR_INIT;

	if (!p)
		return;
	dir = strdup(p);
	if (dir) {
		*strrchr(dir, '/') = 0;
		if (pl_mkdir_p(dir, 0755, &e) == 0)
			pl_write_file_atomic(p, repo, strlen(repo), 0644, &e);
	}
	free(dir);
	free(p);
}

/* ---- moving blobs ---- */

static int push_from_cas(struct job *j, struct pl_cas *cas, const struct blob *b,
			 const char *mount_from, struct pl_err *err)
{
	uint64_t size = 0;
	int fd = -1, rc;

	rc = pl_cas_size(cas, b->digest, &size, err);
	if (rc == 0 && b->size >= 0 && size != (uint64_t)b->size)
		rc = pl_err_set(err, PL_EVERIFY, "blob %s: %" PRIu64 " bytes, the manifest says %" PRId64,
				b->digest, size, b->size);
	if (rc == 0)
		rc = pl_cas_open_read(cas, b->digest, &fd, err);
	if (rc == 0)
		rc = pl_registry_push_blob(j->dst->reg, j->dst->ref->path, b->digest, size, fd,
					   mount_from, j->stats, err);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int copy_blob(struct job *j, const struct blob *b, struct pl_err *err)
{
	struct ep *s = j->src, *d = j->dst;
	char *from = NULL;
	int rc;

	if (s->layout && d->layout) {
		struct pl_cas *dc = pl_oci_layout_cas(d->layout);
		if (pl_cas_has(dc, b->digest))
			return 0;
		rc = pl_cas_copy(pl_oci_layout_cas(s->layout), dc, b->digest, err);
		if (rc == 0)
			__atomic_add_fetch(&j->stats->blobs_pushed, 1, __ATOMIC_RELAXED);
		return rc;
	}
	if (s->reg && d->layout)
		return pl_registry_pull_blob(s->reg, s->ref->path, b->digest, b->size,
					     pl_oci_layout_cas(d->layout), j->stats, err);
	if (s->layout) {
		from = seen_get(j, b->digest);
		rc = push_from_cas(j, pl_oci_layout_cas(s->layout), b, from, err);
	} else {
		/* registry to registry: mount within one registry, else stage the bytes */
		bool same = strcmp(s->ref->domain, d->ref->domain) == 0;
		uint64_t have;

		rc = pl_registry_blob_exists(d->reg, d->ref->path, b->digest, &have, err);
		if (rc == 0) {
			__atomic_add_fetch(&j->stats->blobs_skipped, 1, __ATOMIC_RELAXED);
			goto out;
		}
		if (rc != PL_ENOTFOUND)
			goto out;
		pl_err_init(err);
		from = same ? strdup(s->ref->path) : seen_get(j, b->digest);
		if (from) {
			rc = pl_registry_push_blob(d->reg, d->ref->path, b->digest, 0, -1, from,
						   j->stats, err);
			if (rc != PL_ENOTFOUND)
				goto out;
		}
		rc = pl_registry_pull_blob(s->reg, s->ref->path, b->digest, b->size, j->stage,
					   j->stats, err);
		if (rc == 0)
			rc = push_from_cas(j, j->stage, b, from, err);
	}
out:
	if (rc == 0)
		seen_put(j, b->digest, d->ref->path);
	free(from);
	return rc;
}

static void *worker(void *arg)
{
	struct job *j = arg;

	for (;;) {
		struct pl_err e = PL_ERR_INIT;
		size_t i;
		int rc;

		pthread_mutex_lock(&j->lock);
		if (j->rc < 0 || j->next >= j->n_blobs) {
			pthread_mutex_unlock(&j->lock);
			return NULL;
		}
		i = j->next++;
		pthread_mutex_unlock(&j->lock);
		rc = copy_blob(j, &j->blobs[i], &e);
		pthread_mutex_lock(&j->lock);
		if (rc < 0 && j->rc == 0) {
			j->rc = rc;
			j->err = e;
		}
		if (rc == 0 && j->o->progress)
			pl_progress_add(&j->progress, j->blobs[i].size > 0 ? (uint64_t)j->blobs[i].size : 0);
		pthread_mutex_unlock(&j->lock);
	}
}

static int copy_blobs(struct job *j, struct pl_err *err)
{
	pthread_t th[16];
	int n = j->o->reg.parallel > 0 ? j->o->reg.parallel : 4, started = 0;
	uint64_t total = 0;

	if (n > 16)
		n = 16;
	if ((size_t)n > j->n_blobs)
		n = (int)j->n_blobs;
	for (size_t i = 0; i < j->n_blobs; i++)
		total += j->blobs[i].size > 0 ? (uint64_t)j->blobs[i].size : 0;
	if (j->o->progress)
		pl_progress_start(&j->progress, "blobs", total);
	for (int i = 0; i < n; i++) {
		if (pthread_create(&th[i], NULL, worker, j) != 0)
			break;
		started++;
	}
	if (started == 0 && j->n_blobs)
		worker(j);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (j->o->progress)
		pl_progress_end(&j->progress);
	if (j->rc < 0) {
		*err = j->err;
		return j->rc;
	}
	return 0;
}

/* ---- writing manifests ---- */

static int put_manifests(struct job *j, struct pl_copy_result *res, struct pl_err *err)
{
	struct ep *d = j->dst;
	const struct man *top = &j->mans[j->n_mans - 1];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < j->n_mans; i++) {
		const struct man *m = &j->mans[i];
		bool is_top = i == j->n_mans - 1;

		if (d->reg) {
			const char *ref = m->digest;
			if (is_top && d->ref->tag)
				ref = d->ref->tag;
			else if (is_top && !d->ref->digest)
				ref = "latest";
			if (is_top && d->ref->digest && strcmp(d->ref->digest, m->digest) != 0)
				return pl_err_set(err, PL_EVERIFY, "'%s': the image is %s", d->name,
						  m->digest);
			rc = pl_registry_put_manifest(d->reg, d->ref->path, ref, m->body.data,
						      m->body.len, m->media_type, err);
		} else {
			struct pl_oci_desc desc = { 0 };
			rc = pl_oci_layout_put_blob(d->layout, m->body.data, m->body.len, m->digest,
						    m->media_type, &desc, err);
			if (rc == 0 && is_top) {
				const char *tag = d->ref->tag ? d->ref->tag
						  : j->src->ref->tag ? j->src->ref->tag : "latest";
				rc = pl_oci_layout_tag(d->layout, tag, &desc, err);
			}
			pl_oci_desc_release(&desc);
		}
	}
	if (rc == 0) {
		memcpy(res->digest, top->digest, sizeof(res->digest));
		memcpy(res->media_type, top->media_type, sizeof(res->media_type));
	}
	return rc;
}

/* ref with its tag (or digest) replaced by tag: "oci:DIR:TAG", "host/repo:TAG". */
static int with_tag(const struct pl_ref *r, const char *tag, struct pl_buf *out,
		    struct pl_err *err)
{
	if (r->kind == PL_REF_OCI)
		return pl_buf_addf(out, err, "oci:%s:%s", r->path, tag);
	return pl_buf_addf(out, err, "%s/%s:%s", r->domain, r->path, tag);
}

/*
 * Carry the .sig / .att manifest of one copied manifest over, merged into
 * what the destination has (its own signatures stay): each layer with its
 * signature or predicate annotation.
 */
static int carry(struct job *j, const char *tag, struct pl_err *err)
{
	static const char *const anns[] = { "predicateType", "dev.cosignproject.cosign/signature" };
	struct pl_buf from = PL_BUF_INIT, to = PL_BUF_INIT;
	struct pl_store *s = NULL, *d = NULL;
	struct pl_reg_manifest m = { 0 };
	struct pl_oci_manifest man = { 0 };
	int rc;

	rc = with_tag(j->src->ref, tag, &from, err);
	if (rc == 0)
		rc = with_tag(j->dst->ref, tag, &to, err);
	if (rc == 0)
		rc = pl_store_open(&s, from.data, false, &j->o->reg, err);
	if (rc == 0)
		rc = pl_store_get_manifest(s, NULL, &m, err);
	if (rc == PL_ENOTFOUND) {
		pl_err_init(err);
		rc = 0; /* nothing to carry */
		goto out;
	}
	if (rc == 0)
		rc = pl_oci_manifest_parse(m.body.data, m.body.len, from.data, &man, err);
	if (rc == 0)
		rc = pl_store_open(&d, to.data, true, &j->o->reg, err);
	for (size_t i = 0; rc == 0 && i < man.n_layers; i++) {
		const struct pl_oci_desc *l = &man.layers[i];
		const char *key = NULL, *val = NULL;
		char *data = NULL;
		size_t len = 0;

		for (size_t k = 0; !val && k < 2; k++)
			if ((val = pl_oci_map_get(&l->annotations, anns[k])))
				key = anns[k];
		if (!val || !l->media_type)
			continue;
		rc = pl_store_get_blob(s, l->digest, 64u << 20, &data, &len, err);
		if (rc == 0)
			rc = pl_store_append_layer(d, tag, data, len, l->media_type, key, val, err);
		free(data);
	}
out:
	if (rc < 0)
		pl_err_wrap(err, "%s", tag);
	pl_oci_manifest_release(&man);
	pl_reg_manifest_release(&m);
	pl_store_free(s);
	pl_store_free(d);
	pl_buf_release(&from);
	pl_buf_release(&to);
	return rc;
}

/* The .sig and .att manifests of every manifest copied, when the source has them. */
static int copy_signatures(struct job *j, struct pl_err *err)
{
	static const char *const kinds[] = { "sig", "att" };
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < j->n_mans; i++) {
		for (size_t k = 0; rc == 0 && k < 2; k++) {
			char tag[PL_DIGEST_SIZE + 8];

			snprintf(tag, sizeof(tag), "sha256-%s.%s", pl_digest_hex(j->mans[i].digest),
				 kinds[k]);
			rc = carry(j, tag, err);
		}
	}
	return rc;
}

int pl_copy(const char *src, const char *dst, const struct pl_copy_opts *o,
	    struct pl_copy_result *res, struct pl_err *err)
{
	struct ep s = { 0 }, d = { 0 };
	struct job j = { .o = o, .src = &s, .dst = &d };
	struct man top = { 0 };
	char *stage_dir = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	j.stats = &res->stats;
	pthread_mutex_init(&j.lock, NULL);
	rc = ep_open(&s, src, false, o, err);
	if (rc == 0)
		rc = read_manifest(&s, NULL, &top, err);
	if (rc == 0)
		rc = walk(&j, &top, 0, err);
	if (rc < 0) {
		pl_err_wrap(err, "'%s'", src);
		goto out;
	}
	/* only a source that reads well opens (and may create) the destination */
	rc = dst_check(dst, err);
	if (rc == 0)
		rc = ep_open(&d, dst, true, o, err);
	if (rc < 0)
		goto out;
	if (s.reg && d.reg) {
		const char *base = o->cache_dir ? o->cache_dir : "/tmp";
		if (asprintf(&stage_dir, "%s/staging", base) < 0) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		rc = pl_cas_open(&j.stage, stage_dir, err);
		if (rc < 0)
			goto out;
		pl_cas_set_sync(j.stage, false);
	}
	rc = copy_blobs(&j, err);
	if (rc == 0)
		rc = put_manifests(&j, res, err);
	if (rc < 0) {
		pl_err_wrap(err, "'%s'", dst);
		goto out;
	}
	if (rc == 0 && !o->no_signatures)
		rc = copy_signatures(&j, err);
	for (size_t i = 0; rc == 0 && i < j.n_blobs; i++)
		rc = pl_oci_strv_push(&res->blobs, j.blobs[i].digest, err);
	res->stats.retries = (s.reg ? s.reg->n_retries : 0) + (d.reg ? d.reg->n_retries : 0);
out:
	pl_buf_release(&top.body);
	for (size_t i = 0; i < j.n_mans; i++)
		pl_buf_release(&j.mans[i].body);
	free(j.mans);
	free(j.blobs);
	pl_cas_free(j.stage);
	free(stage_dir);
	pthread_mutex_destroy(&j.lock);
	ep_release(&s);
	ep_release(&d);
	if (rc < 0)
		pl_copy_result_release(res);
	return rc;
}

void pl_copy_result_release(struct pl_copy_result *res)
{
	pl_oci_strv_release(&res->blobs);
	memset(res, 0, sizeof(*res));
}
