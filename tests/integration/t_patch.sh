# Central patches: an upgrade from a security repository plus hardening
# actions, applied as one patch layer on unchanged layers; the rescan closes
# the CVE; plinth patch on an existing image; re-patching replaces; errors.
. "$(dirname "$0")/lib.sh"
. "$HERE/debrepo.sh"

gpg_key "$T"
D="$T/main"
S="$T/security"
mkdeb "$D/pool/main" hello 2.0 "" usr/bin/hello=v2.0 usr/share/hello/old-only=x "etc/hello.conf=greeting=hi"
MKDEB_SETUID=usr/bin/tool mkdeb "$D/pool/main" tool 1.0 "" usr/bin/tool=tool usr/share/doc/tool/README=doc
index_repo "$D" stable
mkdeb "$S/pool/main" hello 2.1 "" usr/bin/hello=v2.1 usr/share/hello/new-only=y "etc/hello.conf=greeting=hi"
index_repo "$S" stable-security

cat >"$T/tracker.json" <<'JSON'
{"hello": {"CVE-2099-0001": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "2.1", "urgency": "high"}}}}}
JSON
$PLINTH vulndb import --db "$T/vuln.db" --kind debian "$T/tracker.json" >/dev/null

R="$T/repo"
new_repo "$R"
mkdir -p "$R/keys" "$R/patches/files"
cp "$T/key.gpg" "$R/keys/test.gpg"
cat >"$R/plinth.yaml" <<YAML
repositories:
  main: {url: "file://$D", suite: stable, components: [main], keyring: keys/test.gpg}
  security: {url: "file://$S", suite: stable-security, components: [main], keyring: keys/test.gpg}
vulndb: {path: $T/vuln.db}
policy: {fail_on: high}
YAML
cat >"$R/recipes/app.yaml" <<'YAML'
name: app
sources: [main]
packages: [hello, tool]
files: [{path: /etc/os-release, content: "ID=debian\nVERSION_ID=\"12\"\n"}]
YAML
sed 's/^name: app$/name: plain/; $a patches: none' "$R/recipes/app.yaml" >"$R/recipes/plain.yaml"
cat >"$R/patches/PL-2099-0001.yaml" <<'YAML'
id: PL-2099-0001
title: hello security update
severity: high
cves: [CVE-2099-0001]
advisory: DSA-9999-1
published: 2099-01-01
applies_to: {package: hello, below: "2.1"}
actions:
  - upgrade: {packages: [hello], from: security}
YAML
printf -- '--- a/etc/hello.conf\n+++ b/etc/hello.conf\n@@ -1 +1 @@\n-greeting=hi\n+greeting=hello\n' >"$R/patches/files/hello.diff"
cat >"$R/patches/PL-2099-0002.yaml" <<'YAML'
id: PL-2099-0002
title: hardening
severity: medium
applies_to: {package: tool}
actions:
  - chmod: {path: /usr/bin/tool, mode: "0755"}
  - remove: [/usr/share/doc/tool]
  - diff: patches/files/hello.diff
YAML
commit "$R"
cd "$R"
$PLINTH lock app plain >/dev/null || fail "lock"
commit "$R" lock
$PLINTH lint >/dev/null || { $PLINTH lint; fail "lint of the patches"; }

# the unpatched image is refused by the policy (the CVE is high)...
set +e
$PLINTH build --out "oci:$T/plain" plain >/dev/null 2>"$T/plain.err"; rc=$?
set -e
[ "$rc" -eq 3 ] || { cat "$T/plain.err"; fail "unpatched image not refused ($rc)"; }
# ...so build it ungated for the comparisons
$PLINTH build --db "$T/empty.db" --out "oci:$T/plain" plain >/dev/null 2>&1 || true
$PLINTH vulndb import --db "$T/empty.db" --kind debian "$T/tracker.json" >/dev/null
sed -i 's/^policy: {fail_on: high}$/policy: {fail_on: high}\n/' "$R/plinth.yaml"
printf '{"x": {}}' >"$T/none.json"
$PLINTH vulndb import --db "$T/nofindings.db" --kind debian "$T/none.json" >/dev/null
$PLINTH build --db "$T/nofindings.db" --out "oci:$T/plain" plain >/dev/null || fail "unpatched build"

$PLINTH build --json --out "oci:$T/p1" app >"$T/p1.json" 2>"$T/p1.err" || { cat "$T/p1.err"; fail "patched build"; }
python3 - "$T/p1.json" <<'PY' || fail "build result"
import json, sys
i = json.load(open(sys.argv[1]))["images"][0]
p = i["patches"]
assert p["applied"] == "PL-2099-0001,PL-2099-0002", p
assert p["closed"]["PL-2099-0001"] == ["CVE-2099-0001"], p["closed"]
assert p["findings_before"]["high"] >= 1, p
assert i["scan"]["severity"]["high"] == 0, i["scan"]
rec = {r["id"]: r for r in p["record"]}
up = rec["PL-2099-0001"]["actions"][0]["packages"]
assert {"name": "hello", "before": "2.0", "after": "2.1"} in up, up
PY
ok "patched build: upgrade, closed CVE, record"

python3 - "$T/plain" "$T/p1" <<'PY' || fail "layers below the patch layer"
import json, sys
def man(L, ref):
    ix = json.load(open(L + "/index.json"))
    d = [m for m in ix["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == ref][0]["digest"]
    return json.load(open(L + "/blobs/sha256/" + d.split(":")[1]))
a, b = man(sys.argv[1], "plain:latest"), man(sys.argv[2], "app:latest")
assert len(b["layers"]) == len(a["layers"]) + 1, (len(a["layers"]), len(b["layers"]))
assert [l["digest"] for l in b["layers"][:-1]] == [l["digest"] for l in a["layers"]], "lower layers changed"
assert b["annotations"]["dev.plinth.patches"] == "PL-2099-0001,PL-2099-0002"
cfg = json.load(open(sys.argv[2] + "/blobs/sha256/" + b["config"]["digest"].split(":")[1]))
assert cfg["history"][-1]["created_by"].startswith("plinth: patches"), cfg["history"][-1]
PY
ok "one patch layer on byte-identical lower layers"

umoci unpack --image "$T/p1:app:latest" "$T/u" >/dev/null || fail "umoci unpack"
RF="$T/u/rootfs"
[ "$(cat "$RF/usr/bin/hello")" = "v2.1" ] || fail "new version's file"
[ -e "$RF/usr/share/hello/new-only" ] || fail "new file"
[ ! -e "$RF/usr/share/hello/old-only" ] || fail "file only the old version owned is still there"
[ "$(stat -c %a "$RF/usr/bin/tool")" = "755" ] || fail "setuid not dropped"
[ ! -e "$RF/usr/share/doc/tool" ] || fail "removed path still there"
[ "$(cat "$RF/etc/hello.conf")" = "greeting=hello" ] || fail "diff not applied"
dpkg-query --admindir="$RF/var/lib/dpkg" -W -f='${Package} ${Version}\n' | sort >"$T/q.txt"
grep -qx "hello 2.1" "$T/q.txt" || { cat "$T/q.txt"; fail "dpkg-query does not show hello 2.1"; }
$PLINTH scan --db "$T/vuln.db" --format json "oci:$T/p1:app:latest" >"$T/after.json" || fail "scan of the patched image"
! grep -q "CVE-2099-0001" "$T/after.json" || fail "the patched image still reports CVE-2099-0001"
$PLINTH scan --db "$T/vuln.db" --format json "oci:$T/plain:plain:latest" | grep -q "CVE-2099-0001" || fail "the unpatched image does not report CVE-2099-0001"
ok "patched filesystem and dpkg database; the rescan no longer reports the CVE"

$PLINTH build --out "oci:$T/p2" app >/dev/null 2>&1 || fail "second patched build"
[ "$(digest_of "$T/p2" app:latest)" = "$(digest_of "$T/p1" app:latest)" ] || fail "patching is not reproducible"
ok "patching twice gives the same digest"

$PLINTH patch --plan --json >"$T/plan.json" || fail "plinth patch --plan"
python3 - "$T/plan.json" <<'PY' || fail "plan content"
import json, sys
plan = {i["recipe"]: i for i in json.load(open(sys.argv[1]))}
app = plan["app"]["patches"]
assert [p["id"] for p in app] == ["PL-2099-0001", "PL-2099-0002"], app
assert app[0]["why"] == "hello 2.0 < 2.1", app[0]
assert app[0]["actions"] == ["upgrade hello from security"], app[0]
assert plan["plain"]["patches"] == [], plan["plain"]
PY
ok "plinth patch --plan"

# plinth patch: the unpatched image, then the patched one again
$PLINTH patch --out "oci:$T/bp:fixed" "oci:$T/plain:plain:latest" >"$T/bp.txt" 2>&1 || { cat "$T/bp.txt"; fail "plinth patch"; }
$PLINTH patch --out "oci:$T/bp:again" "oci:$T/bp:fixed" >/dev/null 2>&1 || fail "plinth patch of a patched image"
python3 - "$T/plain" "$T/bp" <<'PY' || fail "plinth patch layers"
import json, sys
def man(L, ref):
    ix = json.load(open(L + "/index.json"))
    d = [m for m in ix["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == ref][0]["digest"]
    return json.load(open(L + "/blobs/sha256/" + d.split(":")[1]))
a, f, g = man(sys.argv[1], "plain:latest"), man(sys.argv[2], "fixed"), man(sys.argv[2], "again")
assert [l["digest"] for l in f["layers"][:-1]] == [l["digest"] for l in a["layers"]]
assert len(g["layers"]) == len(f["layers"]), "re-patching stacked a second patch layer"
assert f["annotations"]["org.opencontainers.image.title"] == "plain", f["annotations"]
assert f["annotations"]["dev.plinth.patches"] == "PL-2099-0001,PL-2099-0002", f["annotations"]
assert g["layers"][-1]["digest"] == f["layers"][-1]["digest"], "same patch set, different patch layer"
PY
ok "plinth patch; re-patching replaces the patch layer"

# refusals: nothing written
bad_patch() {
	desc=$1 pat=$2
	commit "$R" "$desc"
	before=$(ls "$T/p1/blobs/sha256" | wc -l)
	expect_fail "$desc" "$pat" $PLINTH build --out "oci:$T/p1" app
	[ "$(ls "$T/p1/blobs/sha256" | wc -l)" = "$before" ] || fail "$desc: blobs written"
}
printf -- '--- a/etc/hello.conf\n+++ b/etc/hello.conf\n@@ -1 +1 @@\n-greeting=nope\n+greeting=hello\n' >"$R/patches/files/hello.diff"
bad_patch "diff that does not apply" "hello.diff.*etc/hello.conf.*hunk #1"
git -C "$R" checkout -q HEAD~1 -- patches/files/hello.diff
sed -i 's/from: security}/from: security, version: "9.9"}/' "$R/patches/PL-2099-0001.yaml"
bad_patch "upgrade to a missing version" "9.9"
sed -i 's/, version: "9.9"}/}/' "$R/patches/PL-2099-0001.yaml"
sed -i 's|remove: \[/usr/share/doc/tool\]|remove: [/var/lib/dpkg]|' "$R/patches/PL-2099-0002.yaml"
bad_patch "removing the dpkg database" "dpkg"
sed -i 's|remove: \[/var/lib/dpkg\]|remove: [/usr/share/doc/tool]|' "$R/patches/PL-2099-0002.yaml"
printf 'id: PL-2099-0003\ntitel: typo\n' >"$R/patches/PL-2099-0003.yaml"
bad_patch "malformed patch YAML" "patches/PL-2099-0003.yaml:2:1"
