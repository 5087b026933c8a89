/*
 * Which images a patch applies to.
 */
#include <string.h>

#include "lib/deb.h"
#include "lib/patch.h"

/* Version in range [at_least, below)? */
static bool in_range(const char *v, const char *below, const char *at_least)
{
	if (below && pl_debver_cmp(v, below) >= 0)
		return false;
	if (at_least && pl_debver_cmp(v, at_least) < 0)
		return false;
	return true;
}

static int match_package(const struct pl_patchdef *p, const struct pl_pkgdb *db, bool *match,
			 struct pl_buf *why, struct pl_err *err)
{
	const char *name = p->applies_to.package;
	const char *below = p->applies_to.below, *at_least = p->applies_to.at_least;

	if (!db)
		return 0;
	for (size_t i = 0; i < db->n; i++) {
		const struct pl_pkg *k = &db->pkgs[i];
		const char *v;

		if (!k->installed)
			continue;
		if (p->applies_to.source) {
			if (strcmp(k->source, name) != 0)
				continue;
			v = k->source_version;
		} else {
			if (strcmp(k->name, name) != 0)
				continue;
			v = k->version;
		}
		if (!in_range(v, below, at_least))
			continue;
		*match = true;
		if (!why)
			return 0;
		if (p->applies_to.source) {
			int rc = pl_buf_addf(why, err, "%s (source %s) %s", k->name, name, v);

			if (rc < 0)
				return rc;
		} else if (pl_buf_addf(why, err, "%s %s", name, v) < 0) {
			return err->code;
		}
		if (below && pl_buf_addf(why, err, " < %s", below) < 0)
			return err->code;
		if (at_least && pl_buf_addf(why, err, "%s >= %s", below ? "," : "", at_least) < 0)
			return err->code;
		return 0;
	}
	return 0;
}

static int match_labels(const struct pl_patchdef *p, const struct pl_recipe_map *labels,
			bool *match, struct pl_buf *why, struct pl_err *err)
{
	const struct pl_recipe_map *want = &p->applies_to.labels;

	if (!labels || want->n == 0)
		return 0;
	for (size_t i = 0; i < want->n; i++) {
		bool ok = false;

		for (size_t j = 0; j < labels->n && !ok; j++)
			ok = strcmp(labels->v[j].key, want->v[i].key) == 0 &&
			     strcmp(labels->v[j].value, want->v[i].value) == 0;
		if (!ok)
			return 0;
	}
	*match = true;
	if (why) {
		int rc = pl_buf_adds(why, "labels", err);

		for (size_t i = 0; rc == 0 && i < want->n; i++)
			rc = pl_buf_addf(why, err, " %s=%s", want->v[i].key, want->v[i].value);
		return rc;
	}
	return 0;
}

int pl_patch_match(const struct pl_patchdef *p, const struct pl_pkgdb *db, const char *recipe_name,
		   const struct pl_recipe_map *labels, bool *match, struct pl_buf *why,
		   struct pl_err *err)
{
	*match = false;
	switch (p->applies_to.kind) {
	case PL_PATCH_APPLIES_ALL:
		*match = true;
		return why ? pl_buf_adds(why, "all images", err) : 0;
	case PL_PATCH_APPLIES_PACKAGE:
		return match_package(p, db, match, why, err);
	case PL_PATCH_APPLIES_RECIPES:
		if (!recipe_name)
			return 0;
		for (size_t i = 0; i < p->applies_to.recipes.n; i++)
			if (strcmp(p->applies_to.recipes.v[i], recipe_name) == 0) {
				*match = true;
				return why ? pl_buf_addf(why, err, "recipe '%s'", recipe_name) : 0;
			}
		return 0;
	case PL_PATCH_APPLIES_LABELS:
		return match_labels(p, labels, match, why, err);
	}
	return 0;
}
