# plinth push / pull / copy / tags / login against the CNCF registry
# (docker-registry) on 127.0.0.1: plain HTTP, TLS with htpasswd basic auth,
# bearer tokens from a token server, and a fault-injecting proxy; skopeo
# reads what plinth pushed and pushes what plinth pulls.
. "$(dirname "$0")/lib.sh"
. "$HERE/registry.sh"
trap reg_stop_all EXIT
export HOME="$T/home" DOCKER_CONFIG="$T/docker" XDG_RUNTIME_DIR="$T/run"
unset REGISTRY_AUTH_FILE PLINTH_CREDS
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
mk() { python3 "$HERE/mkimage.py" "$@"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
jget() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$@"; }

# every blob of layout A is in layout B with the same bytes
same_blobs() {
	for f in "$1"/blobs/sha256/*; do
		cmp -s "$f" "$2/blobs/sha256/${f##*/}" || fail "blob ${f##*/} differs or is missing in $2"
	done
}

L="$T/src"
D1=$(mk "$L" app:1 20M 1M 4k)             # 20 MiB layer: chunked upload
D2=$(mk "$L" app:2 20M 1M 4k 8k)          # shares its first three layers with app:1
DM=$(mk --platforms amd64,arm64 "$L" multi:1 300k 2k)

reg_start plain
R=$REG_plain

# ---- push, re-push, shared layers, pull: byte-identical -------------------
"$PLINTH" push --json "oci:$L:app:1" "$R/team/app:1" >"$T/p1.json"
[ "$(jget "$T/p1.json" digest)" = "$D1" ] || fail "push digest $(jget "$T/p1.json" digest) != $D1"
[ "$(jget "$T/p1.json" blobsPushed)" = 4 ] || fail "first push: $(cat "$T/p1.json")"
sent1=$(jget "$T/p1.json" bytesSent)
[ "$sent1" -ge 21000000 ] || fail "first push sent only $sent1 bytes"
ok "push: $D1, $sent1 bytes"

"$PLINTH" push --json "oci:$L:app:1" "$R/team/app:1" >"$T/p1b.json"
[ "$(jget "$T/p1b.json" bytesSent)" = 0 ] || fail "re-push sent bytes: $(cat "$T/p1b.json")"
[ "$(jget "$T/p1b.json" blobsSkipped)" = 4 ] || fail "re-push did not skip every blob"
ok "re-push: 0 bytes sent, 4 blobs skipped"

"$PLINTH" push --json "oci:$L:app:2" "$R/team/other:2" >"$T/p2.json"
sent2=$(jget "$T/p2.json" bytesSent)
[ "$(jget "$T/p2.json" blobsMounted)" = 3 ] || fail "shared layers not mounted: $(cat "$T/p2.json")"
[ "$sent2" -lt 100000 ] || fail "second image sent $sent2 bytes (only its new layer and config are new)"
ok "second image: shared layers mounted, $sent2 bytes sent"

"$PLINTH" pull --json "$R/team/app:1" "oci:$T/pulled:app:1" >"$T/pull.json"
[ "$(jget "$T/pull.json" digest)" = "$D1" ] || fail "pulled digest differs"
[ "$(digest_of "$T/pulled" app:1)" = "$D1" ] || fail "pulled layout is not tagged app:1 -> $D1"
for b in $(python3 -c "import json,sys; print(' '.join(json.load(open(sys.argv[1]))['blobs']))" "$T/pull.json"); do
	cmp -s "$L/blobs/sha256/${b#sha256:}" "$T/pulled/blobs/sha256/${b#sha256:}" || fail "pulled blob $b differs"
done
cmp -s "$L/blobs/sha256/${D1#sha256:}" "$T/pulled/blobs/sha256/${D1#sha256:}" || fail "manifest bytes differ"
ok "pull: byte-identical manifest and blobs"

# multi-platform index copied whole, registry to registry (mount within one registry)
"$PLINTH" push "oci:$L:multi:1" "$R/team/multi:1" >/dev/null
"$PLINTH" copy --json "$R/team/multi:1" "docker://$R/mirror/multi:1" >"$T/c.json"
[ "$(jget "$T/c.json" digest)" = "$DM" ] || fail "index digest changed in copy"
[ "$(jget "$T/c.json" blobsMounted)" = 6 ] || fail "copy within a registry should mount: $(cat "$T/c.json")"
skopeo inspect --raw --tls-verify=false "docker://$R/mirror/multi:1" >"$T/ix.json"
[ "sha256:$(sha "$T/ix.json")" = "$DM" ] || fail "skopeo reads another index"
for a in amd64 arm64; do
	skopeo inspect --tls-verify=false --override-arch $a "docker://$R/mirror/multi:1" >/dev/null ||
		fail "platform $a not readable by skopeo"
done
ok "multi-platform index copied whole ($DM), both platforms readable by skopeo"

# tags, all pages
"$PLINTH" push "oci:$L:app:2" "$R/team/app:2" >/dev/null
"$PLINTH" tags "$R/team/app" >"$T/tags.txt"
[ "$(cat "$T/tags.txt" | tr '\n' ' ')" = "1 2 " ] || fail "tags: $(cat "$T/tags.txt")"
ok "tags: $(cat "$T/tags.txt" | tr '\n' ' ')"

# ---- interoperability with skopeo -------------------------------------------
skopeo inspect --raw --tls-verify=false "docker://$R/team/app:1" >"$T/raw.json"
[ "sha256:$(sha "$T/raw.json")" = "$D1" ] || fail "skopeo sees another manifest"
skopeo copy -q --src-tls-verify=false "docker://$R/team/app:1" "oci:$T/sk:app" >/dev/null
same_blobs "$T/sk" "$T/pulled"
ok "skopeo reads plinth's push digest for digest"

skopeo copy -q --dest-tls-verify=false "oci:$L:app:2" "docker://$R/bysk/app:2" >/dev/null
"$PLINTH" pull "$R/bysk/app:2" "oci:$T/fromsk:app:2" >/dev/null
[ "$(digest_of "$T/fromsk" app:2)" = "$D2" ] || fail "pull of skopeo's push: digest differs"
ok "plinth pulls skopeo's push and verifies it"

# inspect and scan accept registry references
"$PLINTH" inspect --json "$R/team/app:1" >"$T/insp.json"
[ "$(jget "$T/insp.json" digest)" = "$D1" ] || fail "inspect of a registry reference"
ok "inspect reads a registry reference"

# ---- TLS with basic auth ------------------------------------------------------
reg_ca "$T/ca"
reg_start sec --tls "$T/ca" --htpasswd alice:s3cret-pw
S=$REG_sec
expect_fail "unknown CA" "certificate|SSL|issuer" \
	"$PLINTH" push --retry-times 0 "oci:$L:app:1" "$S/team/app:1"
expect_fail "no credentials" "authentication required.*plinth login" \
	"$PLINTH" push --cacert "$T/ca/ca.crt" "oci:$L:app:1" "$S/team/app:1"
expect_fail "wrong credentials" "credentials from --creds were refused" \
	"$PLINTH" push --cacert "$T/ca/ca.crt" --creds alice:wrong "oci:$L:app:1" "$S/team/app:1"
grep -q wrong "$T/err.txt" && fail "the password appears in the error"
curl -sf --cacert "$T/ca/ca.crt" -u alice:s3cret-pw "https://$S/v2/team/app/tags/list" >/dev/null &&
	fail "a failed push left a repository behind"
# --cert-dir in the containers layout
mkdir -p "$T/certs.d"
cp "$T/ca/ca.crt" "$T/certs.d/ca.crt"
PLINTH_CREDS=alice:s3cret-pw "$PLINTH" push --json --cert-dir "$T/certs.d" "oci:$L:app:1" "$S/team/app:1" >"$T/s.json"
[ "$(jget "$T/s.json" digest)" = "$D1" ] || fail "TLS push digest"
# login stores the credentials where docker keeps them; pull uses them
printf 's3cret-pw\n' | "$PLINTH" login --cacert "$T/ca/ca.crt" -u alice --password-stdin "$S" >"$T/login.txt"
grep -q "$DOCKER_CONFIG/config.json" "$T/login.txt" || fail "login: $(cat "$T/login.txt")"
[ "$(stat -c %a "$DOCKER_CONFIG/config.json")" = 600 ] || fail "config.json is not 0600"
"$PLINTH" pull --cacert "$T/ca/ca.crt" "$S/team/app:1" "oci:$T/tlspull:app:1" >/dev/null
same_blobs "$T/tlspull" "$T/pulled"
[ "$(digest_of "$T/tlspull" app:1)" = "$D1" ] || fail "TLS pull digest"
skopeo inspect --cert-dir "$T/certs.d" --creds alice:s3cret-pw "docker://$S/team/app:1" >/dev/null ||
	fail "skopeo can not read the TLS push"
"$PLINTH" logout "$S" >/dev/null
expect_fail "after logout" "authentication required" \
	"$PLINTH" pull --cacert "$T/ca/ca.crt" "$S/team/app:1" "oci:$T/x:app:1"
[ ! -e "$T/x" ] || fail "a refused pull created its destination"
ok "TLS + basic auth: push/pull round trip, login/logout, cert dir"

# ---- bearer tokens ------------------------------------------------------------
reg_token_cert "$T/tok"
token_start tk "$T/tok" --users bob:tok-pw --ttl 300
reg_start bearer --token "http://$TOKEN_tk/token" "$T/tok/token.crt"
B=$REG_bearer
"$PLINTH" push --json --creds bob:tok-pw "oci:$L:app:1" "$B/team/app:1" >"$T/b.json"
[ "$(jget "$T/b.json" digest)" = "$D1" ] || fail "bearer push"
grep -q '"repository:team/app:pull,push"' "$T/token-tk/log.jsonl" || fail "no push scope asked: $(cat "$T/token-tk/log.jsonl")"
# anonymous pull gets a pull-only token
"$PLINTH" pull "$B/team/app:1" "oci:$T/anon:app:1" >/dev/null
[ "$(digest_of "$T/anon" app:1)" = "$D1" ] || fail "anonymous bearer pull"
expect_fail "anonymous push" "authentication|denied|HTTP 401|HTTP 403" \
	"$PLINTH" push --retry-times 0 "oci:$L:app:2" "$B/team/app:2"
ntok=$(wc -l <"$T/token-tk/log.jsonl")
ok "bearer: push with a scoped token, anonymous pull, anonymous push refused ($ntok token requests)"

# ---- faults ---------------------------------------------------------------------
cat >"$T/plan.json" <<'JSON'
[
 {"method": "PATCH", "drop_after": 3000000, "times": 1},
 {"method": "PUT", "path": "/blobs/uploads/", "status": 503, "times": 2},
 {"method": "HEAD", "status": 429, "retry_after": 1, "times": 1},
 {"method": "GET", "path": "/v2/$", "delay": 0.5, "times": 1}
]
JSON
proxy_start f "$R" "$T/plan.json"
start=$(date +%s)
"$PLINTH" push --json "oci:$L:app:1" "$PROXY_f/faulty/app:1" >"$T/f.json" 2>"$T/f.err"
[ "$(jget "$T/f.json" digest)" = "$D1" ] || fail "push through faults"
grep -q '"drop_after"' "$T/proxy-f/log.jsonl" || fail "no connection was dropped"
grep -q '"status"' "$T/proxy-f/log.jsonl" || fail "no 503/429 was answered"
[ "$(jget "$T/f.json" retries)" -ge 3 ] || fail "retries: $(cat "$T/f.json")"
skopeo copy -q --src-tls-verify=false "docker://$R/faulty/app:1" "oci:$T/fchk:app" >/dev/null
same_blobs "$T/fchk" "$T/pulled"
ok "push through a dropped connection, 503s and a 429: complete ($(jget "$T/f.json" retries) retries)"

# a cut chunk the registry partly kept: its session is gone, the upload starts over
echo '[{"method": "PATCH", "drop_after": 3000000, "forward_partial": true, "times": 1}]' >"$T/planp.json"
proxy_start p "$R" "$T/planp.json"
"$PLINTH" push --json "oci:$L:app:1" "$PROXY_p/partial/app:1" >"$T/pp.json"
[ "$(jget "$T/pp.json" digest)" = "$D1" ] || fail "push after a partly kept chunk"
skopeo inspect --raw --tls-verify=false "docker://$R/partial/app:1" >/dev/null || fail "partial: no image"
ok "a chunk the registry partly kept: the upload starts over and completes"

# a blob download cut in the middle resumes with Range
big=$(python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(max(m['layers'], key=lambda l: l['size'])['digest'])" "$L/blobs/sha256/${D1#sha256:}")
cat >"$T/plan2.json" <<JSON
[{"method": "GET", "path": "/blobs/$big", "drop_response_after": 5000000, "times": 1}]
JSON
proxy_start g "$R" "$T/plan2.json"
"$PLINTH" pull --json "$PROXY_g/team/app:1" "oci:$T/resumed:app:1" >"$T/g.json"
same_blobs "$T/resumed" "$T/pulled"
[ "$(jget "$T/g.json" retries)" -ge 1 ] || fail "no resume happened"
ok "pull resumes a cut download and verifies it"

# faults outlasting the retry budget: exit 1, and the tag is not created
cat >"$T/plan3.json" <<'JSON'
[{"method": "PATCH", "status": 503, "times": -1}, {"method": "PUT", "path": "/blobs/", "status": 503, "times": -1}]
JSON
proxy_start h "$R" "$T/plan3.json"
expect_fail "faults beyond the budget" "HTTP 503" \
	"$PLINTH" push --retry-times 2 "oci:$L:app:1" "$PROXY_h/doomed/app:1"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$R/v2/doomed/app/manifests/1")
[ "$code" = 404 ] || fail "the tag exists after a failed push (HTTP $code)"
ok "push failing past its retries leaves no tag"

# ---- bad answers: nothing written at the destination -----------------------------
expect_fail "registry down" "127.0.0.1.*(refused|connect)" \
	"$PLINTH" pull --retry-times 1 "127.0.0.1:$(reg_free_port)/x/y:1" "oci:$T/down:y"
[ ! -e "$T/down" ] || fail "a pull from a registry that is down created its destination"

# a manifest whose bytes are not the digest asked for
other=$(cat "$L/blobs/sha256/${D2#sha256:}" | python3 -c "import json,sys; print(json.dumps(sys.stdin.read()))")
cat >"$T/plan4.json" <<JSON
[{"method": "GET", "path": "/manifests/", "status": 200, "times": -1, "body": $other,
  "headers": {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}}]
JSON
proxy_start m "$R" "$T/plan4.json"
expect_fail "manifest digest mismatch" "hashing to|content hashes to" \
	"$PLINTH" pull "$PROXY_m/team/app@$D1" "oci:$T/badman:app"
[ ! -e "$T/badman" ] || fail "a pull of a wrong manifest created its destination"

# a blob whose bytes do not match its digest
cat >"$T/plan5.json" <<'JSON'
[{"method": "GET", "path": "/blobs/sha256:", "status": 200, "times": -1, "body": "not the blob"}]
JSON
proxy_start b "$R" "$T/plan5.json"
expect_fail "blob digest mismatch" "does not match|verification" \
	"$PLINTH" pull "$PROXY_b/team/app:1" "oci:$T/badblob:app:1"
n=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['manifests']))" "$T/badblob/index.json" 2>/dev/null || echo 0)
[ "$n" = 0 ] || fail "a pull with a bad blob tagged the image"
[ -z "$(ls "$T/badblob/blobs/sha256" 2>/dev/null | grep -v '\.tmp')" ] || fail "bad blob stored: $(ls "$T/badblob/blobs/sha256")"
ok "bad answers: clear errors, nothing tagged or stored"
