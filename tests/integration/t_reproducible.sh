# The same commit builds byte-identical blobs and the same digests in two
# output directories, at different times, with different caches and thread
# counts; --check-reproducible proves it in one command.
. "$(dirname "$0")/lib.sh"

R="$T/repo"
new_repo "$R"
mkdir -p "$R/files"
head -c 300000 /dev/urandom >"$R/files/random.bin"
mktar "$R/files/t.tar" d:srv f:srv/a:alpha f:srv/b:beta
cat >"$R/recipes/r.yaml" <<YAML
name: r
tags: [v1]
architectures: [amd64, arm64]
files:
  - {path: /srv/random.bin, source: files/random.bin}
  - {path: /etc/motd, content: "hi\n"}
tarballs:
  - {source: files/t.tar, sha256: "$(sha256 "$R/files/t.tar")"}
YAML
commit "$R"
cd "$R"

PLINTH_CACHE="$T/c1" $PLINTH build --threads 1 --out "oci:$T/a" r >/dev/null
sleep 1
touch "$R/files/random.bin"
PLINTH_CACHE="$T/c2" $PLINTH build --threads 2 --out "oci:$T/b" r >/dev/null
DA=$(digest_of "$T/a" r:v1)
DB=$(digest_of "$T/b" r:v1)
[ "$DA" = "$DB" ] || fail "digests differ: $DA vs $DB"
diff -r "$T/a/blobs" "$T/b/blobs" || fail "blobs differ"
cmp "$T/a/index.json" "$T/b/index.json" || fail "index.json differs"
ok "two builds give $DA"

# several architectures: an index with one manifest per platform
python3 - "$T/a" "$DA" <<'PY' || fail "index platforms"
import json, sys
L, d = sys.argv[1], sys.argv[2]
ix = json.load(open(L + "/blobs/sha256/" + d.split(":")[1]))
assert ix["mediaType"] == "application/vnd.oci.image.index.v1+json", ix
plats = sorted(m["platform"]["architecture"] for m in ix["manifests"])
assert plats == ["amd64", "arm64"], plats
PY
python3 "$HERE/oci-validate.py" "$T/a" r:v1 || fail "schema validation of the index"
skopeo inspect --override-arch arm64 "oci:$T/a:r:v1" | grep -q '"Architecture": "arm64"' || fail "skopeo arm64"
ok "multi-arch index"

# --check-reproducible
$PLINTH build --check-reproducible --out "oci:$T/c" r >"$T/check.txt"
grep -q "(reproducible)" "$T/check.txt" || fail "--check-reproducible did not confirm"
[ "$(digest_of "$T/c" r:v1)" = "$DA" ] || fail "third build differs"
ok "--check-reproducible"

# zstd layers are reproducible too, and differ from gzip ones
$PLINTH build --zstd --out "oci:$T/z1" r >/dev/null
PLINTH_CACHE="$T/c3" $PLINTH build --zstd --threads 1 --out "oci:$T/z2" r >/dev/null
[ "$(digest_of "$T/z1" r:v1)" = "$(digest_of "$T/z2" r:v1)" ] || fail "zstd builds differ"
[ "$(digest_of "$T/z1" r:v1)" != "$DA" ] || fail "zstd build equals gzip build"
grep -rq 'tar+zstd' "$T/z1/blobs" || fail "no zstd layer media type"
skopeo copy -q "oci:$T/z1:r:v1" "dir:$T/zcopy" || fail "skopeo copy of zstd image"
ok "zstd"

# SOURCE_DATE_EPOCH overrides the commit time
SOURCE_DATE_EPOCH=86400 $PLINTH build --out "oci:$T/e" r >/dev/null
[ "$(digest_of "$T/e" r:v1)" != "$DA" ] || fail "SOURCE_DATE_EPOCH ignored"
$PLINTH inspect --json "oci:$T/e:r:v1" | grep -q '"created": "1970-01-02T00:00:00Z"' || fail "created not from SOURCE_DATE_EPOCH"
ok "SOURCE_DATE_EPOCH"
