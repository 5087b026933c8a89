/*
 * pipeline: runs the stages for recipes read from one commit of a curation
 * repo (source -> assemble -> write -> publish to an OCI layout), and the
 * read-only commands around it (lint, inspect). It owns no format of its
 * own: it wires gitsrc, recipe, fstree, cas, layer and oci together. The
 * caller (the CLI) supplies everything from the environment through options.
 */
#ifndef PL_PIPELINE_H
#define PL_PIPELINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/oci.h"
#include "lib/registry.h"
#include "lib/recipe.h"
#include "lib/vulndb.h"
#include "util/err.h"

/* Where the curation repo comes from. */
struct pl_source_opts {
	const char *repo;      /* path or URL; NULL = "." */
	const char *ref;       /* NULL = HEAD */
	const char *cache_dir; /* clones of URLs, file-content store, pulled images */
	const struct pl_reg_opts *reg; /* registry options for image references; NULL = defaults */
};

struct pl_build_opts {
	struct pl_source_opts src;
	const char *out_dir;           /* OCI layout dir; NULL = plinth.yaml's output */
	const char *const *recipes;    /* recipe names; ignored with all */
	size_t nrecipes;
	bool all;
	bool has_epoch;                /* SOURCE_DATE_EPOCH given: overrides the commit time */
	int64_t epoch;
	bool zstd;                     /* zstd layers (else plinth.yaml's, default gzip) */
	int threads;                   /* compression threads; 0 = all CPUs */
	bool check_reproducible;       /* build again in a scratch layout and compare */
	const char *tmp_dir;           /* for scratch directories; NULL = /tmp */
	bool offline;                  /* no network: cached downloads only */
	bool update_lock;              /* resolve packages afresh, ignoring the lock file */
	const char *db_path;           /* vulnerability database; NULL = plinth.yaml's */
	const char *today;             /* "YYYY-MM-DD" for ignore expiry; NULL = never */
	/* plinth patch: a recipe made on the spot instead of recipes/<name>.yaml */
	const char *adhoc_recipe;      /* YAML text, or NULL */
	const char *out_ref;           /* the ref to tag instead of NAME:TAG, or NULL */
	const char *const *patch_ids;  /* only these patches (npatch_ids > 0) */
	size_t npatch_ids;
	const char *push_to;           /* "REGISTRY/NAMESPACE": publish every tag there, or NULL */
	/* signing: after the gate, before any tag developers pull */
	const char *sign_key;          /* private key; NULL: plinth.yaml's signing.key, else unsigned */
	bool sign;                     /* sign (with sign_key or plinth.yaml's) */
	const char *sign_pass;
	size_t sign_passlen;
	/* fleet builds */
	int jobs;                      /* recipes built at once; 0 = 1 */
	bool force;                    /* rebuild even when the inputs are unchanged */
	const char *ledger_path;       /* NULL: plinth.yaml's ledger.path */
	bool no_ledger;                /* neither read nor append build records */
};



/* One image a build wrote. */
struct pl_built_image {
	char *name;                    /* recipe name */
	char *recipe_file;             /* "recipes/<name>.yaml" */
	struct pl_oci_desc desc;       /* what the tags point at: manifest or index */
	struct pl_oci_strv refs;       /* layout ref names, "<name>:<tag>" */
	struct pl_oci_strv platforms;  /* "linux/amd64", ... */
	size_t nlayers;                /* layers per platform */
	bool reproducible;             /* with check_reproducible: second build matched */
	/* the scan of the assembled image (summed over platforms) */
	bool scanned;                  /* false: no database, or no package database */
	bool gate_refused;             /* the vulnerability policy refused the image */
	const char *not_scanned;       /* why not (static string), or NULL */
	size_t by_sev[7];              /* enum pl_sev -> findings not ignored */
	size_t by_state[4];            /* enum pl_fstate -> findings not ignored */
	size_t ignored;
	char db_digest[PL_DIGEST_SIZE];
	char *report_json;             /* the last platform's report (JSON), or NULL */
	char *sbom_json;               /* the last platform's SPDX SBOM, or NULL */
	char *cdx_json;                /* the same as CycloneDX, or NULL */
	/* the patch stage (last platform) */
	char *patch_ids;               /* "PL-1,PL-2" applied, or NULL */
	char *patch_record;            /* JSON record of what each patch did, or NULL */
	char *patch_closed;            /* JSON {"PL-1": ["CVE-a"]}: CVEs each patch closed */
	bool patched_scan;             /* before_sev is the scan before patching */
	size_t before_sev[7];
	size_t fixable_sev[7];         /* by_sev, only findings with a fixed version */
	size_t before_fixable_sev[7];
	/* the fleet: how this recipe's build went */
	int rc;                        /* 0, or the error that stopped it */
	char *message;                 /* that error's message, or NULL */
	bool unchanged;                /* inputs as at its last successful build: not rebuilt */
	char inputs[PL_DIGEST_SIZE];   /* digest of everything the build depends on */
	int64_t started, finished;
	/* publishing (push_to) */
	struct pl_oci_strv published;  /* "REGISTRY/NAMESPACE/NAME:TAG" for each tag pushed */
	uint64_t bytes_sent;           /* blob bytes uploaded for this image */
	/* signing (sign_key) */
	char key_id[PL_DIGEST_SIZE];   /* "" when not signed */
	struct pl_oci_strv attestations; /* "TYPE sha256:<envelope digest>" */
};

struct pl_build_result {
	char commit[41];
	char *repo_url;
	int64_t epoch;
	char *out_dir;
	char *ledger;                  /* the ledger the builds were recorded in, or NULL */
	struct pl_built_image *images; /* one per recipe asked for, in name order */
	size_t n;
	size_t built, unchanged, refused, failed;
};

/*
 * Build the recipes named in o (or all) at the commit into the layout,
 * o->jobs at once. A failing recipe does not stop the others: each image
 * in res says how its build went (rc, message, gate_refused, unchanged).
 * A recipe whose inputs (recipe and lock blobs, the patches that may apply,
 * base image digest, database snapshot when the gate uses it, builder and
 * options) equal those of its last successful build in the ledger, and
 * whose image is still in the layout, is not rebuilt unless o->force.
 * Every build is appended to the ledger, whatever its outcome. Returns 0
 * when every recipe succeeded; otherwise an error summing up the failures
 * (PL_EPOLICY when all of them were gate refusals). With
 * check_reproducible, the recipes built are built again into a scratch
 * layout and must give the same digests, else PL_EVERIFY. Release res with
 * pl_build_result_release in every case.
 */
int pl_build(const struct pl_build_opts *o, struct pl_build_result *res, struct pl_err *err);
void pl_build_result_release(struct pl_build_result *res);

struct pl_patch_image_opts {
	struct pl_build_opts build;    /* src, out_dir, epoch, db, ... */
	const char *target;            /* oci:DIR:REF of the image to patch */
	const char *out_ref;           /* ref name in build.out_dir */
	const char *arch;              /* Debian architecture; NULL = amd64 */
};

/*
 * plinth patch: the central patches that match target applied as one patch
 * layer on its unchanged layers (replacing a patch layer Plinth added
 * before), scanned and gated like a build, tagged out_ref in the output
 * layout. The result has one image.
 */
int pl_patch_image(const struct pl_patch_image_opts *o, struct pl_build_result *res,
		   struct pl_err *err);

/*
 * plinth patch --plan: for each recipe (all when n is 0), the patches that
 * match it -- by its lock's packages, its name and labels -- and what they
 * would do, without building: [{"recipe", "patches": [{"id", "why",
 * "actions": ["upgrade libssl3 from bookworm-security", ...]}]}].
 */
int pl_patch_plan(const struct pl_source_opts *so, const char *const *recipes, size_t n,
		  bool offline, json_t **out, struct pl_err *err);

/*
 * Publish a built image: each of its layout refs NAME:TAG in out_dir is
 * copied to push_to/NAME:TAG (blobs first, the tag last; blobs the registry
 * has are skipped or mounted), recorded in img->published. With key, the
 * image is first pushed by digest, signed and attested there (naming the
 * registry repository), and tagged only then; without push_to, it is
 * signed and attested in the layout.
 */
struct pl_sign_key;
int pl_publish(const struct pl_source_opts *so, const char *out_dir, const char *push_to,
	       const struct pl_sign_key *key, const struct pl_build_result *res,
	       struct pl_built_image *img, struct pl_err *err);

/*
 * plinth plan: for the recipes of o (all when o->all or none named), which
 * need a rebuild at the commit and why, against their last successful
 * build in the ledger (o->ledger_path or plinth.yaml's): {"commit",
 * "images": [{"recipe", "rebuild", "reasons": [...], "last": {...}}],
 * "matrix": {"include": [{"recipe", "reasons"}]}}. Caller owns *out.
 */
int pl_plan(const struct pl_build_opts *o, json_t **out, struct pl_err *err);

struct pl_ledger;
struct pl_ledger_rollout;

struct pl_rollout_opts {
	struct pl_source_opts src;  /* the curation repo (default: around the current directory) */
	const char *ledger_path;    /* NULL: plinth.yaml's ledger.path, else out/ledger.db */
	const char *const *patch_ids; /* only these patches (npatch_ids > 0) */
	size_t npatch_ids;
	int64_t now;                /* "first seen" of patches no build has seen yet */
};

/*
 * The rollout matrix from the ledger and the curation repo as it stands:
 * patches at the commit that no build evaluated yet are included, and a
 * cell no build evaluated is not-applicable when the patch does not match
 * the recipe (its lock, name, labels). Outside a curation repo (and without
 * o->src.repo) the ledger alone answers. *ledger is the opened ledger (the
 * rollout's strings live in *out; free both).
 */
int pl_rollout(const struct pl_rollout_opts *o, struct pl_ledger **ledger,
	       struct pl_ledger_rollout **out, struct pl_err *err);

/*
 * Where the ledger is: flag when given, else plinth.yaml's ledger.path in
 * the curation repo of so (when it opens), else "out/ledger.db". A missing
 * file is PL_ENOTFOUND naming it (reports never create a ledger). Caller
 * frees *path.
 */
int pl_ledger_locate(const struct pl_source_opts *so, const char *flag, char **path,
		     struct pl_err *err);

/* ---- signatures and attestations ---- */

/* One good signature of a manifest. */
struct pl_verified_sig {
	char *digest;       /* the manifest it is for */
	char *key;          /* the key's name (its file), or its id */
	char key_id[PL_DIGEST_SIZE];
	char *identity;     /* the repository the payload names */
	json_t *optional;   /* the claims (an object) */
};

struct pl_verified {
	struct pl_oci_strv digests; /* every manifest of the image: the top one, then platforms */
	struct pl_verified_sig *sigs;
	size_t n;
};
void pl_verified_release(struct pl_verified *v);

struct pl_trust_opts {
	struct pl_source_opts src;  /* registry options; the curation repo for its policy and keys */
	const char *key;            /* sign: the private key; verify: a public key */
	const char *keys_dir;       /* verify: every public key in this directory */
	const char *pass;           /* the private key's passphrase (may be NULL) */
	size_t passlen;
	const char *identity;       /* verify: the repository the signatures must name; NULL:
				       the image's own (registry domain/path, layout ref name) */
};

/*
 * plinth sign: sign the image ref (in a layout or a registry) and, for an
 * index, each platform's manifest, with o->key, as cosign does (payload
 * with the image's recipe, commit and patches as claims; layer of the
 * sha256-<hex>.sig manifest, existing signatures kept). digests (may be
 * NULL) gets what was signed; key_id (may be NULL) the key's id.
 */
int pl_sign_ref(const struct pl_trust_opts *o, const char *ref, struct pl_oci_strv *digests,
		char key_id[PL_DIGEST_SIZE], struct pl_err *err);

/*
 * plinth verify: every manifest of the image must carry a valid signature
 * by a trusted key (o->key, o->keys_dir, else the keys the curation repo's
 * trust.images rule names for the image's repository) naming its
 * repository. PL_EVERIFY saying what was wrong (unsigned, another key,
 * another digest, another identity, changed payload).
 */
int pl_verify_ref(const struct pl_trust_opts *o, const char *ref, struct pl_verified *out,
		  struct pl_err *err);

/*
 * plinth attestations: the verified attestations of the image (type NULL:
 * all): [{"predicateType", "signedBy", "predicate"}]. Caller owns *out.
 */
int pl_attestations_ref(const struct pl_trust_opts *o, const char *ref, const char *type,
			json_t **out, struct pl_err *err);

/*
 * plinth pull: copy src to dst (as pl_copy) after verifying src's
 * signatures when the trust policy covers its repository (or o->key /
 * o->keys_dir are given): unsigned, wrongly signed or tampered images are
 * refused before anything is written. A repository no rule covers is
 * copied unverified, unless trust.default is deny (PL_EPOLICY).
 * skip_verify skips the check, loudly. verified gets the good signatures
 * (empty when nothing was checked); release it.
 */
int pl_pull(const struct pl_trust_opts *o, const char *src, const char *dst,
	    const struct pl_copy_opts *co, bool skip_verify, struct pl_copy_result *res,
	    struct pl_verified *verified, struct pl_err *err);

/* The build result as JSON (caller owns *out). */
int pl_build_result_json(const struct pl_build_result *res, json_t **out, struct pl_err *err);

struct pl_lock_opts {
	struct pl_source_opts src;     /* a local repository with a work tree */
	const char *const *recipes;    /* names; none (or all) = every recipe */
	size_t nrecipes;
	bool all;
	bool offline;
};

struct pl_lock_result {
	struct pl_oci_strv files;      /* lock files written, repo-relative */
	size_t *pkgs;                  /* packages pinned in each (all architectures) */
};

/*
 * Resolve the packages of the recipes at the commit against their
 * repositories and write recipes/<name>.lock.json into the work tree
 * (atomically), for the admin to review and commit. Recipes without
 * packages are skipped.
 */
int pl_lock(const struct pl_lock_opts *o, struct pl_lock_result *res, struct pl_err *err);
void pl_lock_result_release(struct pl_lock_result *res);

/* ---- scanning ---- */

struct pl_inventory;
struct pl_report;

/* How findings are judged. */
struct pl_scan_gate_opts {
	const char *db_path;  /* NULL: plinth.yaml's vulndb.path */
	int fail_on;          /* enum pl_sev; PL_SEV_UNKNOWN (0) never fails */
	bool ignore_unfixed;  /* only fixable findings break the gate */
	const char *today;    /* "YYYY-MM-DD" for ignore expiry; NULL = never expired */
};

struct pl_scan_target_opts {
	struct pl_source_opts src;  /* the curation repo, when the scan runs in one */
	const char *target;         /* oci:DIR:REF or rootfs:DIR */
	const char *arch;           /* platform of a multi-arch image; NULL = amd64 */
	bool want_report;           /* false: inventory only (plinth sbom) */
	struct pl_scan_gate_opts gate;
};

struct pl_scan_result {
	struct pl_inventory *inv;
	struct pl_report *report;   /* with want_report */
	char *name;
	char digest[PL_DIGEST_SIZE]; /* manifest digest of an oci: target, else "" */
	int gate_rc;                /* 0, or PL_EPOLICY with gate_err saying why */
	struct pl_err gate_err;
};

/*
 * Inventory and, with want_report, scan a target against the database,
 * applying the curation repo's .plinthignore.yaml and evaluating the gate
 * (its verdict in res->gate_rc; a failing gate is not an error here).
 */
int pl_scan_target(const struct pl_scan_target_opts *o, struct pl_scan_result *res,
		   struct pl_err *err);
void pl_scan_result_release(struct pl_scan_result *res);

/* ---- the vulnerability database ---- */

struct pl_vuln_opts {
	struct pl_source_opts src;     /* plinth.yaml: vulndb.path and feeds */
	const char *db_path;           /* NULL = plinth.yaml's vulndb.path */
	bool offline;
	bool changelogs;               /* update: also the changelogs of the newest packages */
};

struct pl_vuln_result {
	struct pl_vulndb_stats stats;
	char snapshot[PL_DIGEST_SIZE]; /* the database snapshot afterwards */
};

/* Import feed files (OSV files, dirs or zips, tracker JSON, secdb) into o->db_path. */
int pl_vuln_import(const struct pl_vuln_opts *o, enum pl_feed_kind kind,
		   const char *const *paths, size_t n, struct pl_vuln_result *res,
		   struct pl_err *err);

/*
 * Fetch and import every feed plinth.yaml lists (vulndb: feeds:); with
 * changelogs, also record the CVEs named in the changelog of the newest
 * version, in the recipes' repositories, of every package the recipes
 * install (the air-gapped fallback: what a mirror alone can tell).
 */
int pl_vuln_update(const struct pl_vuln_opts *o, struct pl_vuln_result *res, struct pl_err *err);

/*
 * Lint plinth.yaml, every patch, and the given recipes (all when nrecipes is
 * 0) at the commit. Every problem is appended to out; returns the number of
 * problems or a negative error when the repo itself can not be read.
 */
int pl_lint_repo(const struct pl_source_opts *src, const char *const *recipes, size_t nrecipes,
		 struct pl_lint *out, struct pl_err *err);

/*
 * Describe the image ref names ("oci:DIR[:REF]" or a registry reference, pulled
 * through pl_image_local) as JSON: digest, media type,
 * and for a manifest its manifest and config; for an index the index and
 * each platform's manifest and config. Caller owns *out.
 */
int pl_inspect(const struct pl_source_opts *so, const char *ref, json_t **out,
	       struct pl_err *err);

/*
 * An image reference as an OCI layout reference: "oci:..." is returned as
 * it is; a registry reference is pulled (every platform; blobs already in
 * the cache are not fetched again) into the layout <cache_dir>/images and
 * named there, and *local is "oci:<cache_dir>/images:<name>". With digest
 * non-NULL it gets the top manifest's digest (registry references only;
 * "" otherwise). Caller frees *local.
 */
int pl_image_local(const struct pl_source_opts *so, const char *ref, char **local,
		   char digest[PL_DIGEST_SIZE], struct pl_err *err);

#endif
