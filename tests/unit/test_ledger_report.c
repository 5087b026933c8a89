/*
 * ledger reports: the terminal tables, Markdown and HTML renderings of a
 * small ledger with every rollout state: the right cells and states,
 * escaping of a hostile recipe name and patch metadata everywhere, the
 * HTML's self-containment (no external src/href, the embedded JSON cannot
 * close its script), the advisory's pull and verify commands by digest,
 * and the history table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/ledger.h"
#include "util/buf.h"
#include "testutil.h"

#define EVIL "<script>alert(1)</script>"
#define EVIL_HTML "&lt;script&gt;alert(1)&lt;/script&gt;"

struct fx {
	char *dir, *path;
	struct pl_ledger *l;
	struct pl_buf out;
};

static const char *const p1_cves[] = {"CVE-2026-0001", "CVE-2026-0002"};
static const char *const p2_cves[] = {"CVE-2026-0003"};
static const char *const tags[] = {"12", "bookworm"};
static const char *const pub_loc[] = {"registry.example/app:12"};

static struct pl_ledger_patch_eval ev(const char *id, enum pl_ledger_eval status)
{
	struct pl_ledger_patch_eval e;

	memset(&e, 0, sizeof(e));
	e.patch.id = id;
	e.status = status;
	if (strcmp(id, "P1") == 0) {
		e.patch.title = "OpenSSL security update";
		e.patch.severity = "high";
		e.patch.cves = p1_cves;
		e.patch.ncves = 2;
		e.patch.advisory = "https://security.example/P1";
	} else if (strcmp(id, "P2") == 0) {
		e.patch.title = "glibc </script><img src=x onerror=alert(2)>";
		e.patch.severity = "critical";
		e.patch.cves = p2_cves;
		e.patch.ncves = 1;
		e.patch.advisory = "javascript:alert(3)";
	}
	return e;
}

static void add(struct pl_ledger *l, const char *recipe, int64_t t,
		enum pl_ledger_outcome outcome, int pub, const struct pl_ledger_patch_eval *e,
		size_t ne, const char *msg)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_build b;
	char digest[80], commit[48];

	memset(&b, 0, sizeof(b));
	snprintf(digest, sizeof(digest), "sha256:%064lld", (long long)t);
	snprintf(commit, sizeof(commit), "%040lld", (long long)t);
	b.recipe = recipe;
	b.started = t;
	b.finished = t + 5;
	b.outcome = outcome;
	b.message = msg;
	b.commit = commit;
	b.image_digest = outcome == PL_LEDGER_SUCCESS ? digest : NULL;
	if (outcome == PL_LEDGER_SUCCESS) {
		b.tags = tags;
		b.ntags = 2;
	}
	if (pub) {
		b.published = pub_loc;
		b.npublished = 1;
	}
	b.before.fixable[PL_LEDGER_HIGH] = 2;
	b.before.unfixed[PL_LEDGER_LOW] = 3;
	b.after.unfixed[PL_LEDGER_LOW] = 3;
	b.patches = e;
	b.npatches = ne;
	if (pl_ledger_append(l, &b, NULL, &err) < 0)
		fail_msg("append: %s", err.msg);
}

/*
 * Images app, web and EVIL; patches P1 (from t=100), P2 (t=500), P3
 * (upserted at t=900, never built):
 *          app                         EVIL       web
 *   P1     published + latest failed   built      not-applicable
 *   P2     failed                      pending    failed
 *   P3     pending                     pending    pending
 */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_patch_eval a1 = ev("P1", PL_LEDGER_APPLIED);
	struct pl_ledger_patch_eval n1[2] = {ev("P1", PL_LEDGER_NOT_APPLICABLE),
					     ev("P2", PL_LEDGER_APPLIED)};
	struct pl_ledger_patch_eval both[2] = {ev("P1", PL_LEDGER_APPLIED),
					       ev("P2", PL_LEDGER_APPLIED)};
	struct pl_ledger_patch p3;

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	f->path = tu_path(f->dir, "ledger.db");
	assert_int_equal(pl_ledger_open(&f->l, f->path, &err), 0);
	add(f->l, "app", 100, PL_LEDGER_SUCCESS, 1, &a1, 1, NULL);
	add(f->l, EVIL, 110, PL_LEDGER_SUCCESS, 0, &a1, 1, NULL);
	add(f->l, "web", 120, PL_LEDGER_SUCCESS, 1, n1, 1, NULL);
	add(f->l, "web", 500, PL_LEDGER_GATE_REFUSED, 0, n1, 2, "gate: CVE-2026-9 <high> fixable");
	add(f->l, "app", 600, PL_LEDGER_ERROR, 0, both, 2, "fetch failed\x1b[2J");
	memset(&p3, 0, sizeof(p3));
	p3.id = "P3";
	p3.title = "tzdata";
	assert_int_equal(pl_ledger_upsert_patches(f->l, &p3, 1, 900, NULL, &err), 0);
	pl_buf_init(&f->out, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pl_buf_release(&f->out);
	pl_ledger_free(f->l);
	free(f->path);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

static struct pl_ledger_rollout *rollout(struct fx *f)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_rollout *r = NULL;

	assert_int_equal(pl_ledger_rollout(f->l, NULL, &r, &err), 0);
	assert_int_equal(r->npatches, 3);
	assert_int_equal(r->nimages, 3);
	return r;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* On a miss the whole text goes to stderr (cmocka truncates long messages). */
static void has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		fprintf(stderr, "---- text ----\n%s\n---- end ----\n", hay);
		fail_msg("missing '%s'", needle);
	}
}

static void lacks(const char *hay, const char *needle)
{
	const char *p = strstr(hay, needle);

	if (p)
		fail_msg("unexpected '%s' at: %.80s", needle, p);
}

static void test_ledger_report_html_cells(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_rollout *r = rollout(f);
	struct pl_ledger_report_opts o = {"Fleet rollout", "/srv/ledger.db", 1767322800, NULL, NULL};
	const char *h;

	assert_int_equal(pl_ledger_rollout_html(r, &o, &f->out, &err), 0);
	h = f->out.data;
	has(h, "<!DOCTYPE html>");
	has(h, "<table id=\"matrix\">");
	has(h, "<aside id=\"detail\"");
	has(h, "id=\"filter-text\"");
	has(h, "<title>Fleet rollout</title>");
	has(h, "2026-01-02 03:00 UTC");
	/* every state, the latest-failed marker, in the right cells */
	has(h, "<td data-patch=\"P1\" data-image=\"app\" data-state=\"published\" "
	       "data-latest-failed=\"1\">");
	has(h, "<td data-patch=\"P1\" data-image=\"" EVIL_HTML "\" data-state=\"built\">");
	has(h, "<td data-patch=\"P1\" data-image=\"web\" data-state=\"not-applicable\">");
	has(h, "<td data-patch=\"P2\" data-image=\"app\" data-state=\"failed\">");
	has(h, "<td data-patch=\"P2\" data-image=\"" EVIL_HTML "\" data-state=\"pending\">");
	has(h, "<td data-patch=\"P2\" data-image=\"web\" data-state=\"failed\">");
	has(h, "<td data-patch=\"P3\" data-image=\"web\" data-state=\"pending\">");
	assert_int_equal(count(h, "<td data-patch="), 9);
	assert_int_equal(count(h, "data-latest-failed=\"1\">"), 1);
	/* legend: one filter per state */
	assert_int_equal(count(h, "class=\"state-filter\""), 5);
	has(h, "value=\"not-applicable\" checked");
	/* patch metadata in the row header */
	has(h, "<th class=\"patch\" scope=\"row\" data-patch=\"P1\" data-severity=\"high\" "
	       "title=\"P1 \xe2\x80\x94 OpenSSL security update&#10;severity: high&#10;CVEs: "
	       "CVE-2026-0001, CVE-2026-0002&#10;advisory: https://security.example/P1");
	pl_ledger_rollout_free(r);
}

static void test_ledger_report_html_escaping(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_rollout *r = rollout(f);
	const char *h, *data, *end;

	assert_int_equal(pl_ledger_rollout_html(r, NULL, &f->out, &err), 0);
	h = f->out.data;
	/* exactly two script elements: the JSON data and the page's code */
	assert_int_equal(count(h, "<script"), 2);
	assert_int_equal(count(h, "</script"), 2);
	lacks(h, EVIL);
	lacks(h, "<img");
	has(h, "<div>" EVIL_HTML "</div>");
	has(h, "glibc &lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;");
	/* the embedded JSON carries the strings with <, > and & escaped */
	data = strstr(h, "<script type=\"application/json\" id=\"rollout-data\">");
	assert_non_null(data);
	end = strstr(data, "</script>");
	assert_non_null(end);
	has(data, "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e");
	for (const char *p = strchr(data, '>') + 1; p < end; p++)
		assert_true(*p != '<' && *p != '>' && *p != '&');
	/* self-contained: nothing is loaded from anywhere */
	lacks(h, "src=\"");
	lacks(h, "src='");
	lacks(h, "href=\"");
	lacks(h, "href='");
	lacks(h, "<link");
	lacks(h, "@import");
	lacks(h, "url(");
	has(h, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';");
	pl_ledger_rollout_free(r);
}

static void test_ledger_report_md(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_rollout *r = rollout(f);
	const char *m;

	assert_int_equal(pl_ledger_rollout_md(r, NULL, &f->out, &err), 0);
	m = f->out.data;
	has(m, "# Security patch rollout\n");
	has(m, "| P1 | high | OpenSSL security update | 1 | 1 | 0 | 0 | 1 |\n");
	has(m, "| P2 | critical | glibc &lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; | "
	       "0 | 0 | 1 | 2 | 0 |\n");
	has(m, "| P3 | - | tzdata | 0 | 0 | 3 | 0 | 0 |\n");
	has(m, "## P1: OpenSSL security update\n");
	has(m, "- **Advisory:** <https://security.example/P1>\n");
	has(m, "| app | published (newest build failed) | `sha256:"
	       "0000000000000000000000000000000000000000000000000000000000000100` | "
	       "1970-01-01 00:01 UTC | `000000000000` | registry.example/app:12 "
	       "\\[newest build error 1970-01-01 00:10 UTC: fetch failed \\[2J\\] |\n");
	has(m, "| " EVIL_HTML " | built | `sha256:");
	has(m, "Not applicable (1): web\n");
	has(m, "| web | failed |");
	has(m, "gate-refused: gate: CVE-2026-9 &lt;high&gt; fixable |");
	/* a javascript: advisory is text, never a link */
	has(m, "- **Advisory:** javascript:alert(3)\n");
	lacks(m, EVIL);
	lacks(m, "<img");
	lacks(m, "\x1b");
	pl_ledger_rollout_free(r);
}

static void test_ledger_report_tables(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_rollout *r = rollout(f);
	const char *t;

	assert_int_equal(pl_ledger_rollout_table(r, false, &f->out, &err), 0);
	t = f->out.data;
	has(t, "PATCH  SEVERITY  PUBLISHED  BUILT  PENDING  FAILED  N/A  TITLE\n");
	has(t, "P1     high      1          1      0        0       1    OpenSSL security update\n");
	has(t, "P3     -         0          0      3        0       0    tzdata\n");
	has(t, "3 patches, 3 images.");
	pl_buf_reset(&f->out);
	assert_int_equal(pl_ledger_rollout_table(r, true, &f->out, &err), 0);
	t = f->out.data;
	has(t, "P1  high  OpenSSL security update\n  fixes: CVE-2026-0001, CVE-2026-0002\n");
	has(t, "  app                        published!  sha256:000000000000  1970-01-01 00:01 UTC"
	       "  000000000000  registry.example/app:12 [newest build error 1970-01-01 00:10 UTC:"
	       " fetch failed?[2J]\n");
	has(t, "  <script>alert(1)</script>  built       sha256:000000000000");
	has(t, "1 published, 1 built, 0 pending, 0 failed, 1 not applicable: web\n");
	has(t, "  web                        failed   -       1970-01-01 00:08 UTC");
	has(t, "gate-refused: gate: CVE-2026-9 <high> fixable\n");
	has(t, "P3  unknown severity  tzdata\n");
	lacks(t, "\x1b");
	pl_ledger_rollout_free(r);
}

static void test_ledger_report_advisory(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_rollout *r = NULL;
	struct pl_ledger_report_opts o = {NULL, NULL, 0, "trust/", "trust/cosign.pub"};
	const char *m;
	const char *ref = "registry.example/app@sha256:"
			  "0000000000000000000000000000000000000000000000000000000000000100";

	assert_int_equal(pl_ledger_advisory(f->l, "P1", NULL, 0, 1000, &r, &err), 0);
	assert_int_equal(pl_ledger_advisory_md(r, &o, &f->out, &err), 0);
	m = f->out.data;
	has(m, "# Security advisory P1: OpenSSL security update\n");
	has(m, "- **Fixes:** CVE-2026-0001, CVE-2026-0002\n");
	has(m, "**1 of 2 affected images publishes the fix**; 1 built, not yet published; "
	       "0 pending; 0 failed. 1 image is not affected.");
	has(m, "| app | `12`, `bookworm` | `sha256:0000000000000000000000000000000000000000000000"
	       "000000000000000100` | `registry.example/app:12` |");
	has(m, "> **Note:** the newest build of app (1970-01-01 00:10 UTC) failed: fetch failed");
	has(m, "```sh\n# app\n");
	has(m, "plinth pull registry.example/app@sha256:");
	has(m, "plinth verify registry.example/app@sha256:");
	has(m, " --keys trust/\n");
	has(m, "cosign verify --key trust/cosign.pub registry.example/app@sha256:");
	has(m, ref);
	has(m, "## Built, not yet published\n");
	has(m, "| " EVIL_HTML " | `sha256:");
	has(m, "## Not affected\n\nweb\n");
	lacks(m, EVIL);
	pl_buf_reset(&f->out);

	assert_int_equal(pl_ledger_advisory_html(r, NULL, &f->out, &err), 0);
	m = f->out.data;
	has(m, "<a rel=\"noopener noreferrer\" href=\"https://security.example/P1\">");
	assert_int_equal(count(m, "href="), 1);
	lacks(m, "src=");
	has(m, "<tr data-image=\"app\" data-state=\"published\">");
	has(m, "<tr data-image=\"" EVIL_HTML "\" data-state=\"built\">");
	has(m, "<pre id=\"commands\"># app\nplinth pull registry.example/app@sha256:");
	has(m, "cosign verify --key keys/cosign.pub registry.example/app@sha256:");
	has(m, "<section id=\"unaffected\"><h2>Not affected</h2><p>web</p>");
	lacks(m, EVIL);
	pl_ledger_rollout_free(r);
	r = NULL;
	pl_buf_reset(&f->out);

	/* P2: a hostile title, a javascript: advisory, nothing published */
	assert_int_equal(pl_ledger_advisory(f->l, "P2", NULL, 0, 1000, &r, &err), 0);
	assert_int_equal(pl_ledger_advisory_html(r, NULL, &f->out, &err), 0);
	m = f->out.data;
	lacks(m, "href=");
	lacks(m, "<img");
	has(m, "<td data-field=\"advisory\">javascript:alert(3)</td>");
	has(m, "<p>None published yet.</p>");
	has(m, "<tr data-image=\"web\" data-state=\"failed\">");
	has(m, "<tr data-image=\"" EVIL_HTML "\" data-state=\"pending\">");
	assert_int_equal(count(m, "<script"), 1);
	pl_buf_reset(&f->out);
	assert_int_equal(pl_ledger_advisory_md(r, NULL, &f->out, &err), 0);
	m = f->out.data;
	has(m, "None published yet.\n");
	has(m, "## Not fixed yet\n");
	has(m, "| web | failed |");
	has(m, "| " EVIL_HTML " | pending |");
	lacks(m, "```");
	pl_ledger_rollout_free(r);

	/* the whole matrix is not an advisory */
	r = rollout(f);
	assert_int_equal(pl_ledger_advisory_md(r, NULL, &f->out, &err), PL_EINVAL);
	pl_ledger_rollout_free(r);
}

static void test_ledger_report_shell_quoting(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_rollout *r = NULL;
	static const char *const evil_pub[] = {"registry.example/x$(id):1",
					       "oci:/srv/layout:x-1"};
	struct pl_ledger_patch_eval a = ev("P1", PL_LEDGER_APPLIED);
	struct pl_ledger_build b;

	memset(&b, 0, sizeof(b));
	b.recipe = "x";
	b.started = 700;
	b.finished = 705;
	b.image_digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
	b.published = evil_pub;
	b.npublished = 2;
	b.patches = &a;
	b.npatches = 1;
	assert_int_equal(pl_ledger_append(f->l, &b, NULL, &err), 0);
	assert_int_equal(pl_ledger_advisory(f->l, "P1", NULL, 0, 1000, &r, &err), 0);
	assert_int_equal(pl_ledger_advisory_md(r, NULL, &f->out, &err), 0);
	has(f->out.data, "plinth pull 'registry.example/x$(id)@sha256:1111");
	has(f->out.data, "plinth copy oci:/srv/layout:x-1 oci:x    # expect sha256:1111");
	lacks(f->out.data, "plinth pull registry.example/x$");
	pl_ledger_rollout_free(r);
}

static void test_ledger_report_history(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_history *h = NULL;
	const char *t;

	assert_int_equal(pl_ledger_history(f->l, "app", &h, &err), 0);
	assert_int_equal(pl_ledger_history_table(h, &f->out, &err), 0);
	t = f->out.data;
	has(t, "image app: 2 builds, newest first\n");
	has(t, "BUILD  FINISHED              OUTCOME  DIGEST               COMMIT        "
	       "FINDINGS C/H/M/L    PATCHES APPLIED\n");
	has(t, "5      1970-01-01 00:10 UTC  error    -                    000000000000  "
	       "0/2/0/3 -> 0/0/0/3  P1 P2\n");
	has(t, "1      1970-01-01 00:01 UTC  success  sha256:000000000000  000000000000  "
	       "0/2/0/3 -> 0/0/0/3  P1\n");
	assert_true(strstr(t, "\n5      ") < strstr(t, "\n1      "));
	has(t, "5: fetch failed?[2J\n");
	has(t, "1: published to registry.example/app:12\n");
	lacks(t, "\x1b");
	pl_ledger_history_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ledger_report_html_cells, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_report_html_escaping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_report_md, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_report_tables, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_report_advisory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_report_shell_quoting, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ledger_report_history, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
