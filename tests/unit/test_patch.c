/*
 * patch: matching, unified diffs, actions on a tree with a real dpkg
 * database (tiny .debs built with dpkg-deb, recorded with pl_pkgdb_install),
 * and upgrades from a local trusted apt repository over file:// (apt-ftparchive),
 * checked with dpkg-query on the exported tree.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/apt.h"
#include "lib/cas.h"
#include "lib/deb.h"
#include "lib/fetch.h"
#include "lib/fstree.h"
#include "lib/patch.h"
#include "lib/pkgdb.h"
#include "lib/recipe.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "testutil.h"

#define EPOCH 1700000000

struct fx {
	char *dir;
	struct pl_cas *cas;
	struct pl_fstree *t;
	struct pl_patch_env env;
	struct pl_deb *debs[8];
	size_t ndebs;
	/* upgrade */
	struct pl_fetch *fetch;
	struct pl_apt *apt;
	const struct pl_apt *apts[1];
	struct pl_settings_repo repo;
	char *url;
};

/* Repo files for diff and file.source: read from <dir>/repo/. */
static int read_repo(void *ctx, const char *path, char **data, size_t *len, struct pl_err *err)
{
	struct fx *f = ctx;
	struct pl_buf b = PL_BUF_INIT;
	char rel[512];
	char *p;
	int rc;

	snprintf(rel, sizeof(rel), "repo/%s", path);
	p = tu_path(f->dir, rel);
	rc = pl_read_file(p, 0, &b, err);
	free(p);
	if (rc < 0)
		return rc;
	*data = pl_buf_detach(&b, len);
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pl_err err = PL_ERR_INIT;
	char *casdir;

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	casdir = tu_path(f->dir, "cas");
	assert_int_equal(pl_cas_open(&f->cas, casdir, &err), 0);
	pl_cas_set_sync(f->cas, false);
	free(casdir);
	assert_int_equal(pl_fstree_new(&f->t, &err), 0);
	f->env.cas = f->cas;
	f->env.epoch = EPOCH;
	f->env.read = read_repo;
	f->env.read_ctx = f;
	pl_log_set_level(PL_LOG_QUIET);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < f->ndebs; i++)
		pl_deb_free(f->debs[i]);
	pl_apt_free(f->apt);
	pl_fetch_free(f->fetch);
	free(f->url);
	pl_fstree_free(f->t);
	pl_cas_free(f->cas);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* ---- helpers ---- */

static void put(struct fx *f, const char *path, const char *content, unsigned mode)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_fsmeta m = {0};

	m.type = PL_FT_REG;
	m.mode = mode;
	m.mtime = EPOCH;
	m.size = strlen(content);
	assert_int_equal(pl_cas_put_buf(f->cas, content, m.size, NULL, m.digest, &err), 0);
	if (pl_fstree_put(f->t, path, &m, &err) < 0)
		fail_msg("%s", err.msg);
}

static void put_symlink(struct fx *f, const char *path, const char *target)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_fsmeta m = {0};

	m.type = PL_FT_SYMLINK;
	m.mode = 0777;
	m.link = (char *)target;
	assert_int_equal(pl_fstree_put(f->t, path, &m, &err), 0);
}

/* Content of a tree file (malloc'd), or NULL when absent. */
static char *get(struct fx *f, const char *path)
{
	struct pl_err err = PL_ERR_INIT;
	const struct pl_fsmeta *m = pl_fstree_get(f->t, path);
	char *data = NULL;
	size_t len = 0;

	if (!m)
		return NULL;
	assert_int_equal(m->type, PL_FT_REG);
	assert_int_equal(pl_cas_read(f->cas, m->digest, 0, &data, &len, &err), 0);
	return data;
}

static void expect_content(struct fx *f, const char *path, const char *want)
{
	char *got = get(f, path);

	if (!got)
		fail_msg("'%s' missing", path);
	assert_string_equal(got, want);
	free(got);
}

static struct pl_patchdef *patchdef(const char *yaml)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_patchdef *p = NULL;

	if (pl_patchdef_parse(yaml, strlen(yaml), "patches/t.yaml", &p, &err) < 0)
		fail_msg("%s", err.msg);
	return p;
}

static char *export_tree(struct fx *f, const char *name)
{
	return tu_export_tree(f->t, f->cas, f->dir, name);
}

static char *sh_out(const char *dir, const char *cmd)
{
	struct pl_buf b = PL_BUF_INIT;
	char *out = tu_path(dir, "out.txt");

	(void)tu_sh(dir, "%s > '%s' 2>&1", cmd, out);
	if (pl_read_file(out, 0, &b, NULL) < 0)
		fail_msg("no output from '%s'", cmd);
	unlink(out);
	free(out);
	return pl_buf_detach(&b, NULL);
}

/*
 * Build debs/<name>_<version>.deb: control fields, then "path=content" files.
 */
static void build_deb(struct fx *f, const char *name, const char *version, const char *extra,
		      const char *const *files)
{
	char rel[512], ctl[1024];

	snprintf(rel, sizeof(rel), "src/%s-%s/DEBIAN/control", name, version);
	snprintf(ctl, sizeof(ctl),
		 "Package: %s\nVersion: %s\nArchitecture: amd64\nMaintainer: T <t@example.org>\n"
		 "%sDescription: test %s\n",
		 name, version, extra ? extra : "", name);
	tu_write(f->dir, rel, ctl, strlen(ctl));
	for (size_t i = 0; files && files[i]; i++) {
		const char *eq = strchr(files[i], '=');

		snprintf(rel, sizeof(rel), "src/%s-%s/%.*s", name, version, (int)(eq - files[i]),
			 files[i]);
		tu_write(f->dir, rel, eq + 1, strlen(eq + 1));
	}
	assert_int_equal(tu_sh(f->dir,
			       "mkdir -p repo/pool/main && dpkg-deb --root-owner-group -Zgzip "
			       "--build src/%s-%s repo/pool/main/%s_%s_amd64.deb >/dev/null",
			       name, version, name, version),
			 0);
}

/* Unpack a built .deb into the tree, as the build's install stage does. */
static void unpack(struct fx *f, const char *name, const char *version)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_deb_read_opts o = {name, true};
	char rel[256];
	char *p;
	int fd;

	snprintf(rel, sizeof(rel), "repo/pool/main/%s_%s_amd64.deb", name, version);
	p = tu_path(f->dir, rel);
	fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	if (pl_deb_read(fd, f->t, f->cas, &o, &f->debs[f->ndebs], &err) < 0)
		fail_msg("%s", err.msg);
	f->ndebs++;
	close(fd);
	free(p);
}

static void install(struct fx *f)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_pkgdb_write_opts o = {EPOCH, PL_PKGDB_STATUS};

	if (pl_pkgdb_install(f->t, f->cas, (const struct pl_deb *const *)f->debs, f->ndebs, &o,
			     &err) < 0)
		fail_msg("%s", err.msg);
}

static const char *const foo1_files[] = {
    "usr/bin/foo=foo one\n",
    "usr/share/foo/old.txt=only in 1.0\n",
    "usr/share/foo/keep.txt=kept\n",
    "etc/foo.conf=a\nb\nc\nd\ne\n",
    NULL,
};

/* An image with foo 1.0 and libbar 1.0 installed. */
static void base_image(struct fx *f)
{
	static const char *const bar1[] = {"usr/lib/libbar.so.1=bar 1\n", NULL};
	static const char *const other[] = {"usr/share/foo/shared.txt=other\n", NULL};

	build_deb(f, "foo", "1.0", "Depends: libbar (>= 1)\n", foo1_files);
	build_deb(f, "libbar", "1.0", NULL, bar1);
	build_deb(f, "other", "1.0", "Source: othersrc (0.9-1)\n", other);
	unpack(f, "foo", "1.0");
	unpack(f, "libbar", "1.0");
	unpack(f, "other", "1.0");
	install(f);
}

static struct pl_pkgdb *readdb(struct fx *f)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_pkgdb *db = NULL;

	if (pl_pkgdb_read(f->t, f->cas, &db, &err) < 0)
		fail_msg("%s", err.msg);
	return db;
}

static int apply(struct fx *f, const char *yaml, struct pl_err *err, char **record)
{
	struct pl_patchdef *p = patchdef(yaml);
	struct pl_patch_applied rec;
	struct pl_buf b = PL_BUF_INIT;
	int rc = pl_patch_apply(p, "test", &f->env, f->t, &rec, err);

	if (rc == 0 && record) {
		struct pl_err e2 = PL_ERR_INIT;

		assert_int_equal(pl_patch_record_dump(&rec, 1, &b, &e2), 0);
		*record = pl_buf_detach(&b, NULL);
	}
	pl_patch_applied_release(&rec);
	pl_patchdef_free(p);
	return rc;
}

static void apply_ok(struct fx *f, const char *yaml)
{
	struct pl_err err = PL_ERR_INIT;

	if (apply(f, yaml, &err, NULL) < 0)
		fail_msg("%s", err.msg);
}

#define HDR "id: t\ntitle: T\nseverity: high\ncves: [CVE-2025-0001]\napplies_to: all\n"

/* ---- matching ---- */

static bool matches(const char *applies, const struct pl_pkgdb *db, const char *recipe,
		    const struct pl_recipe_map *labels, char *why, size_t whylen)
{
	char yaml[1024];
	struct pl_patchdef *p;
	struct pl_buf b = PL_BUF_INIT;
	struct pl_err err = PL_ERR_INIT;
	bool m = false;

	snprintf(yaml, sizeof(yaml),
		 "id: t\ntitle: T\nseverity: low\napplies_to: %s\nactions: [{remove: [/x]}]\n",
		 applies);
	p = patchdef(yaml);
	assert_int_equal(pl_patch_match(p, db, recipe, labels, &m, &b, &err), 0);
	if (why)
		snprintf(why, whylen, "%s", b.data ? b.data : "");
	pl_buf_release(&b);
	pl_patchdef_free(p);
	return m;
}

static void test_patch_match_forms(void **state)
{
	static const char status[] =
	    "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\n"
	    "Source: openssl\nVersion: 3.0.11-1~deb12u2\n\n"
	    "Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\n"
	    "Version: 1.0\n\n"
	    "Package: bin\nStatus: install ok installed\nArchitecture: amd64\n"
	    "Source: src (2.0-1)\nVersion: 2.0-1+b1\n";
	struct pl_pkgdb db;
	struct pl_err err = PL_ERR_INIT;
	struct pl_recipe_kv kv[2] = {{{0}, "team", "web"}, {{0}, "tier", "prod"}};
	struct pl_recipe_map labels = {kv, 2, true, {0}};
	char why[256];

	(void)state;
	pl_pkgdb_init(&db);
	assert_int_equal(pl_pkgdb_parse(&db, status, sizeof(status) - 1, "status", false, &err), 0);

	assert_true(matches("all", NULL, NULL, NULL, why, sizeof(why)));
	assert_string_equal(why, "all images");

	assert_true(matches("{package: libssl3, below: \"3.0.13-1~deb12u1\"}", &db, NULL, NULL, why,
			    sizeof(why)));
	assert_string_equal(why, "libssl3 3.0.11-1~deb12u2 < 3.0.13-1~deb12u1");
	/* dpkg ordering: ~ sorts before the release */
	assert_false(
	    matches("{package: libssl3, below: \"3.0.11-1~deb12u1\"}", &db, NULL, NULL, NULL, 0));
	assert_false(
	    matches("{package: libssl3, below: \"3.0.11-1~deb12u2\"}", &db, NULL, NULL, NULL, 0));
	assert_true(matches("{package: libssl3, below: \"3.0.11-1\"}", &db, NULL, NULL, NULL, 0));
	assert_true(matches("{package: libssl3, below: \"4\", at_least: \"3.0.11-1~deb12u2\"}", &db,
			    NULL, NULL, why, sizeof(why)));
	assert_string_equal(why, "libssl3 3.0.11-1~deb12u2 < 4, >= 3.0.11-1~deb12u2");
	assert_false(matches("{package: libssl3, below: \"4\", at_least: \"3.0.12\"}", &db, NULL,
			     NULL, NULL, 0));
	/* not installed (config-files) does not count */
	assert_false(matches("{package: gone, below: \"9\"}", &db, NULL, NULL, NULL, 0));
	assert_false(matches("{package: absent, below: \"9\"}", &db, NULL, NULL, NULL, 0));
	assert_false(matches("{package: libssl3, below: \"9\"}", NULL, NULL, NULL, NULL, 0));
	/* source: binary name no longer matches; source version is used */
	assert_false(
	    matches("{package: libssl3, below: \"9\", source: true}", &db, NULL, NULL, NULL, 0));
	assert_true(matches("{package: openssl, below: \"9\", source: true}", &db, NULL, NULL, why,
			    sizeof(why)));
	assert_string_equal(why, "libssl3 (source openssl) 3.0.11-1~deb12u2 < 9");
	assert_true(
	    matches("{package: src, below: \"2.0-1+b1\", source: true}", &db, NULL, NULL, NULL, 0));
	assert_false(
	    matches("{package: src, below: \"2.0-1\", source: true}", &db, NULL, NULL, NULL, 0));

	assert_true(matches("{recipes: [a, app]}", NULL, "app", NULL, why, sizeof(why)));
	assert_string_equal(why, "recipe 'app'");
	assert_false(matches("{recipes: [a, app]}", NULL, "ap", NULL, NULL, 0));
	assert_false(matches("{recipes: [a, app]}", NULL, NULL, NULL, NULL, 0));

	assert_true(matches("{labels: {tier: prod}}", NULL, NULL, &labels, why, sizeof(why)));
	assert_string_equal(why, "labels tier=prod");
	assert_true(matches("{labels: {tier: prod, team: web}}", NULL, NULL, &labels, NULL, 0));
	assert_false(matches("{labels: {tier: prod, team: db}}", NULL, NULL, &labels, NULL, 0));
	assert_false(matches("{labels: {tier: dev}}", NULL, NULL, &labels, NULL, 0));
	assert_false(matches("{labels: {tier: prod}}", NULL, NULL, NULL, NULL, 0));
	pl_pkgdb_release(&db);
}

/* ---- unified diffs ---- */

static int udiff(const char *diff, const char *in, struct pl_buf *out, struct pl_err *err)
{
	struct pl_udiff *d = NULL;
	int rc = pl_udiff_parse(diff, strlen(diff), "x.diff", &d, err);

	if (rc == 0) {
		assert_int_equal(d->nfiles, 1);
		rc = pl_udiff_apply(d, &d->files[0], in, strlen(in), out, err);
	}
	pl_udiff_free(d);
	return rc;
}

static void test_patch_udiff_apply_with_offset(void **state)
{
	static const char diff[] = "--- a/etc/x\t2024-01-01\n+++ b/etc/x\t2024-01-02\n"
				   "@@ -2,3 +2,3 @@ section\n b\n-c\n+C\n d\n"
				   "@@ -8,2 +8,3 @@\n h\n+h2\n i\n";
	struct pl_buf out = PL_BUF_INIT;
	struct pl_err err = PL_ERR_INIT;

	(void)state;
	/* exact position */
	assert_int_equal(udiff(diff, "a\nb\nc\nd\ne\nf\ng\nh\ni\n", &out, &err), 0);
	assert_string_equal(out.data, "a\nb\nC\nd\ne\nf\ng\nh\nh2\ni\n");
	pl_buf_reset(&out);
	/* two extra lines on top: both hunks found 2 lines later */
	assert_int_equal(udiff(diff, "0\n1\na\nb\nc\nd\ne\nf\ng\nh\ni\n", &out, &err), 0);
	assert_string_equal(out.data, "0\n1\na\nb\nC\nd\ne\nf\ng\nh\nh2\ni\n");
	pl_buf_reset(&out);
	/* one line fewer before the second hunk only */
	assert_int_equal(udiff(diff, "a\nb\nc\nd\nf\ng\nh\ni\n", &out, &err), 0);
	assert_string_equal(out.data, "a\nb\nC\nd\nf\ng\nh\nh2\ni\n");
	pl_buf_release(&out);
}

static void test_patch_udiff_failure_names_hunk(void **state)
{
	static const char diff[] = "--- a/etc/x\n+++ b/etc/x\n"
				   "@@ -1,2 +1,2 @@\n a\n-b\n+B\n"
				   "@@ -5,2 +5,2 @@\n e\n-f\n+F\n";
	struct pl_buf out = PL_BUF_INIT;
	struct pl_err err = PL_ERR_INIT;

	(void)state;
	assert_int_equal(pl_buf_adds(&out, "keep", &err), 0);
	/* the second hunk's context is gone */
	assert_int_equal(udiff(diff, "a\nb\nc\nd\ne\nX\n", &out, &err), PL_EINVAL);
	assert_string_equal(err.msg,
			    "diff 'x.diff': 'etc/x': hunk #2 (@@ -5,2 +5,2 @@) does not apply");
	assert_string_equal(out.data, "keep");
	/* whitespace differences are not fuzz */
	pl_err_init(&err);
	assert_int_equal(udiff(diff, "a\nb \nc\nd\ne\nf\n", &out, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "hunk #1 (@@ -1,2 +1,2 @@)"));
	pl_buf_release(&out);
}

static void test_patch_udiff_no_newline(void **state)
{
	static const char diff[] = "--- x\n+++ x\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of "
				   "file\n+b\n";
	static const char diff2[] = "--- x\n+++ x\n@@ -1 +1 @@\n-a\n+z\n\\ No newline at end of "
				    "file\n";
	struct pl_buf out = PL_BUF_INIT;
	struct pl_err err = PL_ERR_INIT;

	(void)state;
	assert_int_equal(udiff(diff, "a\nb", &out, &err), 0);
	assert_string_equal(out.data, "a\nb\n");
	pl_buf_reset(&out);
	/* the file's last line has a newline: the old side does not match */
	assert_int_equal(udiff(diff, "a\nb\n", &out, &err), PL_EINVAL);
	pl_err_init(&err);
	assert_int_equal(udiff(diff2, "a\n", &out, &err), 0);
	assert_int_equal(out.len, 1);
	assert_string_equal(out.data, "z");
	pl_buf_release(&out);
}

static void test_patch_udiff_parse_errors(void **state)
{
	static const char *const bad[] = {
	    "--- a/x\nnot plus\n",
	    "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n",	       /* ends early */
	    "--- a/x\n+++ b/x\n@@ -1,1 +1,1 @@\n a\n-b\n+c\n", /* too many lines */
	    "--- a/x\n+++ b/x\n@@ -1 +1\n a\n",		       /* bad header */
	    "--- a/x\n+++ b/x\n",			       /* no hunks */
	    "@@ -1 +1 @@\n-a\n+b\n",			       /* no file */
	    "diff --git a/x b/x\nGIT binary patch\n",
	    "plain prose only\n",
	    "--- /dev/null\n+++ /dev/null\n@@ -0,0 +1 @@\n+x\n",
	    "--- a/x\n+++ b/x\n@@ -1 +1 @@\n*a\n",
	};
	struct pl_err err;
	struct pl_udiff *d;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pl_err_init(&err);
		d = NULL;
		if (pl_udiff_parse(bad[i], strlen(bad[i]), "b.diff", &d, &err) != PL_EINVAL)
			fail_msg("bad[%zu] parsed: %s", i, err.msg);
		assert_null(d);
		assert_non_null(strstr(err.msg, "b.diff"));
	}
	pl_err_init(&err);
	assert_int_equal(
	    pl_udiff_parse("--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n", 40, "b.diff", &d, &err),
	    PL_EPOLICY);
}

/* ---- actions ---- */

static const char multi_diff[] = "diff --git a/etc/foo.conf b/etc/foo.conf\n"
				 "index 1111111..2222222 100644\n"
				 "--- a/etc/foo.conf\n+++ b/etc/foo.conf\n"
				 "@@ -2,3 +2,3 @@\n b\n-c\n+C\n d\n"
				 "diff --git a/etc/new.conf b/etc/new.conf\nnew file mode 100644\n"
				 "--- /dev/null\n+++ b/etc/new.conf\n@@ -0,0 +1,2 @@\n+new\n+file\n"
				 "diff --git a/etc/gone b/etc/gone\ndeleted file mode 100644\n"
				 "--- a/etc/gone\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n";

static void test_patch_diff_action_multi_file(void **state)
{
	struct fx *f = *state;
	char *rec = NULL;
	struct pl_err err = PL_ERR_INIT;
	const struct pl_fsmeta *m;

	put(f, "etc/foo.conf", "a\nb\nc\nd\ne\n", 0640);
	put(f, "etc/gone", "bye\n", 0644);
	tu_write(f->dir, "repo/patches/files/x.diff", multi_diff, strlen(multi_diff));
	assert_int_equal(apply(f, HDR "actions: [{diff: patches/files/x.diff}]\n", &err, &rec), 0);
	expect_content(f, "etc/foo.conf", "a\nb\nC\nd\ne\n");
	m = pl_fstree_get(f->t, "etc/foo.conf");
	assert_int_equal(m->mode, 0640); /* metadata kept */
	expect_content(f, "etc/new.conf", "new\nfile\n");
	assert_int_equal(pl_fstree_get(f->t, "etc/new.conf")->mode, 0644);
	assert_null(pl_fstree_get(f->t, "etc/gone"));
	assert_string_equal(
	    rec, "[{\"actions\":[{\"kind\":\"diff\",\"result\":\"applied\",\"target\":"
		 "\"/etc/foo.conf,/etc/new.conf,/etc/gone\"}],\"advisory\":null,\"cves\":"
		 "[\"CVE-2025-0001\"],\"id\":\"t\",\"severity\":\"high\",\"title\":\"T\","
		 "\"why\":\"test\"}]");
	free(rec);
}

static void test_patch_diff_failure_leaves_tree(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fstree *before = NULL;

	/* the first file applies, the deletion does not (content differs) */
	put(f, "etc/foo.conf", "a\nb\nc\nd\ne\n", 0644);
	put(f, "etc/gone", "hello\n", 0644);
	assert_int_equal(pl_fstree_clone(f->t, &before, &err), 0);
	tu_write(f->dir, "repo/p.diff", multi_diff, strlen(multi_diff));
	assert_int_equal(apply(f,
			       HDR "actions: [{chmod: {path: /etc/foo.conf, mode: \"0600\"}},"
				   " {diff: p.diff}]\n",
			       &err, NULL),
			 PL_EINVAL);
	assert_string_equal(err.msg, "patch 't': action 2 (diff): diff 'p.diff': 'etc/gone': "
				     "hunk #1 (@@ -1 +0,0 @@) does not apply");
	assert_true(pl_fstree_equal(before, f->t));
	expect_content(f, "etc/foo.conf", "a\nb\nc\nd\ne\n");
	/* creating an existing file is refused too */
	pl_err_init(&err);
	put(f, "etc/new.conf", "x\n", 0644);
	put(f, "etc/gone", "bye\n", 0644);
	assert_int_equal(apply(f, HDR "actions: [{diff: p.diff}]\n", &err, NULL), PL_EINVAL);
	assert_non_null(strstr(err.msg, "'etc/new.conf' already exists"));
	expect_content(f, "etc/foo.conf", "a\nb\nc\nd\ne\n");
	pl_fstree_free(before);
}

static void test_patch_file_actions(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	const struct pl_fsmeta *m;

	base_image(f);
	put(f, "usr/bin/newgrp", "ng", 04755);
	put(f, "usr/bin/wall", "w", 02755);
	put_symlink(f, "usr/bin/sg", "newgrp");
	tu_write(f->dir, "repo/files/motd", "hello\n", 6);
	apply_ok(f, HDR "actions:\n"
			"  - chmod: {path: /usr/bin/sg, mode: \"0755\"}\n"
			"  - chown: {path: /usr/bin/wall, gid: 5}\n"
			"  - remove: [/usr/share/foo/old.txt, /usr/bin/newgrp]\n"
			"  - file: {path: /etc/motd, source: files/motd, mode: \"0600\"}\n"
			"  - file: {path: /etc/issue, content: \"curated\\n\"}\n");
	/* chmod follows the symlink, then remove drops the file */
	assert_null(pl_fstree_get(f->t, "usr/bin/newgrp"));
	assert_null(pl_fstree_get(f->t, "usr/share/foo/old.txt"));
	assert_non_null(pl_fstree_get(f->t, "usr/share/foo/keep.txt"));
	m = pl_fstree_get(f->t, "usr/bin/wall");
	assert_int_equal(m->gid, 5);
	assert_int_equal(m->uid, 0);
	assert_int_equal(m->mode, 02755);
	expect_content(f, "etc/motd", "hello\n");
	assert_int_equal(pl_fstree_get(f->t, "etc/motd")->mode, 0600);
	expect_content(f, "etc/issue", "curated\n");
	assert_int_equal(pl_fstree_get(f->t, "etc/issue")->mode, 0644);
	assert_int_equal(pl_fstree_get(f->t, "etc/issue")->mtime, EPOCH);

	put(f, "usr/bin/su", "su", 04755);
	apply_ok(f, HDR "actions: [{chmod: {path: /usr/bin/su, mode: \"0755\"}}]\n");
	assert_int_equal(pl_fstree_get(f->t, "usr/bin/su")->mode, 0755);

	/* missing path */
	assert_int_equal(apply(f, HDR "actions: [{remove: [/usr/bin/nothere]}]\n", &err, NULL),
			 PL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "'/usr/bin/nothere'"));
	pl_err_init(&err);
	assert_int_equal(
	    apply(f, HDR "actions: [{chmod: {path: /nope, mode: \"0755\"}}]\n", &err, NULL),
	    PL_ENOTFOUND);
}

static void test_patch_remove_refuses_dpkg_database(void **state)
{
	static const char *const paths[] = {
	    "/var/lib/dpkg",	      "/var/lib",	"/var", "/var/lib/dpkg/status",
	    "/var/lib/dpkg/status.d", "/var/lib/./dpkg"};
	struct fx *f = *state;
	struct pl_err err;
	char yaml[512];

	base_image(f);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		pl_err_init(&err);
		snprintf(yaml, sizeof(yaml), HDR "actions: [{remove: [\"%s\"]}]\n", paths[i]);
		if (i == 5)
			snprintf(yaml, sizeof(yaml),
				 HDR "actions: [{remove: [/etc/foo.conf]}, "
				     "{remove: [/var/lib]}]\n");
		assert_int_equal(apply(f, yaml, &err, NULL), PL_EPOLICY);
		assert_non_null(strstr(err.msg, "would remove the dpkg database"));
	}
	/* the earlier action of the refused patch did not stick */
	assert_non_null(pl_fstree_get(f->t, "etc/foo.conf"));
	/* through a symlink to the directory */
	put_symlink(f, "dpkglink", "var/lib");
	pl_err_init(&err);
	assert_int_equal(apply(f, HDR "actions: [{remove: [/dpkglink/dpkg]}]\n", &err, NULL),
			 PL_EPOLICY);
	/* files inside it are fine */
	apply_ok(f, HDR "actions: [{remove: [/var/lib/dpkg/info/other.md5sums]}]\n");
	assert_non_null(pl_fstree_get(f->t, "var/lib/dpkg/status"));
}

/* ---- upgrade ---- */

static void open_repo(struct fx *f)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_apt_source src = {&f->repo, NULL, 0};
	struct pl_apt_opts o = {0};

	assert_int_equal(
	    tu_sh(f->dir, "cd repo && mkdir -p dists/sec/main/binary-amd64 && "
			  "apt-ftparchive packages pool > dists/sec/main/binary-amd64/Packages "
			  "2>/dev/null && gzip -kfn dists/sec/main/binary-amd64/Packages && "
			  "apt-ftparchive -o APT::FTPArchive::Release::Suite=sec "
			  "-o APT::FTPArchive::Release::Codename=sec "
			  "-o APT::FTPArchive::Release::Architectures=amd64 "
			  "-o APT::FTPArchive::Release::Components=main release dists/sec > "
			  "../Release.tmp && mv ../Release.tmp dists/sec/Release"),
	    0);
	assert_true(asprintf(&f->url, "file://%s/repo/", f->dir) > 0);
	f->repo.name = "sec";
	f->repo.url = f->url;
	f->repo.suite = "sec";
	f->repo.trusted = true;
	o.arch = "amd64";
	assert_int_equal(pl_fetch_new(&f->fetch, f->cas, NULL, &err), 0);
	if (pl_apt_open(&f->apt, &src, 1, f->fetch, f->cas, &o, &err) < 0)
		fail_msg("%s", err.msg);
	f->apts[0] = f->apt;
	f->env.apts = f->apts;
	f->env.napts = 1;
	f->env.fetch = f->fetch;
	f->env.fetch_cas = f->cas;
	f->env.arch = "amd64";
}

static void upgrade_repo(struct fx *f)
{
	static const char *const foo2[] = {
	    "usr/bin/foo=foo two\n",
	    "usr/share/foo/new.txt=new in 2.0\n",
	    "usr/share/foo/keep.txt=kept\n",
	    "etc/foo.conf=a\nb\nc\nd\ne\n",
	    NULL,
	};
	static const char *const foo3[] = {"usr/bin/foo=foo three\n", NULL};
	static const char *const bar2[] = {"usr/lib/libbar.so.2=bar 2\n", NULL};
	static const char *const baz[] = {"usr/lib/libbaz.so=baz\n", NULL};

	base_image(f);
	build_deb(f, "foo", "2.0", "Depends: libbar (>= 2), libbaz\n", foo2);
	build_deb(f, "foo", "1.5", NULL, foo3);
	build_deb(f, "libbar", "2.0", NULL, bar2);
	build_deb(f, "libbaz", "1.0", NULL, baz);
	open_repo(f);
}

static void test_patch_upgrade_replaces_files(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_pkgdb *db;
	char *rec = NULL, *root, *out;

	upgrade_repo(f);
	assert_int_equal(
	    apply(f, HDR "actions: [{upgrade: {packages: [foo], from: sec}}]\n", &err, &rec), 0);
	/* files owned only by 1.0 are gone, 2.0's are there */
	assert_null(pl_fstree_get(f->t, "usr/share/foo/old.txt"));
	expect_content(f, "usr/share/foo/new.txt", "new in 2.0\n");
	expect_content(f, "usr/share/foo/keep.txt", "kept\n");
	expect_content(f, "usr/bin/foo", "foo two\n");
	/* another package's file in the shared directory stays */
	expect_content(f, "usr/share/foo/shared.txt", "other\n");
	/* libbar upgraded for the dependency (its old file gone), libbaz added */
	assert_null(pl_fstree_get(f->t, "usr/lib/libbar.so.1"));
	expect_content(f, "usr/lib/libbar.so.2", "bar 2\n");
	expect_content(f, "usr/lib/libbaz.so", "baz\n");
	db = readdb(f);
	assert_string_equal(pl_pkgdb_find(db, "foo", NULL)->version, "2.0");
	assert_string_equal(pl_pkgdb_find(db, "libbar", NULL)->version, "2.0");
	assert_string_equal(pl_pkgdb_find(db, "libbaz", NULL)->version, "1.0");
	assert_string_equal(pl_pkgdb_find(db, "other", NULL)->version, "1.0");
	pl_pkgdb_free(db);
	assert_non_null(strstr(rec, "\"packages\":[{\"after\":\"2.0\",\"before\":\"1.0\","
				    "\"name\":\"foo\"},{\"after\":\"2.0\",\"before\":\"1.0\","
				    "\"name\":\"libbar\"},{\"after\":\"1.0\",\"before\":\"\","
				    "\"name\":\"libbaz\"}]"));
	free(rec);

	/* dpkg agrees */
	root = export_tree(f, "ours");
	out = sh_out(f->dir, "dpkg-query --admindir=ours/var/lib/dpkg -W "
			     "-f '${Package} ${Version} ${Status}\\n'");
	assert_string_equal(out, "foo 2.0 install ok installed\n"
				 "libbar 2.0 install ok installed\n"
				 "libbaz 1.0 install ok installed\n"
				 "other 1.0 install ok installed\n");
	free(out);
	out = sh_out(f->dir, "dpkg-query --admindir=ours/var/lib/dpkg -L foo | sort");
	assert_null(strstr(out, "old.txt"));
	assert_non_null(strstr(out, "/usr/share/foo/new.txt\n"));
	free(out);
	out = sh_out(f->dir, "{ dpkg-query --admindir=ours/var/lib/dpkg -S /usr/lib/libbar.so.1; "
			     "echo rc=$?; }");
	assert_non_null(strstr(out, "rc=1"));
	free(out);
	free(root);
}

static void test_patch_upgrade_exact_version_and_refusals(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fstree *before = NULL;
	struct pl_pkgdb *db;

	upgrade_repo(f);
	assert_int_equal(pl_fstree_clone(f->t, &before, &err), 0);
	assert_int_equal(apply(f,
			       HDR "actions: [{upgrade: {packages: [foo], from: sec, "
				   "version: \"3.0\"}}]\n",
			       &err, NULL),
			 PL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "no version 3.0 of 'foo' in repository 'sec'"));
	pl_err_init(&err);
	assert_int_equal(
	    apply(f, HDR "actions: [{upgrade: {packages: [libbaz], from: sec}}]\n", &err, NULL),
	    PL_EINVAL);
	assert_non_null(strstr(err.msg, "package 'libbaz' is not installed"));
	pl_err_init(&err);
	assert_int_equal(
	    apply(f, HDR "actions: [{upgrade: {packages: [foo], from: nowhere}}]\n", &err, NULL),
	    PL_ENOTFOUND);
	assert_true(pl_fstree_equal(before, f->t));

	/* an exact older-than-newest version; it has no dependencies */
	apply_ok(f, HDR "actions: [{upgrade: {packages: [foo], from: sec, version: \"1.5\"}}]\n");
	db = readdb(f);
	assert_string_equal(pl_pkgdb_find(db, "foo", NULL)->version, "1.5");
	assert_string_equal(pl_pkgdb_find(db, "libbar", NULL)->version, "1.0");
	assert_null(pl_pkgdb_find(db, "libbaz", NULL));
	pl_pkgdb_free(db);
	expect_content(f, "usr/bin/foo", "foo three\n");
	assert_null(pl_fstree_get(f->t, "usr/share/foo/keep.txt"));
	/* the directory only foo used is gone; other's file keeps its directory */
	expect_content(f, "usr/share/foo/shared.txt", "other\n");
	assert_null(pl_fstree_get(f->t, "etc/foo.conf"));
	pl_fstree_free(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_patch_match_forms),
	    cmocka_unit_test(test_patch_udiff_apply_with_offset),
	    cmocka_unit_test(test_patch_udiff_failure_names_hunk),
	    cmocka_unit_test(test_patch_udiff_no_newline),
	    cmocka_unit_test(test_patch_udiff_parse_errors),
	    cmocka_unit_test_setup_teardown(test_patch_diff_action_multi_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_patch_diff_failure_leaves_tree, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_patch_file_actions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_patch_remove_refuses_dpkg_database, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_patch_upgrade_replaces_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_patch_upgrade_exact_version_and_refusals, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
