/* Fuzz target: arbitrary bytes as an OSV feed (one record, an array, a {"vulns": [...]} list or a .zip); see fuzz_feed.h. */
#include "fuzz_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_feed(PL_FEED_OSV, data, size);
}
