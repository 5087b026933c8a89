/* Tests for dpkg version ordering and syntax (deb/version.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/deb.h"
#include "testutil.h"

#define VDIR "../shared/vulndata/versions"

static int sign(int x)
{
	return x < 0 ? -1 : x > 0;
}

/* Checks both directions, so the order is antisymmetric. */
static void expect_cmp(const char *a, const char *b, int want)
{
	int got = sign(pl_debver_cmp(a, b)), back = sign(pl_debver_cmp(b, a));

	if (got != want || back != -want)
		fail_msg("cmp('%s', '%s') = %d (reverse %d), want %d", a, b, got, back, want);
}

static int op_sign(const char *op)
{
	if (strcmp(op, "<") == 0 || strcmp(op, "<<") == 0)
		return -1;
	if (strcmp(op, "=") == 0)
		return 0;
	if (strcmp(op, ">") == 0 || strcmp(op, ">>") == 0)
		return 1;
	fail_msg("unknown operator '%s'", op);
	return 2;
}

static void test_debver_own_table(void **state)
{
	static const struct {
		const char *a, *b;
		int want;
	} t[] = {
		{ "1.0", "1.0", 0 },
		{ "1.0", "1.1", -1 },
		{ "1.0~rc1", "1.0", -1 },
		{ "1.0~rc1", "1.0~rc2", -1 },
		{ "1.0~~", "1.0~", -1 },
		{ "1.0~", "1.0", -1 },
		{ "1.0", "1.0a", -1 },
		{ "1.0a", "1.0+", -1 },
		{ "1.0+", "1.0.", -1 },   /* '+' (43) before '.' (46) */
		{ "1:0.1", "2.0", 1 },
		{ "0:2.0", "2.0", 0 },
		{ "10:1", "9:9", 1 },
		{ "1.0-1", "1.0-1", 0 },
		{ "1.0-1", "1.0-2", -1 },
		{ "1.0", "1.0-0", 0 },
		{ "1.0-0", "1.0-00", 0 },
		{ "1.0-1", "1.0-1ubuntu1", -1 },
		{ "1.0-1+deb12u1", "1.0-1+b1", 1 },
		{ "1.0-1~deb12u1", "1.0-1", -1 },
		{ "001", "1", 0 },
		{ "1.00010", "1.9", 1 },
		{ "1.2.3-a-b", "1.2.3-a-c", -1 }, /* upstream "1.2.3-a", revisions b, c */
		{ "a", "b", -1 },
		{ "Z", "a", -1 },                 /* uppercase sorts before lowercase */
		{ "1:1.2.13.dfsg-1", "1:1.2.13~dfsg-1", 1 },
		{ "2.36-9+deb12u4", "2.36-9+deb12u10", -1 },
		{ "18446744073709551616", "18446744073709551615", 1 }, /* no overflow */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_cmp(t[i].a, t[i].b, t[i].want);
	/* versions dpkg refuses still order deterministically */
	expect_cmp("1.0-", "1.0-", 0);
	assert_int_equal(sign(pl_debver_cmp("x:1", "1")), -sign(pl_debver_cmp("1", "x:1")));
}

static void test_debver_check(void **state)
{
	struct pl_err err = PL_ERR_INIT;

	(void)state;
	assert_int_equal(pl_debver_check("1:2.38.1-5+deb12u3", &err), 0);
	assert_int_equal(pl_debver_check("0.0~git20230101.abc-1~bpo12+1", &err), 0);
	assert_int_equal(pl_debver_check("1.0-", &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "revision number is empty"));
	pl_err_init(&err);
	assert_int_equal(pl_debver_check("", &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "empty"));
	pl_err_init(&err);
	assert_int_equal(pl_debver_check("1.0 2", &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "embedded spaces"));
	pl_err_init(&err);
	assert_int_equal(pl_debver_check("a1", &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "does not start with digit"));
}

/* Open a data file, or skip the test when the shared data is not there. */
static FILE *open_data(const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", VDIR, name);
	f = fopen(path, "r");
	if (!f) {
		print_message("skipped: %s not found (run from the repo root with "
			      "/work/shared/vulndata present)\n", path);
		skip();
	}
	return f;
}

/* "A op B" lines: osv-scalibr's generated and hand-written vectors. */
static void run_op_file(const char *name, size_t min_lines)
{
	FILE *f = open_data(name);
	char line[1024];
	size_t n = 0, bad = 0;

	while (fgets(line, sizeof(line), f)) {
		char a[256], op[8], b[256];

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%255s %7s %255s", a, op, b) != 3)
			fail_msg("%s: unparsable line '%s'", name, line);
		n++;
		if (sign(pl_debver_cmp(a, b)) != op_sign(op) ||
		    sign(pl_debver_cmp(b, a)) != -op_sign(op)) {
			print_error("%s: %s %s %s disagrees\n", name, a, op, b);
			bad++;
		}
	}
	fclose(f);
	assert_int_equal(bad, 0);
	assert_true(n >= min_lines);
}

static void test_debver_osv_generated(void **state)
{
	(void)state;
	run_op_file("osv-scalibr-debian-versions-generated.txt", 14442);
}

static void test_debver_osv_handwritten(void **state)
{
	(void)state;
	run_op_file("osv-scalibr-debian-versions.txt", 25);
}

/* dpkg-pairs.txt "A B" lines and dpkg's verdicts in dpkg-pairs.expected. */
static void test_debver_dpkg_pairs(void **state)
{
	FILE *f = open_data("dpkg-pairs.txt"), *g = open_data("dpkg-pairs.expected");
	char line[1024], want[16];
	size_t n = 0, bad = 0;

	(void)state;
	while (fgets(line, sizeof(line), f)) {
		char a[256], b[256];

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%255s %255s", a, b) != 2)
			fail_msg("dpkg-pairs.txt: unparsable line '%s'", line);
		if (!fgets(want, sizeof(want), g))
			fail_msg("dpkg-pairs.expected is shorter than dpkg-pairs.txt");
		n++;
		want[strcspn(want, "\n")] = '\0';
		if (sign(pl_debver_cmp(a, b)) != op_sign(want)) {
			print_error("dpkg says %s %s %s\n", a, want, b);
			bad++;
		}
	}
	assert_null(fgets(want, sizeof(want), g));
	fclose(f);
	fclose(g);
	assert_int_equal(bad, 0);
	assert_int_equal(n, 381);
}

/* dpkg-invalid.txt: "version<TAB>exit<TAB>message"; exit 2 = error. */
static void test_debver_dpkg_invalid(void **state)
{
	FILE *f = open_data("dpkg-invalid.txt");
	char line[1024];
	size_t n = 0;

	(void)state;
	while (fgets(line, sizeof(line), f)) {
		struct pl_err err = PL_ERR_INIT;
		char *v = line, *code, *msg, *why;
		int rc;

		if (line[0] == '#')
			continue;
		line[strcspn(line, "\n")] = '\0';
		code = strchr(v, '\t');
		assert_non_null(code);
		*code++ = '\0';
		msg = strchr(code, '\t');
		assert_non_null(msg);
		*msg++ = '\0';
		n++;
		rc = pl_debver_check(v, &err);
		if (strcmp(msg, "(valid)") == 0) {
			if (rc != 0)
				fail_msg("'%s' is valid for dpkg, we say: %s", v, err.msg);
			continue;
		}
		if (rc != PL_EINVAL)
			fail_msg("'%s' is rejected by dpkg (%s), we accept it", v, msg);
		/* the same reason, in dpkg's words */
		why = strstr(msg, "bad syntax: ");
		assert_non_null(why);
		if (!strstr(err.msg, why + strlen("bad syntax: ")))
			fail_msg("'%s': dpkg says '%s', we say '%s'", v, msg, err.msg);
	}
	fclose(f);
	assert_true(n >= 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debver_own_table),
		cmocka_unit_test(test_debver_check),
		cmocka_unit_test(test_debver_osv_generated),
		cmocka_unit_test(test_debver_osv_handwritten),
		cmocka_unit_test(test_debver_dpkg_pairs),
		cmocka_unit_test(test_debver_dpkg_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
