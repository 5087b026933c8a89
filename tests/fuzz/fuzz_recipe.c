/*
 * Fuzz the YAML front end: the same bytes are parsed as a recipe, as
 * plinth.yaml and as a patch, and every model that parses is linted.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/recipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	struct pl_err err = PL_ERR_INIT;
	struct pl_recipe *r = NULL;
	struct pl_settings *s = NULL;
	struct pl_patchdef *p = NULL;
	struct pl_recipe_lint_opts opts = {"recipes/fuzz.yaml", NULL, NULL, 0};
	struct pl_lint l;

	pl_lint_init(&l);
	pl_settings_parse(d, size, "plinth.yaml", &s, &err);
	if (s)
		pl_settings_lint(s, &l, &err);
	opts.settings = s;
	pl_err_init(&err);
	if (pl_recipe_parse(d, size, "recipes/fuzz.yaml", &r, &err) == 0)
		pl_recipe_lint(r, &opts, &l, &err);
	pl_recipe_free(r);
	pl_err_init(&err);
	pl_recipe_lint_data(d, size, "recipes/fuzz.yaml", NULL, &l, &err);
	pl_err_init(&err);
	if (pl_patchdef_parse(d, size, "patches/fuzz.yaml", &p, &err) == 0)
		pl_patchdef_lint(p, "patches/fuzz.yaml", &l, &err);
	pl_patchdef_free(p);
	pl_settings_free(s);
	/* every message names a position */
	for (size_t i = 0; i < l.n; i++)
		if (!strchr(l.msgs[i], ':'))
			__builtin_trap();
	pl_lint_release(&l);
	return 0;
}
