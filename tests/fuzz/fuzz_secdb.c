/* Fuzz target: arbitrary bytes as an Alpine secdb (JSON or YAML through libyaml); see fuzz_feed.h. */
#include "fuzz_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_feed(PL_FEED_ALPINE_SECDB, data, size);
}
