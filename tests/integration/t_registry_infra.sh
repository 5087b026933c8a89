# Self-test of the registry test peers (registry.sh, faultproxy.py,
# tokenserver.py) with curl and python3 only; plinth is not involved.
. "$(dirname "$0")/lib.sh"
. "$HERE/registry.sh"
trap reg_stop_all EXIT

# put_blob BASE REPO FILE [CURL-ARGS...]: monolithic upload (POST, then PUT
# to the Location with ?digest=); prints the digest
put_blob() {
	_base=$1 _repo=$2 _f=$3
	shift 3
	_dg="sha256:$(sha256 "$_f")"
	_loc=$(curl -sSf "$@" -X POST -D - -o /dev/null "$_base/v2/$_repo/blobs/uploads/" |
		tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
	[ -n "$_loc" ] || fail "no upload Location from $_base"
	case "$_loc" in /*) _loc="$_base$_loc" ;; esac
	case "$_loc" in *\?*) _sep='&' ;; *) _sep='?' ;; esac
	curl -sSf "$@" -X PUT -H 'Content-Type: application/octet-stream' \
		--data-binary "@$_f" -o /dev/null "$_loc${_sep}digest=$_dg"
	echo "$_dg"
}

# put_image BASE REPO TAG [CURL-ARGS...]: a config, one layer and an OCI
# manifest; the manifest bytes are left in $T/manifest.json
put_image() {
	_b=$1 _r=$2 _t=$3
	shift 3
	printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' >"$T/config.json"
	mktar "$T/layer.tar.gz" "f:hello:$_r"
	_cd=$(put_blob "$_b" "$_r" "$T/config.json" "$@")
	_ld=$(put_blob "$_b" "$_r" "$T/layer.tar.gz" "$@")
	cat >"$T/manifest.json" <<EOF
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"$_cd","size":$(wc -c <"$T/config.json")},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"$_ld","size":$(wc -c <"$T/layer.tar.gz")}]}
EOF
	curl -sSf "$@" -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
		--data-binary "@$T/manifest.json" -o /dev/null "$_b/v2/$_r/manifests/$_t"
}

OCI_ACCEPT='Accept: application/vnd.oci.image.manifest.v1+json'

# --- plain HTTP registry ---------------------------------------------------
reg_start plain
case "$REG_plain" in 127.0.0.1:[0-9]*) ;; *) fail "REG_plain='$REG_plain'" ;; esac
put_image "http://$REG_plain" lib/hello 1
curl -sSf -H "$OCI_ACCEPT" -o "$T/got.json" "http://$REG_plain/v2/lib/hello/manifests/1"
cmp -s "$T/manifest.json" "$T/got.json" || fail "manifest read back differs"
ld="sha256:$(sha256 "$T/layer.tar.gz")"
curl -sSf -o "$T/got.tar.gz" "http://$REG_plain/v2/lib/hello/blobs/$ld"
cmp -s "$T/layer.tar.gz" "$T/got.tar.gz" || fail "blob read back differs"
ok "plain registry at $REG_plain: blob and manifest round-trip"

# --- TLS + htpasswd ----------------------------------------------------------
reg_ca "$T/ca"
reg_start tls --tls "$T/ca" --htpasswd alice:s3cret --htpasswd bob:other
code() { curl -s -o /dev/null -w '%{http_code}' "$@" || true; }
[ "$(code --cacert "$T/ca/ca.crt" -u alice:s3cret "https://$REG_tls/v2/")" = 200 ] ||
	fail "TLS registry: good credentials refused"
[ "$(code --cacert "$T/ca/ca.crt" -u bob:other "https://localhost:${REG_tls#*:}/v2/")" = 200 ] ||
	fail "TLS registry: 'localhost' name or second user refused"
[ "$(code --cacert "$T/ca/ca.crt" -u alice:wrong "https://$REG_tls/v2/")" = 401 ] ||
	fail "TLS registry: wrong password not 401"
curl -s -D - -o /dev/null --cacert "$T/ca/ca.crt" "https://$REG_tls/v2/" |
	grep -qi '^www-authenticate: basic realm="plinth-test"' || fail "no Basic challenge"
set +e
curl -s -o /dev/null --cacert "$T/ca/other-ca.crt" -u alice:s3cret "https://$REG_tls/v2/"
rc=$?
set -e
[ "$rc" -eq 60 ] || fail "other CA: curl exit $rc, want 60 (peer certificate cannot be authenticated)"
put_image "https://$REG_tls" lib/tls 1 --cacert "$T/ca/ca.crt" -u alice:s3cret
ok "TLS + htpasswd registry: good creds 200, wrong 401, other CA rejected, push works"

# --- bearer token auth -------------------------------------------------------
reg_token_cert "$T/tok"
token_start t "$T/tok" --users carol:pw1,dave:pw2:pull --ttl 120
reg_start tok --token "http://$TOKEN_t/token" "$T/tok/token.crt"
curl -s -D "$T/h.txt" -o /dev/null "http://$REG_tok/v2/"
head -n 1 "$T/h.txt" | grep -q ' 401' || fail "token registry: anonymous /v2/ not 401"
grep -qi "^www-authenticate: Bearer realm=\"http://$TOKEN_t/token\",service=\"plinth-test\"" "$T/h.txt" ||
	{ cat "$T/h.txt" >&2; fail "token registry: no Bearer challenge"; }
jtok() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
tk=$(curl -sSf "http://$TOKEN_t/token?service=plinth-test" | jtok token)
[ "$(code -H "Authorization: Bearer $tk" "http://$REG_tok/v2/")" = 200 ] ||
	fail "token registry: anonymous token refused on /v2/"
# push with carol's token (pull,push), read back with an anonymous pull token
tk=$(curl -sSf -u carol:pw1 \
	"http://$TOKEN_t/token?service=plinth-test&scope=repository:lib/tok:pull,push" | jtok token)
put_image "http://$REG_tok" lib/tok 1 -H "Authorization: Bearer $tk"
tk=$(curl -sSf "http://$TOKEN_t/token?service=plinth-test&scope=repository:lib/tok:pull,push" | jtok token)
[ "$(code -H "Authorization: Bearer $tk" -H "$OCI_ACCEPT" "http://$REG_tok/v2/lib/tok/manifests/1")" = 200 ] ||
	fail "token registry: anonymous pull refused"
[ "$(code -H "Authorization: Bearer $tk" -X POST "http://$REG_tok/v2/lib/tok/blobs/uploads/")" = 401 ] ||
	fail "token registry: anonymous token allowed a push"
tk=$(curl -sSf -u dave:pw2 "http://$TOKEN_t/token?service=plinth-test&scope=repository:lib/tok:pull,push" | jtok token)
[ "$(code -H "Authorization: Bearer $tk" -X POST "http://$REG_tok/v2/lib/tok/blobs/uploads/")" = 401 ] ||
	fail "token registry: pull-only user allowed a push"
[ "$(code -u carol:nope "http://$TOKEN_t/token?service=plinth-test&scope=repository:lib/tok:pull")" = 401 ] ||
	fail "token server: wrong password not 401"
# oauth2 POST: password grant gives a refresh token, which gives a token
rt=$(curl -sSf -d grant_type=password -d username=carol -d password=pw1 -d service=plinth-test \
	-d client_id=plinth -d access_type=offline -d 'scope=repository:lib/tok:pull' \
	"http://$TOKEN_t/token" | jtok refresh_token)
tk=$(curl -sSf -d grant_type=refresh_token -d "refresh_token=$rt" -d service=plinth-test \
	-d client_id=plinth -d 'scope=repository:lib/tok:pull,push' "http://$TOKEN_t/token" | jtok access_token)
[ "$(code -H "Authorization: Bearer $tk" -X POST "http://$REG_tok/v2/lib/tok/blobs/uploads/")" = 202 ] ||
	fail "token registry: token from a refresh token refused a push"
python3 - "$T/token-t/log.jsonl" <<'PY' || fail "token server log"
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
assert len(log) == 7, len(log)
assert [e["user"] for e in log] == [None, "carol", None, "dave", "carol", "carol", "carol"], log
assert log[1]["granted"] == [{"type": "repository", "name": "lib/tok", "actions": ["pull", "push"]}]
assert log[2]["granted"][0]["actions"] == ["pull"] and log[3]["granted"][0]["actions"] == ["pull"]
assert log[4]["status"] == 401 and log[5]["refresh_token_issued"] and log[6]["grant_type"] == "refresh_token"
assert "pw1" not in open(sys.argv[1]).read()
PY
ok "token registry: Bearer challenge, anonymous pull only, push with scoped token, refresh"

# --- fault proxy --------------------------------------------------------------
dd if=/dev/urandom of="$T/big" bs=1M count=24 2>/dev/null
big="sha256:$(sha256 "$T/big")"
cat >"$T/plan.json" <<'EOF'
[
  {"method": "GET", "path": "^/v2/$", "status": 503, "retry_after": 2},
  {"method": "PUT", "path": "/blobs/uploads/", "drop_after": 1000},
  {"method": "PATCH", "path": "/blobs/uploads/", "status": 429, "retry_after": 1},
  {"method": "GET", "path": "/blobs/sha256:", "skip": 1, "drop_response_after": 100000},
  {"method": "HEAD", "path": "/manifests/", "delay": 0.5}
]
EOF
proxy_start p "$REG_plain" "$T/plan.json"
P="http://$PROXY_p"
curl -s -D "$T/h.txt" -o /dev/null "$P/v2/"
head -n 1 "$T/h.txt" | grep -q ' 503' || fail "proxy: first /v2/ not 503"
grep -qi '^retry-after: 2' "$T/h.txt" || fail "proxy: no Retry-After"
[ "$(code "$P/v2/")" = 200 ] || fail "proxy: second /v2/ not forwarded"
# a PUT dropped after 1000 body bytes: curl sees an error
loc=$(curl -sSf -X POST -D - -o /dev/null "$P/v2/lib/big/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
case "$loc" in "$P/"*) ;; *) fail "proxy: upload Location '$loc' does not point at the proxy" ;; esac
set +e
curl -sS -X PUT --data-binary "@$T/big" -o /dev/null "$loc&digest=$big" 2>"$T/err.txt"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "proxy: dropped PUT succeeded"
ok "proxy: dropped PUT seen by curl as: $(cat "$T/err.txt")"
# a chunked PATCH (24 MB, streamed) first gets 429, then goes through; PUT closes
set -- -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/octet-stream' --data-binary "@$T/big"
[ "$(code -X PATCH "$@" "$loc")" = 429 ] || fail "proxy: PATCH not 429"
curl -sSf -X PATCH "$@" -D "$T/h.txt" -o /dev/null "$loc"
grep -qi "^range: 0-$((24 * 1024 * 1024 - 1))" "$T/h.txt" || { cat "$T/h.txt" >&2; fail "proxy: chunked PATCH incomplete"; }
loc=$(tr -d '\r' <"$T/h.txt" | sed -n 's/^[Ll]ocation: //p')
curl -sSf -X PUT -o /dev/null "$loc&digest=$big"
# downloads: the first passes, the second is cut after 100000 bytes
curl -sSf -o "$T/got" "$P/v2/lib/big/blobs/$big"
cmp -s "$T/big" "$T/got" || fail "proxy: downloaded blob differs"
set +e
curl -sS -o "$T/got" "$P/v2/lib/big/blobs/$big" 2>"$T/err.txt"
rc=$?
set -e
if [ "$rc" -eq 0 ] || [ "$(wc -c <"$T/got")" -ne 100000 ]; then
	fail "proxy: cut download: rc $rc, $(wc -c <"$T/got") bytes"
fi
ok "proxy: cut download seen by curl as: $(cat "$T/err.txt")"
# HEAD: delayed, no body, keep-alive (two requests, one connection)
out=$(curl -sSf -I -H "$OCI_ACCEPT" -w '%{time_total} %{num_connects}\n' \
	-o /dev/null "$P/v2/lib/hello/manifests/1" -o /dev/null "$P/v2/lib/hello/blobs/$ld")
echo "$out" | head -n 1 | awk '{ exit !($1 >= 0.5) }' || fail "proxy: HEAD not delayed: $out"
[ "$(echo "$out" | sed -n 2p | cut -d' ' -f2)" = 0 ] || fail "proxy: no keep-alive: $out"
python3 - "$T/proxy-p/log.jsonl" <<'PY' || { cat "$T/proxy-p/log.jsonl" >&2; fail "proxy log"; }
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
got = [(e["method"], e["action"], e["status"]) for e in log]
want = [("GET", "status", 503), ("GET", "forward", 200), ("POST", "forward", 202),
        ("PUT", "drop_after", None), ("PATCH", "status", 429), ("PATCH", "forward", 202),
        ("PUT", "forward", 201), ("GET", "forward", 200), ("GET", "drop_response_after", 200),
        ("HEAD", "forward", 200), ("HEAD", "forward", 200)]
assert got == want, got
assert log[3]["req_bytes"] == 1000 and log[3]["upstream_status"] is None, log[3]
assert log[5]["req_bytes"] == 24 << 20, log[5]
assert all(isinstance(e["time"], float) for e in log)
PY
ok "proxy: 503 then forward, 429, drop_after, drop_response_after, delay, logged"

# --- everything listens on 127.0.0.1 only -------------------------------------
for pid in $(cat "$T/.reg-pids"); do
	ss -Hltnp | grep "pid=$pid," >"$T/ss.txt" || fail "pid $pid listens nowhere"
	if awk '{ print $4 }' "$T/ss.txt" | grep -v '^127\.0\.0\.1:'; then
		fail "pid $pid listens beyond 127.0.0.1"
	fi
done
ok "all $(wc -l <"$T/.reg-pids") servers listen on 127.0.0.1 only"
