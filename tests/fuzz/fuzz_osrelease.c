/*
 * Fuzz target: arbitrary bytes as /etc/os-release (pl_osrel_parse) and the
 * ecosystem derived from it; the same bytes as a Debian copyright file
 * (pl_copyright_licenses) and as a CVSS vector. Parsed values are
 * NUL-free non-empty strings; a CVSS score is within 0..10.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/scan.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_inventory inv;
	char eco[64], *lic = NULL, *s;
	double score;

	pl_log_set_level(PL_LOG_QUIET);
	pl_inventory_init(&inv);
	if (pl_osrel_parse((const char *)data, size, &inv.os, &err) < 0)
		abort(); /* only allocation failure is an error */
	if ((inv.os.id && !inv.os.id[0]) || (inv.os.version_id && !inv.os.version_id[0]))
		abort();
	if (pl_scan_ecosystem(&inv, eco, sizeof(eco), &err) == 0 && !strchr(eco, ':'))
		abort();
	pl_inventory_release(&inv);

	pl_err_init(&err);
	if (pl_copyright_licenses((const char *)data, size, &lic, &err) < 0)
		abort();
	if (lic && !lic[0])
		abort();
	free(lic);

	if (!(s = malloc(size + 1)))
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (pl_cvss3_score(s, &score, NULL) == 0 && (score < 0 || score > 10))
		abort();
	free(s);
	return 0;
}
