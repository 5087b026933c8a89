/*
 * apt: real repositories built by the test (dpkg-deb, apt-ftparchive, a
 * throwaway gpg key) and served over file:// URLs; one optional test against
 * deb.debian.org when the network reaches it.
 */
#include <curl/curl.h>
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
#include "util/fsutil.h"
#include "testutil.h"

static const char mkrepo_sh[] =
    "set -e\n"
    "D=$PWD\n"
    "mkkey() {\n"
    "  mkdir -m 700 -p \"$1\"\n"
    "  GNUPGHOME=\"$1\" gpg --batch --quiet --pinentry-mode loopback --passphrase '' \\\n"
    "    --quick-gen-key \"$2 <$2@example.org>\" ed25519 sign never 2>/dev/null\n"
    "}\n"
    "mkdeb() {\n"
    "  repo=$1; n=$2; v=$3; a=$4; shift 4\n"
    "  b=$D/build/$repo-$n-$v-$a\n"
    "  mkdir -p $b/DEBIAN $b/usr/share/doc/$n $D/$repo/pool/main\n"
    "  { echo \"Package: $n\"; echo \"Version: $v\"; echo \"Architecture: $a\";\n"
    "    echo \"Maintainer: T <t@example.org>\"; for l in \"$@\"; do echo \"$l\"; done;\n"
    "    echo \"Description: test package $n\"; } > $b/DEBIAN/control\n"
    "  echo \"$repo $n $v\" > $b/usr/share/doc/$n/README\n"
    "  dpkg-deb -Zgzip --root-owner-group --build $b $D/$repo/pool/main/${n}_${v}_$a.deb "
    ">/dev/null\n"
    "}\n"
    "index() {\n"
    "  cd $D/$1\n"
    "  mkdir -p dists/$2/main/binary-amd64\n"
    "  apt-ftparchive packages pool > dists/$2/main/binary-amd64/Packages 2>/dev/null\n"
    "  xz -kf dists/$2/main/binary-amd64/Packages\n"
    "  gzip -kfn dists/$2/main/binary-amd64/Packages\n"
    "  apt-ftparchive -o APT::FTPArchive::Release::Suite=$2 \\\n"
    "    -o APT::FTPArchive::Release::Codename=$2 \\\n"
    "    -o APT::FTPArchive::Release::Architectures=amd64 \\\n"
    "    -o APT::FTPArchive::Release::Components=main release dists/$2 > $D/Release.tmp\n"
    "  mv $D/Release.tmp dists/$2/Release\n"
    "  cd $D\n"
    "}\n"
    "sign() {\n"
    "  r=$D/$1/dists/$2\n"
    "  if [ $4 != detached ]; then GNUPGHOME=$3 gpg --batch --quiet --yes --clearsign \\\n"
    "    -o $r/InRelease $r/Release; fi\n"
    "  if [ $4 != inrelease ]; then GNUPGHOME=$3 gpg --batch --quiet --yes --detach-sign \\\n"
    "    -o $r/Release.gpg $r/Release; fi\n"
    "}\n"
    "mkkey $D/gnupg repo\n"
    "mkkey $D/gnupg2 other\n"
    "GNUPGHOME=$D/gnupg gpg --batch --export > keyA.gpg\n"
    "GNUPGHOME=$D/gnupg gpg --batch --armor --export > keyA.asc\n"
    "GNUPGHOME=$D/gnupg2 gpg --batch --export > keyB.gpg\n"
    "mkdeb one a 1.0 amd64 'Depends: b (>= 2) | c'\n"
    "mkdeb one b 1.0 amd64 'Provides: v'\n"
    "mkdeb one b 2.0 amd64 'Provides: v' 'Depends: libc (>= 1)'\n"
    "mkdeb one c 1.0 all\n"
    "mkdeb one libc 1.5 amd64 'Multi-Arch: same' 'Priority: required'\n"
    "mkdeb one needsv 1.0 amd64 'Depends: v'\n"
    "mkdeb one p3 1.0 amd64 'Provides: vv (= 3)'\n"
    "mkdeb one needsvv 1.0 amd64 'Depends: vv (>= 3)'\n"
    "mkdeb one needsvv4 1.0 amd64 'Depends: vv (>= 4)'\n"
    "mkdeb one deep 1.0 amd64 'Depends: mid'\n"
    "mkdeb one mid 1.0 amd64 'Depends: libc (>= 9.0)'\n"
    "mkdeb one x 1.0 amd64 'Conflicts: y'\n"
    "mkdeb one y 1.0 amd64\n"
    "mkdeb one wantxy 1.0 amd64 'Depends: x, y'\n"
    "mkdeb one ess 1.0 amd64 'Essential: yes' 'Priority: required'\n"
    "mkdeb one ma 1.0 amd64 'Multi-Arch: allowed'\n"
    "mkdeb one usesma 1.0 amd64 'Depends: ma:any'\n"
    "mkdeb one usesnotma 1.0 amd64 'Depends: c:any'\n"
    "mkdeb one alt 1.0 amd64 'Depends: missing | c'\n"
    "mkdeb one foreign 1.0 i386\n"
    "mkdeb one pre 1.0 amd64 'Pre-Depends: libc (>= 1)'\n"
    "mkdeb one selfconf 1.0 amd64 'Provides: mta' 'Conflicts: mta'\n"
    "mkdeb one binnmu 1.0+b1 amd64 'Source: srcpkg (1.0)'\n"
    "index one stable\n"
    "sign one stable $D/gnupg inrelease\n"
    "mkdeb two c 2.0 all\n"
    "mkdeb two libc 1.5 amd64\n"
    "index two two\n"
    "sign two two $D/gnupg both\n"
    /* unsigned: Release only */
    "mkdeb plain c 3.0 all\n"
    "index plain plain\n"
    /* Release + Release.gpg, no InRelease */
    "mkdeb det c 4.0 all\n"
    "index det det\n"
    "sign det det $D/gnupg detached\n"
    /* expired */
    "mkdeb old c 5.0 all\n"
    "index old old\n"
    "sed -i '/^Date:/a Valid-Until: Sat, 01 Jan 2000 00:00:00 UTC' old/dists/old/Release\n"
    "sign old old $D/gnupg inrelease\n"
    /* tampered signed text */
    "cp -r one tampered\n"
    "sed -i 's/^Codename: stable/Codename: stablf/' tampered/dists/stable/InRelease\n"
    /* index that does not match the Release */
    "cp -r one badidx\n"
    "echo 'Package: evil' | xz > badidx/dists/stable/main/binary-amd64/Packages.xz\n";

static char *fixdir; /* the group's repositories */

static int group_setup(void **state)
{
	(void)state;
	fixdir = tu_mkdtemp();
	tu_write(fixdir, "mkrepo.sh", mkrepo_sh, sizeof(mkrepo_sh) - 1);
	if (tu_sh(fixdir, "sh mkrepo.sh >mkrepo.log 2>&1") != 0) {
		fprintf(stderr, "fixture build failed; see %s/mkrepo.log\n", fixdir);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tu_rmtree(fixdir);
	return 0;
}

/* ---- per-test fixture ---- */

#define MAXR 4

struct fx {
	char *dir;
	struct pl_cas *cas;
	struct pl_fetch *fetch;
	struct pl_settings_repo repos[MAXR];
	struct pl_apt_source src[MAXR];
	struct pl_buf keys[MAXR];
	char *urls[MAXR];
	size_t n;
	struct pl_apt_opts opts;
	struct pl_apt *apt;
	struct pl_err err;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pl_err err = PL_ERR_INIT;
	char *cas;

	f->dir = tu_mkdtemp();
	cas = tu_path(f->dir, "cas");
	if (pl_cas_open(&f->cas, cas, &err) < 0 ||
	    pl_fetch_new(&f->fetch, f->cas, NULL, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		free(cas);
		return -1;
	}
	free(cas);
	f->opts.arch = "amd64";
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pl_apt_free(f->apt);
	pl_fetch_free(f->fetch);
	pl_cas_free(f->cas);
	for (size_t i = 0; i < MAXR; i++) {
		pl_buf_release(&f->keys[i]);
		free(f->urls[i]);
	}
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/*
 * Add a repository: name, directory under the fixture, suite, keyring file
 * in the fixture (NULL: none) and whether it is trusted.
 */
static void add_repo(struct fx *f, const char *name, const char *dir, const char *suite,
		     const char *key, bool trusted)
{
	struct pl_settings_repo *r = &f->repos[f->n];
	struct pl_err err = PL_ERR_INIT;

	assert_true(f->n < MAXR);
	assert_true(asprintf(&f->urls[f->n], "file://%s/%s/", fixdir, dir) > 0);
	r->name = (char *)name;
	r->url = f->urls[f->n];
	r->suite = (char *)suite;
	r->keyring = (char *)key;
	r->trusted = trusted;
	f->src[f->n].repo = r;
	if (key) {
		char *p = tu_path(fixdir, key);
		assert_int_equal(pl_read_file(p, 0, &f->keys[f->n], &err), 0);
		free(p);
		f->src[f->n].keyring = f->keys[f->n].data;
		f->src[f->n].keyring_len = f->keys[f->n].len;
	}
	f->n++;
}

static int open_all(struct fx *f)
{
	pl_apt_free(f->apt);
	f->apt = NULL;
	pl_err_init(&f->err);
	return pl_apt_open(&f->apt, f->src, f->n, f->fetch, f->cas, &f->opts, &f->err);
}

static void open_ok(struct fx *f)
{
	int rc = open_all(f);

	if (rc < 0)
		fail_msg("pl_apt_open: %s", f->err.msg);
}

/* "name=version@repo ..." of a resolution, for compact assertions. */
static char *summary(const struct pl_apt *a, const struct pl_apt_resolution *res)
{
	struct pl_buf b = PL_BUF_INIT;

	for (size_t i = 0; i < res->n; i++)
		assert_int_equal(pl_buf_addf(&b, NULL, "%s%s=%s@%s", i ? " " : "",
					     res->pkgs[i]->name, res->pkgs[i]->version,
					     pl_apt_repo(a, res->pkgs[i]->repo)->name),
				 0);
	return b.data ? pl_buf_detach(&b, NULL) : strdup("");
}

#define ESSENTIAL 1
#define REQUIRED 2

static int resolve(struct fx *f, const char *const *req, size_t n, int flags, char **sum)
{
	struct pl_apt_resolution res;
	struct pl_apt_resolve_opts o = {0};
	int rc;

	o.essential = flags & ESSENTIAL;
	o.required = flags & REQUIRED;
	pl_err_init(&f->err);
	rc = pl_apt_resolve(f->apt, req, n, &o, &res, &f->err);
	*sum = NULL;
	if (rc == 0) {
		*sum = summary(f->apt, &res);
		pl_apt_resolution_release(&res);
	}
	return rc;
}

static void expect_resolution(struct fx *f, const char *const *req, size_t n, const char *want)
{
	char *sum = NULL;
	int rc = resolve(f, req, n, 0, &sum);

	if (rc < 0)
		fail_msg("resolve: %s", f->err.msg);
	assert_string_equal(sum, want);
	free(sum);
}

static void expect_failure(struct fx *f, const char *const *req, size_t n, const char *msg)
{
	char *sum = NULL;
	int rc = resolve(f, req, n, 0, &sum);

	if (rc == 0)
		fail_msg("resolved unexpectedly: %s", sum);
	assert_int_equal(rc, PL_EINVAL);
	if (!strstr(f->err.msg, msg))
		fail_msg("error '%s' lacks '%s'", f->err.msg, msg);
}

#define REQ(...)                                                                                   \
	((const char *const[]){__VA_ARGS__}),                                                      \
	    (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* ---- repositories ---- */

static void test_apt_good_repo_resolves(void **state)
{
	struct fx *f = *state;
	const struct pl_apt_pkg *const *v;
	size_t n;

	add_repo(f, "one", "one", "stable", "keyA.gpg", false);
	open_ok(f);
	assert_true(pl_apt_repo(f->apt, 0)->verified);
	assert_string_equal(pl_apt_repo(f->apt, 0)->release->suite, "stable");
	/* b >= 2 is the first alternative and exists: c is not needed */
	expect_resolution(f, REQ("a"), "a=1.0@one b=2.0@one libc=1.5@one");

	/* versions highest first; other architectures filtered out */
	v = pl_apt_lookup(f->apt, "b", &n);
	assert_int_equal(n, 2);
	assert_string_equal(v[0]->version, "2.0");
	assert_string_equal(v[1]->version, "1.0");
	assert_null(pl_apt_lookup(f->apt, "foreign", &n));
	assert_int_equal(n, 0);

	/* Filename, Size and SHA256 are the real .deb's */
	v = pl_apt_lookup(f->apt, "c", &n);
	assert_int_equal(n, 1);
	assert_string_equal(v[0]->arch, "all");
	char *path = tu_path(fixdir, "one/pool/main/c_1.0_all.deb");
	char digest[PL_DIGEST_SIZE];
	uint64_t size;
	assert_int_equal(pl_sha256_file(path, digest, &size, NULL), 0);
	assert_string_equal(v[0]->sha256, digest);
	assert_int_equal(v[0]->size, (int64_t)size);
	char *url = pl_apt_pkg_url(f->apt, v[0]);
	char *want;
	assert_true(asprintf(&want, "file://%s", path) > 0);
	assert_string_equal(url, want);
	free(url);
	free(want);
	free(path);

	/* binNMU: Source with a version */
	v = pl_apt_lookup(f->apt, "binnmu", &n);
	assert_int_equal(n, 1);
	assert_string_equal(v[0]->source, "srcpkg");
	assert_string_equal(v[0]->source_version, "1.0");
	v = pl_apt_lookup(f->apt, "a", &n);
	assert_string_equal(v[0]->source, "a");
	assert_string_equal(v[0]->source_version, "1.0");
}

static void test_apt_armoured_key_and_detached_signature(void **state)
{
	struct fx *f = *state;

	add_repo(f, "one", "one", "stable", "keyA.asc", false);
	add_repo(f, "det", "det", "det", "keyA.asc", false);
	open_ok(f);
	assert_true(pl_apt_repo(f->apt, 0)->verified);
	assert_true(pl_apt_repo(f->apt, 1)->verified);
	/* det's c 4.0 outranks one's 1.0 */
	expect_resolution(f, REQ("c"), "c=4.0@det");
}

static void test_apt_wrong_key_refused(void **state)
{
	struct fx *f = *state;

	add_repo(f, "one", "one", "stable", "keyB.gpg", false);
	assert_int_equal(open_all(f), PL_EVERIFY);
	assert_non_null(strstr(f->err.msg,
			       "repository 'one': InRelease signature does not verify with "
			       "keyB.gpg: NO_PUBKEY"));
	assert_null(f->apt);
}

static void test_apt_wrong_key_detached_refused(void **state)
{
	struct fx *f = *state;

	add_repo(f, "det", "det", "det", "keyB.gpg", false);
	assert_int_equal(open_all(f), PL_EVERIFY);
	assert_non_null(strstr(f->err.msg, "Release signature does not verify with keyB.gpg"));
}

static void test_apt_tampered_inrelease_refused(void **state)
{
	struct fx *f = *state;

	add_repo(f, "tampered", "tampered", "stable", "keyA.gpg", false);
	assert_int_equal(open_all(f), PL_EVERIFY);
	assert_non_null(strstr(f->err.msg, "InRelease signature does not verify"));
	assert_non_null(strstr(f->err.msg, "BADSIG"));
}

static void test_apt_index_hash_mismatch_refused(void **state)
{
	struct fx *f = *state;

	add_repo(f, "badidx", "badidx", "stable", "keyA.gpg", false);
	assert_int_equal(open_all(f), PL_EVERIFY);
	if (!strstr(f->err.msg, "main/binary-amd64/Packages.xz"))
		fail_msg("error does not name the index: %s", f->err.msg);
}

static void test_apt_unsigned_repo(void **state)
{
	struct fx *f = *state;

	/* unsigned and not trusted: refused */
	add_repo(f, "plain", "plain", "plain", "keyA.gpg", false);
	assert_int_equal(open_all(f), PL_EVERIFY);
	if (!strstr(f->err.msg, "unsigned"))
		fail_msg("%s", f->err.msg);
	/* trusted: accepted without a keyring */
	f->repos[0].trusted = true;
	f->src[0].keyring = NULL;
	open_ok(f);
	assert_false(pl_apt_repo(f->apt, 0)->verified);
	expect_resolution(f, REQ("c"), "c=3.0@plain");
}

static void test_apt_missing_keyring_refused(void **state)
{
	struct fx *f = *state;

	add_repo(f, "one", "one", "stable", NULL, false);
	assert_int_equal(open_all(f), PL_EVERIFY);
	assert_non_null(strstr(f->err.msg, "no keyring"));
}

static void test_apt_expired_release(void **state)
{
	struct fx *f = *state;

	add_repo(f, "old", "old", "old", "keyA.gpg", false);
	assert_int_equal(open_all(f), PL_EVERIFY);
	assert_non_null(strstr(f->err.msg, "expired"));
	assert_non_null(strstr(f->err.msg, "01 Jan 2000"));
	f->opts.allow_expired = true;
	open_ok(f);
	assert_int_equal(pl_apt_repo(f->apt, 0)->release->valid_until, 946684800);
	/* a clock before Valid-Until accepts it too */
	f->opts.allow_expired = false;
	f->opts.now = 946684000;
	open_ok(f);
}

static void test_apt_wrong_suite_refused(void **state)
{
	struct fx *f = *state;

	add_repo(f, "one", "one", "stable", "keyA.gpg", false);
	/* same files served for another suite name: the Release says "stable" */
	assert_int_equal(tu_sh(fixdir, "mkdir -p one/dists && ln -sfn stable one/dists/other"), 0);
	f->repos[0].suite = "other";
	assert_int_equal(open_all(f), PL_EVERIFY);
	assert_non_null(strstr(f->err.msg, "not 'other'"));
	assert_int_equal(tu_sh(fixdir, "rm one/dists/other"), 0);
}

static void test_apt_offline_uses_cached_inrelease(void **state)
{
	struct fx *f = *state;
	struct pl_fetch_opts fo = {0};
	struct pl_err err = PL_ERR_INIT;
	char *cache = tu_path(f->dir, "cache");

	add_repo(f, "one", "one", "stable", "keyA.gpg", false);
	f->opts.cache_dir = cache;
	/* offline before anything was cached */
	f->opts.offline = true;
	assert_int_equal(open_all(f), PL_ENOTFOUND);
	assert_non_null(strstr(f->err.msg, "run once online"));
	/* online: caches the InRelease */
	f->opts.offline = false;
	open_ok(f);
	/* offline with an offline fetch: nothing is downloaded */
	pl_fetch_free(f->fetch);
	fo.offline = true;
	assert_int_equal(pl_fetch_new(&f->fetch, f->cas, &fo, &err), 0);
	f->opts.offline = true;
	open_ok(f);
	uint64_t downloads = 1, bytes = 1;
	pl_fetch_stats(f->fetch, &downloads, &bytes);
	assert_int_equal(downloads, 0);
	assert_int_equal(bytes, 0);
	expect_resolution(f, REQ("a"), "a=1.0@one b=2.0@one libc=1.5@one");
	/* the cached copy is re-verified: a wrong key fails offline too */
	char *key = tu_path(fixdir, "keyB.gpg");
	pl_buf_reset(&f->keys[0]);
	assert_int_equal(pl_read_file(key, 0, &f->keys[0], NULL), 0);
	f->src[0].keyring = f->keys[0].data;
	f->src[0].keyring_len = f->keys[0].len;
	assert_int_equal(open_all(f), PL_EVERIFY);
	free(key);
	free(cache);
}

/* ---- resolver ---- */

static void test_apt_highest_version_and_repo_order(void **state)
{
	struct fx *f = *state;

	add_repo(f, "one", "one", "stable", "keyA.gpg", false);
	add_repo(f, "two", "two", "two", "keyA.gpg", false);
	open_ok(f);
	/* c 2.0 (two) beats 1.0 (one); libc 1.5 in both: the earlier repository */
	expect_resolution(f, REQ("c", "libc"), "c=2.0@two libc=1.5@one");
	/* a pin picks the lower version */
	expect_resolution(f, REQ("c=1.0"), "c=1.0@one");
	expect_resolution(f, REQ("c (<< 2)"), "c=1.0@one");

	/* the other order: libc now comes from two */
	struct pl_settings_repo r0 = f->repos[0];
	f->repos[0] = f->repos[1];
	f->repos[1] = r0;
	struct pl_apt_source s0 = f->src[0];
	f->src[0] = f->src[1];
	f->src[1] = s0;
	f->src[0].repo = &f->repos[0];
	f->src[1].repo = &f->repos[1];
	open_ok(f);
	expect_resolution(f, REQ("c", "libc"), "c=2.0@two libc=1.5@two");
}

static void test_apt_alternatives(void **state)
{
	struct fx *f = *state;

	add_repo(f, "one", "one", "stable", "keyA.gpg", false);
	open_ok(f);
	/* the first alternative does not exist: the second */
	expect_resolution(f, REQ("alt"), "alt=1.0@one c=1.0@one");
	/* an alternative already chosen is preferred over the first one */
	expect_resolution(f, REQ("c", "a"), "a=1.0@one c=1.0@one");
	/* b (>= 2) | c with b pinned to 1.0: falls to c */
	expect_resolution(f, REQ("b=1.0", "a"), "a=1.0@one b=1.0@one c=1.0@one");
	/* a request may itself hold alternatives */
	expect_resolution(f, REQ("nosuch | y"), "y=1.0@one");
}

static void test_apt_provides(void **state)
{
	struct fx *f = *state;

	add_repo(f, "one", "one", "stable", "keyA.gpg", false);
	open_ok(f);
	/* v is provided by both b versions: the highest */
	expect_resolution(f, REQ("needsv"), "b=2.0@one libc=1.5@one needsv=1.0@one");
	/* a chosen provider satisfies later dependencies */
	expect_resolution(f, REQ("b=1.0", "needsv"), "b=1.0@one needsv=1.0@one");
	/* versioned provides */
	expect_resolution(f, REQ("needsvv"), "needsvv=1.0@one p3=1.0@one");
	expect_failure(f, REQ("needsvv4"),
		       "cannot install 'needsvv4': needsvv4 depends on 'vv (>= 4)'; 'vv' is a "
		       "virtual package and no provider offers a matching version");
	/* conflicting with a name one provides oneself is fine */
	expect_resolution(f, REQ("selfconf"), "selfconf=1.0@one");
}

static void test_apt_versioned_constraints(void **state)
{
	struct fx *f = *state;

	add_repo(f, "one", "one", "stable", "keyA.gpg", false);
	open_ok(f);
	expect_resolution(f, REQ("b (>= 1.5)"), "b=2.0@one libc=1.5@one");
	expect_resolution(f, REQ("b (<< 1.5)"), "b=1.0@one");
	expect_resolution(f, REQ("pre"), "libc=1.5@one pre=1.0@one");
	expect_failure(f, REQ("b (>= 3)"),
		       "cannot install 'b (>= 3)': repository 'one' has only 2.0, 1.0");
	expect_failure(f, REQ("b=1.0", "b (>= 2)"), "b 1.0 is already chosen");
	expect_failure(f, REQ("nosuch"), "no repository has a package named 'nosuch'");
}

static void test_apt_unsatisfiable_chain(void **state)
{
	struct fx *f = *state;

	add_repo(f, "one", "one", "stable", "keyA.gpg", false);
	open_ok(f);
	expect_failure(f, REQ("deep"),
		       "cannot install 'deep': deep depends on 'mid', which needs "
		       "'libc (>= 9.0)'; repository 'one' has only 1.5");
	expect_failure(f, REQ("usesnotma"), "'c' is not Multi-Arch: allowed");
	expect_resolution(f, REQ("usesma"), "ma=1.0@one usesma=1.0@one");
}

static void test_apt_conflicts(void **state)
{
	struct fx *f = *state;

	add_repo(f, "one", "one", "stable", "keyA.gpg", false);
	open_ok(f);
	expect_failure(f, REQ("wantxy"), "x 1.0 conflicts with 'y' (y 1.0)");
	expect_failure(f, REQ("wantxy"), "cannot install 'wantxy': wantxy depends on");
	/* either order of choosing */
	expect_failure(f, REQ("y", "x"), "conflicts with 'y'");
}

static void test_apt_essential_option(void **state)
{
	struct fx *f = *state;
	char *sum = NULL;

	add_repo(f, "one", "one", "stable", "keyA.gpg", false);
	open_ok(f);
	expect_resolution(f, REQ("c"), "c=1.0@one");
	assert_int_equal(resolve(f, REQ("c"), ESSENTIAL, &sum), 0);
	assert_string_equal(sum, "c=1.0@one ess=1.0@one");
	free(sum);
	/* libc and ess are Priority: required */
	assert_int_equal(resolve(f, REQ("c"), REQUIRED, &sum), 0);
	assert_string_equal(sum, "c=1.0@one ess=1.0@one libc=1.5@one");
	free(sum);
}

/* ---- lock ---- */

static struct pl_apt_lock *lock_of(struct fx *f, const char *const *req, size_t n)
{
	struct pl_apt_resolution res;
	struct pl_apt_lock *l = NULL;

	assert_int_equal(pl_apt_resolve(f->apt, req, n, NULL, &res, &f->err), 0);
	assert_int_equal(pl_apt_lock_from(f->apt, &res, &l, &f->err), 0);
	pl_apt_resolution_release(&res);
	return l;
}

static void test_apt_lock_round_trip(void **state)
{
	struct fx *f = *state;
	struct pl_buf b1 = PL_BUF_INIT, b2 = PL_BUF_INIT;
	struct pl_apt_lock *l, *l2 = NULL;
	struct pl_fetch_item *items = NULL;
	size_t n;

	add_repo(f, "one", "one", "stable", "keyA.gpg", false);
	add_repo(f, "two", "two", "two", "keyA.gpg", false);
	add_repo(f, "det", "det", "det", "keyA.gpg", false);
	open_ok(f);
	l = lock_of(f, REQ("a", "needsvv", "binnmu"));
	assert_int_equal(l->npkgs, 6);
	/* only repositories that contributed: det (c 4.0) is unused because b wins */
	assert_int_equal(l->nrepos, 1);
	assert_string_equal(l->repos[0].name, "one");
	assert_string_equal(l->repos[0].release_sha256, pl_apt_repo(f->apt, 0)->release_sha256);
	assert_int_equal(pl_apt_lock_write(l, &b1, &f->err), 0);
	assert_non_null(strstr(b1.data, "\"version\": 1"));
	assert_non_null(strstr(b1.data, "\"source\": \"srcpkg\""));
	assert_non_null(strstr(b1.data, "\"depends\": \"b (>= 2) | c\""));
	assert_int_equal(pl_apt_lock_parse(b1.data, b1.len, "x.lock.json", &l2, &f->err), 0);
	assert_int_equal(pl_apt_lock_write(l2, &b2, &f->err), 0);
	assert_string_equal(b1.data, b2.data);
	assert_int_equal(l2->npkgs, 6);
	assert_string_equal(l2->pkgs[0].name, "a");
	assert_string_equal(l2->pkgs[0].sha256, l->pkgs[0].sha256);

	/* the downloads, fetched and verified for real */
	assert_int_equal(pl_apt_lock_items(l2, &items, &n, &f->err), 0);
	assert_int_equal(n, 6);
	assert_int_equal(pl_fetch_batch(f->fetch, items, n, &f->err), 0);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(items[i].digest, l2->pkgs[i].sha256);
	free(items);

	assert_int_equal(pl_apt_lock_check(l2, REQ("a", "needsvv"), "amd64", &f->err), 0);
	assert_int_equal(pl_apt_lock_check(l2, REQ("vv (>= 3)", "b (>= 2)"), "amd64", &f->err), 0);
	pl_apt_lock_free(l);
	pl_apt_lock_free(l2);
	pl_buf_release(&b1);
	pl_buf_release(&b2);
}

static void test_apt_lock_check_failures(void **state)
{
	struct fx *f = *state;
	struct pl_apt_lock *l;

	add_repo(f, "one", "one", "stable", "keyA.gpg", false);
	open_ok(f);
	l = lock_of(f, REQ("a"));
	pl_err_init(&f->err);
	assert_int_equal(pl_apt_lock_check(l, REQ("a", "curl"), "amd64", &f->err), PL_EINVAL);
	assert_string_equal(f->err.msg, "lock has no package for 'curl'; run plinth lock");
	pl_err_init(&f->err);
	assert_int_equal(pl_apt_lock_check(l, REQ("b (>= 3)"), "amd64", &f->err), PL_EINVAL);
	assert_string_equal(f->err.msg,
			    "lock has no package for 'b (>= 3)' (the lock has b 2.0); run plinth "
			    "lock");
	pl_err_init(&f->err);
	assert_int_equal(pl_apt_lock_check(l, REQ("a"), "arm64", &f->err), PL_EINVAL);
	assert_non_null(strstr(f->err.msg, "architecture 'amd64', not 'arm64'"));
	/* drop libc: b's dependency is no longer satisfied */
	assert_string_equal(l->pkgs[2].name, "libc");
	l->npkgs = 2;
	pl_err_init(&f->err);
	assert_int_equal(pl_apt_lock_check(l, REQ("a"), "amd64", &f->err), PL_EINVAL);
	assert_string_equal(f->err.msg, "lock: b 2.0 depends on 'libc (>= 1)', which the lock "
					"does not satisfy; run plinth lock");
	l->npkgs = 3;
	pl_apt_lock_free(l);
}

static const char lock_good[] =
    "{\"version\": 1, \"architecture\": \"amd64\", \"requested\": [\"a\"],\n"
    " \"repositories\": {\"one\": {\"url\": \"file:///r\", \"suite\": \"stable\",\n"
    "   \"release_sha256\": "
    "\"0000000000000000000000000000000000000000000000000000000000000000\"}},\n"
    " \"packages\": [{\"name\": \"a\", \"version\": \"1.0\", \"architecture\": \"amd64\",\n"
    "   \"repository\": \"one\", \"url\": \"file:///r/pool/a.deb\", \"filename\": "
    "\"pool/a.deb\",\n"
    "   \"size\": %s, \"sha256\": "
    "\"%s\",\n"
    "   \"source\": \"a\", \"source_version\": \"1.0\", \"depends\": \"%s\", "
    "\"pre_depends\": \"\", \"provides\": \"\"%s}]}\n";

static int parse_lock_variant(const char *size, const char *sha, const char *depends,
			      const char *extra, struct pl_err *err)
{
	struct pl_apt_lock *l = NULL;
	char *s;
	int rc;

	assert_true(asprintf(&s, lock_good, size, sha, depends, extra) > 0);
	pl_err_init(err);
	rc = pl_apt_lock_parse(s, strlen(s), "recipes/x.lock.json", &l, err);
	pl_apt_lock_free(l);
	free(s);
	return rc;
}

static void test_apt_lock_parse_strict(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	const char *good = "1111111111111111111111111111111111111111111111111111111111111111";

	(void)state;
	assert_int_equal(parse_lock_variant("10", good, "", "", &err), 0);
	assert_int_equal(parse_lock_variant("10", "abc", "", "", &err), PL_EINVAL);
	assert_string_equal(err.msg, "recipes/x.lock.json: packages[0].sha256: not a sha256");
	assert_int_equal(parse_lock_variant("10", good, "", ", \"extra\": 1", &err), PL_EINVAL);
	assert_string_equal(err.msg, "recipes/x.lock.json: packages[0]: unknown key 'extra'");
	assert_int_equal(parse_lock_variant("-1", good, "", "", &err), PL_EINVAL);
	assert_string_equal(err.msg,
			    "recipes/x.lock.json: packages[0].size: not a non-negative integer");
	assert_int_equal(parse_lock_variant("\"10\"", good, "", "", &err), PL_EINVAL);
	assert_int_equal(parse_lock_variant("10", good, "a (>", "", &err), PL_EINVAL);
	assert_string_equal(err.msg, "recipes/x.lock.json: packages[0].depends: empty version in "
				     "'a (>'");

	struct pl_apt_lock *l = NULL;
	pl_err_init(&err);
	const char *v2 = "{\"version\": 2}";
	assert_int_equal(pl_apt_lock_parse(v2, strlen(v2), "l.json", &l, &err), PL_EINVAL);
	if (!strstr(err.msg, "l.json: version: unsupported"))
		fail_msg("%s", err.msg);
	pl_err_init(&err);
	assert_int_equal(pl_apt_lock_parse("[", 1, "l.json", &l, &err), PL_EINVAL);
	assert_null(l);
}

/* ---- Release and clearsigned text ---- */

static void test_apt_clearsigned_split(void **state)
{
	struct pl_buf b = PL_BUF_INIT;
	struct pl_err err = PL_ERR_INIT;
	const char *msg = "-----BEGIN PGP SIGNED MESSAGE-----\n"
			  "Hash: SHA512\n"
			  "\n"
			  "Suite: x\n"
			  "- -dash line\n"
			  "-----BEGIN PGP SIGNATURE-----\n"
			  "\n"
			  "AAAA\n"
			  "-----END PGP SIGNATURE-----\n";
	char *s;

	(void)state;
	assert_int_equal(pl_apt_clearsigned_text(msg, strlen(msg), "t", &b, &err), 0);
	assert_string_equal(b.data, "Suite: x\n-dash line\n");
	pl_buf_reset(&b);
	/* text outside the signature is refused */
	assert_true(asprintf(&s, "%sSuite: evil\n", msg) > 0);
	assert_int_equal(pl_apt_clearsigned_text(s, strlen(s), "t", &b, &err), PL_EVERIFY);
	assert_non_null(strstr(err.msg, "after the signature"));
	free(s);
	assert_true(asprintf(&s, "Suite: evil\n%s", msg) > 0);
	pl_err_init(&err);
	assert_int_equal(pl_apt_clearsigned_text(s, strlen(s), "t", &b, &err), PL_EVERIFY);
	free(s);
	pl_err_init(&err);
	assert_int_equal(pl_apt_clearsigned_text("Suite: x\n", 9, "t", &b, &err), PL_EVERIFY);
	assert_int_equal(b.len, 0);
	pl_buf_release(&b);
}

static void test_apt_release_parse(void **state)
{
	struct pl_apt_release *r = NULL;
	struct pl_err err = PL_ERR_INIT;
	const char *rel =
	    "Suite: stable\n"
	    "Codename: bookworm\n"
	    "Date: Sat, 10 Jun 2023 08:57:55 UTC\n"
	    "Valid-Until: Sat, 17 Jun 2023 08:57:55 +0200\n"
	    "Architectures: all amd64 arm64\n"
	    "Components: main contrib\n"
	    "Acquire-By-Hash: yes\n"
	    "SHA256:\n"
	    " 3957f28db16e3f28c7b34ae84f1c929c567de6970f3f1b95dac9b498dd80fe63   738242 "
	    "contrib/Contents-all\n"
	    " 0000000000000000000000000000000000000000000000000000000000000001 12 "
	    "main/binary-amd64/Packages.xz\n";
	const struct pl_apt_release_file *pf;

	(void)state;
	assert_int_equal(pl_apt_release_parse(rel, strlen(rel), "Release", &r, &err), 0);
	assert_string_equal(r->suite, "stable");
	assert_string_equal(r->codename, "bookworm");
	assert_int_equal(r->date, 1686387475);
	assert_int_equal(r->valid_until, 1686387475 + 7 * 86400 - 7200);
	assert_int_equal(r->narchs, 3);
	assert_string_equal(r->archs[2], "arm64");
	assert_int_equal(r->ncomponents, 2);
	assert_true(r->by_hash);
	assert_int_equal(r->nfiles, 2);
	pf = pl_apt_release_find(r, "main/binary-amd64/Packages.xz");
	assert_non_null(pf);
	assert_int_equal(pf->size, 12);
	assert_string_equal(
	    pf->sha256, "sha256:0000000000000000000000000000000000000000000000000000000000000001");
	pl_apt_release_free(r);

	const char *badpath = "SHA256:\n"
			      " 0000000000000000000000000000000000000000000000000000000000000001 "
			      "12 ../etc/passwd\n";
	assert_int_equal(pl_apt_release_parse(badpath, strlen(badpath), "Release", &r, &err),
			 PL_EINVAL);
	assert_non_null(strstr(err.msg, "unsafe path"));
	pl_err_init(&err);
	const char *baddate = "Date: yesterday\n";
	assert_int_equal(pl_apt_release_parse(baddate, strlen(baddate), "Release", &r, &err),
			 PL_EINVAL);
}

/* ---- real Debian ---- */

static bool debian_reachable(void)
{
	CURL *c = curl_easy_init();
	long code = 0;
	CURLcode rc;

	if (!c)
		return false;
	curl_easy_setopt(c, CURLOPT_URL, "http://deb.debian.org/debian/dists/bookworm/InRelease");
	curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	return rc == CURLE_OK && code == 200;
}

static void test_apt_debian_bookworm(void **state)
{
	struct fx *f = *state;
	const char *keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
	struct pl_apt_lock *l;
	bool busybox = false, base_files = false;

	if (access(keyring, R_OK) != 0) {
		fprintf(stderr, "skipped: %s is missing (install debian-archive-keyring)\n",
			keyring);
		skip();
	}
	if (!debian_reachable()) {
		fprintf(stderr, "skipped: http://deb.debian.org is not reachable (no network)\n");
		skip();
	}
	add_repo(f, "bookworm", "x", "bookworm", NULL, false);
	f->repos[0].url = "http://deb.debian.org/debian";
	f->repos[0].keyring = "debian-archive-keyring.gpg";
	assert_int_equal(pl_read_file(keyring, 0, &f->keys[0], NULL), 0);
	f->src[0].keyring = f->keys[0].data;
	f->src[0].keyring_len = f->keys[0].len;
	open_ok(f);
	assert_true(pl_apt_repo(f->apt, 0)->verified);
	assert_true(pl_apt_repo(f->apt, 0)->npkgs > 50000);
	l = lock_of(f, REQ("busybox", "base-files"));
	for (size_t i = 0; i < l->npkgs; i++) {
		busybox = busybox || !strcmp(l->pkgs[i].name, "busybox");
		base_files = base_files || !strcmp(l->pkgs[i].name, "base-files");
		assert_non_null(strstr(l->pkgs[i].url, "http://deb.debian.org/debian/pool/main/"));
	}
	assert_true(busybox && base_files);
	assert_int_equal(pl_apt_lock_check(l, REQ("busybox", "base-files"), "amd64", &f->err), 0);
	pl_apt_lock_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_apt_clearsigned_split),
	    cmocka_unit_test(test_apt_release_parse),
	    cmocka_unit_test(test_apt_lock_parse_strict),
	    cmocka_unit_test_setup_teardown(test_apt_good_repo_resolves, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_armoured_key_and_detached_signature, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_apt_wrong_key_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_wrong_key_detached_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_tampered_inrelease_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_index_hash_mismatch_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_unsigned_repo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_missing_keyring_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_expired_release, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_wrong_suite_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_offline_uses_cached_inrelease, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_apt_highest_version_and_repo_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_apt_alternatives, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_provides, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_versioned_constraints, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_unsatisfiable_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_conflicts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_essential_option, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_lock_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_lock_check_failures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apt_debian_bookworm, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
