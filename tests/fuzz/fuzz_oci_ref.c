/*
 * Fuzz target for image references: parsing never crashes, and whatever
 * parses formats to a string that parses back to the same reference.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_buf b1 = PL_BUF_INIT, b2 = PL_BUF_INIT;
	struct pl_ref r = {0}, r2 = {0};
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (pl_ref_parse(s, &r, NULL) == 0) {
		if (pl_ref_format(&r, &b1, NULL) < 0)
			abort();
		if (pl_ref_parse(b1.data, &r2, NULL) < 0)
			abort();
		if (r.kind != r2.kind || !same(r.domain, r2.domain) || !same(r.path, r2.path) ||
		    !same(r.tag, r2.tag) || !same(r.digest, r2.digest))
			abort();
		if (pl_ref_format(&r2, &b2, NULL) < 0 || strcmp(b1.data, b2.data) != 0)
			abort();
		(void)pl_ref_reference(&r);
	}
	pl_ref_release(&r);
	pl_ref_release(&r2);
	pl_buf_release(&b1);
	pl_buf_release(&b2);
	free(s);
	return 0;
}
