/*
 * recipes/<name>.yaml -> struct pl_recipe. Types, keys, required fields,
 * enumerations and single-value formats are checked here; rules relating
 * several values (paths, duplicates, ids) are pl_recipe_lint's.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const recipe_keys[] = {
    "name",	"tags",	    "description", "base",   "architectures", "sources",
    "packages", "patches",  "policy",	   "layers", "files",	      "directories",
    "symlinks", "tarballs", "accounts",	   "config", "annotations",   "package_set",
    "dpkg_database", NULL,
};

static const char *const layer_keys[] = {
    "name", "comment", "packages", "files", "directories", "symlinks", "tarballs", NULL,
};

static int nomem(const struct yctx *c)
{
	return pl_err_set(c->err, PL_ENOMEM, "out of memory");
}

/* ---- architectures ---- */

static const struct arch {
	const char *deb, *oci, *variant, *alias;
} arches[] = {
    {"amd64", "amd64", NULL, NULL},	{"arm64", "arm64", "v8", "arm64/v8"},
    {"armhf", "arm", "v7", "arm/v7"},	{"armel", "arm", "v5", "arm/v5"},
    {"i386", "386", NULL, "386"},	{"ppc64el", "ppc64le", NULL, "ppc64le"},
    {"s390x", "s390x", NULL, NULL},	{"mips64el", "mips64le", NULL, "mips64le"},
    {"riscv64", "riscv64", NULL, NULL},
};

static const struct arch *find_arch(const char *name)
{
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (!strcmp(name, arches[i].deb) ||
		    (arches[i].alias && !strcmp(name, arches[i].alias)))
			return &arches[i];
	return NULL;
}

int pl_recipe_arch_oci(const char *deb, const char **arch, const char **variant)
{
	const struct arch *a = find_arch(deb);

	if (!a)
		return PL_ENOTFOUND;
	*arch = a->oci;
	*variant = a->variant;
	return 0;
}

static int parse_arches(const struct yctx *c, const struct yn *n, struct pl_recipe_list *out)
{
	int rc = yc_list(c, n, out);
	const struct yn *v = n->head;

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < out->n; i++, v = v->next) {
		const struct arch *a = find_arch(out->v[i]);

		if (!a)
			return yc_fail(
			    c, v, PL_EINVAL,
			    "unknown architecture '%.40s' (use a Debian name: amd64, "
			    "arm64, armhf, armel, i386, ppc64el, s390x, mips64el, riscv64)",
			    out->v[i]);
		out->v[i] = (char *)a->deb;
	}
	return 0;
}

/* ---- layer items ---- */

static bool name_ok(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("._-", *s)))
			return false;
	return true;
}

static int owner(const struct yctx *c, const struct yn *n, uint32_t *uid, uint32_t *gid)
{
	const struct yn *v;
	int rc;

	if ((v = yn_get(n, "uid")) && (rc = yc_id(c, v, uid)) < 0)
		return rc;
	if ((v = yn_get(n, "gid")) && (rc = yc_id(c, v, gid)) < 0)
		return rc;
	return 0;
}

int yc_content_or_source(const struct yctx *c, const struct yn *n, const char *what, char **content,
			 size_t *content_len, char **source, struct pl_mark *source_mark)
{
	const struct yn *vc = yn_get(n, "content"), *vs = yn_get(n, "source");
	int rc;

	if (vc && vs) {
		const struct yn *later =
		    vc->key->line > vs->key->line ||
			    (vc->key->line == vs->key->line && vc->key->col > vs->key->col)
			? vc
			: vs;

		return yc_fail(c, later->key, PL_EINVAL,
			       "%s has both 'content' and 'source'; give one of them", what);
	}
	if (!vc && !vs)
		return yc_fail(c, n, PL_EINVAL,
			       "%s needs 'content' (inline) or 'source' (a repo path)", what);
	if (vc)
		return yc_text(c, vc, content, content_len);
	rc = yc_str(c, vs, source);
	if (source_mark)
		*source_mark = yc_mark(c, vs);
	return rc;
}

static int parse_file(const struct yctx *c, const struct yn *n, struct pl_recipe_file *f)
{
	static const char *const keys[] = {"path", "content", "source", "mode", "uid", "gid", NULL};
	const struct yn *v;
	int rc = yc_keys(c, n, keys, "a file");

	if (rc < 0)
		return rc;
	f->mark = yc_mark(c, n);
	f->mode = 0644;
	if ((rc = yc_need(c, n, "path", "file", &v)) < 0 || (rc = yc_str(c, v, &f->path)) < 0)
		return rc;
	f->path_mark = yc_mark(c, v);
	rc = yc_content_or_source(c, n, "file", &f->content, &f->content_len, &f->source,
				  &f->source_mark);
	if (rc < 0)
		return rc;
	if ((v = yn_get(n, "mode")) && (rc = yc_mode(c, v, &f->mode)) < 0)
		return rc;
	return owner(c, n, &f->uid, &f->gid);
}

static int parse_dir(const struct yctx *c, const struct yn *n, struct pl_recipe_dir *d)
{
	static const char *const keys[] = {"path", "mode", "uid", "gid", NULL};
	const struct yn *v;
	int rc = yc_keys(c, n, keys, "a directory");

	if (rc < 0)
		return rc;
	d->mark = yc_mark(c, n);
	d->mode = 0755;
	if ((rc = yc_need(c, n, "path", "directory", &v)) < 0 || (rc = yc_str(c, v, &d->path)) < 0)
		return rc;
	d->path_mark = yc_mark(c, v);
	if ((v = yn_get(n, "mode")) && (rc = yc_mode(c, v, &d->mode)) < 0)
		return rc;
	return owner(c, n, &d->uid, &d->gid);
}

static int parse_symlink(const struct yctx *c, const struct yn *n, struct pl_recipe_symlink *s)
{
	static const char *const keys[] = {"path", "target", NULL};
	const struct yn *v;
	int rc = yc_keys(c, n, keys, "a symlink");

	if (rc < 0)
		return rc;
	s->mark = yc_mark(c, n);
	if ((rc = yc_need(c, n, "path", "symlink", &v)) < 0 || (rc = yc_str(c, v, &s->path)) < 0)
		return rc;
	s->path_mark = yc_mark(c, v);
	if ((rc = yc_need(c, n, "target", "symlink", &v)) < 0 ||
	    (rc = yc_str(c, v, &s->target)) < 0)
		return rc;
	if (!s->target[0])
		return yc_fail(c, v, PL_EINVAL, "symlink target must not be empty");
	return 0;
}

static int parse_tarball(const struct yctx *c, const struct yn *n, struct pl_recipe_tarball *t)
{
	static const char *const keys[] = {"source", "sha256", "destination", "uid", "gid", NULL};
	const struct yn *v;
	char *sha;
	int rc = yc_keys(c, n, keys, "a tarball");

	if (rc < 0)
		return rc;
	t->mark = yc_mark(c, n);
	if ((rc = yc_need(c, n, "source", "tarball", &v)) < 0 ||
	    (rc = yc_str(c, v, &t->source)) < 0)
		return rc;
	t->source_mark = yc_mark(c, v);
	if ((rc = yc_need(c, n, "sha256", "tarball", &v)) < 0 || (rc = yc_str(c, v, &sha)) < 0)
		return rc;
	t->sha256_mark = yc_mark(c, v);
	if (!strncmp(sha, "sha256:", 7))
		sha += 7;
	if (!pl_recipe_is_hex64(sha))
		return yc_fail(c, v, PL_EINVAL,
			       "'sha256' must be 64 lowercase hex digits (sha256sum of the "
			       "tarball), got '%.80s'",
			       sha);
	memcpy(t->sha256, sha, 65);
	t->destination = "/";
	if ((v = yn_get(n, "destination"))) {
		t->destination_mark = yc_mark(c, v);
		if ((rc = yc_str(c, v, &t->destination)) < 0)
			return rc;
	}
	if ((v = yn_get(n, "uid"))) {
		if ((rc = yc_id(c, v, &t->uid)) < 0)
			return rc;
		t->has_uid = true;
	}
	if ((v = yn_get(n, "gid"))) {
		if ((rc = yc_id(c, v, &t->gid)) < 0)
			return rc;
		t->has_gid = true;
	}
	return 0;
}

/* Parse a list of maps into an arena array of n elements of size size. */
static int parse_items(const struct yctx *c, const struct yn *list, size_t size,
		       int (*one)(const struct yctx *, const struct yn *, void *), void **out,
		       size_t *count)
{
	unsigned char *arr;
	size_t i = 0;
	int rc = yc_seq(c, list);

	if (rc < 0)
		return rc;
	arr = ar_array(c->a, list->n + 1, size);
	if (!arr)
		return nomem(c);
	for (const struct yn *v = list->head; v; v = v->next, i++) {
		rc = one(c, v, arr + i * size);
		if (rc < 0)
			return rc;
	}
	*out = arr;
	*count = list->n;
	return 0;
}

static int one_file(const struct yctx *c, const struct yn *n, void *p)
{
	return parse_file(c, n, p);
}
static int one_dir(const struct yctx *c, const struct yn *n, void *p)
{
	return parse_dir(c, n, p);
}
static int one_symlink(const struct yctx *c, const struct yn *n, void *p)
{
	return parse_symlink(c, n, p);
}
static int one_tarball(const struct yctx *c, const struct yn *n, void *p)
{
	return parse_tarball(c, n, p);
}

/* files/directories/symlinks/tarballs of map n into l. */
static int parse_layer_items(const struct yctx *c, const struct yn *n, struct pl_recipe_layer *l)
{
	const struct yn *v;
	void *p = NULL;
	int rc;

	if ((v = yn_get(n, "files"))) {
		if ((rc = parse_items(c, v, sizeof(*l->files), one_file, &p, &l->nfiles)) < 0)
			return rc;
		l->files = p;
	}
	if ((v = yn_get(n, "directories"))) {
		if ((rc = parse_items(c, v, sizeof(*l->dirs), one_dir, &p, &l->ndirs)) < 0)
			return rc;
		l->dirs = p;
	}
	if ((v = yn_get(n, "symlinks"))) {
		if ((rc = parse_items(c, v, sizeof(*l->symlinks), one_symlink, &p, &l->nsymlinks)) <
		    0)
			return rc;
		l->symlinks = p;
	}
	if ((v = yn_get(n, "tarballs"))) {
		if ((rc = parse_items(c, v, sizeof(*l->tarballs), one_tarball, &p, &l->ntarballs)) <
		    0)
			return rc;
		l->tarballs = p;
	}
	return 0;
}

static int parse_layer(const struct yctx *c, const struct yn *n, void *p)
{
	struct pl_recipe_layer *l = p;
	const struct yn *v;
	int rc = yc_keys(c, n, layer_keys, "a layer");

	if (rc < 0)
		return rc;
	l->mark = yc_mark(c, n);
	if ((rc = yc_opt_str(c, n, "name", &l->name, NULL)) < 0 ||
	    (rc = yc_opt_str(c, n, "comment", &l->comment, NULL)) < 0)
		return rc;
	if ((v = yn_get(n, "packages")) && (rc = yc_list(c, v, &l->packages)) < 0)
		return rc;
	return parse_layer_items(c, n, l);
}

/* ---- accounts ---- */

static int parse_group(const struct yctx *c, const struct yn *n, void *p)
{
	static const char *const keys[] = {"name", "gid", NULL};
	struct pl_recipe_group *g = p;
	const struct yn *v;
	int rc = yc_keys(c, n, keys, "a group");

	if (rc < 0)
		return rc;
	g->mark = yc_mark(c, n);
	if ((rc = yc_need(c, n, "name", "group", &v)) < 0 || (rc = yc_str(c, v, &g->name)) < 0)
		return rc;
	if ((rc = yc_need(c, n, "gid", "group", &v)) < 0 || (rc = yc_id(c, v, &g->gid)) < 0)
		return rc;
	return 0;
}

static int parse_user(const struct yctx *c, const struct yn *n, void *p)
{
	static const char *const keys[] = {"name", "uid", "gid", "home", "shell", "gecos", NULL};
	struct pl_recipe_user *u = p;
	const struct yn *v;
	int rc = yc_keys(c, n, keys, "a user");

	if (rc < 0)
		return rc;
	u->mark = yc_mark(c, n);
	if ((rc = yc_need(c, n, "name", "user", &v)) < 0 || (rc = yc_str(c, v, &u->name)) < 0)
		return rc;
	if ((rc = yc_need(c, n, "uid", "user", &v)) < 0 || (rc = yc_id(c, v, &u->uid)) < 0)
		return rc;
	u->gid = u->uid;
	if ((v = yn_get(n, "gid"))) {
		u->gid_mark = yc_mark(c, v);
		if ((rc = yc_id(c, v, &u->gid)) < 0)
			return rc;
	}
	if ((rc = yc_opt_str(c, n, "home", &u->home, NULL)) < 0 ||
	    (rc = yc_opt_str(c, n, "shell", &u->shell, NULL)) < 0 ||
	    (rc = yc_opt_str(c, n, "gecos", &u->gecos, NULL)) < 0)
		return rc;
	if (!u->home) {
		char buf[300];

		if (u->uid == 0)
			u->home = "/root";
		else if (snprintf(buf, sizeof(buf), "/home/%s", u->name) >= (int)sizeof(buf))
			return yc_fail(c, n, PL_EINVAL, "user name too long");
		else if (!(u->home = ar_strdup(c->a, buf)))
			return nomem(c);
	}
	if (!u->shell)
		u->shell = "/usr/sbin/nologin";
	if (!u->gecos)
		u->gecos = "";
	return 0;
}

static int parse_accounts(const struct yctx *c, const struct yn *n, struct pl_recipe_accounts *a)
{
	static const char *const keys[] = {"groups", "users", NULL};
	const struct yn *v;
	void *p = NULL;
	int rc = yc_keys(c, n, keys, "'accounts'");

	if (rc < 0)
		return rc;
	a->mark = yc_mark(c, n);
	if ((v = yn_get(n, "groups"))) {
		if ((rc = parse_items(c, v, sizeof(*a->groups), parse_group, &p, &a->ngroups)) < 0)
			return rc;
		a->groups = p;
	}
	if ((v = yn_get(n, "users"))) {
		if ((rc = parse_items(c, v, sizeof(*a->users), parse_user, &p, &a->nusers)) < 0)
			return rc;
		a->users = p;
	}
	return 0;
}

/* ---- config ---- */

static int parse_port(const struct yctx *c, const struct yn *n, void *p)
{
	struct pl_recipe_port *port = p;
	enum yn_type t = yn_type(n);
	const char *proto = "tcp";
	char num[8], name[200];
	size_t len;
	long v;

	port->mark = yc_mark(c, n);
	yn_name(n, name, sizeof(name));
	if (t != YT_INT && t != YT_STR)
		return yc_fail(c, n, PL_EINVAL,
			       "%s must be a port such as 80 or \"53/udp\", got %s", name,
			       yn_type_name(t));
	len = strcspn(n->s, "/");
	if (n->s[len] == '/')
		proto = n->s + len + 1;
	if (len == 0 || len > 5 || strspn(n->s, "0123456789") != len || n->s[0] == '0')
		return yc_fail(c, n, PL_EINVAL,
			       "%s: '%.40s' is not a port such as 80 or \"53/udp\"", name, n->s);
	memcpy(num, n->s, len);
	num[len] = '\0';
	v = strtol(num, NULL, 10);
	if (v < 1 || v > 65535)
		return yc_fail(c, n, PL_EINVAL, "%s: port %ld is out of range (1 to 65535)", name,
			       v);
	if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
		return yc_fail(c, n, PL_EINVAL, "%s: protocol '%.20s' is not tcp, udp or sctp",
			       name, proto);
	port->port = (uint16_t)v;
	snprintf(port->proto, sizeof(port->proto), "%s", proto);
	snprintf(port->spec, sizeof(port->spec), "%ld/%s", v, proto);
	return 0;
}

static bool signal_ok(const char *s)
{
	if (strncmp(s, "SIG", 3) || !s[3])
		return false;
	for (s += 3; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '+' ||
		      *s == '-'))
			return false;
	return true;
}

static int parse_config(const struct yctx *c, const struct yn *n, struct pl_recipe_config *cfg)
{
	static const char *const keys[] = {"user",    "env",	"entrypoint",	 "cmd",
					   "workdir", "labels", "exposed_ports", "stop_signal",
					   "volumes", NULL};
	const struct yn *v;
	void *p = NULL;
	int rc = yc_keys(c, n, keys, "'config'");

	if (rc < 0)
		return rc;
	cfg->set = true;
	cfg->mark = yc_mark(c, n);
	if ((rc = yc_opt_str(c, n, "user", &cfg->user, &cfg->user_mark)) < 0 ||
	    (rc = yc_opt_str(c, n, "workdir", &cfg->workdir, &cfg->workdir_mark)) < 0)
		return rc;
	if ((v = yn_get(n, "env")) && (rc = yc_kvmap(c, v, &cfg->env)) < 0)
		return rc;
	if ((v = yn_get(n, "labels")) && (rc = yc_kvmap(c, v, &cfg->labels)) < 0)
		return rc;
	if ((v = yn_get(n, "entrypoint")) && (rc = yc_list(c, v, &cfg->entrypoint)) < 0)
		return rc;
	if ((v = yn_get(n, "cmd")) && (rc = yc_list(c, v, &cfg->cmd)) < 0)
		return rc;
	if ((v = yn_get(n, "volumes")) && (rc = yc_list(c, v, &cfg->volumes)) < 0)
		return rc;
	if ((v = yn_get(n, "exposed_ports"))) {
		cfg->ports_mark = yc_mark(c, v);
		if ((rc = parse_items(c, v, sizeof(*cfg->ports), parse_port, &p, &cfg->nports)) < 0)
			return rc;
		cfg->ports = p;
	}
	if ((v = yn_get(n, "stop_signal"))) {
		long long sig;

		cfg->stop_signal_mark = yc_mark(c, v);
		if (yn_type(v) == YT_INT) {
			char buf[8];

			if ((rc = yc_int(c, v, 1, 64, &sig)) < 0)
				return rc;
			snprintf(buf, sizeof(buf), "%lld", sig);
			if (!(cfg->stop_signal = ar_strdup(c->a, buf)))
				return nomem(c);
		} else {
			if ((rc = yc_str(c, v, &cfg->stop_signal)) < 0)
				return rc;
			if (!signal_ok(cfg->stop_signal))
				return yc_fail(c, v, PL_EINVAL,
					       "'stop_signal': '%.40s' is not a signal such as "
					       "SIGTERM or a number",
					       cfg->stop_signal);
		}
	}
	return 0;
}

/* ---- recipe ---- */

static int parse_patches(const struct yctx *c, const struct yn *v, struct pl_recipe *r)
{
	static const char *const modes[] = {"all", "none", NULL};
	int i, rc;

	r->patches_mark = yc_mark(c, v);
	if (v->kind == YN_SEQ) {
		r->patches = PL_RECIPE_PATCHES_LIST;
		return yc_list(c, v, &r->patch_ids);
	}
	if (yn_type(v) != YT_STR)
		return yc_fail(c, v, PL_EINVAL,
			       "'patches' must be \"all\", \"none\" or a list of patch ids, got %s",
			       yn_type_name(yn_type(v)));
	if ((rc = yc_enum(c, v, modes, &i)) < 0)
		return rc;
	r->patches = i == 0 ? PL_RECIPE_PATCHES_ALL : PL_RECIPE_PATCHES_NONE;
	return 0;
}

static int default_list(const struct yctx *c, struct pl_recipe_list *l, const char *value)
{
	l->v = ar_array(c->a, 2, sizeof(char *));
	l->marks = ar_array(c->a, 2, sizeof(struct pl_mark));
	if (!l->v || !l->marks)
		return nomem(c);
	l->v[0] = (char *)value;
	l->marks[0].file = c->file;
	l->n = 1;
	return 0;
}

static int parse_recipe(const struct yctx *c, const struct yn *root, struct pl_recipe *r)
{
	const struct yn *v, *first_item = NULL;
	void *p = NULL;
	int rc;

	if ((rc = yc_root(c, root, "a recipe")) < 0 ||
	    (rc = yc_keys(c, root, recipe_keys, "recipe")) < 0)
		return rc;
	if ((rc = yc_need(c, root, "name", "recipe", &v)) < 0 || (rc = yc_str(c, v, &r->name)) < 0)
		return rc;
	r->name_mark = yc_mark(c, v);
	if (!name_ok(r->name) || strlen(r->name) > 128)
		return yc_fail(c, v, PL_EINVAL,
			       "'name': '%.60s' is not a valid recipe name (lowercase letters, "
			       "digits, '.', '_', '-', starting with a letter or digit)",
			       r->name);
	if ((rc = yc_opt_str(c, root, "description", &r->description, NULL)) < 0)
		return rc;
	r->base = "scratch";
	if ((rc = yc_opt_str(c, root, "base", &r->base, &r->base_mark)) < 0)
		return rc;
	if ((v = yn_get(root, "tags"))) {
		if ((rc = yc_list(c, v, &r->tags)) < 0)
			return rc;
	} else if ((rc = default_list(c, &r->tags, "latest")) < 0) {
		return rc;
	}
	if ((v = yn_get(root, "architectures"))) {
		if ((rc = parse_arches(c, v, &r->architectures)) < 0)
			return rc;
	} else if ((rc = default_list(c, &r->architectures, "amd64")) < 0) {
		return rc;
	}
	if ((v = yn_get(root, "sources")) && (rc = yc_list(c, v, &r->sources)) < 0)
		return rc;
	if ((v = yn_get(root, "packages")) && (rc = yc_list(c, v, &r->packages)) < 0)
		return rc;
	if ((v = yn_get(root, "package_set"))) {
		static const char *const keys[] = {"essential", "required", NULL};
		const struct yn *w;

		if ((rc = yc_keys(c, v, keys, "package_set")) < 0)
			return rc;
		if ((w = yn_get(v, "essential")) && (rc = yc_bool(c, w, &r->essential)) < 0)
			return rc;
		if ((w = yn_get(v, "required")) && (rc = yc_bool(c, w, &r->required)) < 0)
			return rc;
	}
	if ((v = yn_get(root, "dpkg_database"))) {
		static const char *const styles[] = {"status", "status.d", "both", NULL};
		int k;

		if ((rc = yc_enum(c, v, styles, &k)) < 0)
			return rc;
		r->dpkg_database = (enum pl_recipe_dpkgdb)k;
	}
	if ((v = yn_get(root, "patches")) && (rc = parse_patches(c, v, r)) < 0)
		return rc;
	r->policy.fail_on = PL_RECIPE_SEV_HIGH;
	if ((v = yn_get(root, "policy")) && (rc = yc_policy(c, v, &r->policy)) < 0)
		return rc;

	/* layers:, then the shorthand layer made of top-level items, last */
	for (v = root->head; v; v = v->next)
		if (!first_item &&
		    (!strcmp(v->key->s, "files") || !strcmp(v->key->s, "directories") ||
		     !strcmp(v->key->s, "symlinks") || !strcmp(v->key->s, "tarballs")))
			first_item = v;
	if ((v = yn_get(root, "layers"))) {
		if ((rc = parse_items(c, v, sizeof(*r->layers), parse_layer, &p, &r->nlayers)) < 0)
			return rc;
		r->layers = p;
	}
	if (first_item) {
		struct pl_recipe_layer *l = ar_array(c->a, r->nlayers + 1, sizeof(*l));

		if (!l)
			return nomem(c);
		if (r->nlayers)
			memcpy(l, r->layers, r->nlayers * sizeof(*l));
		r->layers = l;
		l += r->nlayers++;
		l->shorthand = true;
		l->mark = yc_mark(c, first_item->key);
		if ((rc = parse_layer_items(c, root, l)) < 0)
			return rc;
	}
	if ((v = yn_get(root, "accounts")) && (rc = parse_accounts(c, v, &r->accounts)) < 0)
		return rc;
	if ((v = yn_get(root, "config")) && (rc = parse_config(c, v, &r->config)) < 0)
		return rc;
	if ((v = yn_get(root, "annotations")) && (rc = yc_kvmap(c, v, &r->annotations)) < 0)
		return rc;
	return 0;
}

int pl_recipe_parse(const char *data, size_t len, const char *file, struct pl_recipe **out,
		    struct pl_err *err)
{
	struct yc_doc d;
	struct pl_recipe *r;
	int rc;

	*out = NULL;
	rc = yc_doc_begin(&d, data, len, file, "<recipe>", sizeof(*r), err);
	r = d.model;
	if (rc == 0) {
		r->arena = d.c.a;
		r->file = d.c.file;
		rc = parse_recipe(&d.c, d.root, r);
	}
	rc = yc_doc_end(&d, rc);
	if (rc == 0)
		*out = r;
	return rc;
}

void pl_recipe_free(struct pl_recipe *r)
{
	if (r)
		ar_free(r->arena);
}
