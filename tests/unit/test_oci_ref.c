/* Unit tests for image references: docker grammar, oci: and rootfs: forms. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/oci.h"
#include "testutil.h"

#define D64 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct valid_case {
	const char *in;
	enum pl_ref_kind kind;
	const char *domain, *path, *tag, *digest;
	const char *formatted;
};

static const struct valid_case valid[] = {
    {"debian", PL_REF_REGISTRY, "docker.io", "library/debian", NULL, NULL,
     "docker.io/library/debian"},
    {"debian:12", PL_REF_REGISTRY, "docker.io", "library/debian", "12", NULL,
     "docker.io/library/debian:12"},
    {"docker://debian:bookworm-slim", PL_REF_REGISTRY, "docker.io", "library/debian",
     "bookworm-slim", NULL, "docker.io/library/debian:bookworm-slim"},
    {"library/debian", PL_REF_REGISTRY, "docker.io", "library/debian", NULL, NULL,
     "docker.io/library/debian"},
    {"foo/bar", PL_REF_REGISTRY, "docker.io", "foo/bar", NULL, NULL, "docker.io/foo/bar"},
    {"docker.io/debian", PL_REF_REGISTRY, "docker.io", "library/debian", NULL, NULL,
     "docker.io/library/debian"},
    {"index.docker.io/foo/bar:1", PL_REF_REGISTRY, "docker.io", "foo/bar", "1", NULL,
     "docker.io/foo/bar:1"},
    {"localhost/foo", PL_REF_REGISTRY, "localhost", "foo", NULL, NULL, "localhost/foo"},
    {"localhost:5000/foo/bar:v1.2", PL_REF_REGISTRY, "localhost:5000", "foo/bar", "v1.2", NULL,
     "localhost:5000/foo/bar:v1.2"},
    {"127.0.0.1:5000/a/b/c@" D64, PL_REF_REGISTRY, "127.0.0.1:5000", "a/b/c", NULL, D64,
     "127.0.0.1:5000/a/b/c@" D64},
    {"ghcr.io/org/img:tag@" D64, PL_REF_REGISTRY, "ghcr.io", "org/img", "tag", D64,
     "ghcr.io/org/img:tag@" D64},
    {"debian@" D64, PL_REF_REGISTRY, "docker.io", "library/debian", NULL, D64,
     "docker.io/library/debian@" D64},
    {"registry.example.com/a__b/c-d/e.f/g--h_i", PL_REF_REGISTRY, "registry.example.com",
     "a__b/c-d/e.f/g--h_i", NULL, NULL, "registry.example.com/a__b/c-d/e.f/g--h_i"},
    {"[::1]:5000/x:y", PL_REF_REGISTRY, "[::1]:5000", "x", "y", NULL, "[::1]:5000/x:y"},
    {"my-reg.example:443/x", PL_REF_REGISTRY, "my-reg.example:443", "x", NULL, NULL,
     "my-reg.example:443/x"},
    /* docker treats an uppercase first component as a registry host */
    {"Foo/bar", PL_REF_REGISTRY, "Foo", "bar", NULL, NULL, "Foo/bar"},
    {"x:_Tag.1-2", PL_REF_REGISTRY, "docker.io", "library/x", "_Tag.1-2", NULL,
     "docker.io/library/x:_Tag.1-2"},
    {"oci:/tmp/layout:12", PL_REF_OCI, NULL, "/tmp/layout", "12", NULL, "oci:/tmp/layout:12"},
    {"oci:/tmp/layout", PL_REF_OCI, NULL, "/tmp/layout", NULL, NULL, "oci:/tmp/layout"},
    {"oci:out", PL_REF_OCI, NULL, "out", NULL, NULL, "oci:out"},
    {"oci:./a/b:v1.0_rc-1", PL_REF_OCI, NULL, "./a/b", "v1.0_rc-1", NULL, "oci:./a/b:v1.0_rc-1"},
    /* the text after the last ':' has a '/', so it is part of the path */
    {"oci:/a:b/c", PL_REF_OCI, NULL, "/a", "b/c", NULL, "oci:/a:b/c"},
    {"oci:out:debian-base:12", PL_REF_OCI, NULL, "out", "debian-base:12", NULL, "oci:out:debian-base:12"},
    {"oci:/a:b--c.d_e@f+g", PL_REF_OCI, NULL, "/a", "b--c.d_e@f+g", NULL, "oci:/a:b--c.d_e@f+g"},
    {"rootfs:/srv/tree", PL_REF_ROOTFS, NULL, "/srv/tree", NULL, NULL, "rootfs:/srv/tree"},
    {"rootfs:/a:b", PL_REF_ROOTFS, NULL, "/a:b", NULL, NULL, "rootfs:/a:b"},
};

static void assert_str_or_null(const char *want, const char *got)
{
	if (!want)
		assert_null(got);
	else
		assert_string_equal(want, got);
}

static void test_oci_ref_valid_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		const struct valid_case *c = &valid[i];
		struct pl_err err = PL_ERR_INIT;
		struct pl_buf b = PL_BUF_INIT;
		struct pl_ref r, r2;
		int rc = pl_ref_parse(c->in, &r, &err);

		if (rc != 0)
			fail_msg("'%s': %s", c->in, err.msg);
		assert_int_equal(r.kind, c->kind);
		assert_str_or_null(c->domain, r.domain);
		assert_str_or_null(c->path, r.path);
		assert_str_or_null(c->tag, r.tag);
		assert_str_or_null(c->digest, r.digest);
		assert_int_equal(pl_ref_format(&r, &b, &err), 0);
		assert_string_equal(b.data, c->formatted);

		/* the formatted form parses back to the same reference */
		assert_int_equal(pl_ref_parse(b.data, &r2, &err), 0);
		assert_int_equal(r2.kind, r.kind);
		assert_str_or_null(r.domain, r2.domain);
		assert_str_or_null(r.path, r2.path);
		assert_str_or_null(r.tag, r2.tag);
		assert_str_or_null(r.digest, r2.digest);
		pl_ref_release(&r2);
		pl_ref_release(&r);
		pl_buf_release(&b);
	}
}

struct invalid_case {
	const char *in;
	const char *msg; /* substring of the error */
};

static const struct invalid_case invalid[] = {
    {"", "empty name"},
    {"Debian", "must be lowercase"},
    {"foo/Bar", "must be lowercase"},
    {"ghcr.io/Org/img", "must be lowercase"},
    {"debian:", "invalid tag"},
    {"debian:-x", "invalid tag"},
    {"debian:a/b", "invalid registry"}, /* a ':' before the last '/' is a port */
    {"debian@sha256:abc", "invalid digest"},
    {"debian@sha512:0123", "unsupported digest algorithm"},
    {"debian@", "invalid digest"},
    {"a//b", "invalid repository name"},
    {"a/", "invalid repository name"},
    {"-a", "invalid repository name"},
    {"a..b", "invalid repository name"},
    {"a_-b", "invalid repository name"},
    {"a___b", "invalid repository name"},
    {"a b", "invalid repository name"},
    {"localhost:abc/x", "invalid registry"},
    {"localhost:/x", "invalid registry"},
    {"exa_mple.com/x", "invalid registry"},
    {"-bad.com/x", "invalid registry"},
    {"host:5000/", "invalid repository name"},
    {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "image id"},
    {"oci:", "empty path"},
    {"oci::tag", "empty path"},
    {"oci:/x:", "empty ref name"},
    {"oci:/x:a//b", "not a valid ref name"},
    {"oci:/x:-a", "not a valid ref name"},
    {"oci:/x:a..b", "not a valid ref name"},
    {"oci:/x:a b", "not a valid ref name"},
    {"rootfs:", "empty path"},
    {"docker://", "empty name"},
};

static void test_oci_ref_invalid_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		struct pl_err err = PL_ERR_INIT;
		struct pl_ref r;
		int rc = pl_ref_parse(invalid[i].in, &r, &err);

		if (rc != PL_EINVAL)
			fail_msg("'%s' parsed (rc %d)", invalid[i].in, rc);
		if (!strstr(err.msg, invalid[i].msg))
			fail_msg("'%s': message '%s' lacks '%s'", invalid[i].in, err.msg,
				 invalid[i].msg);
		/* the message names the input */
		if (!strstr(err.msg, invalid[i].in))
			fail_msg("'%s': message '%s' does not name the input", invalid[i].in,
				 err.msg);
		pl_ref_release(&r);
	}
}

static void test_oci_ref_tag_length(void **state)
{
	char in[300], tag[140];
	struct pl_err err = PL_ERR_INIT;
	struct pl_ref r;

	(void)state;
	memset(tag, 'a', 128);
	tag[128] = '\0';
	snprintf(in, sizeof(in), "x:%s", tag);
	assert_int_equal(pl_ref_parse(in, &r, &err), 0);
	assert_int_equal(strlen(r.tag), 128);
	pl_ref_release(&r);

	tag[128] = 'a';
	tag[129] = '\0';
	snprintf(in, sizeof(in), "x:%s", tag);
	assert_int_equal(pl_ref_parse(in, &r, &err), PL_EINVAL);
	pl_ref_release(&r);
	assert_false(pl_ref_tag_valid(tag));
	assert_true(pl_ref_tag_valid("_"));
	assert_false(pl_ref_tag_valid(".a"));
}

static void test_oci_ref_name_length(void **state)
{
	char in[400];
	struct pl_err err = PL_ERR_INIT;
	struct pl_ref r;
	size_t n;

	(void)state;
	/* "docker.io/" + 245 = 255: the limit */
	memcpy(in, "docker.io/", 10);
	memset(in + 10, 'a', 245);
	in[255] = '\0';
	assert_int_equal(pl_ref_parse(in + 10, &r, &err), PL_EINVAL); /* library/ pushes it over */
	pl_ref_release(&r);
	pl_err_init(&err);
	memcpy(in + 10, "b/", 2);
	assert_int_equal(pl_ref_parse(in, &r, &err), 0);
	n = strlen(r.domain) + 1 + strlen(r.path);
	assert_int_equal(n, 255);
	pl_ref_release(&r);
	in[255] = 'a';
	in[256] = '\0';
	assert_int_equal(pl_ref_parse(in, &r, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "longer than"));
	pl_ref_release(&r);
}

static void test_oci_ref_reference(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_ref r;

	(void)state;
	assert_int_equal(pl_ref_parse("debian", &r, &err), 0);
	assert_string_equal(pl_ref_reference(&r), "latest");
	pl_ref_release(&r);
	assert_int_equal(pl_ref_parse("debian:12", &r, &err), 0);
	assert_string_equal(pl_ref_reference(&r), "12");
	pl_ref_release(&r);
	assert_int_equal(pl_ref_parse("debian:12@" D64, &r, &err), 0);
	assert_string_equal(pl_ref_reference(&r), D64);
	pl_ref_release(&r);
}

static void test_oci_ref_format_unrepresentable(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf b = PL_BUF_INIT;
	char path[] = "/srv/a:b";
	struct pl_ref r = {.kind = PL_REF_OCI, .path = path};

	(void)state;
	/* "oci:/srv/a:b" would parse as path /srv/a, ref b */
	assert_int_equal(pl_ref_format(&r, &b, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "contains ':'"));
	pl_buf_release(&b);
}

static void test_oci_ref_format_name(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf b = PL_BUF_INIT;
	struct pl_ref r;

	(void)state;
	assert_int_equal(pl_ref_parse("localhost:5000/a/b:1@" D64, &r, &err), 0);
	assert_int_equal(pl_ref_format_name(&r, &b, &err), 0);
	assert_string_equal(b.data, "localhost:5000/a/b");
	pl_ref_release(&r);
	pl_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_oci_ref_valid_table),
	    cmocka_unit_test(test_oci_ref_invalid_table),
	    cmocka_unit_test(test_oci_ref_tag_length),
	    cmocka_unit_test(test_oci_ref_name_length),
	    cmocka_unit_test(test_oci_ref_reference),
	    cmocka_unit_test(test_oci_ref_format_unrepresentable),
	    cmocka_unit_test(test_oci_ref_format_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
