/*
 * Fuzz target: arbitrary bytes as a Debian changelog whose CVE mentions are
 * imported as fixes into an in-memory vulnerability database. An import
 * either succeeds or says why; every statement found afterwards is a FIXED
 * row naming exactly one well-formed CVE id and a version dpkg accepts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/deb.h"
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
	(void)ctx;
	(void)err;
	if (a->status != PL_VULN_FIXED || !a->fixed || pl_debver_check(a->fixed, NULL) < 0)
		abort();
	if (!a->cves || !a->cves[0] || a->cves[1] || strcmp(a->cves[0], a->record) != 0)
		abort();
	if (strncmp(a->record, "CVE-", 4) != 0 || strcmp(a->feed, "changelog") != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
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
	if (pl_vulndb_import_changelog(db, "debian:12", "fuzz", (const char *)data, size, &st,
				       &err) < 0) {
		if (err.code == 0 || !err.msg[0])
			abort();
		return 0;
	}
	if (pl_vulndb_lookup(db, "debian:12", "openssl", check, NULL, &err) < 0 ||
	    pl_vulndb_lookup(db, "debian:12", "libxml2", check, NULL, &err) < 0)
		abort();
	return 0;
}
