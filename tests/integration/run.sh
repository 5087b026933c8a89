#!/bin/sh
# Run every tests/integration/t_*.sh against $PLINTH; each gets its own
# scratch directory in $T. Prints a summary, exits non-zero if any failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${PLINTH:?set PLINTH to the plinth binary}"
export PLINTH
pass=0
fail=0
failed=""
for t in "$here"/t_*.sh; do
	[ -n "${ONLY:-}" ] && case "$t" in *"$ONLY"*) ;; *) continue ;; esac
	name=$(basename "$t" .sh)
	T=$(mktemp -d "${TMPDIR:-/tmp}/plinth-it-XXXXXX")
	export T
	if sh "$t" >"$T.log" 2>&1; then
		pass=$((pass + 1))
		echo "ok   $name"
		rm -rf "$T" "$T.log"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "FAIL $name (log below; scratch dir $T)"
		sed 's/^/    /' "$T.log" | tail -n 40
	fi
done
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
