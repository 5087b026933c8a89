/* Recipe parsing: the full model of good recipes and every kind of bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/recipe.h"

static const char *FULL =
    "# a full recipe\n"
    "name: debian-base\n"
    "tags: [\"12\", bookworm]\n"
    "description: Debian 12 base\n"
    "base: scratch\n"
    "architectures: [amd64, arm64, \"arm/v7\"]\n"
    "sources: [bookworm, bookworm-security]\n"
    "packages: [base-files, libc6, ca-certificates, tzdata]\n"
    "patches: [PL-2026-0001]\n"
    "policy: {fail_on: critical, fail_unfixed: true, ignore: [CVE-2024-1234]}\n"
    "layers:\n"
    "  - name: tools\n"
    "    comment: static tools\n"
    "    tarballs:\n"
    "      - source: files/busybox.tar\n"
    "        sha256: \"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n"
    "        destination: /opt\n"
    "        uid: 0\n"
    "  - directories:\n"
    "      - {path: /srv, mode: \"0750\", uid: 65532, gid: 65532}\n"
    "files:\n"
    "  - {path: /etc/motd, content: \"curated by the platform team\\n\", mode: 0644}\n"
    "  - path: /etc/app.conf\n"
    "    source: files/app.conf\n"
    "    mode: \"0600\"\n"
    "    uid: 65532\n"
    "symlinks:\n"
    "  - {path: /bin/sh, target: busybox}\n"
    "accounts:\n"
    "  groups: [{name: app, gid: 65532}]\n"
    "  users:\n"
    "    - {name: app, uid: 65532, home: /home/app}\n"
    "    - {name: root, uid: 0, shell: /bin/sh}\n"
    "    - {name: svc, uid: 1000, gecos: Service}\n"
    "config:\n"
    "  user: \"65532\"\n"
    "  env: {SSL_CERT_FILE: /etc/ssl/certs/ca-certificates.crt, A: \"1\"}\n"
    "  entrypoint: [\"/bin/sh\", \"-c\"]\n"
    "  cmd: []\n"
    "  workdir: /srv\n"
    "  labels: {org.opencontainers.image.vendor: ACME}\n"
    "  exposed_ports: [80, \"53/udp\", \"8443\"]\n"
    "  stop_signal: SIGTERM\n"
    "  volumes: [/data]\n"
    "annotations: {z: last, a: first}\n";

static struct pl_recipe *parse_ok(const char *yaml)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_recipe *r = NULL;
	int rc = pl_recipe_parse(yaml, strlen(yaml), "recipes/t.yaml", &r, &err);

	if (rc != 0)
		fail_msg("unexpected error: %s", err.msg);
	assert_non_null(r);
	return r;
}

/* Parse must fail with code and exactly msg. */
static void parse_bad(const char *yaml, int code, const char *msg)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_recipe *r = NULL;
	int rc = pl_recipe_parse(yaml, strlen(yaml), "recipes/t.yaml", &r, &err);

	assert_null(r);
	if (rc != code || strcmp(err.msg, msg))
		fail_msg("got %d '%s', want %d '%s'", rc, err.msg, code, msg);
}

static void test_recipe_full_model(void **state)
{
	struct pl_recipe *r = parse_ok(FULL);
	const struct pl_recipe_layer *l;
	const char *arch, *variant;

	(void)state;
	assert_string_equal(r->file, "recipes/t.yaml");
	assert_string_equal(r->name, "debian-base");
	assert_int_equal(r->name_mark.line, 2);
	assert_int_equal(r->name_mark.col, 7);
	assert_string_equal(r->name_mark.file, "recipes/t.yaml");
	assert_int_equal(r->tags.n, 2);
	assert_string_equal(r->tags.v[0], "12");
	assert_string_equal(r->tags.v[1], "bookworm");
	assert_int_equal(r->tags.marks[1].line, 3);
	assert_int_equal(r->tags.marks[1].col, 14);
	assert_string_equal(r->description, "Debian 12 base");
	assert_string_equal(r->base, "scratch");
	assert_int_equal(r->architectures.n, 3);
	assert_string_equal(r->architectures.v[2], "armhf");
	assert_int_equal(pl_recipe_arch_oci(r->architectures.v[2], &arch, &variant), 0);
	assert_string_equal(arch, "arm");
	assert_string_equal(variant, "v7");
	assert_int_equal(r->sources.n, 2);
	assert_string_equal(r->sources.v[1], "bookworm-security");
	assert_int_equal(r->packages.n, 4);
	assert_string_equal(r->packages.v[3], "tzdata");
	assert_int_equal(r->patches, PL_RECIPE_PATCHES_LIST);
	assert_int_equal(r->patch_ids.n, 1);
	assert_string_equal(r->patch_ids.v[0], "PL-2026-0001");
	assert_true(r->policy.set);
	assert_true(r->policy.fail_on_set);
	assert_int_equal(r->policy.fail_on, PL_RECIPE_SEV_CRITICAL);
	assert_true(r->policy.fail_unfixed);
	assert_true(r->policy.fail_unfixed_set);
	assert_string_equal(r->policy.ignore.v[0], "CVE-2024-1234");

	/* layers: first, then the top-level shorthand */
	assert_int_equal(r->nlayers, 3);
	l = &r->layers[0];
	assert_string_equal(l->name, "tools");
	assert_string_equal(l->comment, "static tools");
	assert_false(l->shorthand);
	assert_int_equal(l->ntarballs, 1);
	assert_string_equal(l->tarballs[0].source, "files/busybox.tar");
	assert_string_equal(l->tarballs[0].sha256,
			    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_int_equal(l->tarballs[0].sha256_mark.line, 16);
	assert_int_equal(l->tarballs[0].sha256_mark.col, 17);
	assert_int_equal(l->tarballs[0].mark.line, 15);
	assert_int_equal(l->tarballs[0].mark.col, 9);
	assert_string_equal(l->tarballs[0].destination, "/opt");
	assert_true(l->tarballs[0].has_uid);
	assert_false(l->tarballs[0].has_gid);
	l = &r->layers[1];
	assert_null(l->name);
	assert_int_equal(l->ndirs, 1);
	assert_string_equal(l->dirs[0].path, "/srv");
	assert_int_equal(l->dirs[0].mode, 0750);
	assert_int_equal(l->dirs[0].uid, 65532);
	l = &r->layers[2];
	assert_true(l->shorthand);
	assert_int_equal(l->mark.line, 21);
	assert_int_equal(l->nfiles, 2);
	assert_string_equal(l->files[0].path, "/etc/motd");
	assert_int_equal(l->files[0].content_len, 29);
	assert_memory_equal(l->files[0].content, "curated by the platform team\n", 29);
	assert_null(l->files[0].source);
	assert_int_equal(l->files[0].mode, 0644);
	assert_int_equal(l->files[0].uid, 0);
	assert_null(l->files[1].content);
	assert_string_equal(l->files[1].source, "files/app.conf");
	assert_int_equal(l->files[1].mode, 0600);
	assert_int_equal(l->files[1].uid, 65532);
	assert_int_equal(l->files[1].gid, 0);
	assert_int_equal(l->files[1].mark.line, 23);
	assert_int_equal(l->files[1].mark.col, 5);
	assert_int_equal(l->nsymlinks, 1);
	assert_string_equal(l->symlinks[0].target, "busybox");

	assert_int_equal(r->accounts.ngroups, 1);
	assert_string_equal(r->accounts.groups[0].name, "app");
	assert_int_equal(r->accounts.groups[0].gid, 65532);
	assert_int_equal(r->accounts.nusers, 3);
	assert_string_equal(r->accounts.users[0].home, "/home/app");
	assert_int_equal(r->accounts.users[0].gid, 65532);
	assert_string_equal(r->accounts.users[0].shell, "/usr/sbin/nologin");
	assert_string_equal(r->accounts.users[1].home, "/root");
	assert_string_equal(r->accounts.users[1].shell, "/bin/sh");
	assert_string_equal(r->accounts.users[2].home, "/home/svc");
	assert_int_equal(r->accounts.users[2].gid, 1000);
	assert_string_equal(r->accounts.users[2].gecos, "Service");

	assert_true(r->config.set);
	assert_string_equal(r->config.user, "65532");
	assert_int_equal(r->config.env.n, 2);
	assert_string_equal(r->config.env.v[0].key, "A"); /* sorted */
	assert_string_equal(r->config.env.v[1].key, "SSL_CERT_FILE");
	assert_string_equal(r->config.env.v[1].value, "/etc/ssl/certs/ca-certificates.crt");
	assert_int_equal(r->config.entrypoint.n, 2);
	assert_true(r->config.cmd.set);
	assert_int_equal(r->config.cmd.n, 0);
	assert_string_equal(r->config.workdir, "/srv");
	assert_string_equal(r->config.labels.v[0].value, "ACME");
	assert_int_equal(r->config.nports, 3);
	assert_string_equal(r->config.ports[0].spec, "80/tcp");
	assert_string_equal(r->config.ports[1].spec, "53/udp");
	assert_string_equal(r->config.ports[2].spec, "8443/tcp");
	assert_int_equal(r->config.ports[1].port, 53);
	assert_string_equal(r->config.stop_signal, "SIGTERM");
	assert_string_equal(r->config.volumes.v[0], "/data");
	assert_int_equal(r->annotations.n, 2);
	assert_string_equal(r->annotations.v[0].key, "a");
	assert_string_equal(r->annotations.v[1].value, "last");
	pl_recipe_free(r);
}

static void test_recipe_defaults(void **state)
{
	struct pl_recipe *r = parse_ok("name: tiny\n");

	(void)state;
	assert_int_equal(r->tags.n, 1);
	assert_string_equal(r->tags.v[0], "latest");
	assert_false(r->tags.set);
	assert_int_equal(r->architectures.n, 1);
	assert_string_equal(r->architectures.v[0], "amd64");
	assert_string_equal(r->base, "scratch");
	assert_int_equal(r->patches, PL_RECIPE_PATCHES_ALL);
	assert_false(r->policy.set);
	assert_int_equal(r->policy.fail_on, PL_RECIPE_SEV_HIGH);
	assert_int_equal(r->nlayers, 0);
	assert_false(r->config.set);
	assert_false(r->config.entrypoint.set);
	assert_null(r->description);
	pl_recipe_free(r);

	r = parse_ok("name: x\npatches: none\nbase: registry.example/debian:12\n"
		     "tarballs: [{source: a.tar, sha256: "
		     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff}]\n");
	assert_int_equal(r->patches, PL_RECIPE_PATCHES_NONE);
	assert_string_equal(r->base, "registry.example/debian:12");
	assert_int_equal(r->nlayers, 1);
	assert_string_equal(r->layers[0].tarballs[0].destination, "/");
	assert_false(r->essential);
	assert_int_equal(r->dpkg_database, PL_RECIPE_DPKGDB_STATUS);
	pl_recipe_free(r);
}

static void test_recipe_package_options(void **state)
{
	struct pl_recipe *r = parse_ok("name: p\nsources: [s]\n"
				       "package_set: {essential: true, required: false}\n"
				       "dpkg_database: status.d\n"
				       "layers:\n  - {name: rt, packages: [libc6, \"zlib1g=1:1.2\"]}\n");

	(void)state;
	assert_true(r->essential);
	assert_false(r->required);
	assert_int_equal(r->dpkg_database, PL_RECIPE_DPKGDB_STATUS_D);
	assert_int_equal(r->layers[0].packages.n, 2);
	assert_string_equal(r->layers[0].packages.v[1], "zlib1g=1:1.2");
	assert_int_equal(r->layers[0].packages.marks[0].line, 6);
	pl_recipe_free(r);
	parse_bad("name: p\ndpkg_database: sqlite\n", PL_EINVAL,
		  "recipes/t.yaml:2:16: 'dpkg_database': 'sqlite' is not one of status, status.d, "
		  "both");
	parse_bad("name: p\npackage_set: {essentials: true}\n", PL_EINVAL,
		  "recipes/t.yaml:2:15: unknown key 'essentials' in package_set; did you mean "
		  "'essential'?");
}

static void test_recipe_modes(void **state)
{
	struct pl_recipe *r = parse_ok("name: m\nfiles:\n"
				       "  - {path: /a, content: x, mode: 0755}\n"
				       "  - {path: /b, content: x, mode: \"4755\"}\n"
				       "  - {path: /c, content: x, mode: 0o600}\n"
				       "  - {path: /d, content: x, mode: 0}\n"
				       "  - {path: /e, content: x, mode: \"07777\"}\n");

	(void)state;
	assert_int_equal(r->layers[0].files[0].mode, 0755);
	assert_int_equal(r->layers[0].files[1].mode, 04755);
	assert_int_equal(r->layers[0].files[2].mode, 0600);
	assert_int_equal(r->layers[0].files[3].mode, 0);
	assert_int_equal(r->layers[0].files[4].mode, 07777);
	pl_recipe_free(r);

	parse_bad("name: m\nfiles: [{path: /a, content: x, mode: 644}]\n", PL_EINVAL,
		  "recipes/t.yaml:2:38: 'mode': mode 644 is not octal; write it with a leading "
		  "zero (0644) or quote it (\"0644\")");
	parse_bad("name: m\nfiles: [{path: /a, content: x, mode: 010000}]\n", PL_EINVAL,
		  "recipes/t.yaml:2:38: 'mode': mode 010000 is out of range (at most 07777)");
	parse_bad("name: m\nfiles: [{path: /a, content: x, mode: \"0689\"}]\n", PL_EINVAL,
		  "recipes/t.yaml:2:38: 'mode': '0689' is not an octal mode such as 0644");
	parse_bad("name: m\ndirectories: [{path: /a, mode: [7]}]\n", PL_EINVAL,
		  "recipes/t.yaml:2:32: 'mode' must be an octal mode such as 0644 or \"0644\", "
		  "got a list");
}

static void test_recipe_syntax_error(void **state)
{
	(void)state;
	parse_bad("name: x\ntags: [a, b\nbase: y\n", PL_EINVAL,
		  "recipes/t.yaml:3:5: did not find expected ',' or ']' (while parsing a flow "
		  "sequence at 2:7)");
	parse_bad("name: x\n  bad: indent\n", PL_EINVAL,
		  "recipes/t.yaml:2:6: mapping values are not allowed in this context");
	parse_bad("name: \"x\n", PL_EINVAL,
		  "recipes/t.yaml:2:1: found unexpected end of stream (while scanning a quoted "
		  "scalar at 1:7)");
	parse_bad("name: x\ndescription: \xff\xfe\n", PL_EINVAL,
		  "recipes/t.yaml:2:14: invalid leading UTF-8 octet");
}

static void test_recipe_unknown_key(void **state)
{
	(void)state;
	parse_bad("name: x\ntag: [a]\n", PL_EINVAL,
		  "recipes/t.yaml:2:1: unknown key 'tag' in recipe; did you mean 'tags'?");
	parse_bad("name: x\nconfig:\n  usr: app\n", PL_EINVAL,
		  "recipes/t.yaml:3:3: unknown key 'usr' in 'config'; did you mean 'user'?");
	parse_bad("name: x\nfiles: [{path: /a, contnet: x}]\n", PL_EINVAL,
		  "recipes/t.yaml:2:20: unknown key 'contnet' in a file; did you mean 'content'?");
	parse_bad("name: x\nconfig: {exposed_port: [80]}\n", PL_EINVAL,
		  "recipes/t.yaml:2:10: unknown key 'exposed_port' in 'config'; did you mean "
		  "'exposed_ports'?");
	parse_bad("name: x\naccounts: {zzz: 1}\n", PL_EINVAL,
		  "recipes/t.yaml:2:12: unknown key 'zzz' in 'accounts' (known keys: groups, "
		  "users)");
}

static void test_recipe_wrong_types(void **state)
{
	(void)state;
	parse_bad("name: x\ntags: [12]\n", PL_EINVAL,
		  "recipes/t.yaml:2:8: item 1 of 'tags' must be a string, got an integer; quote "
		  "it: \"12\"");
	parse_bad("name: x\ntags: latest\n", PL_EINVAL,
		  "recipes/t.yaml:2:7: 'tags' must be a list, got a string");
	parse_bad("name: x\ndescription: yes\n", PL_EINVAL,
		  "recipes/t.yaml:2:14: 'description' must be a string, got 'yes' which YAML 1.1 "
		  "reads as a boolean; quote it");
	parse_bad("name: x\naccounts: {users: [{name: a, uid: \"1000\"}]}\n", PL_EINVAL,
		  "recipes/t.yaml:2:35: 'uid' must be an integer, got a string");
	parse_bad("name: x\naccounts: {users: [{name: a, uid: 0100}]}\n", PL_EINVAL,
		  "recipes/t.yaml:2:35: 'uid': 0100 has a leading zero, which YAML 1.1 reads as "
		  "octal; drop the zero or write 0o100");
	parse_bad("name: x\naccounts: {users: [{name: a, uid: 4294967295}]}\n", PL_EINVAL,
		  "recipes/t.yaml:2:35: 'uid': 4294967295 is out of range (0 to 4294967294)");
	parse_bad("name: x\nconfig: {env: {PORT: 8080}}\n", PL_EINVAL,
		  "recipes/t.yaml:2:22: 'PORT' must be a string, got an integer; quote it: "
		  "\"8080\"");
	parse_bad("name: x\nconfig:\n  env:\n", PL_EINVAL,
		  "recipes/t.yaml:3:7: 'env' must be a mapping, got null (an empty value)");
	parse_bad("name: x\npolicy: {fail_unfixed: on}\n", PL_EINVAL,
		  "recipes/t.yaml:2:24: 'fail_unfixed' must be a boolean, got 'on' which YAML 1.1 "
		  "reads as a boolean; write true or false");
	parse_bad("name: x\npolicy: {fail_on: severe}\n", PL_EINVAL,
		  "recipes/t.yaml:2:19: 'fail_on': 'severe' is not one of none, low, medium, high, "
		  "critical");
	parse_bad("name: x\npatches: some\n", PL_EINVAL,
		  "recipes/t.yaml:2:10: 'patches': 'some' is not one of all, none");
	parse_bad("name: x\nlayers: [[]]\n", PL_EINVAL,
		  "recipes/t.yaml:2:10: item 1 of 'layers' must be a mapping, got a list");
	parse_bad("- name: x\n", PL_EINVAL,
		  "recipes/t.yaml:1:1: a recipe must be a mapping of keys, got a list");
	parse_bad("", PL_EINVAL, "recipes/t.yaml:1:1: empty document: a recipe must be a mapping");
	parse_bad("name: x\narchitectures: [amd64, sparc]\n", PL_EINVAL,
		  "recipes/t.yaml:2:24: unknown architecture 'sparc' (use a Debian name: amd64, "
		  "arm64, armhf, armel, i386, ppc64el, s390x, mips64el, riscv64)");
	parse_bad("name: x\nconfig: {exposed_ports: [\"80/http\"]}\n", PL_EINVAL,
		  "recipes/t.yaml:2:26: item 1 of 'exposed_ports': protocol 'http' is not tcp, udp "
		  "or sctp");
	parse_bad(
	    "name: x\nconfig: {exposed_ports: [70000]}\n", PL_EINVAL,
	    "recipes/t.yaml:2:26: item 1 of 'exposed_ports': port 70000 is out of range (1 to "
	    "65535)");
	parse_bad("name: x\nconfig: {stop_signal: TERM}\n", PL_EINVAL,
		  "recipes/t.yaml:2:23: 'stop_signal': 'TERM' is not a signal such as SIGTERM or a "
		  "number");
}

static void test_recipe_required_and_exclusive(void **state)
{
	(void)state;
	parse_bad("tags: [a]\n", PL_EINVAL,
		  "recipes/t.yaml:1:1: recipe is missing required key 'name'");
	parse_bad("name: Bad_Name\n", PL_EINVAL,
		  "recipes/t.yaml:1:7: 'name': 'Bad_Name' is not a valid recipe name (lowercase "
		  "letters, digits, '.', '_', '-', starting with a letter or digit)");
	parse_bad("name: x\nfiles:\n  - path: /a\n    mode: \"0644\"\n", PL_EINVAL,
		  "recipes/t.yaml:3:5: file needs 'content' (inline) or 'source' (a repo path)");
	parse_bad("name: x\nfiles:\n  - path: /a\n    content: x\n    source: y\n", PL_EINVAL,
		  "recipes/t.yaml:5:5: file has both 'content' and 'source'; give one of them");
	parse_bad("name: x\nsymlinks: [{path: /a}]\n", PL_EINVAL,
		  "recipes/t.yaml:2:12: symlink is missing required key 'target'");
	parse_bad("name: x\naccounts: {groups: [{name: g}]}\n", PL_EINVAL,
		  "recipes/t.yaml:2:21: group is missing required key 'gid'");
}

static void test_recipe_bad_sha256(void **state)
{
	(void)state;
	parse_bad("name: x\ntarballs:\n  - source: a.tar\n    sha256: abc123\n", PL_EINVAL,
		  "recipes/t.yaml:4:13: 'sha256' must be 64 lowercase hex digits (sha256sum of the "
		  "tarball), got 'abc123'");
	parse_bad(
	    "name: x\ntarballs:\n  - source: a.tar\n    sha256: "
	    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\n",
	    PL_EINVAL,
	    "recipes/t.yaml:4:13: 'sha256' must be 64 lowercase hex digits (sha256sum of the "
	    "tarball), got 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF'");
	parse_bad("name: x\ntarballs:\n  - source: a.tar\n", PL_EINVAL,
		  "recipes/t.yaml:3:5: tarball is missing required key 'sha256'");
}

static void test_recipe_duplicate_key(void **state)
{
	(void)state;
	parse_bad("name: x\ntags: [a]\nname: y\n", PL_EINVAL,
		  "recipes/t.yaml:3:1: duplicate key 'name' (first at 1:1)");
	parse_bad("name: x\nconfig:\n  env:\n    A: \"1\"\n    B: \"2\"\n    \"A\": \"3\"\n",
		  PL_EINVAL, "recipes/t.yaml:6:5: duplicate key 'A' (first at 4:5)");
}

static void test_recipe_yaml_features_refused(void **state)
{
	(void)state;
	parse_bad("name: &n x\n", PL_EINVAL,
		  "recipes/t.yaml:1:7: anchors ('&n') are not supported; repeat the value instead");
	parse_bad(
	    "name: x\ntags: [a]\ndescription: *a\n", PL_EINVAL,
	    "recipes/t.yaml:3:14: aliases ('*a') are not supported; repeat the value instead");
	parse_bad("name: !!str x\n", PL_EINVAL,
		  "recipes/t.yaml:1:7: explicit tags ('tag:yaml.org,2002:str') are not supported; "
		  "quote strings instead");
	parse_bad("name: x\n---\nname: y\n", PL_EINVAL,
		  "recipes/t.yaml:2:1: only one YAML document is allowed per file");
	parse_bad("name: x\n? [a]\n: b\n", PL_EINVAL,
		  "recipes/t.yaml:2:3: mapping keys must be plain strings, not a list");
	parse_bad("name: \"a\\0b\"\n", PL_EINVAL,
		  "recipes/t.yaml:1:7: 'name' contains a NUL character");
}

static void test_recipe_billion_laughs(void **state)
{
	const char *yaml =
	    "name: x\n"
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n";
	struct pl_err err = PL_ERR_INIT;
	struct pl_recipe *r = NULL;

	(void)state;
	assert_int_equal(pl_recipe_parse(yaml, strlen(yaml), "t.yaml", &r, &err), PL_EINVAL);
	assert_null(r);
	assert_non_null(strstr(err.msg, "anchors"));
}

static void test_recipe_limits(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_recipe *r = NULL;
	size_t n = PL_RECIPE_MAX_DEPTH + 5, len;
	char *deep = malloc(2 * n + 64);
	char *big;

	(void)state;
	assert_non_null(deep);
	len = (size_t)snprintf(deep, 64, "name: x\ndescription: ");
	for (size_t i = 0; i < n; i++)
		deep[len++] = '[';
	for (size_t i = 0; i < n; i++)
		deep[len++] = ']';
	deep[len] = '\0';
	assert_int_equal(pl_recipe_parse(deep, len, "t.yaml", &r, &err), PL_ETOOBIG);
	assert_string_equal(err.msg, "t.yaml:2:45: nested deeper than 32 levels");
	free(deep);

	big = calloc(1, PL_RECIPE_MAX_BYTES + 2);
	assert_non_null(big);
	memset(big, ' ', PL_RECIPE_MAX_BYTES + 1);
	pl_err_init(&err);
	assert_int_equal(pl_recipe_parse(big, PL_RECIPE_MAX_BYTES + 1, "t.yaml", &r, &err),
			 PL_ETOOBIG);
	assert_string_equal(err.msg, "t.yaml:1:1: larger than 1048576 bytes");
	free(big);
}

static void test_recipe_content_with_nul(void **state)
{
	struct pl_recipe *r = parse_ok("name: x\nfiles: [{path: /bin/blob, content: \"a\\0b\"}]\n");

	(void)state;
	assert_int_equal(r->layers[0].files[0].content_len, 3);
	assert_memory_equal(r->layers[0].files[0].content, "a\0b", 3);
	pl_recipe_free(r);
}

static void test_recipe_edit_distance_suggestions(void **state)
{
	(void)state;
	/* a transposition is one edit; far-off keys get the list instead */
	parse_bad("name: x\nsoruces: [a]\n", PL_EINVAL,
		  "recipes/t.yaml:2:1: unknown key 'soruces' in recipe; did you mean 'sources'?");
	parse_bad("name: x\nNAME: y\n", PL_EINVAL,
		  "recipes/t.yaml:2:1: unknown key 'NAME' in recipe (known keys: name, tags, "
		  "description, base, architectures, sources, packages, patches, policy, layers, "
		  "files, directories, symlinks, tarballs, accounts, config, annotations, package_set, dpkg_database)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_recipe_full_model),
	    cmocka_unit_test(test_recipe_defaults),
	    cmocka_unit_test(test_recipe_package_options),
	    cmocka_unit_test(test_recipe_modes),
	    cmocka_unit_test(test_recipe_syntax_error),
	    cmocka_unit_test(test_recipe_unknown_key),
	    cmocka_unit_test(test_recipe_wrong_types),
	    cmocka_unit_test(test_recipe_required_and_exclusive),
	    cmocka_unit_test(test_recipe_bad_sha256),
	    cmocka_unit_test(test_recipe_duplicate_key),
	    cmocka_unit_test(test_recipe_yaml_features_refused),
	    cmocka_unit_test(test_recipe_billion_laughs),
	    cmocka_unit_test(test_recipe_limits),
	    cmocka_unit_test(test_recipe_content_with_nul),
	    cmocka_unit_test(test_recipe_edit_distance_suggestions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
