/*
 * Fuzz target: arbitrary bytes as Alpine's lib/apk/db/installed
 * (pl_apkdb_parse), and each parsed version through the apk version
 * ordering. Every package must carry a name, version and origin; a version
 * compares equal to itself and the order is antisymmetric.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/scan.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sign(int r)
{
	return r < 0 ? -1 : r > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_inventory inv;

	pl_log_set_level(PL_LOG_QUIET);
	pl_inventory_init(&inv);
	if (pl_apkdb_parse(&inv, (const char *)data, size, "fuzz", &err) == 0) {
		for (size_t i = 0; i < inv.n; i++) {
			const struct pl_inv_pkg *p = &inv.pkgs[i];
			const char *prev = i ? inv.pkgs[i - 1].version : p->version;

			if (!p->name[0] || !p->version[0] || !p->source[0] || p->line < 1)
				abort();
			if (pl_apkver_cmp(p->version, p->version) != 0)
				abort();
			if (sign(pl_apkver_cmp(p->version, prev)) != -sign(pl_apkver_cmp(prev, p->version)))
				abort();
			(void)pl_apkver_valid(p->version);
			(void)pl_apkver_cmp_fuzzy(p->version, prev);
		}
	} else if (err.code == 0 || !err.msg[0]) {
		abort();
	}
	pl_inventory_release(&inv);
	return 0;
}
