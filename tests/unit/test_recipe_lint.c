/* Recipe lint: every cross-field problem reported, in document order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/recipe.h"

/* Lint yaml and compare the problems with want (NULL-terminated). */
static void lint_expect(const char *yaml, const struct pl_recipe_lint_opts *opts,
			const char *const *want)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_lint l;
	size_t n = 0;
	int rc;

	while (want[n])
		n++;
	pl_lint_init(&l);
	rc = pl_recipe_lint_data(yaml, strlen(yaml), "recipes/t.yaml", opts, &l, &err);
	if (rc != (int)n)
		for (size_t i = 0; i < l.n; i++)
			printf("  lint: %s\n", l.msgs[i]);
	assert_int_equal(rc, (int)n);
	assert_int_equal(l.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(l.msgs[i], want[i]);
	pl_lint_release(&l);
}

static void test_recipe_lint_clean(void **state)
{
	static const char *const none[] = {NULL};

	(void)state;
	lint_expect("name: t\n"
		    "sources: [main]\n"
		    "packages: [libc6, \"busybox:amd64\", tzdata=2024a-0+deb12u1]\n"
		    "files: [{path: /etc/motd, content: hi}]\n"
		    "directories: [{path: /}]\n"
		    "accounts:\n"
		    "  users: [{name: app, uid: 100}, {name: root, uid: 0}]\n"
		    "config: {user: \"app:app\", workdir: /, volumes: [/data]}\n",
		    NULL, none);
}

static void test_recipe_lint_paths(void **state)
{
	static const char *const want[] = {
	    "recipes/t.yaml:3:12: file path 'etc/motd' must be absolute (start with '/')",
	    "recipes/t.yaml:4:12: file path '/etc/../shadow' must be normalised (no '.' or '..' "
	    "components)",
	    "recipes/t.yaml:4:36: file source '/abs/file' must be relative to the curation repo "
	    "(no leading '/')",
	    "recipes/t.yaml:5:22: directory path '/srv/' must not end with '/'",
	    "recipes/t.yaml:6:19: symlink path '/a//b' has an empty component ('//')",
	    "recipes/t.yaml:7:21: tarball source 'x/../../y.tar' must be normalised (no '.' or "
	    "'..' components)",
	    "recipes/t.yaml:7:125: tarball destination 'opt' must be absolute (start with '/')",
	    NULL,
	};

	(void)state;
	lint_expect("name: t\n"
		    "files:\n"
		    "  - {path: etc/motd, content: x}\n"
		    "  - {path: /etc/../shadow, source: /abs/file}\n"
		    "directories: [{path: /srv/}]\n"
		    "symlinks: [{path: /a//b, target: x}]\n"
		    "tarballs: [{source: x/../../y.tar, sha256: "
		    "\"0000000000000000000000000000000000000000000000000000000000000000\", "
		    "destination: opt}]\n",
		    NULL, want);
}

static void test_recipe_lint_duplicates(void **state)
{
	static const char *const want2[] = {
	    "recipes/t.yaml:2:11: duplicate tag 'a' (first at 2:8)",
	    "recipes/t.yaml:2:14: tag '-bad' is not a valid OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]*, "
	    "at most 128)",
	    "recipes/t.yaml:6:23: path '/x' is already declared in this layer (file at 5:20)",
	    "recipes/t.yaml:7:5: duplicate layer name 'l' (first at 4:5)",
	    "recipes/t.yaml:8:42: path '/x' is already declared in this layer (symlink at 8:19)",
	    "recipes/t.yaml:9:30: duplicate port 80/tcp (first at 9:26)",
	    NULL,
	};

	(void)state;
	lint_expect("name: t\n"
		    "tags: [a, a, \"-bad\"]\n"
		    "layers:\n"
		    "  - name: l\n"
		    "    files: [{path: /x, content: a}]\n"
		    "    symlinks: [{path: /x, target: y}]\n"
		    "  - {name: l, directories: [{path: /y}]}\n"
		    "symlinks: [{path: /x, target: a}, {path: /x, target: b}]\n"
		    "config: {exposed_ports: [80, \"80/tcp\", \"80/udp\"]}\n",
		    NULL, want2);
}

static void test_recipe_lint_accounts(void **state)
{
	static const char *const want[] = {
	    "recipes/t.yaml:3:32: duplicate group name 'g' (first at 3:12)",
	    "recipes/t.yaml:3:32: duplicate gid 10 (group 'g' at 3:12)",
	    "recipes/t.yaml:6:7: duplicate uid 100 (user 'a' at 5:7)",
	    "recipes/t.yaml:8:7: user name 'Bad' is not valid (lowercase letters, digits, '_', "
	    "'-', at most 32)",
	    "recipes/t.yaml:9:7: user 'g' gets a personal group with gid 300, but group 'g' (at "
	    "3:12) has gid 10",
	    "recipes/t.yaml:10:7: home 'rel' must be absolute (start with '/')",
	    NULL,
	};

	(void)state;
	lint_expect("name: t\n"
		    "accounts:\n"
		    "  groups: [{name: g, gid: 10}, {name: g, gid: 10}]\n"
		    "  users:\n"
		    "    - {name: a, uid: 100, gid: 10}\n"
		    "    - {name: b, uid: 100}\n"
		    "    - {name: c, uid: 200, gid: 7}\n"
		    "    - {name: Bad, uid: 201}\n"
		    "    - {name: g, uid: 300}\n"
		    "    - {name: h, uid: 301, home: rel}\n",
		    NULL, want);
}

static void test_recipe_lint_context(void **state)
{
	static const char *const want[] = {
	    "recipes/t.yaml:1:7: recipe name 'other' does not match its file name "
	    "'recipes/t.yaml' (expected recipes/other.yaml)",
	    "recipes/t.yaml:2:21: source 'nope' is not a repository in plinth.yaml",
	    "recipes/t.yaml:3:12: package 'Bad Name' is not a Debian package name (optionally "
	    "with :arch or =version)",
	    "recipes/t.yaml:4:17: patch 'PL-9' does not exist (no patches/PL-9.yaml)",
	    NULL,
	};
	const char *settings_yaml = "repositories:\n"
				    "  bookworm: {url: \"https://deb.debian.org/debian\", suite: "
				    "bookworm, keyring: keys/debian.gpg}\n";
	const char *const ids[] = {"PL-1"};
	struct pl_recipe_lint_opts o = {"recipes/t.yaml", NULL, ids, 1};
	struct pl_err err = PL_ERR_INIT;
	struct pl_settings *s = NULL;

	(void)state;
	assert_int_equal(
	    pl_settings_parse(settings_yaml, strlen(settings_yaml), "plinth.yaml", &s, &err), 0);
	o.settings = s;
	lint_expect("name: other\n"
		    "sources: [bookworm, nope]\n"
		    "packages: [\"Bad Name\"]\n"
		    "patches: [PL-1, PL-9]\n",
		    &o, want);
	pl_settings_free(s);
}

static void test_recipe_lint_parse_error_is_one_problem(void **state)
{
	static const char *const want[] = {
	    "recipes/t.yaml:2:1: unknown key 'tag' in recipe; did you mean 'tags'?",
	    NULL,
	};

	(void)state;
	lint_expect("name: t\ntag: [x]\n", NULL, want);
}

static void test_recipe_lint_config(void **state)
{
	static const char *const want[] = {
	    "recipes/t.yaml:3:9: config user 'a b' is not 'user', 'uid', 'user:group' or "
	    "'uid:gid'",
	    "recipes/t.yaml:4:12: workdir 'srv' must be absolute (start with '/')",
	    "recipes/t.yaml:5:9: env name 'A=B' must not contain '='",
	    "recipes/t.yaml:6:17: duplicate volume '/v' (first at 6:13)",
	    "recipes/t.yaml:7:11: 'packages' needs 'sources' (repository names from plinth.yaml)",
	    NULL,
	};

	(void)state;
	lint_expect("name: t\n"
		    "config:\n"
		    "  user: a b\n"
		    "  workdir: srv\n"
		    "  env: {A=B: x}\n"
		    "  volumes: [/v, /v]\n"
		    "packages: [libc6]\n",
		    NULL, want);
}

static void test_recipe_load_refuses_lint_problems(void **state)
{
	const char *yaml = "name: t\nfiles: [{path: a, content: x}, {path: b, content: y}]\n";
	struct pl_err err = PL_ERR_INIT;
	struct pl_recipe *r = NULL;

	(void)state;
	assert_int_equal(pl_recipe_load(yaml, strlen(yaml), "recipes/t.yaml", NULL, &r, &err),
			 PL_EINVAL);
	assert_null(r);
	assert_string_equal(err.msg, "recipes/t.yaml:2:16: file path 'a' must be absolute (start "
				     "with '/') (and 1 more problems; run plinth lint)");
	yaml = "name: t\nfiles: [{path: /a, content: x}]\n";
	pl_err_init(&err);
	assert_int_equal(pl_recipe_load(yaml, strlen(yaml), "recipes/t.yaml", NULL, &r, &err), 0);
	assert_non_null(r);
	pl_recipe_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_recipe_lint_clean),
	    cmocka_unit_test(test_recipe_lint_paths),
	    cmocka_unit_test(test_recipe_lint_duplicates),
	    cmocka_unit_test(test_recipe_lint_accounts),
	    cmocka_unit_test(test_recipe_lint_context),
	    cmocka_unit_test(test_recipe_lint_parse_error_is_one_problem),
	    cmocka_unit_test(test_recipe_lint_config),
	    cmocka_unit_test(test_recipe_load_refuses_lint_problems),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
