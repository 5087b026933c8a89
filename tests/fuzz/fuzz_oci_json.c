/*
 * Fuzz target for the OCI JSON parsers. The first byte picks the document
 * (manifest, index, config, descriptor); whatever parses must build back to
 * JSON, and that JSON must parse and build to the same canonical bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/oci.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse j as kind and build it back to JSON; 1 = did not parse. */
static int cycle(int kind, const json_t *j, json_t **out)
{
	struct pl_oci_manifest m;
	struct pl_oci_index ix;
	struct pl_oci_config c;
	struct pl_oci_desc d;
	int rc;

	*out = NULL;
	switch (kind) {
	case 0:
		if (pl_oci_manifest_from_json(j, "fuzz", &m, NULL) < 0)
			return 1;
		rc = pl_oci_manifest_to_json(&m, out, NULL);
		pl_oci_manifest_release(&m);
		break;
	case 1:
		if (pl_oci_index_from_json(j, "fuzz", &ix, NULL) < 0)
			return 1;
		rc = pl_oci_index_to_json(&ix, out, NULL);
		pl_oci_index_release(&ix);
		break;
	case 2:
		if (pl_oci_config_from_json(j, "fuzz", &c, NULL) < 0)
			return 1;
		rc = pl_oci_config_to_json(&c, out, NULL);
		pl_oci_config_release(&c);
		break;
	default:
		if (pl_oci_desc_from_json(j, "fuzz", &d, NULL) < 0)
			return 1;
		rc = pl_oci_desc_to_json(&d, out, NULL);
		pl_oci_desc_release(&d);
		break;
	}
	if (rc < 0)
		abort(); /* a parsed model must always build */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_buf b1 = PL_BUF_INIT, b2 = PL_BUF_INIT;
	json_t *j = NULL, *j1 = NULL, *j2 = NULL;
	int kind;

	if (size < 1)
		return 0;
	kind = data[0] % 4;
	if (pl_json_load((const char *)data + 1, size - 1, "fuzz", &j, NULL) < 0)
		return 0;
	(void)pl_oci_sniff_media_type(j);
	if (cycle(kind, j, &j1) == 0) {
		if (pl_json_dump(j1, &b1, NULL) < 0)
			abort();
		if (cycle(kind, j1, &j2) != 0)
			abort();
		if (pl_json_dump(j2, &b2, NULL) < 0 || b1.len != b2.len ||
		    memcmp(b1.data, b2.data, b1.len) != 0)
			abort();
	}
	json_decref(j);
	json_decref(j1);
	json_decref(j2);
	pl_buf_release(&b1);
	pl_buf_release(&b2);
	return 0;
}
