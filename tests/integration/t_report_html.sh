# The rollout views over a small ledger with every state (bench_ledger demo):
# the terminal tables, history, the advisory, and the self-contained HTML
# report loaded in headless Chromium: the matrix's cells and one cell's
# detail panel from the DOM after the page's script ran, and a screenshot
# kept as a test artifact ($PLINTH_ARTIFACTS, else tests/integration/artifacts/).
. "$(dirname "$0")/lib.sh"
cd "$T" # outside any curation repo: the ledger alone answers

if [ -z "${BENCH_BIN:-}" ] || [ ! -x "$BENCH_BIN/bench_ledger" ]; then
	echo "skip: needs \$BENCH_BIN/bench_ledger to write the demo ledger (make bench builds it)"
	exit 0
fi
CHROMIUM=
for c in chromium chromium-browser; do
	command -v "$c" >/dev/null 2>&1 && { CHROMIUM=$c; break; }
done

L="$T/ledger.db"
"$BENCH_BIN/bench_ledger" demo "$L" >/dev/null || fail "bench_ledger demo"
export SOURCE_DATE_EPOCH=1767330000 # the report's "as of": reproducible output

# ---- terminal, JSON, Markdown ----
$PLINTH rollout --ledger "$L" >"$T/summary.txt" || fail "rollout table"
grep -Eq '^PL-2026-0001 +high +3 +0 +1 +1 +1 +OpenSSL security update$' "$T/summary.txt" ||
	{ cat "$T/summary.txt"; fail "rollout summary counts of PL-2026-0001"; }
PLINTH_LEDGER="$L" $PLINTH rollout PL-2026-0002 >"$T/detail.txt" || fail "rollout PL-2026-0002"
grep -Eq '^  python +built +sha256:[0-9a-f]{12} ' "$T/detail.txt" || fail "python built"
grep -Eq '^  nginx +failed .*gate-refused: gate: CVE-2026-2222' "$T/detail.txt" ||
	fail "nginx failed with its reason"
ok "rollout tables"

$PLINTH rollout --ledger "$L" --format json --out "$T/rollout.json" 2>/dev/null
python3 - "$T/rollout.json" <<'PY' || fail "rollout json"
import json, sys
r = json.load(open(sys.argv[1]))
i = r["images"].index("nginx")
p = {x["id"]: x for x in r["patches"]}
assert p["PL-2026-0001"]["states"][i] == "published", p["PL-2026-0001"]["states"]
assert p["PL-2026-0001"]["latest_failed"][i] is not None
assert p["PL-2026-0002"]["states"][i] == "failed"
PY
$PLINTH rollout --ledger "$L" --format md >"$T/rollout.md"
grep -q '^| nginx | published (newest build failed) |' "$T/rollout.md" || fail "rollout md"
ok "rollout json and md"

$PLINTH history --ledger "$L" nginx >"$T/history.txt" || fail "history"
grep -Eq '^7 +2026-01-02 03:51 UTC +gate-refused ' "$T/history.txt" || fail "history newest first"
$PLINTH history --ledger "$L" --format json nginx | python3 -c '
import json, sys
h = json.load(sys.stdin)
assert h["image"] == "nginx" and [b["id"] for b in h["builds"]] == [7, 4], h' ||
	fail "history json"
expect_fail "history of an unknown image" "no builds of image 'nosuch'" \
	$PLINTH history --ledger "$L" nosuch
expect_fail "rollout of an unknown patch" "patch 'PL-1999-0001' is in neither" \
	$PLINTH rollout --ledger "$L" PL-1999-0001
expect_fail "a missing ledger" "no ledger at" $PLINTH rollout --ledger "$T/none.db"
[ ! -e "$T/none.db" ] || fail "a report created a ledger"
ok "history and errors"

$PLINTH advisory --ledger "$L" PL-2026-0001 >"$T/adv.md" || fail "advisory md"
grep -Eq '^plinth pull registry\.example/curated/python@sha256:[0-9a-f]{64} oci:python$' \
	"$T/adv.md" || { cat "$T/adv.md"; fail "advisory pull by digest"; }
grep -Eq '^cosign verify --key keys/cosign\.pub registry\.example/curated/python@sha256:' \
	"$T/adv.md" || fail "advisory cosign verify"
grep -q '^| tools | failed |' "$T/adv.md" || fail "advisory lists what failed"
$PLINTH advisory --ledger "$L" --format json PL-2026-0001 | python3 -c '
import json, sys
a = json.load(sys.stdin)
s = {c["image"]: c["state"] for c in a["cells"]}
assert a["cves"] == ["CVE-2026-0001", "CVE-2026-0002"] and s["legacy-app"] == "pending", a' ||
	fail "advisory json"
$PLINTH advisory --ledger "$L" --format html --out "$T/adv.html" PL-2026-0001 2>/dev/null
grep -q '<a rel="noopener noreferrer" href="https://security.example/PL-2026-0001">' \
	"$T/adv.html" || fail "advisory html link"
ok "advisory md, json, html"

# ---- HTML ----
R="$T/report.html"
PLINTH_LEDGER="$L" $PLINTH rollout --format html --out "$R" 2>/dev/null || fail "rollout html"
# self-contained: nothing to fetch (the advisory URL is only data for the panel's link)
if grep -Eio '(src|href)=["'"'"'][^"'"'"']*|<link|@import|url\(' "$R"; then
	fail "the report refers to an external asset"
fi
[ "$(grep -o '<script' "$R" | wc -l)" -eq 2 ] || fail "a hostile title broke out of the script"
ok "report is self-contained"

if [ -z "$CHROMIUM" ]; then
	echo "skip: chromium is not installed (apt-get install chromium): no browser checks"
	exit 0
fi
ART=${PLINTH_ARTIFACTS:-$HERE/artifacts}
mkdir -p "$ART"
URL="file://$R#cell=PL-2026-0001/nginx"
chrome() {
	timeout 60 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$T/chrome" --hide-scrollbars "$@" 2>>"$T/chrome.log"
}
chrome --virtual-time-budget=5000 --dump-dom "$URL" >"$T/dom.html" ||
	{ tail -5 "$T/chrome.log"; fail "chromium --dump-dom"; }
python3 - "$T/dom.html" <<'PY' || fail "the matrix and the detail panel in the DOM"
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells, self.body, self.detail, self.stack, self.cols = {}, {}, {}, [], []
        self.field = None
        self.text = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        if tag == "td" and "data-state" in a:
            self.cells[(a["data-patch"], a["data-image"])] = a
        if tag == "th" and a.get("class") == "img":
            self.cols.append(a["data-image"])
        if tag == "aside" and a.get("id") == "detail":
            self.detail = a
        if a.get("data-field"):
            self.field = a["data-field"]
            self.text.setdefault(self.field, "")
    def handle_endtag(self, tag):
        if tag in ("dd", "strong"):
            self.field = None
    def handle_data(self, d):
        if self.field:
            self.text[self.field] += d

p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
assert p.body.get("data-ready") == "1", "the page's script did not run"
imgs = ["debian-base", "distroless-static", "legacy-app", "nginx", "python", "tools"]
assert p.cols == imgs, p.cols
want = {
    "PL-2026-0001": "published not-applicable pending published published failed",
    "PL-2026-0002": "published not-applicable pending failed built failed",
    "PL-2026-0003": "pending published pending pending built failed",
}
for patch, states in want.items():
    got = [p.cells[(patch, i)]["data-state"] for i in imgs]
    assert got == states.split(), (patch, got)
assert len(p.cells) == 18
lf = [k for k, a in p.cells.items() if "data-latest-failed" in a]
assert lf == [("PL-2026-0001", "nginx")], lf
sel = [k for k, a in p.cells.items() if "selected" in a.get("class", "")]
assert sel == [("PL-2026-0001", "nginx")], sel
d, t = p.detail, p.text
assert d.get("data-patch") == "PL-2026-0001" and d.get("data-image") == "nginx", d
assert d.get("data-state") == "published", d
assert t["digest"].startswith("sha256:") and len(t["digest"]) == 71, t["digest"]
assert t["published"] == "registry.example/curated/nginx:12", t["published"]
assert t["tags"] == "12bookworm", t["tags"]
assert t["outcome"] == "success"
assert t["lf-outcome"] == "gate-refused"
assert "CVE-2026-2222" in t["lf-message"], t["lf-message"]
assert t["cves"] == "CVE-2026-0001CVE-2026-0002", t["cves"]
PY
ok "matrix states and the detail of PL-2026-0001 x nginx in Chromium"

SHOT="$ART/rollout.png"
chrome --virtual-time-budget=5000 --window-size=1400,900 --screenshot="$SHOT" "$URL" \
	>/dev/null || { tail -5 "$T/chrome.log"; fail "chromium --screenshot"; }
python3 - "$SHOT" <<'PY' || fail "screenshot is not a 1400x900 PNG"
import struct, sys
b = open(sys.argv[1], "rb").read(24)
assert b[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", b[16:24]) == (1400, 900)
PY
echo "artifact: $SHOT"
ok "screenshot"
