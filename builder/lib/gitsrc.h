/*
 * gitsrc: the curation repo as git objects (libgit2). Everything Plinth reads
 * from the repo (recipes, patches, keys, plinth.yaml) is read from the tree of
 * one commit, never from a work tree, so uncommitted edits never change an
 * image. A local path is opened as git finds it (work tree, subdirectory or
 * bare); a URL is mirrored (bare) into a cache directory and fetched on open.
 */
#ifndef PL_GITSRC_H
#define PL_GITSRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define PL_GITSRC_ID_LEN 40 /* hex digits of a (sha1) object id */
#define PL_GITSRC_SUMMARY_MAX 256

struct pl_gitsrc;

struct pl_gitsrc_commit {
	char id[PL_GITSRC_ID_LEN + 1];	     /* full lowercase hex */
	int64_t time;			     /* committer time, seconds since the epoch */
	char summary[PL_GITSRC_SUMMARY_MAX]; /* first paragraph, one line, may be cut */
};

enum pl_gitsrc_type {
	PL_GITSRC_BLOB,	     /* regular file (mode 100644 or 100755) */
	PL_GITSRC_TREE,	     /* directory (040000) */
	PL_GITSRC_LINK,	     /* symbolic link (120000); the blob is the target */
	PL_GITSRC_SUBMODULE, /* gitlink (160000); the id is a commit elsewhere */
};

struct pl_gitsrc_entry {
	char *name; /* owned by the entry array */
	enum pl_gitsrc_type type;
	unsigned int mode;	       /* git's file mode, e.g. 0100644 */
	char id[PL_GITSRC_ID_LEN + 1]; /* blob, tree or commit id */
};

/*
 * Open the curation repo. repo is either a local path (a work tree, any
 * directory below one, or a bare repository; discovered upward as git does,
 * not across file systems) or a URL (scheme://..., or scp-like
 * [user@]host:path). A URL is mirrored as a bare repository at
 * cache_dir/<sha256 hex of the URL> (cloned on first use) and fetched on each
 * open: all branches and tags, pruning refs deleted upstream, HEAD following
 * upstream's HEAD; cache_dir/<key>.lock serialises builders sharing the cache.
 * A failed fetch is an error, never a silent build from stale refs.
 * cache_dir may be NULL for a local path. Free with pl_gitsrc_free. Errors: PL_ENOTFOUND (no
 * repository there), PL_ENET (fetch failed), PL_EIO, PL_EINVAL.
 */
int pl_gitsrc_open(struct pl_gitsrc **out, const char *repo, const char *cache_dir,
		   struct pl_err *err);
void pl_gitsrc_free(struct pl_gitsrc *g);

/*
 * Resolve ref (a branch, tag -- annotated tags are peeled --, full or
 * abbreviated commit id, HEAD, or any git revparse spec such as "main~2";
 * NULL or "" means HEAD) to a commit. PL_ENOTFOUND when nothing matches,
 * PL_EINVAL for an ambiguous id, a bad spec, or one naming no commit.
 */
int pl_gitsrc_resolve(struct pl_gitsrc *g, const char *ref, struct pl_gitsrc_commit *out,
		      struct pl_err *err);

/*
 * Read the file at path in commit commit_id (40 hex digits, as resolved) into
 * a new malloc'd, NUL-terminated buffer *data of *len bytes (the NUL is not
 * counted). path is relative to the repo root; "." and empty components are
 * ignored, ".." is refused (PL_EINVAL). Symbolic links are refused
 * (PL_EPOLICY): a link could point outside the repo or at the work tree, and
 * a curation repo has no need for them. A directory or submodule is
 * PL_EINVAL; a missing path PL_ENOTFOUND naming the path and short commit;
 * a blob larger than max bytes (0 = no cap) PL_ETOOBIG.
 */
int pl_gitsrc_read(struct pl_gitsrc *g, const char *commit_id, const char *path, size_t max,
		   char **data, size_t *len, struct pl_err *err);

/*
 * List the directory dir (NULL, "" or "." for the root) at commit_id into a
 * new array *entries of *n entries sorted by name (byte order, not git's tree
 * order). Free with pl_gitsrc_entries_free. A path that is not a directory
 * is PL_EINVAL, a missing one PL_ENOTFOUND.
 */
int pl_gitsrc_list(struct pl_gitsrc *g, const char *commit_id, const char *dir,
		   struct pl_gitsrc_entry **entries, size_t *n, struct pl_err *err);
void pl_gitsrc_entries_free(struct pl_gitsrc_entry *entries, size_t n);

/*
 * The object id of path at commit_id into id: the blob id for a file or link,
 * the tree id for a directory. Equal ids mean equal content, so a later build
 * can skip work whose inputs did not change. PL_ENOTFOUND when missing.
 */
int pl_gitsrc_blob_id(struct pl_gitsrc *g, const char *commit_id, const char *path,
		      char id[PL_GITSRC_ID_LEN + 1], struct pl_err *err);

/*
 * The repo URL to record in image annotations (borrowed): the URL it was
 * opened from; for a local repo the URL of its "origin" remote when it has
 * one, else "file://" and the absolute path. A password (and, for http and
 * https, any user info, which often is a token) is removed.
 */
const char *pl_gitsrc_url(const struct pl_gitsrc *g);

/* The local directory of the repository (work tree, or git dir when bare). */
const char *pl_gitsrc_path(const struct pl_gitsrc *g);

/*
 * Set *dirty when the work tree has changes not committed (modified, staged,
 * deleted or untracked files, ignored ones excepted). Always false for a bare
 * repo or a mirror. Only for a warning: reads never see the work tree.
 */
int pl_gitsrc_is_dirty(struct pl_gitsrc *g, bool *dirty, struct pl_err *err);

#endif
