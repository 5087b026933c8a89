/*
 * What the feed fuzz targets share: bytes imported as one kind of feed into
 * an in-memory vulnerability database. An import either succeeds or says
 * why; every statement looked up afterwards is complete (record, feed,
 * ecosystem, a CVE list). Included by one fuzz_<feed>.c each.
 */
#ifndef PL_FUZZ_FEED_H
#define PL_FUZZ_FEED_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vulndb.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *msg, void *ctx)
{
	(void)ctx;
	if (!msg || !*msg)
		abort();
}

static int check(const struct pl_vulndb_affected *a, void *ctx, struct pl_err *err)
{
	(void)err;
	if (!a->record || !*a->record || !a->feed || !a->feed_name || !a->cves || !a->package)
		abort();
	if (strcmp(a->ecosystem, (const char *)ctx) != 0)
		abort();
	if ((unsigned)a->status > PL_VULN_EOL)
		abort();
	for (size_t i = 0; a->cves[i]; i++)
		if (strncmp(a->cves[i], "CVE-", 4) != 0)
			abort();
	return 0;
}

static int fuzz_feed(enum pl_feed_kind kind, const uint8_t *data, size_t size)
{
	static struct pl_vulndb *db;
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb_stats st;

	pl_log_set_level(PL_LOG_QUIET);
	if (!db) {
		if (pl_vulndb_open(&db, ":memory:", true, &err) < 0)
			abort();
		pl_vulndb_set_warn(db, quiet, NULL);
	}
	if (pl_vulndb_import_buf(db, kind, "fuzz", (const char *)data, size, &st, &err) < 0) {
		if (err.code == 0 || !err.msg[0])
			abort();
		return 0;
	}
	if (pl_vulndb_lookup(db, "debian:12", "foo", check, "debian:12", &err) < 0 ||
	    pl_vulndb_lookup(db, "alpine:3.18", "foo", check, "alpine:3.18", &err) < 0)
		abort();
	return 0;
}

#endif
