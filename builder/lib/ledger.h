/*
 * ledger: the record of every build (SQLite, WAL, one transaction per
 * append) and the rollout queries over it: which patch reached which image.
 * The only module that opens the ledger database; sqlite errors become
 * pl_err messages naming the ledger path. Builds are ordered by append
 * order (their id): "newest" always means most recently appended.
 */
#ifndef PL_LEDGER_H
#define PL_LEDGER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct pl_ledger;

/* The schema version this plinth writes (PRAGMA user_version). */
#define PL_LEDGER_SCHEMA_VERSION 2

enum pl_ledger_outcome {
	PL_LEDGER_SUCCESS = 0,      /* built (and published if asked) */
	PL_LEDGER_GATE_REFUSED = 1, /* the policy gate refused the image */
	PL_LEDGER_ERROR = 2,        /* any other failure */
};

enum pl_ledger_severity {
	PL_LEDGER_CRITICAL = 0,
	PL_LEDGER_HIGH,
	PL_LEDGER_MEDIUM,
	PL_LEDGER_LOW,
	PL_LEDGER_UNKNOWN,
	PL_LEDGER_NSEV
};

/* Findings of one scan: counts by severity, split by fix state. */
struct pl_ledger_findings {
	uint32_t fixable[PL_LEDGER_NSEV]; /* a fixed version is available */
	uint32_t unfixed[PL_LEDGER_NSEV]; /* no fix available (yet) */
};

/*
 * A central patch's metadata. On input (append, upsert, rollout extras)
 * only id is required and first_seen/first_commit/known are ignored; on
 * output they say when the ledger first saw it (the first build that
 * evaluated it, or the first upsert) and known is false for an extra patch
 * the ledger has never recorded.
 */
struct pl_ledger_patch {
	const char *id;
	const char *title;
	const char *severity;
	const char *const *cves;
	size_t ncves;
	const char *advisory; /* URL or text */
	int64_t first_seen;
	const char *first_commit;
	bool known;
};

enum pl_ledger_eval {
	PL_LEDGER_APPLIED = 0,
	PL_LEDGER_NOT_APPLICABLE = 1,
};

struct pl_ledger_patch_eval {
	struct pl_ledger_patch patch;
	enum pl_ledger_eval status;
};

/*
 * One build record. The caller fills it for pl_ledger_append (any string
 * may be NULL, lists may be empty; id is ignored). Results read back from
 * the ledger point into their owner (history, last success) and carry id.
 * published holds where the image went ("registry/repo:tag", "oci:DIR:REF");
 * a build is "published" when the list is not empty. patches holds every
 * patch known at the build's commit with what the build made of it; a build
 * that failed before patching has none.
 */
struct pl_ledger_build {
	int64_t id;
	int64_t started, finished; /* unix seconds, from the caller's clock */
	const char *builder_version;
	const char *repo_url, *commit;
	const char *recipe; /* the image name; required */
	const char *lock_digest, *recipe_blob, *base_digest, *vulndb_digest;
	const char *inputs_digest; /* hash of all inputs, for incremental builds */
	const char *image_digest;  /* manifest digest */
	const char *signing_key;
	const char *const *tags;
	size_t ntags;
	const char *const *published;
	size_t npublished;
	const char *const *attestations;
	size_t nattestations;
	enum pl_ledger_outcome outcome;
	const char *message;
	struct pl_ledger_findings before, after;
	const struct pl_ledger_patch_eval *patches;
	size_t npatches;
};

/*
 * Open the ledger at path, creating missing parent directories and the
 * database, and migrate its schema forward in one transaction. A ledger with
 * a newer schema than this plinth knows is PL_EINVAL. WAL mode, a 10 s busy
 * timeout and foreign keys, so several builders may append at once. Free
 * with pl_ledger_free (NULL is fine).
 */
int pl_ledger_open(struct pl_ledger **out, const char *path, struct pl_err *err);
void pl_ledger_free(struct pl_ledger *l);

/* The path the ledger was opened with (borrowed). */
const char *pl_ledger_path(const struct pl_ledger *l);

/*
 * Append one build record atomically (BEGIN IMMEDIATE ... COMMIT; inside a
 * batch, a savepoint): the build, its lists, findings and patch evaluations,
 * the patches' metadata (upserted: a NULL field keeps the stored value,
 * first seen time and commit are kept) and the rollout state. *id (may be
 * NULL) receives the new build's id. PL_EINVAL without a recipe; PL_EIO on a
 * database failure, which leaves the ledger as it was.
 */
int pl_ledger_append(struct pl_ledger *l, const struct pl_ledger_build *b, int64_t *id,
		     struct pl_err *err);

/*
 * Record patches known at the current repo state (metadata upserted as in
 * append; new ones get first_seen = now and first_commit = commit, which may
 * be NULL). They then show in the rollout as pending where no build has
 * evaluated them. The rollout options' extra patches do the same without
 * writing.
 */
int pl_ledger_upsert_patches(struct pl_ledger *l, const struct pl_ledger_patch *patches,
			     size_t n, int64_t now, const char *commit, struct pl_err *err);

/*
 * Group many appends in one transaction (a bulk import, the benchmark's
 * generator): batch_begin takes the write lock, batch_end commits (commit
 * true) or rolls everything back.
 */
int pl_ledger_batch_begin(struct pl_ledger *l, struct pl_err *err);
int pl_ledger_batch_end(struct pl_ledger *l, bool commit, struct pl_err *err);

/* ---- builds of one image ---- */

/* Builds read back from the ledger; they own everything they point to. */
struct pl_ledger_history {
	const char *recipe;
	size_t n;
	const struct pl_ledger_build *builds; /* newest first */
	void *priv;
};

/*
 * Every build of recipe, newest first, with findings, patch evaluations and
 * lists. An image the ledger never saw gives n = 0 (not an error). Free
 * with pl_ledger_history_free.
 */
int pl_ledger_history(struct pl_ledger *l, const char *recipe, struct pl_ledger_history **out,
		      struct pl_err *err);
void pl_ledger_history_free(struct pl_ledger_history *h);

/*
 * The newest successful build of recipe (n = 1) or none (n = 0), to decide
 * whether its inputs are unchanged. Failed and refused builds are skipped.
 */
int pl_ledger_last_success(struct pl_ledger *l, const char *recipe,
			   struct pl_ledger_history **out, struct pl_err *err);

/* ---- rollout ---- */

/*
 * Rollout state of one (patch, image) cell. From the image's builds:
 *   eval    = the newest build that evaluated the patch (any outcome);
 *   carrier = the newest successful build that applied it;
 *   pub     = the newest successful build that applied it and was published;
 *   latest  = the image's newest build.
 * The state is, first rule that matches:
 *   NOT_APPLICABLE  eval recorded not_applicable (build = eval);
 *   PUBLISHED       pub exists (build = pub: digest, when, where);
 *   BUILT           carrier exists, never published (build = carrier);
 *   FAILED          latest failed or was refused, and either some build
 *                   evaluated the patch or latest recorded no patch
 *                   evaluations at all (failed before patching) and started
 *                   at or after the patch was first seen (build = latest);
 *   PENDING         otherwise: no build since the patch appeared took it
 *                   (build = latest, which predates the patch).
 * latest_failed is the image's newest build when that one failed and is not
 * the cell's build: e.g. published with the patch, then a rebuild failed --
 * the published digest still carries the patch, the failure is shown too.
 */
enum pl_ledger_state {
	PL_LEDGER_PENDING = 0,
	PL_LEDGER_BUILT,
	PL_LEDGER_PUBLISHED,
	PL_LEDGER_FAILED,
	PL_LEDGER_STATE_NA, /* not-applicable */
};

/* A build as a rollout cell refers to it. */
struct pl_ledger_ref {
	int64_t id, started, finished;
	enum pl_ledger_outcome outcome;
	const char *message;
	const char *commit;
	const char *image_digest;
	const char *const *tags;
	size_t ntags;
	const char *const *published;
	size_t npublished;
};

struct pl_ledger_cell {
	enum pl_ledger_state state;
	const struct pl_ledger_ref *build;         /* see the rules; NULL if none */
	const struct pl_ledger_ref *latest_failed; /* NULL unless so */
};

struct pl_ledger_rollout_opts {
	/* patches to report (NULL: every patch in the ledger plus extras) */
	const char *const *patch_ids;
	size_t npatch_ids;
	/*
	 * Patches known at the current repo state. One the ledger has never
	 * seen is reported (if selected) as first seen at now, pending or
	 * failed everywhere; for a known one the ledger's record wins.
	 */
	const struct pl_ledger_patch *extra;
	size_t nextra;
	int64_t now;
	/*
	 * For a cell no build has evaluated (pending, or failed before
	 * patching): does the patch apply to the image as the curation repo
	 * stands? 0 makes the cell not-applicable (build = latest), 1 or
	 * a negative value (unknown: an image the repo no longer has) keeps it.
	 * NULL: every unevaluated cell may apply.
	 */
	int (*applies)(void *ctx, const char *patch_id, const char *image);
	void *applies_ctx;
};

/*
 * The matrix: patches sorted by id, images (every recipe in the ledger)
 * sorted by name, cells[p * nimages + i]. Owns everything it points to.
 */
struct pl_ledger_rollout {
	size_t npatches;
	const struct pl_ledger_patch *patches;
	size_t nimages;
	const char *const *images;
	const struct pl_ledger_cell *cells;
	void *priv;
};

/*
 * Compute the rollout matrix. A selected patch id found neither in the
 * ledger nor in opts->extra is PL_ENOTFOUND. opts may be NULL (everything).
 * Free with pl_ledger_rollout_free.
 */
int pl_ledger_rollout(struct pl_ledger *l, const struct pl_ledger_rollout_opts *opts,
		      struct pl_ledger_rollout **out, struct pl_err *err);
void pl_ledger_rollout_free(struct pl_ledger_rollout *r);

/*
 * The rollout of one patch (npatches = 1) for the advisory bulletin: the
 * patch's metadata and every image's cell. extra as in the rollout options.
 */
int pl_ledger_advisory(struct pl_ledger *l, const char *patch_id,
		       const struct pl_ledger_patch *extra, size_t nextra, int64_t now,
		       struct pl_ledger_rollout **out, struct pl_err *err);

/* "success", "gate-refused", "error"; "published", "built", ... */
const char *pl_ledger_outcome_name(enum pl_ledger_outcome o);
const char *pl_ledger_state_name(enum pl_ledger_state s);
const char *pl_ledger_severity_name(enum pl_ledger_severity s);

/* ---- JSON (jansson; dump with pl_json_dump for sorted, stable bytes) ---- */

/*
 * Each builds a new JSON value the caller owns (json_decref); PL_ENOMEM on
 * failure. Shapes:
 *   build:    {"id", "recipe", "started", "finished", "outcome", "message",
 *              "commit", "repo_url", "image_digest", "tags": [...],
 *              "published": [...], "attestations": [...], "findings":
 *              {"before"|"after": {"fixable"|"unfixed": {"critical": n, ...},
 *              "total": n}}, "patches": [{"id", "status"}], "applied": [ids],
 *              ... every other field, null when unset}
 *   history:  {"image", "builds": [build...]}
 *   rollout:  {"images": [names], "builds": {"<id>": ref}, "patches":
 *              [patch + {"states": [state], "builds": [id|null],
 *              "latest_failed": [id|null], "summary": {"published": n,
 *              ...}}]}: each patch's columns are parallel to "images" and
 *              each build is written once, so a 100,000-cell matrix stays
 *              a few MB and fast; ref: {"id", "finished", "outcome",
 *              "message", "commit", "digest", "tags", "published"}; patch:
 *              {"id", "title", "severity", "cves", "advisory", "first_seen",
 *              "first_commit", "known"}
 *   advisory: patch + {"cells": [{"image", "state", "build": ref,
 *              "latest_failed": ref} (absent when NULL)], "summary"}
 */
int pl_ledger_build_json(const struct pl_ledger_build *b, json_t **out, struct pl_err *err);
int pl_ledger_history_json(const struct pl_ledger_history *h, json_t **out, struct pl_err *err);
int pl_ledger_rollout_json(const struct pl_ledger_rollout *r, json_t **out, struct pl_err *err);
int pl_ledger_advisory_json(const struct pl_ledger_rollout *r, json_t **out, struct pl_err *err);

/* ---- reports: terminal tables, Markdown, self-contained HTML ---- */

struct pl_buf;

/*
 * What the report renderers show besides the data; every field may be
 * NULL or 0, and a NULL opts is all defaults. generated is only printed
 * (pass a fixed time for reproducible output).
 */
struct pl_ledger_report_opts {
	const char *title;      /* heading (default "Security patch rollout") */
	const char *source;     /* the ledger's path, shown in the page header */
	int64_t generated;      /* "as of" time, unix seconds; 0 omits it */
	const char *keys_dir;   /* advisory: plinth verify --keys DIR (default "keys/") */
	const char *cosign_key; /* advisory: cosign verify --key FILE (default "keys/cosign.pub") */
};

/*
 * Each appends one rendering to out and returns 0, or PL_ENOMEM (out then
 * holds a partial rendering the caller discards). Every string from the
 * ledger is escaped for the output (HTML, Markdown, shell words in the
 * pull and verify commands; control characters are dropped on terminals).
 *
 * rollout_table: without detail one line per patch with counts by state;
 * with detail, per patch a block listing every applicable image's state,
 * digest, time, commit and where it went or why it failed.
 * rollout_md: the summary and the per-patch tables as Markdown.
 * rollout_html: one HTML page with no external assets (inline CSS and JS,
 * a CSP forbidding any fetch): the patches-by-images matrix
 * (table#matrix, one td[data-patch][data-image][data-state] per cell,
 * [data-latest-failed] marks a cell whose image's newest build failed), a
 * legend that filters by state, a text filter (#filter-text), and a
 * detail panel (#detail, filled with dd[data-field] entries) for the
 * clicked cell or patch; the URL fragment #cell=PATCH/IMAGE or
 * #patch=PATCH selects one on load, and body[data-ready="1"] says the
 * script ran. The matrix data is embedded as JSON (rollout_json's shape).
 * history_table: one line per build, newest first, then the published
 * locations and messages.
 * advisory_md/_html: the bulletin for r from pl_ledger_advisory (one patch,
 * else PL_EINVAL): what it fixes, the images and tags carrying it with
 * their digests and where they went, how to pull and verify them by
 * digest, and what is still built-only, pending or failed.
 */
int pl_ledger_rollout_table(const struct pl_ledger_rollout *r, bool detail, struct pl_buf *out,
			    struct pl_err *err);
int pl_ledger_rollout_md(const struct pl_ledger_rollout *r, const struct pl_ledger_report_opts *o,
			 struct pl_buf *out, struct pl_err *err);
int pl_ledger_rollout_html(const struct pl_ledger_rollout *r,
			   const struct pl_ledger_report_opts *o, struct pl_buf *out,
			   struct pl_err *err);
int pl_ledger_history_table(const struct pl_ledger_history *h, struct pl_buf *out,
			    struct pl_err *err);
int pl_ledger_advisory_md(const struct pl_ledger_rollout *r, const struct pl_ledger_report_opts *o,
			  struct pl_buf *out, struct pl_err *err);
int pl_ledger_advisory_html(const struct pl_ledger_rollout *r,
			    const struct pl_ledger_report_opts *o, struct pl_buf *out,
			    struct pl_err *err);

#endif
