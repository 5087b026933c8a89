/*
 * pkgdb/util: tree and hashing helpers for the pkgdb files. Everything the
 * database and the script effects write is owned by root with the build's
 * epoch as mtime, so the same inputs give the same tree.
 */
#include "lib/pkgdb/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/digest.h"

int pkgdb_tree_read(const struct pl_fstree *t, const struct pl_cas *cas, const char *path,
		    char **data, size_t *len, struct pl_err *err)
{
	struct pl_err quiet = PL_ERR_INIT;
	const struct pl_fsmeta *m;
	char *canon = NULL;
	int rc;

	*data = NULL;
	*len = 0;
	rc = pl_fstree_resolve(t, path, true, false, &canon, &quiet);
	if (rc < 0) {
		rc = PL_ENOTFOUND;
		goto out;
	}
	m = pl_fstree_get(t, canon);
	if (!m || m->type != PL_FT_REG) {
		rc = PL_ENOTFOUND;
		goto out;
	}
	rc = pl_cas_read(cas, m->digest, PKGDB_MAX_FILE, data, len, err);
	if (rc < 0)
		pl_err_wrap(err, "'/%s'", canon);
out:
	free(canon);
	return rc;
}

int pkgdb_tree_put_file(struct pl_fstree *t, struct pl_cas *cas, const char *path, const void *data,
			size_t len, uint32_t mode, int64_t epoch, struct pl_err *err)
{
	struct pl_fsmeta m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.type = PL_FT_REG;
	m.mode = mode;
	m.mtime = epoch;
	m.size = len;
	rc = pl_cas_put_buf(cas, data, len, NULL, m.digest, err);
	if (rc == 0)
		rc = pl_fstree_put(t, path, &m, err);
	if (rc < 0)
		return pl_err_wrap(err, "write '/%s'", path);
	return 0;
}

int pkgdb_tree_put_dir(struct pl_fstree *t, const char *path, int64_t epoch, struct pl_err *err)
{
	struct pl_fsmeta m;

	memset(&m, 0, sizeof(m));
	m.type = PL_FT_DIR;
	m.mode = 0755;
	m.mtime = epoch;
	if (pl_fstree_put(t, path, &m, err) < 0)
		return pl_err_wrap(err, "directory '/%s'", path);
	return 0;
}

int pkgdb_tree_put_link(struct pl_fstree *t, const char *path, const char *target, int64_t epoch,
			struct pl_err *err)
{
	struct pl_fsmeta m;

	memset(&m, 0, sizeof(m));
	m.type = PL_FT_SYMLINK;
	m.mode = 0777;
	m.mtime = epoch;
	m.link = (char *)target;
	if (pl_fstree_put(t, path, &m, err) < 0)
		return pl_err_wrap(err, "symlink '/%s'", path);
	return 0;
}

int pkgdb_md5_hex(const void *data, size_t len, char out[33], struct pl_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(data, len, md, &n, EVP_md5(), NULL) || n != 16)
		return pl_err_set(err, PL_EIO, "md5 unavailable in this OpenSSL");
	pl_hex(md, 16, out);
	return 0;
}

char *pkgdb_strf(struct pl_err *err, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		pl_err_set(err, PL_ENOMEM, "out of memory");
		return NULL;
	}
	return s;
}

char *pkgdb_infoname(const char *name, const char *arch, const char *multi_arch, struct pl_err *err)
{
	if (multi_arch && strcmp(multi_arch, "same") == 0 && arch && *arch)
		return pkgdb_strf(err, "%s:%s", name, arch);
	return pkgdb_strf(err, "%s", name);
}
