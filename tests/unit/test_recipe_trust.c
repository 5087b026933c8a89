/* plinth.yaml trust: parsing, repository globs, the images rule and the base check. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/recipe.h"
#include "util/buf.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static const char *TRUST =
    "registry: registry.example.com/curated\n"
    "trust:\n"
    "  images:\n"
    "    - repositories: [\"registry.example.com/curated/*\", \"localhost:5000/curated/**\"]\n"
    "      keys: [keys/platform.pub]\n"
    "    - repositories: [\"registry.example.com/**\"]\n"
    "      keys: [keys/platform.pub, keys/security/2026.pem]\n"
    "      require: all\n"
    "  bases:\n"
    "    - repository: docker.io/library/debian\n"
    "      digests: [\"" D1 "\"]\n"
    "      keys: [keys/debian-upstream.pub]\n"
    "    - repository: \"gcr.io/distroless/*\"\n"
    "      keys: [keys/distroless.pub]\n"
    "    - repository: \"oci:*\"\n"
    "  default: deny\n";

static struct pl_settings *parse_ok(const char *yaml)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_settings *s = NULL;

	if (pl_settings_parse(yaml, strlen(yaml), "plinth.yaml", &s, &err) != 0)
		fail_msg("unexpected error: %s", err.msg);
	return s;
}

static void parse_bad(const char *yaml, const char *msg)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_settings *s = NULL;

	assert_int_equal(pl_settings_parse(yaml, strlen(yaml), "plinth.yaml", &s, &err), PL_EINVAL);
	assert_null(s);
	assert_string_equal(err.msg, msg);
}

static void test_recipe_trust_full(void **state)
{
	struct pl_settings *s = parse_ok(TRUST);
	const struct pl_trust *t = &s->trust;
	struct pl_err err = PL_ERR_INIT;
	struct pl_lint l;

	(void)state;
	assert_true(t->set);
	assert_int_equal(t->mark.line, 3);
	assert_int_equal(t->mark.col, 3);
	assert_string_equal(t->mark.file, "plinth.yaml");

	assert_int_equal(t->nimages, 2);
	assert_int_equal(t->images[0].mark.line, 4);
	assert_int_equal(t->images[0].mark.col, 7);
	assert_int_equal(t->images[0].repositories.n, 2);
	assert_string_equal(t->images[0].repositories.v[0], "registry.example.com/curated/*");
	assert_string_equal(t->images[0].repositories.v[1], "localhost:5000/curated/**");
	assert_int_equal(t->images[0].repositories.marks[1].line, 4);
	assert_int_equal(t->images[0].repositories.marks[1].col, 56);
	assert_int_equal(t->images[0].keys.n, 1);
	assert_string_equal(t->images[0].keys.v[0], "keys/platform.pub");
	assert_false(t->images[0].require_all);
	assert_int_equal(t->images[1].keys.n, 2);
	assert_string_equal(t->images[1].keys.v[1], "keys/security/2026.pem");
	assert_int_equal(t->images[1].keys.marks[1].line, 7);
	assert_int_equal(t->images[1].keys.marks[1].col, 33);
	assert_true(t->images[1].require_all);

	assert_true(t->bases_set);
	assert_int_equal(t->nbases, 3);
	assert_string_equal(t->bases[0].repository, "docker.io/library/debian");
	assert_int_equal(t->bases[0].mark.line, 10);
	assert_int_equal(t->bases[0].mark.col, 7);
	assert_int_equal(t->bases[0].repository_mark.line, 10);
	assert_int_equal(t->bases[0].repository_mark.col, 19);
	assert_true(t->bases[0].digests.set);
	assert_int_equal(t->bases[0].digests.n, 1);
	assert_string_equal(t->bases[0].digests.v[0], D1);
	assert_int_equal(t->bases[0].keys.n, 1);
	assert_string_equal(t->bases[0].keys.v[0], "keys/debian-upstream.pub");
	assert_string_equal(t->bases[1].repository, "gcr.io/distroless/*");
	assert_false(t->bases[1].digests.set);
	assert_true(t->bases[1].keys.set);
	assert_string_equal(t->bases[2].repository, "oci:*");
	assert_false(t->bases[2].digests.set);
	assert_false(t->bases[2].keys.set);

	assert_int_equal(t->default_action, PL_TRUST_DENY);
	assert_int_equal(t->default_mark.line, 16);
	assert_int_equal(t->default_mark.col, 12);

	/* the rest of the settings are untouched, and a valid trust section lints clean */
	assert_string_equal(s->registry, "registry.example.com/curated");
	pl_lint_init(&l);
	assert_int_equal(pl_settings_lint(s, &l, &err), 0);
	pl_lint_release(&l);
	pl_settings_free(s);
}

static void test_recipe_trust_defaults(void **state)
{
	struct pl_settings *s;

	(void)state;
	s = parse_ok("{}");
	assert_false(s->trust.set);
	assert_false(s->trust.bases_set);
	assert_int_equal(s->trust.nimages, 0);
	assert_int_equal(s->trust.nbases, 0);
	assert_int_equal(s->trust.default_action, PL_TRUST_ALLOW);
	assert_int_equal(s->trust.default_mark.line, 0);
	pl_settings_free(s);

	s = parse_ok("trust: {}\n");
	assert_true(s->trust.set);
	assert_false(s->trust.bases_set);
	assert_int_equal(s->trust.default_action, PL_TRUST_ALLOW);
	pl_settings_free(s);

	/* present and empty: no base may be imported */
	s = parse_ok("trust: {images: [], bases: [], default: allow}\n");
	assert_true(s->trust.bases_set);
	assert_int_equal(s->trust.nbases, 0);
	assert_int_equal(s->trust.nimages, 0);
	assert_int_equal(s->trust.default_action, PL_TRUST_ALLOW);
	assert_int_equal(s->trust.default_mark.line, 1);
	pl_settings_free(s);

	s = parse_ok("trust:\n  images:\n    - {repositories: ['**'], keys: [keys/a.pub], "
		     "require: any}\n  bases:\n    - repository: localhost/x\n"
		     "    - repository: '*.example.com/**'\n");
	assert_false(s->trust.images[0].require_all);
	assert_int_equal(s->trust.nbases, 2);
	pl_settings_free(s);
}

static void test_recipe_trust_errors(void **state)
{
	(void)state;
	/* types */
	parse_bad("trust: [a]\n", "plinth.yaml:1:8: 'trust' must be a mapping, got a list");
	parse_bad("trust: {images: {}}\n",
		  "plinth.yaml:1:17: 'images' must be a list, got a mapping");
	parse_bad("trust: {bases: docker.io/x}\n",
		  "plinth.yaml:1:16: 'bases' must be a list, got a string");
	parse_bad("trust: {images: [x]}\n",
		  "plinth.yaml:1:18: item 1 of 'images' must be a mapping, got a string");
	parse_bad("trust:\n  images:\n    - repositories: r.io/x\n      keys: [keys/a.pub]\n",
		  "plinth.yaml:3:21: 'repositories' must be a list, got a string");
	parse_bad("trust:\n  bases:\n    - repository: [r.io/x]\n",
		  "plinth.yaml:3:19: 'repository' must be a string, got a list");
	parse_bad("trust:\n  images:\n    - {repositories: [r.io/x], keys: [keys/a.pub], "
		  "require: yes}\n",
		  "plinth.yaml:3:61: 'require' must be a string, got 'yes' which YAML 1.1 reads "
		  "as a boolean; quote it");
	parse_bad("trust: {bases: [{repository: r.io/x, digests: [12]}]}\n",
		  "plinth.yaml:1:48: item 1 of 'digests' must be a string, got an integer; "
		  "quote it: \"12\"");

	/* keys */
	parse_bad("trusts: {}\n",
		  "plinth.yaml:1:1: unknown key 'trusts' in settings; did you mean 'trust'?");
	parse_bad("trust: {imagse: []}\n",
		  "plinth.yaml:1:9: unknown key 'imagse' in 'trust'; did you mean 'images'?");
	parse_bad("trust: {defualt: deny}\n",
		  "plinth.yaml:1:9: unknown key 'defualt' in 'trust'; did you mean 'default'?");
	parse_bad("trust:\n  images:\n    - repositories: [r.io/x]\n      key: [keys/a.pub]\n",
		  "plinth.yaml:4:7: unknown key 'key' in a trust.images rule; did you mean "
		  "'keys'?");
	parse_bad("trust:\n  bases:\n    - repository: r.io/x\n      digest: [\"" D1 "\"]\n",
		  "plinth.yaml:4:7: unknown key 'digest' in a trust.bases entry; did you mean "
		  "'digests'?");
	parse_bad("trust:\n  bases:\n    - {repository: r.io/x, signer: k}\n",
		  "plinth.yaml:3:28: unknown key 'signer' in a trust.bases entry (known keys: "
		  "repository, digests, keys)");
	parse_bad("trust:\n  images:\n    - repository: r.io/x\n      keys: [keys/a.pub]\n",
		  "plinth.yaml:3:7: a trust.images rule takes 'repositories (a list)', not "
		  "'repository'");
	parse_bad("trust:\n  bases:\n    - repositories: [r.io/x]\n",
		  "plinth.yaml:3:7: a trust.bases entry takes 'repository (one pattern)', not "
		  "'repositories'");
	parse_bad("trust:\n  images:\n    - keys: [keys/a.pub]\n",
		  "plinth.yaml:3:7: a trust.images rule is missing required key 'repositories'");
	parse_bad("trust:\n  images:\n    - repositories: [r.io/x]\n",
		  "plinth.yaml:3:7: a trust.images rule is missing required key 'keys'");
	parse_bad("trust:\n  bases:\n    - digests: [\"" D1 "\"]\n",
		  "plinth.yaml:3:7: a trust.bases entry is missing required key 'repository'");

	/* values */
	parse_bad("trust:\n  default: maybe\n",
		  "plinth.yaml:2:12: 'default': 'maybe' is not one of allow, deny");
	parse_bad("trust:\n  images:\n    - {repositories: [r.io/x], keys: [keys/a.pub], "
		  "require: most}\n",
		  "plinth.yaml:3:61: 'require': 'most' is not one of any, all");
	parse_bad("trust:\n  images:\n    - repositories: []\n      keys: [keys/a.pub]\n",
		  "plinth.yaml:3:21: 'repositories' must list at least one repository pattern");
	parse_bad("trust:\n  images:\n    - repositories: [r.io/x]\n      keys: []\n",
		  "plinth.yaml:4:13: 'keys' must list at least one public key");
	parse_bad("trust:\n  bases:\n    - {repository: r.io/x, digests: []}\n",
		  "plinth.yaml:3:37: 'digests' must list at least one digest; leave it out to "
		  "allow any digest");
	parse_bad("trust:\n  bases:\n    - {repository: r.io/x, keys: []}\n",
		  "plinth.yaml:3:34: 'keys' must list at least one public key; leave it out when "
		  "the upstream does not sign");

	/* digests */
	parse_bad("trust:\n  bases:\n    - repository: r.io/x\n"
		  "      digests: [\"" D1 "\", \"sha256:abc\"]\n",
		  "plinth.yaml:4:92: digest 'sha256:abc' is not a digest such as sha256:<64 "
		  "lowercase hex digits>");
	parse_bad(
	    "trust: {bases: [{repository: r.io/x, digests: "
	    "[\"SHA256:1111111111111111111111111111111111111111111111111111111111111111\"]}]}\n",
	    "plinth.yaml:1:48: digest 'SHA256:11111111111111111111111111111111111111111111"
	    "11111111111111111111' is not a digest such as sha256:<64 lowercase hex digits>");
	parse_bad(
	    "trust: {bases: [{repository: r.io/x, digests: "
	    "[\"sha256:111111111111111111111111111111111111111111111111111111111111111A\"]}]}\n",
	    "plinth.yaml:1:48: digest 'sha256:11111111111111111111111111111111111111111111"
	    "1111111111111111111A' is not a digest such as sha256:<64 lowercase hex digits>");
	parse_bad("trust: {bases: [{repository: r.io/x, digests: [\"sha512:" D1 "\"]}]}\n",
		  "plinth.yaml:1:48: digest 'sha512:sha256:111111111111111111111111111111111111111"
		  "1111111111111111111111111' is not a digest such as sha256:<64 lowercase hex "
		  "digits>");

	/* key paths */
	parse_bad("trust: {images: [{repositories: [r.io/x], keys: [platform.pub]}]}\n",
		  "plinth.yaml:1:50: key 'platform.pub' must be a public key in the curation "
		  "repo's keys/ directory (keys/NAME.pub or keys/NAME.pem)");
	parse_bad("trust: {images: [{repositories: [r.io/x], keys: [/etc/keys/a.pub]}]}\n",
		  "plinth.yaml:1:50: key '/etc/keys/a.pub' must be a public key in the curation "
		  "repo's keys/ directory (keys/NAME.pub or keys/NAME.pem)");
	parse_bad("trust: {images: [{repositories: [r.io/x], keys: [keys/signing.key]}]}\n",
		  "plinth.yaml:1:50: key 'keys/signing.key' must be a public key in the curation "
		  "repo's keys/ directory (keys/NAME.pub or keys/NAME.pem)");
	parse_bad("trust: {images: [{repositories: [r.io/x], keys: [keys/.pub]}]}\n",
		  "plinth.yaml:1:50: key 'keys/.pub' must be a public key in the curation "
		  "repo's keys/ directory (keys/NAME.pub or keys/NAME.pem)");
	parse_bad(
	    "trust: {images: [{repositories: [r.io/x], keys: [keys/a.pub, keys/../a.pub]}]}\n",
	    "plinth.yaml:1:62: key 'keys/../a.pub' must be normalised (no empty, '.' or "
	    "'..' components)");
	parse_bad("trust: {bases: [{repository: r.io/x, keys: [keys/./a.pem]}]}\n",
		  "plinth.yaml:1:45: key 'keys/./a.pem' must be normalised (no empty, '.' or "
		  "'..' components)");
	parse_bad("trust: {bases: [{repository: r.io/x, keys: [keys//a.pem]}]}\n",
		  "plinth.yaml:1:45: key 'keys//a.pem' must be normalised (no empty, '.' or "
		  "'..' components)");

	/* repository patterns */
	parse_bad("trust: {bases: [{repository: debian}]}\n",
		  "plinth.yaml:1:30: repository pattern 'debian' does not start with a registry; "
		  "write it in full, e.g. docker.io/library/debian");
	parse_bad("trust: {bases: [{repository: library/debian}]}\n",
		  "plinth.yaml:1:30: repository pattern 'library/debian' does not start with a "
		  "registry; write it in full, e.g. docker.io/library/debian");
	parse_bad("trust: {bases: [{repository: \"docker.io/library/debian:12\"}]}\n",
		  "plinth.yaml:1:30: repository pattern 'docker.io/library/debian:12' names a "
		  "tag; trust covers whole repositories, drop the ':TAG'");
	parse_bad("trust: {bases: [{repository: \"docker.io/library/debian@" D1 "\"}]}\n",
		  "plinth.yaml:1:30: repository pattern 'docker.io/library/debian@" D1
		  "' names a digest; write the repository and list digests under 'digests'");
	parse_bad("trust: {bases: [{repository: \"\"}]}\n",
		  "plinth.yaml:1:30: repository pattern must not be empty");
	parse_bad("trust: {bases: [{repository: \"oci:\"}]}\n",
		  "plinth.yaml:1:30: repository pattern 'oci:' needs a layout path (oci:PATH, "
		  "or oci:* for every layout)");
	parse_bad("trust: {images: [{repositories: [r.io/x, \"r.io/a b\"], keys: [keys/a.pub]}]}\n",
		  "plinth.yaml:1:42: repository pattern 'r.io/a b' contains a space");
}

static void test_recipe_trust_glob(void **state)
{
	(void)state;
	/* '*' stays within one component */
	assert_true(pl_trust_glob("localhost:5000/curated/*", "localhost:5000/curated/app"));
	assert_false(pl_trust_glob("localhost:5000/curated/*", "localhost:5000/curated/a/b"));
	assert_false(pl_trust_glob("localhost:5000/curated/*", "localhost:5000/curated"));
	assert_true(pl_trust_glob("localhost:5000/curated/*", "localhost:5000/curated/"
							      "x-y_z.1"));
	assert_true(pl_trust_glob("r.io/*/app", "r.io/team/app"));
	assert_false(pl_trust_glob("r.io/*/app", "r.io/a/b/app"));
	assert_true(pl_trust_glob("r.io/app-*", "r.io/app-"));
	assert_true(pl_trust_glob("r.io/*-base", "r.io/debian-base"));
	assert_false(pl_trust_glob("r.io/*-base", "r.io/debian-base2"));
	assert_true(pl_trust_glob("r.io/a*b*c", "r.io/aXbYbZc"));
	assert_false(pl_trust_glob("r.io/a*b*c", "r.io/aXbYbZ/c"));
	/* the registry is part of the name; ports with ':' are literal */
	assert_true(pl_trust_glob("*/curated/app", "localhost:5000/curated/app"));
	assert_true(pl_trust_glob("localhost:*/curated/app", "localhost:5000/curated/app"));
	assert_false(pl_trust_glob("localhost:5000/curated/app", "localhost:5001/curated/app"));
	assert_false(pl_trust_glob("localhost/curated/app", "localhost:5000/curated/app"));
	assert_true(pl_trust_glob("*.example.com/**", "registry.example.com/a/b"));
	assert_false(pl_trust_glob("*.example.com/**", "example.com/a"));
	assert_false(pl_trust_glob("*.example.com/**", "evil.com/x.example.com/a"));
	/* '**' crosses components */
	assert_true(pl_trust_glob("localhost:5000/curated/**", "localhost:5000/curated/a"));
	assert_true(pl_trust_glob("localhost:5000/curated/**", "localhost:5000/curated/a/b/c"));
	assert_false(pl_trust_glob("localhost:5000/curated/**", "localhost:5000/curated"));
	assert_false(pl_trust_glob("localhost:5000/curated/**", "localhost:5000/curatedx/a"));
	assert_true(pl_trust_glob("**", "docker.io/library/debian"));
	assert_true(pl_trust_glob("**", "oci:/srv/layout"));
	assert_true(pl_trust_glob("r.io/**/app", "r.io/app"));
	assert_true(pl_trust_glob("r.io/**/app", "r.io/a/app"));
	assert_true(pl_trust_glob("r.io/**/app", "r.io/a/b/app"));
	assert_false(pl_trust_glob("r.io/**/app", "r.io/xapp"));
	assert_false(pl_trust_glob("r.io/**/app", "r.io/a/b/app/x"));
	assert_true(pl_trust_glob("**/debian", "docker.io/library/debian"));
	assert_false(pl_trust_glob("**/debian", "docker.io/library/debian-slim"));
	assert_true(pl_trust_glob("r.io/a**", "r.io/abc/d"));
	assert_true(pl_trust_glob("r.io/***", "r.io/a/b"));
	/* '?' is one character, never '/' */
	assert_true(pl_trust_glob("r.io/app?", "r.io/app1"));
	assert_false(pl_trust_glob("r.io/app?", "r.io/app"));
	assert_false(pl_trust_glob("r.io/app?", "r.io/app12"));
	assert_false(pl_trust_glob("r.io?app", "r.io/app"));
	/* literal */
	assert_true(pl_trust_glob("docker.io/library/debian", "docker.io/library/debian"));
	assert_false(pl_trust_glob("docker.io/library/debian", "docker.io/library/debia"));
	assert_false(pl_trust_glob("docker.io/library/debian", "docker.io/library/debian2"));
	assert_false(pl_trust_glob("docker.io/library/debian", "Docker.io/library/debian"));
	assert_true(pl_trust_glob("r.io/[a]", "r.io/[a]"));
	assert_false(pl_trust_glob("r.io/[a]", "r.io/a"));
	assert_true(pl_trust_glob("", ""));
	assert_false(pl_trust_glob("", "r.io/a"));
	/* oci: layout paths: '*' and '?' cross '/' */
	assert_true(pl_trust_glob("oci:*", "oci:/abs/path"));
	assert_true(pl_trust_glob("oci:*", "oci:out/images"));
	assert_true(pl_trust_glob("oci:**", "oci:/abs/path"));
	assert_false(pl_trust_glob("oci:*", "docker.io/library/debian"));
	assert_false(pl_trust_glob("oci:*", "oci"));
	assert_true(pl_trust_glob("oci:/srv/oci/*", "oci:/srv/oci/a/b"));
	assert_false(pl_trust_glob("oci:/srv/oci/*", "oci:/srv/other/a"));
	assert_true(pl_trust_glob("oci:/srv/?/x", "oci:/srv/a/x"));
	assert_true(pl_trust_glob("oci:/srv/layout", "oci:/srv/layout"));
	/* a wildcard never matches a name that is not normalised */
	assert_false(pl_trust_glob("oci:/srv/oci/*", "oci:/srv/oci/../../tmp/evil"));
	assert_false(pl_trust_glob("oci:*", "oci:../x"));
	assert_false(pl_trust_glob("oci:*", "oci:/srv/./x"));
	assert_false(pl_trust_glob("oci:*", "oci:/srv//x"));
	assert_false(pl_trust_glob("oci:*", "oci:/srv/x/"));
	assert_false(pl_trust_glob("oci:*", "oci:"));
	assert_false(pl_trust_glob("r.io/**", "r.io/a/../b"));
	assert_false(pl_trust_glob("**", "r.io//a"));
	assert_true(pl_trust_glob("oci:../x", "oci:../x")); /* literal: compared as is */
	/* names longer than any repository or path never match */
	{
		char *big = malloc(5000);

		assert_non_null(big);
		memset(big, 'a', 4999);
		big[0] = 'r';
		big[1] = '/';
		big[4999] = '\0';
		assert_false(pl_trust_glob("**", big));
		big[4096] = '\0';
		assert_true(pl_trust_glob("r/*", big));
		free(big);
	}
	/* many wildcards stay linear, not exponential */
	assert_false(pl_trust_glob("r.io/**a**a**a**a**a**a**a**a**a**a**b",
				   "r.io/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void test_recipe_trust_rule_for(void **state)
{
	struct pl_settings *s = parse_ok(TRUST);
	const struct pl_trust *t = &s->trust;
	struct pl_trust none;

	(void)state;
	/* first match in document order wins */
	assert_ptr_equal(pl_trust_rule_for(t, "registry.example.com/curated/app"), &t->images[0]);
	assert_ptr_equal(pl_trust_rule_for(t, "localhost:5000/curated/a/b"), &t->images[0]);
	assert_ptr_equal(pl_trust_rule_for(t, "registry.example.com/curated/a/b"), &t->images[1]);
	assert_ptr_equal(pl_trust_rule_for(t, "registry.example.com/other"), &t->images[1]);
	assert_null(pl_trust_rule_for(t, "localhost:5000/other/app"));
	assert_null(pl_trust_rule_for(t, "docker.io/library/debian"));
	memset(&none, 0, sizeof(none));
	assert_null(pl_trust_rule_for(&none, "registry.example.com/curated/app"));
	assert_null(pl_trust_rule_for(NULL, "registry.example.com/curated/app"));
	pl_settings_free(s);
}

static void test_recipe_trust_base_allowed(void **state)
{
	struct pl_settings *s = parse_ok(TRUST);
	const struct pl_trust *t = &s->trust;
	const struct pl_trust_base *rule = NULL;
	struct pl_trust_base stale;
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf why = PL_BUF_INIT;

	(void)state;
	memset(&stale, 0, sizeof(stale));
	/* listed repository and digest: the rule comes back for its keys */
	assert_int_equal(
	    pl_trust_base_allowed(t, "docker.io/library/debian", D1, &rule, &why, &err), 1);
	assert_ptr_equal(rule, &t->bases[0]);
	assert_int_equal(why.len, 0);
	/* no digests listed: any digest */
	assert_int_equal(
	    pl_trust_base_allowed(t, "gcr.io/distroless/static", D2, &rule, &why, &err), 1);
	assert_ptr_equal(rule, &t->bases[1]);
	assert_int_equal(
	    pl_trust_base_allowed(t, "gcr.io/distroless/static", NULL, &rule, &why, &err), 1);
	assert_int_equal(pl_trust_base_allowed(t, "oci:/srv/layouts/debian", D2, &rule, &why, &err),
			 1);
	assert_ptr_equal(rule, &t->bases[2]);
	assert_int_equal(why.len, 0);
	/* rule and why are optional */
	assert_int_equal(pl_trust_base_allowed(t, "docker.io/library/debian", D1, NULL, NULL, &err),
			 1);

	/* another digest of a listed repository */
	assert_int_equal(
	    pl_trust_base_allowed(t, "docker.io/library/debian", D2, &rule, &why, &err), 0);
	assert_null(rule);
	assert_string_equal(why.data, "base 'docker.io/library/debian@" D2
				      "': digest not listed in plinth.yaml trust.bases "
				      "(plinth.yaml:10:7)");
	pl_buf_reset(&why);
	assert_int_equal(
	    pl_trust_base_allowed(t, "docker.io/library/debian", NULL, &rule, &why, &err), 0);
	assert_string_equal(why.data, "base 'docker.io/library/debian': its digest is unknown and "
				      "plinth.yaml:10:7 allows only listed digests");
	pl_buf_reset(&why);
	/* a repository no entry names */
	assert_int_equal(
	    pl_trust_base_allowed(t, "docker.io/library/ubuntu", D1, &rule, &why, &err), 0);
	assert_null(rule);
	assert_string_equal(why.data, "base 'docker.io/library/ubuntu@" D1
				      "' is not in plinth.yaml trust.bases");
	pl_buf_reset(&why);
	assert_int_equal(pl_trust_base_allowed(t, "gcr.io/distroless/a/b", NULL, &rule, &why, &err),
			 0);
	assert_string_equal(why.data, "base 'gcr.io/distroless/a/b' is not in plinth.yaml "
				      "trust.bases");
	assert_int_equal(pl_trust_base_allowed(t, "docker.io/library/ubuntu", D1, NULL, NULL, &err),
			 0);
	assert_int_equal(err.code, 0);
	pl_buf_release(&why);
	pl_settings_free(s);

	/* a later entry for the same repository may admit another digest */
	s = parse_ok("trust:\n  bases:\n"
		     "    - {repository: docker.io/library/debian, digests: [\"" D1 "\"]}\n"
		     "    - {repository: \"docker.io/library/*\", digests: [\"" D2 "\"], "
		     "keys: [keys/d.pub]}\n");
	assert_int_equal(
	    pl_trust_base_allowed(&s->trust, "docker.io/library/debian", D2, &rule, NULL, &err), 1);
	assert_ptr_equal(rule, &s->trust.bases[1]);
	pl_settings_free(s);

	/* no bases: any base, and no rule to check keys against */
	s = parse_ok("trust: {default: deny}\n");
	rule = &stale; /* must be reset */
	assert_int_equal(
	    pl_trust_base_allowed(&s->trust, "docker.io/library/debian", D1, &rule, &why, &err), 1);
	assert_null(rule);
	pl_settings_free(s);

	/* bases: [] admits nothing */
	s = parse_ok("trust: {bases: []}\n");
	assert_int_equal(
	    pl_trust_base_allowed(&s->trust, "docker.io/library/debian", D1, &rule, &why, &err), 0);
	assert_string_equal(why.data, "base 'docker.io/library/debian@" D1
				      "' is not in plinth.yaml trust.bases");
	pl_buf_release(&why);
	pl_settings_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_recipe_trust_full),
	    cmocka_unit_test(test_recipe_trust_defaults),
	    cmocka_unit_test(test_recipe_trust_errors),
	    cmocka_unit_test(test_recipe_trust_glob),
	    cmocka_unit_test(test_recipe_trust_rule_for),
	    cmocka_unit_test(test_recipe_trust_base_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
