#!/bin/sh
# make bench, part 4: patching a ~100 MB image with a one-package upgrade,
# beside rebuilding it from its recipe with the fix (both with every
# download cached), and the patch layer's size beside the image's.
set -eu
: "${PLINTH:?set PLINTH}"
TOP=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/plinth-bench-patch.XXXXXX")
export T
trap 'rm -rf "$T"' EXIT
. "$TOP/tests/integration/lib.sh" >/dev/null
. "$TOP/tests/integration/debrepo.sh"

gpg_key "$T" >/dev/null
# a 96 MB package of mixed content, and the package the patch upgrades
mkdir -p "$T/debsrc/big-1.0/usr/share/big"
python3 - "$T/debsrc/big-1.0/usr/share/big" <<'PY'
import os, random, sys
r = random.Random(7)
words = [("".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(2, 9)))) for _ in range(4000)]
for i in range(600):
    with open(os.path.join(sys.argv[1], "text-%03d.txt" % i), "w") as f:
        f.write(" ".join(r.choice(words) for _ in range(16000)))
for i in range(4):
    with open(os.path.join(sys.argv[1], "blob-%d.bin" % i), "wb") as f:
        f.write(r.randbytes(12 << 20))
PY
mkdir -p "$T/debsrc/big-1.0/DEBIAN"
printf 'Package: big\nVersion: 1.0\nArchitecture: amd64\nMaintainer: b <b@b>\nDescription: big\n' >"$T/debsrc/big-1.0/DEBIAN/control"
mkdir -p "$T/main/pool/main"
dpkg-deb --root-owner-group -Zgzip -z1 --build "$T/debsrc/big-1.0" "$T/main/pool/main/big_1.0_amd64.deb" >/dev/null
mkdeb "$T/main/pool/main" hello 2.0 "" usr/bin/hello=v2.0
index_repo "$T/main" stable
mkdeb "$T/sec/pool/main" hello 2.1 "" usr/bin/hello=v2.1
index_repo "$T/sec" stable-security

R="$T/repo"
new_repo "$R" >/dev/null
mkdir -p "$R/keys" "$R/patches"
cp "$T/key.gpg" "$R/keys/test.gpg"
cat >"$R/plinth.yaml" <<YAML
repositories:
  main: {url: "file://$T/main", suite: stable, components: [main], keyring: keys/test.gpg}
  security: {url: "file://$T/sec", suite: stable-security, components: [main], keyring: keys/test.gpg}
YAML
printf 'name: app\nsources: [main]\npackages: [big, hello]\npatches: none\n' >"$R/recipes/app.yaml"
printf 'name: fixed\nsources: [security, main]\npackages: [big, hello]\npatches: none\n' >"$R/recipes/fixed.yaml"
cat >"$R/patches/PL-1.yaml" <<'YAML'
id: PL-1
title: hello update
severity: high
applies_to: {package: hello, below: "2.1"}
actions:
  - upgrade: {packages: [hello], from: security}
YAML
commit "$R" >/dev/null
cd "$R"
"$PLINTH" -q lock app fixed >/dev/null
commit "$R" lock >/dev/null
"$PLINTH" -q build --out "oci:$T/img" app fixed >/dev/null
"$PLINTH" -q patch --out "oci:$T/img:warmup" "oci:$T/img:app:latest" >/dev/null

best() {
	b=""
	for i in 1 2 3; do
		/usr/bin/time -f '%e %M' -o "$T/t" sh -c "$1" >/dev/null 2>&1
		t=$(tail -n 1 "$T/t")
		if [ -z "$b" ] || [ "$(echo "$t $b" | awk '{print ($1 < $3)}')" = 1 ]; then b=$t; fi
	done
	echo "$b"
}
REBUILD=$(best "rm -rf $T/rb && \"$PLINTH\" -q build --out oci:$T/rb fixed")
PATCH=$(best "rm -rf $T/pt && \"$PLINTH\" -q patch --out oci:$T/pt:patched oci:$T/img:app:latest")
"$PLINTH" -q patch --out "oci:$T/img:patched" "oci:$T/img:app:latest" >/dev/null
python3 - "$T/img" "$REBUILD" "$PATCH" <<'PY'
import json, sys
L, rb, pt = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
ix = json.load(open(L + "/index.json"))
d = [m["digest"] for m in ix["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "patched"][0]
m = json.load(open(L + "/blobs/sha256/" + d.split(":")[1]))
total = sum(l["size"] for l in m["layers"])
patch = m["layers"][-1]["size"]
print("patching a %.0f MB image (%d layers) with a one-package upgrade:" % (total / 1e6, len(m["layers"])))
print("  %-40s %7s s  %6.1f MB peak" % ("plinth build of the fixed recipe", rb[0], int(rb[1]) / 1024))
print("  %-40s %7s s  %6.1f MB peak  (%.1fx faster)" % ("plinth patch of the image", pt[0], int(pt[1]) / 1024, float(rb[0]) / float(pt[0])))
print("  patch layer %d bytes = %.3f%% of the image's layers (%d bytes)" % (patch, 100.0 * patch / total, total))
PY
