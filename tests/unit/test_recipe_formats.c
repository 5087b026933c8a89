/* plinth.yaml settings and patches/<id>.yaml patch definitions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/recipe.h"

static const char *SETTINGS =
    "registry: registry.internal:5000/base\n"
    "output: out/layout\n"
    "compression: zstd\n"
    "repositories:\n"
    "  bookworm:\n"
    "    url: https://deb.debian.org/debian\n"
    "    suite: bookworm\n"
    "    components: [main, contrib]\n"
    "    architectures: [amd64, arm64]\n"
    "    keyring: keys/debian-archive-bookworm.gpg\n"
    "  local:\n"
    "    url: file:///srv/mirror\n"
    "    suite: stable\n"
    "    trusted: true\n"
    "policy: {fail_on: medium}\n"
    "vulndb:\n"
    "  path: cache/vuln.db\n"
    "  feeds:\n"
    "    - {kind: osv, url: "
    "\"https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip\"}\n"
    "    - {kind: debian, url: feeds/tracker.json}\n"
    "signing: {key: keys/signer.key}\n"
    "ledger: {path: var/ledger.db}\n"
    "patches: {order: [PL-2026-0002, PL-2026-0001], exclude: [PL-2025-0007]}\n";

static void test_recipe_settings_full(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_settings *s = NULL;
	const struct pl_settings_repo *r;
	struct pl_lint l;

	(void)state;
	assert_int_equal(pl_settings_parse(SETTINGS, strlen(SETTINGS), "plinth.yaml", &s, &err), 0);
	assert_string_equal(s->registry, "registry.internal:5000/base");
	assert_string_equal(s->output, "out/layout");
	assert_int_equal(s->compression, PL_SETTINGS_ZSTD);
	assert_int_equal(s->nrepos, 2);
	r = pl_settings_repo(s, "bookworm");
	assert_ptr_equal(r, &s->repos[0]);
	assert_string_equal(r->url, "https://deb.debian.org/debian");
	assert_string_equal(r->suite, "bookworm");
	assert_int_equal(r->components.n, 2);
	assert_string_equal(r->components.v[1], "contrib");
	assert_int_equal(r->architectures.n, 2);
	assert_string_equal(r->keyring, "keys/debian-archive-bookworm.gpg");
	assert_false(r->trusted);
	assert_int_equal(r->mark.line, 5);
	assert_int_equal(r->mark.col, 3);
	r = pl_settings_repo(s, "local");
	assert_non_null(r);
	assert_true(r->trusted);
	assert_int_equal(r->components.n, 1);
	assert_string_equal(r->components.v[0], "main");
	assert_null(pl_settings_repo(s, "nope"));
	assert_int_equal(s->policy.fail_on, PL_RECIPE_SEV_MEDIUM);
	assert_string_equal(s->vulndb.path, "cache/vuln.db");
	assert_int_equal(s->vulndb.nfeeds, 2);
	assert_string_equal(s->vulndb.feeds[1].kind, "debian");
	assert_string_equal(s->vulndb.feeds[1].url, "feeds/tracker.json");
	assert_string_equal(s->signing.key, "keys/signer.key");
	assert_string_equal(s->ledger.path, "var/ledger.db");
	assert_int_equal(s->patches.order.n, 2);
	assert_string_equal(s->patches.order.v[0], "PL-2026-0002");
	assert_string_equal(s->patches.exclude.v[0], "PL-2025-0007");
	pl_lint_init(&l);
	assert_int_equal(pl_settings_lint(s, &l, &err), 0);
	pl_lint_release(&l);
	pl_settings_free(s);

	assert_int_equal(pl_settings_parse("", 0, "plinth.yaml", &s, &err), PL_EINVAL);
	pl_err_init(&err);
	assert_int_equal(pl_settings_parse("{}", 2, "plinth.yaml", &s, &err), 0);
	assert_null(s->registry);
	assert_string_equal(s->output, "out/images");
	assert_int_equal(s->compression, PL_SETTINGS_GZIP);
	assert_string_equal(s->vulndb.path, "out/vuln.db");
	assert_string_equal(s->ledger.path, "out/ledger.db");
	pl_settings_free(s);
}

static void settings_bad(const char *yaml, const char *msg)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_settings *s = NULL;

	assert_int_equal(pl_settings_parse(yaml, strlen(yaml), "plinth.yaml", &s, &err), PL_EINVAL);
	assert_null(s);
	assert_string_equal(err.msg, msg);
}

static void test_recipe_settings_errors(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_settings *s = NULL;
	struct pl_lint l;
	const char *yaml;

	(void)state;
	settings_bad(
	    "registy: x\n",
	    "plinth.yaml:1:1: unknown key 'registy' in settings; did you mean 'registry'?");
	settings_bad("compression: xz\n",
		     "plinth.yaml:1:14: 'compression': 'xz' is not one of gzip, zstd");
	settings_bad("repositories:\n  a: {url: x}\n",
		     "plinth.yaml:2:6: repository 'a' is missing required key 'suite'");
	settings_bad(
	    "repositories:\n  a: {url: x, suite: s, trusted: yes}\n",
	    "plinth.yaml:2:34: 'trusted' must be a boolean, got 'yes' which YAML 1.1 reads "
	    "as a boolean; write true or false");
	settings_bad("vulndb: {feeds: [{kind: nvd, url: x}]}\n",
		     "plinth.yaml:1:25: 'kind': 'nvd' is not one of osv, debian, alpine");
	settings_bad("repositories:\n  a: {url: x, suite: s, keyrng: k}\n",
		     "plinth.yaml:2:25: unknown key 'keyrng' in repository 'a'; did you mean "
		     "'keyring'?");

	yaml = "repositories:\n"
	       "  a: {url: ftp://x, suite: s}\n"
	       "  b: {url: https://x, suite: s, keyring: /etc/k.gpg}\n"
	       "  c: {url: https://x, suite: s, keyring: other/k.gpg}\n";
	assert_int_equal(pl_settings_parse(yaml, strlen(yaml), "plinth.yaml", &s, &err), 0);
	pl_lint_init(&l);
	assert_int_equal(pl_settings_lint(s, &l, &err), 4);
	assert_string_equal(l.msgs[0], "plinth.yaml:2:3: repository 'a': url 'ftp://x' is not "
				       "http(s)://, file:// or an absolute path");
	assert_string_equal(l.msgs[1], "plinth.yaml:2:3: repository 'a' needs a 'keyring' (or "
				       "'trusted: true' for a local mirror you control)");
	assert_string_equal(l.msgs[2], "plinth.yaml:3:42: keyring '/etc/k.gpg' must be relative to "
				       "the curation repo (no leading '/')");
	assert_string_equal(l.msgs[3],
			    "plinth.yaml:4:42: keyring 'other/k.gpg' must be under keys/");
	pl_lint_release(&l);
	pl_settings_free(s);
}

static const char *PATCH =
    "id: PL-2026-0001\n"
    "title: OpenSSL security update\n"
    "severity: high\n"
    "cves: [CVE-2025-0001, CVE-2025-123456]\n"
    "advisory: https://security.example/PL-2026-0001\n"
    "published: 2024-02-29\n"
    "description: |\n"
    "  Fixes two bugs.\n"
    "applies_to: {package: libssl3, below: \"3.0.22-1~deb12u2\", source: false}\n"
    "actions:\n"
    "  - upgrade: {packages: [libssl3, openssl], from: bookworm-security, version: "
    "\"3.0.22-1~deb12u2\"}\n"
    "  - chmod: {path: /usr/bin/newgrp, mode: \"0755\"}\n"
    "  - remove: [/usr/bin/wall]\n"
    "  - diff: patches/files/login-defs.diff\n"
    "  - chown: {path: /etc/shadow, gid: 42}\n"
    "  - file: {path: /etc/issue, content: \"curated\\n\"}\n";

static struct pl_patchdef *patch_ok(const char *yaml)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_patchdef *p = NULL;

	if (pl_patchdef_parse(yaml, strlen(yaml), "patches/PL-2026-0001.yaml", &p, &err) != 0)
		fail_msg("unexpected error: %s", err.msg);
	return p;
}

static void patch_bad(const char *yaml, const char *msg)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_patchdef *p = NULL;

	assert_int_equal(pl_patchdef_parse(yaml, strlen(yaml), "p.yaml", &p, &err), PL_EINVAL);
	assert_null(p);
	assert_string_equal(err.msg, msg);
}

static void test_recipe_patchdef_full(void **state)
{
	struct pl_patchdef *p = patch_ok(PATCH);
	struct pl_err err = PL_ERR_INIT;
	struct pl_lint l;

	(void)state;
	assert_string_equal(p->id, "PL-2026-0001");
	assert_string_equal(p->title, "OpenSSL security update");
	assert_int_equal(p->severity, PL_RECIPE_SEV_HIGH);
	assert_int_equal(p->cves.n, 2);
	assert_string_equal(p->cves.v[1], "CVE-2025-123456");
	assert_string_equal(p->published, "2024-02-29");
	assert_string_equal(p->description, "Fixes two bugs.\n");
	assert_int_equal(p->applies_to.kind, PL_PATCH_APPLIES_PACKAGE);
	assert_string_equal(p->applies_to.package, "libssl3");
	assert_string_equal(p->applies_to.below, "3.0.22-1~deb12u2");
	assert_null(p->applies_to.at_least);
	assert_false(p->applies_to.source);
	assert_int_equal(p->nactions, 6);
	assert_int_equal(p->actions[0].kind, PL_PATCH_UPGRADE);
	assert_string_equal(pl_patch_action_name(p->actions[0].kind), "upgrade");
	assert_int_equal(p->actions[0].packages.n, 2);
	assert_string_equal(p->actions[0].from, "bookworm-security");
	assert_string_equal(p->actions[0].version, "3.0.22-1~deb12u2");
	assert_int_equal(p->actions[0].mark.line, 11);
	assert_int_equal(p->actions[0].mark.col, 5);
	assert_int_equal(p->actions[1].kind, PL_PATCH_CHMOD);
	assert_string_equal(p->actions[1].path, "/usr/bin/newgrp");
	assert_int_equal(p->actions[1].mode, 0755);
	assert_int_equal(p->actions[2].kind, PL_PATCH_REMOVE);
	assert_string_equal(p->actions[2].paths.v[0], "/usr/bin/wall");
	assert_int_equal(p->actions[3].kind, PL_PATCH_DIFF);
	assert_string_equal(p->actions[3].diff, "patches/files/login-defs.diff");
	assert_int_equal(p->actions[4].kind, PL_PATCH_CHOWN);
	assert_false(p->actions[4].has_uid);
	assert_true(p->actions[4].has_gid);
	assert_int_equal(p->actions[4].gid, 42);
	assert_int_equal(p->actions[5].kind, PL_PATCH_FILE);
	assert_string_equal(p->actions[5].content, "curated\n");
	assert_int_equal(p->actions[5].mode, 0644);
	pl_lint_init(&l);
	assert_int_equal(pl_patchdef_lint(p, "patches/PL-2026-0001.yaml", &l, &err), 0);
	assert_int_equal(pl_patchdef_lint(p, "patches/PL-2026-0002.yaml", &l, &err), 1);
	assert_string_equal(l.msgs[0],
			    "patches/PL-2026-0001.yaml:1:5: patch id 'PL-2026-0001' does "
			    "not match its file name 'patches/PL-2026-0002.yaml' "
			    "(expected patches/PL-2026-0001.yaml)");
	pl_lint_release(&l);
	pl_patchdef_free(p);

	p = patch_ok(
	    "id: a\ntitle: t\nseverity: low\napplies_to: all\nactions: [{remove: [/x]}]\n");
	assert_int_equal(p->applies_to.kind, PL_PATCH_APPLIES_ALL);
	pl_patchdef_free(p);
	p = patch_ok("id: a\ntitle: t\nseverity: low\napplies_to: {recipes: [x, y]}\n"
		     "actions: [{remove: [/x]}]\n");
	assert_int_equal(p->applies_to.kind, PL_PATCH_APPLIES_RECIPES);
	assert_int_equal(p->applies_to.recipes.n, 2);
	pl_patchdef_free(p);
	p = patch_ok("id: a\ntitle: t\nseverity: low\napplies_to: {labels: {tier: web}}\n"
		     "actions: [{remove: [/x]}]\n");
	assert_int_equal(p->applies_to.kind, PL_PATCH_APPLIES_LABELS);
	assert_string_equal(p->applies_to.labels.v[0].value, "web");
	pl_patchdef_free(p);
}

static void test_recipe_patchdef_errors(void **state)
{
	(void)state;
	patch_bad("id: a\ntitle: t\nseverity: urgent\napplies_to: all\nactions: [{remove: [/x]}]\n",
		  "p.yaml:3:11: 'severity': 'urgent' is not one of low, medium, high, critical");
	patch_bad("id: a\ntitle: t\nseverity: low\ncves: [CVE-25-1]\napplies_to: all\n"
		  "actions: [{remove: [/x]}]\n",
		  "p.yaml:4:8: 'CVE-25-1' is not a CVE id such as CVE-2025-12345");
	patch_bad("id: a\ntitle: t\nseverity: low\npublished: 2025-02-29\napplies_to: all\n"
		  "actions: [{remove: [/x]}]\n",
		  "p.yaml:4:12: 'published': '2025-02-29' is not a date such as 2026-01-31");
	patch_bad("id: a\ntitle: t\nseverity: low\napplies_to: {package: x, recipes: [y]}\n"
		  "actions: [{remove: [/x]}]\n",
		  "p.yaml:4:13: 'applies_to' needs exactly one form: {package, below, at_least, "
		  "source}, {recipes} or {labels}");
	patch_bad(
	    "id: a\ntitle: t\nseverity: low\napplies_to: some\nactions: [{remove: [/x]}]\n",
	    "p.yaml:4:13: 'applies_to' must be \"all\" or a mapping with 'package', 'recipes' "
	    "or 'labels'");
	patch_bad("id: a\ntitle: t\nseverity: low\napplies_to: all\nactions: [{upgrad: {}}]\n",
		  "p.yaml:5:12: unknown key 'upgrad' in an action; did you mean 'upgrade'?");
	patch_bad(
	    "id: a\ntitle: t\nseverity: low\napplies_to: all\n"
	    "actions: [{remove: [/x], diff: d}]\n",
	    "p.yaml:5:11: an action is a mapping with exactly one key (upgrade, diff, remove, "
	    "chmod, chown or file), got 2");
	patch_bad("id: a\ntitle: t\nseverity: low\napplies_to: all\nactions: []\n",
		  "p.yaml:5:10: 'actions' must list at least one action");
	patch_bad("id: a\ntitle: t\nseverity: low\napplies_to: all\n"
		  "actions: [{chmod: {path: /x, mode: 99999}}]\n",
		  "p.yaml:5:36: 'mode': mode 99999 is not octal; write it with a leading zero "
		  "(099999) or quote it (\"099999\")");
	patch_bad("id: a\ntitle: t\nseverity: low\napplies_to: all\n"
		  "actions: [{chown: {path: /x}}]\n",
		  "p.yaml:5:19: 'chown' needs 'uid', 'gid' or both");
	patch_bad("id: a\ntitle: t\nseverity: low\napplies_to: all\n"
		  "actions: [{upgrade: {packages: [], from: x}}]\n",
		  "p.yaml:5:32: 'packages' must not be empty");
	patch_bad("title: t\n", "p.yaml:1:1: patch is missing required key 'id'");
}

static void test_recipe_patchdef_lint_paths(void **state)
{
	const char *yaml = "id: a\ntitle: t\nseverity: low\napplies_to: all\nactions:\n"
			   "  - remove: [/, usr/bin/x]\n"
			   "  - diff: /abs.diff\n"
			   "  - chmod: {path: /a/./b, mode: \"0755\"}\n";
	struct pl_err err = PL_ERR_INIT;
	struct pl_patchdef *p = NULL;
	struct pl_lint l;

	(void)state;
	assert_int_equal(pl_patchdef_parse(yaml, strlen(yaml), "p.yaml", &p, &err), 0);
	pl_lint_init(&l);
	assert_int_equal(pl_patchdef_lint(p, NULL, &l, &err), 4);
	assert_string_equal(l.msgs[0], "p.yaml:6:14: refusing to remove '/'");
	assert_string_equal(l.msgs[1], "p.yaml:6:17: path 'usr/bin/x' must be absolute (start with "
				       "'/')");
	assert_string_equal(l.msgs[2], "p.yaml:7:11: diff '/abs.diff' must be relative to the "
				       "curation repo (no leading '/')");
	assert_string_equal(l.msgs[3], "p.yaml:8:19: path '/a/./b' must be normalised (no '.' or "
				       "'..' components)");
	pl_lint_release(&l);
	pl_patchdef_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_recipe_settings_full),
	    cmocka_unit_test(test_recipe_settings_errors),
	    cmocka_unit_test(test_recipe_patchdef_full),
	    cmocka_unit_test(test_recipe_patchdef_errors),
	    cmocka_unit_test(test_recipe_patchdef_lint_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
