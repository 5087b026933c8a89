#!/bin/sh
# make bench, part 5: pushing a generated ~200 MB image in 10 layers to a
# local registry (docker-registry on 127.0.0.1), plinth push beside skopeo
# copy of the same layout, each to a fresh registry; then the re-push.
set -eu
: "${PLINTH:?set PLINTH}"
TOP=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/plinth-bench-push.XXXXXX")
export T
. "$TOP/tests/integration/lib.sh" >/dev/null
REG_HERE="$TOP/tests/integration"
. "$TOP/tests/integration/registry.sh"
trap 'reg_stop_all; rm -rf "$T"' EXIT

python3 "$TOP/tests/integration/mkimage.py" "$T/img" app:1 20M 20M 20M 20M 20M 20M 20M 20M 20M 20M >/dev/null
size=$(du -sb "$T/img/blobs" | cut -f1)

# each run gets a registry of its own, so nothing is there yet
reg_start p1
reg_start p2
reg_start s1
reg_start s2
timed() { # CMD...: "seconds peak-KB" of one run
	/usr/bin/time -f '%e %M' -o "$T/t" "$@" >/dev/null 2>&1
	tail -n 1 "$T/t"
}
SRC="oci:$T/img:app:1"
P1=$(timed "$PLINTH" -q push "$SRC" "$REG_p1/bench/app:1")
S1=$(timed skopeo copy -q --dest-tls-verify=false "$SRC" "docker://$REG_s1/bench/app:1")
P2=$(timed "$PLINTH" -q push "$SRC" "$REG_p2/bench/app:1")
S2=$(timed skopeo copy -q --dest-tls-verify=false "$SRC" "docker://$REG_s2/bench/app:1")
RP=$(timed "$PLINTH" -q push "$SRC" "$REG_p2/bench/app:1")
RS=$(timed skopeo copy -q --dest-tls-verify=false "$SRC" "docker://$REG_s2/bench/app:1")
python3 - "$size" "$P1" "$P2" "$S1" "$S2" "$RP" "$RS" <<'PY'
import sys
size = int(sys.argv[1])
p = min([sys.argv[2].split(), sys.argv[3].split()], key=lambda x: float(x[0]))
s = min([sys.argv[4].split(), sys.argv[5].split()], key=lambda x: float(x[0]))
rp, rs = sys.argv[6].split(), sys.argv[7].split()
print("pushing a %.0f MB image in 10 layers to a fresh local registry (best of 2):" % (size / 1e6))
print("  %-36s %7s s  %6.1f MB peak" % ("skopeo copy oci: docker://", s[0], int(s[1]) / 1024))
print("  %-36s %7s s  %6.1f MB peak  (%.2fx skopeo's time)" % ("plinth push", p[0], int(p[1]) / 1024, float(p[0]) / float(s[0])))
print("  %-36s %7s s  %6.1f MB peak  (%.1f%% of the first push)" % ("plinth re-push (nothing new)", rp[0], int(rp[1]) / 1024, 100 * float(rp[0]) / float(p[0])))
print("  %-36s %7s s  %6.1f MB peak" % ("skopeo re-push", rs[0], int(rs[1]) / 1024))
PY
