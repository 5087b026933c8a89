# Scanning: a database from real and hand-written feeds, plinth scan on a
# root filesystem and on a built image, every report format, the ignore file,
# SBOMs, and the gate in plinth build (exit 3, nothing tagged).
. "$(dirname "$0")/lib.sh"
. "$HERE/debrepo.sh"
VD="$HERE/../../../shared/vulndata"

# a tracker JSON whose verdicts we know: hello 2.0 (source hello) is installed
cat >"$T/tracker.json" <<'JSON'
{"hello": {
  "CVE-2099-0001": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "2.1", "urgency": "high", "repositories": {"bookworm": "2.0"}}}},
  "CVE-2099-0002": {"releases": {"bookworm": {"status": "open", "urgency": "low", "repositories": {"bookworm": "2.0"}}}},
  "CVE-2099-0003": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "0", "urgency": "high", "repositories": {"bookworm": "2.0"}}}},
  "CVE-2099-0004": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "1.9", "urgency": "high", "repositories": {"bookworm": "2.0"}}}},
  "CVE-2099-0005": {"releases": {"bookworm": {"status": "open", "urgency": "medium", "nodsa": "Minor issue", "nodsa_reason": "ignored", "repositories": {"bookworm": "2.0"}}}}
}}
JSON
DB="$T/vuln.db"
$PLINTH vulndb import --db "$DB" --kind debian "$T/tracker.json" >"$T/imp.txt" || fail "import tracker"
grep -q "snapshot sha256:" "$T/imp.txt" || fail "import prints the snapshot"
if [ -d "$VD" ]; then
	$PLINTH vulndb import --db "$DB" "$VD/debian-osv/elts-advisories" "$VD/debian-tracker-json/vunnel-debian.json" >/dev/null || fail "import real feeds"
	$PLINTH vulndb import --db "$DB" "$VD/debian-osv/elts-advisories" >"$T/again.txt" || fail "re-import"
	grep -q "^0 records imported" "$T/again.txt" || { cat "$T/again.txt"; fail "re-import is not idempotent"; }
fi
$PLINTH vulndb info --db "$DB" | grep -q "debian-tracker" || fail "vulndb info"
ok "vulndb import"

# plinth vulndb update: feeds from plinth.yaml, a URL and a file in the repo
U="$T/urepo"
new_repo "$U"
mkdir -p "$U/feeds"
cp "$T/tracker.json" "$U/feeds/tracker.json"
cat >"$U/plinth.yaml" <<YAML
vulndb:
  path: $T/u.db
  feeds:
    - {kind: debian, url: "file://$T/tracker.json"}
    - {kind: debian, url: feeds/tracker.json}
YAML
commit "$U"
(cd "$U" && $PLINTH vulndb update >"$T/u1.txt") || fail "vulndb update"
(cd "$U" && $PLINTH vulndb update >"$T/u2.txt") || fail "second vulndb update"
[ "$(sed 's/.*snapshot //' "$T/u1.txt")" = "$(sed 's/.*snapshot //' "$T/u2.txt")" ] || fail "update changed the snapshot without new data"
grep -q "^0 records imported" "$T/u2.txt" || { cat "$T/u2.txt"; fail "second update imported again"; }
ok "vulndb update from plinth.yaml feeds, idempotent"

# a root filesystem with a dpkg database
RF="$T/rootfs"
mkdir -p "$RF/etc" "$RF/usr/lib" "$RF/var/lib/dpkg"
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' >"$RF/usr/lib/os-release"
ln -s ../usr/lib/os-release "$RF/etc/os-release"
cat >"$RF/var/lib/dpkg/status" <<'ST'
Package: hello
Status: install ok installed
Architecture: amd64
Version: 2.0
Description: test

Package: libhello
Status: install ok installed
Architecture: amd64
Source: hello (2.0)
Version: 2.0+b1
Description: test binNMU of the same source
ST
$PLINTH scan --db "$DB" --format json "rootfs:$RF" >"$T/scan.json" || fail "scan rootfs"
python3 - "$T/scan.json" <<'PY' || fail "scan findings"
import json, sys
r = json.load(open(sys.argv[1]))
f = {(x["package"], x["cve"]): x for x in r["findings"]}
assert ("hello", "CVE-2099-0001") in f and f[("hello", "CVE-2099-0001")]["state"] == "fixed", f
assert f[("hello", "CVE-2099-0001")]["fixed"] == "2.1"
assert f[("hello", "CVE-2099-0001")]["severity"] == "high"
assert f[("hello", "CVE-2099-0002")]["state"] == "unfixed"
assert f[("hello", "CVE-2099-0005")]["state"] == "wont-fix"
assert ("hello", "CVE-2099-0003") not in f, "not-affected reported"
assert ("hello", "CVE-2099-0004") not in f, "installed >= fixed reported"
# the binNMU libhello 2.0+b1 is compared by its source version 2.0
assert ("libhello", "CVE-2099-0001") in f, "binNMU binary not matched by source"
assert f[("libhello", "CVE-2099-0001")]["source"] == "hello"
assert r["ecosystem"] == "debian:12", r["ecosystem"]
assert r["database"].startswith("sha256:")
assert all(x["why"] for x in r["findings"])
PY
ok "findings: fixed, unfixed, wont-fix, not-affected, binNMU"

$PLINTH scan --db "$DB" "rootfs:$RF" >"$T/table.txt" || fail "table"
grep -q "CVE-2099-0001" "$T/table.txt" && grep -q "2.1" "$T/table.txt" || { cat "$T/table.txt"; fail "table content"; }
$PLINTH scan --db "$DB" --format sarif "rootfs:$RF" >"$T/scan.sarif" || fail "sarif"
python3 - "$T/scan.sarif" <<'PY' || fail "sarif shape"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["version"] == "2.1.0", s.get("version")
run = s["runs"][0]
assert run["tool"]["driver"]["name"].lower().startswith("plinth")
assert any(r["ruleId"] == "CVE-2099-0001" for r in run["results"])
PY
ok "table and SARIF"

set +e
$PLINTH scan --db "$DB" --fail-on high "rootfs:$RF" >/dev/null 2>"$T/gate.txt"; rc=$?
$PLINTH scan --db "$DB" --fail-on critical "rootfs:$RF" >/dev/null 2>&1; rc2=$?
set -e
[ "$rc" -eq 3 ] || { cat "$T/gate.txt"; fail "--fail-on high exits $rc, want 3"; }
grep -q "CVE-2099-0001" "$T/gate.txt" || fail "gate message names the CVE"
[ "$rc2" -eq 0 ] || fail "--fail-on critical exits $rc2"
ok "--fail-on exits 3"

# sbom of the root filesystem
$PLINTH sbom --format spdx --name test "rootfs:$RF" >"$T/spdx.json" || fail "spdx"
$PLINTH sbom --format cyclonedx --name test "rootfs:$RF" >"$T/cdx.json" || fail "cyclonedx"
python3 - "$T/spdx.json" "$T/cdx.json" <<'PY' || fail "sbom content"
import json, sys
s = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2]))
assert s["spdxVersion"] == "SPDX-2.3" and s["dataLicense"] == "CC0-1.0"
purls = [r["referenceLocator"] for p in s["packages"] for r in p.get("externalRefs", [])]
assert any(p.startswith("pkg:deb/debian/hello@2.0?arch=amd64") for p in purls), purls
assert any("upstream=hello" in p for p in purls if "libhello" in p), purls
assert c["bomFormat"] == "CycloneDX" and c["specVersion"] == "1.5"
assert any(x.get("purl", "").startswith("pkg:deb/debian/libhello@2.0%2Bb1") or x.get("purl", "").startswith("pkg:deb/debian/libhello@2.0+b1") for x in c["components"]), [x.get("purl") for x in c["components"]]
PY
ok "SPDX and CycloneDX"

# plinth build gates on the policy, with the repo's ignore file
D="$T/debrepo"
gpg_key "$T"
mkdeb "$D/pool/main" hello 2.0 "" usr/bin/hello=hi
index_repo "$D" stable
R="$T/repo"
new_repo "$R"
mkdir -p "$R/keys"
cp "$T/key.gpg" "$R/keys/test.gpg"
cat >"$R/plinth.yaml" <<YAML
repositories:
  local: {url: "file://$D", suite: stable, components: [main], keyring: keys/test.gpg}
vulndb: {path: $DB}
policy: {fail_on: high}
YAML
cat >"$R/recipes/app.yaml" <<'YAML'
name: app
sources: [local]
packages: [hello]
files: [{path: /etc/os-release, content: "ID=debian\nVERSION_ID=\"12\"\n"}]
YAML
commit "$R"
cd "$R"
set +e
$PLINTH build --out "oci:$T/out" app >"$T/b.out" 2>"$T/b.err"; rc=$?
set -e
[ "$rc" -eq 3 ] || { cat "$T/b.err"; fail "build with a high finding exits $rc, want 3"; }
grep -q "policy" "$T/b.err" && grep -q "CVE-2099-0001" "$T/b.err" || { cat "$T/b.err"; fail "gate message"; }
[ ! -f "$T/out/index.json" ] || ! grep -q '"app:' "$T/out/index.json" || fail "refused image was tagged"
[ -z "$(ls "$T/out/blobs/sha256" 2>/dev/null)" ] || fail "a refused image wrote blobs"
ok "build refused by the policy (exit 3), nothing tagged"

cp "$R/recipes/app.yaml" "$T/app.yaml.keep"
printf 'policy: {fail_on: high, ignore: [CVE-2099-0001]}\n' >>"$R/recipes/app.yaml"
commit "$R" "policy ignore"
$PLINTH build --out "oci:$T/outp" app >"$T/bp.out" 2>"$T/bp.err" || { cat "$T/bp.err"; fail "build with the recipe policy's ignore list"; }
grep -q "1 ignored" "$T/bp.out" || { cat "$T/bp.out"; fail "policy ignore not counted"; }
cp "$T/app.yaml.keep" "$R/recipes/app.yaml"
commit "$R" "no policy ignore"
ok "the recipe policy's ignore list"

cat >"$R/.plinthignore.yaml" <<'YAML'
- {id: CVE-2099-0001, package: hello, reason: "fixed by the app's own config", expires: 2999-01-01}
- {id: CVE-2099-0002, reason: "expired entry", expires: 2000-01-01}
YAML
commit "$R" ignore
$PLINTH build --out "oci:$T/out" app >"$T/b2.out" 2>"$T/b2.err" || { cat "$T/b2.err"; fail "build with the ignore file"; }
grep -q "app: scan:" "$T/b2.out" || { cat "$T/b2.out"; fail "build prints a scan summary"; }
grep -q "ignored" "$T/b2.out" || fail "summary counts ignored findings"
grep -q "expired" "$T/b2.err" || { cat "$T/b2.err"; fail "expired ignore entry not reported"; }
$PLINTH scan --db "$DB" --format json "oci:$T/out:app:latest" >"$T/img.json" || fail "scan of the built image"
python3 - "$T/img.json" <<'PY' || fail "image scan"
import json, sys
r = json.load(open(sys.argv[1]))
ids = {(x["cve"], x["ignored"]) for x in r["findings"]}
assert ("CVE-2099-0001", True) in ids and ("CVE-2099-0002", False) in ids, ids
assert r["image_digest"].startswith("sha256:"), r
PY
ok "ignore file applied in build and scan; expired entries reported"

# the air-gapped fallback: a newer hello in the mirror whose changelog names a CVE
mkdeb "$D/pool/main" hello 2.2 "" usr/bin/hello=hi "usr/share/doc/hello/changelog.Debian.gz=hello (2.2) bookworm-security; urgency=high

  * Fix a buffer overflow (CVE-2099-7777).

 -- Plinth Tests <test@plinth.invalid>  Sat, 01 Aug 2026 12:00:00 +0000

hello (2.0) bookworm; urgency=medium

  * Initial release; closes nothing (CVE-2099-0000 was never here).

 -- Plinth Tests <test@plinth.invalid>  Sat, 01 Jan 2026 12:00:00 +0000"
CODENAME=bookworm index_repo "$D" stable
cat >"$R/plinth.yaml" <<YAML
repositories:
  local: {url: "file://$D", suite: stable, components: [main], keyring: keys/test.gpg}
vulndb: {path: $T/cl.db}
policy: {fail_on: critical}
YAML
sed -i 's/packages: \[hello\]/packages: ["hello=2.0"]/' "$R/recipes/app.yaml"
commit "$R" changelogs
$PLINTH lock app >/dev/null && commit "$R" lock
$PLINTH vulndb update --changelogs >"$T/cl.txt" || fail "vulndb update --changelogs"
$PLINTH build --out "oci:$T/out2" app >/dev/null 2>&1 || fail "build against the changelog database"
$PLINTH scan --format json "oci:$T/out2:app:latest" >"$T/cl.json" || fail "scan with changelog findings"
python3 - "$T/cl.json" <<'PY' || fail "changelog finding"
import json, sys
r = json.load(open(sys.argv[1]))
f = {x["cve"]: x for x in r["findings"]}
assert "CVE-2099-7777" in f, f.keys()
assert f["CVE-2099-7777"]["fixed"] == "2.2" and f["CVE-2099-7777"]["feed"] == "changelog", f["CVE-2099-7777"]
assert "CVE-2099-0000" not in f, "a CVE fixed at or below the installed version was reported"
PY
ok "changelogs of the mirror's newest packages find CVE-2099-7777"
