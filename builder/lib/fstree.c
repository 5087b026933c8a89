#include "lib/fstree.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Layout: a node per path (name, parent, sorted child array) pointing at a
 * refcounted inode (metadata + xattrs) shared by hardlinks. Nodes carry an
 * id that survives clone, so diff can tell a directory that was removed and
 * re-created from one that was only modified.
 */

#define PATH_MAX_LEN 4096 /* longest path accepted (as tar layers cap it) */
#define SYMLOOP_MAX_N 40

struct inode {
	struct pl_fsmeta meta;
	struct pl_xattr *xattrs; /* sorted by name */
	uint32_t nxattrs;
	uint32_t refs; /* nodes pointing here (hardlinks) */
};

struct pl_fsnode {
	struct pl_fsnode *parent;
	struct pl_fsnode **kids; /* sorted bytewise by name */
	struct inode *ino;
	uint64_t id;
	uint32_t nkids, capkids;
	uint16_t namelen;
	bool opaque;
	char name[];
};

struct pl_fstree {
	struct pl_fsnode *root;
	size_t count;
	uint64_t family; /* shared by clones: node ids comparable within a family */
};

static atomic_uint_fast64_t next_id = 1;

static uint64_t new_id(void)
{
	return (uint64_t)atomic_fetch_add(&next_id, 1);
}

/* ---- inodes ---- */

static void xattrs_free(struct pl_xattr *x, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		free(x[i].name);
		free(x[i].value);
	}
	free(x);
}

static void inode_unref(struct inode *ino)
{
	if (!ino || --ino->refs > 0)
		return;
	free(ino->meta.link);
	xattrs_free(ino->xattrs, ino->nxattrs);
	free(ino);
}

static int meta_check(const struct pl_fsmeta *m, const char *path, struct pl_err *err)
{
	if (m->type < PL_FT_REG || m->type > PL_FT_WHITEOUT)
		return pl_err_set(err, PL_EINVAL, "'%s': unknown file type %d", path, (int)m->type);
	if (m->type == PL_FT_SYMLINK && (!m->link || !m->link[0]))
		return pl_err_set(err, PL_EINVAL, "'%s': symlink without a target", path);
	return 0;
}

/* Copy meta into dst, keeping only the fields that matter for its type. */
static int meta_copy(struct pl_fsmeta *dst, const struct pl_fsmeta *src, struct pl_err *err)
{
	char *link = NULL;

	if (src->type == PL_FT_SYMLINK) {
		link = strdup(src->link);
		if (!link)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	memset(dst, 0, sizeof(*dst));
	dst->type = src->type;
	dst->mode = src->mode & 07777;
	dst->uid = src->uid;
	dst->gid = src->gid;
	dst->mtime = src->mtime;
	dst->link = link;
	if (src->type == PL_FT_REG) {
		dst->size = src->size;
		memcpy(dst->digest, src->digest, PL_DIGEST_SIZE);
		dst->digest[PL_DIGEST_SIZE - 1] = '\0';
	}
	if (src->type == PL_FT_CHR || src->type == PL_FT_BLK) {
		dst->devmajor = src->devmajor;
		dst->devminor = src->devminor;
	}
	return 0;
}

static struct inode *inode_new(const struct pl_fsmeta *m, struct pl_err *err)
{
	struct inode *ino = calloc(1, sizeof(*ino));

	if (!ino) {
		pl_err_set(err, PL_ENOMEM, "out of memory");
		return NULL;
	}
	if (meta_copy(&ino->meta, m, err) < 0) {
		free(ino);
		return NULL;
	}
	ino->refs = 1;
	return ino;
}

static int xattrs_copy(struct pl_xattr **out, const struct pl_xattr *src, uint32_t n,
		       struct pl_err *err)
{
	struct pl_xattr *x;

	*out = NULL;
	if (n == 0)
		return 0;
	x = calloc(n, sizeof(*x));
	if (!x)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		x[i].name = strdup(src[i].name);
		x[i].value = malloc(src[i].len ? src[i].len : 1);
		x[i].len = src[i].len;
		if (!x[i].name || !x[i].value) {
			xattrs_free(x, i + 1);
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		}
		memcpy(x[i].value, src[i].value, src[i].len);
	}
	*out = x;
	return 0;
}

static struct inode *inode_dup(const struct inode *src, struct pl_err *err)
{
	struct inode *ino = inode_new(&src->meta, err);

	if (!ino)
		return NULL;
	if (xattrs_copy(&ino->xattrs, src->xattrs, src->nxattrs, err) < 0) {
		inode_unref(ino);
		return NULL;
	}
	ino->nxattrs = src->nxattrs;
	return ino;
}

/* ---- nodes ---- */

static struct pl_fsnode *node_new(const char *name, size_t len, struct inode *ino,
				  struct pl_err *err)
{
	struct pl_fsnode *n;

	assert(len < 65536);
	n = calloc(1, sizeof(*n) + len + 1);
	if (!n) {
		pl_err_set(err, PL_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(n->name, name, len);
	n->namelen = (uint16_t)len;
	n->ino = ino;
	n->id = new_id();
	return n;
}

/* Free a node and its subtree; returns the number of nodes freed. */
static size_t node_free(struct pl_fsnode *n)
{
	size_t count = 1;

	if (!n)
		return 0;
	for (uint32_t i = 0; i < n->nkids; i++)
		count += node_free(n->kids[i]);
	free(n->kids);
	inode_unref(n->ino);
	free(n);
	return count;
}

static int name_cmp(const struct pl_fsnode *n, const char *name, size_t len)
{
	size_t m = n->namelen < len ? n->namelen : len;
	int c = memcmp(n->name, name, m);

	if (c)
		return c;
	return n->namelen < len ? -1 : n->namelen > len ? 1 : 0;
}

/* Binary search; returns the child or NULL with *pos the insertion point. */
static struct pl_fsnode *child_find(const struct pl_fsnode *dir, const char *name, size_t len,
				    uint32_t *pos)
{
	uint32_t lo = 0, hi = dir->nkids;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = name_cmp(dir->kids[mid], name, len);

		if (c == 0) {
			if (pos)
				*pos = mid;
			return dir->kids[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pos)
		*pos = lo;
	return NULL;
}

static int child_insert(struct pl_fsnode *dir, struct pl_fsnode *n, uint32_t pos,
			struct pl_err *err)
{
	if (dir->nkids == dir->capkids) {
		uint32_t cap = dir->capkids ? dir->capkids * 2 : 4;
		struct pl_fsnode **k;

		if (cap < dir->capkids)
			return pl_err_set(err, PL_ETOOBIG, "directory too large");
		k = realloc(dir->kids, (size_t)cap * sizeof(*k));
		if (!k)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		dir->kids = k;
		dir->capkids = cap;
	}
	memmove(dir->kids + pos + 1, dir->kids + pos, (dir->nkids - pos) * sizeof(*dir->kids));
	dir->kids[pos] = n;
	dir->nkids++;
	n->parent = dir;
	return 0;
}

static void child_detach(struct pl_fsnode *n)
{
	struct pl_fsnode *dir = n->parent;
	uint32_t pos;

	if (!child_find(dir, n->name, n->namelen, &pos))
		return;
	memmove(dir->kids + pos, dir->kids + pos + 1, (dir->nkids - pos - 1) * sizeof(*dir->kids));
	dir->nkids--;
	n->parent = NULL;
}

static void drop_children(struct pl_fstree *t, struct pl_fsnode *dir)
{
	for (uint32_t i = 0; i < dir->nkids; i++)
		t->count -= node_free(dir->kids[i]);
	free(dir->kids);
	dir->kids = NULL;
	dir->nkids = dir->capkids = 0;
}

static bool is_dir(const struct pl_fsnode *n)
{
	return n->ino->meta.type == PL_FT_DIR;
}

/* ---- paths ---- */

/*
 * Iterate over the components of a path: '/' runs and '.' are skipped. Returns
 * false at the end. '..' is returned as is; callers decide.
 */
static bool next_comp(const char **p, const char **comp, size_t *len)
{
	const char *s = *p;

	for (;;) {
		while (*s == '/')
			s++;
		if (!*s) {
			*p = s;
			return false;
		}
		*comp = s;
		while (*s && *s != '/')
			s++;
		*len = (size_t)(s - *comp);
		if (*len == 1 && (*comp)[0] == '.')
			continue;
		*p = s;
		return true;
	}
}

static bool more_comps(const char *p)
{
	const char *c;
	size_t l;

	return next_comp(&p, &c, &l);
}

static bool is_dotdot(const char *c, size_t len)
{
	return len == 2 && c[0] == '.' && c[1] == '.';
}

static int path_check(const char *path, struct pl_err *err)
{
	const char *p = path, *c;
	size_t len;

	if (strlen(path) > PATH_MAX_LEN)
		return pl_err_set(err, PL_ETOOBIG, "path '%.64s...' is longer than %d bytes", path,
				  PATH_MAX_LEN);
	while (next_comp(&p, &c, &len)) {
		if (is_dotdot(c, len))
			return pl_err_set(err, PL_EPOLICY, "path '%s' contains '..'", path);
		if (len > 65535)
			return pl_err_set(err, PL_ETOOBIG, "path '%.64s...': name too long", path);
	}
	return 0;
}

/*
 * Find the node for path without following symlinks. A symlink or other
 * non-directory on the way is PL_EPOLICY / PL_ENOTFOUND respectively.
 */
static int lookup(const struct pl_fstree *t, const char *path, struct pl_fsnode **out,
		  struct pl_err *err)
{
	struct pl_fsnode *n = t->root;
	const char *p = path, *c;
	size_t len;
	int rc;

	*out = NULL;
	rc = path_check(path, err);
	if (rc < 0)
		return rc;
	while (next_comp(&p, &c, &len)) {
		if (n->ino->meta.type == PL_FT_SYMLINK)
			return pl_err_set(err, PL_EPOLICY, "path '%s' goes through symlink '%.*s'",
					  path, (int)(c - path), path);
		if (!is_dir(n))
			return pl_err_set(err, PL_ENOTFOUND, "'%s': '%.*s' is not a directory",
					  path, (int)(c - path), path);
		n = child_find(n, c, len, NULL);
		if (!n)
			return pl_err_set(err, PL_ENOTFOUND, "'%s' not found", path);
	}
	*out = n;
	return 0;
}

/* Path of a node relative to the root, into a malloc'd string. */
static char *node_path(const struct pl_fsnode *n)
{
	size_t len = 0;
	const struct pl_fsnode *m;
	char *s, *e;

	for (m = n; m->parent; m = m->parent)
		len += m->namelen + 1u;
	s = malloc(len ? len : 1);
	if (!s)
		return NULL;
	if (!len) {
		s[0] = '\0';
		return s;
	}
	e = s + len - 1;
	*e = '\0';
	for (m = n; m->parent; m = m->parent) {
		e -= m->namelen;
		memcpy(e, m->name, m->namelen);
		if (e > s)
			*--e = '/';
	}
	return s;
}

struct pathbuf {
	char *s;
	size_t len, cap;
};

static int pb_push(struct pathbuf *pb, const struct pl_fsnode *n, struct pl_err *err)
{
	size_t need = pb->len + n->namelen + 2;

	if (need > pb->cap) {
		size_t cap = pb->cap ? pb->cap : 256;
		char *s;

		while (cap < need)
			cap *= 2;
		s = realloc(pb->s, cap);
		if (!s)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		pb->s = s;
		pb->cap = cap;
	}
	if (pb->len)
		pb->s[pb->len++] = '/';
	memcpy(pb->s + pb->len, n->name, n->namelen);
	pb->len += n->namelen;
	pb->s[pb->len] = '\0';
	return 0;
}

static void pb_pop(struct pathbuf *pb, size_t len)
{
	pb->len = len;
	if (pb->s)
		pb->s[len] = '\0';
}

/* ---- tree ---- */

static struct pl_fsnode *root_new(struct pl_err *err)
{
	struct pl_fsmeta m = { 0 };
	struct inode *ino;
	struct pl_fsnode *n;

	m.type = PL_FT_DIR;
	m.mode = 0755;
	ino = inode_new(&m, err);
	if (!ino)
		return NULL;
	n = node_new("", 0, ino, err);
	if (!n)
		inode_unref(ino);
	return n;
}

int pl_fstree_new(struct pl_fstree **out, struct pl_err *err)
{
	struct pl_fstree *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	t->root = root_new(err);
	if (!t->root) {
		free(t);
		return PL_ENOMEM;
	}
	t->family = new_id();
	*out = t;
	return 0;
}

void pl_fstree_free(struct pl_fstree *t)
{
	if (!t)
		return;
	node_free(t->root);
	free(t);
}

size_t pl_fstree_count(const struct pl_fstree *t)
{
	return t->count;
}

/*
 * Walk to the parent directory of path, creating missing directories with
 * mtime. *name and *len receive the last component (len 0 for the root).
 */
static int walk_to_parent(struct pl_fstree *t, const char *path, int64_t mtime,
			  struct pl_fsnode **parent, const char **name, size_t *len,
			  struct pl_err *err)
{
	struct pl_fsnode *n = t->root;
	const char *p = path, *c, *nc;
	size_t l, nl;
	bool have;
	int rc;

	*parent = NULL;
	*len = 0;
	rc = path_check(path, err);
	if (rc < 0)
		return rc;
	have = next_comp(&p, &c, &l);
	if (!have) {
		*name = "";
		return 0;
	}
	while (next_comp(&p, &nc, &nl)) {
		struct pl_fsnode *k;
		uint32_t pos;

		k = child_find(n, c, l, &pos);
		if (!k) {
			struct pl_fsmeta m = { 0 };
			struct inode *ino;

			m.type = PL_FT_DIR;
			m.mode = 0755;
			m.mtime = mtime;
			ino = inode_new(&m, err);
			if (!ino)
				return PL_ENOMEM;
			k = node_new(c, l, ino, err);
			if (!k) {
				inode_unref(ino);
				return PL_ENOMEM;
			}
			rc = child_insert(n, k, pos, err);
			if (rc < 0) {
				node_free(k);
				return rc;
			}
			t->count++;
		} else if (k->ino->meta.type == PL_FT_SYMLINK) {
			return pl_err_set(err, PL_EPOLICY, "path '%s' goes through symlink '%.*s'",
					  path, (int)(c + l - path), path);
		} else if (!is_dir(k)) {
			return pl_err_set(err, PL_EINVAL, "'%s': '%.*s' is not a directory", path,
					  (int)(c + l - path), path);
		}
		n = k;
		c = nc;
		l = nl;
	}
	*parent = n;
	*name = c;
	*len = l;
	return 0;
}

/* Attach ino at parent/name, replacing whatever is there. Takes ino's ref. */
static int attach(struct pl_fstree *t, struct pl_fsnode *parent, const char *name, size_t len,
		  struct inode *ino, struct pl_fsnode **out, struct pl_err *err)
{
	struct pl_fsnode *k;
	uint32_t pos;
	int rc;

	k = child_find(parent, name, len, &pos);
	if (k) {
		/* a new file at the path: the old inode (maybe shared) is left alone */
		drop_children(t, k);
		inode_unref(k->ino);
		k->ino = ino;
		k->id = new_id();
		k->opaque = false;
		if (out)
			*out = k;
		return 0;
	}
	k = node_new(name, len, ino, err);
	if (!k) {
		inode_unref(ino);
		return PL_ENOMEM;
	}
	rc = child_insert(parent, k, pos, err);
	if (rc < 0) {
		node_free(k);
		return rc;
	}
	t->count++;
	if (out)
		*out = k;
	return 0;
}

static int put_node(struct pl_fstree *t, const char *path, const struct pl_fsmeta *meta,
		    struct pl_fsnode **out, struct pl_err *err)
{
	struct pl_fsnode *parent, *k;
	struct inode *ino;
	const char *name;
	size_t len;
	int rc;

	rc = meta_check(meta, path, err);
	if (rc < 0)
		return rc;
	rc = walk_to_parent(t, path, meta->mtime, &parent, &name, &len, err);
	if (rc < 0)
		return rc;
	k = parent ? child_find(parent, name, len, NULL) : t->root;
	if (!parent && meta->type != PL_FT_DIR)
		return pl_err_set(err, PL_EPOLICY, "'%s': the root can only be a directory", path);
	if (k && is_dir(k) && meta->type == PL_FT_DIR) {
		/* directory over directory: keep the children, reset the metadata */
		struct pl_fsmeta m;

		rc = meta_copy(&m, meta, err);
		if (rc < 0)
			return rc;
		free(k->ino->meta.link);
		k->ino->meta = m;
		xattrs_free(k->ino->xattrs, k->ino->nxattrs);
		k->ino->xattrs = NULL;
		k->ino->nxattrs = 0;
		if (out)
			*out = k;
		return 0;
	}
	ino = inode_new(meta, err);
	if (!ino)
		return PL_ENOMEM;
	return attach(t, parent, name, len, ino, out, err);
}

int pl_fstree_put(struct pl_fstree *t, const char *path, const struct pl_fsmeta *meta,
		  struct pl_err *err)
{
	return put_node(t, path, meta, NULL, err);
}

int pl_fstree_link(struct pl_fstree *t, const char *path, const char *target,
		   struct pl_err *err)
{
	struct pl_fsnode *tn, *parent, *k;
	struct inode *ino;
	const char *name;
	size_t len;
	int rc;

	rc = lookup(t, target, &tn, err);
	if (rc < 0)
		return rc == PL_ENOTFOUND ? pl_err_wrap(err, "hardlink '%s'", path) : rc;
	if (tn == t->root || is_dir(tn) || tn->ino->meta.type == PL_FT_WHITEOUT)
		return pl_err_set(err, PL_EINVAL, "hardlink '%s': target '%s' is not a file", path,
				  target);
	rc = walk_to_parent(t, path, tn->ino->meta.mtime, &parent, &name, &len, err);
	if (rc < 0)
		return rc;
	if (!parent)
		return pl_err_set(err, PL_EPOLICY, "hardlink '%s': the root can not be a link",
				  path);
	k = child_find(parent, name, len, NULL);
	if (k == tn)
		return 0;
	ino = tn->ino;
	ino->refs++; /* taken before attach, which may free the target's subtree */
	return attach(t, parent, name, len, ino, NULL, err);
}

static int set_xattr_ino(struct inode *ino, const char *name, const void *value, size_t len,
			 struct pl_err *err)
{
	uint32_t lo = 0, hi = ino->nxattrs;
	unsigned char *v;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ino->xattrs[mid].name, name);

		if (c == 0) {
			lo = mid;
			break;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	v = malloc(len ? len : 1);
	if (!v)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	if (len)
		memcpy(v, value, len);
	if (lo < ino->nxattrs && strcmp(ino->xattrs[lo].name, name) == 0) {
		free(ino->xattrs[lo].value);
		ino->xattrs[lo].value = v;
		ino->xattrs[lo].len = len;
		return 0;
	} else {
		struct pl_xattr *x = realloc(ino->xattrs, (ino->nxattrs + 1u) * sizeof(*x));
		char *nm = strdup(name);

		if (x)
			ino->xattrs = x;
		if (!x || !nm) {
			free(v);
			free(nm);
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		}
		memmove(x + lo + 1, x + lo, (ino->nxattrs - lo) * sizeof(*x));
		x[lo].name = nm;
		x[lo].value = v;
		x[lo].len = len;
		ino->nxattrs++;
	}
	return 0;
}

int pl_fstree_set_xattr(struct pl_fstree *t, const char *path, const char *name,
			const void *value, size_t len, struct pl_err *err)
{
	struct pl_fsnode *n;
	int rc;

	if (!name || !name[0])
		return pl_err_set(err, PL_EINVAL, "'%s': empty xattr name", path);
	rc = lookup(t, path, &n, err);
	if (rc < 0)
		return rc;
	return set_xattr_ino(n->ino, name, value, len, err);
}

int pl_fstree_remove(struct pl_fstree *t, const char *path, struct pl_err *err)
{
	struct pl_fsnode *n;
	int rc;

	rc = lookup(t, path, &n, err);
	if (rc < 0)
		return rc;
	if (n == t->root)
		return pl_err_set(err, PL_EPOLICY, "'%s': the root can not be removed", path);
	child_detach(n);
	t->count -= node_free(n);
	return 0;
}

int pl_fstree_clear_dir(struct pl_fstree *t, const char *path, struct pl_err *err)
{
	struct pl_fsnode *n;
	int rc;

	rc = lookup(t, path, &n, err);
	if (rc < 0)
		return rc;
	if (!is_dir(n))
		return pl_err_set(err, PL_EINVAL, "'%s' is not a directory", path);
	drop_children(t, n);
	return 0;
}

const struct pl_fsmeta *pl_fstree_get(const struct pl_fstree *t, const char *path)
{
	struct pl_fsnode *n;

	if (lookup(t, path, &n, NULL) < 0)
		return NULL;
	return &n->ino->meta;
}

int pl_fstree_set_opaque(struct pl_fstree *t, const char *path, bool opaque, struct pl_err *err)
{
	struct pl_fsnode *n;
	int rc;

	rc = lookup(t, path, &n, err);
	if (rc < 0)
		return rc;
	if (!is_dir(n))
		return pl_err_set(err, PL_EINVAL, "'%s' is not a directory", path);
	n->opaque = opaque;
	return 0;
}

int pl_fstree_normalize(const char *path, char **out, struct pl_err *err)
{
	const char *p = path, *c;
	size_t len, n = 0;
	char *s;
	int rc;

	*out = NULL;
	rc = path_check(path, err);
	if (rc < 0)
		return rc;
	s = malloc(strlen(path) + 1);
	if (!s)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	while (next_comp(&p, &c, &len)) {
		if (n)
			s[n++] = '/';
		memcpy(s + n, c, len);
		n += len;
	}
	s[n] = '\0';
	*out = s;
	return 0;
}

struct prune_ctx {
	struct pl_fstree *t;
	pl_fstree_keep_fn keep;
	void *ctx;
	struct pathbuf *pb;
};

static int prune_node(struct prune_ctx *p, struct pl_fsnode *dir, struct pl_err *err)
{
	uint32_t j = 0;
	int rc = 0;

	for (uint32_t i = 0; i < dir->nkids; i++) {
		struct pl_fsnode *n = dir->kids[i];
		size_t save = p->pb->len;

		if (rc == 0)
			rc = pb_push(p->pb, n, err);
		if (rc == 0 && p->keep && p->keep(p->pb->s, p->ctx)) {
			dir->kids[j++] = n;
			if (is_dir(n))
				rc = prune_node(p, n, err);
		} else if (rc == 0) {
			p->t->count -= node_free(n);
		} else {
			dir->kids[j++] = n; /* on error keep the rest as is */
		}
		pb_pop(p->pb, save);
	}
	dir->nkids = j;
	return rc;
}

int pl_fstree_prune(struct pl_fstree *t, const char *dir, pl_fstree_keep_fn keep, void *ctx,
		    struct pl_err *err)
{
	struct pathbuf pb = { NULL, 0, 0 };
	struct prune_ctx p = { t, keep, ctx, &pb };
	struct pl_fsnode *n;
	char *base;
	int rc;

	rc = lookup(t, dir, &n, err);
	if (rc < 0)
		return rc;
	if (!is_dir(n))
		return pl_err_set(err, PL_EINVAL, "'%s' is not a directory", dir);
	base = node_path(n);
	if (!base)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	pb.s = base;
	pb.len = strlen(base);
	pb.cap = pb.len + 1;
	rc = prune_node(&p, n, err);
	free(pb.s);
	return rc;
}

/* ---- resolve ---- */

int pl_fstree_resolve(const struct pl_fstree *t, const char *path, bool follow_last,
		      bool allow_missing_last, char **canon, struct pl_err *err)
{
	struct pl_fsnode *cur = t->root;
	char *work = NULL, *missing = NULL;
	const char *p, *c;
	size_t len;
	int links = 0, rc = 0;

	*canon = NULL;
	if (strlen(path) > PATH_MAX_LEN)
		return pl_err_set(err, PL_ETOOBIG, "path '%.64s...' is too long", path);
	work = strdup(path);
	if (!work)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	p = work;
	while (next_comp(&p, &c, &len)) {
		struct pl_fsnode *k;
		bool last = !more_comps(p);

		if (cur->ino->meta.type != PL_FT_DIR) {
			rc = pl_err_set(err, PL_ENOTFOUND, "resolve '%s': not a directory", path);
			goto out;
		}
		if (is_dotdot(c, len)) {
			if (cur->parent)
				cur = cur->parent;
			continue;
		}
		k = child_find(cur, c, len, NULL);
		if (!k) {
			if (last && allow_missing_last) {
				missing = strndup(c, len);
				if (!missing) {
					rc = pl_err_set(err, PL_ENOMEM, "out of memory");
					goto out;
				}
				break;
			}
			rc = pl_err_set(err, PL_ENOTFOUND, "resolve '%s': '%.*s' not found", path,
					(int)len, c);
			goto out;
		}
		if (k->ino->meta.type == PL_FT_SYMLINK && (!last || follow_last)) {
			const char *target = k->ino->meta.link;
			size_t tl = strlen(target), rl = strlen(p);
			char *nw;

			if (++links > SYMLOOP_MAX_N) {
				rc = pl_err_set(err, PL_EINVAL,
						"resolve '%s': too many levels of symbolic links",
						path);
				goto out;
			}
			if (tl + rl > PATH_MAX_LEN * 4) {
				rc = pl_err_set(err, PL_ETOOBIG, "resolve '%s': path too long",
						path);
				goto out;
			}
			nw = malloc(tl + rl + 2);
			if (!nw) {
				rc = pl_err_set(err, PL_ENOMEM, "out of memory");
				goto out;
			}
			memcpy(nw, target, tl);
			nw[tl] = '/';
			memcpy(nw + tl + 1, p, rl + 1);
			free(work);
			work = nw;
			p = work;
			if (target[0] == '/')
				cur = t->root;
			continue;
		}
		cur = k;
	}
	{
		char *base = node_path(cur);
		char *s;

		if (!base) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		if (!missing) {
			*canon = base;
			goto out;
		}
		if (asprintf(&s, "%s%s%s", base, base[0] ? "/" : "", missing) < 0) {
			free(base);
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		free(base);
		*canon = s;
	}
out:
	free(work);
	free(missing);
	return rc;
}

/* ---- inode -> first path maps (hardlink groups) ---- */

struct imap_slot {
	const void *key;
	void *val;
};

struct imap {
	struct imap_slot *slots;
	size_t cap, len; /* cap a power of two */
};

static size_t imap_hash(const void *p, size_t cap)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x & (cap - 1);
}

static void **imap_find(struct imap *m, const void *key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = imap_hash(key, m->cap); m->slots[i].key; i = (i + 1) & (m->cap - 1))
		if (m->slots[i].key == key)
			return &m->slots[i].val;
	return NULL;
}

static int imap_put(struct imap *m, const void *key, void *val, struct pl_err *err)
{
	size_t i;

	if ((m->len + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct imap_slot *s = calloc(cap, sizeof(*s));

		if (!s)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		for (size_t j = 0; j < m->cap; j++) {
			if (!m->slots[j].key)
				continue;
			for (i = imap_hash(m->slots[j].key, cap); s[i].key; i = (i + 1) & (cap - 1))
				;
			s[i] = m->slots[j];
		}
		free(m->slots);
		m->slots = s;
		m->cap = cap;
	}
	for (i = imap_hash(key, m->cap); m->slots[i].key; i = (i + 1) & (m->cap - 1))
		;
	m->slots[i].key = key;
	m->slots[i].val = val;
	m->len++;
	return 0;
}

static void imap_release(struct imap *m, bool free_vals)
{
	if (free_vals)
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].key)
				free(m->slots[i].val);
	free(m->slots);
	m->slots = NULL;
	m->cap = m->len = 0;
}

/* ---- walk ---- */

/*
 * The first path of n's inode in walk order, recording the current path as
 * that when n is the first; NULL for inodes with a single link.
 */
static int group_key(struct imap *m, const struct pl_fsnode *n, const char *path,
		     const char **key, struct pl_err *err)
{
	void **v;
	char *s;

	*key = NULL;
	if (n->ino->refs < 2)
		return 0;
	v = imap_find(m, n->ino);
	if (v) {
		*key = *v;
		return 0;
	}
	s = strdup(path);
	if (!s)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	if (imap_put(m, n->ino, s, err) < 0) {
		free(s);
		return PL_ENOMEM;
	}
	*key = s;
	return 0;
}

struct walk_ctx {
	pl_fstree_walk_fn fn;
	void *ctx;
	struct imap links;
	struct pathbuf pb;
};

static int walk_node(struct walk_ctx *w, const struct pl_fsnode *dir, struct pl_err *err)
{
	for (uint32_t i = 0; i < dir->nkids; i++) {
		const struct pl_fsnode *n = dir->kids[i];
		struct pl_fsentry e;
		size_t save = w->pb.len;
		const char *key;
		int rc;

		rc = pb_push(&w->pb, n, err);
		if (rc < 0)
			return rc;
		rc = group_key(&w->links, n, w->pb.s, &key, err);
		if (rc < 0)
			return rc;
		e.path = w->pb.s;
		e.meta = &n->ino->meta;
		e.xattrs = n->ino->xattrs;
		e.nxattrs = n->ino->nxattrs;
		e.hardlink_to = key && strcmp(key, w->pb.s) != 0 ? key : NULL;
		e.opaque = n->opaque;
		rc = w->fn(&e, w->ctx, err);
		if (rc < 0)
			return rc;
		if (n->nkids) {
			rc = walk_node(w, n, err);
			if (rc < 0)
				return rc;
		}
		pb_pop(&w->pb, save);
	}
	return 0;
}

int pl_fstree_walk(const struct pl_fstree *t, pl_fstree_walk_fn fn, void *ctx,
		   struct pl_err *err)
{
	struct walk_ctx w = { fn, ctx, { NULL, 0, 0 }, { NULL, 0, 0 } };
	int rc;

	rc = walk_node(&w, t->root, err);
	imap_release(&w.links, true);
	free(w.pb.s);
	return rc;
}

/* ---- clone ---- */

static int clone_node(const struct pl_fsnode *src, struct pl_fsnode *dst, struct imap *inos,
		      size_t *count, struct pl_err *err)
{
	if (src->nkids == 0)
		return 0;
	dst->kids = calloc(src->nkids, sizeof(*dst->kids));
	if (!dst->kids)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	dst->capkids = src->nkids;
	for (uint32_t i = 0; i < src->nkids; i++) {
		const struct pl_fsnode *s = src->kids[i];
		struct inode *ino = NULL;
		struct pl_fsnode *d;
		void **v = s->ino->refs > 1 ? imap_find(inos, s->ino) : NULL;
		int rc;

		if (v) {
			ino = *v;
			ino->refs++;
		} else {
			ino = inode_dup(s->ino, err);
			if (!ino)
				return PL_ENOMEM;
			if (s->ino->refs > 1 && imap_put(inos, s->ino, ino, err) < 0) {
				inode_unref(ino);
				return PL_ENOMEM;
			}
		}
		d = node_new(s->name, s->namelen, ino, err);
		if (!d) {
			inode_unref(ino);
			return PL_ENOMEM;
		}
		d->id = s->id;
		d->opaque = s->opaque;
		d->parent = dst;
		dst->kids[dst->nkids++] = d;
		(*count)++;
		rc = clone_node(s, d, inos, count, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int pl_fstree_clone(const struct pl_fstree *t, struct pl_fstree **out, struct pl_err *err)
{
	struct pl_fstree *c = NULL;
	struct imap inos = { NULL, 0, 0 };
	struct inode *rino;
	int rc;

	*out = NULL;
	rc = pl_fstree_new(&c, err);
	if (rc < 0)
		return rc;
	rino = inode_dup(t->root->ino, err);
	if (!rino) {
		rc = PL_ENOMEM;
		goto out;
	}
	inode_unref(c->root->ino);
	c->root->ino = rino;
	c->root->id = t->root->id;
	c->root->opaque = t->root->opaque;
	c->family = t->family;
	rc = clone_node(t->root, c->root, &inos, &c->count, err);
	if (rc < 0)
		goto out;
	*out = c;
	c = NULL;
out:
	imap_release(&inos, false);
	pl_fstree_free(c);
	return rc;
}

/* ---- compare ---- */

static bool xattrs_equal(const struct inode *a, const struct inode *b)
{
	if (a->nxattrs != b->nxattrs)
		return false;
	for (uint32_t i = 0; i < a->nxattrs; i++) {
		const struct pl_xattr *x = &a->xattrs[i], *y = &b->xattrs[i];

		if (strcmp(x->name, y->name) || x->len != y->len ||
		    (x->len && memcmp(x->value, y->value, x->len)))
			return false;
	}
	return true;
}

static bool meta_equal(const struct pl_fsmeta *a, const struct pl_fsmeta *b)
{
	if (a->type != b->type || a->mode != b->mode || a->uid != b->uid || a->gid != b->gid ||
	    a->mtime != b->mtime)
		return false;
	switch (a->type) {
	case PL_FT_REG:
		return a->size == b->size && strcmp(a->digest, b->digest) == 0;
	case PL_FT_SYMLINK:
		return strcmp(a->link, b->link) == 0;
	case PL_FT_CHR:
	case PL_FT_BLK:
		return a->devmajor == b->devmajor && a->devminor == b->devminor;
	default:
		return true;
	}
}

static bool inode_equal(const struct inode *a, const struct inode *b)
{
	return a == b || (meta_equal(&a->meta, &b->meta) && xattrs_equal(a, b));
}

static bool key_equal(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

struct eq_ctx {
	struct imap ka, kb;
	struct pathbuf pb;
	bool failed; /* allocation failure: report unequal */
};

static bool equal_node(struct eq_ctx *q, const struct pl_fsnode *a, const struct pl_fsnode *b)
{
	if (a->nkids != b->nkids)
		return false;
	for (uint32_t i = 0; i < a->nkids; i++) {
		const struct pl_fsnode *x = a->kids[i], *y = b->kids[i];
		size_t save = q->pb.len;
		const char *k1, *k2;

		if (x->namelen != y->namelen || memcmp(x->name, y->name, x->namelen) ||
		    x->opaque != y->opaque || !inode_equal(x->ino, y->ino))
			return false;
		if (pb_push(&q->pb, x, NULL) < 0 || group_key(&q->ka, x, q->pb.s, &k1, NULL) < 0 ||
		    group_key(&q->kb, y, q->pb.s, &k2, NULL) < 0) {
			q->failed = true;
			return false;
		}
		if (!key_equal(k1, k2))
			return false;
		if (!equal_node(q, x, y))
			return false;
		pb_pop(&q->pb, save);
	}
	return true;
}

bool pl_fstree_equal(const struct pl_fstree *a, const struct pl_fstree *b)
{
	struct eq_ctx q = { { NULL, 0, 0 }, { NULL, 0, 0 }, { NULL, 0, 0 }, false };
	bool eq;

	eq = a->count == b->count && equal_node(&q, a->root, b->root);
	imap_release(&q.ka, true);
	imap_release(&q.kb, true);
	free(q.pb.s);
	return eq && !q.failed;
}

/* ---- diff ---- */

/* Map every hardlinked inode of t to its first path in walk order. */
static int keys_build(const struct pl_fsnode *dir, struct imap *m, struct pathbuf *pb,
		      struct pl_err *err)
{
	for (uint32_t i = 0; i < dir->nkids; i++) {
		const struct pl_fsnode *n = dir->kids[i];
		size_t save = pb->len;
		const char *key;
		int rc;

		rc = pb_push(pb, n, err);
		if (rc < 0)
			return rc;
		rc = group_key(m, n, pb->s, &key, err);
		if (rc < 0)
			return rc;
		rc = keys_build(n, m, pb, err);
		if (rc < 0)
			return rc;
		pb_pop(pb, save);
	}
	return 0;
}

struct diff_ctx {
	const struct pl_fstree *lower, *upper;
	struct pl_fstree *out;
	struct imap lkeys, ukeys; /* inode -> first path */
	struct imap copies;       /* upper inode -> inode in out (hardlinks stay shared) */
	struct imap dirty;        /* upper inodes with at least one path in out */
	struct pathbuf pb;
	bool same_family;
};

static const char *key_of(struct imap *m, const struct pl_fsnode *n)
{
	void **v;

	if (n->ino->refs < 2)
		return NULL;
	v = imap_find(m, n->ino);
	return v ? *v : NULL;
}

/*
 * Add upper node u at path to the diff, after its parent directories (as
 * upper has them, xattrs included) when they are not there yet.
 */
static int diff_emit(struct diff_ctx *d, const struct pl_fsnode *u, bool opaque,
		     struct pl_fsnode **out, struct pl_err *err)
{
	struct pl_fsnode *parent = d->out->root, *k;
	const struct pl_fsnode *chain[PATH_MAX_LEN / 2 + 2];
	const struct pl_fsnode *m;
	size_t depth = 0;
	struct inode *ino;
	void **v;
	int rc;

	for (m = u->parent; m && m->parent; m = m->parent) {
		assert(depth < sizeof(chain) / sizeof(chain[0]));
		chain[depth++] = m;
	}
	while (depth--) {
		m = chain[depth];
		k = child_find(parent, m->name, m->namelen, NULL);
		if (!k) {
			uint32_t pos;

			child_find(parent, m->name, m->namelen, &pos);
			ino = inode_dup(m->ino, err);
			if (!ino)
				return PL_ENOMEM;
			k = node_new(m->name, m->namelen, ino, err);
			if (!k) {
				inode_unref(ino);
				return PL_ENOMEM;
			}
			rc = child_insert(parent, k, pos, err);
			if (rc < 0) {
				node_free(k);
				return rc;
			}
			d->out->count++;
		}
		parent = k;
	}
	k = child_find(parent, u->name, u->namelen, NULL);
	if (k) {
		/* already there as a parent of an earlier entry */
		k->opaque = k->opaque || opaque;
		if (out)
			*out = k;
		return 0;
	}
	v = u->ino->refs > 1 ? imap_find(&d->copies, u->ino) : NULL;
	if (v) {
		ino = *v;
		ino->refs++;
	} else {
		ino = inode_dup(u->ino, err);
		if (!ino)
			return PL_ENOMEM;
		if (u->ino->refs > 1) {
			if (imap_put(&d->copies, u->ino, ino, err) < 0 ||
			    imap_put(&d->dirty, u->ino, NULL, err) < 0) {
				inode_unref(ino);
				return PL_ENOMEM;
			}
		}
	}
	rc = attach(d->out, parent, u->name, u->namelen, ino, &k, err);
	if (rc < 0)
		return rc;
	k->opaque = opaque;
	if (out)
		*out = k;
	return 0;
}

static int diff_whiteout(struct diff_ctx *d, const struct pl_fsnode *udir,
			 const struct pl_fsnode *l, struct pl_err *err)
{
	struct pl_fsnode *parent, *k;
	struct pl_fsmeta m = { 0 };
	struct inode *ino;
	int rc;

	/* make sure udir is in the diff (it is a directory in upper) */
	if (udir->parent) {
		rc = diff_emit(d, udir, false, &parent, err);
		if (rc < 0)
			return rc;
	} else {
		parent = d->out->root;
	}
	m.type = PL_FT_WHITEOUT;
	ino = inode_new(&m, err);
	if (!ino)
		return PL_ENOMEM;
	return attach(d->out, parent, l->name, l->namelen, ino, &k, err);
}

static int diff_subtree(struct diff_ctx *d, const struct pl_fsnode *u, struct pl_err *err)
{
	for (uint32_t i = 0; i < u->nkids; i++) {
		size_t save = d->pb.len;
		int rc = pb_push(&d->pb, u->kids[i], err);

		if (rc < 0)
			return rc;
		rc = diff_emit(d, u->kids[i], false, NULL, err);
		if (rc < 0)
			return rc;
		rc = diff_subtree(d, u->kids[i], err);
		if (rc < 0)
			return rc;
		pb_pop(&d->pb, save);
	}
	return 0;
}

static int diff_dir(struct diff_ctx *d, const struct pl_fsnode *l, const struct pl_fsnode *u,
		    struct pl_err *err)
{
	uint32_t i = 0, j = 0;
	int rc;

	while (i < l->nkids || j < u->nkids) {
		const struct pl_fsnode *x = i < l->nkids ? l->kids[i] : NULL;
		const struct pl_fsnode *y = j < u->nkids ? u->kids[j] : NULL;
		size_t save = d->pb.len;
		int c;

		if (!x)
			c = 1;
		else if (!y)
			c = -1;
		else
			c = name_cmp(x, y->name, y->namelen);
		if (c < 0) {
			/* gone from upper */
			rc = diff_whiteout(d, u, x, err);
			if (rc < 0)
				return rc;
			i++;
			continue;
		}
		rc = pb_push(&d->pb, y, err);
		if (rc < 0)
			return rc;
		if (c > 0) {
			/* new in upper */
			rc = diff_emit(d, y, false, NULL, err);
			if (rc == 0)
				rc = diff_subtree(d, y, err);
			j++;
		} else if (is_dir(y) && (!is_dir(x) || (d->same_family && x->id != y->id))) {
			/* a new directory replaced the lower entry: hide all of it */
			rc = diff_emit(d, y, true, NULL, err);
			if (rc == 0)
				rc = diff_subtree(d, y, err);
			i++;
			j++;
		} else {
			bool changed = !inode_equal(x->ino, y->ino) ||
				       !key_equal(key_of(&d->lkeys, x), key_of(&d->ukeys, y));

			rc = changed ? diff_emit(d, y, false, NULL, err) : 0;
			if (rc == 0 && is_dir(y))
				rc = diff_dir(d, x, y, err);
			i++;
			j++;
		}
		if (rc < 0)
			return rc;
		pb_pop(&d->pb, save);
	}
	return 0;
}

/* Hardlink groups go whole into a diff: add the members not yet in it. */
static int diff_groups(struct diff_ctx *d, const struct pl_fsnode *u, struct pl_err *err)
{
	for (uint32_t i = 0; i < u->nkids; i++) {
		const struct pl_fsnode *n = u->kids[i];
		size_t save = d->pb.len;
		int rc = pb_push(&d->pb, n, err);

		if (rc < 0)
			return rc;
		if (n->ino->refs > 1 && imap_find(&d->dirty, n->ino)) {
			rc = diff_emit(d, n, false, NULL, err);
			if (rc < 0)
				return rc;
		}
		if (n->nkids) {
			rc = diff_groups(d, n, err);
			if (rc < 0)
				return rc;
		}
		pb_pop(&d->pb, save);
	}
	return 0;
}

int pl_fstree_diff(const struct pl_fstree *lower, const struct pl_fstree *upper,
		   struct pl_fstree **out, struct pl_err *err)
{
	struct diff_ctx d;
	int rc;

	memset(&d, 0, sizeof(d));
	*out = NULL;
	d.lower = lower;
	d.upper = upper;
	d.same_family = lower->family == upper->family;
	rc = pl_fstree_new(&d.out, err);
	if (rc < 0)
		return rc;
	rc = keys_build(lower->root, &d.lkeys, &d.pb, err);
	if (rc == 0)
		rc = keys_build(upper->root, &d.ukeys, &d.pb, err);
	pb_pop(&d.pb, 0);
	if (rc == 0)
		rc = diff_dir(&d, lower->root, upper->root, err);
	pb_pop(&d.pb, 0);
	if (rc == 0 && d.dirty.len)
		rc = diff_groups(&d, upper->root, err);
	if (rc == 0) {
		*out = d.out;
		d.out = NULL;
	}
	imap_release(&d.lkeys, true);
	imap_release(&d.ukeys, true);
	imap_release(&d.copies, false);
	imap_release(&d.dirty, false);
	free(d.pb.s);
	pl_fstree_free(d.out);
	return rc;
}

/* ---- apply ---- */

struct apply_ctx {
	struct pl_fstree *t;
};

static int apply_entry(const struct pl_fsentry *e, void *ctx, struct pl_err *err)
{
	struct apply_ctx *a = ctx;
	struct pl_fsnode *n = NULL;
	int rc;

	if (e->meta->type == PL_FT_WHITEOUT) {
		struct pl_err tmp = PL_ERR_INIT;

		rc = pl_fstree_remove(a->t, e->path, &tmp);
		if (rc == PL_ENOTFOUND)
			return 0;
		if (rc < 0)
			return pl_err_set(err, rc, "%s", tmp.msg);
		return 0;
	}
	if (e->hardlink_to)
		return pl_fstree_link(a->t, e->path, e->hardlink_to, err);
	rc = put_node(a->t, e->path, e->meta, &n, err);
	if (rc < 0)
		return rc;
	if (e->opaque && n->ino->meta.type == PL_FT_DIR)
		drop_children(a->t, n);
	for (size_t i = 0; i < e->nxattrs; i++) {
		rc = set_xattr_ino(n->ino, e->xattrs[i].name, e->xattrs[i].value, e->xattrs[i].len,
				   err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int pl_fstree_apply(struct pl_fstree *t, const struct pl_fstree *diff, struct pl_err *err)
{
	struct apply_ctx a = { t };
	int rc;

	rc = pl_fstree_walk(diff, apply_entry, &a, err);
	if (rc < 0)
		return pl_err_wrap(err, "apply diff");
	return 0;
}
