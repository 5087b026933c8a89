/*
 * Lint: the rules that relate several values of a parsed model. Unlike the
 * parsers, which stop at the first error, lint collects every problem and
 * returns them sorted by position, each as "file:line:col: message".
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 4096

struct problem {
	int line, col;
	size_t seq;
	char *msg;
};

struct lctx {
	const char *file;
	struct problem *v;
	size_t n, cap;
	bool nomem;
};

void pl_lint_init(struct pl_lint *l)
{
	l->msgs = NULL;
	l->n = l->cap = 0;
}

void pl_lint_release(struct pl_lint *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->msgs[i]);
	free(l->msgs);
	pl_lint_init(l);
}

static int lint_push(struct pl_lint *l, char *msg)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **p = realloc(l->msgs, cap * sizeof(*p));

		if (!p)
			return -1;
		l->msgs = p;
		l->cap = cap;
	}
	l->msgs[l->n++] = msg;
	return 0;
}

int pl_lint_add(struct pl_lint *l, const char *msg, struct pl_err *err)
{
	char *m = strdup(msg);

	if (!m || lint_push(l, m) < 0) {
		free(m);
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	return 0;
}

static void add(struct lctx *c, const struct pl_mark *m, const char *fmt, ...) PL_PRINTF(3, 4);
static void add(struct lctx *c, const struct pl_mark *m, const char *fmt, ...)
{
	char msg[PL_ERR_MSG_MAX];
	int line = m && m->line ? m->line : 1, col = m && m->line ? m->col : 1;
	va_list ap;
	char *s;

	if (c->nomem)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct problem *p = realloc(c->v, cap * sizeof(*p));

		if (!p) {
			c->nomem = true;
			return;
		}
		c->v = p;
		c->cap = cap;
	}
	if (asprintf(&s, "%s:%d:%d: %s", c->file, line, col, msg) < 0) {
		c->nomem = true;
		return;
	}
	c->v[c->n].line = line;
	c->v[c->n].col = col;
	c->v[c->n].seq = c->n;
	c->v[c->n].msg = s;
	c->n++;
}

static int problem_cmp(const void *pa, const void *pb)
{
	const struct problem *a = pa, *b = pb;

	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Hand the sorted problems to out; returns their count or PL_ENOMEM. */
static int finish(struct lctx *c, struct pl_lint *out, struct pl_err *err)
{
	size_t i = 0;
	int n = (int)c->n;

	if (!c->nomem) {
		if (c->n)
			qsort(c->v, c->n, sizeof(*c->v), problem_cmp);
		for (i = 0; i < c->n; i++) {
			if (lint_push(out, c->v[i].msg) < 0) {
				c->nomem = true;
				break;
			}
		}
	}
	for (; i < c->n; i++)
		free(c->v[i].msg);
	free(c->v);
	if (c->nomem)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	return n;
}

/* ---- value rules ---- */

/* Why an absolute image path is not acceptable, or NULL. */
static const char *abs_path_problem(const char *p)
{
	const char *s;

	if (p[0] != '/')
		return "must be absolute (start with '/')";
	if (strlen(p) > PATH_MAX_LEN)
		return "is longer than 4096 bytes";
	if (!strcmp(p, "/"))
		return NULL;
	for (s = p + 1;;) {
		size_t n = strcspn(s, "/");

		if (n == 0)
			return s[0] ? "has an empty component ('//')" : "must not end with '/'";
		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return "must be normalised (no '.' or '..' components)";
		if (n > 255)
			return "has a component longer than 255 bytes";
		if (!s[n])
			return NULL;
		s += n + 1;
	}
}

/* Why a path inside the curation repo is not acceptable, or NULL. */
static const char *repo_path_problem(const char *p)
{
	char tmp[PATH_MAX_LEN + 2];

	if (!p[0])
		return "must not be empty";
	if (p[0] == '/')
		return "must be relative to the curation repo (no leading '/')";
	if (strlen(p) > PATH_MAX_LEN)
		return "is longer than 4096 bytes";
	snprintf(tmp, sizeof(tmp), "/%s", p);
	return abs_path_problem(tmp);
}

static void check_abs(struct lctx *c, const struct pl_mark *m, const char *what, const char *p)
{
	const char *why = abs_path_problem(p);

	if (why)
		add(c, m, "%s '%.200s' %s", what, p, why);
}

static void check_repo(struct lctx *c, const struct pl_mark *m, const char *what, const char *p)
{
	const char *why = repo_path_problem(p);

	if (why)
		add(c, m, "%s '%.200s' %s", what, p, why);
}

static bool tag_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return false;
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
	      *s == '_'))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static bool account_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return false;
	if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	if (s[n - 1] == '$')
		n--;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static bool pkg_name_ok(const char *s, size_t n)
{
	if (n < 2 || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      strchr("+.-", s[i])))
			return false;
	return true;
}

/* "name", "name=version" or "name:arch" (optionally "name:arch=version"). */
static bool pkg_spec_ok(const char *s)
{
	size_t n = strcspn(s, ":=");

	if (!pkg_name_ok(s, n))
		return false;
	if (s[n] == ':') {
		size_t a = strcspn(s + n + 1, "=");

		if (a == 0 || strspn(s + n + 1, "abcdefghijklmnopqrstuvwxyz0123456789") != a)
			return false;
		n += 1 + a;
	}
	if (s[n] == '=')
		return s[n + 1] != '\0' && !strpbrk(s + n + 1, " \t\n");
	return s[n] == '\0';
}

static bool has_space(const char *s)
{
	for (; *s; s++)
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			return true;
	return false;
}

/* Report repeats in a string list at the later occurrence. */
static void check_dup_list(struct lctx *c, const struct pl_recipe_list *l, const char *what)
{
	for (size_t i = 1; i < l->n; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(l->v[i], l->v[j])) {
				add(c, &l->marks[i], "duplicate %s '%.100s' (first at %d:%d)", what,
				    l->v[i], l->marks[j].line, l->marks[j].col);
				break;
			}
}

/* ---- recipe ---- */

struct pentry {
	const char *path;
	const struct pl_mark *mark;
	const char *kind;
};

static int pentry_cmp(const void *pa, const void *pb)
{
	const struct pentry *a = pa, *b = pb;
	int r = strcmp(a->path, b->path);

	if (r)
		return r;
	if (a->mark->line != b->mark->line)
		return a->mark->line < b->mark->line ? -1 : 1;
	return (a->mark->col > b->mark->col) - (a->mark->col < b->mark->col);
}

static void lint_layer(struct lctx *c, const struct pl_recipe_layer *l)
{
	size_t total = l->nfiles + l->ndirs + l->nsymlinks, k = 0;
	struct pentry *pe;

	if (total + l->ntarballs + l->packages.n == 0)
		add(c, &l->mark, "layer%s%.60s%s is empty", l->name ? " '" : "",
		    l->name ? l->name : "", l->name ? "'" : "");
	for (size_t i = 0; i < l->nfiles; i++) {
		const struct pl_recipe_file *f = &l->files[i];

		check_abs(c, &f->path_mark, "file path", f->path);
		if (!strcmp(f->path, "/"))
			add(c, &f->path_mark, "file path '/' is the root directory");
		if (f->source)
			check_repo(c, &f->source_mark, "file source", f->source);
	}
	for (size_t i = 0; i < l->ndirs; i++)
		check_abs(c, &l->dirs[i].path_mark, "directory path", l->dirs[i].path);
	for (size_t i = 0; i < l->nsymlinks; i++) {
		const struct pl_recipe_symlink *s = &l->symlinks[i];

		check_abs(c, &s->path_mark, "symlink path", s->path);
		if (!strcmp(s->path, "/"))
			add(c, &s->path_mark, "symlink path '/' is the root directory");
		if (strlen(s->target) > PATH_MAX_LEN)
			add(c, &s->mark, "symlink target is longer than 4096 bytes");
	}
	for (size_t i = 0; i < l->ntarballs; i++) {
		const struct pl_recipe_tarball *t = &l->tarballs[i];

		check_repo(c, &t->source_mark, "tarball source", t->source);
		check_abs(c, t->destination_mark.line ? &t->destination_mark : &t->mark,
			  "tarball destination", t->destination);
	}

	if (total < 2)
		return;
	pe = calloc(total, sizeof(*pe));
	if (!pe) {
		c->nomem = true;
		return;
	}
	for (size_t i = 0; i < l->nfiles; i++)
		pe[k++] = (struct pentry){l->files[i].path, &l->files[i].path_mark, "file"};
	for (size_t i = 0; i < l->ndirs; i++)
		pe[k++] = (struct pentry){l->dirs[i].path, &l->dirs[i].path_mark, "directory"};
	for (size_t i = 0; i < l->nsymlinks; i++)
		pe[k++] =
		    (struct pentry){l->symlinks[i].path, &l->symlinks[i].path_mark, "symlink"};
	qsort(pe, total, sizeof(*pe), pentry_cmp);
	for (size_t i = 1, first = 0; i < total; i++) {
		if (strcmp(pe[i].path, pe[first].path)) {
			first = i;
			continue;
		}
		add(c, pe[i].mark, "path '%.200s' is already declared in this layer (%s at %d:%d)",
		    pe[i].path, pe[first].kind, pe[first].mark->line, pe[first].mark->col);
	}
	free(pe);
}

static void lint_accounts(struct lctx *c, const struct pl_recipe_accounts *a)
{
	for (size_t i = 0; i < a->ngroups; i++) {
		const struct pl_recipe_group *g = &a->groups[i];

		if (!account_name_ok(g->name))
			add(c, &g->mark,
			    "group name '%.60s' is not valid (lowercase letters, digits, "
			    "'_', '-', at most 32)",
			    g->name);
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(g->name, a->groups[j].name))
				add(c, &g->mark, "duplicate group name '%.60s' (first at %d:%d)",
				    g->name, a->groups[j].mark.line, a->groups[j].mark.col);
			if (g->gid == a->groups[j].gid)
				add(c, &g->mark, "duplicate gid %u (group '%.60s' at %d:%d)",
				    (unsigned)g->gid, a->groups[j].name, a->groups[j].mark.line,
				    a->groups[j].mark.col);
		}
	}
	for (size_t i = 0; i < a->nusers; i++) {
		const struct pl_recipe_user *u = &a->users[i];
		const struct pl_recipe_group *own = NULL;

		if (!account_name_ok(u->name))
			add(c, &u->mark,
			    "user name '%.60s' is not valid (lowercase letters, digits, "
			    "'_', '-', at most 32)",
			    u->name);
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(u->name, a->users[j].name))
				add(c, &u->mark, "duplicate user name '%.60s' (first at %d:%d)",
				    u->name, a->users[j].mark.line, a->users[j].mark.col);
			if (u->uid == a->users[j].uid)
				add(c, &u->mark, "duplicate uid %u (user '%.60s' at %d:%d)",
				    (unsigned)u->uid, a->users[j].name, a->users[j].mark.line,
				    a->users[j].mark.col);
		}
		for (size_t j = 0; j < a->ngroups; j++)
			if (a->groups[j].gid == u->gid)
				own = &a->groups[j];
		/*
		 * An undeclared gid may be a group the image already has (from a
		 * tarball, a package or the base): the build decides.
		 */
		if (!own) {
			/* a personal group named after the user will be created */
			for (size_t j = 0; j < a->ngroups; j++)
				if (!strcmp(a->groups[j].name, u->name)) {
					add(c, &u->mark,
					    "user '%.60s' gets a personal group with gid %u, but "
					    "group '%.60s' (at %d:%d) has gid %u",
					    u->name, (unsigned)u->gid, a->groups[j].name,
					    a->groups[j].mark.line, a->groups[j].mark.col,
					    (unsigned)a->groups[j].gid);
					break;
				}
		}
		check_abs(c, &u->mark, "home", u->home);
		check_abs(c, &u->mark, "shell", u->shell);
		if (strpbrk(u->gecos, ":\n"))
			add(c, &u->mark, "gecos of user '%.60s' must not contain ':' or a newline",
			    u->name);
	}
}

static void lint_map_keys(struct lctx *c, const struct pl_recipe_map *m, const char *what, bool env)
{
	for (size_t i = 0; i < m->n; i++) {
		if (!m->v[i].key[0])
			add(c, &m->v[i].mark, "%s key must not be empty", what);
		else if (env && strchr(m->v[i].key, '='))
			add(c, &m->v[i].mark, "%s name '%.60s' must not contain '='", what,
			    m->v[i].key);
	}
}

static void lint_config(struct lctx *c, const struct pl_recipe_config *cfg)
{
	if (!cfg->set)
		return;
	if (cfg->user) {
		const char *colon = strchr(cfg->user, ':');

		if (!cfg->user[0] || has_space(cfg->user) || (colon && strchr(colon + 1, ':')) ||
		    cfg->user[0] == ':' || (colon && !colon[1]))
			add(c, &cfg->user_mark,
			    "config user '%.60s' is not 'user', 'uid', "
			    "'user:group' or 'uid:gid'",
			    cfg->user);
	}
	if (cfg->workdir)
		check_abs(c, &cfg->workdir_mark, "workdir", cfg->workdir);
	for (size_t i = 0; i < cfg->volumes.n; i++)
		check_abs(c, &cfg->volumes.marks[i], "volume", cfg->volumes.v[i]);
	check_dup_list(c, &cfg->volumes, "volume");
	lint_map_keys(c, &cfg->env, "env", true);
	lint_map_keys(c, &cfg->labels, "label", false);
	for (size_t i = 1; i < cfg->nports; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cfg->ports[i].spec, cfg->ports[j].spec)) {
				add(c, &cfg->ports[i].mark, "duplicate port %s (first at %d:%d)",
				    cfg->ports[i].spec, cfg->ports[j].mark.line,
				    cfg->ports[j].mark.col);
				break;
			}
}

static const char *base_name(const char *path, size_t *len)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strlen(b);
	if (n > 5 && !strcmp(b + n - 5, ".yaml"))
		n -= 5;
	else if (n > 4 && !strcmp(b + n - 4, ".yml"))
		n -= 4;
	*len = n;
	return b;
}

static void lint_recipe(struct lctx *c, const struct pl_recipe *r,
			const struct pl_recipe_lint_opts *o)
{
	if (o && o->file_name) {
		size_t n;
		const char *b = base_name(o->file_name, &n);

		if (strlen(r->name) != n || strncmp(r->name, b, n))
			add(c, &r->name_mark,
			    "recipe name '%.60s' does not match its file name "
			    "'%.100s' (expected recipes/%.60s.yaml)",
			    r->name, o->file_name, r->name);
	}
	if (!r->base[0] || has_space(r->base))
		add(c, &r->base_mark, "base '%.100s' is not \"scratch\" or an image reference",
		    r->base);
	if (r->tags.set && r->tags.n == 0)
		add(c, &r->tags.mark, "'tags' must list at least one tag");
	for (size_t i = 0; i < r->tags.n; i++)
		if (!tag_ok(r->tags.v[i]))
			add(c, &r->tags.marks[i],
			    "tag '%.140s' is not a valid OCI tag "
			    "([A-Za-z0-9_][A-Za-z0-9._-]*, at most 128)",
			    r->tags.v[i]);
	check_dup_list(c, &r->tags, "tag");
	if (r->architectures.set && r->architectures.n == 0)
		add(c, &r->architectures.mark, "'architectures' must list at least one");
	check_dup_list(c, &r->architectures, "architecture");
	check_dup_list(c, &r->sources, "source");
	for (size_t i = 0; o && o->settings && i < r->sources.n; i++) {
		const struct pl_settings_repo *repo =
		    pl_settings_repo(o->settings, r->sources.v[i]);

		if (!repo)
			add(c, &r->sources.marks[i], "source '%.60s' is not a repository in %s",
			    r->sources.v[i], o->settings->file);
	}
	for (size_t k = 0; k <= r->nlayers; k++) {
		/* the recipe's own packages, then each layer's */
		const struct pl_recipe_list *pk = k ? &r->layers[k - 1].packages : &r->packages;

		for (size_t i = 0; i < pk->n; i++)
			if (!pkg_spec_ok(pk->v[i]))
				add(c, &pk->marks[i],
				    "package '%.100s' is not a Debian package name "
				    "(optionally with :arch or =version)",
				    pk->v[i]);
		check_dup_list(c, pk, "package");
		if (pk->n && r->sources.n == 0)
			add(c, &pk->mark,
			    "'packages' needs 'sources' (repository names from "
			    "plinth.yaml)");
	}
	check_dup_list(c, &r->patch_ids, "patch");
	for (size_t i = 0; o && o->patch_ids && i < r->patch_ids.n; i++) {
		bool found = false;

		for (size_t j = 0; j < o->npatch_ids && !found; j++)
			found = !strcmp(o->patch_ids[j], r->patch_ids.v[i]);
		if (!found)
			add(c, &r->patch_ids.marks[i],
			    "patch '%.60s' does not exist (no patches/"
			    "%.60s.yaml)",
			    r->patch_ids.v[i], r->patch_ids.v[i]);
	}
	check_dup_list(c, &r->policy.ignore, "ignored vulnerability");
	for (size_t i = 0; i < r->nlayers; i++) {
		lint_layer(c, &r->layers[i]);
		for (size_t j = 0; r->layers[i].name && j < i; j++)
			if (r->layers[j].name && !strcmp(r->layers[i].name, r->layers[j].name))
				add(c, &r->layers[i].mark,
				    "duplicate layer name '%.60s' (first at "
				    "%d:%d)",
				    r->layers[i].name, r->layers[j].mark.line,
				    r->layers[j].mark.col);
	}
	lint_accounts(c, &r->accounts);
	lint_config(c, &r->config);
	lint_map_keys(c, &r->annotations, "annotation", false);
}

int pl_recipe_lint(const struct pl_recipe *r, const struct pl_recipe_lint_opts *opts,
		   struct pl_lint *out, struct pl_err *err)
{
	struct lctx c = {r->file, NULL, 0, 0, false};

	lint_recipe(&c, r, opts);
	return finish(&c, out, err);
}

int pl_recipe_lint_data(const char *data, size_t len, const char *file,
			const struct pl_recipe_lint_opts *opts, struct pl_lint *out,
			struct pl_err *err)
{
	struct pl_err perr = PL_ERR_INIT;
	struct pl_recipe *r = NULL;
	char *msg;
	int rc;

	rc = pl_recipe_parse(data, len, file, &r, &perr);
	if (rc == PL_ENOMEM)
		return pl_err_set(err, rc, "%s", perr.msg);
	if (rc < 0) {
		msg = strdup(perr.msg);
		if (!msg || lint_push(out, msg) < 0) {
			free(msg);
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		}
		return 1;
	}
	rc = pl_recipe_lint(r, opts, out, err);
	pl_recipe_free(r);
	return rc;
}

int pl_recipe_load(const char *data, size_t len, const char *file,
		   const struct pl_recipe_lint_opts *opts, struct pl_recipe **out,
		   struct pl_err *err)
{
	struct pl_lint l;
	struct pl_recipe *r = NULL;
	int rc;

	*out = NULL;
	pl_lint_init(&l);
	rc = pl_recipe_parse(data, len, file, &r, err);
	if (rc < 0)
		goto out;
	rc = pl_recipe_lint(r, opts, &l, err);
	if (rc < 0)
		goto out;
	if (rc > 0) {
		if (rc > 1)
			rc =
			    pl_err_set(err, PL_EINVAL, "%s (and %d more problems; run plinth lint)",
				       l.msgs[0], rc - 1);
		else
			rc = pl_err_set(err, PL_EINVAL, "%s", l.msgs[0]);
		goto out;
	}
	*out = r;
	r = NULL;
out:
	pl_recipe_free(r);
	pl_lint_release(&l);
	return rc;
}

/* ---- patch ---- */

int pl_patchdef_lint(const struct pl_patchdef *p, const char *file_name, struct pl_lint *out,
		     struct pl_err *err)
{
	struct lctx c = {p->file, NULL, 0, 0, false};

	if (file_name) {
		size_t n;
		const char *b = base_name(file_name, &n);

		if (strlen(p->id) != n || strncmp(p->id, b, n))
			add(&c, &p->id_mark,
			    "patch id '%.60s' does not match its file name '%.100s' "
			    "(expected patches/%.60s.yaml)",
			    p->id, file_name, p->id);
	}
	check_dup_list(&c, &p->cves, "CVE");
	if (p->applies_to.kind == PL_PATCH_APPLIES_PACKAGE &&
	    !pkg_name_ok(p->applies_to.package, strlen(p->applies_to.package)))
		add(&c, &p->applies_to.mark, "'%.60s' is not a Debian package name",
		    p->applies_to.package);
	if (p->applies_to.kind == PL_PATCH_APPLIES_RECIPES && p->applies_to.recipes.n == 0)
		add(&c, &p->applies_to.mark, "'recipes' must list at least one recipe");
	for (size_t i = 0; i < p->nactions; i++) {
		const struct pl_patch_action *a = &p->actions[i];

		switch (a->kind) {
		case PL_PATCH_UPGRADE:
			for (size_t j = 0; j < a->packages.n; j++)
				if (!pkg_name_ok(a->packages.v[j], strlen(a->packages.v[j])))
					add(&c, &a->packages.marks[j],
					    "'%.60s' is not a Debian package name",
					    a->packages.v[j]);
			break;
		case PL_PATCH_DIFF:
			check_repo(&c, &a->path_mark, "diff", a->diff);
			break;
		case PL_PATCH_REMOVE:
			for (size_t j = 0; j < a->paths.n; j++) {
				check_abs(&c, &a->paths.marks[j], "path", a->paths.v[j]);
				if (!strcmp(a->paths.v[j], "/"))
					add(&c, &a->paths.marks[j], "refusing to remove '/'");
			}
			break;
		case PL_PATCH_CHMOD:
		case PL_PATCH_CHOWN:
		case PL_PATCH_FILE:
			check_abs(&c, &a->path_mark, "path", a->path);
			if (a->source)
				check_repo(&c, &a->mark, "file source", a->source);
			break;
		}
	}
	return finish(&c, out, err);
}

/* ---- settings ---- */

int pl_settings_lint(const struct pl_settings *s, struct pl_lint *out, struct pl_err *err)
{
	struct lctx c = {s->file, NULL, 0, 0, false};

	for (size_t i = 0; i < s->nrepos; i++) {
		const struct pl_settings_repo *r = &s->repos[i];
		const char *u = r->url;

		if (!r->name[0] || has_space(r->name) || strchr(r->name, '/'))
			add(&c, &r->mark,
			    "repository name '%.60s' must be a word without '/' or "
			    "spaces",
			    r->name);
		if (strncmp(u, "https://", 8) && strncmp(u, "http://", 7) &&
		    strncmp(u, "file://", 7) && u[0] != '/')
			add(&c, &r->mark,
			    "repository '%.60s': url '%.100s' is not http(s)://, "
			    "file:// or an absolute path",
			    r->name, u);
		if (!r->suite[0] || has_space(r->suite))
			add(&c, &r->mark, "repository '%.60s': suite '%.60s' is not valid", r->name,
			    r->suite);
		if (r->keyring) {
			const char *why = repo_path_problem(r->keyring);

			if (why)
				add(&c, &r->keyring_mark, "keyring '%.100s' %s", r->keyring, why);
			else if (strncmp(r->keyring, "keys/", 5))
				add(&c, &r->keyring_mark, "keyring '%.100s' must be under keys/",
				    r->keyring);
		}
		if (!r->keyring && !r->trusted)
			add(&c, &r->mark,
			    "repository '%.60s' needs a 'keyring' (or 'trusted: true' "
			    "for a local mirror you control)",
			    r->name);
		check_dup_list(&c, &r->components, "component");
		for (size_t j = 0; j < r->architectures.n; j++) {
			const char *oa, *ov;

			if (pl_recipe_arch_oci(r->architectures.v[j], &oa, &ov) < 0)
				add(&c, &r->architectures.marks[j], "unknown architecture '%.40s'",
				    r->architectures.v[j]);
		}
	}
	check_dup_list(&c, &s->patches.order, "patch");
	check_dup_list(&c, &s->patches.exclude, "patch");
	return finish(&c, out, err);
}
