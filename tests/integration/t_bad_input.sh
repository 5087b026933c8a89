# Bad input gets a clear error naming the file, line or entry, and writes
# nothing: no tag in the layout, no file outside the output directory.
. "$(dirname "$0")/lib.sh"

R="$T/repo"
new_repo "$R"
mkdir -p "$R/files"
cat >"$R/recipes/ok.yaml" <<'YAML'
name: ok
files: [{path: /a, content: "a\n"}]
YAML
commit "$R"
cd "$R"
L="$T/layout"
$PLINTH build --out "oci:$L" ok >/dev/null
cp "$L/index.json" "$T/index.before"

# each case: a recipe 'bad' committed alone, then a build that must fail
bad() {
	desc=$1 pat=$2
	commit "$R" "$desc"
	expect_fail "$desc" "$pat" $PLINTH build --out "oci:$L" bad
	cmp -s "$L/index.json" "$T/index.before" || fail "$desc: index.json changed"
	[ ! -e /tmp/plinth-escaped ] || fail "$desc: wrote /tmp/plinth-escaped"
	[ ! -e "$T/escaped" ] || fail "$desc: wrote outside the tree"
	if ls "$L/blobs/sha256" | grep -q tmp; then fail "$desc: temporary blob left"; fi
}

printf 'name: bad\nfiles: [ {path: /a\n' >"$R/recipes/bad.yaml"
bad "malformed YAML" "recipes/bad.yaml:[0-9]+:[0-9]+: "

printf 'name: bad\nfiels:\n  - {path: /a, content: x}\n' >"$R/recipes/bad.yaml"
bad "unknown key" "recipes/bad.yaml:2:1: .*fiels.*did you mean 'files'"

printf 'name: bad\ntags: latest\n' >"$R/recipes/bad.yaml"
bad "wrong type" "recipes/bad.yaml:2:7: .*"

printf 'name: bad\nfiles:\n  - {path: /a, content: x, mode: "9999"}\n' >"$R/recipes/bad.yaml"
bad "bad mode" "recipes/bad.yaml:3:[0-9]+: .*mode"

tb() {
	rm -f "$R/files/"*
	mktar "$R/files/t.tar.gz" "$@"
	printf 'name: bad\ntarballs:\n  - {source: files/t.tar.gz, sha256: "%s"}\n' \
		"$(sha256 "$R/files/t.tar.gz")" >"$R/recipes/bad.yaml"
}

tb f:a:x
printf 'name: bad\ntarballs:\n  - {source: files/t.tar.gz, sha256: "%s"}\n' \
	"0000000000000000000000000000000000000000000000000000000000000000" >"$R/recipes/bad.yaml"
bad "tarball sha256 mismatch" "recipes/bad.yaml:3:[0-9]+: tarball 'files/t.tar.gz' has sha256 [0-9a-f]{64}, the recipe expects 0{64}"

tb "f:../escaped:x"
bad "tar entry with ../" "tarball 'files/t.tar.gz'.*\.\./escaped"

tb "d:etc" "l:etc/evil:/tmp" "f:etc/evil/plinth-escaped:x"
bad "tar entry through a symlink" "tarball 'files/t.tar.gz'.*etc/evil/plinth-escaped"

tb "l:up:../../../../.." "f:up/tmp/plinth-escaped:x"
bad "tar entry through a relative symlink escape" "up/tmp/plinth-escaped"

tb "h:link:../../etc/passwd"
bad "hardlink outside the tree" "tarball 'files/t.tar.gz'.*link"

tb "h:link:missing"
bad "hardlink to a missing target" "tarball 'files/t.tar.gz'.*missing"

tb "c:dev/null"
bad "device node" "tarball 'files/t.tar.gz'.*dev/null"

# an absolute path is normalised into the tree (as tar does), never outside it
tb "f:/tmp/plinth-escaped:x"
commit "$R" "absolute path"
$PLINTH build --out "oci:$T/abs" bad >/dev/null
[ ! -e /tmp/plinth-escaped ] || fail "absolute tar path escaped"
umoci unpack --rootless --image "$T/abs:bad:latest" "$T/absb" >/dev/null
[ "$(cat "$T/absb/rootfs/tmp/plinth-escaped")" = "x" ] || fail "absolute path not placed in the tree"
ok "absolute tar path lands inside the image"

rm -f "$R/files/"*
mktar "$R/files/t.tar.gz" f:a:"$(head -c 20000 /dev/urandom | base64)"
head -c 2000 "$R/files/t.tar.gz" >"$R/files/cut.tar.gz"
rm "$R/files/t.tar.gz"
printf 'name: bad\ntarballs:\n  - {source: files/cut.tar.gz, sha256: "%s"}\n' \
	"$(sha256 "$R/files/cut.tar.gz")" >"$R/recipes/bad.yaml"
bad "truncated gzip" "tarball 'files/cut.tar.gz'"

printf 'name: bad\nfiles: [{path: /a, source: files/nope}]\n' >"$R/recipes/bad.yaml"
bad "missing source file" "recipes/bad.yaml:2:[0-9]+: .*files/nope"

expect_fail "unknown recipe" "no recipe 'nosuch'" $PLINTH build --out "oci:$L" nosuch
