# Images come from commits, never from the work tree.
. "$(dirname "$0")/lib.sh"

R="$T/repo"
new_repo "$R"
cat >"$R/recipes/g.yaml" <<'YAML'
name: g
files:
  - {path: /etc/version, content: "one\n"}
YAML
commit "$R" first
C1=$(git -C "$R" rev-parse HEAD)
cd "$R"
$PLINTH build --out "oci:$T/l" g >/dev/null
D1=$(digest_of "$T/l" g:latest)

# an uncommitted edit changes nothing (and is warned about)
sed -i 's/one/two/' "$R/recipes/g.yaml"
$PLINTH build --out "oci:$T/l" g >/dev/null 2>"$T/warn.txt"
[ "$(digest_of "$T/l" g:latest)" = "$D1" ] || fail "uncommitted edit changed the image"
grep -q "uncommitted" "$T/warn.txt" || fail "no warning about the dirty work tree"
ok "uncommitted edit ignored"

# a new commit changes the image and its revision annotation
export GIT_COMMITTER_DATE="2026-02-03T04:05:06Z"
commit "$R" second
C2=$(git -C "$R" rev-parse HEAD)
$PLINTH build --out "oci:$T/l" g >/dev/null
D2=$(digest_of "$T/l" g:latest)
[ "$D2" != "$D1" ] || fail "new commit did not change the image"
$PLINTH inspect --json "oci:$T/l:g:latest" | grep -q "\"org.opencontainers.image.revision\": \"$C2\"" || fail "revision annotation"
ok "new commit -> $D2"

# --ref builds the old commit again, byte for byte
$PLINTH build --ref "$C1" --out "oci:$T/l" g >/dev/null
[ "$(digest_of "$T/l" g:latest)" = "$D1" ] || fail "--ref of the first commit"
git -C "$R" tag v1 "$C1"
$PLINTH build --ref v1 --out "oci:$T/l2" g >/dev/null
[ "$(digest_of "$T/l2" g:latest)" = "$D1" ] || fail "--ref tag"
ok "--ref"

# from a subdirectory, and from a file:// URL cloned into the cache
mkdir -p "$R/sub/dir"
(cd "$R/sub/dir" && $PLINTH build --out "oci:$T/l3" g >/dev/null)
[ "$(digest_of "$T/l3" g:latest)" = "$D2" ] || fail "build from a subdirectory"
cd "$T"
$PLINTH build --repo "file://$R" --out "oci:$T/l4" g >/dev/null
[ "$(digest_of "$T/l4" g:latest)" = "$D2" ] || fail "URL build differs"
$PLINTH inspect --json "oci:$T/l4:g:latest" | grep -q "\"org.opencontainers.image.source\": \"file://$R\"" || fail "source annotation of URL build"
ok "subdirectory and file:// URL"
