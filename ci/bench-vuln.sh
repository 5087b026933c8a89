#!/bin/sh
# make bench, part 3: the vulnerability database and the scanner.
# bench_vulndb imports the real ELTS OSV corpus, a generated tracker JSON
# (40,000 CVEs over 3,000 source packages) and a generated OSV zip (60,000
# records); bench_scan scans the real 816-package status file of a Debian 12
# host against a database of 100,000 statements.
set -eu
: "${BENCH_BIN:?set BENCH_BIN to the directory of the bench binaries}"
TOP=$(cd "$(dirname "$0")/.." && pwd)
VD="${PL_VULNDATA:-$TOP/../shared/vulndata}"
if [ ! -d "$VD" ]; then
	echo "bench-vuln: $VD is absent; skipped"
	exit 0
fi
echo "== vulnerability database import"
"$BENCH_BIN/bench_vulndb" "$VD/debian-osv/elts-advisories"
echo
echo "== scan of bookworm-devhost.status (816 packages)"
"$BENCH_BIN/bench_scan" "$VD/dpkg-status/bookworm-devhost.status" "$VD/dpkg-status/bookworm-devhost.os-release" 100000 5
