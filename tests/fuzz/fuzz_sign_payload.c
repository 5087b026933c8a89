/*
 * Fuzz target for cosign simple signing payloads: parsing never crashes,
 * and a payload that parses and can be rebuilt parses back to the same
 * identity, digest and claims.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_sign_payload p, q;
	char *out = NULL;
	size_t len = 0;

	memset(&q, 0, sizeof(q));
	if (pl_sign_payload_parse(data, size, &p, NULL) == 0 &&
	    pl_sign_payload_make(p.reference, p.digest, p.optional, &out, &len, NULL) == 0) {
		if (pl_sign_payload_parse(out, len, &q, NULL) < 0)
			abort();
		if (strcmp(p.reference, q.reference) || strcmp(p.digest, q.digest) ||
		    !json_equal(p.optional, q.optional))
			abort();
	}
	free(out);
	pl_sign_payload_release(&p);
	pl_sign_payload_release(&q);
	return 0;
}
