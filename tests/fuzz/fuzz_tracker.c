/* Fuzz target: arbitrary bytes as a Debian security tracker JSON feed, walked one source package at a time; see fuzz_feed.h. */
#include "fuzz_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_feed(PL_FEED_DEBIAN_TRACKER, data, size);
}
