#!/bin/sh
# make demo: build every example recipe of this repo, at its HEAD commit,
# into the OCI layout out/images, then show how to look at the result.
set -eu
cd "$(dirname "$0")/.."
: "${PLINTH:=build/plinth}"
OUT=out/images

if ! git rev-parse --verify -q HEAD >/dev/null; then
	echo "demo: this is not a git checkout with a commit; Plinth builds from commits" >&2
	exit 1
fi
echo "== plinth lint (recipes, patches and plinth.yaml at HEAD)"
"$PLINTH" lint
echo
echo "== plinth vulndb update --changelogs (CVEs the Debian mirror's changelogs name as fixed)"
"$PLINTH" vulndb update --changelogs
echo
# a demo signing key (the real one lives outside the repo; see docs/signing.md)
export PLINTH_PASSWORD="${PLINTH_PASSWORD:-demo}"
if [ ! -f out/demo-signing.key ]; then
	mkdir -p out
	echo "== plinth keygen out/demo-signing"
	"$PLINTH" keygen out/demo-signing
	echo
fi
echo "== plinth build --all --jobs 2 --out oci:$OUT --check-reproducible --key out/demo-signing.key"
"$PLINTH" build --all --jobs 2 --out "oci:$OUT" --check-reproducible --key out/demo-signing.key
echo
echo "== plinth build --all again: nothing changed, nothing rebuilt"
"$PLINTH" build --all --jobs 2 --out "oci:$OUT" | tail -n 6
echo
echo "== plinth verify --key out/demo-signing.pub oci:$OUT:debian-base:12"
"$PLINTH" verify --key out/demo-signing.pub "oci:$OUT:debian-base:12"
echo
echo "== plinth attestations --key out/demo-signing.pub oci:$OUT:debian-base:12"
"$PLINTH" attestations --key out/demo-signing.pub "oci:$OUT:debian-base:12"
echo
echo "== plinth rollout (the ledger out/ledger.db: which patch reached which image)"
"$PLINTH" rollout
"$PLINTH" rollout --format html --out out/rollout.html
echo
first=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])' "$OUT/index.json")
echo "== plinth inspect oci:$OUT:$first"
"$PLINTH" inspect "oci:$OUT:$first"
echo
echo "== plinth scan oci:$OUT:debian-busybox:12"
"$PLINTH" scan "oci:$OUT:debian-busybox:12" | head -n 30
echo
echo "== skopeo inspect oci:$OUT:$first"
skopeo inspect "oci:$OUT:$first" | head -n 20
echo
cat <<MSG
The images are in the OCI image layout $OUT (one ref per recipe tag):
$(python3 -c 'import json,sys; [print("  oci:'"$OUT"':" + m["annotations"]["org.opencontainers.image.ref.name"] + "  " + m["digest"]) for m in json.load(open(sys.argv[1]))["manifests"]]' "$OUT/index.json")

The rollout report for release managers: out/rollout.html; the build ledger: out/ledger.db
($PLINTH history debian-base, $PLINTH advisory PL-2026-0002 --format md).

Look at them with:
  $PLINTH inspect oci:$OUT:$first
  skopeo inspect oci:$OUT:$first
  skopeo copy --override-arch amd64 oci:$OUT:$first oci:/tmp/one:img   # one platform, for umoci 0.4
  umoci unpack --rootless --image /tmp/one:img /tmp/bundle && ls -l /tmp/bundle/rootfs
  skopeo copy oci:$OUT:$first docker-archive:/tmp/image.tar:$first     # for docker load
MSG
