# The command table, help, version, exit codes and lint.
. "$(dirname "$0")/lib.sh"

$PLINTH --help | grep -q "^  build " || fail "--help lists build"
$PLINTH --version | grep -q "^plinth " || fail "--version"
$PLINTH help build | grep -q -- "--check-reproducible" || fail "help build"
$PLINTH build --help | grep -q -- "--repo" || fail "build --help"
set +e
$PLINTH nosuch 2>/dev/null; [ $? -eq 2 ] || fail "unknown command exits 2"
$PLINTH build 2>/dev/null; [ $? -eq 2 ] || fail "build without recipes exits 2"
$PLINTH build --bogus x 2>/dev/null; [ $? -eq 2 ] || fail "unknown option exits 2"
$PLINTH inspect 2>/dev/null; [ $? -eq 2 ] || fail "inspect without ref exits 2"
SOURCE_DATE_EPOCH=yesterday $PLINTH build x 2>/dev/null; [ $? -eq 2 ] || fail "bad SOURCE_DATE_EPOCH exits 2"
set -e
ok "help and usage"

R="$T/repo"
new_repo "$R"
mkdir -p "$R/patches"
cat >"$R/plinth.yaml" <<'YAML'
output: out/images
YAML
cat >"$R/recipes/good.yaml" <<'YAML'
name: good
files: [{path: /a, content: "a"}]
YAML
commit "$R"
cd "$R"
$PLINTH lint >"$T/lint.txt" || fail "lint of a good repo"
ok "lint clean"

cat >"$R/recipes/two.yaml" <<'YAML'
name: three
files:
  - {path: relative, content: "a"}
YAML
cat >"$R/patches/PL-1.yaml" <<'YAML'
id: PL-1
title: t
severity: hgih
YAML
commit "$R"
expect_fail "lint finds problems" "problems" $PLINTH lint
grep -q "recipes/two.yaml:1:7: " "$T/out.txt" || fail "lint: name mismatch not reported"
grep -q "recipes/two.yaml:3:" "$T/out.txt" || fail "lint: relative path not reported"
grep -q "patches/PL-1.yaml:3:" "$T/out.txt" || fail "lint: bad patch severity not reported"
cat "$T/out.txt"
$PLINTH lint good >/dev/null 2>&1 && fail "lint still fails on the bad patch" || true
ok "lint reports every problem with file:line:col"

# a broken plinth.yaml is one more lint problem, not a failure to lint
cp "$R/plinth.yaml" "$T/plinth.yaml.good"
printf 'output: out/images\ncompresion: zstd\n' >"$R/plinth.yaml"
commit "$R"
expect_fail "lint of a broken plinth.yaml" "problems" $PLINTH lint
grep -q "^plinth.yaml:2:1: .*did you mean 'compression'" "$T/out.txt" || fail "plinth.yaml problem not reported"
grep -q "recipes/two.yaml:3:" "$T/out.txt" || fail "recipes not linted after a broken plinth.yaml"
expect_fail "build with a broken plinth.yaml" "plinth.yaml:2:1" $PLINTH build good
cp "$T/plinth.yaml.good" "$R/plinth.yaml"
ok "plinth.yaml problems"

# --all builds every recipe; the output dir comes from plinth.yaml
git -C "$R" rm -q recipes/two.yaml patches/PL-1.yaml
commit "$R"
$PLINTH build --all --json >"$T/all.json"
python3 - "$T/all.json" <<'PY' || fail "--json result"
import json, sys
j = json.load(open(sys.argv[1]))
assert [i["name"] for i in j["images"]] == ["good"], j
assert j["images"][0]["refs"] == ["good:latest"], j
assert j["images"][0]["digest"].startswith("sha256:"), j
assert len(j["commit"]) == 40
PY
[ -f "$R/out/images/index.json" ] || fail "output from plinth.yaml"
ok "--all --json"
