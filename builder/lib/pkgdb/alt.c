/*
 * pkgdb/alt: update-alternatives without running it. Postinst text is
 * tokenized like a shell would for simple commands (quotes, backslashes,
 * continuations, comments, redirections); only literal
 * `update-alternatives --install` commands are taken. The links and
 * var/lib/dpkg/alternatives/<name> are then written as update-alternatives
 * 1.21 leaves them in auto mode: slaves sorted by name, choices by path.
 */
#include "lib/pkgdb.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pkgdb/internal.h"
#include "util/buf.h"
#include "util/log.h"

/* ---- tokenizer ---- */

struct word {
	char *s;
	bool var; /* needs expansion we cannot do ($x, `cmd`) */
};

struct cmd {
	struct word *w;
	size_t n, cap;
	int line;
};

static void cmd_reset(struct cmd *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->w[i].s);
	c->n = 0;
}

static void cmd_release(struct cmd *c)
{
	cmd_reset(c);
	free(c->w);
	memset(c, 0, sizeof(*c));
}

static int cmd_push(struct cmd *c, struct pl_buf *w, bool var, struct pl_err *err)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct word *v = realloc(c->w, cap * sizeof(*v));

		if (!v)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		c->w = v;
		c->cap = cap;
	}
	c->w[c->n].s = pl_buf_detach(w, NULL);
	if (!c->w[c->n].s)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	c->w[c->n].var = var;
	c->n++;
	return 0;
}

void pl_alt_list_release(struct pl_alt_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct pl_alt_install *a = &l->v[i];

		free(a->link);
		free(a->name);
		free(a->path);
		for (size_t j = 0; j < a->nslaves; j++) {
			free(a->slaves[j].link);
			free(a->slaves[j].name);
			free(a->slaves[j].path);
		}
		free(a->slaves);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static bool is_prefix_word(const char *s)
{
	static const char *const kw[] = {"if",	  "then", "else", "elif",    "do",  "while",
					 "until", "!",	  "{",	  "command", "exec"};

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (strcmp(s, kw[i]) == 0)
			return true;
	/* NAME=value assignments before a command */
	return s[0] && s[0] != '=' && strchr(s, '=') != NULL && s[0] != '-';
}

static bool is_ua(const char *s)
{
	const char *slash = strrchr(s, '/');

	return strcmp(slash ? slash + 1 : s, "update-alternatives") == 0;
}

static char *xdup(const char *s, struct pl_err *err)
{
	char *r = strdup(s);

	if (!r)
		pl_err_set(err, PL_ENOMEM, "out of memory");
	return r;
}

/* Turn one simple command into an install, when it is one we can take. */
static int take_cmd(const struct cmd *c, const char *pkg, struct pl_alt_list *l, struct pl_err *err)
{
	struct pl_alt_install a;
	size_t i = 0, k;
	bool install = false;
	int rc = 0;

	while (i < c->n && !c->w[i].var && !is_ua(c->w[i].s) && is_prefix_word(c->w[i].s))
		i++;
	if (i >= c->n || c->w[i].var || !is_ua(c->w[i].s))
		return 0;
	i++;
	for (k = i; k < c->n; k++)
		install = install || (!c->w[k].var && strcmp(c->w[k].s, "--install") == 0);
	if (!install)
		return 0;
	for (k = i; k < c->n; k++)
		if (c->w[k].var) {
			pl_log_warn("package '%s': postinst line %d: update-alternatives --install "
				    "uses a shell variable; not performed",
				    pkg, c->line);
			return 0;
		}
	memset(&a, 0, sizeof(a));
	for (; i < c->n; i++) {
		const char *w = c->w[i].s;

		if (strcmp(w, "--quiet") == 0 || strcmp(w, "--verbose") == 0 ||
		    strcmp(w, "--debug") == 0 || strcmp(w, "--force") == 0 ||
		    strcmp(w, "--skip-auto") == 0)
			continue;
		if (strcmp(w, "--log") == 0 && i + 1 < c->n) {
			i++;
			continue;
		}
		if (strcmp(w, "--install") == 0 && !a.name && i + 4 < c->n) {
			char *end = NULL;
			long prio;

			errno = 0;
			prio = strtol(c->w[i + 4].s, &end, 10);
			if (errno || !*c->w[i + 4].s || *end || prio < INT_MIN || prio > INT_MAX)
				goto bad;
			if (!(a.link = xdup(c->w[i + 1].s, err)) ||
			    !(a.name = xdup(c->w[i + 2].s, err)) ||
			    !(a.path = xdup(c->w[i + 3].s, err))) {
				rc = PL_ENOMEM;
				goto out;
			}
			a.priority = (int)prio;
			i += 4;
			continue;
		}
		if (strcmp(w, "--slave") == 0 && a.name && i + 3 < c->n) {
			struct pl_alt_slave *v = realloc(a.slaves, (a.nslaves + 1) * sizeof(*v));

			if (!v) {
				rc = pl_err_set(err, PL_ENOMEM, "out of memory");
				goto out;
			}
			a.slaves = v;
			memset(&v[a.nslaves], 0, sizeof(v[0]));
			a.nslaves++;
			if (!(v[a.nslaves - 1].link = xdup(c->w[i + 1].s, err)) ||
			    !(v[a.nslaves - 1].name = xdup(c->w[i + 2].s, err)) ||
			    !(v[a.nslaves - 1].path = xdup(c->w[i + 3].s, err))) {
				rc = PL_ENOMEM;
				goto out;
			}
			i += 3;
			continue;
		}
		goto bad;
	}
	if (!a.name || a.link[0] != '/' || a.path[0] != '/' || !a.name[0] || strchr(a.name, '/'))
		goto bad;
	for (k = 0; k < a.nslaves; k++)
		if (a.slaves[k].link[0] != '/' || a.slaves[k].path[0] != '/' ||
		    !a.slaves[k].name[0] || strchr(a.slaves[k].name, '/'))
			goto bad;
	{
		struct pl_alt_install *v = realloc(l->v, (l->n + 1) * sizeof(*v));

		if (!v) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		l->v = v;
		l->v[l->n++] = a;
		memset(&a, 0, sizeof(a));
	}
	goto out;
bad:
	pl_log_warn("package '%s': postinst line %d: cannot read this update-alternatives "
		    "--install command; not performed",
		    pkg, c->line);
out:
	free(a.link);
	free(a.name);
	free(a.path);
	for (k = 0; k < a.nslaves; k++) {
		free(a.slaves[k].link);
		free(a.slaves[k].name);
		free(a.slaves[k].path);
	}
	free(a.slaves);
	return rc;
}

int pl_alt_scan(const char *script, const char *pkg, struct pl_alt_list *l, struct pl_err *err)
{
	struct pl_buf w = PL_BUF_INIT;
	struct cmd c;
	const char *p = script;
	bool inword = false, var = false, redirect = false;
	int line = 1, rc = 0;

	memset(&c, 0, sizeof(c));
	c.line = 1;
#define END_WORD()                                                                                 \
	do {                                                                                       \
		if (inword) {                                                                      \
			if (redirect) {                                                            \
				pl_buf_reset(&w);                                                  \
				redirect = false;                                                  \
			} else if ((rc = cmd_push(&c, &w, var, err)) < 0) {                        \
				goto out;                                                          \
			}                                                                          \
		}                                                                                  \
		inword = false;                                                                    \
		var = false;                                                                       \
	} while (0)
#define END_CMD()                                                                                  \
	do {                                                                                       \
		END_WORD();                                                                        \
		if ((rc = take_cmd(&c, pkg, l, err)) < 0)                                          \
			goto out;                                                                  \
		cmd_reset(&c);                                                                     \
		redirect = false;                                                                  \
		c.line = line;                                                                     \
	} while (0)
#define ADD(ch)                                                                                    \
	do {                                                                                       \
		if ((rc = pl_buf_addch(&w, (ch), err)) < 0)                                        \
			goto out;                                                                  \
		inword = true;                                                                     \
	} while (0)

	while (*p) {
		char ch = *p;

		if (ch == '\\') {
			if (p[1] == '\n') {
				p += 2;
				line++;
				continue;
			}
			if (p[1]) {
				ADD(p[1]);
				p += 2;
				continue;
			}
			p++;
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\r') {
			END_WORD();
			p++;
			continue;
		}
		if (ch == '\n' || ch == ';' || ch == '&' || ch == '|' || ch == '(' || ch == ')') {
			if (ch == '\n')
				line++;
			p++;
			END_CMD();
			continue;
		}
		if (ch == '#' && !inword) {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (ch == '<' || ch == '>') {
			/* a file descriptor number before the operator is not a word */
			if (inword && !var && w.len && strspn(w.data, "0123456789") == w.len)
				pl_buf_reset(&w), inword = false;
			END_WORD();
			p++;
			while (*p == '<' || *p == '>' || *p == '&')
				p++;
			redirect = true;
			continue;
		}
		if (ch == '\'') {
			const char *q = strchr(p + 1, '\'');

			if (!q)
				q = p + strlen(p);
			for (const char *s = p + 1; s < q; s++) {
				if (*s == '\n')
					line++;
				ADD(*s);
			}
			inword = true;
			p = *q ? q + 1 : q;
			continue;
		}
		if (ch == '"') {
			p++;
			inword = true;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1] == '\n') {
					p += 2;
					line++;
					continue;
				}
				if (*p == '\\' &&
				    (p[1] == '$' || p[1] == '`' || p[1] == '"' || p[1] == '\\')) {
					ADD(p[1]);
					p += 2;
					continue;
				}
				if (*p == '$' || *p == '`')
					var = true;
				if (*p == '\n')
					line++;
				ADD(*p);
				p++;
			}
			if (*p)
				p++;
			continue;
		}
		if (ch == '$' || ch == '`')
			var = true;
		ADD(ch);
		p++;
	}
	END_CMD();
#undef END_WORD
#undef END_CMD
#undef ADD
out:
	pl_buf_release(&w);
	cmd_release(&c);
	return rc;
}

/* ---- groups ---- */

struct choice {
	char *path;
	int priority;
	char **slave_paths; /* aligned with group.slaves; NULL entries for none */
};

struct slave {
	char *name, *link;
};

struct group {
	char *name, *link;
	struct slave *slaves;
	size_t nslaves;
	struct choice *choices;
	size_t nchoices;
};

struct groups {
	struct group *v;
	size_t n;
};

static void choice_release(struct choice *c, size_t nslaves)
{
	free(c->path);
	if (c->slave_paths)
		for (size_t i = 0; i < nslaves; i++)
			free(c->slave_paths[i]);
	free(c->slave_paths);
}

static void groups_release(struct groups *gs)
{
	for (size_t i = 0; i < gs->n; i++) {
		struct group *g = &gs->v[i];

		for (size_t j = 0; j < g->nchoices; j++)
			choice_release(&g->choices[j], g->nslaves);
		for (size_t j = 0; j < g->nslaves; j++) {
			free(g->slaves[j].name);
			free(g->slaves[j].link);
		}
		free(g->choices);
		free(g->slaves);
		free(g->name);
		free(g->link);
	}
	free(gs->v);
	memset(gs, 0, sizeof(*gs));
}

static struct group *group_get(struct groups *gs, const char *name, const char *link,
			       struct pl_err *err)
{
	struct group *g;

	for (size_t i = 0; i < gs->n; i++)
		if (strcmp(gs->v[i].name, name) == 0) {
			g = &gs->v[i];
			if (strcmp(g->link, link) != 0) {
				char *l = xdup(link, err);

				if (!l)
					return NULL;
				free(g->link);
				g->link = l;
			}
			return g;
		}
	g = realloc(gs->v, (gs->n + 1) * sizeof(*g));
	if (!g) {
		pl_err_set(err, PL_ENOMEM, "out of memory");
		return NULL;
	}
	gs->v = g;
	g = &gs->v[gs->n];
	memset(g, 0, sizeof(*g));
	g->name = xdup(name, err);
	g->link = xdup(link, err);
	gs->n++;
	if (!g->name || !g->link)
		return NULL;
	return g;
}

/* Index of slave name in g, added (with link) when new; link updated otherwise. */
static int slave_index(struct group *g, const char *name, const char *link, size_t *idx,
		       struct pl_err *err)
{
	struct slave *v;

	for (size_t i = 0; i < g->nslaves; i++)
		if (strcmp(g->slaves[i].name, name) == 0) {
			if (strcmp(g->slaves[i].link, link) != 0) {
				char *l = xdup(link, err);

				if (!l)
					return PL_ENOMEM;
				free(g->slaves[i].link);
				g->slaves[i].link = l;
			}
			*idx = i;
			return 0;
		}
	v = realloc(g->slaves, (g->nslaves + 1) * sizeof(*v));
	if (!v)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	g->slaves = v;
	v[g->nslaves].name = xdup(name, err);
	v[g->nslaves].link = xdup(link, err);
	if (!v[g->nslaves].name || !v[g->nslaves].link) {
		free(v[g->nslaves].name);
		free(v[g->nslaves].link);
		return PL_ENOMEM;
	}
	for (size_t j = 0; j < g->nchoices; j++) {
		char **sp = realloc(g->choices[j].slave_paths, (g->nslaves + 1) * sizeof(*sp));

		if (!sp)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		sp[g->nslaves] = NULL;
		g->choices[j].slave_paths = sp;
	}
	*idx = g->nslaves++;
	return 0;
}

/* Add or replace the choice path (its slaves replaced, as --install does). */
static int choice_set(struct group *g, const char *path, int priority, struct choice **out,
		      struct pl_err *err)
{
	struct choice *c = NULL;

	for (size_t i = 0; i < g->nchoices; i++)
		if (strcmp(g->choices[i].path, path) == 0)
			c = &g->choices[i];
	if (!c) {
		c = realloc(g->choices, (g->nchoices + 1) * sizeof(*c));
		if (!c)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		g->choices = c;
		c = &g->choices[g->nchoices];
		memset(c, 0, sizeof(*c));
		c->path = xdup(path, err);
		c->slave_paths = calloc(g->nslaves + 1, sizeof(char *));
		g->nchoices++;
		if (!c->path || !c->slave_paths)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
	} else {
		for (size_t i = 0; i < g->nslaves; i++) {
			free(c->slave_paths[i]);
			c->slave_paths[i] = NULL;
		}
	}
	c->priority = priority;
	*out = c;
	return 0;
}

static int group_install(struct groups *gs, const struct pl_alt_install *a, struct pl_err *err)
{
	struct group *g = group_get(gs, a->name, a->link, err);
	struct choice *c = NULL;
	int rc;

	if (!g)
		return PL_ENOMEM;
	for (size_t i = 0; i < a->nslaves; i++) {
		size_t idx;

		rc = slave_index(g, a->slaves[i].name, a->slaves[i].link, &idx, err);
		if (rc < 0)
			return rc;
	}
	rc = choice_set(g, a->path, a->priority, &c, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < a->nslaves; i++) {
		size_t idx;

		rc = slave_index(g, a->slaves[i].name, a->slaves[i].link, &idx, err);
		if (rc < 0)
			return rc;
		free(c->slave_paths[idx]);
		c->slave_paths[idx] = xdup(a->slaves[i].path, err);
		if (!c->slave_paths[idx])
			return PL_ENOMEM;
	}
	return 0;
}

/* Lines of an alternatives file, one at a time. */
struct lines {
	const char *p, *end;
};

static bool next_line(struct lines *ls, char **out)
{
	const char *nl;

	if (ls->p >= ls->end)
		return false;
	nl = memchr(ls->p, '\n', (size_t)(ls->end - ls->p));
	if (!nl)
		return false; /* update-alternatives ends every line */
	*out = strndup(ls->p, (size_t)(nl - ls->p));
	ls->p = nl + 1;
	return *out != NULL;
}

/*
 * Load var/lib/dpkg/alternatives/<name> (update-alternatives' format) into
 * gs as if its choices had been installed first. A file we cannot read is
 * PL_EINVAL (the caller warns and ignores it).
 */
static int load_admin(struct groups *gs, const char *name, const char *data, size_t len,
		      struct pl_err *err)
{
	struct lines ls = {data, data + len};
	struct pl_alt_install a;
	char *mode = NULL, *link = NULL, *s = NULL;
	char **snames = NULL, **slinks = NULL;
	size_t ns = 0;
	int rc = 0;

	memset(&a, 0, sizeof(a));
	if (!next_line(&ls, &mode) || !next_line(&ls, &link) || link[0] != '/')
		goto bad;
	for (;;) {
		char *sl = NULL;
		char **v1, **v2;

		if (!next_line(&ls, &s))
			goto bad;
		if (!*s) {
			free(s);
			s = NULL;
			break;
		}
		if (!next_line(&ls, &sl))
			goto bad;
		v1 = realloc(snames, (ns + 1) * sizeof(*v1));
		if (v1)
			snames = v1;
		v2 = realloc(slinks, (ns + 1) * sizeof(*v2));
		if (v2)
			slinks = v2;
		if (!v1 || !v2) {
			free(sl);
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		snames[ns] = s;
		slinks[ns] = sl;
		ns++;
		s = NULL;
	}
	for (;;) {
		char *prio = NULL, *end = NULL;
		long pr;

		if (!next_line(&ls, &s))
			goto bad;
		if (!*s)
			break;
		if (!next_line(&ls, &prio))
			goto bad;
		pr = strtol(prio, &end, 10);
		if (!*prio || *end || pr < INT_MIN || pr > INT_MAX) {
			free(prio);
			goto bad;
		}
		free(prio);
		a.name = (char *)name;
		a.link = link;
		a.path = s;
		a.priority = (int)pr;
		a.slaves = calloc(ns + 1, sizeof(*a.slaves));
		if (!a.slaves) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		a.nslaves = 0;
		for (size_t i = 0; i < ns; i++) {
			char *sp = NULL;

			if (!next_line(&ls, &sp))
				goto bad;
			if (*sp) {
				a.slaves[a.nslaves].name = snames[i];
				a.slaves[a.nslaves].link = slinks[i];
				a.slaves[a.nslaves].path = sp;
				a.nslaves++;
			} else {
				free(sp);
			}
		}
		rc = group_install(gs, &a, err);
		for (size_t i = 0; i < a.nslaves; i++)
			free(a.slaves[i].path);
		free(a.slaves);
		a.slaves = NULL;
		free(s);
		s = NULL;
		if (rc < 0)
			goto out;
	}
	goto out;
bad:
	if (a.slaves) {
		for (size_t i = 0; i < a.nslaves; i++)
			free(a.slaves[i].path);
		free(a.slaves);
	}
	rc = pl_err_set(err, PL_EINVAL, "not in update-alternatives' format");
out:
	free(s);
	free(mode);
	free(link);
	for (size_t i = 0; i < ns; i++) {
		free(snames[i]);
		free(slinks[i]);
	}
	free(snames);
	free(slinks);
	return rc;
}

/* True when path names a file (through symlinks) in the tree. */
static bool tree_exists(const struct pl_fstree *t, const char *path)
{
	struct pl_err quiet = PL_ERR_INIT;
	char *canon = NULL;
	bool ok = pl_fstree_resolve(t, path, true, false, &canon, &quiet) == 0 &&
		  pl_fstree_get(t, canon) != NULL;

	free(canon);
	return ok;
}

/*
 * Point link at target unless a real file is there (update-alternatives
 * refuses without --force). Directory symlinks on the way (merged /usr) are
 * followed.
 */
static int make_link(struct pl_fstree *t, const char *link, const char *target, int64_t epoch,
		     struct pl_err *err)
{
	struct pl_err quiet = PL_ERR_INIT;
	const struct pl_fsmeta *m;
	char *canon = NULL;
	int rc;

	if (pl_fstree_resolve(t, link, false, true, &canon, &quiet) < 0) {
		/* a missing parent: created by the put below */
		rc = pl_fstree_normalize(link, &canon, err);
		if (rc < 0)
			return rc;
	}
	m = pl_fstree_get(t, canon);
	if (m && m->type != PL_FT_SYMLINK) {
		pl_log_warn("update-alternatives: not replacing '%s' with a link", link);
		rc = 0;
	} else {
		rc = pkgdb_tree_put_link(t, canon, target, epoch, err);
	}
	free(canon);
	return rc;
}

static int drop_link(struct pl_fstree *t, const char *link, struct pl_err *err)
{
	struct pl_err quiet = PL_ERR_INIT;
	const struct pl_fsmeta *m;
	char *canon = NULL;
	int rc = 0;

	if (pl_fstree_resolve(t, link, false, false, &canon, &quiet) == 0 &&
	    (m = pl_fstree_get(t, canon)) != NULL && m->type == PL_FT_SYMLINK)
		rc = pl_fstree_remove(t, canon, err);
	free(canon);
	return rc;
}

static int cmp_slave_idx(const void *a, const void *b, void *ctx)
{
	const struct group *g = ctx;

	return strcmp(g->slaves[*(const size_t *)a].name, g->slaves[*(const size_t *)b].name);
}

static int cmp_choice_ptr(const void *a, const void *b)
{
	const struct choice *x = *(const struct choice *const *)a;
	const struct choice *y = *(const struct choice *const *)b;

	return strcmp(x->path, y->path);
}

static int write_group(struct pl_fstree *t, struct pl_cas *cas, struct group *g, int64_t epoch,
		       struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	const struct choice **cs = NULL;
	const struct choice *best = NULL;
	size_t *order = NULL, nused = 0;
	char *path = NULL;
	int rc = 0;

	/* best: highest priority, the first one installed on a tie */
	for (size_t i = 0; i < g->nchoices; i++)
		if (!best || g->choices[i].priority > best->priority)
			best = &g->choices[i];
	if (!best)
		return 0;
	order = calloc(g->nslaves + 1, sizeof(*order));
	cs = calloc(g->nchoices, sizeof(*cs));
	if (!order || !cs) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	/* slaves no choice provides are dropped, as update-alternatives does */
	for (size_t i = 0; i < g->nslaves; i++) {
		bool used = false;

		for (size_t j = 0; j < g->nchoices && !used; j++)
			used = g->choices[j].slave_paths[i] != NULL;
		if (used)
			order[nused++] = i;
	}
	qsort_r(order, nused, sizeof(*order), cmp_slave_idx, g);
	for (size_t i = 0; i < g->nchoices; i++)
		cs[i] = &g->choices[i];
	qsort(cs, g->nchoices, sizeof(*cs), cmp_choice_ptr);

	rc = pl_buf_addf(&b, err, "auto\n%s\n", g->link);
	for (size_t i = 0; i < nused && rc == 0; i++)
		rc = pl_buf_addf(&b, err, "%s\n%s\n", g->slaves[order[i]].name,
				 g->slaves[order[i]].link);
	if (rc == 0)
		rc = pl_buf_addch(&b, '\n', err);
	for (size_t j = 0; j < g->nchoices && rc == 0; j++) {
		rc = pl_buf_addf(&b, err, "%s\n%d\n", cs[j]->path, cs[j]->priority);
		for (size_t i = 0; i < nused && rc == 0; i++) {
			const char *sp = cs[j]->slave_paths[order[i]];

			rc = pl_buf_addf(&b, err, "%s\n", sp ? sp : "");
		}
	}
	if (rc == 0)
		rc = pl_buf_addch(&b, '\n', err);
	if (rc < 0)
		goto out;
	path = pkgdb_strf(err, PKGDB_ADMINDIR "/alternatives/%s", g->name);
	if (!path) {
		rc = PL_ENOMEM;
		goto out;
	}
	rc = pkgdb_tree_put_dir(t, PKGDB_ADMINDIR "/alternatives", epoch, err);
	if (rc == 0)
		rc = pkgdb_tree_put_file(t, cas, path, b.data, b.len, 0644, epoch, err);
	if (rc < 0)
		goto out;

	/* links: LINK -> /etc/alternatives/NAME -> PATH, and the slaves */
	free(path);
	path = pkgdb_strf(err, "etc/alternatives/%s", g->name);
	if (!path) {
		rc = PL_ENOMEM;
		goto out;
	}
	rc = pkgdb_tree_put_dir(t, "etc/alternatives", epoch, err);
	if (rc == 0)
		rc = pkgdb_tree_put_link(t, path, best->path, epoch, err);
	free(path);
	path = pkgdb_strf(err, "/etc/alternatives/%s", g->name);
	if (rc == 0 && !path)
		rc = PL_ENOMEM;
	if (rc == 0)
		rc = make_link(t, g->link, path, epoch, err);
	for (size_t i = 0; i < nused && rc == 0; i++) {
		const struct slave *s = &g->slaves[order[i]];
		const char *sp = best->slave_paths[order[i]];

		free(path);
		path = pkgdb_strf(err, "/etc/alternatives/%s", s->name);
		if (!path) {
			rc = PL_ENOMEM;
			break;
		}
		if (sp && tree_exists(t, sp)) {
			rc = pkgdb_tree_put_link(t, path + 1, sp, epoch, err);
			if (rc == 0)
				rc = make_link(t, s->link, path, epoch, err);
		} else {
			if (sp)
				pl_log_warn("update-alternatives: skip creation of %s because "
					    "associated file %s (of link group %s) doesn't exist",
					    s->link, sp, g->name);
			rc = drop_link(t, path + 1, err);
			if (rc == 0)
				rc = drop_link(t, s->link, err);
		}
	}
out:
	if (rc < 0)
		pl_err_wrap(err, "alternative '%s'", g->name);
	free(path);
	free(order);
	free(cs);
	pl_buf_release(&b);
	return rc;
}

int pl_pkgdb_alternatives(struct pl_fstree *t, struct pl_cas *cas, const struct pl_deb *const *debs,
			  size_t n, int64_t epoch, struct pl_err *err)
{
	struct pl_alt_list l = {NULL, 0};
	struct groups gs = {NULL, 0};
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *pkg = "?";
		const char *ctl = debs[i]->control ? debs[i]->control : "";
		const char *pk = strncmp(ctl, "Package:", 8) == 0 ? ctl : strstr(ctl, "\nPackage:");
		char name[128];

		if (!debs[i]->postinst)
			continue;
		if (pk) {
			size_t k = 0;

			pk += *pk == '\n' ? 9 : 8;
			while (*pk == ' ' || *pk == '\t')
				pk++;
			while (pk[k] && pk[k] != '\n' && pk[k] != ' ' && k + 1 < sizeof(name))
				k++;
			memcpy(name, pk, k);
			name[k] = '\0';
			pkg = name;
		}
		rc = pl_alt_scan(debs[i]->postinst, pkg, &l, err);
	}
	if (rc < 0)
		goto out;
	/* existing groups from the tree first, then the installs in order */
	for (size_t i = 0; i < l.n; i++) {
		bool seen = false;

		for (size_t j = 0; j < gs.n && !seen; j++)
			seen = strcmp(gs.v[j].name, l.v[i].name) == 0;
		if (!seen) {
			char *path =
			    pkgdb_strf(err, PKGDB_ADMINDIR "/alternatives/%s", l.v[i].name);
			char *data = NULL;
			size_t len = 0;

			if (!path) {
				rc = PL_ENOMEM;
				goto out;
			}
			rc = pkgdb_tree_read(t, cas, path, &data, &len, err);
			if (rc == 0) {
				struct pl_err perr = PL_ERR_INIT;

				rc = load_admin(&gs, l.v[i].name, data, len, &perr);
				if (rc == PL_EINVAL) {
					pl_log_warn("'/%s': %s; starting it afresh", path,
						    perr.msg);
					rc = 0;
				} else if (rc < 0) {
					pl_err_set(err, rc, "%s", perr.msg);
				}
			} else if (rc == PL_ENOTFOUND && err->code == 0) {
				rc = 0;
			}
			free(path);
			free(data);
			if (rc < 0)
				goto out;
		}
		if (!tree_exists(t, l.v[i].path)) {
			pl_log_warn("update-alternatives: alternative path %s doesn't exist; "
				    "not adding it to '%s'",
				    l.v[i].path, l.v[i].name);
			continue;
		}
		rc = group_install(&gs, &l.v[i], err);
		if (rc < 0)
			goto out;
	}
	/* existing choices whose path is gone do not win */
	for (size_t i = 0; i < gs.n; i++) {
		struct group *g = &gs.v[i];
		size_t k = 0;

		for (size_t j = 0; j < g->nchoices; j++) {
			if (tree_exists(t, g->choices[j].path))
				g->choices[k++] = g->choices[j];
			else
				choice_release(&g->choices[j], g->nslaves);
		}
		g->nchoices = k;
		rc = write_group(t, cas, g, epoch, err);
		if (rc < 0)
			goto out;
	}
out:
	groups_release(&gs);
	pl_alt_list_release(&l);
	return rc;
}
