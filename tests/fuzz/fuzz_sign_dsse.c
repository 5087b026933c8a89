/*
 * Fuzz target for DSSE envelopes and in-toto Statements: parsing never
 * crashes, nothing verifies against a key that never signed it, and a
 * parsed payload re-signed with that key verifies to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pl_sign_key *fixed_key(void)
{
	static struct pl_sign_key *key;

	if (!key && pl_sign_keygen(&key, NULL) < 0)
		abort();
	return key;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_sign_key *key = fixed_key();
	struct pl_sign_dsse env;
	struct pl_sign_statement st;
	char *out = NULL, *type = NULL, *payload = NULL;
	size_t len = 0, plen = 0;

	memset(&st, 0, sizeof(st));
	if (pl_sign_dsse_verify_key(key, data, size, NULL, NULL, NULL, NULL) == 0)
		abort(); /* a forgery */
	if (pl_sign_dsse_parse(data, size, &env, NULL) == 0) {
		(void)pl_sign_statement_parse(env.payload, env.payload_len, &st, NULL);
		if (pl_sign_dsse_sign(key, env.payload_type, env.payload, env.payload_len, &out,
				      &len, NULL) == 0) {
			if (pl_sign_dsse_verify_key(key, out, len, &type, &payload, &plen, NULL) <
			    0)
				abort();
			if (strcmp(type, env.payload_type) || plen != env.payload_len ||
			    memcmp(payload, env.payload, plen))
				abort();
		}
	}
	free(out);
	free(type);
	free(payload);
	pl_sign_statement_release(&st);
	pl_sign_dsse_release(&env);
	return 0;
}
