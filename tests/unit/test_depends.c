/* Tests for dependency fields (deb/depends.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/deb.h"
#include "testutil.h"
#include "util/buf.h"

static const char *op_name(enum pl_dep_op op)
{
	static const char *n[] = { "", "<<", "<=", "=", ">=", ">>" };

	return n[op];
}

/*
 * The list written back in a canonical form: "name:arch (op ver) [archs]",
 * alternatives joined by " | ", items by ", ".
 */
static char *render(const struct pl_deplist *l)
{
	struct pl_buf b = PL_BUF_INIT;
	struct pl_err err = PL_ERR_INIT;

	pl_buf_init(&b, 0);
	for (size_t i = 0; i < l->n; i++) {
		for (size_t j = 0; j < l->v[i].nalts; j++) {
			const struct pl_dep_alt *a = &l->v[i].alts[j];

			assert_int_equal(pl_buf_addf(&b, &err, "%s%s%s%s", i || j ? (j ? " | " : ", ") : "",
						     a->name, a->arch ? ":" : "",
						     a->arch ? a->arch : ""), 0);
			if (a->op != PL_DEP_ANY)
				assert_int_equal(pl_buf_addf(&b, &err, " (%s %s)", op_name(a->op),
							     a->version), 0);
			else
				assert_null(a->version);
			if (a->archs) {
				assert_int_equal(pl_buf_adds(&b, " [", &err), 0);
				for (char **p = a->archs; *p; p++)
					assert_int_equal(pl_buf_addf(&b, &err, "%s%s",
								     p == a->archs ? "" : " ", *p), 0);
				assert_int_equal(pl_buf_adds(&b, "]", &err), 0);
			}
		}
	}
	if (!b.data)
		assert_int_equal(pl_buf_adds(&b, "", &err), 0);
	return pl_buf_detach(&b, NULL);
}

static void expect(const char *in, const char *want)
{
	struct pl_deplist l;
	struct pl_err err = PL_ERR_INIT;
	char *got;

	if (pl_deplist_parse(in, "Depends", &l, &err) != 0)
		fail_msg("'%s': %s", in, err.msg);
	got = render(&l);
	if (strcmp(got, want) != 0)
		fail_msg("'%s' parsed as '%s', want '%s'", in, got, want);
	free(got);
	pl_deplist_release(&l);
}

static void expect_err(const char *in, const char *needle)
{
	struct pl_deplist l;
	struct pl_err err = PL_ERR_INIT;

	if (pl_deplist_parse(in, "Pre-Depends", &l, &err) != PL_EINVAL)
		fail_msg("'%s' was accepted", in);
	if (strncmp(err.msg, "Pre-Depends: ", 13) != 0 || !strstr(err.msg, needle))
		fail_msg("'%s': message '%s' lacks '%s'", in, err.msg, needle);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
}

static void test_depends_basic(void **state)
{
	struct pl_deplist l;
	struct pl_err err = PL_ERR_INIT;

	(void)state;
	assert_int_equal(pl_deplist_parse("libc6 (>= 2.34), debconf | debconf-2.0", "Depends", &l,
					  &err), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].nalts, 1);
	assert_string_equal(l.v[0].alts[0].name, "libc6");
	assert_int_equal(l.v[0].alts[0].op, PL_DEP_GE);
	assert_string_equal(l.v[0].alts[0].version, "2.34");
	assert_null(l.v[0].alts[0].arch);
	assert_null(l.v[0].alts[0].archs);
	assert_int_equal(l.v[1].nalts, 2);
	assert_string_equal(l.v[1].alts[1].name, "debconf-2.0");
	assert_int_equal(l.v[1].alts[1].op, PL_DEP_ANY);
	pl_deplist_release(&l);
	pl_deplist_release(&l); /* safe twice */

	expect("", "");
	expect(" \n\t ", "");
	expect("a", "a");
	expect("g++ (>= 4:12), libstdc++6, lib.x_y", "g++ (>= 4:12), libstdc++6, lib.x_y");
}

static void test_depends_relations(void **state)
{
	(void)state;
	expect("a (<< 1), b (<= 1), c (= 1), d (>= 1), e (>> 1)",
	       "a (<< 1), b (<= 1), c (= 1), d (>= 1), e (>> 1)");
	/* obsolete '<' and '>' mean '<=' and '>=' */
	expect("a (< 1), b (> 2)", "a (<= 1), b (>= 2)");
	/* whitespace and newlines anywhere between tokens, as in folded fields */
	expect("libc6\n (>=\n 2.34 )  ,\n foo|bar\t(=1:2-3~x)", "libc6 (>= 2.34), foo | bar (= 1:2-3~x)");
	expect("a(>=1)", "a (>= 1)");
}

static void test_depends_arch_and_profiles(void **state)
{
	(void)state;
	expect("python3:any, libc6:amd64 (>= 2), x:native", "python3:any, libc6:amd64 (>= 2), x:native");
	expect("a [amd64 i386], b [!armel !mips64el]", "a [amd64 i386], b [!armel !mips64el]");
	expect("gcc (>= 12) [linux-any] <!nocheck> <stage1 cross>, d <!nodoc>",
	       "gcc (>= 12) [linux-any], d");
	expect("a:any (>= 1) [ amd64 ] < !nocheck >", "a:any (>= 1) [amd64]");
}

static void test_depends_errors(void **state)
{
	(void)state;
	expect_err("libc6 (>= 2.34", "missing ')'");
	expect_err("a,,b", "missing package name");
	expect_err("a,", "missing package name");
	expect_err("a |", "missing package name");
	expect_err("(>= 1)", "missing package name");
	expect_err("a (~ 1)", "missing version relation");
	expect_err("a (>= )", "empty version");
	expect_err("a (>= 1.0-)", "revision number is empty");
	expect_err("a (>= 1:)", "nothing after colon");
	expect_err("a (>= 1 2)", "missing ')'");
	expect_err("a b", "garbage after a dependency");
	expect_err("-a", "must start with an alphanumeric");
	expect_err("a*b", "invalid character in package name");
	expect_err("a:", "empty architecture qualifier");
	expect_err("a [ ]", "empty architecture list");
	expect_err("a [amd64 !i386]", "mixes negated");
	expect_err("a [amd64", "missing ']'");
	expect_err("a [am/d64]", "bad architecture");
	expect_err("a <>", "empty build profile");
	expect_err("a <!nocheck", "missing '>'");
	expect_err("a (>= 1) (>= 2)", "garbage");
}

static void test_depends_version_ok(void **state)
{
	struct pl_dep_alt a;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_true(pl_dep_version_ok(&a, "0"));
	assert_true(pl_dep_version_ok(&a, NULL));
	a.version = "2.36-9";
	a.op = PL_DEP_GE;
	assert_true(pl_dep_version_ok(&a, "2.36-9"));
	assert_true(pl_dep_version_ok(&a, "2.36-9+deb12u4"));
	assert_false(pl_dep_version_ok(&a, "2.36-9~bpo1"));
	assert_false(pl_dep_version_ok(&a, NULL));
	a.op = PL_DEP_GT;
	assert_false(pl_dep_version_ok(&a, "2.36-9"));
	assert_true(pl_dep_version_ok(&a, "1:1.0"));
	a.op = PL_DEP_LT;
	assert_true(pl_dep_version_ok(&a, "2.36-9~"));
	assert_false(pl_dep_version_ok(&a, "2.36-9"));
	a.op = PL_DEP_LE;
	assert_true(pl_dep_version_ok(&a, "2.36-9"));
	assert_false(pl_dep_version_ok(&a, "2.36-10"));
	a.op = PL_DEP_EQ;
	assert_true(pl_dep_version_ok(&a, "0:2.36-9"));
	assert_false(pl_dep_version_ok(&a, "2.36-9.0"));
}

static bool arch_ok(const char *field, const char *arch)
{
	struct pl_deplist l;
	struct pl_err err = PL_ERR_INIT;
	bool ok;

	if (pl_deplist_parse(field, "Build-Depends", &l, &err) != 0)
		fail_msg("%s", err.msg);
	ok = pl_dep_arch_ok(&l.v[0].alts[0], arch);
	pl_deplist_release(&l);
	return ok;
}

static void test_depends_arch_ok(void **state)
{
	(void)state;
	assert_true(arch_ok("a", "amd64"));
	assert_true(arch_ok("a [amd64 arm64]", "arm64"));
	assert_false(arch_ok("a [amd64 arm64]", "i386"));
	assert_false(arch_ok("a [!i386]", "i386"));
	assert_true(arch_ok("a [!i386]", "amd64"));
	assert_true(arch_ok("a [linux-any]", "amd64"));
	assert_false(arch_ok("a [linux-any]", "hurd-i386"));
	assert_true(arch_ok("a [any-i386]", "hurd-i386"));
	assert_true(arch_ok("a [any-i386]", "i386"));
	assert_false(arch_ok("a [any-i386]", "amd64"));
	assert_false(arch_ok("a [!linux-any]", "arm64"));
	assert_true(arch_ok("a [any]", "s390x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_depends_basic),
		cmocka_unit_test(test_depends_relations),
		cmocka_unit_test(test_depends_arch_and_profiles),
		cmocka_unit_test(test_depends_errors),
		cmocka_unit_test(test_depends_version_ok),
		cmocka_unit_test(test_depends_arch_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
