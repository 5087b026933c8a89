/* The curation repo at one commit: settings, recipe names, recipe files. */
#include <stdlib.h>
#include <string.h>

#include "lib/pipeline/internal.h"
#include "util/buf.h"

static int default_settings(struct pl_source *s, struct pl_err *err)
{
	return pl_settings_parse("{}", 2, PL_SETTINGS_FILE, &s->settings, err);
}

int pl_source_open(struct pl_source *s, const struct pl_source_opts *o, struct pl_lint *lint,
		   struct pl_err *err)
{
	struct pl_err perr = PL_ERR_INIT;
	char *data = NULL;
	size_t len = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = pl_gitsrc_open(&s->git, o->repo ? o->repo : ".", o->cache_dir, err);
	if (rc < 0)
		goto out;
	rc = pl_gitsrc_resolve(s->git, o->ref, &s->commit, err);
	if (rc < 0)
		goto out;
	rc = pl_gitsrc_read(s->git, s->commit.id, PL_SETTINGS_FILE, PL_RECIPE_MAX_BYTES, &data,
			    &len, err);
	if (rc == PL_ENOTFOUND) {
		/* no plinth.yaml: every setting takes its default */
		pl_err_init(err);
		rc = default_settings(s, err);
		goto out;
	}
	if (rc < 0)
		goto out;
	if (!lint) {
		rc = pl_settings_parse(data, len, PL_SETTINGS_FILE, &s->settings, err);
		goto out;
	}
	rc = pl_settings_parse(data, len, PL_SETTINGS_FILE, &s->settings, &perr);
	if (rc == PL_EINVAL || rc == PL_ETOOBIG) {
		rc = pl_lint_add(lint, perr.msg, err);
		if (rc == 0)
			rc = default_settings(s, err);
	} else if (rc < 0) {
		rc = pl_err_set(err, rc, "%s", perr.msg);
	}
out:
	free(data);
	if (rc < 0)
		pl_source_release(s);
	return rc;
}

void pl_source_release(struct pl_source *s)
{
	pl_settings_free(s->settings);
	pl_gitsrc_free(s->git);
	memset(s, 0, sizeof(*s));
}

int pl_source_read(struct pl_source *s, const char *path, size_t max, char **data, size_t *len,
		   struct pl_err *err)
{
	while (*path == '/')
		path++;
	return pl_gitsrc_read(s->git, s->commit.id, path, max, data, len, err);
}

int pl_source_recipe_names(struct pl_source *s, struct pl_oci_strv *names, struct pl_err *err)
{
	struct pl_gitsrc_entry *e = NULL;
	size_t n = 0;
	int rc;

	names->v = NULL;
	names->n = 0;
	rc = pl_gitsrc_list(s->git, s->commit.id, PL_RECIPES_DIR, &e, &n, err);
	if (rc == PL_ENOTFOUND) {
		pl_err_init(err);
		return pl_err_set(err, PL_ENOTFOUND, "no %s/ directory at commit %.12s",
				  PL_RECIPES_DIR, s->commit.id);
	}
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t l = strlen(e[i].name);
		char *name;

		if (e[i].type != PL_GITSRC_BLOB || l <= 5 || strcmp(e[i].name + l - 5, ".yaml"))
			continue;
		/* recipes/<name>.lock.json and others are not recipes */
		name = strndup(e[i].name, l - 5);
		if (!name) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			break;
		}
		rc = pl_oci_strv_push(names, name, err);
		free(name);
	}
	pl_gitsrc_entries_free(e, n);
	if (rc < 0)
		pl_oci_strv_release(names);
	return rc;
}

int pl_source_load_recipe(struct pl_source *s, const char *name, struct pl_recipe **out,
			  struct pl_err *err)
{
	struct pl_recipe_lint_opts lo = { 0 };
	struct pl_buf path = PL_BUF_INIT;
	char *data = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (!*name || strchr(name, '/') || name[0] == '.')
		return pl_err_set(err, PL_EINVAL, "'%s' is not a recipe name", name);
	rc = pl_buf_addf(&path, err, "%s/%s.yaml", PL_RECIPES_DIR, name);
	if (rc < 0)
		goto out;
	rc = pl_source_read(s, path.data, PL_RECIPE_MAX_BYTES, &data, &len, err);
	if (rc < 0) {
		if (rc == PL_ENOTFOUND) {
			pl_err_init(err);
			rc = pl_err_set(err, PL_ENOTFOUND, "no recipe '%s' (%s) at commit %.12s",
					name, path.data, s->commit.id);
		}
		goto out;
	}
	lo.file_name = path.data;
	lo.settings = s->settings;
	rc = pl_recipe_load(data, len, path.data, &lo, out, err);
out:
	free(data);
	pl_buf_release(&path);
	return rc;
}
