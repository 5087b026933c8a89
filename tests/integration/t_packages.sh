# Debian packages from a signed local repository: lock, build, a real dpkg
# database (dpkg-query and dpkg --audit agree), reproducible from the lock
# without downloading, and every kind of bad input refused.
. "$(dirname "$0")/lib.sh"
. "$HERE/debrepo.sh"

D="$T/debrepo"
P="$D/pool/main"
gpg_key "$T"
mkdeb "$P" libhello 1.0 "" usr/lib/libhello.so.1=v1.0
mkdeb "$P" libhello 1.1 "" usr/lib/libhello.so.1=v1.1
mkdeb "$P" hello 2.0 "Depends: libhello (>= 1.0), virtual-shell | nosuch" \
	"bin/hello=#!/bin/sh" "etc/hello.conf=greeting=hi"
mkdeb "$P" tinysh 1.0 "Provides: virtual-shell" "usr/bin/tinysh=shell"
mkdeb "$P" unrelated 9.9 "" usr/share/unrelated=x
mkdeb "$P" ess 1.0 "Essential: yes" usr/share/ess=x
index_repo "$D" stable

R="$T/repo"
new_repo "$R"
mkdir -p "$R/keys"
cp "$T/key.gpg" "$R/keys/test.gpg"
cat >"$R/plinth.yaml" <<YAML
repositories:
  local:
    url: file://$D
    suite: stable
    components: [main]
    keyring: keys/test.gpg
YAML
cat >"$R/recipes/app.yaml" <<'YAML'
name: app
sources: [local]
packages: [hello]
YAML
commit "$R" "app with packages"
cd "$R"

# plinth lock pins the highest versions and the chain's dependencies
$PLINTH lock app >"$T/lock.txt" || fail "plinth lock"
grep -q "recipes/app.lock.json: 3 packages" "$T/lock.txt" || { cat "$T/lock.txt"; fail "lock summary"; }
python3 - "$R/recipes/app.lock.json" <<'PY' || fail "lock content"
import json, sys
l = json.load(open(sys.argv[1]))
pk = {p["name"]: p for p in l["architectures"]["amd64"]["packages"]}
assert sorted(pk) == ["hello", "libhello", "tinysh"], sorted(pk)
assert pk["libhello"]["version"] == "1.1", pk["libhello"]
assert pk["hello"]["url"].startswith("file://"), pk["hello"]
assert len(pk["hello"]["sha256"]) == 64
PY
commit "$R" "lock"
ok "lock"

$PLINTH build --out "oci:$T/l1" app >/dev/null || fail "build"
D1=$(digest_of "$T/l1" app:latest)
umoci unpack --image "$T/l1:app:latest" "$T/b" >/dev/null || fail "umoci unpack"
RF="$T/b/rootfs"
[ "$(readlink "$RF/bin")" = "usr/bin" ] || fail "merged /usr link"
[ "$(cat "$RF/usr/bin/hello")" = "#!/bin/sh" ] || fail "/bin/hello unpacked through /bin -> usr/bin"
[ "$(cat "$RF/usr/lib/libhello.so.1")" = "v1.1" ] || fail "highest libhello"
dpkg-query --admindir="$RF/var/lib/dpkg" -W -f='${Package} ${Version}\n' | sort >"$T/installed.txt"
printf 'hello 2.0\nlibhello 1.1\ntinysh 1.0\n' >"$T/want.txt"
cmp "$T/installed.txt" "$T/want.txt" || { cat "$T/installed.txt"; fail "dpkg-query lists other packages"; }
dpkg --admindir="$RF/var/lib/dpkg" --audit >"$T/audit.txt" 2>&1 || fail "dpkg --audit failed"
[ ! -s "$T/audit.txt" ] || { cat "$T/audit.txt"; fail "dpkg --audit found problems"; }
grep -q '^/bin/hello$' "$RF/var/lib/dpkg/info/hello.list" || fail "info/hello.list"
grep -q '^ /etc/hello.conf [0-9a-f]\{32\}$' "$RF/var/lib/dpkg/status" || fail "conffile hash in status"
ok "packages installed with a real dpkg database"

# the same lock builds the same digest, from the cache alone
mv "$D" "$T/debrepo.away"
$PLINTH build --out "oci:$T/l2" app >/dev/null || fail "second build without the repository"
[ "$(digest_of "$T/l2" app:latest)" = "$D1" ] || fail "second build differs"
$PLINTH build --offline --out "oci:$T/l3" app >/dev/null || fail "offline build"
[ "$(digest_of "$T/l3" app:latest)" = "$D1" ] || fail "offline build differs"
expect_fail "offline with an empty cache and no repository" "hello_2.0_amd64.deb" env PLINTH_CACHE="$T/empty-cache" $PLINTH build --offline --out "oci:$T/l4" app
mv "$T/debrepo.away" "$D"
ok "reproducible from the lock, nothing downloaded"

# distroless-style database and the essential set, when asked
cat >"$R/recipes/distroless.yaml" <<'YAML'
name: distroless
sources: [local]
packages: [libhello]
package_set: {essential: true}
dpkg_database: status.d
YAML
commit "$R" distroless
$PLINTH build --update-lock --out "oci:$T/dl" distroless >/dev/null || fail "build distroless"
umoci unpack --image "$T/dl:distroless:latest" "$T/u-dl" >/dev/null
DB="$T/u-dl/rootfs/var/lib/dpkg"
[ -f "$DB/status.d/libhello" ] && [ -f "$DB/status.d/ess" ] || fail "status.d entries"
[ ! -s "$DB/status" ] || fail "status written although dpkg_database: status.d"
grep -q '^Version: 1.1$' "$DB/status.d/libhello" || fail "status.d content"
git -C "$R" rm -q recipes/distroless.yaml && commit "$R" "drop distroless"
ok "status.d database and Essential packages on request"

# packages split into layers give the same merged filesystem
cat >"$R/recipes/split.yaml" <<'YAML'
name: split
sources: [local]
layers:
  - name: runtime
    packages: [libhello]
  - name: app
    packages: [hello]
    files: [{path: /etc/app, content: "x\n"}]
YAML
cat >"$R/recipes/whole.yaml" <<'YAML'
name: whole
sources: [local]
packages: [libhello, hello]
files: [{path: /etc/app, content: "x\n"}]
YAML
commit "$R" "split and whole"
$PLINTH lock split whole >/dev/null || fail "lock split/whole"
commit "$R" "locks"
$PLINTH build --out "oci:$T/s" split whole >/dev/null || fail "build split/whole"
python3 - "$T/s" <<'PY' || fail "split layers"
import gzip, io, json, sys, tarfile
L = sys.argv[1]
blob = lambda d: open(L + "/blobs/sha256/" + d.split(":")[1], "rb").read()
ix = json.load(open(L + "/index.json"))
m = {e["annotations"]["org.opencontainers.image.ref.name"]: json.loads(blob(e["digest"])) for e in ix["manifests"]}
def names(layer):
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob(layer["digest"])))) as t:
        return set(t.getnames())
sl = [names(l) for l in m["split:latest"]["layers"]]
assert len(sl) == 2, len(sl)
assert "usr/lib/libhello.so.1" in sl[0] and "usr/bin/hello" not in sl[0], sl[0]
assert "usr/bin/hello" in sl[1] and "etc/app" in sl[1] and "usr/lib/libhello.so.1" not in sl[1], sl[1]
assert len(m["whole:latest"]["layers"]) == 2   # packages, then the files
PY
for i in split whole; do
	umoci unpack --image "$T/s:$i:latest" "$T/u-$i" >/dev/null || fail "unpack $i"
	(cd "$T/u-$i/rootfs" && find . -printf '%p %y %m %U %G %s\n' | sort) >"$T/$i.files"
	(cd "$T/u-$i/rootfs" && find . -type f -exec sha256sum {} + | sort) >"$T/$i.sums"
done
cmp "$T/split.files" "$T/whole.files" || { diff "$T/split.files" "$T/whole.files"; fail "merged trees differ"; }
cmp "$T/split.sums" "$T/whole.sums" || { diff "$T/split.sums" "$T/whole.sums"; fail "merged contents differ"; }
ok "packages split into layers: same merged filesystem"


# a lock that no longer satisfies the recipe
sed -i 's/packages: \[hello\]/packages: [hello, unrelated]/' "$R/recipes/app.yaml"
commit "$R"
expect_fail "stale lock" "app.lock.json does not satisfy recipes/app.yaml.*unrelated" $PLINTH build --out "oci:$T/l5" app
$PLINTH build --update-lock --out "oci:$T/l5" app >/dev/null || fail "--update-lock"
git -C "$R" checkout -q HEAD~1 -- recipes/app.yaml && commit "$R" "back to hello"

# unsatisfiable dependency: the chain is named
cat >"$R/recipes/bad.yaml" <<'YAML'
name: bad
sources: [local]
packages: [needy]
YAML
mkdeb "$P" needy 1.0 "Depends: hello (>= 3)"
index_repo "$D" stable
commit "$R"
expect_fail "unsatisfiable" "needy.*hello \(>= 3\)" $PLINTH lock bad

# a repository whose signature does not verify
cp "$D/dists/stable/InRelease" "$T/InRelease.good"
sed -i 's/^Suite: stable/Suite: stab1e/' "$D/dists/stable/InRelease"
expect_fail "tampered InRelease" "repository 'local'.*signature" $PLINTH build --update-lock --out "oci:$T/l6" app
cp "$T/InRelease.good" "$D/dists/stable/InRelease"
GNUPGHOME="$T/other" gpg_key "$T/otherkey"
cp "$T/otherkey/key.gpg" "$R/keys/test.gpg"
commit "$R" "wrong key"
expect_fail "wrong keyring" "repository 'local'.*keys/test.gpg" $PLINTH build --update-lock --out "oci:$T/l6" app
cp "$T/key.gpg" "$R/keys/test.gpg"
commit "$R" "right key"
export GNUPGHOME="$T/gnupg"

# a Packages index that does not match the Release
cp -a "$D" "$T/debrepo.good"
for f in Packages Packages.gz Packages.xz; do printf '\n' >>"$D/dists/stable/main/binary-amd64/$f"; done
expect_fail "Packages hash mismatch" "Packages" env PLINTH_CACHE="$T/cache1" $PLINTH build --update-lock --out "oci:$T/l7" app
rm -rf "$D"; cp -a "$T/debrepo.good" "$D"

# a .deb whose sha256 does not match the lock (fresh cache, file replaced)
cp "$P/hello_2.0_amd64.deb" "$T/hello.good"
mkdeb "$T/evil" hello 2.0 "" bin/hello=evil
cp "$T/evil/hello_2.0_amd64.deb" "$P/hello_2.0_amd64.deb"
expect_fail ".deb sha256 mismatch" "hello_2.0_amd64.deb" env PLINTH_CACHE="$T/cache2" $PLINTH build --out "oci:$T/l8" app
cp "$T/hello.good" "$P/hello_2.0_amd64.deb"

# a malformed .deb and a .deb whose data.tar escapes the root
mk_bad_deb() {
	rm -rf "$T/bad" && mkdir -p "$T/bad"
	(cd "$T/bad" && echo "2.0" >debian-binary &&
		printf 'Package: hello\nVersion: 2.0\nArchitecture: amd64\nMaintainer: x <x@x>\nDescription: x\n' >control &&
		tar -czf control.tar.gz ./control && "$@" && ar rc "$P/hello_2.0_amd64.deb" debian-binary control.tar.gz data.tar.gz)
	index_repo "$D" stable
}
mk_bad_deb sh -c 'python3 -c "import tarfile,io; t=tarfile.open(\"data.tar.gz\",\"w:gz\"); i=tarfile.TarInfo(\"./../../escaped\"); i.size=1; t.addfile(i, io.BytesIO(b\"x\")); t.close()"'
expect_fail ".deb escaping the root" "hello_2.0_amd64.deb.*\.\." env PLINTH_CACHE="$T/cache3" $PLINTH build --update-lock --out "oci:$T/l9" app
[ ! -e "$T/escaped" ] && [ ! -e /escaped ] || fail "data.tar escaped"
mk_bad_deb sh -c 'head -c 100 /dev/urandom >data.tar.gz'
expect_fail "malformed .deb" "hello_2.0_amd64.deb" env PLINTH_CACHE="$T/cache4" $PLINTH build --update-lock --out "oci:$T/l10" app
rm -rf "$D"; cp -a "$T/debrepo.good" "$D"

# a locked build fetches from whatever mirror plinth.yaml names now
cp -a "$D" "$T/mirror2"
mv "$D" "$T/orig.away"
sed -i "s|url: file://$D\$|url: file://$T/mirror2|" "$R/plinth.yaml"
commit "$R" "another mirror"
PLINTH_CACHE="$T/cache-m" $PLINTH build --out "oci:$T/lm" app >/dev/null || fail "locked build from another mirror"
ok "locked build from another mirror"
