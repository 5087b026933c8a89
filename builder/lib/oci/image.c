/*
 * OCI image JSON: models <-> jansson. Builders emit only what is set, so
 * canonical bytes depend on the model alone; parsers check every known
 * member's type and name it by its JSON path.
 */
#include "lib/oci.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/json.h"

#define NOMEM(err) pl_err_set(err, PL_ENOMEM, "out of memory")

/* ---- model helpers ----------------------------------------------------- */

void pl_oci_strv_release(struct pl_oci_strv *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int pl_oci_strv_push(struct pl_oci_strv *s, const char *str, struct pl_err *err)
{
	char **nv;
	char *copy = strdup(str);

	if (!copy)
		return NOMEM(err);
	nv = realloc(s->v, (s->n + 2) * sizeof(*nv));
	if (!nv) {
		free(copy);
		return NOMEM(err);
	}
	s->v = nv;
	s->v[s->n++] = copy;
	s->v[s->n] = NULL;
	return 0;
}

/* Make an absent vector present and empty. */
static int strv_present(struct pl_oci_strv *s, struct pl_err *err)
{
	if (s->v)
		return 0;
	s->v = calloc(1, sizeof(*s->v));
	return s->v ? 0 : NOMEM(err);
}

void pl_oci_map_release(struct pl_oci_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].key);
		free(m->v[i].value);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

/* Index of key, or where it would be inserted (with *found false). */
static size_t map_find(const struct pl_oci_map *m, const char *key, bool *found)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->v[mid].key, key);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

int pl_oci_map_set(struct pl_oci_map *m, const char *key, const char *value, struct pl_err *err)
{
	bool found;
	size_t i = map_find(m, key, &found);
	char *v = strdup(value), *k = NULL;
	struct pl_oci_kv *nv;

	if (!v)
		return NOMEM(err);
	if (found) {
		free(m->v[i].value);
		m->v[i].value = v;
		return 0;
	}
	k = strdup(key);
	nv = k ? realloc(m->v, (m->n + 1) * sizeof(*nv)) : NULL;
	if (!nv) {
		free(k);
		free(v);
		return NOMEM(err);
	}
	m->v = nv;
	memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(*nv));
	m->v[i].key = k;
	m->v[i].value = v;
	m->n++;
	return 0;
}

const char *pl_oci_map_get(const struct pl_oci_map *m, const char *key)
{
	bool found;
	size_t i = map_find(m, key, &found);

	return found ? m->v[i].value : NULL;
}

void pl_oci_map_del(struct pl_oci_map *m, const char *key)
{
	bool found;
	size_t i = map_find(m, key, &found);

	if (!found)
		return;
	free(m->v[i].key);
	free(m->v[i].value);
	memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(m->v[0]));
	m->n--;
}

static int map_copy(struct pl_oci_map *dst, const struct pl_oci_map *src, struct pl_err *err)
{
	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < src->n; i++)
		if (pl_oci_map_set(dst, src->v[i].key, src->v[i].value, err) < 0)
			return PL_ENOMEM;
	return 0;
}

static int sdup(char **dst, const char *src, struct pl_err *err)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : NOMEM(err);
}

void pl_oci_platform_release(struct pl_oci_platform *p)
{
	if (!p)
		return;
	free(p->architecture);
	free(p->os);
	free(p->variant);
	free(p->os_version);
	memset(p, 0, sizeof(*p));
}

void pl_oci_desc_release(struct pl_oci_desc *d)
{
	if (!d)
		return;
	free(d->media_type);
	pl_oci_map_release(&d->annotations);
	pl_oci_platform_release(d->platform);
	free(d->platform);
	free(d->artifact_type);
	memset(d, 0, sizeof(*d));
}

int pl_oci_desc_copy(struct pl_oci_desc *dst, const struct pl_oci_desc *src, struct pl_err *err)
{
	int rc;

	memset(dst, 0, sizeof(*dst));
	memcpy(dst->digest, src->digest, sizeof(dst->digest));
	dst->size = src->size;
	if ((rc = sdup(&dst->media_type, src->media_type, err)) < 0 ||
	    (rc = sdup(&dst->artifact_type, src->artifact_type, err)) < 0 ||
	    (rc = map_copy(&dst->annotations, &src->annotations, err)) < 0)
		goto out;
	if (src->platform) {
		dst->platform = calloc(1, sizeof(*dst->platform));
		if (!dst->platform) {
			rc = NOMEM(err);
			goto out;
		}
		if ((rc = sdup(&dst->platform->architecture, src->platform->architecture, err)) <
			0 ||
		    (rc = sdup(&dst->platform->os, src->platform->os, err)) < 0 ||
		    (rc = sdup(&dst->platform->variant, src->platform->variant, err)) < 0 ||
		    (rc = sdup(&dst->platform->os_version, src->platform->os_version, err)) < 0)
			goto out;
	}
out:
	if (rc < 0)
		pl_oci_desc_release(dst);
	return rc;
}

void pl_oci_history_release(struct pl_oci_history *h)
{
	if (!h)
		return;
	free(h->created);
	free(h->created_by);
	free(h->author);
	free(h->comment);
	memset(h, 0, sizeof(*h));
}

void pl_oci_config_release(struct pl_oci_config *c)
{
	if (!c)
		return;
	free(c->architecture);
	free(c->os);
	free(c->variant);
	free(c->os_version);
	free(c->created);
	free(c->author);
	free(c->user);
	pl_oci_strv_release(&c->env);
	pl_oci_strv_release(&c->entrypoint);
	pl_oci_strv_release(&c->cmd);
	free(c->working_dir);
	pl_oci_map_release(&c->labels);
	pl_oci_strv_release(&c->exposed_ports);
	pl_oci_strv_release(&c->volumes);
	free(c->stop_signal);
	pl_oci_strv_release(&c->diff_ids);
	for (size_t i = 0; i < c->n_history; i++)
		pl_oci_history_release(&c->history[i]);
	free(c->history);
	memset(c, 0, sizeof(*c));
}

static void desc_array_release(struct pl_oci_desc *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pl_oci_desc_release(&v[i]);
	free(v);
}

void pl_oci_manifest_release(struct pl_oci_manifest *m)
{
	if (!m)
		return;
	free(m->media_type);
	free(m->artifact_type);
	pl_oci_desc_release(&m->config);
	desc_array_release(m->layers, m->n_layers);
	pl_oci_desc_release(m->subject);
	free(m->subject);
	pl_oci_map_release(&m->annotations);
	memset(m, 0, sizeof(*m));
}

void pl_oci_index_release(struct pl_oci_index *ix)
{
	if (!ix)
		return;
	free(ix->media_type);
	free(ix->artifact_type);
	desc_array_release(ix->manifests, ix->n_manifests);
	pl_oci_map_release(&ix->annotations);
	memset(ix, 0, sizeof(*ix));
}

void pl_oci_time(int64_t epoch, char out[32])
{
	time_t t = (time_t)epoch;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

bool pl_oci_is_index_type(const char *mt)
{
	return mt && (!strcmp(mt, PL_MT_OCI_INDEX) || !strcmp(mt, PL_MT_DOCKER_LIST));
}

bool pl_oci_is_manifest_type(const char *mt)
{
	return mt && (!strcmp(mt, PL_MT_OCI_MANIFEST) || !strcmp(mt, PL_MT_DOCKER_MANIFEST));
}

const char *pl_oci_sniff_media_type(const json_t *j)
{
	const char *mt = pl_json_str(j, "mediaType");

	if (mt)
		return mt;
	if (json_object_get(j, "manifests"))
		return PL_MT_OCI_INDEX;
	if (json_object_get(j, "layers") || json_object_get(j, "config"))
		return PL_MT_OCI_MANIFEST;
	return NULL;
}

/* ---- builders ------------------------------------------------------------ */

static int put_str(json_t *o, const char *key, const char *v, struct pl_err *err)
{
	return v ? pl_json_set_str(o, key, v, err) : 0;
}

static int strv_json(const struct pl_oci_strv *s, json_t **out, struct pl_err *err)
{
	json_t *a = json_array();

	*out = NULL;
	if (!a)
		return NOMEM(err);
	for (size_t i = 0; i < s->n; i++) {
		if (pl_json_append_new(a, json_string(s->v[i]), err) < 0) {
			json_decref(a);
			return PL_ENOMEM;
		}
	}
	*out = a;
	return 0;
}

static int put_strv(json_t *o, const char *key, const struct pl_oci_strv *s, struct pl_err *err)
{
	json_t *a;

	if (!s->v)
		return 0;
	if (strv_json(s, &a, err) < 0)
		return PL_ENOMEM;
	return pl_json_set_new(o, key, a, err);
}

/* A set: {"80/tcp": {}, ...} */
static int put_set(json_t *o, const char *key, const struct pl_oci_strv *s, struct pl_err *err)
{
	json_t *set;

	if (s->n == 0)
		return 0;
	set = json_object();
	if (!set)
		return NOMEM(err);
	for (size_t i = 0; i < s->n; i++) {
		if (pl_json_set_new(set, s->v[i], json_object(), err) < 0) {
			json_decref(set);
			return PL_ENOMEM;
		}
	}
	return pl_json_set_new(o, key, set, err);
}

static int put_map(json_t *o, const char *key, const struct pl_oci_map *m, struct pl_err *err)
{
	json_t *obj;

	if (m->n == 0)
		return 0;
	obj = json_object();
	if (!obj)
		return NOMEM(err);
	for (size_t i = 0; i < m->n; i++) {
		if (pl_json_set_str(obj, m->v[i].key, m->v[i].value, err) < 0) {
			json_decref(obj);
			return PL_ENOMEM;
		}
	}
	return pl_json_set_new(o, key, obj, err);
}

int pl_oci_desc_to_json(const struct pl_oci_desc *d, json_t **out, struct pl_err *err)
{
	json_t *o = NULL, *p = NULL;
	int rc;

	*out = NULL;
	if (!d->media_type)
		return pl_err_set(err, PL_EINVAL, "descriptor %s: no media type", d->digest);
	if ((rc = pl_digest_check(d->digest, err)) < 0)
		return rc;
	if (d->size > (uint64_t)INT64_MAX)
		return pl_err_set(err, PL_ETOOBIG, "descriptor %s: size too large", d->digest);
	o = json_object();
	if (!o)
		return NOMEM(err);
	if ((rc = pl_json_set_str(o, "mediaType", d->media_type, err)) < 0 ||
	    (rc = pl_json_set_str(o, "digest", d->digest, err)) < 0 ||
	    (rc = pl_json_set_new(o, "size", json_integer((json_int_t)d->size), err)) < 0 ||
	    (rc = put_map(o, "annotations", &d->annotations, err)) < 0 ||
	    (rc = put_str(o, "artifactType", d->artifact_type, err)) < 0)
		goto out;
	if (d->platform) {
		if (!d->platform->architecture || !d->platform->os) {
			rc = pl_err_set(err, PL_EINVAL,
					"descriptor %s: platform needs architecture and os",
					d->digest);
			goto out;
		}
		p = json_object();
		if (!p) {
			rc = NOMEM(err);
			goto out;
		}
		if ((rc = pl_json_set_str(p, "architecture", d->platform->architecture, err)) < 0 ||
		    (rc = pl_json_set_str(p, "os", d->platform->os, err)) < 0 ||
		    (rc = put_str(p, "variant", d->platform->variant, err)) < 0 ||
		    (rc = put_str(p, "os.version", d->platform->os_version, err)) < 0)
			goto out;
		rc = pl_json_set_new(o, "platform", p, err);
		p = NULL;
		if (rc < 0)
			goto out;
	}
	*out = o;
	o = NULL;
out:
	json_decref(p);
	json_decref(o);
	return rc;
}

static int desc_array_json(const struct pl_oci_desc *v, size_t n, json_t **out, struct pl_err *err)
{
	json_t *a = json_array(), *d;
	int rc = 0;

	*out = NULL;
	if (!a)
		return NOMEM(err);
	for (size_t i = 0; i < n; i++) {
		if ((rc = pl_oci_desc_to_json(&v[i], &d, err)) < 0 ||
		    (rc = pl_json_append_new(a, d, err)) < 0) {
			json_decref(a);
			return rc;
		}
	}
	*out = a;
	return 0;
}

static int history_json(const struct pl_oci_history *h, json_t **out, struct pl_err *err)
{
	json_t *o = json_object();
	int rc;

	*out = NULL;
	if (!o)
		return NOMEM(err);
	if ((rc = put_str(o, "created", h->created, err)) < 0 ||
	    (rc = put_str(o, "created_by", h->created_by, err)) < 0 ||
	    (rc = put_str(o, "author", h->author, err)) < 0 ||
	    (rc = put_str(o, "comment", h->comment, err)) < 0 ||
	    (h->empty_layer && (rc = pl_json_set_new(o, "empty_layer", json_true(), err)) < 0)) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

int pl_oci_config_to_json(const struct pl_oci_config *c, json_t **out, struct pl_err *err)
{
	json_t *o = NULL, *cfg = NULL, *rootfs = NULL, *a = NULL, *h;
	int rc;

	*out = NULL;
	if (!c->architecture || !c->os)
		return pl_err_set(err, PL_EINVAL, "image config needs architecture and os");
	o = json_object();
	cfg = json_object();
	rootfs = json_object();
	if (!o || !cfg || !rootfs) {
		rc = NOMEM(err);
		goto out;
	}
	if ((rc = pl_json_set_str(o, "architecture", c->architecture, err)) < 0 ||
	    (rc = pl_json_set_str(o, "os", c->os, err)) < 0 ||
	    (rc = put_str(o, "variant", c->variant, err)) < 0 ||
	    (rc = put_str(o, "os.version", c->os_version, err)) < 0 ||
	    (rc = put_str(o, "created", c->created, err)) < 0 ||
	    (rc = put_str(o, "author", c->author, err)) < 0)
		goto out;

	if ((rc = put_str(cfg, "User", c->user, err)) < 0 ||
	    (rc = put_strv(cfg, "Env", &c->env, err)) < 0 ||
	    (rc = put_strv(cfg, "Entrypoint", &c->entrypoint, err)) < 0 ||
	    (rc = put_strv(cfg, "Cmd", &c->cmd, err)) < 0 ||
	    (rc = put_str(cfg, "WorkingDir", c->working_dir, err)) < 0 ||
	    (rc = put_map(cfg, "Labels", &c->labels, err)) < 0 ||
	    (rc = put_set(cfg, "ExposedPorts", &c->exposed_ports, err)) < 0 ||
	    (rc = put_str(cfg, "StopSignal", c->stop_signal, err)) < 0 ||
	    (rc = put_set(cfg, "Volumes", &c->volumes, err)) < 0)
		goto out;
	rc = pl_json_set_new(o, "config", cfg, err);
	cfg = NULL;
	if (rc < 0)
		goto out;

	for (size_t i = 0; i < c->diff_ids.n; i++)
		if ((rc = pl_digest_check(c->diff_ids.v[i], err)) < 0) {
			pl_err_wrap(err, "image config: rootfs.diff_ids[%zu]", i);
			goto out;
		}
	if ((rc = pl_json_set_str(rootfs, "type", "layers", err)) < 0 ||
	    (rc = strv_json(&c->diff_ids, &a, err)) < 0 ||
	    (rc = pl_json_set_new(rootfs, "diff_ids", a, err)) < 0)
		goto out;
	rc = pl_json_set_new(o, "rootfs", rootfs, err);
	rootfs = NULL;
	if (rc < 0)
		goto out;

	if (c->n_history > 0) {
		a = json_array();
		if (!a) {
			rc = NOMEM(err);
			goto out;
		}
		for (size_t i = 0; i < c->n_history; i++) {
			if ((rc = history_json(&c->history[i], &h, err)) < 0 ||
			    (rc = pl_json_append_new(a, h, err)) < 0) {
				json_decref(a);
				goto out;
			}
		}
		if ((rc = pl_json_set_new(o, "history", a, err)) < 0)
			goto out;
	}
	*out = o;
	o = NULL;
out:
	json_decref(rootfs);
	json_decref(cfg);
	json_decref(o);
	return rc;
}

int pl_oci_manifest_to_json(const struct pl_oci_manifest *m, json_t **out, struct pl_err *err)
{
	json_t *o = json_object(), *j = NULL;
	int rc;

	*out = NULL;
	if (!o)
		return NOMEM(err);
	if ((rc = pl_json_set_new(o, "schemaVersion", json_integer(2), err)) < 0 ||
	    (rc = pl_json_set_str(o, "mediaType",
				  m->media_type ? m->media_type : PL_MT_OCI_MANIFEST, err)) < 0 ||
	    (rc = put_str(o, "artifactType", m->artifact_type, err)) < 0 ||
	    (rc = pl_oci_desc_to_json(&m->config, &j, err)) < 0 ||
	    (rc = pl_json_set_new(o, "config", j, err)) < 0 ||
	    (rc = desc_array_json(m->layers, m->n_layers, &j, err)) < 0 ||
	    (rc = pl_json_set_new(o, "layers", j, err)) < 0 ||
	    (rc = put_map(o, "annotations", &m->annotations, err)) < 0)
		goto out;
	if (m->subject && ((rc = pl_oci_desc_to_json(m->subject, &j, err)) < 0 ||
			   (rc = pl_json_set_new(o, "subject", j, err)) < 0))
		goto out;
	*out = o;
	o = NULL;
out:
	if (rc < 0)
		pl_err_wrap(err, "image manifest");
	json_decref(o);
	return rc;
}

int pl_oci_index_to_json(const struct pl_oci_index *ix, json_t **out, struct pl_err *err)
{
	json_t *o = json_object(), *j = NULL;
	int rc;

	*out = NULL;
	if (!o)
		return NOMEM(err);
	if ((rc = pl_json_set_new(o, "schemaVersion", json_integer(2), err)) < 0 ||
	    (rc = pl_json_set_str(o, "mediaType", ix->media_type ? ix->media_type : PL_MT_OCI_INDEX,
				  err)) < 0 ||
	    (rc = put_str(o, "artifactType", ix->artifact_type, err)) < 0 ||
	    (rc = desc_array_json(ix->manifests, ix->n_manifests, &j, err)) < 0 ||
	    (rc = pl_json_set_new(o, "manifests", j, err)) < 0 ||
	    (rc = put_map(o, "annotations", &ix->annotations, err)) < 0)
		goto out;
	*out = o;
	o = NULL;
out:
	if (rc < 0)
		pl_err_wrap(err, "image index");
	json_decref(o);
	return rc;
}

/* ---- parsers --------------------------------------------------------------- */

/* Where we are: the document's name and the JSON path inside it. */
struct pctx {
	const char *what;
	char path[256];
	struct pl_err *err;
};

static int perr(const struct pctx *c, const char *key, const char *msg)
{
	const char *w = c->what ? c->what : "json";

	if (c->path[0] && key)
		return pl_err_set(c->err, PL_EINVAL, "%s: %s.%s: %s", w, c->path, key, msg);
	if (c->path[0] || key)
		return pl_err_set(c->err, PL_EINVAL, "%s: %s: %s", w, c->path[0] ? c->path : key,
				  msg);
	return pl_err_set(c->err, PL_EINVAL, "%s: %s", w, msg);
}

/* Descend into key (idx >= 0: key[idx]); returns the old path length. */
static size_t push(struct pctx *c, const char *key, long idx)
{
	size_t old = strlen(c->path);
	size_t room = sizeof(c->path) - old;

	if (idx >= 0)
		snprintf(c->path + old, room, "%s%s[%ld]", old && key ? "." : "", key ? key : "",
			 idx);
	else
		snprintf(c->path + old, room, "%s%s", old ? "." : "", key);
	return old;
}

static void pop(struct pctx *c, size_t old)
{
	c->path[old] = '\0';
}

static int obj_check(const struct pctx *c, const json_t *j)
{
	return json_is_object(j) ? 0 : perr(c, NULL, "not an object");
}

/* Optional (or required) string member; JSON null counts as absent. */
static int get_str(const struct pctx *c, const json_t *o, const char *key, bool required,
		   char **out)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return required ? perr(c, key, "missing") : 0;
	if (!json_is_string(v))
		return perr(c, key, "not a string");
	*out = strdup(json_string_value(v));
	return *out ? 0 : NOMEM(c->err);
}

static int get_strv(const struct pctx *c, const json_t *o, const char *key, bool required,
		    struct pl_oci_strv *out)
{
	const json_t *v = json_object_get(o, key);
	size_t i;
	json_t *e;
	char buf[300];

	if (!v || json_is_null(v))
		return required ? perr(c, key, "missing") : 0;
	if (!json_is_array(v))
		return perr(c, key, "not an array");
	if (strv_present(out, c->err) < 0)
		return PL_ENOMEM;
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e)) {
			snprintf(buf, sizeof(buf), "%s[%zu]", key, i);
			return perr(c, buf, "not a string");
		}
		if (pl_oci_strv_push(out, json_string_value(e), c->err) < 0)
			return PL_ENOMEM;
	}
	return 0;
}

static int get_map(const struct pctx *c, const json_t *o, const char *key, struct pl_oci_map *out)
{
	const json_t *v = json_object_get(o, key);
	const char *k;
	json_t *e;
	char buf[300];

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return perr(c, key, "not an object");
	json_object_foreach((json_t *)v, k, e)
	{
		if (!json_is_string(e)) {
			snprintf(buf, sizeof(buf), "%s[\"%.200s\"]", key, k);
			return perr(c, buf, "not a string");
		}
		if (pl_oci_map_set(out, k, json_string_value(e), c->err) < 0)
			return PL_ENOMEM;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A set {"k": {}, ...} into a sorted vector of keys. */
static int get_set(const struct pctx *c, const json_t *o, const char *key, struct pl_oci_strv *out)
{
	const json_t *v = json_object_get(o, key);
	const char *k;
	json_t *e;
	char buf[300];

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return perr(c, key, "not an object");
	json_object_foreach((json_t *)v, k, e)
	{
		if (!json_is_object(e)) {
			snprintf(buf, sizeof(buf), "%s[\"%.200s\"]", key, k);
			return perr(c, buf, "not an object");
		}
		if (pl_oci_strv_push(out, k, c->err) < 0)
			return PL_ENOMEM;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return 0;
}

static int get_digest(const struct pctx *c, const json_t *o, const char *key,
		      char out[PL_DIGEST_SIZE])
{
	const json_t *v = json_object_get(o, key);
	const char *s;

	if (!v)
		return perr(c, key, "missing");
	if (!json_is_string(v))
		return perr(c, key, "not a string");
	s = json_string_value(v);
	if (pl_digest_check(s, NULL) < 0)
		return perr(c, key,
			    strncmp(s, "sha256:", 7) && strchr(s, ':')
				? "unsupported digest algorithm (only sha256)"
				: "not a valid sha256 digest");
	memcpy(out, s, PL_DIGEST_SIZE);
	return 0;
}

static int parse_platform(struct pctx *c, const json_t *o, struct pl_oci_desc *d)
{
	const json_t *p = json_object_get(o, "platform");
	size_t old;
	int rc;

	if (!p || json_is_null(p))
		return 0;
	old = push(c, "platform", -1);
	if ((rc = obj_check(c, p)) < 0)
		goto out;
	d->platform = calloc(1, sizeof(*d->platform));
	if (!d->platform) {
		rc = NOMEM(c->err);
		goto out;
	}
	if ((rc = get_str(c, p, "architecture", true, &d->platform->architecture)) < 0 ||
	    (rc = get_str(c, p, "os", true, &d->platform->os)) < 0 ||
	    (rc = get_str(c, p, "variant", false, &d->platform->variant)) < 0 ||
	    (rc = get_str(c, p, "os.version", false, &d->platform->os_version)) < 0)
		goto out;
	if (json_object_get(p, "os.features") && !json_is_array(json_object_get(p, "os.features")))
		rc = perr(c, "os.features", "not an array");
out:
	pop(c, old);
	return rc;
}

static int parse_desc(struct pctx *c, const json_t *o, struct pl_oci_desc *d)
{
	const json_t *size;
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = obj_check(c, o)) < 0 ||
	    (rc = get_str(c, o, "mediaType", true, &d->media_type)) < 0 ||
	    (rc = get_digest(c, o, "digest", d->digest)) < 0)
		goto out;
	size = json_object_get(o, "size");
	if (!size) {
		rc = perr(c, "size", "missing");
		goto out;
	}
	if (!json_is_integer(size)) {
		rc = perr(c, "size", "not an integer");
		goto out;
	}
	if (json_integer_value(size) < 0) {
		rc = perr(c, "size", "negative");
		goto out;
	}
	d->size = (uint64_t)json_integer_value(size);
	if ((rc = get_map(c, o, "annotations", &d->annotations)) < 0 ||
	    (rc = get_str(c, o, "artifactType", false, &d->artifact_type)) < 0 ||
	    (rc = parse_platform(c, o, d)) < 0)
		goto out;
	if (json_object_get(o, "urls") && !json_is_array(json_object_get(o, "urls")))
		rc = perr(c, "urls", "not an array");
out:
	if (rc < 0)
		pl_oci_desc_release(d);
	return rc;
}

static int parse_desc_array(struct pctx *c, const json_t *o, const char *key, bool required,
			    struct pl_oci_desc **out, size_t *n)
{
	const json_t *a = json_object_get(o, key);
	size_t i, old;
	json_t *e;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!a || json_is_null(a))
		return required ? perr(c, key, "missing") : 0;
	if (!json_is_array(a))
		return perr(c, key, "not an array");
	if (json_array_size(a) == 0)
		return 0;
	*out = calloc(json_array_size(a), sizeof(**out));
	if (!*out)
		return NOMEM(c->err);
	json_array_foreach(a, i, e)
	{
		old = push(c, key, (long)i);
		rc = parse_desc(c, e, &(*out)[i]);
		pop(c, old);
		if (rc < 0)
			break;
		*n = i + 1;
	}
	if (rc < 0) {
		desc_array_release(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

static int parse_schema_version(const struct pctx *c, const json_t *o)
{
	const json_t *v = json_object_get(o, "schemaVersion");

	if (!v)
		return perr(c, "schemaVersion", "missing");
	if (!json_is_integer(v))
		return perr(c, "schemaVersion", "not an integer");
	if (json_integer_value(v) != 2)
		return perr(c, "schemaVersion", "unsupported (want 2)");
	return 0;
}

int pl_oci_desc_from_json(const json_t *j, const char *what, struct pl_oci_desc *out,
			  struct pl_err *err)
{
	struct pctx c = {what ? what : "descriptor", {0}, err};

	return parse_desc(&c, j, out);
}

static int parse_history(struct pctx *c, const json_t *o, struct pl_oci_config *cfg)
{
	const json_t *a = json_object_get(o, "history");
	size_t i, old;
	json_t *e, *el;
	int rc = 0;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return perr(c, "history", "not an array");
	if (json_array_size(a) == 0)
		return 0;
	cfg->history = calloc(json_array_size(a), sizeof(*cfg->history));
	if (!cfg->history)
		return NOMEM(c->err);
	json_array_foreach(a, i, e)
	{
		struct pl_oci_history *h = &cfg->history[i];

		cfg->n_history = i + 1;
		old = push(c, "history", (long)i);
		if ((rc = obj_check(c, e)) < 0 ||
		    (rc = get_str(c, e, "created", false, &h->created)) < 0 ||
		    (rc = get_str(c, e, "created_by", false, &h->created_by)) < 0 ||
		    (rc = get_str(c, e, "author", false, &h->author)) < 0 ||
		    (rc = get_str(c, e, "comment", false, &h->comment)) < 0)
			goto next;
		el = json_object_get(e, "empty_layer");
		if (el && !json_is_null(el) && !json_is_boolean(el))
			rc = perr(c, "empty_layer", "not a boolean");
		h->empty_layer = json_is_true(el);
	next:
		pop(c, old);
		if (rc < 0)
			break;
	}
	return rc;
}

static int parse_config(struct pctx *c, const json_t *j, struct pl_oci_config *cfg)
{
	const json_t *sub, *t;
	size_t old;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if ((rc = obj_check(c, j)) < 0 ||
	    (rc = get_str(c, j, "architecture", true, &cfg->architecture)) < 0 ||
	    (rc = get_str(c, j, "os", true, &cfg->os)) < 0 ||
	    (rc = get_str(c, j, "variant", false, &cfg->variant)) < 0 ||
	    (rc = get_str(c, j, "os.version", false, &cfg->os_version)) < 0 ||
	    (rc = get_str(c, j, "created", false, &cfg->created)) < 0 ||
	    (rc = get_str(c, j, "author", false, &cfg->author)) < 0)
		goto out;

	sub = json_object_get(j, "config");
	if (sub && !json_is_null(sub)) {
		old = push(c, "config", -1);
		if ((rc = obj_check(c, sub)) < 0 ||
		    (rc = get_str(c, sub, "User", false, &cfg->user)) < 0 ||
		    (rc = get_strv(c, sub, "Env", false, &cfg->env)) < 0 ||
		    (rc = get_strv(c, sub, "Entrypoint", false, &cfg->entrypoint)) < 0 ||
		    (rc = get_strv(c, sub, "Cmd", false, &cfg->cmd)) < 0 ||
		    (rc = get_str(c, sub, "WorkingDir", false, &cfg->working_dir)) < 0 ||
		    (rc = get_map(c, sub, "Labels", &cfg->labels)) < 0 ||
		    (rc = get_set(c, sub, "ExposedPorts", &cfg->exposed_ports)) < 0 ||
		    (rc = get_str(c, sub, "StopSignal", false, &cfg->stop_signal)) < 0 ||
		    (rc = get_set(c, sub, "Volumes", &cfg->volumes)) < 0) {
			pop(c, old);
			goto out;
		}
		pop(c, old);
	}

	sub = json_object_get(j, "rootfs");
	if (!sub) {
		rc = perr(c, "rootfs", "missing");
		goto out;
	}
	old = push(c, "rootfs", -1);
	if ((rc = obj_check(c, sub)) < 0)
		goto pop_rootfs;
	t = json_object_get(sub, "type");
	if (!t)
		rc = perr(c, "type", "missing");
	else if (!json_is_string(t))
		rc = perr(c, "type", "not a string");
	else if (strcmp(json_string_value(t), "layers") != 0)
		rc = perr(c, "type", "unsupported (want \"layers\")");
	if (rc < 0 || (rc = get_strv(c, sub, "diff_ids", true, &cfg->diff_ids)) < 0)
		goto pop_rootfs;
	for (size_t i = 0; i < cfg->diff_ids.n; i++) {
		if (pl_digest_check(cfg->diff_ids.v[i], NULL) < 0) {
			char buf[64];

			snprintf(buf, sizeof(buf), "diff_ids[%zu]", i);
			rc = perr(c, buf, "not a valid sha256 digest");
			break;
		}
	}
pop_rootfs:
	pop(c, old);
	if (rc < 0)
		goto out;
	rc = parse_history(c, j, cfg);
out:
	if (rc < 0)
		pl_oci_config_release(cfg);
	return rc;
}

int pl_oci_config_from_json(const json_t *j, const char *what, struct pl_oci_config *out,
			    struct pl_err *err)
{
	struct pctx c = {what ? what : "image config", {0}, err};

	return parse_config(&c, j, out);
}

static int parse_manifest(struct pctx *c, const json_t *j, struct pl_oci_manifest *m)
{
	const json_t *sub;
	size_t old;
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = obj_check(c, j)) < 0 || (rc = parse_schema_version(c, j)) < 0 ||
	    (rc = get_str(c, j, "mediaType", false, &m->media_type)) < 0)
		goto out;
	m->schema_version = 2;
	if (m->media_type && !pl_oci_is_manifest_type(m->media_type)) {
		rc = perr(c, "mediaType",
			  pl_oci_is_index_type(m->media_type) ? "is an index, not an image manifest"
							      : "not an image manifest media type");
		goto out;
	}
	if (!m->media_type && json_object_get(j, "manifests")) {
		rc = perr(c, NULL, "is an index, not an image manifest");
		goto out;
	}
	if ((rc = get_str(c, j, "artifactType", false, &m->artifact_type)) < 0)
		goto out;
	sub = json_object_get(j, "config");
	if (!sub) {
		rc = perr(c, "config", "missing");
		goto out;
	}
	old = push(c, "config", -1);
	rc = parse_desc(c, sub, &m->config);
	pop(c, old);
	if (rc < 0 || (rc = parse_desc_array(c, j, "layers", true, &m->layers, &m->n_layers)) < 0 ||
	    (rc = get_map(c, j, "annotations", &m->annotations)) < 0)
		goto out;
	sub = json_object_get(j, "subject");
	if (sub && !json_is_null(sub)) {
		m->subject = calloc(1, sizeof(*m->subject));
		if (!m->subject) {
			rc = NOMEM(c->err);
			goto out;
		}
		old = push(c, "subject", -1);
		rc = parse_desc(c, sub, m->subject);
		pop(c, old);
	}
out:
	if (rc < 0)
		pl_oci_manifest_release(m);
	return rc;
}

int pl_oci_manifest_from_json(const json_t *j, const char *what, struct pl_oci_manifest *out,
			      struct pl_err *err)
{
	struct pctx c = {what ? what : "image manifest", {0}, err};

	return parse_manifest(&c, j, out);
}

static int parse_index(struct pctx *c, const json_t *j, struct pl_oci_index *ix)
{
	int rc;

	memset(ix, 0, sizeof(*ix));
	if ((rc = obj_check(c, j)) < 0 || (rc = parse_schema_version(c, j)) < 0 ||
	    (rc = get_str(c, j, "mediaType", false, &ix->media_type)) < 0)
		goto out;
	ix->schema_version = 2;
	if (ix->media_type && !pl_oci_is_index_type(ix->media_type)) {
		rc = perr(c, "mediaType",
			  pl_oci_is_manifest_type(ix->media_type)
			      ? "is an image manifest, not an index"
			      : "not an image index media type");
		goto out;
	}
	if ((rc = get_str(c, j, "artifactType", false, &ix->artifact_type)) < 0 ||
	    (rc = parse_desc_array(c, j, "manifests", true, &ix->manifests, &ix->n_manifests)) <
		0 ||
	    (rc = get_map(c, j, "annotations", &ix->annotations)) < 0)
		goto out;
out:
	if (rc < 0)
		pl_oci_index_release(ix);
	return rc;
}

int pl_oci_index_from_json(const json_t *j, const char *what, struct pl_oci_index *out,
			   struct pl_err *err)
{
	struct pctx c = {what ? what : "image index", {0}, err};

	return parse_index(&c, j, out);
}

int pl_oci_config_parse(const char *data, size_t len, const char *what, struct pl_oci_config *out,
			struct pl_err *err)
{
	json_t *j = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!what)
		what = "image config";
	rc = pl_json_load(data, len, what, &j, err);
	if (rc == 0)
		rc = pl_oci_config_from_json(j, what, out, err);
	json_decref(j);
	return rc;
}

int pl_oci_manifest_parse(const char *data, size_t len, const char *what,
			  struct pl_oci_manifest *out, struct pl_err *err)
{
	json_t *j = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!what)
		what = "image manifest";
	rc = pl_json_load(data, len, what, &j, err);
	if (rc == 0)
		rc = pl_oci_manifest_from_json(j, what, out, err);
	json_decref(j);
	return rc;
}

int pl_oci_index_parse(const char *data, size_t len, const char *what, struct pl_oci_index *out,
		       struct pl_err *err)
{
	json_t *j = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!what)
		what = "image index";
	rc = pl_json_load(data, len, what, &j, err);
	if (rc == 0)
		rc = pl_oci_index_from_json(j, what, out, err);
	json_decref(j);
	return rc;
}
