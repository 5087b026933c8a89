/* Tests for the deb822 paragraph parser (deb/deb822.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/deb.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/fsutil.h"

#define SDIR "../shared/vulndata/dpkg-status"

/* Records every paragraph as "line|Name=value|Name=value" lines. */
struct rec {
	struct pl_buf out;
	size_t n;
	int stop_at; /* fail on this paragraph number (1-based), 0 = never */
};

static int rec_fn(const struct pl_deb822_para *p, void *ctx, struct pl_err *err)
{
	struct rec *r = ctx;

	r->n++;
	if (r->stop_at && (int)r->n == r->stop_at)
		return pl_err_set(err, PL_EVERIFY, "stop at %zu", r->n);
	if (pl_buf_addf(&r->out, err, "%d", p->line) < 0)
		return PL_ENOMEM;
	for (size_t i = 0; i < p->n; i++)
		if (pl_buf_addf(&r->out, err, "|%s@%d=%s", p->fields[i].name, p->fields[i].line,
				p->fields[i].value) < 0)
			return PL_ENOMEM;
	return pl_buf_addch(&r->out, '\n', err);
}

static int parse(const char *text, struct rec *r, struct pl_err *err)
{
	pl_buf_init(&r->out, 0);
	r->n = 0;
	return pl_deb822_parse(text, strlen(text), "t", rec_fn, r, err);
}

static void expect(const char *text, const char *want)
{
	struct rec r = { PL_BUF_INIT, 0, 0 };
	struct pl_err err = PL_ERR_INIT;
	int rc = parse(text, &r, &err);

	if (rc != 0)
		fail_msg("parse failed: %s", err.msg);
	if (strcmp(r.out.data ? r.out.data : "", want) != 0)
		fail_msg("got:\n%s\nwant:\n%s", r.out.data ? r.out.data : "", want);
	pl_buf_release(&r.out);
}

static void expect_err(const char *text, int code, const char *needle)
{
	struct rec r = { PL_BUF_INIT, 0, 0 };
	struct pl_err err = PL_ERR_INIT;
	int rc = parse(text, &r, &err);

	if (rc != code)
		fail_msg("rc %d, want %d (%s)", rc, code, err.msg);
	if (!strstr(err.msg, needle))
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
	pl_buf_release(&r.out);
}

static void test_deb822_paragraphs(void **state)
{
	(void)state;
	expect("Package: a\nVersion: 1\n\nPackage: b\n", "1|Package@1=a|Version@2=1\n4|Package@4=b\n");
	/* several blank and whitespace-only lines, no final newline */
	expect("\n\nA: 1\n\n \t\n\nB: 2", "3|A@3=1\n7|B@7=2\n");
	/* comments are skipped, also between a field and its continuation */
	expect("# head\nA: 1\n# c\n more\n", "2|A@2=1\n more\n");
	expect("", "");
	expect("\n\n# only a comment\n\n", "");
}

static void test_deb822_values(void **state)
{
	(void)state;
	/* trailing whitespace trimmed, continuation lines keep their leading space */
	expect("Description: short  \n long line\t\n .\n  indented\n",
	       "1|Description@1=short\n long line\n .\n  indented\n");
	/* an empty first line (Conffiles, Description in some files) */
	expect("Conffiles:\n /etc/a 0123\n /etc/b 4567\n",
	       "1|Conffiles@1=\n /etc/a 0123\n /etc/b 4567\n");
	/* no space after the colon, colons in the value, CRLF line ends */
	expect("A:b:c\r\nB:  x y \r\n", "1|A@1=b:c|B@2=x y\n");
	/* a tab continuation */
	expect("A: 1\n\t2\n", "1|A@1=1\n\t2\n");
}

static void test_deb822_get_case_insensitive(void **state)
{
	struct pl_deb822_field f[] = { { "Package", "zlib1g", 1 }, { "Source", "zlib", 2 } };
	struct pl_deb822_para p = { f, 2, 1 };

	(void)state;
	assert_string_equal(pl_deb822_get(&p, "package"), "zlib1g");
	assert_string_equal(pl_deb822_get(&p, "SOURCE"), "zlib");
	assert_null(pl_deb822_get(&p, "Version"));
	assert_null(pl_deb822_get(&p, "Packag"));
}

static void test_deb822_errors(void **state)
{
	(void)state;
	expect_err("A: 1\nno colon here\n", PL_EINVAL, "t:2: expected 'Name: value'");
	expect_err(" leading\n", PL_EINVAL, "t:1: continuation line outside a field");
	expect_err("A: 1\n\n more\n", PL_EINVAL, "t:3: continuation");
	expect_err("A: 1\nB: 2\na: 3\n", PL_EINVAL, "t:3: duplicate field 'a' (first at line 1)");
	expect_err(": v\n", PL_EINVAL, "t:1: bad field name");
	expect_err("A B: v\n", PL_EINVAL, "t:1: bad field name");
	expect_err("-----BEGIN PGP SIGNED MESSAGE-----\n", PL_EINVAL, "t:1:");
	{
		static const char nul[] = "A: 1\nB: x\0y\n";
		struct rec r = { PL_BUF_INIT, 0, 0 };
		struct pl_err err = PL_ERR_INIT;

		pl_buf_init(&r.out, 0);
		assert_int_equal(pl_deb822_parse(nul, sizeof(nul) - 1, "t", rec_fn, &r, &err),
				 PL_EINVAL);
		assert_non_null(strstr(err.msg, "t:2: NUL byte"));
		pl_buf_release(&r.out);
	}
	/* the same field twice in different paragraphs is fine */
	expect("A: 1\n\nA: 2\n", "1|A@1=1\n3|A@3=2\n");
}

static void test_deb822_callback_error_stops(void **state)
{
	struct rec r = { PL_BUF_INIT, 0, 2 };
	struct pl_err err = PL_ERR_INIT;

	(void)state;
	assert_int_equal(parse("A: 1\n\nA: 2\n\nA: 3\n", &r, &err), PL_EVERIFY);
	assert_string_equal(err.msg, "stop at 2");
	assert_int_equal(r.n, 2);
	pl_buf_release(&r.out);
}

/* Real status files: every paragraph is one package. */
struct count {
	size_t paras, with_source;
};

static int count_fn(const struct pl_deb822_para *p, void *ctx, struct pl_err *err)
{
	struct count *c = ctx;

	if (!pl_deb822_get(p, "Package") || !pl_deb822_get(p, "status"))
		return pl_err_set(err, PL_EINVAL, "paragraph at %d has no Package/Status", p->line);
	c->paras++;
	if (pl_deb822_get(p, "Source"))
		c->with_source++;
	return 0;
}

static void parse_status(const char *path, size_t want, size_t want_source)
{
	struct pl_buf b = PL_BUF_INIT;
	struct pl_err err = PL_ERR_INIT;
	struct count c = { 0, 0 };

	if (pl_read_file(path, 0, &b, &err) < 0) {
		print_message("skipped: %s: %s\n", path, err.msg);
		skip();
	}
	if (pl_deb822_parse(b.data, b.len, path, count_fn, &c, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.paras, want);
	if (want_source)
		assert_int_equal(c.with_source, want_source);
	pl_buf_release(&b);
}

static void test_deb822_real_status_files(void **state)
{
	(void)state;
	parse_status(SDIR "/bookworm-devhost.status", 816, 671);
	parse_status(SDIR "/bookworm-minbase.status", 96, 68);
	parse_status(SDIR "/bullseye-minbase.status", 96, 72);
	parse_status(SDIR "/trixie-minbase.status", 78, 58);
}

/*
 * A Packages-sized input (63k paragraphs, ~60 MB) parses quickly and its
 * memory does not grow with the input (the arena is reused).
 */
static void test_deb822_large_packages_file(void **state)
{
	struct pl_buf b = PL_BUF_INIT;
	struct pl_err err = PL_ERR_INIT;
	struct count c = { 0, 0 };
	struct timespec t0, t1;
	double secs;

	(void)state;
	pl_buf_init(&b, 0);
	for (int i = 0; i < 63000; i++) {
		assert_int_equal(
			pl_buf_addf(&b, &err,
				    "Package: pkg%d\nSource: src%d (1.%d-1)\nVersion: 1:%d.0-1+deb12u1\n"
				    "Installed-Size: %d\nMaintainer: Someone <someone@example.org>\n"
				    "Architecture: amd64\nStatus: install ok installed\n"
				    "Depends: libc6 (>= 2.34), libfoo%d (= 1.%d-1) | bar, baz:any\n"
				    "Description: package number %d\n",
				    i, i / 3, i, i, i * 7, i, i, i),
			0);
		for (int j = 0; j < 12; j++)
			assert_int_equal(pl_buf_adds(&b, " This is a long description line of a "
						 "fairly typical length for Debian packages.\n"
						 " .\n", &err), 0);
		assert_int_equal(pl_buf_addf(&b, &err, "Filename: pool/main/p/pkg%d.deb\n"
					     "SHA256: %064d\n\n", i, i), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pl_deb822_parse(b.data, b.len, "Packages", count_fn, &c, &err) < 0)
		fail_msg("%s", err.msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("deb822: %zu paragraphs, %.1f MB in %.3f s (%.0f MB/s)\n", c.paras,
		      (double)b.len / 1e6, secs, (double)b.len / 1e6 / secs);
	assert_int_equal(c.paras, 63000);
	assert_int_equal(c.with_source, 63000);
	assert_true(b.len > 60000000);
	assert_true(secs < 10.0); /* generous: sanitizer builds run this too */
	pl_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deb822_paragraphs),
		cmocka_unit_test(test_deb822_values),
		cmocka_unit_test(test_deb822_get_case_insensitive),
		cmocka_unit_test(test_deb822_errors),
		cmocka_unit_test(test_deb822_callback_error_stops),
		cmocka_unit_test(test_deb822_real_status_files),
		cmocka_unit_test(test_deb822_large_packages_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
