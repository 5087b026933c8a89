/*
 * fstree: a root filesystem as an in-memory tree of metadata. File contents
 * live in a cas and are named by digest; nothing here touches host paths.
 * Paths are always resolved inside the tree: leading '/' and '.' components
 * are dropped, '..' and paths through symlinks are refused (PL_EPOLICY), so
 * hostile archive content can never name anything outside the tree.
 * Children are kept sorted by name (bytewise); walks are deterministic.
 * Hardlinked files share one inode (metadata + content).
 */
#ifndef PL_FSTREE_H
#define PL_FSTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/digest.h"
#include "util/err.h"

enum pl_ftype {
	PL_FT_REG = 1,
	PL_FT_DIR,
	PL_FT_SYMLINK,
	PL_FT_CHR,
	PL_FT_BLK,
	PL_FT_FIFO,
	PL_FT_WHITEOUT /* only in diff trees: "delete this path" */
};

struct pl_xattr {
	char *name;
	unsigned char *value;
	size_t len;
};

/* Metadata of one inode. link is owned by the tree once stored. */
struct pl_fsmeta {
	enum pl_ftype type;
	uint32_t mode; /* permission bits only (07777) */
	uint32_t uid, gid;
	int64_t mtime; /* seconds since the epoch */
	uint64_t size; /* regular files */
	char digest[PL_DIGEST_SIZE]; /* regular files: content in the cas */
	char *link; /* symlinks: target */
	uint32_t devmajor, devminor;
};

struct pl_fstree;
struct pl_fsnode;

/* A new tree holding only the root directory (0755, 0:0, mtime 0). */
int pl_fstree_new(struct pl_fstree **out, struct pl_err *err);
void pl_fstree_free(struct pl_fstree *t);

/* Deep copy (inodes shared between hardlinks stay shared in the copy). */
int pl_fstree_clone(const struct pl_fstree *t, struct pl_fstree **out, struct pl_err *err);

/*
 * Create or replace path with meta (meta->link copied). Missing parent
 * directories are created 0755 0:0 with mtime meta->mtime. Replacing a
 * directory by a directory keeps its children and xattrs are reset; replacing
 * it by anything else drops the subtree. The root ("/", "" or ".") can only
 * be updated by a directory. PL_EPOLICY for '..' or a symlink on the way.
 */
int pl_fstree_put(struct pl_fstree *t, const char *path, const struct pl_fsmeta *meta,
		  struct pl_err *err);

/* Make path a hardlink to the regular file target (which must exist). */
int pl_fstree_link(struct pl_fstree *t, const char *path, const char *target,
		   struct pl_err *err);

/* Set or replace one xattr on path's inode. */
int pl_fstree_set_xattr(struct pl_fstree *t, const char *path, const char *name,
			const void *value, size_t len, struct pl_err *err);

/* Remove path and everything below it; PL_ENOTFOUND if it does not exist. */
int pl_fstree_remove(struct pl_fstree *t, const char *path, struct pl_err *err);

/* Remove all children of directory path, keeping the directory (opaque). */
int pl_fstree_clear_dir(struct pl_fstree *t, const char *path, struct pl_err *err);

/*
 * Look up path without following symlinks anywhere; NULL when absent or the
 * path is unsafe. The result is borrowed from the tree.
 */
const struct pl_fsmeta *pl_fstree_get(const struct pl_fstree *t, const char *path);

/*
 * Resolve path the way the kernel would inside a chroot at the tree's root:
 * symlinks (absolute ones relative to the root, '..' clamped at the root)
 * are followed, at most 40 of them; follow_last says whether a final
 * symlink is followed. The canonical path ("etc/passwd", "" for the root) is
 * written to *canon (malloc'd). PL_ENOTFOUND when a component is missing
 * (except the last, which may be absent when allow_missing_last).
 */
int pl_fstree_resolve(const struct pl_fstree *t, const char *path, bool follow_last,
		      bool allow_missing_last, char **canon, struct pl_err *err);

/* Number of entries, the root excluded. */
size_t pl_fstree_count(const struct pl_fstree *t);

/* One entry as a walk presents it. */
struct pl_fsentry {
	const char *path;            /* "etc/passwd"; never the root */
	const struct pl_fsmeta *meta;
	const struct pl_xattr *xattrs; /* sorted by name */
	size_t nxattrs;
	const char *hardlink_to;     /* earlier path of the same inode, or NULL */
	bool opaque;                 /* diff trees: directory replaces the lower one */
};

typedef int (*pl_fstree_walk_fn)(const struct pl_fsentry *e, void *ctx, struct pl_err *err);

/*
 * Visit every entry but the root, depth first, parents before children,
 * siblings in bytewise name order. Stops at the first negative return.
 */
int pl_fstree_walk(const struct pl_fstree *t, pl_fstree_walk_fn fn, void *ctx,
		   struct pl_err *err);

/*
 * The canonical form of path ("etc/passwd", "" for the root) in a new
 * malloc'd string: leading '/', '.' components and '//' dropped.
 * PL_EPOLICY for '..', PL_ETOOBIG past 4096 bytes.
 */
int pl_fstree_normalize(const char *path, char **out, struct pl_err *err);

/* Decides whether pl_fstree_prune keeps an entry (path is canonical). */
typedef bool (*pl_fstree_keep_fn)(const char *path, void *ctx);

/*
 * Remove every entry below directory dir for which keep returns false,
 * descending into the directories kept (an opaque directory that keeps
 * what the current layer added). PL_ENOTFOUND when dir does not exist.
 */
int pl_fstree_prune(struct pl_fstree *t, const char *dir, pl_fstree_keep_fn keep, void *ctx,
		    struct pl_err *err);

/* Mark a directory opaque (diff trees). */
int pl_fstree_set_opaque(struct pl_fstree *t, const char *path, bool opaque, struct pl_err *err);

/*
 * The difference lower -> upper as a new diff tree: entries new or changed
 * in upper (with their parents), PL_FT_WHITEOUT entries for paths gone, and
 * opaque directories where a whole directory was replaced. Applying the diff
 * to lower with pl_fstree_apply yields a tree equal to upper.
 */
int pl_fstree_diff(const struct pl_fstree *lower, const struct pl_fstree *upper,
		   struct pl_fstree **out, struct pl_err *err);

/* Apply a diff tree (whiteouts, opaque dirs) onto t. */
int pl_fstree_apply(struct pl_fstree *t, const struct pl_fstree *diff, struct pl_err *err);

/* True when both trees hold the same entries with the same metadata. */
bool pl_fstree_equal(const struct pl_fstree *a, const struct pl_fstree *b);

#endif
