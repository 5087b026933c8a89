# base: an OCI layout image. Its layers are reused byte for byte, its files
# (accounts included) are seen by the recipe, its config is inherited.
. "$(dirname "$0")/lib.sh"

R="$T/repo"
new_repo "$R"
cat >"$R/recipes/lower.yaml" <<'YAML'
name: lower
tags: ["1"]
architectures: [amd64, arm64]
layers:
  - name: one
    directories: [{path: /home/app, mode: "0750", uid: 1000, gid: 1000}]
    files: [{path: /etc/lower, content: "lower\n"}]
  - name: two
    files: [{path: /etc/gone, content: "x\n"}]
accounts:
  users: [{name: app, uid: 1000, home: /home/app}]
config:
  env: {A: from-lower, B: from-lower}
  cmd: ["/bin/lower"]
  exposed_ports: ["80/tcp"]
  labels: {tier: lower}
YAML
commit "$R"
cd "$R"
$PLINTH build --out "oci:$T/base" lower >/dev/null

cat >"$R/recipes/upper.yaml" <<YAML
name: upper
base: oci:$T/base:lower:1
architectures: [amd64, arm64]
files:
  - {path: /home/app/hello, content: "hi\n", uid: 1000, gid: 1000}
accounts:
  users: [{name: svc, uid: 2000}]
config:
  env: {B: from-upper, C: from-upper}
  exposed_ports: ["443/tcp"]
  labels: {tier: upper, extra: "yes"}
YAML
commit "$R"
$PLINTH build --out "oci:$T/out" upper >/dev/null

python3 - "$T/base" "$T/out" <<'PY' || fail "base layers and config"
import json, sys
def blob(L, d): return open(L + "/blobs/sha256/" + d.split(":")[1], "rb").read()
def top(L, ref):
    ix = json.load(open(L + "/index.json"))
    return [m for m in ix["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == ref][0]
bl, ul = sys.argv[1], sys.argv[2]
bix = json.loads(blob(bl, top(bl, "lower:1")["digest"]))
uix = json.loads(blob(ul, top(ul, "upper:latest")["digest"]))
for arch in ("amd64", "arm64"):
    bm = [m for m in bix["manifests"] if m["platform"]["architecture"] == arch][0]
    um = [m for m in uix["manifests"] if m["platform"]["architecture"] == arch][0]
    bman, uman = json.loads(blob(bl, bm["digest"])), json.loads(blob(ul, um["digest"]))
    n = len(bman["layers"])
    assert uman["layers"][:n] == bman["layers"], "base layers not reused byte for byte"
    assert len(uman["layers"]) == n + 2, uman["layers"]   # files + accounts
    for l in uman["layers"][:n]:
        assert blob(ul, l["digest"]) == blob(bl, l["digest"])
    a = uman["annotations"]
    assert a["org.opencontainers.image.base.digest"] == bm["digest"], a
    assert a["org.opencontainers.image.base.name"].endswith(":lower:1"), a
    bc, uc = json.loads(blob(bl, bman["config"]["digest"])), json.loads(blob(ul, uman["config"]["digest"]))
    assert uc["architecture"] == arch
    assert uc["rootfs"]["diff_ids"][:n] == bc["rootfs"]["diff_ids"]
    assert uc["history"][:len(bc["history"])] == bc["history"], "base history not kept"
    c = uc["config"]
    assert c["Env"][1:] == ["A=from-lower", "B=from-upper", "C=from-upper"], c["Env"]
    assert c["Cmd"] == ["/bin/lower"], c
    assert sorted(c["ExposedPorts"]) == ["443/tcp", "80/tcp"], c
    assert c["Labels"] == {"tier": "upper", "extra": "yes"}, c
PY
ok "base layers, history and config"

python3 "$HERE/oci-validate.py" "$T/out" upper:latest || fail "schema validation"
# umoci 0.4 unpacks single-platform images: take amd64 out of the index first
skopeo copy -q --override-arch amd64 "oci:$T/out:upper:latest" "oci:$T/single:upper" || fail "skopeo copy of one platform"
umoci unpack --rootless --image "$T/single:upper" "$T/b" >/dev/null
RF="$T/b/rootfs"
[ "$(cat "$RF/etc/lower")" = "lower" ] || fail "base file"
[ "$(cat "$RF/home/app/hello")" = "hi" ] || fail "recipe file"
[ "$(stat -c %a "$RF/home/app")" = "750" ] || fail "base dir metadata lost under a new file"
grep -q '^app:x:1000:1000:' "$RF/etc/passwd" || fail "base user lost"
grep -q '^svc:x:2000:2000:' "$RF/etc/passwd" || fail "new user"
[ "$(grep -c '^root:' "$RF/etc/passwd")" = 1 ] || fail "root duplicated"
ok "merged filesystem"

# a base that does not exist, and one for another architecture
sed -i "s|lower:1|nosuch:1|" "$R/recipes/upper.yaml"
commit "$R"
expect_fail "missing base" "recipes/upper.yaml:2:7: .*nosuch:1" $PLINTH build --out "oci:$T/out" upper
$PLINTH build --out "oci:$T/one" lower >/dev/null
sed -i "s|oci:$T/base:nosuch:1|oci:$T/one:lower:1|; s|architectures: \[amd64, arm64\]|architectures: [riscv64]|" "$R/recipes/upper.yaml"
commit "$R"
expect_fail "base without the architecture" "no linux/riscv64 image" $PLINTH build --out "oci:$T/out" upper
