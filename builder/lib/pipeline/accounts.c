/*
 * Declarative accounts: the effect of adduser/groupadd maintainer scripts,
 * without running anything. Existing /etc/passwd and /etc/group lines from
 * earlier layers are kept byte for byte; declared accounts are appended.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/pipeline/internal.h"
#include "util/buf.h"

#define ACCOUNTS_MAX (16u << 20)

/* The file at path in merged, or an empty buffer when it does not exist. */
static int read_existing(const struct pl_assemble_ctx *c, const struct pl_fstree *merged,
			 const char *path, struct pl_buf *out, struct pl_err *err)
{
	const struct pl_fsmeta *m = pl_fstree_get(merged, path);
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (!m)
		return 0;
	if (m->type != PL_FT_REG)
		return pl_err_set(err, PL_EINVAL, "accounts: /%s in the image is not a regular file",
				  path);
	rc = pl_cas_read(c->content, m->digest, ACCOUNTS_MAX, &data, &len, err);
	if (rc < 0)
		return rc;
	rc = pl_buf_add(out, data, len, err);
	if (rc == 0 && out->len && out->data[out->len - 1] != '\n')
		rc = pl_buf_addch(out, '\n', err);
	free(data);
	return rc;
}

/*
 * Look for an entry "name:" or with id in field 3 of a passwd/group file;
 * returns 1 with *id_out when name is present, 2 when only the id is taken.
 */
static int find_entry(const struct pl_buf *f, const char *name, uint32_t id, uint32_t *id_out)
{
	size_t nl = strlen(name);
	const char *p = f->data;
	int found = 0;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		const char *c1 = memchr(p, ':', eol ? (size_t)(eol - p) : strlen(p));
		const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		unsigned long v = c2 ? strtoul(c2 + 1, NULL, 10) : (unsigned long)-1;

		if (c1 && (size_t)(c1 - p) == nl && !memcmp(p, name, nl)) {
			*id_out = (uint32_t)v;
			return 1;
		}
		if (c2 && v == id)
			found = 2;
		p = eol ? eol + 1 : NULL;
	}
	return found;
}

static int add_group(struct pl_buf *g, const char *name, uint32_t gid, const struct pl_mark *mk,
		     struct pl_err *err)
{
	uint32_t have = 0;

	switch (find_entry(g, name, gid, &have)) {
	case 1:
		if (have == gid)
			return 0;
		return pl_err_set(err, PL_EINVAL,
				  PL_MARK_FMT ": group '%s' already exists in /etc/group with gid %u",
				  PL_MARK_ARGS(*mk), name, have);
	case 2:
		return pl_err_set(err, PL_EINVAL,
				  PL_MARK_FMT ": gid %u of group '%s' is taken in /etc/group",
				  PL_MARK_ARGS(*mk), gid, name);
	}
	return pl_buf_addf(g, err, "%s:x:%u:\n", name, gid);
}

static int add_user(struct pl_buf *p, const struct pl_recipe_user *u, struct pl_err *err)
{
	uint32_t have = 0;

	switch (find_entry(p, u->name, u->uid, &have)) {
	case 1:
		if (have == u->uid)
			return 0;
		return pl_err_set(err, PL_EINVAL,
				  PL_MARK_FMT ": user '%s' already exists in /etc/passwd with uid %u",
				  PL_MARK_ARGS(u->mark), u->name, have);
	case 2:
		return pl_err_set(err, PL_EINVAL,
				  PL_MARK_FMT ": uid %u of user '%s' is taken in /etc/passwd",
				  PL_MARK_ARGS(u->mark), u->uid, u->name);
	}
	return pl_buf_addf(p, err, "%s:x:%u:%u:%s:%s:%s\n", u->name, u->uid, u->gid,
			   u->gecos ? u->gecos : "", u->home, u->shell);
}

/* True when the image has a /bin/sh to log in with. */
static bool has_shell(const struct pl_fstree *merged)
{
	char *canon = NULL;
	bool ok = pl_fstree_resolve(merged, "bin/sh", true, false, &canon, NULL) == 0;

	free(canon);
	return ok;
}

static bool group_declared(const struct pl_recipe_accounts *a, uint32_t gid)
{
	for (size_t i = 0; i < a->ngroups; i++)
		if (a->groups[i].gid == gid)
			return true;
	return false;
}

static int put_text(const struct pl_assemble_ctx *c, struct pl_fstree *t, const char *path,
		    const struct pl_buf *b, const struct pl_fstree *merged, struct pl_err *err)
{
	struct pl_fsmeta m = { .type = PL_FT_REG, .mode = 0644, .mtime = c->epoch };
	const struct pl_fsmeta *old = pl_fstree_get(merged, path);
	int rc;

	if (old && old->type == PL_FT_REG) {
		m.mode = old->mode;
		m.uid = old->uid;
		m.gid = old->gid;
	}
	rc = pl_cas_put_buf(c->content, b->data ? b->data : "", b->len, NULL, m.digest, err);
	if (rc < 0)
		return rc;
	m.size = b->len;
	return pl_fstree_put(t, path, &m, err);
}

static int put_dir(struct pl_fstree *t, const struct pl_fstree *merged, const char *path,
		   uint32_t uid, uint32_t gid, int64_t epoch, struct pl_err *err)
{
	struct pl_fsmeta m = { .type = PL_FT_DIR, .mode = 0755, .uid = uid, .gid = gid,
			       .mtime = epoch };
	const struct pl_fsmeta *old = pl_fstree_get(merged, path);

	if (old && old->type == PL_FT_DIR) {
		m = *old;
		m.link = NULL;
	}
	return pl_fstree_put(t, path, &m, err);
}

int pl_assemble_accounts(const struct pl_assemble_ctx *c, const struct pl_recipe *r,
			 const struct pl_fstree *merged, struct pl_fstree **out,
			 struct pl_err *err)
{
	const struct pl_recipe_accounts *a = &r->accounts;
	struct pl_buf passwd = PL_BUF_INIT, group = PL_BUF_INIT;
	struct pl_fstree *t = NULL;
	bool fresh_passwd, fresh_group;
	size_t i;
	int rc;

	*out = NULL;
	if (a->nusers == 0 && a->ngroups == 0)
		return 0;
	fresh_passwd = !pl_fstree_get(merged, "etc/passwd");
	fresh_group = !pl_fstree_get(merged, "etc/group");
	rc = read_existing(c, merged, "etc/passwd", &passwd, err);
	if (rc == 0)
		rc = read_existing(c, merged, "etc/group", &group, err);
	/* a fresh image gets root, as every passwd database has it */
	if (rc == 0 && fresh_passwd)
		rc = pl_buf_addf(&passwd, err, "root:x:0:0:root:/root:%s\n",
				 has_shell(merged) ? "/bin/sh" : "/usr/sbin/nologin");
	if (rc == 0 && fresh_group)
		rc = pl_buf_adds(&group, "root:x:0:\n", err);
	for (i = 0; rc == 0 && i < a->ngroups; i++)
		rc = add_group(&group, a->groups[i].name, a->groups[i].gid, &a->groups[i].mark,
			       err);
	for (i = 0; rc == 0 && i < a->nusers; i++) {
		const struct pl_recipe_user *u = &a->users[i];

		uint32_t have;

		/*
		 * A user without a declared group joins the image's group of that
		 * gid, or gets a group of its own name.
		 */
		if (!group_declared(a, u->gid) && find_entry(&group, u->name, u->gid, &have) != 2)
			rc = add_group(&group, u->name, u->gid, &u->mark, err);
		if (rc == 0)
			rc = add_user(&passwd, u, err);
	}
	if (rc == 0)
		rc = pl_fstree_new(&t, err);
	if (rc == 0)
		rc = put_dir(t, merged, "etc", 0, 0, c->epoch, err);
	if (rc == 0)
		rc = put_text(c, t, "etc/passwd", &passwd, merged, err);
	if (rc == 0)
		rc = put_text(c, t, "etc/group", &group, merged, err);
	for (i = 0; rc == 0 && i < a->nusers; i++) {
		const struct pl_recipe_user *u = &a->users[i];
		const char *home = u->home;
		char *p, *s;

		while (*home == '/')
			home++;
		if (!*home || pl_fstree_get(merged, home))
			continue;
		/* parents of the home directory, then the home itself, owned by the user */
		p = strdup(home);
		if (!p) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			break;
		}
		for (s = p; rc == 0 && (s = strchr(s, '/')) != NULL; s++) {
			*s = '\0';
			if (!pl_fstree_get(t, p))
				rc = put_dir(t, merged, p, 0, 0, c->epoch, err);
			*s = '/';
		}
		if (rc == 0) {
			struct pl_fsmeta m = { .type = PL_FT_DIR, .mode = 0755, .uid = u->uid,
					       .gid = u->gid, .mtime = c->epoch };

			rc = pl_fstree_put(t, p, &m, err);
		}
		free(p);
		if (rc < 0)
			pl_err_wrap(err, PL_MARK_FMT ": home of '%s'", PL_MARK_ARGS(u->mark),
				    u->name);
	}
	pl_buf_release(&passwd);
	pl_buf_release(&group);
	if (rc < 0) {
		pl_fstree_free(t);
		return rc;
	}
	*out = t;
	return 0;
}
