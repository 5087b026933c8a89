/*
 * pkgdb internals shared by the read, write and effects files: small tree
 * helpers (read a file through the cas, put a file, directory or symlink
 * owned by root with the epoch as mtime) and md5 for dpkg's hashes.
 */
#ifndef PL_PKGDB_INTERNAL_H
#define PL_PKGDB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cas.h"
#include "lib/fstree.h"
#include "util/err.h"

#define PKGDB_ADMINDIR "var/lib/dpkg"
#define PKGDB_MAX_FILE (512u << 20) /* no database or certificate file is larger */

/*
 * Read the regular file at path (symlinks followed inside the tree) into a
 * malloc'd, NUL-terminated buffer. PL_ENOTFOUND when absent or not a regular
 * file (nothing recorded in err then).
 */
int pkgdb_tree_read(const struct pl_fstree *t, const struct pl_cas *cas, const char *path,
		    char **data, size_t *len, struct pl_err *err);

/* Store data in cas and put it at path as a regular file, root-owned. */
int pkgdb_tree_put_file(struct pl_fstree *t, struct pl_cas *cas, const char *path, const void *data,
			size_t len, uint32_t mode, int64_t epoch, struct pl_err *err);

/* Make path a directory 0755 root with mtime epoch, keeping its children. */
int pkgdb_tree_put_dir(struct pl_fstree *t, const char *path, int64_t epoch, struct pl_err *err);

/* Make path a symlink to target, root-owned, mtime epoch. */
int pkgdb_tree_put_link(struct pl_fstree *t, const char *path, const char *target, int64_t epoch,
			struct pl_err *err);

/* Lowercase hex md5 of a buffer (33 bytes with the NUL). */
int pkgdb_md5_hex(const void *data, size_t len, char out[33], struct pl_err *err);

/* A malloc'd printf, or NULL with PL_ENOMEM recorded. */
char *pkgdb_strf(struct pl_err *err, const char *fmt, ...) PL_PRINTF(2, 3);

/* dpkg's database name of a package: "pkg" or "pkg:arch" for Multi-Arch: same. */
char *pkgdb_infoname(const char *name, const char *arch, const char *multi_arch,
		     struct pl_err *err);

#endif
