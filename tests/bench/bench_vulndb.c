/*
 * bench_vulndb: time vulnerability database imports and look-ups.
 *
 *   bench_vulndb [ELTS_DIR]
 *
 * Generates (not timed) a Debian tracker JSON of 40,000 CVEs over 3,000
 * source packages (5 releases each, mixed statuses) and a .zip of 60,000
 * OSV records (osv.dev's all.zip layout: one JSON file per record), then in
 * one forked child per phase (so that each peak RSS is its own) imports into
 * a fresh database: the real ELTS OSV directory (default
 * $PL_VULNDATA/debian-osv/elts-advisories), the tracker, the zip; re-imports
 * the tracker (a no-op by digest); and runs 1,000 look-ups. One line each:
 *   vulndb-tracker records=40000 seconds=1.92 maxrss_kib=61234 bytes=37000000
 * Temporary files go under $TMPDIR (default /tmp).
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/vulndb.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/log.h"

#define NPKG 3000
#define NCVE 40000
#define NOSV 60000

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct pl_err *err)
{
	fprintf(stderr, "bench_vulndb: %s: %s\n", what, err ? err->msg : "failed");
	exit(1);
}

static void add(struct pl_buf *b, const char *fmt, ...) PL_PRINTF(2, 3);
static void add(struct pl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = pl_buf_vaddf(b, NULL, fmt, ap);
	va_end(ap);
	if (rc < 0)
		die("generate", NULL);
}

static const char *const words[] = {
    "buffer",	 "overflow",	 "in",	  "the",  "parser",	    "allows",  "remote",
    "attackers", "to",		 "cause", "a",	  "denial",	    "of",      "service",
    "via",	 "crafted",	 "input", "heap", "use-after-free", "integer", "when",
    "handling",	 "certificates", "memory"};

static void text(struct pl_buf *b, int nwords)
{
	for (int i = 0; i < nwords; i++)
		add(b, "%s%s", i ? " " : "", words[rnd(sizeof(words) / sizeof(words[0]))]);
}

static void gen_tracker(const char *path)
{
	static const char *const rels[] = {"buster", "bullseye", "bookworm", "trixie", "sid"};
	static const char *const urg[] = {
	    "low", "medium", "high", "unimportant", "not yet assigned", "low*", "high**"};
	struct pl_buf b = PL_BUF_INIT;
	struct pl_err err = PL_ERR_INIT;
	int cve = 0;

	add(&b, "{");
	for (int p = 0; p < NPKG; p++) {
		int n = NCVE / NPKG + (p < NCVE % NPKG);

		add(&b, "%s\"pkg%04d\": {", p ? ", " : "", p);
		for (int i = 0; i < n; i++, cve++) {
			add(&b, "%s\"CVE-20%02d-%05d\": {\"description\": \"", i ? ", " : "",
			    10 + cve % 15, 10000 + cve);
			text(&b, 30);
			add(&b, "\", \"scope\": \"remote\", \"releases\": {");
			for (int r = 0; r < 5; r++) {
				uint32_t k = rnd(10);

				add(&b, "%s\"%s\": {\"repositories\": {\"%s\": \"%d.%d-%d\"}, ",
				    r ? ", " : "", rels[r], rels[r], 1 + p % 7, i, r + 1);
				if (k < 5)
					add(&b,
					    "\"status\": \"resolved\", \"fixed_version\": "
					    "\"%d.%d-%d\", ",
					    1 + p % 7, i, r + 1);
				else if (k < 6)
					add(&b,
					    "\"status\": \"resolved\", \"fixed_version\": \"0\", ");
				else if (k < 8)
					add(&b, "\"status\": \"open\", \"nodsa\": \"Minor issue\", "
						"\"nodsa_reason\": \"\", ");
				else
					add(&b, "\"status\": \"open\", ");
				add(&b, "\"urgency\": \"%s\"}", urg[rnd(7)]);
			}
			add(&b, "}}");
		}
		add(&b, "}");
	}
	add(&b, "}\n");
	if (pl_write_file_atomic(path, b.data, b.len, 0644, &err) < 0)
		die("write tracker", &err);
	pl_buf_release(&b);
}

static void gen_osv_zip(const char *path)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct pl_buf b = PL_BUF_INIT;

	if (!a || !e || archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, path) != ARCHIVE_OK)
		die("zip", NULL);
	for (int i = 0; i < NOSV; i++) {
		char name[64];
		int p = (int)rnd(NPKG), rel = 9 + (int)rnd(4);

		pl_buf_reset(&b);
		add(&b,
		    "{\"schema_version\": \"1.6.0\", \"id\": \"BENCH-%d-1\", \"modified\": "
		    "\"2024-05-01T00:00:00Z\", \"published\": \"2024-04-01T00:00:00Z\", "
		    "\"aliases\": [\"CVE-2024-%05d\"], \"summary\": \"pkg%04d - security update\", "
		    "\"details\": \"",
		    i, 20000 + i, p);
		text(&b, 50);
		add(&b,
		    "\", \"affected\": [{\"package\": {\"ecosystem\": \"Debian:%d\", \"name\": "
		    "\"pkg%04d\"}, \"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": "
		    "[{\"introduced\": \"0\"}, {\"fixed\": \"%d.%d-%d+deb%du1\"}]}]}]",
		    rel, p, 1 + p % 7, i % 100, 1 + i % 5, rel);
		add(&b,
		    ", \"references\": [{\"type\": \"ADVISORY\", \"url\": "
		    "\"https://security-tracker.debian.org/tracker/BENCH-%d-1\"}]}\n",
		    i);
		snprintf(name, sizeof(name), "BENCH-%d-1.json", i);
		archive_entry_clear(e);
		archive_entry_set_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)b.len);
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    archive_write_data(a, b.data, b.len) != (la_ssize_t)b.len)
			die(archive_error_string(a), NULL);
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		die("zip close", NULL);
	archive_entry_free(e);
	archive_write_free(a);
	pl_buf_release(&b);
}

static int count_row(const struct pl_vulndb_affected *x, void *ctx, struct pl_err *err)
{
	(void)x;
	(void)err;
	(*(uint64_t *)ctx)++;
	return 0;
}

/* One phase in a child process; prints its line. */
static void phase(const char *label, const char *db, const char *feed, enum pl_feed_kind kind,
		  bool lookups)
{
	pid_t pid;
	int status;

	fflush(stdout); /* or the child repeats what the parent buffered */
	pid = fork();
	if (pid < 0)
		die("fork", NULL);
	if (pid == 0) {
		struct pl_err err = PL_ERR_INIT;
		struct pl_vulndb *v = NULL;
		struct pl_vulndb_stats st = {0, 0, 0};
		struct rusage ru;
		struct stat sb;
		uint64_t rows = 0;
		double t0;

		if (pl_vulndb_open(&v, db, true, &err) < 0)
			die("open", &err);
		t0 = now();
		if (lookups) {
			for (int i = 0; i < 1000; i++) {
				char pkg[16];

				snprintf(pkg, sizeof(pkg), "pkg%04d", (int)rnd(NPKG));
				if (pl_vulndb_lookup(v, i % 2 ? "debian:12" : "debian:11", pkg,
						     count_row, &rows, &err) < 0)
					die("lookup", &err);
			}
		} else if (pl_vulndb_import_path(v, feed, kind, &st, &err) < 0) {
			die(feed, &err);
		}
		double t = now() - t0;
		getrusage(RUSAGE_SELF, &ru);
		if (lookups)
			printf("%s lookups=1000 rows=%llu seconds=%.3f per_lookup_us=%.1f "
			       "maxrss_kib=%ld\n",
			       label, (unsigned long long)rows, t, t * 1e6 / 1000, ru.ru_maxrss);
		else
			printf("%s records=%llu unchanged=%llu skipped=%llu seconds=%.3f "
			       "maxrss_kib=%ld bytes=%lld\n",
			       label, (unsigned long long)st.records,
			       (unsigned long long)st.unchanged, (unsigned long long)st.skipped, t,
			       ru.ru_maxrss,
			       stat(feed, &sb) == 0 && S_ISREG(sb.st_mode) ? (long long)sb.st_size
									   : 0LL);
		fflush(stdout);
		pl_vulndb_close(v);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		exit(1);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	const char *vd = getenv("PL_VULNDATA");
	char elts[4096], dir[4096], db[4200], tracker[4200], zip[4200];
	struct pl_err err = PL_ERR_INIT;
	double t0, total;

	pl_log_set_level(PL_LOG_QUIET);
	snprintf(elts, sizeof(elts), "%s", argc > 1 ? argv[1] : "");
	if (!elts[0])
		snprintf(elts, sizeof(elts), "%s/debian-osv/elts-advisories",
			 vd && *vd ? vd : "/work/shared/vulndata");
	snprintf(dir, sizeof(dir), "%s/plinth-bench-vulndb-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp", NULL);
	snprintf(db, sizeof(db), "%s/vuln.db", dir);
	snprintf(tracker, sizeof(tracker), "%s/tracker.json", dir);
	snprintf(zip, sizeof(zip), "%s/osv-all.zip", dir);

	t0 = now();
	gen_tracker(tracker);
	gen_osv_zip(zip);
	fprintf(stderr, "bench_vulndb: generated %d-CVE tracker and %d-record zip in %.2f s\n",
		NCVE, NOSV, now() - t0);

	t0 = now();
	phase("vulndb-elts", db, elts, PL_FEED_AUTO, false);
	phase("vulndb-tracker", db, tracker, PL_FEED_AUTO, false);
	phase("vulndb-osv-zip", db, zip, PL_FEED_AUTO, false);
	total = now() - t0;
	printf("vulndb-import-total seconds=%.3f (three feeds, fork overhead included)\n", total);
	phase("vulndb-tracker-again", db, tracker, PL_FEED_AUTO, false);
	phase("vulndb-lookup", db, NULL, PL_FEED_AUTO, true);
	{
		struct stat sb;

		if (stat(db, &sb) == 0)
			printf("vulndb-size bytes=%lld\n", (long long)sb.st_size);
	}
	if (getenv("BENCH_KEEP"))
		fprintf(stderr, "bench_vulndb: kept %s\n", dir);
	else if (pl_rm_rf(dir, &err) < 0)
		die("cleanup", &err);
	return 0;
}
