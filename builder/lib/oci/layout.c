/*
 * OCI image layout store: <dir>/oci-layout, <dir>/index.json and the cas at
 * <dir>/blobs/sha256/. index.json read-modify-writes hold an exclusive flock
 * on the layout directory itself (no extra file in the layout, and the lock
 * survives index.json being renamed over) and replace the file atomically.
 */
#include "lib/oci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/json.h"

#define LAYOUT_FILE "oci-layout"
#define INDEX_FILE "index.json"
#define LAYOUT_JSON "{\"imageLayoutVersion\":\"1.0.0\"}"
#define INDEX_MAX (64u << 20)

struct pl_oci_layout {
	char *dir;
	char *index_path;
	struct pl_cas *cas;
};

static int join(char **out, const char *dir, const char *name, struct pl_err *err)
{
	if (asprintf(out, "%s/%s", dir, name) < 0) {
		*out = NULL;
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	return 0;
}

static int lock_dir(const struct pl_oci_layout *l, int *fd, struct pl_err *err)
{
	*fd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return pl_err_errno(err, PL_EIO, "open layout '%s'", l->dir);
	while (flock(*fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		pl_err_errno(err, PL_EIO, "lock layout '%s'", l->dir);
		close(*fd);
		*fd = -1;
		return PL_EIO;
	}
	return 0;
}

static void unlock_dir(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

static int check_layout_file(const char *dir, const char *path, bool create, struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	json_t *j = NULL;
	const char *v;
	int rc;

	rc = pl_read_file(path, 4096, &b, err);
	if (rc == PL_ENOTFOUND && create) {
		pl_err_init(err);
		rc = pl_write_file_atomic(path, LAYOUT_JSON, strlen(LAYOUT_JSON), 0644, err);
		goto out;
	}
	if (rc == PL_ENOTFOUND) {
		pl_err_init(err);
		rc = pl_err_set(err, PL_ENOTFOUND, "'%s' is not an OCI image layout (no %s file)",
				dir, LAYOUT_FILE);
		goto out;
	}
	if (rc < 0)
		goto out;
	if ((rc = pl_json_load(b.data, b.len, path, &j, err)) < 0)
		goto out;
	v = pl_json_str(j, "imageLayoutVersion");
	if (!v || strcmp(v, "1.0.0") != 0)
		rc = pl_err_set(err, PL_EINVAL,
				"'%s': unsupported imageLayoutVersion %s%s%s (want \"1.0.0\")",
				path, v ? "\"" : "", v ? v : "(missing)", v ? "\"" : "");
out:
	json_decref(j);
	pl_buf_release(&b);
	return rc;
}

static int write_index(struct pl_oci_layout *l, const struct pl_oci_index *ix, struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	json_t *j = NULL;
	int rc;

	if ((rc = pl_oci_index_to_json(ix, &j, err)) < 0 || (rc = pl_json_dump(j, &b, err)) < 0)
		goto out;
	rc = pl_write_file_atomic(l->index_path, b.data, b.len, 0644, err);
out:
	json_decref(j);
	pl_buf_release(&b);
	return rc;
}

/* Read index.json; the caller holds the lock when it will write it back. */
static int read_index(struct pl_oci_layout *l, struct pl_oci_index *ix, struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	int rc;

	memset(ix, 0, sizeof(*ix));
	rc = pl_read_file(l->index_path, INDEX_MAX, &b, err);
	if (rc == 0)
		rc = pl_oci_index_parse(b.data, b.len, l->index_path, ix, err);
	pl_buf_release(&b);
	return rc;
}

int pl_oci_layout_open(struct pl_oci_layout **out, const char *dir, bool create, struct pl_err *err)
{
	struct pl_oci_layout *l = NULL;
	char *layout_path = NULL;
	struct stat st;
	int rc, lockfd = -1;

	*out = NULL;
	if (create && (rc = pl_mkdir_p(dir, 0755, err)) < 0)
		goto out;
	if (stat(dir, &st) < 0) {
		rc = pl_err_errno(err, errno == ENOENT ? PL_ENOTFOUND : PL_EIO,
				  "open oci layout '%s'", dir);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		rc = pl_err_set(err, PL_ENOTFOUND,
				"'%s' is not an OCI image layout (not a directory)", dir);
		goto out;
	}
	l = calloc(1, sizeof(*l));
	if (!l || !(l->dir = strdup(dir))) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = join(&l->index_path, dir, INDEX_FILE, err)) < 0 ||
	    (rc = join(&layout_path, dir, LAYOUT_FILE, err)) < 0 ||
	    (rc = check_layout_file(dir, layout_path, create, err)) < 0)
		goto out;
	if (access(l->index_path, F_OK) < 0) {
		struct pl_oci_index empty = {0};

		if (!create) {
			rc = pl_err_set(err, PL_ENOTFOUND,
					"'%s' is not an OCI image layout (no %s)", dir, INDEX_FILE);
			goto out;
		}
		if ((rc = lock_dir(l, &lockfd, err)) < 0)
			goto out;
		if (access(l->index_path, F_OK) < 0 && (rc = write_index(l, &empty, err)) < 0)
			goto out;
	}
	if ((rc = pl_cas_open(&l->cas, dir, err)) < 0)
		goto out;
	*out = l;
	l = NULL;
out:
	unlock_dir(lockfd);
	free(layout_path);
	pl_oci_layout_free(l);
	return rc;
}

void pl_oci_layout_free(struct pl_oci_layout *l)
{
	if (!l)
		return;
	pl_cas_free(l->cas);
	free(l->index_path);
	free(l->dir);
	free(l);
}

struct pl_cas *pl_oci_layout_cas(struct pl_oci_layout *l)
{
	return l->cas;
}

const char *pl_oci_layout_dir(const struct pl_oci_layout *l)
{
	return l->dir;
}

int pl_oci_layout_put_blob(struct pl_oci_layout *l, const void *data, size_t len,
			   const char *expect, const char *media_type, struct pl_oci_desc *out,
			   struct pl_err *err)
{
	char digest[PL_DIGEST_SIZE];
	int rc;

	if (expect) {
		if ((rc = pl_digest_check(expect, err)) < 0)
			return rc;
		if ((rc = pl_sha256_buf(data, len, digest, err)) < 0)
			return rc;
		if (strcmp(digest, expect) != 0)
			return pl_err_set(err, PL_EVERIFY,
					  "blob %s: content hashes to %s, refusing to store it",
					  expect, digest);
	}
	if ((rc = pl_cas_put_buf(l->cas, data, len, expect, digest, err)) < 0)
		return rc;
	if (out) {
		memset(out, 0, sizeof(*out));
		memcpy(out->digest, digest, sizeof(digest));
		out->size = len;
		if (media_type && !(out->media_type = strdup(media_type)))
			return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	return 0;
}

int pl_oci_layout_put_json(struct pl_oci_layout *l, const json_t *j, const char *media_type,
			   struct pl_oci_desc *out, struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	int rc = pl_json_dump(j, &b, err);

	if (rc == 0)
		rc = pl_oci_layout_put_blob(l, b.data, b.len, NULL, media_type, out, err);
	pl_buf_release(&b);
	return rc;
}

int pl_oci_layout_read_blob(struct pl_oci_layout *l, const char *digest, size_t max, char **data,
			    size_t *len, struct pl_err *err)
{
	char got[PL_DIGEST_SIZE];
	int rc;

	*data = NULL;
	*len = 0;
	if ((rc = pl_digest_check(digest, err)) < 0)
		return rc;
	if ((rc = pl_cas_read(l->cas, digest, max, data, len, err)) < 0)
		goto out;
	if ((rc = pl_sha256_buf(*data, *len, got, err)) < 0)
		goto out;
	if (strcmp(got, digest) != 0)
		rc = pl_err_set(err, PL_EVERIFY,
				"blob %s in '%s' is corrupt: its content hashes to %s", digest,
				l->dir, got);
out:
	if (rc < 0) {
		free(*data);
		*data = NULL;
		*len = 0;
	}
	return rc;
}

static const char *ref_name(const struct pl_oci_desc *d)
{
	return pl_oci_map_get(&d->annotations, PL_ANN_REF_NAME);
}

static int cmp_entry(const void *pa, const void *pb)
{
	const struct pl_oci_desc *a = pa, *b = pb;
	const char *ra = ref_name(a), *rb = ref_name(b);
	int c;

	if (ra && !rb)
		return -1;
	if (!ra && rb)
		return 1;
	if (ra && (c = strcmp(ra, rb)) != 0)
		return c;
	return strcmp(a->digest, b->digest);
}

static int check_manifest_blob(struct pl_oci_layout *l, const struct pl_oci_desc *d,
			       struct pl_err *err)
{
	uint64_t size;
	int rc;

	if (!d->media_type)
		return pl_err_set(err, PL_EINVAL, "descriptor %s has no media type", d->digest);
	if ((rc = pl_digest_check(d->digest, err)) < 0)
		return rc;
	if (!pl_cas_has(l->cas, d->digest))
		return pl_err_set(err, PL_ENOTFOUND,
				  "manifest %s is not in the layout (store it before tagging)",
				  d->digest);
	if ((rc = pl_cas_size(l->cas, d->digest, &size, err)) < 0)
		return rc;
	if (size != d->size)
		return pl_err_set(err, PL_EVERIFY,
				  "manifest %s: descriptor says %llu bytes, the blob has %llu",
				  d->digest, (unsigned long long)d->size, (unsigned long long)size);
	return 0;
}

/* Drop every entry named ref; returns how many went. */
static size_t remove_ref(struct pl_oci_index *ix, const char *ref)
{
	size_t w = 0, removed = 0;

	for (size_t i = 0; i < ix->n_manifests; i++) {
		const char *r = ref_name(&ix->manifests[i]);

		if (r && !strcmp(r, ref)) {
			pl_oci_desc_release(&ix->manifests[i]);
			removed++;
			continue;
		}
		if (w != i)
			ix->manifests[w] = ix->manifests[i];
		w++;
	}
	ix->n_manifests = w;
	return removed;
}

int pl_oci_layout_tag(struct pl_oci_layout *l, const char *ref, const struct pl_oci_desc *d,
		      struct pl_err *err)
{
	struct pl_oci_index ix = {0};
	struct pl_oci_desc *nv;
	int rc, lockfd = -1;

	if (!ref || !pl_ref_oci_name_valid(ref)) {
		rc = pl_err_set(err, PL_EINVAL,
				"invalid ref name '%s' (want components of [A-Za-z0-9] joined "
				"by one of -._:@+, separated by '/')",
				ref ? ref : "");
		goto out;
	}
	if ((rc = check_manifest_blob(l, d, err)) < 0 || (rc = lock_dir(l, &lockfd, err)) < 0 ||
	    (rc = read_index(l, &ix, err)) < 0)
		goto out;
	remove_ref(&ix, ref);
	nv = realloc(ix.manifests, (ix.n_manifests + 1) * sizeof(*nv));
	if (!nv) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	ix.manifests = nv;
	if ((rc = pl_oci_desc_copy(&ix.manifests[ix.n_manifests], d, err)) < 0)
		goto out;
	ix.n_manifests++;
	if ((rc = pl_oci_map_set(&ix.manifests[ix.n_manifests - 1].annotations, PL_ANN_REF_NAME,
				 ref, err)) < 0)
		goto out;
	qsort(ix.manifests, ix.n_manifests, sizeof(*ix.manifests), cmp_entry);
	rc = write_index(l, &ix, err);
out:
	unlock_dir(lockfd);
	pl_oci_index_release(&ix);
	if (rc < 0)
		pl_err_wrap(err, "tag '%s' in '%s'", ref ? ref : "", l->dir);
	return rc;
}

int pl_oci_layout_untag(struct pl_oci_layout *l, const char *ref, struct pl_err *err)
{
	struct pl_oci_index ix = {0};
	int rc, lockfd = -1;

	if ((rc = lock_dir(l, &lockfd, err)) < 0 || (rc = read_index(l, &ix, err)) < 0)
		goto out;
	if (remove_ref(&ix, ref) == 0) {
		rc = pl_err_set(err, PL_ENOTFOUND, "no ref '%s' in '%s'", ref, l->dir);
		goto out;
	}
	rc = write_index(l, &ix, err);
out:
	unlock_dir(lockfd);
	pl_oci_index_release(&ix);
	return rc;
}

int pl_oci_layout_read_index(struct pl_oci_layout *l, struct pl_oci_index *out, struct pl_err *err)
{
	return read_index(l, out, err);
}

int pl_oci_layout_resolve(struct pl_oci_layout *l, const char *ref, struct pl_oci_desc *out,
			  struct pl_err *err)
{
	struct pl_oci_index ix = {0};
	const struct pl_oci_desc *hit = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = read_index(l, &ix, err)) < 0)
		goto out;
	if (!ref || !*ref) {
		if (ix.n_manifests != 1) {
			rc = pl_err_set(err, PL_ENOTFOUND,
					"layout '%s' holds %zu images: name one with :REF", l->dir,
					ix.n_manifests);
			goto out;
		}
		hit = &ix.manifests[0];
	} else {
		bool by_digest = !strncmp(ref, "sha256:", 7);

		for (size_t i = 0; i < ix.n_manifests && !hit; i++) {
			const struct pl_oci_desc *d = &ix.manifests[i];
			const char *r = ref_name(d);

			if (by_digest ? !strcmp(d->digest, ref) : (r && !strcmp(r, ref)))
				hit = d;
		}
		if (!hit) {
			rc = pl_err_set(err, PL_ENOTFOUND, "no image '%s' in layout '%s'", ref,
					l->dir);
			goto out;
		}
	}
	rc = pl_oci_desc_copy(out, hit, err);
out:
	pl_oci_index_release(&ix);
	return rc;
}

int pl_oci_layout_list(struct pl_oci_layout *l, struct pl_oci_strv *refs, struct pl_err *err)
{
	struct pl_oci_index ix = {0};
	int rc;

	memset(refs, 0, sizeof(*refs));
	if ((rc = read_index(l, &ix, err)) < 0)
		goto out;
	refs->v = calloc(1, sizeof(*refs->v));
	if (!refs->v) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	qsort(ix.manifests, ix.n_manifests, sizeof(*ix.manifests), cmp_entry);
	for (size_t i = 0; i < ix.n_manifests; i++) {
		const char *r = ref_name(&ix.manifests[i]);

		if (r && (rc = pl_oci_strv_push(refs, r, err)) < 0)
			goto out;
	}
out:
	if (rc < 0)
		pl_oci_strv_release(refs);
	pl_oci_index_release(&ix);
	return rc;
}

/* Read the blob d names, checking digest and size. */
static int read_desc(struct pl_oci_layout *l, const struct pl_oci_desc *d, char **data, size_t *len,
		     struct pl_err *err)
{
	int rc;

	if (d->size > PL_OCI_JSON_MAX)
		return pl_err_set(err, PL_ETOOBIG, "blob %s: %llu bytes is too large for json",
				  d->digest, (unsigned long long)d->size);
	rc = pl_oci_layout_read_blob(l, d->digest, PL_OCI_JSON_MAX, data, len, err);
	if (rc == 0 && *len != d->size) {
		rc = pl_err_set(err, PL_EVERIFY, "blob %s: descriptor says %llu bytes, read %zu",
				d->digest, (unsigned long long)d->size, *len);
		free(*data);
		*data = NULL;
	}
	return rc;
}

int pl_oci_layout_read_manifest(struct pl_oci_layout *l, const struct pl_oci_desc *d,
				struct pl_oci_manifest *out, struct pl_err *err)
{
	char what[96];
	char *data = NULL;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "manifest %.19s..", d->digest);
	rc = read_desc(l, d, &data, &len, err);
	if (rc == 0)
		rc = pl_oci_manifest_parse(data, len, what, out, err);
	free(data);
	return rc;
}

int pl_oci_layout_read_config(struct pl_oci_layout *l, const struct pl_oci_desc *d,
			      struct pl_oci_config *out, struct pl_err *err)
{
	char what[96];
	char *data = NULL;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "config %.19s..", d->digest);
	rc = read_desc(l, d, &data, &len, err);
	if (rc == 0)
		rc = pl_oci_config_parse(data, len, what, out, err);
	free(data);
	return rc;
}
