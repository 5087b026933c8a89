# Shared helpers for the integration tests (sourced). $T is the scratch dir.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
export PLINTH_CACHE="$T/cache"
export GIT_AUTHOR_NAME=plinth-test GIT_AUTHOR_EMAIL=test@plinth.invalid
export GIT_COMMITTER_NAME=plinth-test GIT_COMMITTER_EMAIL=test@plinth.invalid
export GIT_AUTHOR_DATE="2026-01-02T03:04:05Z" GIT_COMMITTER_DATE="2026-01-02T03:04:05Z"
unset SOURCE_DATE_EPOCH

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# new_repo DIR: an empty git repo with a recipes/ dir
new_repo() {
	mkdir -p "$1/recipes"
	git -C "$1" init -q -b main
}

# commit DIR [MSG]
commit() {
	git -C "$1" add -A
	git -C "$1" commit -q -m "${2:-change}"
}

# expect_fail DESC PATTERN CMD...: CMD must exit 1 and print PATTERN (grep -E) on stderr
expect_fail() {
	desc=$1 pat=$2
	shift 2
	set +e
	"$@" >"$T/out.txt" 2>"$T/err.txt"
	rc=$?
	set -e
	[ "$rc" -eq 1 ] || { cat "$T/err.txt" >&2; fail "$desc: exit $rc, want 1"; }
	grep -Eq -- "$pat" "$T/err.txt" || { cat "$T/err.txt" >&2; fail "$desc: stderr lacks /$pat/"; }
	ok "$desc: $(head -n 1 "$T/err.txt")"
}

# digest_of LAYOUT REF: the digest index.json gives REF
digest_of() {
	python3 - "$1" "$2" <<'PY'
import json, sys
ix = json.load(open(sys.argv[1] + "/index.json"))
for m in ix["manifests"]:
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == sys.argv[2]:
        print(m["digest"]); break
else:
    sys.exit("no ref " + sys.argv[2])
PY
}

# mktar OUT.tar[.gz] ENTRY...: write a tar with python's tarfile. An ENTRY is
# "f:NAME:CONTENT", "d:NAME", "l:NAME:TARGET" (symlink), "h:NAME:TARGET"
# (hardlink), "c:NAME" (char device 1,3), "w:NAME" (file, mode 04755, uid 7)
mktar() {
	python3 - "$@" <<'PY'
import io, sys, tarfile
out, entries = sys.argv[1], sys.argv[2:]
mode = "w:gz" if out.endswith(".gz") else "w"
with tarfile.open(out, mode, format=tarfile.PAX_FORMAT) as t:
    for e in entries:
        kind, rest = e.split(":", 1)
        name, _, arg = rest.partition(":")
        ti = tarfile.TarInfo(name)
        ti.mtime = 1000000000
        data = None
        if kind == "f":
            data = arg.encode(); ti.size = len(data); ti.mode = 0o644
        elif kind == "w":
            data = b"x"; ti.size = 1; ti.mode = 0o4755; ti.uid = 7; ti.gid = 7
        elif kind == "d":
            ti.type = tarfile.DIRTYPE; ti.mode = 0o755
        elif kind == "l":
            ti.type = tarfile.SYMTYPE; ti.linkname = arg
        elif kind == "h":
            ti.type = tarfile.LNKTYPE; ti.linkname = arg
        elif kind == "c":
            ti.type = tarfile.CHRTYPE; ti.devmajor = 1; ti.devminor = 3
        t.addfile(ti, io.BytesIO(data) if data is not None else None)
PY
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }
