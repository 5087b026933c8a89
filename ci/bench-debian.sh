#!/bin/sh
# make bench, part 2: building debian-base from the real Debian 12
# repositories, cold (empty cache) and warm (everything cached, unchanged
# recipe), beside mmdebstrap --variant=extract of the same package set.
# Needs the network; says so and stops when deb.debian.org is unreachable.
set -eu
: "${PLINTH:?set PLINTH}"
TOP=$(cd "$(dirname "$0")/.." && pwd)
REPS=${BENCH_REPS:-3}

if ! curl -sfI --max-time 5 http://deb.debian.org/debian/dists/bookworm/InRelease >/dev/null; then
	echo "bench-debian: deb.debian.org is not reachable; skipped"
	exit 0
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/plinth-bench-deb.XXXXXX")
trap 'rm -rf "$W"' EXIT
R="$W/repo"
mkdir -p "$R/recipes" "$R/keys"
cp "$TOP/plinth.yaml" "$R/"
cp "$TOP/keys/debian-archive-keyring.gpg" "$R/keys/"
cp "$TOP/recipes/debian-base.yaml" "$R/recipes/"
git -C "$R" init -q
git -C "$R" add -A
git -C "$R" -c user.name=bench -c user.email=bench@plinth.invalid commit -qm bench
(cd "$R" && PLINTH_CACHE="$W/lockcache" "$PLINTH" -q lock debian-base >/dev/null)
git -C "$R" add -A
git -C "$R" -c user.name=bench -c user.email=bench@plinth.invalid commit -qm lock
PKGS=$(python3 -c 'import json,sys; print(",".join(p["name"] for p in json.load(open(sys.argv[1]))["architectures"]["amd64"]["packages"]))' "$R/recipes/debian-base.lock.json")
NPKGS=$(echo "$PKGS" | tr ',' '\n' | wc -l)

# best wall time and its peak RSS over runs of a command: "SECONDS KB"
best() {
	b=""
	for i in $(seq "$1"); do
		shift_cmd=$2
		[ -n "${3:-}" ] && eval "$3"
		/usr/bin/time -f '%e %M' -o "$W/t" sh -c "$shift_cmd" >/dev/null 2>&1 || { echo "bench-debian: failed: $shift_cmd" >&2; cat "$W/t" >&2; exit 1; }
		t=$(cat "$W/t" | tail -n 1)
		if [ -z "$b" ] || [ "$(echo "$t $b" | awk '{print ($1 < $3)}')" = 1 ]; then b=$t; fi
	done
	echo "$b"
}

cd "$R"
COLD=$(best "$REPS" "PLINTH_CACHE=$W/cold \"$PLINTH\" -q build --out oci:$W/out-cold debian-base" "rm -rf $W/cold $W/out-cold")
"$PLINTH" -q build --out "oci:$W/out-warm" debian-base >/dev/null 2>&1 || true
WARM=$(best 5 "PLINTH_CACHE=$W/cold \"$PLINTH\" -q build --out oci:$W/out-warm debian-base")
MM=$(best 2 "mmdebstrap --quiet --variant=extract --include=$PKGS bookworm $W/mm.tar 'deb http://deb.debian.org/debian bookworm main' 'deb http://deb.debian.org/debian bookworm-updates main' 'deb http://security.debian.org/debian-security bookworm-security main'" "rm -f $W/mm.tar")

echo
echo "debian-base: $NPKGS packages from Debian 12 (best of $REPS cold, 5 warm, 2 mmdebstrap)"
printf '%-44s %8s %10s %s\n' "contender" "seconds" "peak RSS" "ratio"
row() { printf '%-44s %8s %7.1f MB %s\n' "$1" "$(echo "$2" | cut -d' ' -f1)" "$(echo "$2" | awk '{print $2/1024}')" "$3"; }
ratio() { echo "$1 $2" | awk '{printf "%.2fx mmdebstrap", $1/$3}'; }
row "mmdebstrap --variant=extract (tar)" "$MM" ""
row "plinth build, cold cache (OCI image)" "$COLD" "$(ratio "$COLD" "$MM")"
row "plinth build, warm cache, unchanged recipe" "$WARM" "$(ratio "$WARM" "$MM")"
