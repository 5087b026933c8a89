#include "lib/cas.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/fsutil.h"

struct pl_cas {
	char *root;
	char *blobdir; /* <root>/blobs/sha256 */
	bool sync;     /* fsync blobs before renaming them into place */
};

/*
 * Small blobs stay in memory until commit: a blob already stored then costs
 * no file at all, which is most of a warm rebuild (thousands of small files).
 */
#define SMALL_MAX (256u * 1024)

struct pl_cas_writer {
	struct pl_cas *cas;
	struct pl_sha256 hash;
	struct pl_buf small; /* content while no temporary file is open */
	char *tmp_path;
	int fd;
	uint64_t size;
};

int pl_cas_open(struct pl_cas **out, const char *dir, struct pl_err *err)
{
	struct pl_cas *cas = NULL;
	int rc;

	*out = NULL;
	cas = calloc(1, sizeof(*cas));
	if (!cas)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	cas->sync = true;
	cas->root = strdup(dir);
	if (!cas->root || asprintf(&cas->blobdir, "%s/blobs/sha256", dir) < 0) {
		cas->blobdir = NULL;
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	rc = pl_mkdir_p(cas->blobdir, 0755, err);
	if (rc < 0) {
		pl_err_wrap(err, "open store '%s'", dir);
		goto out;
	}
	*out = cas;
	cas = NULL;
out:
	pl_cas_free(cas);
	return rc;
}

void pl_cas_set_sync(struct pl_cas *cas, bool sync)
{
	cas->sync = sync;
}

void pl_cas_free(struct pl_cas *cas)
{
	if (!cas)
		return;
	free(cas->root);
	free(cas->blobdir);
	free(cas);
}

const char *pl_cas_root(const struct pl_cas *cas)
{
	return cas->root;
}

/*
 * Every path is built from a checked digest: a digest string is never
 * trusted to be free of '/' or '..' just because it came from a manifest.
 */
static int blob_path(const struct pl_cas *cas, const char *digest, char **path,
		     struct pl_err *err)
{
	int rc = pl_digest_check(digest, err);

	*path = NULL;
	if (rc < 0)
		return rc;
	if (asprintf(path, "%s/%s", cas->blobdir, pl_digest_hex(digest)) < 0) {
		*path = NULL;
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	return 0;
}

int pl_cas_path(const struct pl_cas *cas, const char *digest, char **path, struct pl_err *err)
{
	return blob_path(cas, digest, path, err);
}

int pl_cas_writer_new(struct pl_cas *cas, struct pl_cas_writer **out, struct pl_err *err)
{
	struct pl_cas_writer *w;
	int rc;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	w->cas = cas;
	w->fd = -1;
	pl_buf_init(&w->small, 0);
	rc = pl_sha256_init(&w->hash, err);
	if (rc < 0) {
		pl_cas_writer_abort(w);
		return rc;
	}
	*out = w;
	return 0;
}

/* Open the temporary file and move what was kept in memory into it. */
static int open_tmp(struct pl_cas_writer *w, struct pl_err *err)
{
	int rc;

	if (asprintf(&w->tmp_path, "%s/.tmp-XXXXXX", w->cas->blobdir) < 0) {
		w->tmp_path = NULL;
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	w->fd = mkostemp(w->tmp_path, O_CLOEXEC);
	if (w->fd < 0) {
		rc = pl_err_errno(err, PL_EIO, "create temporary file in '%s'", w->cas->blobdir);
		free(w->tmp_path);
		w->tmp_path = NULL;
		return rc;
	}
	rc = pl_write_all(w->fd, w->small.data, w->small.len, w->tmp_path, err);
	pl_buf_release(&w->small);
	return rc;
}

int pl_cas_writer_write(struct pl_cas_writer *w, const void *data, size_t len,
			struct pl_err *err)
{
	int rc;

	if (len == 0)
		return 0;
	if (w->fd < 0 && w->small.len + len <= SMALL_MAX) {
		rc = pl_buf_add(&w->small, data, len, err);
	} else {
		if (w->fd < 0 && (rc = open_tmp(w, err)) < 0)
			return rc;
		rc = pl_write_all(w->fd, data, len, w->tmp_path, err);
	}
	if (rc < 0)
		return rc;
	pl_sha256_update(&w->hash, data, len);
	w->size += len;
	return 0;
}

void pl_cas_writer_abort(struct pl_cas_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp_path)
		unlink(w->tmp_path);
	free(w->tmp_path);
	pl_buf_release(&w->small);
	pl_sha256_release(&w->hash);
	free(w);
}

int pl_cas_writer_commit(struct pl_cas_writer *w, const char *expect,
			 char digest[PL_DIGEST_SIZE], uint64_t *size, struct pl_err *err)
{
	char got[PL_DIGEST_SIZE];
	char *final = NULL;
	struct stat st;
	int rc;

	pl_sha256_final_digest(&w->hash, got);
	if (expect && strcmp(expect, got) != 0) {
		rc = pl_err_set(err, PL_EVERIFY, "content digest %s does not match expected '%s'",
				got, expect);
		goto out;
	}
	rc = blob_path(w->cas, got, &final, err);
	if (rc < 0)
		goto out;
	/*
	 * Already stored: same digest, same bytes. Skipping the fsync and
	 * rename keeps re-imports of a large tree cheap.
	 */
	if (lstat(final, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == w->size)
		goto done;
	if (w->fd < 0 && (rc = open_tmp(w, err)) < 0)
		goto out;
	if (fchmod(w->fd, 0644) < 0 || (w->cas->sync && fsync(w->fd) < 0)) {
		rc = pl_err_errno(err, PL_EIO, "write blob %s", got);
		goto out;
	}
	if (close(w->fd) < 0) {
		w->fd = -1;
		rc = pl_err_errno(err, PL_EIO, "close blob %s", got);
		goto out;
	}
	w->fd = -1;
	/* rename(2) is atomic: concurrent writers of one blob each replace it whole. */
	if (rename(w->tmp_path, final) < 0) {
		rc = pl_err_errno(err, PL_EIO, "store blob %s", got);
		goto out;
	}
	free(w->tmp_path);
	w->tmp_path = NULL;
done:
	if (digest)
		memcpy(digest, got, PL_DIGEST_SIZE);
	if (size)
		*size = w->size;
out:
	free(final);
	pl_cas_writer_abort(w);
	return rc;
}

int pl_cas_put_buf(struct pl_cas *cas, const void *data, size_t len, const char *expect,
		   char digest[PL_DIGEST_SIZE], struct pl_err *err)
{
	struct pl_cas_writer *w = NULL;
	int rc;

	rc = pl_cas_writer_new(cas, &w, err);
	if (rc < 0)
		return rc;
	rc = pl_cas_writer_write(w, data, len, err);
	if (rc < 0) {
		pl_cas_writer_abort(w);
		return rc;
	}
	return pl_cas_writer_commit(w, expect, digest, NULL, err);
}

bool pl_cas_has(const struct pl_cas *cas, const char *digest)
{
	char *path = NULL;
	struct stat st;
	bool ok;

	if (blob_path(cas, digest, &path, NULL) < 0)
		return false;
	ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return ok;
}

int pl_cas_size(const struct pl_cas *cas, const char *digest, uint64_t *size, struct pl_err *err)
{
	char *path = NULL;
	struct stat st;
	int rc;

	rc = blob_path(cas, digest, &path, err);
	if (rc < 0)
		return rc;
	if (stat(path, &st) < 0)
		rc = pl_err_errno(err, errno == ENOENT ? PL_ENOTFOUND : PL_EIO, "blob %s", digest);
	else
		*size = (uint64_t)st.st_size;
	free(path);
	return rc;
}

int pl_cas_open_read(const struct pl_cas *cas, const char *digest, int *fd, struct pl_err *err)
{
	char *path = NULL;
	int rc;

	*fd = -1;
	rc = blob_path(cas, digest, &path, err);
	if (rc < 0)
		return rc;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		rc = pl_err_errno(err, errno == ENOENT ? PL_ENOTFOUND : PL_EIO, "open blob %s",
				  digest);
	free(path);
	return rc;
}

int pl_cas_read(const struct pl_cas *cas, const char *digest, size_t max, char **data,
		size_t *len, struct pl_err *err)
{
	char *buf = NULL;
	size_t got = 0;
	struct stat st;
	int fd = -1, rc;

	*data = NULL;
	*len = 0;
	rc = pl_cas_open_read(cas, digest, &fd, err);
	if (rc < 0)
		goto out;
	if (fstat(fd, &st) < 0) {
		rc = pl_err_errno(err, PL_EIO, "stat blob %s", digest);
		goto out;
	}
	if ((uint64_t)st.st_size > SIZE_MAX - 1 || (max && (uint64_t)st.st_size > max)) {
		rc = pl_err_set(err, PL_ETOOBIG, "blob %s is larger than %zu bytes", digest, max);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = pl_err_errno(err, PL_EIO, "read blob %s", digest);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != (size_t)st.st_size) {
		rc = pl_err_set(err, PL_EIO, "blob %s changed while reading", digest);
		goto out;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	buf = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

static int copy_stream(const struct pl_cas *from, struct pl_cas *to, const char *digest,
		       struct pl_err *err)
{
	struct pl_cas_writer *w = NULL;
	char buf[65536];
	int fd = -1, rc;

	rc = pl_cas_open_read(from, digest, &fd, err);
	if (rc < 0)
		goto out;
	rc = pl_cas_writer_new(to, &w, err);
	if (rc < 0)
		goto out;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = pl_err_errno(err, PL_EIO, "read blob %s", digest);
			goto out;
		}
		if (n == 0)
			break;
		rc = pl_cas_writer_write(w, buf, (size_t)n, err);
		if (rc < 0)
			goto out;
	}
	/* A copy is verified on the way: a corrupt source blob is not spread. */
	rc = pl_cas_writer_commit(w, digest, NULL, NULL, err);
	w = NULL;
out:
	pl_cas_writer_abort(w);
	if (fd >= 0)
		close(fd);
	return rc;
}

int pl_cas_copy(const struct pl_cas *from, struct pl_cas *to, const char *digest,
		struct pl_err *err)
{
	char *src = NULL, *dst = NULL;
	int rc;

	rc = blob_path(from, digest, &src, err);
	if (rc < 0)
		goto out;
	rc = blob_path(to, digest, &dst, err);
	if (rc < 0)
		goto out;
	if (strcmp(src, dst) == 0 || pl_cas_has(to, digest))
		goto out;
	if (link(src, dst) == 0 || errno == EEXIST)
		goto out;
	if (errno == ENOENT && access(src, F_OK) < 0) {
		rc = pl_err_set(err, PL_ENOTFOUND, "blob %s not in store '%s'", digest,
				from->root);
		goto out;
	}
	/* EXDEV, EPERM (protected_hardlinks), EMLINK, ...: copy the bytes. */
	rc = copy_stream(from, to, digest, err);
out:
	free(src);
	free(dst);
	return rc;
}
