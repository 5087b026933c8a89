#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pl_mkdir_p(const char *path, mode_t mode, struct pl_err *err)
{
	char *p = strdup(path);
	char *s;
	int rc = 0;

	if (!p)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				rc = pl_err_errno(err, PL_EIO, "mkdir '%s'", p);
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return rc;
}

int pl_write_all(int fd, const void *data, size_t len, const char *what, struct pl_err *err)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pl_err_errno(err, PL_EIO, "write '%s'", what);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int pl_tmp_open(struct pl_tmpfile *t, const char *final_path, struct pl_err *err)
{
	size_t n = strlen(final_path) + 16;

	t->fd = -1;
	t->final_path = strdup(final_path);
	t->tmp_path = malloc(n);
	if (!t->final_path || !t->tmp_path) {
		pl_tmp_abort(t);
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	snprintf(t->tmp_path, n, "%s.tmp-XXXXXX", final_path);
	t->fd = mkostemp(t->tmp_path, O_CLOEXEC);
	if (t->fd < 0) {
		int rc = pl_err_errno(err, PL_EIO, "create temporary file for '%s'", final_path);

		free(t->tmp_path);
		t->tmp_path = NULL;
		pl_tmp_abort(t);
		return rc;
	}
	return 0;
}

int pl_tmp_commit(struct pl_tmpfile *t, mode_t mode, struct pl_err *err)
{
	int rc = 0;

	if (fchmod(t->fd, mode) < 0 || fsync(t->fd) < 0)
		rc = pl_err_errno(err, PL_EIO, "write '%s'", t->final_path);
	if (close(t->fd) < 0 && rc == 0)
		rc = pl_err_errno(err, PL_EIO, "close '%s'", t->final_path);
	t->fd = -1;
	if (rc == 0 && rename(t->tmp_path, t->final_path) < 0)
		rc = pl_err_errno(err, PL_EIO, "rename to '%s'", t->final_path);
	if (rc < 0) {
		pl_tmp_abort(t);
		return rc;
	}
	free(t->tmp_path);
	free(t->final_path);
	t->tmp_path = t->final_path = NULL;
	return 0;
}

void pl_tmp_abort(struct pl_tmpfile *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->tmp_path)
		unlink(t->tmp_path);
	free(t->tmp_path);
	free(t->final_path);
	t->fd = -1;
	t->tmp_path = t->final_path = NULL;
}

int pl_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 struct pl_err *err)
{
	struct pl_tmpfile t;
	int rc = pl_tmp_open(&t, path, err);

	if (rc < 0)
		return rc;
	rc = pl_write_all(t.fd, data, len, path, err);
	if (rc < 0) {
		pl_tmp_abort(&t);
		return rc;
	}
	return pl_tmp_commit(&t, mode, err);
}

int pl_read_file(const char *path, size_t max, struct pl_buf *out, struct pl_err *err)
{
	char chunk[65536];
	int fd, rc = 0;
	size_t start = out->len;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pl_err_errno(err, errno == ENOENT ? PL_ENOTFOUND : PL_EIO, "open '%s'", path);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = pl_err_errno(err, PL_EIO, "read '%s'", path);
			break;
		}
		if (n == 0)
			break;
		if (max && out->len - start + (size_t)n > max) {
			rc = pl_err_set(err, PL_ETOOBIG, "'%s' is larger than %zu bytes", path, max);
			break;
		}
		rc = pl_buf_add(out, chunk, (size_t)n, err);
		if (rc < 0)
			break;
	}
	close(fd);
	return rc;
}

int pl_rm_rf(const char *path, struct pl_err *err)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : pl_err_errno(err, PL_EIO, "stat '%s'", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0 && errno != ENOENT)
			return pl_err_errno(err, PL_EIO, "remove '%s'", path);
		return 0;
	}
	d = opendir(path);
	if (!d)
		return pl_err_errno(err, PL_EIO, "open directory '%s'", path);
	while ((de = readdir(d)) != NULL) {
		char *child;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (asprintf(&child, "%s/%s", path, de->d_name) < 0) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			break;
		}
		rc = pl_rm_rf(child, err);
		free(child);
		if (rc < 0)
			break;
	}
	closedir(d);
	if (rc == 0 && rmdir(path) < 0)
		rc = pl_err_errno(err, PL_EIO, "remove '%s'", path);
	return rc;
}
