/*
 * Fuzz target for lock files: parsing never crashes, and a lock that parses
 * writes out to JSON that parses back and writes the same bytes; checking it
 * against its own requests never crashes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/apt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_apt_lock *l = NULL, *l2 = NULL;
	struct pl_buf b1 = PL_BUF_INIT, b2 = PL_BUF_INIT;

	if (pl_apt_lock_parse((const char *)data, size, "fuzz.lock.json", &l, NULL) == 0) {
		if (pl_apt_lock_write(l, &b1, NULL) < 0)
			abort();
		if (pl_apt_lock_parse(b1.data, b1.len, "again", &l2, NULL) < 0)
			abort();
		if (pl_apt_lock_write(l2, &b2, NULL) < 0 || strcmp(b1.data, b2.data) != 0)
			abort();
		(void)pl_apt_lock_check(l, (const char *const *)l->requested, l->nrequested,
					l->arch, NULL);
	}
	pl_apt_lock_free(l);
	pl_apt_lock_free(l2);
	pl_buf_release(&b1);
	pl_buf_release(&b2);
	return 0;
}
