/*
 * Fuzz target for WWW-Authenticate challenges: parsing never crashes or
 * leaks, a success always names Basic or Bearer, a failure leaves nothing
 * behind, and parsing again into the same struct refills it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *s, struct pl_reg_challenge *c)
{
	struct pl_err err = PL_ERR_INIT;
	int rc = pl_reg_challenge_parse(s, c, &err);

	if (rc == 0) {
		if (!c->scheme || (strcmp(c->scheme, "Bearer") && strcmp(c->scheme, "Basic")))
			abort();
	} else {
		if (rc != PL_EINVAL && rc != PL_ENOTFOUND && rc != PL_ENOMEM)
			abort();
		if (c->scheme || c->realm || c->service || c->scope || c->error || !err.msg[0])
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_reg_challenge c = {0};
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check(s, &c);
	check("Bearer realm=\"https://r/t\",service=\"s\",scope=\"a:b:pull\"", &c);
	check(s, &c);
	pl_reg_challenge_release(&c);
	free(s);
	return 0;
}
