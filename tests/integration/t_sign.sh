# Signatures and attestations: plinth keygen/sign/verify/attestations, build
# --sign --push, pull against plinth.yaml's trust policy, and interop with
# cosign 2.x (Debian 13's, fetched by peers.sh; the cosign parts skip without
# the network) on the CNCF registry.
. "$(dirname "$0")/lib.sh"
. "$HERE/registry.sh"
. "$HERE/peers.sh"
trap reg_stop_all EXIT
export PLINTH_PASSWORD=s3cret
mk() { python3 "$HERE/mkimage.py" "$@"; }
cd "$T"
reg_start sig
RG=$REG_sig

# ---- keys -------------------------------------------------------------------
"$PLINTH" keygen "$T/team" >"$T/kg.txt"
grep -q 'key id sha256:' "$T/kg.txt" || fail "keygen prints no key id"
[ "$(stat -c %a "$T/team.key")" = 600 ] || fail "private key not 0600"
head -1 "$T/team.key" | grep -q 'ENCRYPTED PRIVATE KEY' || fail "private key not encrypted"
openssl pkey -in "$T/team.key" -passin pass:s3cret -noout || fail "openssl can not read our key"
PLINTH_PASSWORD=other "$PLINTH" keygen "$T/other" >/dev/null
expect_fail "keygen over an existing key" "exists" "$PLINTH" keygen "$T/team"

L="$T/src"
DA=$(mk "$L" app:1 300k 2k)
DB=$(mk --seed other "$L" other:1 100k)
DM=$(mk --platforms amd64,arm64 "$L" multi:1 50k)

# bad input: clear errors
sed 's/[A-Za-z]/x/20' "$T/team.key" >"$T/bad.key"
expect_fail "corrupted PEM" "bad.key" "$PLINTH" sign --key "$T/bad.key" "oci:$L:app:1"
PLINTH_PASSWORD=wrong expect_fail "wrong passphrase" "passphrase" "$PLINTH" sign --key "$T/team.key" "oci:$L:app:1"
openssl genrsa -out "$T/rsa.key" 2048 2>/dev/null
expect_fail "RSA key" "RSA" "$PLINTH" sign --key "$T/rsa.key" "oci:$L:app:1"
ok "keys: encrypted 0600 PKCS#8, clear errors for bad keys"

# ---- sign and verify in a layout ------------------------------------------------
"$PLINTH" sign --key "$T/team.key" "oci:$L:multi:1" >"$T/s.txt"
[ "$(grep -c '^signed ' "$T/s.txt")" = 3 ] || fail "multi-platform: the index and both platforms must be signed: $(cat "$T/s.txt")"
"$PLINTH" verify --key "$T/team.pub" "oci:$L:multi:1" >"$T/v.txt"
[ "$(grep -c 'signed by .*team.pub' "$T/v.txt")" = 3 ] || fail "layout verify: $(cat "$T/v.txt")"
expect_fail "layout, another key" "no valid signature" "$PLINTH" verify --key "$T/other.pub" "oci:$L:multi:1"
expect_fail "layout, unsigned" "not signed" "$PLINTH" verify --key "$T/team.pub" "oci:$L:app:1"
ok "layout: every manifest of an index signed and verified"

# ---- registry: plinth and cosign signatures side by side --------------------------
for i in app other multi; do "$PLINTH" -q push "oci:$L:$i:1" "$RG/t/$i:1" >/dev/null; done
"$PLINTH" sign --key "$T/team.key" "$RG/t/app:1" >/dev/null
"$PLINTH" sign --key "$T/other.key" --password-file /dev/null "$RG/t/app:1" >/dev/null 2>&1 &&
	fail "signing with a wrong (empty) passphrase worked"
PLINTH_PASSWORD=other "$PLINTH" sign --key "$T/other.key" "$RG/t/app:1" >/dev/null
"$PLINTH" verify --key "$T/team.pub" "$RG/t/app:1" >/dev/null || fail "co-signed: team key"
"$PLINTH" verify --key "$T/other.pub" "$RG/t/app:1" >/dev/null || fail "co-signed: the second key"
ok "co-signing keeps the existing signature"

COSIGN=""
if COSIGN=$(peers_cosign 2>"$T/peers.err"); then
	CO="$COSIGN"
	export COSIGN_PASSWORD=""
	cv() { "$CO" verify --insecure-ignore-tlog --allow-insecure-registry --allow-http-registry "$@" >"$T/cv.out" 2>&1; }
	# cosign's own signature on the same image. Debian 13's cosign can not
	# import a PEM key ("import-key-pair: unsupported public key type" for
	# every key, ECDSA and RSA alike), so cosign signs with a key pair of its
	# own making and both public keys are trusted.
	(cd "$T" && "$CO" generate-key-pair >/dev/null 2>&1) || fail "cosign generate-key-pair"
	"$CO" sign --key "$T/cosign.key" --tlog-upload=false --allow-insecure-registry --allow-http-registry \
		--yes "$RG/t/other@$DB" >"$T/cs.out" 2>&1 || { cat "$T/cs.out"; fail "cosign sign"; }
	"$PLINTH" sign --key "$T/team.key" "$RG/t/other:1" >/dev/null
	mkdir -p "$T/trusted"
	cp "$T/team.pub" "$T/cosign.pub" "$T/trusted/"
	cv --key "$T/team.pub" "$RG/t/app:1" || { cat "$T/cv.out"; fail "cosign rejects plinth's signature"; }
	cv --key "$T/team.pub" "$RG/t/other:1" || fail "cosign rejects plinth's signature beside its own"
	cv --key "$T/cosign.pub" "$RG/t/other:1" || fail "cosign rejects its own beside plinth's"
	"$PLINTH" verify --json --keys "$T/trusted" "$RG/t/other:1" >"$T/both.json"
	[ "$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$T/both.json")" = 2 ] ||
		fail "plinth does not accept both the cosign and the plinth signature: $(cat "$T/both.json")"
	"$PLINTH" verify --key "$T/cosign.pub" "$RG/t/other:1" >/dev/null || fail "plinth rejects cosign's signature"
	ok "cosign and plinth both accept a plinth signature and a cosign signature"
	# multi-platform: every platform verifies with cosign
	"$PLINTH" sign --key "$T/team.key" "$RG/t/multi:1" >/dev/null
	for d in $(python3 -c "import json,sys; print(' '.join(m['digest'] for m in json.load(open(sys.argv[1]))['manifests']))" "$L/blobs/sha256/${DM#sha256:}") "$DM"; do
		cv --key "$T/team.pub" "$RG/t/multi@$d" || fail "cosign: $d of the index not verified"
		"$PLINTH" verify --key "$T/team.pub" "$RG/t/multi@$d" >/dev/null || fail "plinth: $d"
	done
	ok "multi-platform image: index and every platform verify with cosign and plinth"
else
	echo "skip: cosign interop: $(cat "$T/peers.err")"
fi

# ---- both reject ------------------------------------------------------------------
reject() { # DESC REF KEY: plinth (and cosign when present) must refuse
	expect_fail "$1 (plinth)" "no valid signature|not signed" "$PLINTH" verify --key "$3" "$2"
	if [ -n "$COSIGN" ]; then
		cv --key "$3" "$2" && fail "$1: cosign accepted it"
		ok "$1 (cosign refuses too)"
	fi
}
PLINTH_PASSWORD=x "$PLINTH" keygen "$T/third" >/dev/null
reject "wrong key (one that never signed)" "$RG/t/app:1" "$T/third.pub"
"$PLINTH" -q push "oci:$L:app:1" "$RG/u/app:1" >/dev/null
reject "missing signature" "$RG/u/app:1" "$T/team.pub"
# a signature for another digest: other's .sig served as app's
curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$RG/v2/t/other/manifests/sha256-${DB#sha256:}.sig" >"$T/osig.json"
"$PLINTH" -q copy "$RG/t/other:sha256-${DB#sha256:}.sig" "$RG/w/app:sha256-${DA#sha256:}.sig" >/dev/null
"$PLINTH" -q push "oci:$L:app:1" "$RG/w/app:1" >/dev/null
reject "a signature for another digest" "$RG/w/app:1" "$T/team.pub"
# a payload changed after signing: same signature annotation, another payload
"$PLINTH" -q push "oci:$L:other:1" "$RG/y/other:1" >/dev/null
"$PLINTH" sign --key "$T/team.key" "$RG/y/other:1" >/dev/null
curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$RG/v2/y/other/manifests/sha256-${DB#sha256:}.sig" >"$T/ysig.json"
python3 - "$T/ysig.json" "$RG" "$T/payload.json" <<'PY' >"$T/tampered.json"
import hashlib, json, sys, urllib.request
m = json.load(open(sys.argv[1])); reg = sys.argv[2]
l = m["layers"][-1]
p = urllib.request.urlopen("http://%s/v2/y/other/blobs/%s" % (reg, l["digest"])).read()
j = json.loads(p); j["optional"] = {"evil": "yes"}
new = json.dumps(j, separators=(",", ":")).encode()
open(sys.argv[3], "wb").write(new)
l["digest"], l["size"] = "sha256:" + hashlib.sha256(new).hexdigest(), len(new)
m["layers"] = [l]
print(json.dumps(m))
PY
# the changed payload goes up as a blob (POST, then PUT ?digest=), the signature stays
loc=$(curl -sSf -X POST -D - -o /dev/null "http://$RG/v2/y/other/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
case "$loc" in /*) loc="http://$RG$loc" ;; esac
curl -sSf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$T/payload.json" \
	-o /dev/null "$loc&digest=sha256:$(sha256 "$T/payload.json")" || fail "could not upload the changed payload"
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$T/tampered.json" \
	"http://$RG/v2/y/other/manifests/sha256-${DB#sha256:}.sig" >/dev/null || fail "could not plant the tampered signature"
reject "a payload changed after signing" "$RG/y/other:1" "$T/team.pub"
# a manifest changed after signing: the tag now names other bytes
"$PLINTH" -q push "oci:$L:other:1" "$RG/t/app:1" >/dev/null
reject "a manifest changed after signing" "$RG/t/app:1" "$T/team.pub"

# ---- pull against the trust policy -------------------------------------------------
R="$T/repo"
new_repo "$R" >/dev/null
mkdir -p "$R/keys"
cp "$T/team.pub" "$R/keys/team.pub"
cat >"$R/plinth.yaml" <<YAML
trust:
  images:
    - repositories: ["$RG/t/*", "oci:$L"]
      keys: [keys/team.pub]
YAML
commit "$R" "trust policy"
(
	cd "$R"
	"$PLINTH" -q push "oci:$L:multi:1" "$RG/t/multi:1" >/dev/null
	"$PLINTH" sign --key "$T/team.key" "$RG/t/multi:1" >/dev/null
	"$PLINTH" pull "$RG/t/multi:1" "oci:$T/pulled:multi:1" >/dev/null 2>"$T/pull.err" || { cat "$T/pull.err"; fail "pull of a signed image"; }
	grep -q 'verified' "$T/pull.err" || fail "pull did not say it verified"
	PLINTH_PASSWORD=other "$PLINTH" sign --key "$T/other.key" "$RG/t/other:1" >/dev/null
	"$PLINTH" -q push "oci:$L:other:1" "$RG/t/solo:1" >/dev/null
	PLINTH_PASSWORD=other "$PLINTH" sign --key "$T/other.key" "$RG/t/solo:1" >/dev/null
	expect_fail "pull of an image signed by a key not in keys/" "refusing.*no valid signature" \
		"$PLINTH" pull "$RG/t/solo:1" "oci:$T/refused:solo:1"
	[ ! -e "$T/refused/index.json" ] || fail "a refused pull wrote the destination"
	"$PLINTH" pull --insecure-skip-verify "$RG/t/solo:1" "oci:$T/skipped:solo:1" >/dev/null 2>"$T/skip.err"
	grep -q 'NOT VERIFYING' "$T/skip.err" || fail "--insecure-skip-verify is not loud"
	# the same for an OCI layout: multi is signed in $L, app is not
	"$PLINTH" pull "oci:$L:multi:1" "oci:$T/fromlayout:multi:1" >/dev/null 2>&1 || fail "layout pull of a signed image"
	expect_fail "layout pull of an unsigned image" "refusing.*not signed" \
		"$PLINTH" pull "oci:$L:app:1" "oci:$T/unsigned:app:1"
)
ok "pull: policy-covered images verified, wrong key and unsigned refused, nothing written"

# ---- build --sign --push: attestations ---------------------------------------------
B="$T/brepo"
new_repo "$B" >/dev/null
mkdir -p "$B/keys"
cp "$T/team.pub" "$B/keys/team.pub"
cat >"$T/tracker.json" <<'JSON'
{"hello": {"CVE-2099-0002": {"releases": {"bookworm": {"status": "open", "urgency": "low", "repositories": {"bookworm": "2.0"}}}}}}
JSON
"$PLINTH" -q vulndb import --db "$T/vuln.db" --kind debian "$T/tracker.json" >/dev/null
cat >"$B/plinth.yaml" <<YAML
vulndb:
  path: $T/vuln.db
signing:
  key: $T/team.key
YAML
cat >"$B/recipes/app.yaml" <<'YAML'
name: app
tags: ["1"]
layers:
  - name: db
    files:
      - {path: /etc/os-release, content: "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n"}
      - {path: /var/lib/dpkg/status, content: "Package: hello\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.0\nMaintainer: x <x@x>\nDescription: hi\n\n"}
YAML
mkdir -p "$B/patches"
cat >"$B/patches/PL-9.yaml" <<'YAML'
id: PL-9
title: banner
severity: low
applies_to: {recipes: [app]}
actions:
  - file: {path: /etc/issue, content: "curated\n"}
YAML
commit "$B" "an image with a package"
(
	cd "$B"
	"$PLINTH" build --sign --push "$RG/curated" --json app >"$T/build.json" || fail "build --sign --push"
)
"$PLINTH" verify --key "$T/team.pub" "$RG/curated/app:1" >"$T/bv.txt" || fail "the built image is not signed"
grep -q 'recipe: recipes/app.yaml' "$T/bv.txt" || fail "claims lack the recipe: $(cat "$T/bv.txt")"
"$PLINTH" attestations --key "$T/team.pub" "$RG/curated/app:1" >"$T/att.txt"
for t in https://spdx.dev/Document https://cyclonedx.org/bom https://cosign.sigstore.dev/attestation/vuln/v1 https://slsa.dev/provenance/v1; do
	grep -q "^$t " "$T/att.txt" || fail "no $t attestation: $(cat "$T/att.txt")"
done
"$PLINTH" attestations --key "$T/team.pub" --type https://slsa.dev/provenance/v1 "$RG/curated/app:1" >"$T/prov.json"
python3 - "$T/prov.json" "$T/build.json" <<'PY' || fail "provenance does not describe the build"
import json, sys
p, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert p["buildDefinition"]["externalParameters"]["commit"] == b["commit"], p
assert p["buildDefinition"]["externalParameters"]["recipe"] == "recipes/app.yaml"
PY
"$PLINTH" attestations --key "$T/team.pub" --type https://cosign.sigstore.dev/attestation/vuln/v1 "$RG/curated/app:1" >"$T/vuln.json"
grep -q CVE-2099-0002 "$T/vuln.json" || fail "the scan report attestation lacks the finding"
"$PLINTH" attestations --key "$T/team.pub" --type https://plinth.dev/patch-record/v1 "$RG/curated/app:1" >"$T/prec.json"
grep -q '"PL-9"' "$T/prec.json" || fail "the patch record attestation lacks PL-9: $(cat "$T/prec.json")"
"$PLINTH" attestations --key "$T/team.pub" --type https://spdx.dev/Document "$RG/curated/app:1" >"$T/spdx.json"
grep -q '"hello"' "$T/spdx.json" || fail "the SPDX attestation lacks the image's package"
if [ -n "$COSIGN" ]; then
	for t in spdxjson cyclonedx vuln slsaprovenance1 https://plinth.dev/patch-record/v1; do
		"$CO" verify-attestation --key "$T/team.pub" --type "$t" --insecure-ignore-tlog \
			--allow-insecure-registry --allow-http-registry "$RG/curated/app:1" >"$T/cva.out" 2>&1 ||
			{ cat "$T/cva.out"; fail "cosign verify-attestation --type $t"; }
	done
	ok "cosign verify-attestation accepts the SBOMs, scan report and provenance"
fi
ok "build --sign --push: signed, attested (SPDX, CycloneDX, vuln, SLSA) with the build's own data"

# ---- trust.bases: which bases a build may import, and who must have signed them ----
Q="$T/qrepo"
new_repo "$Q" >/dev/null
mkdir -p "$Q/keys"
cp "$T/team.pub" "$Q/keys/team.pub"
cp "$T/other.pub" "$Q/keys/other.pub"
body='layers:\n  - name: x\n    files:\n      - {path: /etc/x, content: "x\\n"}\n'
printf "name: root\ntags: [\"1\"]\n$body" >"$Q/recipes/root.yaml"
printf "name: derived\nbase: \"oci:$T/qbase:root:1\"\n$body" >"$Q/recipes/derived.yaml"
printf "name: unsigned\nbase: \"oci:$T/qbase2:root:1\"\n$body" >"$Q/recipes/unsigned.yaml"
cat >"$Q/plinth.yaml" <<YAML
trust:
  images:
    - repositories: ["oci:$T/qbase"]
      keys: [keys/team.pub, keys/other.pub]
      require: all
  bases:
    - repository: "oci:$T/qbase"
      keys: [keys/team.pub]
    - repository: "oci:$T/qbase2"
      keys: [keys/team.pub]
YAML
commit "$Q" "bases"
(
	cd "$Q"
	"$PLINTH" -q build --out "oci:$T/qbase" root >/dev/null
	"$PLINTH" -q build --out "oci:$T/qbase2" root >/dev/null
	"$PLINTH" sign --key "$T/team.key" "oci:$T/qbase:root:1" >/dev/null
	"$PLINTH" -q build --out "oci:$T/qout" derived >/dev/null 2>"$T/q.err" || { cat "$T/q.err"; fail "a signed, listed base was refused"; }
	expect_fail "an unsigned base" "trust.bases|not signed" "$PLINTH" build --out "oci:$T/qout" unsigned
	expect_fail "require: all, one key missing" "requires every key" "$PLINTH" verify "oci:$T/qbase:root:1"
	sed -i "s|repository: \"oci:$T/qbase\"|repository: \"oci:/elsewhere\"|" plinth.yaml
	commit "$Q" "bases elsewhere"
	expect_fail "a base trust.bases does not list" "not in plinth.yaml trust.bases" \
		"$PLINTH" build --force --out "oci:$T/qout" derived
)
ok "trust.bases: listed and signed bases only; require: all needs every key"

# ---- skopeo (1.10+, sigstore) accepts plinth's signatures through policy.json ----
if SKOPEO=$(peers_skopeo_sigstore 2>"$T/peers2.err"); then
	mkdir -p "$T/regd"
	printf 'docker:\n  %s:\n    use-sigstore-attachments: true\n' "$RG" >"$T/regd/plinth.yaml"
	policy() { # KEY
		cat >"$T/policy.json" <<JSON
{"default": [{"type": "reject"}],
 "transports": {"docker": {"$RG/curated/app": [{"type": "sigstoreSigned", "keyPath": "$1",
                                               "signedIdentity": {"type": "matchRepository"}}]},
                "dir": {"": [{"type": "insecureAcceptAnything"}]}}}
JSON
	}
	policy "$T/team.pub"
	"$SKOPEO" --policy "$T/policy.json" --registries.d "$T/regd" copy -q --src-tls-verify=false \
		"docker://$RG/curated/app:1" "dir:$T/skok" >"$T/sk.out" 2>&1 || { cat "$T/sk.out"; fail "skopeo refuses plinth's signature"; }
	policy "$T/other.pub"
	if "$SKOPEO" --policy "$T/policy.json" --registries.d "$T/regd" copy -q --src-tls-verify=false \
		"docker://$RG/curated/app:1" "dir:$T/skbad" >"$T/sk.out" 2>&1; then
		fail "skopeo accepted a signature by another key"
	fi
	ok "skopeo's sigstoreSigned policy accepts plinth's signature, and refuses another key"
else
	echo "skip: skopeo sigstore interop: $(cat "$T/peers2.err")"
fi
