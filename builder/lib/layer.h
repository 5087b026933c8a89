/*
 * layer: tar layers in and out, wrapping libarchive and the compressors.
 * Reading applies a tar (plain, gzip, zstd, xz, bzip2) to an fstree with OCI
 * whiteout semantics, storing file contents in a cas; no path from the
 * archive is ever opened on the host. Writing turns a tree (or diff tree)
 * into a deterministic tar (sorted, pax, numeric ids, empty names, mtimes
 * clamped to the epoch), compressed with gzip or zstd, computing the diff_id
 * and blob digest in one streaming pass with bounded memory.
 */
#ifndef PL_LAYER_H
#define PL_LAYER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/cas.h"
#include "lib/fstree.h"
#include "util/digest.h"
#include "util/err.h"

#define PL_MT_LAYER_TAR "application/vnd.oci.image.layer.v1.tar"
#define PL_MT_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define PL_MT_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"

struct pl_layer_read_opts {
	const char *what;     /* names the archive in errors ("tarball 'x.tgz'") */
	const char *prefix;   /* place entries under this tree directory; NULL = root */
	bool whiteouts;       /* interpret .wh. entries (OCI layers) */
	bool allow_devices;   /* otherwise char/block devices are refused */
	int64_t uid, gid;     /* >= 0: override ownership of every entry */
	uint64_t max_entries; /* 0 = default limit */
	/*
	 * dpkg_paths: resolve entries as dpkg unpacks a data.tar instead of
	 * refusing symlinks on the way: directory symlinks along the path
	 * are followed (merged /usr: './bin/sh' lands in 'usr/bin/sh' when
	 * 'bin -> usr/bin'), clamped inside the tree by pl_fstree_resolve;
	 * a directory entry over an existing directory (or a symlink to one)
	 * changes nothing; a non-directory over a directory is PL_EPOLICY.
	 * '..' stays refused. Hardlink targets are resolved the same way.
	 */
	bool dpkg_paths;
	/*
	 * When set, called after each entry is applied with its name as
	 * dpkg's .list records it ("/." for the root, "/usr/bin/x"), in
	 * archive order; a negative return stops the read.
	 */
	int (*on_path)(const char *path, void *ctx, struct pl_err *err);
	void *on_path_ctx;
};

/*
 * A byte source for pl_layer_read_from: read up to n bytes into buf and
 * return how many (0 at the end), or a negative PL_E* code with err set.
 */
typedef ssize_t (*pl_layer_src_fn)(void *ctx, void *buf, size_t n, struct pl_err *err);

/*
 * Apply the archive read from fd to t. Contents go to cas. Entries with '..',
 * through symlinks, hardlinks to missing targets, or devices when not allowed
 * are PL_EPOLICY naming the entry; a corrupt or truncated archive is
 * PL_EINVAL. On error t may hold part of the archive: callers apply to a
 * clone when they need all-or-nothing.
 */
int pl_layer_read(struct pl_fstree *t, struct pl_cas *cas, int fd,
		  const struct pl_layer_read_opts *o, struct pl_err *err);

/*
 * pl_layer_read with the archive bytes pulled from src (for a tar nested in
 * another archive, such as a .deb's data.tar): same rules, same errors. src
 * is read to its end, so a trailer after the tar is checked too.
 */
int pl_layer_read_from(struct pl_fstree *t, struct pl_cas *cas, pl_layer_src_fn src,
		       void *src_ctx, const struct pl_layer_read_opts *o, struct pl_err *err);

enum pl_compression { PL_COMP_GZIP = 0, PL_COMP_ZSTD, PL_COMP_NONE };

struct pl_layer_write_opts {
	enum pl_compression comp;
	int level;     /* 0 = the compressor's default (gzip 6, zstd 3) */
	int threads;   /* 0 = number of online CPUs; never changes the output bytes */
	int64_t epoch; /* mtimes later than this are clamped to it */
};

struct pl_layer_result {
	char diff_id[PL_DIGEST_SIZE]; /* sha256 of the uncompressed tar */
	char digest[PL_DIGEST_SIZE];  /* sha256 of the blob */
	uint64_t size;                /* blob size */
	uint64_t tar_size;
	const char *media_type;       /* PL_MT_LAYER_* (static) */
};

/*
 * Write t as a layer blob into out (content read from content). Whiteout
 * entries become ".wh.<name>", opaque directories get ".wh..wh..opq". The
 * same tree and options give the same bytes on any machine and thread count.
 */
int pl_layer_write(const struct pl_fstree *t, const struct pl_cas *content, struct pl_cas *out,
		   const struct pl_layer_write_opts *o, struct pl_layer_result *res,
		   struct pl_err *err);

#endif
