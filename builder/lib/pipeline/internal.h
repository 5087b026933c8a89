/* pipeline internals shared by its files; not part of the library API. */
#ifndef PL_PIPELINE_INTERNAL_H
#define PL_PIPELINE_INTERNAL_H

#include "lib/cas.h"
#include "lib/fstree.h"
#include "lib/gitsrc.h"
#include "lib/oci.h"
#include "lib/pipeline.h"
#include "lib/recipe.h"
#include "util/buf.h"

#define PL_SETTINGS_FILE "plinth.yaml"
#define PL_RECIPES_DIR "recipes"
#define PL_PATCHES_DIR "patches"
#define PL_BLOB_MAX ((size_t)2 << 30) /* files and tarballs read from git */

/* The curation repo at one commit. */
struct pl_source {
	struct pl_gitsrc *git;
	struct pl_gitsrc_commit commit;
	struct pl_settings *settings; /* defaults when plinth.yaml is absent */
};

/*
 * Open the repo and resolve the commit. With lint non-NULL, a broken
 * plinth.yaml is appended to it as a problem and the defaults are used;
 * otherwise it is an error.
 */
int pl_source_open(struct pl_source *s, const struct pl_source_opts *o, struct pl_lint *lint,
		   struct pl_err *err);
void pl_source_release(struct pl_source *s);

/* Read a file of the commit (NUL-terminated, caller frees). */
int pl_source_read(struct pl_source *s, const char *path, size_t max, char **data, size_t *len,
		   struct pl_err *err);

/* Recipe names (the files recipes/<name>.yaml), sorted; free with pl_oci_strv_release. */
int pl_source_recipe_names(struct pl_source *s, struct pl_oci_strv *names, struct pl_err *err);

/* Load and lint recipes/<name>.yaml. */
int pl_source_load_recipe(struct pl_source *s, const char *name, struct pl_recipe **out,
			  struct pl_err *err);

/* What assembling a recipe needs. */
struct pl_assemble_ctx {
	struct pl_source *src;
	struct pl_cas *content; /* file contents */
	int64_t epoch;          /* mtime of everything the recipe declares */
	const struct pl_source_opts *so; /* registry options and cache for registry bases */
};

/*
 * The layer of recipe layer l on top of merged (read-only here), as a diff
 * tree: tarballs first, then directories, files and symlinks, applied to a
 * copy of merged (declared paths resolve through its directory symlinks,
 * as a COPY would; tarball entries may not go through them), and the
 * difference taken.
 */
int pl_assemble_layer(const struct pl_assemble_ctx *c, const struct pl_recipe *r,
		      const struct pl_recipe_layer *l, const struct pl_fstree *merged,
		      struct pl_fstree **out, struct pl_err *err);

/*
 * The accounts layer: /etc/passwd and /etc/group (merged with those already
 * in merged) and home directories. *out is NULL when the recipe declares no
 * accounts.
 */
int pl_assemble_accounts(const struct pl_assemble_ctx *c, const struct pl_recipe *r,
			 const struct pl_fstree *merged, struct pl_fstree **out,
			 struct pl_err *err);

/* A recipe's base image, imported for one platform. */
struct pl_base {
	char *ref;                      /* as the recipe names it */
	char digest[PL_DIGEST_SIZE];    /* its manifest for this platform */
	struct pl_oci_manifest manifest;
	struct pl_oci_config config;
	bool repatched; /* its Plinth patch layer was dropped, to be replaced */
};

/*
 * Import the base ref for linux/arch[/variant]: copy its layer blobs into dst
 * unchanged (dst NULL: leave them where they are) and apply them to merged.
 * With drop_patch, the patch layer of an image Plinth patched is left out
 * (the new patch layer replaces it). Only oci:PATH:REF for now.
 */
int pl_base_import(const struct pl_assemble_ctx *c, const char *ref, const char *arch,
		   const char *variant, struct pl_cas *dst, bool drop_patch,
		   struct pl_fstree *merged, struct pl_base *out, struct pl_err *err);
void pl_base_release(struct pl_base *b);

/* ---- packages (packages.c) ---- */

struct pl_apt_lock;
struct pl_fetch;

/* What the package stage needs. */
struct pl_pkg_ctx {
	struct pl_source *src;
	struct pl_cas *content;  /* downloads and file contents */
	struct pl_fetch *fetch;
	const char *cache_dir;   /* verified InRelease files */
	bool offline;
	int64_t epoch;
};

/* A recipe's lock: one apt lock per architecture. */
struct pl_locks {
	char **archs;
	struct pl_apt_lock **locks;
	size_t n;
};

void pl_locks_release(struct pl_locks *l);
struct pl_apt_lock *pl_locks_get(const struct pl_locks *l, const char *arch);
int pl_locks_write(const struct pl_locks *l, const char *recipe, struct pl_buf *out,
		   struct pl_err *err);
int pl_locks_parse(const char *data, size_t len, const char *what, struct pl_locks *out,
		   struct pl_err *err);
/* The dpkg database a lock describes for arch, for matching patches without building. */
struct pl_pkgdb;
int pl_locks_pkgdb(const struct pl_locks *locks, const char *arch, struct pl_pkgdb **out,
		   struct pl_err *err);
/* "recipes/<name>.lock.json" */
int pl_lock_path(const char *recipe, struct pl_buf *out, struct pl_err *err);

/* Resolve the recipe's packages for each of its architectures. */
int pl_packages_resolve(const struct pl_pkg_ctx *c, const struct pl_recipe *r,
			struct pl_locks *out, struct pl_err *err);

/*
 * The locks a build uses: the commit's lock file, checked against the
 * recipe, or (update, or no lock file) a fresh resolution.
 */
int pl_packages_locks(const struct pl_pkg_ctx *c, const struct pl_recipe *r, bool update,
		      struct pl_locks *out, struct pl_err *err);

/*
 * Open the plinth.yaml repositories names (marks say where each was named)
 * for arch, keyrings read from the commit.
 */
struct pl_apt;
int pl_open_repos(const struct pl_pkg_ctx *c, const char *const *names,
		  const struct pl_mark *marks, size_t n, const char *arch, struct pl_apt **out,
		  struct pl_err *err);

/* True when the recipe or one of its layers names packages. */
bool pl_recipe_has_packages(const struct pl_recipe *r);

/* Every package request of the recipe: its own, then each layer's. */
int pl_recipe_requests(const struct pl_recipe *r, struct pl_oci_strv *out, struct pl_err *err);

/*
 * Split lock's packages into install groups: group 0 is what the recipe's
 * own packages need, group i what layer i's need that no earlier group
 * has. group has one slot per locked package.
 */
int pl_packages_groups(const struct pl_apt_lock *lock, const struct pl_recipe *r, size_t *group,
		       struct pl_err *err);

/*
 * Fetch, unpack and register lock's packages of install group g (all of
 * them when group is NULL) on a copy of merged; *layer is the difference
 * (a diff tree for the layer writer).
 */
int pl_packages_layer(const struct pl_pkg_ctx *c, const struct pl_recipe *r,
		      const struct pl_apt_lock *lock, const size_t *group, size_t g,
		      const struct pl_fstree *merged, struct pl_fstree **layer, struct pl_err *err);

/* The database path: o->db_path, else plinth.yaml's (src may be NULL). Malloc'd. */
int pl_vuln_db_path(const struct pl_vuln_opts *o, struct pl_source *src, char **out,
		    struct pl_err *err);

/*
 * Scan an inventory against g->db_path with the repo's ignore file (src may
 * be NULL). *out owned by the caller (pl_report_free).
 */
int pl_scan_inventory(struct pl_source *src, const struct pl_scan_gate_opts *g,
		      const struct pl_inventory *inv, const char *target, const char *digest,
		      struct pl_report **out, struct pl_err *err);

/*
 * For each source package of the recipe's locks, the changelog of its newest
 * binary in the recipe's repositories goes into db (the CVEs its entries
 * name, fixed in their versions): what a mirror alone can tell.
 */
int pl_packages_changelogs(const struct pl_pkg_ctx *c, const struct pl_recipe *r,
			   const struct pl_locks *locks, struct pl_vulndb *db,
			   struct pl_vulndb_stats *st, struct pl_err *err);

/* ---- patches (patches.c) ---- */

/* The central patches a build considers, in application order. */
struct pl_patchset {
	struct pl_patchdef **v;
	size_t n;
};

/*
 * Load patches/<id>.yaml at the commit: minus plinth.yaml's exclusions, only
 * those the recipe takes (r NULL: all), only the ids in only when nonly > 0;
 * ordered by plinth.yaml's patches.order, then by id. A malformed patch is
 * an error naming file:line:col.
 */
int pl_patchset_load(struct pl_source *src, const struct pl_recipe *r,
		     const char *const *only, size_t nonly, struct pl_patchset *out,
		     struct pl_err *err);
void pl_patchset_release(struct pl_patchset *ps);

struct pl_patch_applied;

/* What the patch stage did to one platform's image. */
struct pl_patched {
	struct pl_patch_applied *v; /* the patches that matched, in order */
	size_t n;
	struct pl_fstree *layer;    /* the patch layer (diff tree), NULL when none matched */
};

/*
 * Apply every patch of ps that matches the image in merged (by its dpkg
 * database, recipe_name and labels) to a copy of merged: *patched is the
 * patched tree (NULL when nothing matched), out the records and the layer.
 */
int pl_patch_tree(const struct pl_pkg_ctx *c, const struct pl_recipe *r, const char *recipe_name,
		  const struct pl_recipe_map *labels, const char *deb_arch,
		  const struct pl_patchset *ps, const struct pl_fstree *merged,
		  struct pl_fstree **patched, struct pl_patched *out, struct pl_err *err);
void pl_patched_release(struct pl_patched *pd);

/* ---- one recipe's build (build.c); fleet.c runs them ---- */

/* A build context of its own: repository handle, content store, layout. */
struct pl_build_job;
int pl_build_job_open(const struct pl_build_opts *o, const char *out_dir,
		      struct pl_build_job **out, struct pl_err *err);
/* Build recipe name into img (filled also on failure as far as it got). */
int pl_build_job_recipe(struct pl_build_job *j, const char *name, struct pl_built_image *img,
			struct pl_err *err);
struct pl_source *pl_build_job_source(struct pl_build_job *j);
struct pl_oci_layout *pl_build_job_layout(struct pl_build_job *j);
void pl_build_job_free(struct pl_build_job *j);

/* Build names again in a scratch layout and set each image's reproducible flag. */
int pl_build_check_reproducible(const struct pl_build_opts *o, const struct pl_oci_strv *names,
				struct pl_build_result *res, struct pl_err *err);

/*
 * The inputs of recipe name at the source's commit: each part, and one
 * digest over all of them (see pl_build). patches lists "ID" of the
 * patches that may apply, in order; patch_blobs their blob ids.
 */
struct pl_build_inputs {
	char recipe_blob[41];
	char lock_blob[41];               /* "" without a lock file */
	char base[PL_DIGEST_SIZE];        /* the base's manifest digest, "" for scratch */
	char db[PL_DIGEST_SIZE];          /* the database snapshot, "" when the gate has none */
	struct pl_oci_strv patches;
	char digest[PL_DIGEST_SIZE];
};
int pl_build_inputs(struct pl_source *src, const struct pl_build_opts *o, const char *name,
		    struct pl_build_inputs *out, struct pl_err *err);
void pl_build_inputs_release(struct pl_build_inputs *in);
/* Only the ids of the patches that may apply to recipe name (see pl_build_inputs). */
int pl_build_may_apply(struct pl_source *src, const struct pl_build_opts *o, const char *name,
		       struct pl_oci_strv *ids, struct pl_err *err);

/* ---- signatures.c: cosign's storage, in any store ---- */

struct pl_store;
struct pl_sign_key;
struct pl_sign_keyring;
/* The manifest digests of the image reference names: the top one, then each platform's. */
int pl_image_digests(struct pl_store *s, const char *reference, struct pl_oci_strv *out,
		     struct pl_err *err);
/* Sign each digest (claims: the manifest's Plinth annotations, plus extra). */
int pl_sign_digests(struct pl_store *s, const struct pl_sign_key *key,
		    const struct pl_oci_strv *digests, const json_t *extra, struct pl_err *err);
/* Attach a signed in-toto statement about digest; env_digest (may be NULL) gets the envelope's. */
int pl_attest_digest(struct pl_store *s, const struct pl_sign_key *key, const char *digest,
		     const char *predicate_type, const json_t *predicate,
		     char env_digest[PL_DIGEST_SIZE], struct pl_err *err);
/* Verify every manifest of the image against ring and identity (NULL: the store's). */
int pl_verify_store(struct pl_store *s, const char *reference,
		    const struct pl_sign_keyring *ring, const char *identity,
		    struct pl_verified *out, struct pl_err *err);
int pl_attestations_store(struct pl_store *s, const char *reference,
			  const struct pl_sign_keyring *ring, const char *type, json_t **out,
			  struct pl_err *err);

/*
 * The public keys the curation repo's trust.images rule for identity names
 * (read at the commit), added to ring; *covered (may be NULL) says whether a
 * rule matched, *all (may be NULL) whether it requires every key. No rule: PL_EUSAGE asking for --key or --keys.
 */
int pl_trust_policy_keys(const struct pl_source_opts *so, const char *identity,
			 struct pl_sign_keyring *ring, bool *covered, bool *all, struct pl_err *err);

/*
 * May ref be imported as a base? plinth.yaml's trust.bases (when present)
 * must list its repository (and digest, when the entry lists digests);
 * when the entry names keys, the image must be signed by one of them.
 * PL_EPOLICY saying why not.
 */
int pl_trust_check_base(struct pl_source *src, const struct pl_source_opts *so,
			const char *ref, struct pl_err *err);

/* Recipe error prefix "file:line:col". */
#define PL_MARK_FMT "%s:%d:%d"
#define PL_MARK_ARGS(m) ((m).file ? (m).file : "?"), (m).line, (m).col

#endif
