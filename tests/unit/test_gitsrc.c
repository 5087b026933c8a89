/*
 * gitsrc tests: repos are made with the git CLI in a temp dir, with fixed
 * dates and identity, and no user or system git config.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "lib/gitsrc.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/fsutil.h"

#define GIT                                                                                        \
	"GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git -c user.name=Test "                 \
	"-c user.email=test@example.com -c init.defaultBranch=main -c commit.gpgsign=false "       \
	"-c tag.gpgsign=false -c core.autocrlf=false"

#define T1 1700000000L /* committer time of the first commit */
#define T2 1700000100L

struct fx {
	char *tmp;
	char *repo; /* work tree */
	char c1[41], c2[41];
};

static void sh(const char *dir, const char *cmd)
{
	int rc = tu_sh(dir, "%s", cmd);

	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

/* Commit everything in dir; author time differs so commit time is the committer's. */
static void commit_all(const char *dir, long when, const char *msg)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "git add -A && GIT_AUTHOR_DATE='@%ld +0000' GIT_COMMITTER_DATE='@%ld +0000' " GIT
		 " commit -q -m '%s'",
		 when - 1000, when, msg);
	sh(dir, cmd);
}

/* git rev-parse spec in dir, via a file outside any work tree. */
static void rev_parse(struct fx *f, const char *dir, const char *spec, char out[41])
{
	struct pl_buf b = PL_BUF_INIT;
	char cmd[1024];
	char *p = tu_path(f->tmp, "rev.out");

	snprintf(cmd, sizeof(cmd), GIT " rev-parse '%s^{commit}' > '%s'", spec, p);
	sh(dir, cmd);
	assert_int_equal(pl_read_file(p, 0, &b, NULL), 0);
	assert_true(b.len >= 40);
	memcpy(out, b.data, 40);
	out[40] = '\0';
	pl_buf_release(&b);
	free(p);
}

static void put(const char *dir, const char *rel, const char *text)
{
	tu_write(dir, rel, text, strlen(text));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->tmp = tu_mkdtemp();
	f->repo = tu_path(f->tmp, "repo");
	sh(f->tmp, GIT " init -q repo");
	put(f->repo, "recipes/a.yaml", "v1\n");
	put(f->repo, "README", "hello\n");
	commit_all(f->repo, T1, "first commit");
	sh(f->repo, GIT " tag v1 && " GIT " branch feature");

	put(f->repo, "recipes/a.yaml", "v2\n");
	put(f->repo, "recipes/b.yaml", "b\n");
	put(f->repo, "keys/k.pub", "key\n");
	put(f->repo, "tool.sh", "#!/bin/sh\n");
	put(f->repo, "foo/x", "x\n");
	put(f->repo, "foo.txt", "foo\n");
	sh(f->repo, "chmod 755 tool.sh && ln -s README link");
	commit_all(f->repo, T2, "second commit\n\nwith a body");
	sh(f->repo, "GIT_COMMITTER_DATE='@1700000200 +0000' " GIT " tag -a v2 -m 'release 2'");
	rev_parse(f, f->repo, "v1", f->c1);
	rev_parse(f, f->repo, "main", f->c2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->repo);
	tu_rmtree(f->tmp);
	free(f);
	return 0;
}

static struct pl_gitsrc *open_ok(const char *repo, const char *cache)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_gitsrc *g = NULL;
	int rc = pl_gitsrc_open(&g, repo, cache, &err);

	if (rc != 0)
		fail_msg("open '%s': %d %s", repo, rc, err.msg);
	return g;
}

static void resolve_is(struct pl_gitsrc *g, const char *ref, const char *want)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_gitsrc_commit c;
	int rc = pl_gitsrc_resolve(g, ref, &c, &err);

	if (rc != 0)
		fail_msg("resolve '%s': %d %s", ref, rc, err.msg);
	assert_string_equal(c.id, want);
}

/* Read path at commit and compare with want. */
static void read_is(struct pl_gitsrc *g, const char *commit, const char *path, const char *want)
{
	struct pl_err err = PL_ERR_INIT;
	char *data = NULL;
	size_t len = 0;
	int rc = pl_gitsrc_read(g, commit, path, 0, &data, &len, &err);

	if (rc != 0)
		fail_msg("read '%s': %d %s", path, rc, err.msg);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(data, want, len);
	assert_int_equal(data[len], '\0');
	free(data);
}

static void test_gitsrc_resolve_refs(void **state)
{
	struct fx *f = *state;
	struct pl_gitsrc *g = open_ok(f->repo, NULL);
	char shortid[8];
	char tagobj[41];

	assert_string_not_equal(f->c1, f->c2);
	resolve_is(g, "main", f->c2);
	resolve_is(g, "refs/heads/main", f->c2);
	resolve_is(g, "feature", f->c1);
	resolve_is(g, "v1", f->c1); /* lightweight tag */
	resolve_is(g, "v2", f->c2); /* annotated tag, peeled */
	resolve_is(g, "HEAD", f->c2);
	resolve_is(g, NULL, f->c2);
	resolve_is(g, "", f->c2);
	resolve_is(g, "HEAD~1", f->c1);
	resolve_is(g, f->c1, f->c1);
	memcpy(shortid, f->c1, 7);
	shortid[7] = '\0';
	resolve_is(g, shortid, f->c1);

	/* the annotated tag is an object of its own, but resolve gives the commit */
	{
		struct pl_buf b = PL_BUF_INIT;
		char *p = tu_path(f->tmp, "tag.out");

		assert_int_equal(tu_sh(f->repo, GIT " rev-parse v2 > '%s'", p), 0);
		assert_int_equal(pl_read_file(p, 0, &b, NULL), 0);
		memcpy(tagobj, b.data, 40);
		tagobj[40] = '\0';
		assert_string_not_equal(tagobj, f->c2);
		pl_buf_release(&b);
		free(p);
	}
	pl_gitsrc_free(g);
}

static void test_gitsrc_resolve_errors(void **state)
{
	struct fx *f = *state;
	struct pl_gitsrc *g = open_ok(f->repo, NULL);
	struct pl_err err = PL_ERR_INIT;
	struct pl_gitsrc_commit c;

	assert_int_equal(pl_gitsrc_resolve(g, "no-such-branch", &c, &err), PL_ENOTFOUND);
	assert_int_equal(err.code, PL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "'no-such-branch'"));

	/* a spec naming a tree, not a commit */
	pl_err_init(&err);
	assert_int_equal(pl_gitsrc_resolve(g, "HEAD^{tree}", &c, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "not a commit"));

	pl_err_init(&err);
	assert_true(pl_gitsrc_resolve(g, "main..feature@@{", &c, &err) < 0);
	assert_true(err.msg[0] != '\0');
	pl_gitsrc_free(g);
}

static void test_gitsrc_commit_time_and_summary(void **state)
{
	struct fx *f = *state;
	struct pl_gitsrc *g = open_ok(f->repo, NULL);
	struct pl_err err = PL_ERR_INIT;
	struct pl_gitsrc_commit c;

	assert_int_equal(pl_gitsrc_resolve(g, "v1", &c, &err), 0);
	assert_int_equal(c.time, T1); /* committer time, not author time */
	assert_string_equal(c.summary, "first commit");
	assert_int_equal(pl_gitsrc_resolve(g, "v2", &c, &err), 0);
	assert_int_equal(c.time, T2);
	assert_string_equal(c.summary, "second commit");
	pl_gitsrc_free(g);
}

static void test_gitsrc_read_at_older_and_newer_commit(void **state)
{
	struct fx *f = *state;
	struct pl_gitsrc *g = open_ok(f->repo, NULL);
	struct pl_err err = PL_ERR_INIT;
	char *data = NULL;
	size_t len = 0;

	read_is(g, f->c1, "recipes/a.yaml", "v1\n");
	read_is(g, f->c2, "recipes/a.yaml", "v2\n");
	read_is(g, f->c2, "/recipes//./a.yaml", "v2\n");
	read_is(g, f->c2, "README", "hello\n");
	/* b.yaml did not exist yet in the first commit */
	assert_int_equal(pl_gitsrc_read(g, f->c1, "recipes/b.yaml", 0, &data, &len, &err),
			 PL_ENOTFOUND);
	assert_null(data);
	pl_gitsrc_free(g);
}

static void test_gitsrc_worktree_changes_not_seen(void **state)
{
	struct fx *f = *state;
	struct pl_gitsrc *g = open_ok(f->repo, NULL);
	struct pl_err err = PL_ERR_INIT;
	struct pl_gitsrc_commit c;
	bool dirty = true;
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(pl_gitsrc_is_dirty(g, &dirty, &err), 0);
	assert_false(dirty);

	put(f->repo, "recipes/a.yaml", "uncommitted\n");
	put(f->repo, "recipes/new.yaml", "untracked\n");
	assert_int_equal(pl_gitsrc_resolve(g, "HEAD", &c, &err), 0);
	read_is(g, c.id, "recipes/a.yaml", "v2\n");
	assert_int_equal(pl_gitsrc_read(g, c.id, "recipes/new.yaml", 0, &data, &len, &err),
			 PL_ENOTFOUND);
	assert_int_equal(pl_gitsrc_is_dirty(g, &dirty, &err), 0);
	assert_true(dirty);

	/* an untracked file alone is enough to warn */
	sh(f->repo, "git checkout -q -- recipes/a.yaml");
	dirty = false;
	assert_int_equal(pl_gitsrc_is_dirty(g, &dirty, &err), 0);
	assert_true(dirty);
	pl_gitsrc_free(g);
}

static void test_gitsrc_read_missing_path_message(void **state)
{
	struct fx *f = *state;
	struct pl_gitsrc *g = open_ok(f->repo, NULL);
	struct pl_err err = PL_ERR_INIT;
	char shortid[9];
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(pl_gitsrc_read(g, f->c2, "recipes/nope.yaml", 0, &data, &len, &err),
			 PL_ENOTFOUND);
	memcpy(shortid, f->c2, 8);
	shortid[8] = '\0';
	assert_non_null(strstr(err.msg, "'recipes/nope.yaml'"));
	assert_non_null(strstr(err.msg, shortid));

	/* a missing directory on the way */
	pl_err_init(&err);
	assert_int_equal(pl_gitsrc_read(g, f->c2, "nodir/x", 0, &data, &len, &err), PL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "'nodir/x'"));
	pl_gitsrc_free(g);
}

static void test_gitsrc_read_refuses_non_files(void **state)
{
	struct fx *f = *state;
	struct pl_gitsrc *g = open_ok(f->repo, NULL);
	struct pl_err err = PL_ERR_INIT;
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(pl_gitsrc_read(g, f->c2, "recipes", 0, &data, &len, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "directory"));
	pl_err_init(&err);
	assert_int_equal(pl_gitsrc_read(g, f->c2, "", 0, &data, &len, &err), PL_EINVAL);
	pl_err_init(&err);
	assert_int_equal(pl_gitsrc_read(g, f->c2, "link", 0, &data, &len, &err), PL_EPOLICY);
	assert_non_null(strstr(err.msg, "symbolic link"));
	pl_err_init(&err);
	assert_int_equal(pl_gitsrc_read(g, f->c2, "recipes/../README", 0, &data, &len, &err),
			 PL_EINVAL);
	pl_err_init(&err);
	assert_int_equal(pl_gitsrc_read(g, "main", "README", 0, &data, &len, &err), PL_EINVAL);
	pl_err_init(&err);
	assert_int_equal(pl_gitsrc_read(g, "0123456789012345678901234567890123456789", "README", 0,
					&data, &len, &err),
			 PL_ENOTFOUND);
	assert_null(data);
	pl_gitsrc_free(g);
}

static void test_gitsrc_read_max_size(void **state)
{
	struct fx *f = *state;
	struct pl_gitsrc *g = open_ok(f->repo, NULL);
	struct pl_err err = PL_ERR_INIT;
	char *data = NULL;
	size_t len = 0;

	/* "hello\n" is 6 bytes */
	assert_int_equal(pl_gitsrc_read(g, f->c2, "README", 5, &data, &len, &err), PL_ETOOBIG);
	assert_null(data);
	assert_non_null(strstr(err.msg, "'README'"));
	pl_err_init(&err);
	assert_int_equal(pl_gitsrc_read(g, f->c2, "README", 6, &data, &len, &err), 0);
	assert_int_equal(len, 6);
	free(data);
	pl_gitsrc_free(g);
}

static void test_gitsrc_list_sorted(void **state)
{
	struct fx *f = *state;
	struct pl_gitsrc *g = open_ok(f->repo, NULL);
	struct pl_err err = PL_ERR_INIT;
	struct pl_gitsrc_entry *e = NULL;
	char want_id[41];
	size_t n = 0;
	/* byte order: "foo" before "foo.txt" (git's tree order has them the other way) */
	static const char *names[] = {"README", "foo",	   "foo.txt", "keys",
				      "link",	"recipes", "tool.sh"};

	assert_int_equal(pl_gitsrc_list(g, f->c2, NULL, &e, &n, &err), 0);
	assert_int_equal(n, 7);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(e[i].name, names[i]);
	assert_int_equal(e[0].type, PL_GITSRC_BLOB);
	assert_int_equal(e[0].mode, 0100644);
	assert_int_equal(e[1].type, PL_GITSRC_TREE);
	assert_int_equal(e[1].mode, 040000);
	assert_int_equal(e[4].type, PL_GITSRC_LINK);
	assert_int_equal(e[4].mode, 0120000);
	assert_int_equal(e[6].type, PL_GITSRC_BLOB);
	assert_int_equal(e[6].mode, 0100755);

	/* the blob id is git's */
	{
		struct pl_buf b = PL_BUF_INIT;
		char *p = tu_path(f->tmp, "id.out");

		assert_int_equal(tu_sh(f->repo, GIT " rev-parse '%s:README' > '%s'", f->c2, p), 0);
		assert_int_equal(pl_read_file(p, 0, &b, NULL), 0);
		memcpy(want_id, b.data, 40);
		want_id[40] = '\0';
		pl_buf_release(&b);
		free(p);
	}
	assert_string_equal(e[0].id, want_id);
	pl_gitsrc_entries_free(e, n);

	assert_int_equal(pl_gitsrc_list(g, f->c2, "recipes", &e, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].name, "a.yaml");
	assert_string_equal(e[1].name, "b.yaml");
	pl_gitsrc_entries_free(e, n);

	assert_int_equal(pl_gitsrc_list(g, f->c1, "recipes/", &e, &n, &err), 0);
	assert_int_equal(n, 1);
	pl_gitsrc_entries_free(e, n);

	assert_int_equal(pl_gitsrc_list(g, f->c2, "README", &e, &n, &err), PL_EINVAL);
	pl_err_init(&err);
	assert_int_equal(pl_gitsrc_list(g, f->c1, "keys", &e, &n, &err), PL_ENOTFOUND);
	assert_null(e);
	assert_int_equal(n, 0);
	pl_gitsrc_free(g);
}

static void test_gitsrc_blob_id(void **state)
{
	struct fx *f = *state;
	struct pl_gitsrc *g = open_ok(f->repo, NULL);
	struct pl_err err = PL_ERR_INIT;
	char a1[41], a2[41], r1[41], r2[41];

	assert_int_equal(pl_gitsrc_blob_id(g, f->c1, "README", r1, &err), 0);
	assert_int_equal(pl_gitsrc_blob_id(g, f->c2, "README", r2, &err), 0);
	assert_string_equal(r1, r2); /* unchanged file, same id */
	assert_int_equal(pl_gitsrc_blob_id(g, f->c1, "recipes/a.yaml", a1, &err), 0);
	assert_int_equal(pl_gitsrc_blob_id(g, f->c2, "recipes/a.yaml", a2, &err), 0);
	assert_string_not_equal(a1, a2);
	assert_int_equal(strlen(a1), 40);
	assert_int_equal(pl_gitsrc_blob_id(g, f->c1, "missing", a1, &err), PL_ENOTFOUND);
	pl_gitsrc_free(g);
}

static void test_gitsrc_discover_from_subdir(void **state)
{
	struct fx *f = *state;
	char *sub = tu_path(f->repo, "recipes");
	struct pl_gitsrc *g = open_ok(sub, NULL);
	char *want = NULL;

	resolve_is(g, "HEAD", f->c2);
	read_is(g, f->c2, "README", "hello\n"); /* paths are from the repo root */
	assert_string_equal(pl_gitsrc_path(g), f->repo);
	/* no origin: a file URL of the work tree */
	assert_true(asprintf(&want, "file://%s", f->repo) > 0);
	assert_string_equal(pl_gitsrc_url(g), want);
	free(want);
	pl_gitsrc_free(g);
	free(sub);
}

static void test_gitsrc_url_from_origin(void **state)
{
	struct fx *f = *state;
	struct pl_gitsrc *g;

	sh(f->repo, GIT " remote add origin https://bot:s3cret@git.example.com/curation.git");
	g = open_ok(f->repo, NULL);
	assert_string_equal(pl_gitsrc_url(g), "https://git.example.com/curation.git");
	pl_gitsrc_free(g);

	sh(f->repo, GIT " remote set-url origin ssh://git:pw@git.example.com:2222/curation.git");
	g = open_ok(f->repo, NULL);
	assert_string_equal(pl_gitsrc_url(g), "ssh://git@git.example.com:2222/curation.git");
	pl_gitsrc_free(g);

	sh(f->repo, GIT " remote set-url origin git@git.example.com:platform/curation.git");
	g = open_ok(f->repo, NULL);
	assert_string_equal(pl_gitsrc_url(g), "git@git.example.com:platform/curation.git");
	pl_gitsrc_free(g);
}

static void test_gitsrc_clone_file_url_and_fetch(void **state)
{
	struct fx *f = *state;
	char *cache = tu_path(f->tmp, "cache");
	char *url = NULL, *mirror = NULL;
	char digest[PL_DIGEST_SIZE];
	struct pl_err err = PL_ERR_INIT;
	struct pl_gitsrc_commit c;
	struct pl_gitsrc *g;
	struct stat st;
	char c3[41];
	bool dirty = true;

	assert_true(asprintf(&url, "file://%s", f->repo) > 0);
	g = open_ok(url, cache);
	assert_string_equal(pl_gitsrc_url(g), url);
	resolve_is(g, "HEAD", f->c2);
	resolve_is(g, "main", f->c2);
	resolve_is(g, "feature", f->c1);
	resolve_is(g, "v1", f->c1);
	resolve_is(g, "v2", f->c2);
	read_is(g, f->c1, "recipes/a.yaml", "v1\n");
	assert_int_equal(pl_gitsrc_is_dirty(g, &dirty, &err), 0);
	assert_false(dirty);
	pl_gitsrc_free(g);

	/* the mirror is a bare repo at cache/<sha256 of the url> */
	assert_int_equal(pl_sha256_buf(url, strlen(url), digest, NULL), 0);
	mirror = tu_path(cache, pl_digest_hex(digest));
	{
		char *head = tu_path(mirror, "HEAD");

		assert_int_equal(stat(head, &st), 0); /* bare: HEAD at the top */
		free(head);
		g = open_ok(mirror, NULL);
		assert_string_equal(pl_gitsrc_path(g), mirror);
		resolve_is(g, "HEAD", f->c2);
		pl_gitsrc_free(g);
	}

	/* upstream moves on: a new commit, a new tag, a deleted branch */
	put(f->repo, "recipes/c.yaml", "c\n");
	commit_all(f->repo, T2 + 500, "third commit");
	sh(f->repo, GIT " tag v3 && " GIT " branch -q -D feature && " GIT " branch -m main trunk");
	rev_parse(f, f->repo, "trunk", c3);

	g = open_ok(url, cache);
	resolve_is(g, "HEAD", c3);
	resolve_is(g, "v3", c3);
	read_is(g, c3, "recipes/c.yaml", "c\n");
	resolve_is(g, "trunk", c3);
	/* pruned, and HEAD follows upstream's HEAD to the renamed branch */
	assert_int_equal(pl_gitsrc_resolve(g, "feature", &c, &err), PL_ENOTFOUND);
	pl_err_init(&err);
	assert_int_equal(pl_gitsrc_resolve(g, "main", &c, &err), PL_ENOTFOUND);
	pl_gitsrc_free(g);

	/* upstream gone: the fetch fails loudly rather than building stale content */
	sh(f->tmp, "mv repo repo.moved");
	pl_err_init(&err);
	g = NULL;
	assert_int_equal(pl_gitsrc_open(&g, url, cache, &err), PL_ENET);
	assert_null(g);
	assert_non_null(strstr(err.msg, "fetch"));
	sh(f->tmp, "mv repo.moved repo");

	free(mirror);
	free(url);
	free(cache);
}

static void test_gitsrc_url_errors(void **state)
{
	struct fx *f = *state;
	char *cache = tu_path(f->tmp, "cache");
	char *url = NULL;
	struct pl_err err = PL_ERR_INIT;
	struct pl_gitsrc *g = NULL;
	int rc;

	assert_true(asprintf(&url, "file://%s/nope", f->tmp) > 0);
	rc = pl_gitsrc_open(&g, url, cache, &err);
	assert_true(rc < 0);
	assert_null(g);
	assert_non_null(strstr(err.msg, url));

	/* a failed first clone leaves nothing behind but the lock */
	{
		char digest[PL_DIGEST_SIZE];
		char *mirror;
		struct stat st;

		assert_int_equal(pl_sha256_buf(url, strlen(url), digest, NULL), 0);
		mirror = tu_path(cache, pl_digest_hex(digest));
		assert_int_not_equal(stat(mirror, &st), 0);
		free(mirror);
	}

	pl_err_init(&err);
	assert_int_equal(pl_gitsrc_open(&g, url, NULL, &err), PL_EINVAL);
	free(url);
	free(cache);
}

static void test_gitsrc_bare_repo(void **state)
{
	struct fx *f = *state;
	char *bare = tu_path(f->tmp, "bare.git");
	struct pl_err err = PL_ERR_INIT;
	struct pl_gitsrc *g;
	struct pl_gitsrc_entry *e = NULL;
	size_t n = 0;
	bool dirty = true;
	char *want = NULL;

	sh(f->tmp, GIT " clone -q --bare repo bare.git");
	g = open_ok(bare, NULL);
	resolve_is(g, "main", f->c2);
	resolve_is(g, "v2", f->c2);
	read_is(g, f->c1, "recipes/a.yaml", "v1\n");
	assert_int_equal(pl_gitsrc_list(g, f->c2, "recipes", &e, &n, &err), 0);
	assert_int_equal(n, 2);
	pl_gitsrc_entries_free(e, n);
	assert_int_equal(pl_gitsrc_is_dirty(g, &dirty, &err), 0);
	assert_false(dirty);
	/* git clone sets origin to the source path */
	assert_string_equal(pl_gitsrc_path(g), bare);
	assert_true(asprintf(&want, "%s", pl_gitsrc_url(g)) > 0);
	assert_non_null(strstr(want, "repo"));
	free(want);
	pl_gitsrc_free(g);
	free(bare);
}

static void test_gitsrc_open_missing(void **state)
{
	struct fx *f = *state;
	char *dir = tu_path(f->tmp, "empty");
	struct pl_err err = PL_ERR_INIT;
	struct pl_gitsrc *g = NULL;

	assert_int_equal(pl_mkdir_p(dir, 0755, NULL), 0);
	/* $TMPDIR is not inside a repo, so discovery finds nothing */
	assert_int_equal(pl_gitsrc_open(&g, dir, NULL, &err), PL_ENOTFOUND);
	assert_null(g);
	assert_non_null(strstr(err.msg, dir));
	pl_err_init(&err);
	assert_int_equal(pl_gitsrc_open(&g, "", NULL, &err), PL_EINVAL);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_gitsrc_resolve_refs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gitsrc_resolve_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gitsrc_commit_time_and_summary, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gitsrc_read_at_older_and_newer_commit, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_gitsrc_worktree_changes_not_seen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gitsrc_read_missing_path_message, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gitsrc_read_refuses_non_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gitsrc_read_max_size, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gitsrc_list_sorted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gitsrc_blob_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gitsrc_discover_from_subdir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gitsrc_url_from_origin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gitsrc_clone_file_url_and_fetch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gitsrc_url_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gitsrc_bare_repo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gitsrc_open_missing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
