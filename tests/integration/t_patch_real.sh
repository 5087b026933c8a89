# NETWORK: the real patch scenario with this repo's plinth.yaml, keyring and
# patches: an image whose lock pins the older OpenSSL of Debian 12's main
# repository, built with and without the central patches. The patch layer
# holds only the upgraded packages' files, the dpkg database and the
# hardening; the layers below are byte-identical; the rescan (a database
# from the mirror's changelogs) no longer reports the CVEs PL-2026-0001
# names. Skipped with a message when deb.debian.org is not reachable.
. "$(dirname "$0")/lib.sh"

if ! curl -sfI --max-time 5 http://deb.debian.org/debian/dists/bookworm/InRelease >/dev/null; then
	echo "SKIP: deb.debian.org is not reachable; the real patch test needs the network"
	exit 0
fi
TOP=$(cd "$HERE/../.." && pwd)
R="$T/repo"
new_repo "$R"
cp -r "$TOP/plinth.yaml" "$TOP/keys" "$TOP/patches" "$R/"
OLD=3.0.20-1~deb12u2
cat >"$R/recipes/ssl.yaml" <<YAML
name: ssl
sources: [bookworm-security, bookworm]
packages: [base-files, "libssl3=$OLD", "openssl=$OLD"]
YAML
sed 's/^name: ssl$/name: ssl-plain/; $a patches: none' "$R/recipes/ssl.yaml" >"$R/recipes/ssl-plain.yaml"
commit "$R"
cd "$R"
if ! $PLINTH lock ssl ssl-plain >"$T/lock.txt" 2>&1; then
	if grep -q "$OLD" "$T/lock.txt"; then
		echo "SKIP: the mirror no longer has openssl $OLD"; exit 0
	fi
	cat "$T/lock.txt"; fail "lock"
fi
commit "$R" lock
$PLINTH vulndb update --changelogs --db "$T/v.db" >/dev/null || fail "vulndb update --changelogs"
$PLINTH build --db "$T/v.db" --out "oci:$T/l" ssl-plain >/dev/null 2>&1 || fail "unpatched build"
$PLINTH build --db "$T/v.db" --json --out "oci:$T/l" ssl >"$T/ssl.json" 2>"$T/ssl.err" || { cat "$T/ssl.err"; fail "patched build"; }
$PLINTH scan --db "$T/v.db" --format json "oci:$T/l:ssl-plain:latest" >"$T/before.json"
$PLINTH scan --db "$T/v.db" --format json "oci:$T/l:ssl:latest" >"$T/after.json"
python3 - "$T/l" "$T/ssl.json" "$T/before.json" "$T/after.json" "$R/patches/PL-2026-0001.yaml" <<'PY' || fail "the real patch scenario"
import gzip, io, json, re, sys, tarfile
L, res, before, after, patch = sys.argv[1:]
cves = re.findall(r"CVE-\d+-\d+", open(patch).read())
blob = lambda d: open(L + "/blobs/sha256/" + d.split(":")[1], "rb").read()
ix = json.load(open(L + "/index.json"))
man = {m["annotations"]["org.opencontainers.image.ref.name"]: json.loads(blob(m["digest"])) for m in ix["manifests"]}
a, b = man["ssl-plain:latest"], man["ssl:latest"]
assert [l["digest"] for l in b["layers"][:-1]] == [l["digest"] for l in a["layers"]], "lower layers changed"
assert b["annotations"]["dev.plinth.patches"] == "PL-2026-0001,PL-2026-0002", b["annotations"]
with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob(b["layers"][-1]["digest"])))) as t:
    names = [n for n in t.getnames()]
allowed = ("usr/lib/x86_64-linux-gnu/", "usr/share/doc/libssl3", "usr/share/doc/openssl",
           "usr/bin/", "usr/lib/ssl", "usr/share/man", "var/lib/dpkg", "etc/ssl",
           "usr", "usr/lib", "usr/share", "var", "var/lib", "etc")
odd = [n for n in names if not n.rstrip("/").startswith(allowed)]
assert not odd, odd
assert "usr/bin/.wh.c_rehash" in names, "c_rehash whiteout missing"
r = json.load(open(res))["images"][0]
up = [p for p in r["patches"]["record"] if p["id"] == "PL-2026-0001"][0]["actions"][0]["packages"]
assert {x["name"] for x in up} >= {"libssl3", "openssl"} and all(x["after"] != x["before"] for x in up), up
bf = {f["cve"] for f in json.load(open(before))["findings"]}
af = {f["cve"] for f in json.load(open(after))["findings"]}
named = [c for c in cves if c in bf]
assert named, "the unpatched image shows none of the patch's CVEs"
assert not [c for c in cves if c in af], [c for c in cves if c in af]
print("closed:", " ".join(named))
PY
ok "PL-2026-0001 upgrades OpenSSL in one patch layer and closes its CVEs"
