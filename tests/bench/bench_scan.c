/*
 * bench_scan: time pl_scan_run on a real dpkg status file against a large
 * synthetic database.
 *
 *   bench_scan STATUS OS_RELEASE [RECORDS [REPS]]
 *
 * A Debian tracker JSON of RECORDS (default 100000) (package, CVE,
 * bookworm) statements is generated -- every source package of STATUS gets
 * some, the rest go to made-up packages -- and imported into a fresh vulndb
 * in a forked child (not timed). The parent then reads the inventory and
 * scans REPS times (default 5), and prints one line:
 *   scan packages=816 sources=431 records=100000 findings=N best_ms=.. inventory_ms=.. maxrss_kib=..
 * maxrss is the parent's own: inventory plus scan, not the import.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/scan.h"
#include "lib/vulndb.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/log.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int count_stmt(const struct pl_vulndb_affected *a, void *ctx, struct pl_err *err)
{
	(void)a;
	(void)err;
	(*(size_t *)ctx)++;
	return 0;
}

static int gen_feed(const struct pl_inventory *inv, long records, struct pl_buf *out,
		   struct pl_err *err)
{
	/*
	 * Roughly the tracker's mix for a stable release: most statements are
	 * resolved in an older version, some not-affected, some open or
	 * no-dsa, a few fixed in a newer version. BENCH_SCAN_WORST=1 makes
	 * every other statement a finding instead (stress for the emit path).
	 */
	static const char *const kinds[] = {
		"{\"status\": \"resolved\", \"fixed_version\": \"0.1-1\", \"urgency\": \"low\"}",
		"{\"status\": \"resolved\", \"fixed_version\": \"0.1-1\", \"urgency\": \"medium\"}",
		"{\"status\": \"resolved\", \"fixed_version\": \"0.1-1\", \"urgency\": \"high\"}",
		"{\"status\": \"resolved\", \"fixed_version\": \"0.1-1\", \"urgency\": \"low\"}",
		"{\"status\": \"resolved\", \"fixed_version\": \"0.1-1\", \"urgency\": \"medium\"}",
		"{\"status\": \"resolved\", \"fixed_version\": \"0.1-1\", \"urgency\": \"high\"}",
		"{\"status\": \"resolved\", \"fixed_version\": \"0.1-1\", \"urgency\": \"low\"}",
		"{\"status\": \"resolved\", \"fixed_version\": \"0\", \"urgency\": \"unimportant\"}",
		"{\"status\": \"open\", \"urgency\": \"unimportant\"}",
		"{\"status\": \"resolved\", \"fixed_version\": \"99:1.0-1\", \"urgency\": \"high\"}",
	};
	static const char *const worst[] = {
		"{\"status\": \"resolved\", \"fixed_version\": \"99:1.0-1\", \"urgency\": \"high\"}",
		"{\"status\": \"resolved\", \"fixed_version\": \"0.1-1\", \"urgency\": \"low\"}",
	};
	bool w = getenv("BENCH_SCAN_WORST") != NULL;
	long n = 0, per = 20, pkg = 0;
	size_t i = 0;
	int rc = pl_buf_adds(out, "{", err);

	while (rc == 0 && n < records) {
		char name[300];
		long k;

		/* the inventory's sources first (distinct ones, adjacent duplicates skipped) */
		while (i < inv->n && i && !strcmp(inv->pkgs[i].source, inv->pkgs[i - 1].source))
			i++;
		if (i < inv->n)
			snprintf(name, sizeof(name), "%s", inv->pkgs[i++].source);
		else
			snprintf(name, sizeof(name), "synthetic-%ld", pkg);
		pkg++;
		rc = pl_buf_addf(out, err, "%s\"%s\": {", n ? "," : "", name);
		for (k = 0; rc == 0 && k < per && n < records; k++, n++)
			rc = pl_buf_addf(out, err,
					 "%s\"CVE-2090-%ld\": {\"releases\": {\"bookworm\": %s}}",
					 k ? "," : "", n,
					 w ? worst[(n + pkg) % 2] : kinds[(n + pkg) % 10]);
		if (rc == 0)
			rc = pl_buf_adds(out, "}", err);
	}
	if (rc == 0)
		rc = pl_buf_adds(out, "}", err);
	return rc;
}

int main(int argc, char **argv)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf st = PL_BUF_INIT, feed = PL_BUF_INIT;
	struct pl_inventory *inv = NULL;
	struct pl_vulndb *db = NULL;
	struct pl_report *r = NULL;
	struct rusage ru;
	char dir[] = "/tmp/bench-scan.XXXXXX", root[600], dbpath[600];
	long records = argc > 3 ? strtol(argv[3], NULL, 10) : 100000;
	int reps = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 5, i, status;
	double best = 1e18, lookup_best, t0, inv_ms;
	size_t sources = 0;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_scan STATUS OS_RELEASE [RECORDS [REPS]]\n");
		return 2;
	}
	pl_log_set_level(PL_LOG_QUIET);
	if (!mkdtemp(dir))
		return 1;
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(dbpath, sizeof(dbpath), "%s/vuln.db", dir);
	snprintf(dbpath, sizeof(dbpath), "%s/root/var/lib/dpkg", dir);
	if (pl_mkdir_p(dbpath, 0755, &err) < 0 || pl_read_file(argv[1], 0, &st, &err) < 0)
		goto fail;
	snprintf(dbpath, sizeof(dbpath), "%s/root/var/lib/dpkg/status", dir);
	if (pl_write_file_atomic(dbpath, st.data, st.len, 0644, &err) < 0)
		goto fail;
	pl_buf_reset(&st);
	snprintf(dbpath, sizeof(dbpath), "%s/root/etc", dir);
	if (pl_mkdir_p(dbpath, 0755, &err) < 0 || pl_read_file(argv[2], 0, &st, &err) < 0)
		goto fail;
	snprintf(dbpath, sizeof(dbpath), "%s/root/etc/os-release", dir);
	if (pl_write_file_atomic(dbpath, st.data, st.len, 0644, &err) < 0)
		goto fail;
	snprintf(dbpath, sizeof(dbpath), "%s/vuln.db", dir);

	pid = fork();
	if (pid == 0) {
		struct pl_inventory *ci = NULL;
		struct pl_vulndb_stats vs;

		memset(&vs, 0, sizeof(vs));
		if (pl_scan_inventory_dir(root, &ci, &err) < 0 || gen_feed(ci, records, &feed, &err) < 0 ||
		    pl_vulndb_open(&db, dbpath, true, &err) < 0 ||
		    pl_vulndb_import_buf(db, PL_FEED_DEBIAN_TRACKER, "synthetic.json", feed.data,
					 feed.len, &vs, &err) < 0) {
			fprintf(stderr, "bench_scan: import: %s\n", err.msg);
			_exit(1);
		}
		pl_vulndb_close(db);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		goto fail;

	t0 = now_ms();
	if (pl_scan_inventory_dir(root, &inv, &err) < 0)
		goto fail;
	inv_ms = now_ms() - t0;
	if (pl_vulndb_open(&db, dbpath, false, &err) < 0)
		goto fail;
	for (i = 0; i < reps; i++) {
		pl_report_free(r);
		r = NULL;
		t0 = now_ms();
		if (pl_scan_run(inv, db, NULL, &r, &err) < 0)
			goto fail;
		t0 = now_ms() - t0;
		if (t0 < best)
			best = t0;
	}
	for (size_t k = 0; k < inv->n; k++) {
		size_t j;

		for (j = 0; j < k && strcmp(inv->pkgs[j].source, inv->pkgs[k].source); j++)
			;
		sources += j == k;
	}
	/* the database's share: the same look-ups with a callback that only counts */
	{
		size_t stmts = 0;
		char eco[64];

		if (pl_scan_ecosystem(inv, eco, sizeof(eco), &err) < 0)
			goto fail;
		lookup_best = 1e18;
		for (i = 0; i < reps; i++) {
			t0 = now_ms();
			for (size_t k = 0; k < inv->n; k++) {
				size_t j;

				for (j = 0; j < k && strcmp(inv->pkgs[j].source, inv->pkgs[k].source); j++)
					;
				if (j == k && pl_vulndb_lookup(db, eco, inv->pkgs[k].source, count_stmt,
							       &stmts, &err) < 0)
					goto fail;
			}
			t0 = now_ms() - t0;
			if (t0 < lookup_best)
				lookup_best = t0;
		}
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("scan packages=%zu sources=%zu records=%ld findings=%zu best_ms=%.1f "
	       "lookups_only_ms=%.1f inventory_ms=%.1f maxrss_kib=%ld\n",
	       inv->n, sources, records, r->n, best, lookup_best, inv_ms, ru.ru_maxrss);
	pl_report_free(r);
	pl_vulndb_close(db);
	pl_inventory_free(inv);
	pl_buf_release(&st);
	pl_rm_rf(dir, &err);
	return 0;
fail:
	fprintf(stderr, "bench_scan: %s\n", err.msg);
	pl_rm_rf(dir, &err);
	return 1;
}
