# Fleet builds and the ledger: build --all (jobs, past failures, unchanged
# recipes skipped), plinth plan, and plinth rollout's states after a new
# patch reaches only some images; concurrent builders and a builder killed
# mid-build leave a sound ledger.
. "$(dirname "$0")/lib.sh"
. "$HERE/registry.sh"
trap reg_stop_all EXIT
R="$T/repo"
new_repo "$R" >/dev/null
mkdir -p "$R/patches"
recipe() { # NAME [EXTRA-YAML]
	printf 'name: %s\ntags: ["1", latest]\nlayers:\n  - name: app\n    files:\n      - {path: /etc/%s.conf, content: "%s\\n"}\n%s' \
		"$1" "$1" "$1" "${2:-}" >"$R/recipes/$1.yaml"
}
recipe alpha
recipe beta
recipe gamma
printf 'output: out/images\nledger:\n  path: out/ledger.db\n' >"$R/plinth.yaml"
cat >"$R/patches/PL-1.yaml" <<'YAML'
id: PL-1
title: motd for alpha and beta
severity: low
cves: [CVE-2099-1111]
applies_to: {recipes: [alpha, beta]}
actions:
  - file: {path: /etc/motd, content: "patched by PL-1\n"}
YAML
commit "$R" "three recipes, one patch"
cd "$R"
reg_start fleet
L="$R/out/ledger.db"
st() { # PATCH IMAGE: the state the rollout JSON gives
	python3 - "$T/rollout.json" "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
i = r["images"].index(sys.argv[3])
p = [p for p in r["patches"] if p["id"] == sys.argv[2]][0]
print(p["states"][i])
PY
}
expect_states() { # PATCH alpha beta gamma
	"$PLINTH" rollout --format json >"$T/rollout.json"
	got="$(st "$1" alpha) $(st "$1" beta) $(st "$1" gamma)"
	[ "$got" = "$2 $3 $4" ] || { cat "$T/rollout.json" >&2; fail "$1: states '$got', want '$2 $3 $4'"; }
	ok "rollout $1: alpha $2, beta $3, gamma $4"
}

"$PLINTH" build --all --jobs 2 --push "$REG_fleet/curated" >"$T/b1.txt"
grep -q '3 built, 0 unchanged' "$T/b1.txt" || { cat "$T/b1.txt"; fail "first fleet build"; }
grep -Eq '^alpha +sha256:[0-9a-f]{12} +PL-1 ' "$T/b1.txt" || fail "summary table: $(cat "$T/b1.txt")"
expect_states PL-1 published published not-applicable

# nothing changed: nothing rebuilt, in under a second
start=$(date +%s%N)
"$PLINTH" build --all --jobs 2 >"$T/b2.txt"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep -q '0 built, 3 unchanged' "$T/b2.txt" || { cat "$T/b2.txt"; fail "second build rebuilt something"; }
[ "$ms" -lt 1000 ] || echo "note: the unchanged fleet build took $ms ms on this machine"
ok "second build --all: 3 unchanged ($ms ms)"
"$PLINTH" plan --json >"$T/plan0.json"
python3 -c "import json,sys; m=json.load(open(sys.argv[1]))['matrix']['include']; sys.exit(len(m) != 0)" "$T/plan0.json" ||
	fail "plan wants rebuilds with nothing changed: $(cat "$T/plan0.json")"

# a new patch for alpha and gamma; only alpha is rebuilt (built, not published)
cat >"$R/patches/PL-2.yaml" <<'YAML'
id: PL-2
title: issue file for alpha and gamma
severity: high
cves: [CVE-2099-2222, CVE-2099-2223]
advisory: https://security.example/PL-2
applies_to: {recipes: [alpha, gamma]}
actions:
  - file: {path: /etc/issue, content: "curated\n"}
YAML
commit "$R" "PL-2"
expect_states PL-2 pending not-applicable pending
"$PLINTH" plan --json >"$T/plan1.json"
want=$(python3 -c "import json,sys; print(' '.join(sorted(e['recipe'] for e in json.load(open(sys.argv[1]))['matrix']['include'])))" "$T/plan1.json")
[ "$want" = "alpha gamma" ] || fail "plan lists '$want', want 'alpha gamma'"
grep -q 'new patch PL-2 applies' "$T/plan1.json" || fail "plan does not say why"
ok "plan after PL-2: alpha gamma"

"$PLINTH" build alpha >/dev/null
expect_states PL-2 built not-applicable pending
expect_states PL-1 published published not-applicable
"$PLINTH" plan --json >"$T/plan2.json"
want=$(python3 -c "import json,sys; print(' '.join(sorted(e['recipe'] for e in json.load(open(sys.argv[1]))['matrix']['include'])))" "$T/plan2.json")
[ "$want" = "gamma" ] || fail "plan after alpha's rebuild lists '$want', want 'gamma'"
ok "plan lists exactly the pending image: gamma"

# gamma breaks: failed, with its reason; the fleet build goes on past it and exits 1
printf '      - {path: /etc/x, source: files/missing.txt}\n' >>"$R/recipes/gamma.yaml"
commit "$R" "break gamma"
set +e
"$PLINTH" build --all --push "$REG_fleet/curated" >"$T/b3.txt" 2>"$T/b3.err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "a failing recipe: exit $rc, want 1"
grep -q 'gamma: failed' "$T/b3.txt" || fail "no failure line: $(cat "$T/b3.txt")"
grep -q '1 failed' "$T/b3.txt" || fail "summary: $(cat "$T/b3.txt")"
expect_states PL-2 published not-applicable failed
python3 - "$T/rollout.json" <<'PY' || fail "failed cell without its reason"
import json, sys
r = json.load(open(sys.argv[1]))
i = r["images"].index("gamma")
p = [p for p in r["patches"] if p["id"] == "PL-2"][0]
b = r["builds"][str(p["builds"][i])]
sys.exit(0 if "missing.txt" in (b.get("message") or "") else 1)
PY
"$PLINTH" history --format json gamma >"$T/hist.json"
python3 -c "import json,sys; h=json.load(open(sys.argv[1])); o=[b['outcome'] for b in h['builds']]; sys.exit(o[:2] != ['error','success'])" "$T/hist.json" ||
	fail "history: $(cat "$T/hist.json")"
"$PLINTH" advisory --format md PL-2 >"$T/adv.md"
grep -q "CVE-2099-2222" "$T/adv.md" && grep -q "$REG_fleet/curated/alpha" "$T/adv.md" ||
	fail "advisory: $(cat "$T/adv.md")"
ok "gamma failed with its reason; history and advisory agree"

# four builders on one ledger at once lose no record
n0=$(sqlite3 "$L" 'select count(*) from builds')
for i in 1 2 3 4; do
	"$PLINTH" -q build --force --out "oci:$T/par$i" alpha beta >"$T/par$i.log" 2>&1 &
	eval "p$i=\$!"
done
wait "$p1" && wait "$p2" && wait "$p3" && wait "$p4" || fail "a concurrent builder failed"
n1=$(sqlite3 "$L" 'select count(*) from builds')
[ "$n1" = $((n0 + 8)) ] || fail "concurrent builders: $n0 -> $n1 records, want +8"
ok "four concurrent builders: $((n1 - n0)) records, none lost"

# builders killed with SIGKILL at different moments: the ledger stays sound
for d in 0.05 0.1 0.2 0.3; do
	"$PLINTH" -q build --force --out "oci:$T/kill" alpha beta >/dev/null 2>&1 &
	k=$!
	sleep "$d"
	kill -9 "$k" 2>/dev/null || true
	wait "$k" 2>/dev/null || true
done
[ "$(sqlite3 "$L" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check after SIGKILL"
n2=$(sqlite3 "$L" 'select count(*) from builds')
"$PLINTH" -q build --force --out "oci:$T/kill" alpha >/dev/null
[ "$(sqlite3 "$L" 'select count(*) from builds')" = $((n2 + 1)) ] || fail "no append after the kills"
ok "SIGKILLed builders: integrity ok, the next build appends"
