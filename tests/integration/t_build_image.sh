# A recipe with files, a tarball, directories, symlinks, accounts and config
# becomes an image that skopeo, umoci and the OCI JSON schemas all accept,
# with the expected files, modes and ownership.
. "$(dirname "$0")/lib.sh"

R="$T/repo"
new_repo "$R"
mkdir -p "$R/files"
printf 'server=1\n' >"$R/files/app.conf"
mktar "$R/files/rootfs.tar.gz" d:opt/tool f:opt/tool/README:hello-from-tarball w:opt/tool/suid \
	l:opt/tool/latest:README h:opt/tool/README.hard:opt/tool/README
SHA=$(sha256 "$R/files/rootfs.tar.gz")
cat >"$R/recipes/app.yaml" <<YAML
name: app
tags: ["1.0", latest]
description: integration test image
layers:
  - name: tools
    tarballs:
      - {source: files/rootfs.tar.gz, sha256: "$SHA"}
  - name: config
    files:
      - {path: /etc/app/app.conf, source: files/app.conf, mode: "0640", uid: 0, gid: 65532}
      - {path: /usr/bin/hello, content: "#!/bin/sh\necho hello\n", mode: "0755"}
    directories:
      - {path: /var/lib/app, mode: "0700", uid: 65532, gid: 65532}
    symlinks:
      - {path: /usr/bin/hi, target: hello}
accounts:
  groups: [{name: app, gid: 65532}]
  users: [{name: app, uid: 65532, gid: 65532, home: /home/app}]
config:
  user: "65532"
  env: {LANG: C.UTF-8}
  entrypoint: ["/usr/bin/hello"]
  cmd: ["--help"]
  workdir: /home/app
  labels: {team: platform}
  exposed_ports: ["8080/tcp"]
  stop_signal: SIGTERM
annotations:
  org.example.owner: platform
YAML
commit "$R" "app recipe"
REV=$(git -C "$R" rev-parse HEAD)

L="$T/layout"
cd "$R"
$PLINTH build --out "oci:$L" app >"$T/build.txt"
cat "$T/build.txt"
grep -q "oci:$L:app:1.0 sha256:" "$T/build.txt" || fail "build output lacks the ref line"
D=$(digest_of "$L" app:1.0)
grep -q "$D" "$T/build.txt" || fail "printed digest differs from index.json"
[ "$(digest_of "$L" app:latest)" = "$D" ] || fail "tags point at different images"

# OCI JSON schemas, blob digests and sizes
python3 "$HERE/oci-validate.py" "$L" app:1.0 || fail "schema validation"
ok "schemas"

# skopeo reads and copies it
skopeo inspect "oci:$L:app:1.0" >"$T/skopeo.json" || fail "skopeo inspect"
python3 - "$T/skopeo.json" "$REV" <<'PY' || fail "skopeo inspect content"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["Architecture"] == "amd64", j
assert j["Os"] == "linux", j
assert j["Labels"]["team"] == "platform", j
assert len(j["Layers"]) == 3, j["Layers"]   # tools, config, accounts
assert "LANG=C.UTF-8" in j["Env"], j["Env"]
PY
skopeo copy -q "oci:$L:app:1.0" "dir:$T/copy" || fail "skopeo copy"
[ -s "$T/copy/manifest.json" ] || fail "skopeo copy wrote no manifest"
ok "skopeo inspect + copy"

# plinth inspect shows the annotations
$PLINTH inspect --json "oci:$L:app:1.0" >"$T/inspect.json"
python3 - "$T/inspect.json" "$REV" "$D" <<'PY' || fail "inspect annotations"
import json, sys
j = json.load(open(sys.argv[1]))
a = j["manifest"]["annotations"]
assert j["digest"] == sys.argv[3]
assert a["org.opencontainers.image.revision"] == sys.argv[2], a
assert a["org.opencontainers.image.created"] == "2026-01-02T03:04:05Z", a
assert a["org.opencontainers.image.title"] == "app", a
assert a["org.opencontainers.image.version"] == "1.0", a
assert a["org.opencontainers.image.description"] == "integration test image", a
assert a["org.opencontainers.image.source"].startswith("file://"), a
assert a["dev.plinth.recipe"] == "recipes/app.yaml", a
assert a["org.example.owner"] == "platform", a
c = j["config"]["config"]
assert c["User"] == "65532" and c["WorkingDir"] == "/home/app", c
assert c["Entrypoint"] == ["/usr/bin/hello"] and c["Cmd"] == ["--help"], c
assert "8080/tcp" in c["ExposedPorts"] and c["StopSignal"] == "SIGTERM", c
assert j["config"]["created"] == "2026-01-02T03:04:05Z"
assert len(j["config"]["history"]) == 3
PY
$PLINTH inspect "oci:$L:app:latest" | grep -q "org.opencontainers.image.revision: $REV" || fail "human inspect"
ok "inspect"

# umoci (rootless) unpacks files and modes
umoci unpack --rootless --image "$L:app:1.0" "$T/bundle" >/dev/null || fail "umoci unpack --rootless"
RF="$T/bundle/rootfs"
[ "$(cat "$RF/opt/tool/README")" = "hello-from-tarball" ] || fail "tarball content"
[ "$(cat "$RF/etc/app/app.conf")" = "server=1" ] || fail "file from repo"
[ "$(readlink "$RF/usr/bin/hi")" = "hello" ] || fail "symlink"
[ "$(readlink "$RF/opt/tool/latest")" = "README" ] || fail "tarball symlink"
[ "$(stat -c %i "$RF/opt/tool/README")" = "$(stat -c %i "$RF/opt/tool/README.hard")" ] || fail "hardlink"
[ "$(stat -c %a "$RF/usr/bin/hello")" = "755" ] || fail "mode of hello"
[ "$(stat -c %a "$RF/etc/app/app.conf")" = "640" ] || fail "mode of app.conf"
[ "$(stat -c %a "$RF/var/lib/app")" = "700" ] || fail "mode of /var/lib/app"
grep -q '^app:x:65532:65532::/home/app:/usr/sbin/nologin$' "$RF/etc/passwd" || fail "passwd"
grep -q '^root:x:0:0:' "$RF/etc/passwd" || fail "passwd root"
grep -q '^app:x:65532:$' "$RF/etc/group" || fail "group"
ok "umoci rootless unpack"

# as root, umoci unpacks with ownership too
if [ "$(id -u)" -eq 0 ]; then
	umoci unpack --image "$L:app:1.0" "$T/bundle2" >/dev/null || fail "umoci unpack"
	RF="$T/bundle2/rootfs"
	[ "$(stat -c %u:%g "$RF/var/lib/app")" = "65532:65532" ] || fail "owner of /var/lib/app"
	[ "$(stat -c %u:%g "$RF/etc/app/app.conf")" = "0:65532" ] || fail "owner of app.conf"
	[ "$(stat -c %u:%g "$RF/home/app")" = "65532:65532" ] || fail "owner of home"
	[ "$(stat -c %u:%g:%a "$RF/opt/tool/suid")" = "7:7:4755" ] || fail "tarball owner and setuid"
	ok "umoci unpack with ownership"
fi

# the layers are deterministic tars: sorted, numeric ids, no names, clamped mtimes
python3 - "$L" "$D" <<'PY' || fail "layer tar properties"
import gzip, io, json, sys, tarfile
L, d = sys.argv[1], sys.argv[2]
blob = lambda dg: open(L + "/blobs/sha256/" + dg.split(":")[1], "rb").read()
m = json.loads(blob(d))
for layer in m["layers"]:
    data = gzip.decompress(blob(layer["digest"]))
    names = []
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        for ti in t:
            assert ti.uname == "" and ti.gname == "", ti.name
            assert ti.mtime <= 1767323045, (ti.name, ti.mtime)
            names.append(ti.name)
    assert names == sorted(names, key=lambda n: n.rstrip("/").split("/")), names
PY
ok "layer tars"
