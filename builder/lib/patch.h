/*
 * patch: central security patches (patches/<id>.yaml) applied to an image's
 * merged tree. Decides whether a patch matches an image (installed packages,
 * recipe name, labels), applies its actions in order to an fstree whose
 * contents live in a cas -- unified diffs (exact context, offset search, no
 * fuzz), removals, chmod/chown, files, package upgrades from an apt
 * repository with the dpkg database kept true -- and records what was done
 * as deterministic JSON. A patch applies all-or-nothing: on error the tree
 * is unchanged.
 */
#ifndef PL_PATCH_H
#define PL_PATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/apt.h"
#include "lib/cas.h"
#include "lib/fetch.h"
#include "lib/fstree.h"
#include "lib/pkgdb.h"
#include "lib/recipe.h"
#include "util/buf.h"
#include "util/err.h"

/* ---- matching ---- */

/*
 * Decide whether p applies to an image with database db (NULL: no packages),
 * built from recipe recipe_name (NULL: unknown) with config labels (NULL:
 * none). *match is set; when it matches, a one-line reason is appended to
 * why (may be NULL): "all images", "libssl3 3.0.11-1~deb12u2 < 3.0.13-1",
 * "recipe 'app'", "labels tier=prod". Only installed packages count. With
 * applies_to.source the package names a source package and any installed
 * binary built from it (at its source version) matches. Errors: PL_ENOMEM.
 */
int pl_patch_match(const struct pl_patchdef *p, const struct pl_pkgdb *db, const char *recipe_name,
		   const struct pl_recipe_map *labels, bool *match, struct pl_buf *why,
		   struct pl_err *err);

/* ---- unified diffs ---- */

/* Hard limits on diff input. */
#define PL_UDIFF_MAX_BYTES (64u * 1024 * 1024)
#define PL_UDIFF_MAX_FILE (256u * 1024 * 1024) /* a patched file */

struct pl_udiff_line {
	char kind;	  /* ' ', '-' or '+' */
	const char *text; /* points into the diff's copy; without the newline */
	size_t len;
	bool no_newline; /* followed by "\ No newline at end of file" */
};

struct pl_udiff_hunk {
	size_t old_start, old_len, new_start, new_len;
	char *header; /* "@@ -1,3 +1,4 @@" (without the section text) */
	struct pl_udiff_line *lines;
	size_t nlines;
};

struct pl_udiff_file {
	char *path;  /* target in the tree, canonical ("etc/login.defs") */
	bool create; /* --- /dev/null */
	bool remove; /* +++ /dev/null */
	struct pl_udiff_hunk *hunks;
	size_t nhunks;
};

struct pl_udiff {
	char *what; /* names the diff in errors */
	char *data; /* private copy of the input */
	struct pl_udiff_file *files;
	size_t nfiles;
};

/*
 * Parse a unified diff (git-style or `diff -u`, one or more files). Lines
 * before a "--- " header (diff --git, index, mode lines, prose) are skipped.
 * The target is the "+++" path (the "---" path when deleting) with a leading
 * "a/" or "b/" and '/' dropped, normalised; '..' is PL_EPOLICY. Malformed
 * input (a "---" without "+++", a bad @@ header, a hunk whose line counts
 * disagree with its body, a file without hunks, a binary patch) is
 * PL_EINVAL "what:line: message". Free with pl_udiff_free.
 */
int pl_udiff_parse(const char *data, size_t len, const char *what, struct pl_udiff **out,
		   struct pl_err *err);
void pl_udiff_free(struct pl_udiff *d);

/*
 * Apply the hunks of file f of d to in (len bytes), appending the result to
 * out. Each hunk's old lines must match exactly (newline at the end or not
 * included); a hunk is tried at its stated line plus the offset of the hunks
 * before it, then at growing distances either side (GNU patch with fuzz 0),
 * never before the end of the previous hunk. A hunk that matches nowhere is
 * PL_EINVAL "diff 'what': 'path': hunk #N (@@ ... @@) does not apply"; out
 * is then left as it was.
 */
int pl_udiff_apply(const struct pl_udiff *d, const struct pl_udiff_file *f, const char *in,
		   size_t len, struct pl_buf *out, struct pl_err *err);

/* ---- applying a patch ---- */

/*
 * Reads a file of the curation repo (diffs, file sources) at the build's
 * commit into *data (malloc'd) and *len.
 */
typedef int (*pl_patch_read_fn)(void *ctx, const char *path, char **data, size_t *len,
				struct pl_err *err);

struct pl_patch_env {
	struct pl_cas *cas;    /* the tree's contents; new contents land here */
	int64_t epoch;	       /* mtime of everything written */
	pl_patch_read_fn read; /* repo files; NULL: diff and file.source fail */
	void *read_ctx;
	/* upgrade: opened repositories (the patch's `from` must be one of them;
	 * the others serve dependencies), a fetcher, the image architecture */
	const struct pl_apt *const *apts;
	size_t napts;
	struct pl_fetch *fetch; /* its cache: downloaded .debs are read from it */
	struct pl_cas *fetch_cas;
	const char *arch; /* Debian architecture; NULL = "amd64" */
};

/* One package an upgrade changed. */
struct pl_patch_pkgchange {
	char *name;
	char *before; /* "" when newly installed for a dependency */
	char *after;
};

/* What one action did. */
struct pl_patch_action_result {
	enum pl_patch_action_kind kind;
	char *target;			 /* paths or packages acted on, comma-separated */
	char *result;			 /* "applied", "unchanged" */
	struct pl_patch_pkgchange *pkgs; /* upgrade */
	size_t npkgs;
};

/* The record of one applied patch. p is borrowed. */
struct pl_patch_applied {
	const struct pl_patchdef *p;
	char *why;
	struct pl_patch_action_result *actions;
	size_t nactions;
};

/*
 * Apply p's actions in order to t. why (may be NULL) is copied into rec.
 * All-or-nothing: the actions run on a copy of t, which replaces t's
 * contents only when every action succeeded; on error t is unchanged and
 * the message names the patch and the action ("patch 'PL-1': action 2
 * (remove): ..."). rec is initialised here and released with
 * pl_patch_applied_release (also after an error). Errors: see
 * docs/patches.md (PL_EINVAL, PL_ENOTFOUND, PL_EPOLICY, PL_EVERIFY, ...).
 */
int pl_patch_apply(const struct pl_patchdef *p, const char *why, const struct pl_patch_env *env,
		   struct pl_fstree *t, struct pl_patch_applied *rec, struct pl_err *err);
void pl_patch_applied_release(struct pl_patch_applied *rec);

/*
 * One action on t (in place; the caller clones for all-or-nothing). res is
 * initialised here and released with pl_patch_action_result_release.
 */
int pl_patch_action_apply(const struct pl_patch_action *a, const struct pl_patch_env *env,
			  struct pl_fstree *t, struct pl_patch_action_result *res,
			  struct pl_err *err);
void pl_patch_action_result_release(struct pl_patch_action_result *res);

/*
 * Upgrade packages in t to the candidate of repository `from` (exactly
 * version when non-NULL); see docs/patches.md. Appends a change per
 * package to res.
 */
int pl_patch_upgrade(struct pl_fstree *t, const struct pl_patch_env *env,
		     const char *const *packages, size_t npackages, const char *from,
		     const char *version, struct pl_patch_action_result *res, struct pl_err *err);

/* ---- the record ---- */

/*
 * The JSON record of applied patches, in the given order:
 * [{"id", "title", "severity", "cves": [...], "advisory" (null when none),
 *   "why", "actions": [{"kind", "target", "result",
 *   "packages": [{"name", "before", "after"}] (upgrade only)}]}].
 * *out is a new reference (json_decref).
 */
int pl_patch_record_json(const struct pl_patch_applied *v, size_t n, json_t **out,
			 struct pl_err *err);

/* The same record dumped canonically (sorted keys, compact) onto out. */
int pl_patch_record_dump(const struct pl_patch_applied *v, size_t n, struct pl_buf *out,
			 struct pl_err *err);

#endif
