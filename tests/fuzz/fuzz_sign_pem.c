/*
 * Fuzz target for key files: PEM blocks, PKCS#8 (plain and encrypted with
 * the passphrase "fuzz"), SEC1 and SubjectPublicKeyInfo never crash, and a
 * private key that loads signs data its own public key verifies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_key(const struct pl_sign_key *k)
{
	char *sig = NULL;
	char *pem = NULL;
	size_t len = 0;
	struct pl_sign_key *pub = NULL;
	char a[PL_DIGEST_SIZE], b[PL_DIGEST_SIZE];

	if (pl_sign_key_public_pem(k, &pem, &len, NULL) < 0)
		abort();
	if (pl_sign_key_parse_public(pem, len, "again", &pub, NULL) < 0)
		abort();
	pl_sign_key_id(k, a);
	pl_sign_key_id(pub, b);
	if (strcmp(a, b) != 0)
		abort();
	if (pl_sign_key_has_private(k)) {
		if (pl_sign_data(k, "fuzz", 4, &sig, NULL) < 0)
			abort();
		if (pl_sign_verify(pub, "fuzz", 4, sig, NULL) < 0)
			abort();
	}
	free(sig);
	free(pem);
	pl_sign_key_free(pub);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_sign_key *k = NULL;
	bool enc = false;

	if (pl_sign_key_parse_private(data, size, "fuzz.key", "fuzz", 4, &k, &enc, NULL) == 0)
		check_key(k);
	pl_sign_key_free(k);
	k = NULL;
	if (pl_sign_key_parse_public(data, size, "fuzz.pub", &k, NULL) == 0)
		check_key(k);
	pl_sign_key_free(k);
	return 0;
}
