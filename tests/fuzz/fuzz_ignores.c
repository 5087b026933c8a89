/*
 * Fuzz target: arbitrary bytes as a vulnerability ignore file
 * (pl_ignores_parse). Every entry has an id and a non-empty reason and a
 * well-formed expiry; every failure says where.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/recipe.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_ignores *ig = NULL;

	pl_log_set_level(PL_LOG_QUIET);
	if (pl_ignores_parse((const char *)data, size, "fuzz.yaml", &ig, &err) == 0) {
		for (size_t i = 0; i < ig->n; i++) {
			const struct pl_ignore *e = &ig->v[i];

			if (!e->id[0] || !e->reason[0] || (e->expires && strlen(e->expires) != 10))
				abort();
			if (e->mark.line < 1)
				abort();
			(void)pl_ignore_expired(e, "2026-01-01");
		}
		pl_ignores_free(ig);
	} else if (err.code == 0 || strncmp(err.msg, "fuzz.yaml", 9) != 0) {
		abort();
	}
	return 0;
}
