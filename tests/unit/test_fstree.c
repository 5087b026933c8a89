#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/fstree.h"
#include "util/buf.h"
#include "testutil.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static struct pl_fsmeta mk(enum pl_ftype type, uint32_t mode)
{
	struct pl_fsmeta m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.mode = mode;
	m.mtime = 1700000000;
	return m;
}

static void put_dir(struct pl_fstree *t, const char *path, uint32_t mode)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_fsmeta m = mk(PL_FT_DIR, mode);

	assert_int_equal(pl_fstree_put(t, path, &m, &err), 0);
}

static void put_file(struct pl_fstree *t, const char *path, const char *digest, uint64_t size)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_fsmeta m = mk(PL_FT_REG, 0644);

	memcpy(m.digest, digest, PL_DIGEST_SIZE);
	m.size = size;
	assert_int_equal(pl_fstree_put(t, path, &m, &err), 0);
}

static void put_link(struct pl_fstree *t, const char *path, const char *target)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_fsmeta m = mk(PL_FT_SYMLINK, 0777);

	m.link = (char *)target;
	assert_int_equal(pl_fstree_put(t, path, &m, &err), 0);
}

/* Collect a walk as lines "path type [->hardlink] [opaque]". */
static int collect(const struct pl_fsentry *e, void *ctx, struct pl_err *err)
{
	struct pl_buf *b = ctx;

	if (pl_buf_addf(b, err, "%s %d", e->path, (int)e->meta->type) < 0)
		return -1;
	if (e->hardlink_to && pl_buf_addf(b, err, " ->%s", e->hardlink_to) < 0)
		return -1;
	if (e->opaque && pl_buf_adds(b, " opaque", err) < 0)
		return -1;
	for (size_t i = 0; i < e->nxattrs; i++)
		if (pl_buf_addf(b, err, " x:%s=%.*s", e->xattrs[i].name, (int)e->xattrs[i].len,
				(const char *)e->xattrs[i].value) < 0)
			return -1;
	return pl_buf_addch(b, '\n', err);
}

static char *walk_str(const struct pl_fstree *t)
{
	struct pl_buf b = PL_BUF_INIT;
	struct pl_err err = PL_ERR_INIT;

	assert_int_equal(pl_fstree_walk(t, collect, &b, &err), 0);
	return pl_buf_detach(&b, NULL);
}

static void test_fstree_new_has_root(void **state)
{
	struct pl_fstree *t = NULL;
	struct pl_err err = PL_ERR_INIT;
	const struct pl_fsmeta *m;

	(void)state;
	assert_int_equal(pl_fstree_new(&t, &err), 0);
	assert_int_equal(pl_fstree_count(t), 0);
	m = pl_fstree_get(t, "/");
	assert_non_null(m);
	assert_int_equal(m->type, PL_FT_DIR);
	assert_int_equal(m->mode, 0755);
	assert_ptr_equal(pl_fstree_get(t, ""), m);
	assert_ptr_equal(pl_fstree_get(t, "."), m);
	pl_fstree_free(t);
	pl_fstree_free(NULL);
}

static void test_fstree_path_normalisation(void **state)
{
	struct pl_fstree *t = NULL;
	struct pl_err err = PL_ERR_INIT;
	const struct pl_fsmeta *m;
	char *s;

	(void)state;
	assert_int_equal(pl_fstree_new(&t, &err), 0);
	put_file(t, "/etc//./passwd", D1, 3);
	assert_int_equal(pl_fstree_count(t), 2);
	m = pl_fstree_get(t, "etc/passwd");
	assert_non_null(m);
	assert_ptr_equal(pl_fstree_get(t, "./etc/passwd"), m);
	assert_ptr_equal(pl_fstree_get(t, "//etc/./passwd/"), m);
	assert_string_equal(m->digest, D1);
	assert_int_equal(m->size, 3);
	/* implicit parent */
	m = pl_fstree_get(t, "etc");
	assert_int_equal(m->type, PL_FT_DIR);
	assert_int_equal(m->mode, 0755);
	assert_int_equal(m->uid, 0);
	assert_int_equal(m->mtime, 1700000000);

	assert_int_equal(pl_fstree_normalize("/./a//b/./c/", &s, &err), 0);
	assert_string_equal(s, "a/b/c");
	free(s);
	assert_int_equal(pl_fstree_normalize("/", &s, &err), 0);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(pl_fstree_normalize("a/../b", &s, &err), PL_EPOLICY);
	assert_non_null(strstr(err.msg, "a/../b"));
	pl_fstree_free(t);
}

static void test_fstree_refuses_dotdot_and_symlinks(void **state)
{
	struct pl_fstree *t = NULL;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fsmeta m = mk(PL_FT_REG, 0644);

	(void)state;
	assert_int_equal(pl_fstree_new(&t, &err), 0);
	assert_int_equal(pl_fstree_put(t, "../etc/passwd", &m, &err), PL_EPOLICY);
	assert_non_null(strstr(err.msg, "../etc/passwd"));
	pl_err_init(&err);
	assert_int_equal(pl_fstree_put(t, "a/b/../../../x", &m, &err), PL_EPOLICY);
	assert_int_equal(pl_fstree_count(t), 0);

	put_link(t, "evil", "/etc");
	pl_err_init(&err);
	assert_int_equal(pl_fstree_put(t, "evil/passwd", &m, &err), PL_EPOLICY);
	assert_non_null(strstr(err.msg, "evil/passwd"));
	assert_non_null(strstr(err.msg, "symlink"));
	assert_null(pl_fstree_get(t, "evil/passwd"));
	assert_int_equal(pl_fstree_count(t), 1);
	pl_err_init(&err);
	assert_int_equal(pl_fstree_remove(t, "evil/x", &err), PL_EPOLICY);
	/* the root only takes a directory */
	pl_err_init(&err);
	assert_int_equal(pl_fstree_put(t, "/", &m, &err), PL_EPOLICY);
	m = mk(PL_FT_DIR, 0700);
	assert_int_equal(pl_fstree_put(t, "/", &m, &err), 0);
	assert_int_equal(pl_fstree_get(t, "")->mode, 0700);
	/* symlink without target, unknown type */
	m = mk(PL_FT_SYMLINK, 0777);
	pl_err_init(&err);
	assert_int_equal(pl_fstree_put(t, "s", &m, &err), PL_EINVAL);
	m = mk((enum pl_ftype)99, 0);
	pl_err_init(&err);
	assert_int_equal(pl_fstree_put(t, "s", &m, &err), PL_EINVAL);
	pl_fstree_free(t);
}

static void test_fstree_replace_semantics(void **state)
{
	struct pl_fstree *t = NULL;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fsmeta m = mk(PL_FT_REG, 0104755);

	(void)state;
	assert_int_equal(pl_fstree_new(&t, &err), 0);
	put_dir(t, "d", 0755);
	put_file(t, "d/a", D1, 1);
	put_file(t, "d/sub/b", D2, 2);
	assert_int_equal(pl_fstree_set_xattr(t, "d", "user.k", "v", 1, &err), 0);
	assert_int_equal(pl_fstree_count(t), 4);
	/* dir over dir keeps children, resets xattrs and metadata */
	put_dir(t, "d", 0700);
	assert_int_equal(pl_fstree_count(t), 4);
	assert_int_equal(pl_fstree_get(t, "d")->mode, 0700);
	{
		char *w = walk_str(t);

		assert_null(strstr(w, "x:user.k"));
		free(w);
	}
	/* file over dir drops the subtree; mode keeps only 07777 */
	assert_int_equal(pl_fstree_put(t, "d", &m, &err), 0);
	assert_int_equal(pl_fstree_count(t), 1);
	assert_int_equal(pl_fstree_get(t, "d")->mode, 04755);
	assert_null(pl_fstree_get(t, "d/a"));
	/* a parent that is a file is not silently replaced */
	pl_err_init(&err);
	assert_int_equal(pl_fstree_put(t, "d/x", &m, &err), PL_EINVAL);
	pl_fstree_free(t);
}

static void test_fstree_walk_order(void **state)
{
	struct pl_fstree *t = NULL;
	struct pl_err err = PL_ERR_INIT;
	char *w;

	(void)state;
	assert_int_equal(pl_fstree_new(&t, &err), 0);
	put_file(t, "b", D1, 1);
	put_file(t, "a-b", D1, 1);
	put_file(t, "a/x", D1, 1);
	put_file(t, "B", D1, 1);
	put_dir(t, "a", 0755);
	put_file(t, "a/\xc3\xa9", D1, 1);
	put_file(t, "a/Z", D1, 1);
	w = walk_str(t);
	assert_string_equal(w, "B 1\n"
			       "a 2\n"
			       "a/Z 1\n"
			       "a/x 1\n"
			       "a/\xc3\xa9 1\n"
			       "a-b 1\n"
			       "b 1\n");
	free(w);
	pl_fstree_free(t);
}

static int stop_at_second(const struct pl_fsentry *e, void *ctx, struct pl_err *err)
{
	int *n = ctx;

	(void)e;
	if (++*n == 2)
		return pl_err_set(err, PL_EIO, "stop");
	return 0;
}

static void test_fstree_walk_stops_on_error(void **state)
{
	struct pl_fstree *t = NULL;
	struct pl_err err = PL_ERR_INIT;
	int n = 0;

	(void)state;
	assert_int_equal(pl_fstree_new(&t, &err), 0);
	put_file(t, "a", D1, 1);
	put_file(t, "b", D1, 1);
	put_file(t, "c", D1, 1);
	assert_int_equal(pl_fstree_walk(t, stop_at_second, &n, &err), PL_EIO);
	assert_int_equal(n, 2);
	pl_fstree_free(t);
}

static void test_fstree_hardlinks_share_inode(void **state)
{
	struct pl_fstree *t = NULL;
	struct pl_err err = PL_ERR_INIT;
	char *w;

	(void)state;
	assert_int_equal(pl_fstree_new(&t, &err), 0);
	put_file(t, "usr/bin/perl5.36", D1, 10);
	assert_int_equal(pl_fstree_link(t, "usr/bin/perl", "/usr/bin/perl5.36", &err), 0);
	assert_int_equal(pl_fstree_link(t, "a/perl", "usr/bin/perl", &err), 0);
	assert_ptr_equal(pl_fstree_get(t, "usr/bin/perl"), pl_fstree_get(t, "usr/bin/perl5.36"));
	assert_int_equal(pl_fstree_set_xattr(t, "usr/bin/perl", "security.capability", "c", 1,
					     &err),
			 0);
	assert_int_equal(pl_fstree_set_xattr(t, "a/perl", "a.first", "1", 1, &err), 0);
	w = walk_str(t);
	/* the first path in walk order carries the data, the others point at it */
	assert_string_equal(w, "a 2\n"
			       "a/perl 1 x:a.first=1 x:security.capability=c\n"
			       "usr 2\n"
			       "usr/bin 2\n"
			       "usr/bin/perl 1 ->a/perl x:a.first=1 x:security.capability=c\n"
			       "usr/bin/perl5.36 1 ->a/perl x:a.first=1 x:security.capability=c\n");
	free(w);

	/* replacing one name gives it a new inode; the others keep theirs */
	put_file(t, "a/perl", D2, 3);
	assert_string_equal(pl_fstree_get(t, "usr/bin/perl")->digest, D1);
	w = walk_str(t);
	assert_non_null(strstr(w, "usr/bin/perl5.36 1 ->usr/bin/perl "));
	free(w);

	/* removing the first name moves hardlink_to to the next one */
	assert_int_equal(pl_fstree_remove(t, "usr/bin/perl", &err), 0);
	w = walk_str(t);
	assert_non_null(strstr(w, "usr/bin/perl5.36 1 x:"));
	free(w);

	pl_err_init(&err);
	assert_int_equal(pl_fstree_link(t, "x", "missing", &err), PL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "missing"));
	pl_err_init(&err);
	assert_int_equal(pl_fstree_link(t, "x", "usr", &err), PL_EINVAL);
	pl_err_init(&err);
	assert_int_equal(pl_fstree_link(t, "x", "../y", &err), PL_EPOLICY);
	/* linking a name to itself is a no-op */
	assert_int_equal(pl_fstree_link(t, "a/perl", "a/perl", &err), 0);
	/* a link over the target's own parent directory */
	assert_int_equal(pl_fstree_link(t, "usr", "usr/bin/perl5.36", &err), 0);
	assert_int_equal(pl_fstree_get(t, "usr")->type, PL_FT_REG);
	assert_string_equal(pl_fstree_get(t, "usr")->digest, D1);
	assert_int_equal(pl_fstree_count(t), 3);
	pl_fstree_free(t);
}

static void test_fstree_xattrs_sorted_and_replaced(void **state)
{
	struct pl_fstree *t = NULL;
	struct pl_err err = PL_ERR_INIT;
	char *w;

	(void)state;
	assert_int_equal(pl_fstree_new(&t, &err), 0);
	put_file(t, "f", D1, 1);
	assert_int_equal(pl_fstree_set_xattr(t, "f", "user.b", "2", 1, &err), 0);
	assert_int_equal(pl_fstree_set_xattr(t, "f", "user.a", "1", 1, &err), 0);
	assert_int_equal(pl_fstree_set_xattr(t, "f", "user.c", "3", 1, &err), 0);
	assert_int_equal(pl_fstree_set_xattr(t, "f", "user.b", "22", 2, &err), 0);
	assert_int_equal(pl_fstree_set_xattr(t, "f", "user.e", "", 0, &err), 0);
	w = walk_str(t);
	assert_string_equal(w, "f 1 x:user.a=1 x:user.b=22 x:user.c=3 x:user.e=\n");
	free(w);
	assert_int_equal(pl_fstree_set_xattr(t, "nope", "user.a", "1", 1, &err), PL_ENOTFOUND);
	pl_fstree_free(t);
}

static void test_fstree_remove_and_clear(void **state)
{
	struct pl_fstree *t = NULL;
	struct pl_err err = PL_ERR_INIT;

	(void)state;
	assert_int_equal(pl_fstree_new(&t, &err), 0);
	put_file(t, "d/a", D1, 1);
	put_file(t, "d/b/c", D1, 1);
	put_file(t, "e", D1, 1);
	assert_int_equal(pl_fstree_count(t), 5);
	assert_int_equal(pl_fstree_clear_dir(t, "d", &err), 0);
	assert_int_equal(pl_fstree_count(t), 2);
	assert_non_null(pl_fstree_get(t, "d"));
	put_file(t, "d/b/c", D1, 1);
	assert_int_equal(pl_fstree_remove(t, "d", &err), 0);
	assert_int_equal(pl_fstree_count(t), 1);
	assert_null(pl_fstree_get(t, "d"));
	assert_int_equal(pl_fstree_remove(t, "d", &err), PL_ENOTFOUND);
	pl_err_init(&err);
	assert_int_equal(pl_fstree_remove(t, "/", &err), PL_EPOLICY);
	pl_err_init(&err);
	assert_int_equal(pl_fstree_clear_dir(t, "e", &err), PL_EINVAL);
	pl_fstree_free(t);
}

static bool keep_k(const char *path, void *ctx)
{
	const char *base = strrchr(path, '/');

	(void)ctx;
	return (base ? base + 1 : path)[0] == 'k';
}

static void test_fstree_prune_keeps_selected(void **state)
{
	struct pl_fstree *t = NULL;
	struct pl_err err = PL_ERR_INIT;
	char *w;

	(void)state;
	assert_int_equal(pl_fstree_new(&t, &err), 0);
	put_file(t, "d/k1", D1, 1);
	put_file(t, "d/x", D1, 1);
	put_file(t, "d/kdir/x", D1, 1);
	put_file(t, "d/kdir/k2", D1, 1);
	put_file(t, "top", D1, 1);
	assert_int_equal(pl_fstree_prune(t, "/d", keep_k, NULL, &err), 0);
	w = walk_str(t);
	assert_string_equal(w, "d 2\nd/k1 1\nd/kdir 2\nd/kdir/k2 1\ntop 1\n");
	free(w);
	assert_int_equal(pl_fstree_count(t), 5);
	assert_int_equal(pl_fstree_prune(t, "d", NULL, NULL, &err), 0);
	assert_int_equal(pl_fstree_count(t), 2);
	assert_int_equal(pl_fstree_prune(t, "nope", NULL, NULL, &err), PL_ENOTFOUND);
	pl_fstree_free(t);
}

static void test_fstree_clone_is_deep(void **state)
{
	struct pl_fstree *t = NULL, *c = NULL;
	struct pl_err err = PL_ERR_INIT;
	char *w1, *w2;

	(void)state;
	assert_int_equal(pl_fstree_new(&t, &err), 0);
	put_file(t, "bin/a", D1, 1);
	assert_int_equal(pl_fstree_link(t, "bin/b", "bin/a", &err), 0);
	put_link(t, "lib", "usr/lib");
	assert_int_equal(pl_fstree_set_xattr(t, "bin/a", "user.x", "1", 1, &err), 0);
	assert_int_equal(pl_fstree_clone(t, &c, &err), 0);
	assert_true(pl_fstree_equal(t, c));
	w1 = walk_str(t);
	w2 = walk_str(c);
	assert_string_equal(w1, w2);
	free(w1);
	free(w2);
	/* the copy's hardlinks are shared among themselves, not with t */
	assert_ptr_equal(pl_fstree_get(c, "bin/a"), pl_fstree_get(c, "bin/b"));
	assert_ptr_not_equal(pl_fstree_get(c, "bin/a"), pl_fstree_get(t, "bin/a"));
	assert_int_equal(pl_fstree_set_xattr(c, "bin/b", "user.x", "2", 1, &err), 0);
	assert_false(pl_fstree_equal(t, c));
	pl_fstree_free(t);
	/* c outlives t */
	assert_string_equal(pl_fstree_get(c, "lib")->link, "usr/lib");
	assert_int_equal(pl_fstree_count(c), 4);
	pl_fstree_free(c);
}

static void test_fstree_equal_sees_link_structure(void **state)
{
	struct pl_fstree *a = NULL, *b = NULL;
	struct pl_err err = PL_ERR_INIT;

	(void)state;
	assert_int_equal(pl_fstree_new(&a, &err), 0);
	assert_int_equal(pl_fstree_new(&b, &err), 0);
	put_file(a, "x", D1, 1);
	put_file(a, "y", D1, 1);
	put_file(b, "x", D1, 1);
	assert_int_equal(pl_fstree_link(b, "y", "x", &err), 0);
	assert_false(pl_fstree_equal(a, b));
	put_file(b, "y", D1, 1);
	assert_true(pl_fstree_equal(a, b));
	put_file(b, "y", D2, 1);
	assert_false(pl_fstree_equal(a, b));
	pl_fstree_free(a);
	pl_fstree_free(b);
}

static void check_resolve(const struct pl_fstree *t, const char *path, bool follow,
			  bool missing_ok, int want_rc, const char *want)
{
	struct pl_err err = PL_ERR_INIT;
	char *canon = NULL;

	assert_int_equal(pl_fstree_resolve(t, path, follow, missing_ok, &canon, &err), want_rc);
	if (want) {
		assert_non_null(canon);
		assert_string_equal(canon, want);
	} else {
		assert_null(canon);
	}
	free(canon);
}

static void test_fstree_resolve_chroot(void **state)
{
	struct pl_fstree *t = NULL;
	struct pl_err err = PL_ERR_INIT;

	(void)state;
	assert_int_equal(pl_fstree_new(&t, &err), 0);
	put_file(t, "usr/bin/bash", D1, 1);
	put_link(t, "bin", "usr/bin");
	put_link(t, "usr/bin/sh", "bash");
	put_link(t, "etc/alternatives/awk", "/usr/bin/mawk");
	put_link(t, "escape", "../../../../usr/bin");
	put_link(t, "loop1", "loop2");
	put_link(t, "loop2", "/loop1");
	put_link(t, "etc/up", "..");

	check_resolve(t, "/bin/sh", true, false, 0, "usr/bin/bash");
	check_resolve(t, "/bin/sh", false, false, 0, "usr/bin/sh");
	check_resolve(t, "bin", false, false, 0, "bin");
	check_resolve(t, "bin/", true, false, 0, "usr/bin");
	check_resolve(t, "escape/bash", true, false, 0, "usr/bin/bash");
	check_resolve(t, "../../usr/./bin/../bin/bash", true, false, 0, "usr/bin/bash");
	check_resolve(t, "etc/up/etc/up/bin/sh", true, false, 0, "usr/bin/bash");
	check_resolve(t, "/", true, false, 0, "");
	check_resolve(t, "..", true, false, 0, "");
	check_resolve(t, "etc/alternatives/awk", true, false, PL_ENOTFOUND, NULL);
	check_resolve(t, "etc/alternatives/awk", true, true, 0, "usr/bin/mawk");
	check_resolve(t, "etc/alternatives/awk", false, false, 0, "etc/alternatives/awk");
	check_resolve(t, "bin/newfile", true, true, 0, "usr/bin/newfile");
	check_resolve(t, "nodir/newfile", true, true, PL_ENOTFOUND, NULL);
	check_resolve(t, "usr/bin/bash/x", true, true, PL_ENOTFOUND, NULL);
	check_resolve(t, "loop1", true, false, PL_EINVAL, NULL);
	check_resolve(t, "loop1", false, false, 0, "loop1");
	pl_fstree_free(t);
}

/* A lower tree with a bit of everything. */
static struct pl_fstree *make_lower(void)
{
	struct pl_fstree *t = NULL;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fsmeta m = mk(PL_FT_CHR, 0666);

	assert_int_equal(pl_fstree_new(&t, &err), 0);
	put_dir(t, "etc", 0755);
	put_file(t, "etc/passwd", D1, 10);
	put_file(t, "etc/shadow", D1, 10);
	put_file(t, "etc/keep", D1, 10);
	put_dir(t, "var/cache/apt", 0755);
	put_file(t, "var/cache/apt/pkgcache.bin", D1, 100);
	put_file(t, "var/cache/apt/srcpkgcache.bin", D1, 100);
	put_file(t, "opt/file-becomes-dir", D1, 1);
	put_file(t, "opt/dir-becomes-file/x", D1, 1);
	put_file(t, "recreated/old", D1, 1);
	put_file(t, "usr/bin/perl", D2, 5);
	assert_int_equal(pl_fstree_link(t, "usr/bin/perl5", "usr/bin/perl", &err), 0);
	put_file(t, "usr/bin/ls", D1, 5);
	put_link(t, "usr/bin/vi", "vim.basic");
	m.devmajor = 1;
	m.devminor = 3;
	assert_int_equal(pl_fstree_put(t, "dev/null", &m, &err), 0);
	return t;
}

static void modify(struct pl_fstree *u)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_fsmeta m = mk(PL_FT_REG, 0600);

	memcpy(m.digest, D2, PL_DIGEST_SIZE);
	m.size = 11;
	assert_int_equal(pl_fstree_put(u, "etc/passwd", &m, &err), 0);  /* content */
	m = *pl_fstree_get(u, "etc/shadow");
	m.mode = 0640;                                                    /* chmod */
	assert_int_equal(pl_fstree_put(u, "etc/shadow", &m, &err), 0);
	assert_int_equal(pl_fstree_remove(u, "var/cache/apt", &err), 0); /* rm -r */
	put_file(u, "new/dir/file", D2, 1);                               /* new tree */
	put_dir(u, "opt/file-becomes-dir", 0755);
	put_file(u, "opt/file-becomes-dir/inside", D2, 1);
	put_file(u, "opt/dir-becomes-file", D2, 1);
	assert_int_equal(pl_fstree_remove(u, "recreated", &err), 0);      /* rm + mkdir */
	put_file(u, "recreated/new", D2, 1);
	assert_int_equal(pl_fstree_set_xattr(u, "usr/bin/perl", "user.cap", "x", 1, &err), 0);
	assert_int_equal(pl_fstree_link(u, "usr/bin/ls2", "usr/bin/ls", &err), 0);
	put_link(u, "usr/bin/vi", "nvim");
	assert_int_equal(pl_fstree_remove(u, "dev/null", &err), 0);
}

static void test_fstree_diff_entries(void **state)
{
	struct pl_fstree *lower = make_lower(), *upper = NULL, *d = NULL;
	struct pl_err err = PL_ERR_INIT;
	char *w;

	(void)state;
	assert_int_equal(pl_fstree_clone(lower, &upper, &err), 0);
	modify(upper);
	assert_int_equal(pl_fstree_diff(lower, upper, &d, &err), 0);
	w = walk_str(d);
	assert_string_equal(w, "dev 2\n"
			       "dev/null 7\n"
			       "etc 2\n"
			       "etc/passwd 1\n"
			       "etc/shadow 1\n"
			       "new 2\n"
			       "new/dir 2\n"
			       "new/dir/file 1\n"
			       "opt 2\n"
			       "opt/dir-becomes-file 1\n"
			       "opt/file-becomes-dir 2 opaque\n"
			       "opt/file-becomes-dir/inside 1\n"
			       "recreated 2 opaque\n"
			       "recreated/new 1\n"
			       "usr 2\n"
			       "usr/bin 2\n"
			       "usr/bin/ls 1\n"
			       "usr/bin/ls2 1 ->usr/bin/ls\n"
			       "usr/bin/perl 1 x:user.cap=x\n"
			       "usr/bin/perl5 1 ->usr/bin/perl x:user.cap=x\n"
			       "usr/bin/vi 3\n"
			       "var 2\n"
			       "var/cache 2\n"
			       "var/cache/apt 7\n");
	free(w);
	/* no change, empty diff */
	pl_fstree_free(d);
	assert_int_equal(pl_fstree_diff(upper, upper, &d, &err), 0);
	assert_int_equal(pl_fstree_count(d), 0);
	pl_fstree_free(d);
	pl_fstree_free(lower);
	pl_fstree_free(upper);
}

static void test_fstree_diff_apply_roundtrip(void **state)
{
	struct pl_fstree *lower = make_lower(), *upper = NULL, *d = NULL, *res = NULL;
	struct pl_err err = PL_ERR_INIT;

	(void)state;
	assert_int_equal(pl_fstree_clone(lower, &upper, &err), 0);
	modify(upper);
	assert_false(pl_fstree_equal(lower, upper));
	assert_int_equal(pl_fstree_diff(lower, upper, &d, &err), 0);
	assert_int_equal(pl_fstree_clone(lower, &res, &err), 0);
	assert_int_equal(pl_fstree_apply(res, d, &err), 0);
	assert_true(pl_fstree_equal(res, upper));
	pl_fstree_free(res);
	pl_fstree_free(d);

	/* and back: upper -> lower */
	assert_int_equal(pl_fstree_diff(upper, lower, &d, &err), 0);
	assert_int_equal(pl_fstree_clone(upper, &res, &err), 0);
	assert_int_equal(pl_fstree_apply(res, d, &err), 0);
	assert_true(pl_fstree_equal(res, lower));
	pl_fstree_free(res);
	pl_fstree_free(d);
	pl_fstree_free(lower);
	pl_fstree_free(upper);
}

/* Trees built independently (no common clone) still diff and apply exactly. */
static void test_fstree_diff_unrelated_trees(void **state)
{
	struct pl_fstree *lower = make_lower(), *upper = make_lower(), *d = NULL;
	struct pl_err err = PL_ERR_INIT;

	(void)state;
	assert_true(pl_fstree_equal(lower, upper));
	assert_int_equal(pl_fstree_diff(lower, upper, &d, &err), 0);
	assert_int_equal(pl_fstree_count(d), 0);
	pl_fstree_free(d);
	modify(upper);
	/* hardlink groups: a new name of an old inode brings the whole group along */
	assert_int_equal(pl_fstree_link(upper, "etc/keep2", "etc/keep", &err), 0);
	assert_int_equal(pl_fstree_diff(lower, upper, &d, &err), 0);
	assert_non_null(pl_fstree_get(d, "etc/keep"));
	assert_int_equal(pl_fstree_apply(lower, d, &err), 0);
	assert_true(pl_fstree_equal(lower, upper));
	pl_fstree_free(d);
	pl_fstree_free(lower);
	pl_fstree_free(upper);
}

static void test_fstree_apply_whiteouts_and_opaque(void **state)
{
	struct pl_fstree *t = NULL, *d = NULL;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fsmeta wh = mk(PL_FT_WHITEOUT, 0);
	char *w;

	(void)state;
	assert_int_equal(pl_fstree_new(&t, &err), 0);
	assert_int_equal(pl_fstree_new(&d, &err), 0);
	put_file(t, "a/old", D1, 1);
	put_file(t, "a/keep", D1, 1);
	put_file(t, "b/x", D1, 1);
	put_file(t, "gone", D1, 1);
	put_dir(d, "a", 0700);
	put_file(d, "a/new", D2, 1);
	assert_int_equal(pl_fstree_set_opaque(d, "a", true, &err), 0);
	assert_int_equal(pl_fstree_put(d, "gone", &wh, &err), 0);
	assert_int_equal(pl_fstree_put(d, "never-existed", &wh, &err), 0);
	put_dir(d, "b", 0755);
	assert_int_equal(pl_fstree_set_xattr(d, "b", "user.z", "1", 1, &err), 0);
	assert_int_equal(pl_fstree_apply(t, d, &err), 0);
	w = walk_str(t);
	assert_string_equal(w, "a 2\na/new 1\nb 2 x:user.z=1\nb/x 1\n");
	free(w);
	assert_int_equal(pl_fstree_get(t, "a")->mode, 0700);
	pl_err_init(&err);
	assert_int_equal(pl_fstree_set_opaque(d, "a/new", true, &err), PL_EINVAL);
	pl_fstree_free(t);
	pl_fstree_free(d);
}

/* Debian-sized: 100k entries, every operation stays fast. */
static void test_fstree_large_tree(void **state)
{
	struct pl_fstree *t = NULL, *c = NULL, *d = NULL;
	struct pl_err err = PL_ERR_INIT;
	char path[64];
	int n = 0;

	(void)state;
	assert_int_equal(pl_fstree_new(&t, &err), 0);
	for (int i = 0; i < 100000; i++) {
		snprintf(path, sizeof(path), "usr/share/d%03d/f%05d", (i * 7919) % 500, i);
		put_file(t, path, D1, (uint64_t)i);
	}
	assert_int_equal(pl_fstree_count(t), 100000 + 500 + 2);
	assert_int_equal(pl_fstree_clone(t, &c, &err), 0);
	assert_int_equal(pl_fstree_remove(c, "usr/share/d007", &err), 0);
	put_file(c, "usr/share/d100/f00000", D2, 1);
	assert_int_equal(pl_fstree_diff(t, c, &d, &err), 0);
	assert_int_equal(pl_fstree_walk(d, stop_at_second, &n, &err), PL_EIO);
	pl_err_init(&err);
	assert_int_equal(pl_fstree_apply(t, d, &err), 0);
	assert_true(pl_fstree_equal(t, c));
	pl_fstree_free(t);
	pl_fstree_free(c);
	pl_fstree_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fstree_new_has_root),
		cmocka_unit_test(test_fstree_path_normalisation),
		cmocka_unit_test(test_fstree_refuses_dotdot_and_symlinks),
		cmocka_unit_test(test_fstree_replace_semantics),
		cmocka_unit_test(test_fstree_walk_order),
		cmocka_unit_test(test_fstree_walk_stops_on_error),
		cmocka_unit_test(test_fstree_hardlinks_share_inode),
		cmocka_unit_test(test_fstree_xattrs_sorted_and_replaced),
		cmocka_unit_test(test_fstree_remove_and_clear),
		cmocka_unit_test(test_fstree_prune_keeps_selected),
		cmocka_unit_test(test_fstree_clone_is_deep),
		cmocka_unit_test(test_fstree_equal_sees_link_structure),
		cmocka_unit_test(test_fstree_resolve_chroot),
		cmocka_unit_test(test_fstree_diff_entries),
		cmocka_unit_test(test_fstree_diff_apply_roundtrip),
		cmocka_unit_test(test_fstree_diff_unrelated_trees),
		cmocka_unit_test(test_fstree_apply_whiteouts_and_opaque),
		cmocka_unit_test(test_fstree_large_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
