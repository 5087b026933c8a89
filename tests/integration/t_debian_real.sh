# NETWORK: debian-busybox from the real Debian 12 repositories (this repo's
# plinth.yaml and keyring). Skipped with a message when deb.debian.org is
# not reachable. Runs busybox in a chroot when root.
. "$(dirname "$0")/lib.sh"

if ! curl -sfI --max-time 5 http://deb.debian.org/debian/dists/bookworm/InRelease >/dev/null; then
	echo "SKIP: deb.debian.org is not reachable; the real-repository test needs the network"
	exit 0
fi
TOP=$(cd "$HERE/../.." && pwd)
R="$T/repo"
new_repo "$R"
mkdir -p "$R/keys"
cp "$TOP/plinth.yaml" "$R/"
cp "$TOP/keys/debian-archive-keyring.gpg" "$R/keys/"
cp "$TOP/recipes/debian-busybox.yaml" "$R/recipes/"
commit "$R"
cd "$R"
# a fresh lock: the repository's committed one may name files a point
# release has since removed from the mirror
$PLINTH lock debian-busybox >/dev/null || fail "plinth lock against Debian 12"
commit "$R" lock
$PLINTH build --out "oci:$T/l" debian-busybox >/dev/null || fail "build debian-busybox"
D1=$(digest_of "$T/l" debian-busybox:12)
$PLINTH build --offline --out "oci:$T/l2" debian-busybox >/dev/null || fail "offline rebuild"
[ "$(digest_of "$T/l2" debian-busybox:12)" = "$D1" ] || fail "rebuild from the lock differs"
ok "built and rebuilt offline: $D1"

if [ "$(id -u)" -eq 0 ]; then
	umoci unpack --image "$T/l:debian-busybox:12" "$T/b" >/dev/null || fail "umoci unpack"
else
	umoci unpack --rootless --image "$T/l:debian-busybox:12" "$T/b" >/dev/null || fail "umoci unpack"
fi
RF="$T/b/rootfs"
python3 - "$R/recipes/debian-busybox.lock.json" >"$T/want.txt" <<'PY'
import json, sys
l = json.load(open(sys.argv[1]))
for p in sorted(l["architectures"]["amd64"]["packages"], key=lambda p: p["name"]):
    print(p["name"], p["version"])
PY
dpkg-query --admindir="$RF/var/lib/dpkg" -W -f='${Package} ${Version}\n' | sort >"$T/got.txt"
cmp "$T/want.txt" "$T/got.txt" || { diff "$T/want.txt" "$T/got.txt"; fail "dpkg-query differs from the lock"; }
dpkg --admindir="$RF/var/lib/dpkg" --audit >"$T/audit.txt" 2>&1 || fail "dpkg --audit"
[ ! -s "$T/audit.txt" ] || { cat "$T/audit.txt"; fail "dpkg --audit found problems"; }
ok "dpkg-query lists the lock's $(wc -l <"$T/got.txt") packages; dpkg --audit is clean"
[ -s "$RF/etc/ssl/certs/ca-certificates.crt" ] || fail "CA bundle"
[ "$(readlink "$RF/usr/bin/awk")" = "/etc/alternatives/awk" ] || fail "awk alternative"

if [ "$(id -u)" -eq 0 ]; then
	[ "$(chroot "$RF" /bin/busybox echo ok)" = "ok" ] || fail "busybox in a chroot"
	[ "$(chroot "$RF" /bin/sh -c 'echo from-sh')" = "from-sh" ] || fail "/bin/sh in a chroot"
	ok "busybox runs in a chroot"
else
	echo "SKIP: chroot needs root"
fi
