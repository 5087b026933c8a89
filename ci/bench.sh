#!/bin/sh
# ci/bench.sh: time plinth's layer writer against the usual shell pipelines on
# a generated ~200 MB tree (many small files, a few large ones of mixed
# compressibility). Called by `make bench` with BENCH_BIN (directory of bench
# binaries). Env: BENCH_REPS (default 3; best run is reported), TMPDIR.
set -eu

: "${BENCH_BIN:?set BENCH_BIN to the directory holding bench_layer}"
REPS=${BENCH_REPS:-3}
TAR="tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -c ."

for tool in python3 tar gzip pigz zstd /usr/bin/time; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench: '$tool' is required" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/plinth-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
TREE=$WORK/tree
mkdir "$TREE"

# Deterministic content: a word-frequency text pool sliced into files, record
# files of ~2x compressibility, random and mostly-zero large files.
python3 - "$TREE" <<'PY'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(20240601)
syl = ["ka","lo","mi","ne","ru","ta","shi","po","de","gra","vel","ion","ment","ing",
       "er","con","pre","dis","sub","ex","ard","ous","ble","tic"]
vocab = ["".join(rnd.choice(syl) for _ in range(rnd.randint(1, 4))) for _ in range(6000)]
vocab += ["the","of","and","to","in","is","for","on","with","if","return","int","char",
          "static","void","struct","NULL","0","1","#include","{","}",";","=","==","->"]
weights = [1.0 / (i + 1) for i in range(len(vocab))]
out, col = [], 0
for w in rnd.choices(vocab, weights=weights, k=2600000):
    out.append(w)
    col += len(w) + 1
    if col > 72 or rnd.random() < 0.02:
        out.append("\n"); col = 0
    else:
        out.append(" ")
pool = "".join(out).encode()
def text(n):
    off = rnd.randrange(0, len(pool) - n)
    return pool[off:off + n]
def records(n):
    b, i = bytearray(), rnd.randrange(1 << 20)
    while len(b) < n:
        b += rnd.randbytes(6) + i.to_bytes(4, "little") + b"\0\0\0\x01" + text(rnd.randint(4, 24))
        i += 1
    return bytes(b[:n])
for d in range(60):
    for s in range(8):
        dd = os.path.join(root, "usr/share/pkg%02d/sub%d" % (d, s))
        os.makedirs(dd, exist_ok=True)
        for f in range(rnd.randint(10, 26)):
            n = max(16, min(int(rnd.lognormvariate(8.3, 1.3)), 400000))
            data = text(n) if rnd.random() < 0.8 else records(n)
            ext = rnd.choice(["txt", "h", "c", "conf", "bin", "so"])
            with open(os.path.join(dd, "f%03d.%s" % (f, ext)), "wb") as fp:
                fp.write(data)
big = os.path.join(root, "opt/big")
os.makedirs(big, exist_ok=True)
def bigfile(name, size, gen):
    with open(os.path.join(big, name), "wb") as fp:
        while size > 0:
            n = min(1 << 20, size)
            fp.write(gen(n)); size -= n
bigfile("text.log", 40 << 20, text)
bigfile("records.db", 24 << 20, records)
bigfile("random.bin", 20 << 20, lambda n: rnd.randbytes(n))
bigfile("sparse.img", 16 << 20, lambda n: bytes(n - 4096) + rnd.randbytes(4096))
PY
# fixed mtimes and modes: the tree is the same on every run and machine
find "$TREE" -exec touch -h -d @1700000000 {} +
chmod -R u=rwX,go=rX "$TREE"

# warm the page cache so every contender reads from memory
(cd "$TREE" && $TAR | cat > /dev/null)
TARSIZE=$(cd "$TREE" && $TAR | wc -c)

now() { date +%s.%N; }

# ref NAME REPS COMMAND: best wall time of REPS runs of `tar | COMMAND`
RESULTS=$WORK/results
: > "$RESULTS"
ref() {
	name=$1 reps=$2 cmd=$3
	best= rss=0 i=0
	while [ "$i" -lt "$reps" ]; do
		t0=$(now)
		/usr/bin/time -f '%M' -o "$WORK/rss" sh -c "cd '$TREE' && $TAR | $cmd > '$WORK/out'"
		t1=$(now)
		t=$(echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}')
		if [ -z "$best" ] || [ "$(echo "$t $best" | awk '{print ($1 < $2)}')" = 1 ]; then
			best=$t
		fi
		r=$(tail -n 1 "$WORK/rss")
		[ "$r" -gt "$rss" ] && rss=$r
		i=$((i + 1))
	done
	echo "$name $best $(stat -c %s "$WORK/out") $rss" >> "$RESULTS"
}

echo "bench: tree $(find "$TREE" -type f | wc -l) files, $(du -sm "$TREE" | cut -f1) MB, tar $TARSIZE bytes" >&2
ref gzip 1 "gzip -n -6"
ref pigz "$REPS" "pigz -p2 -n -6"
ref zstd "$REPS" "zstd -3 -T2 -q"

# plinth: each compression REPS times, each run in its own process
comps=
i=0
while [ "$i" -lt "$REPS" ]; do comps="$comps gzip zstd"; i=$((i + 1)); done
"$BENCH_BIN/bench_layer" "$TREE" 0 $comps > "$WORK/plinth"
for c in gzip zstd; do
	grep "^plinth-$c " "$WORK/plinth" | awk -v n="plinth-$c" '
		{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		  if (best == "" || v["seconds"] < best) best = v["seconds"]
		  if (v["maxrss_kib"] > rss) rss = v["maxrss_kib"]; size = v["size"] }
		END { printf "%s %.3f %s %s\n", n, best, size, rss }' >> "$RESULTS"
done

awk -v cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
    -v ncpu="$(nproc)" -v tarsize="$TARSIZE" '
	{ t[$1] = $2; s[$1] = $3; m[$1] = $4; order[n++] = $1 }
	END {
		printf "machine: %s, %d online CPUs; tar stream %d bytes\n\n", cpu, ncpu, tarsize
		printf "%-22s %9s %12s %9s %10s  %s\n", "contender", "seconds", "bytes", "vs gzip6", "peak RSS", "time ratio"
		label["gzip"] = "tar | gzip -n -6"; label["pigz"] = "tar | pigz -p2 -n -6"
		label["zstd"] = "tar | zstd -3 -T2"; label["plinth-gzip"] = "plinth gzip"
		label["plinth-zstd"] = "plinth zstd"
		for (i = 0; i < n; i++) {
			k = order[i]; ratio = ""
			if (k == "plinth-gzip")
				ratio = sprintf("%.2fx pigz, %.2fx gzip", t[k] / t["pigz"], t[k] / t["gzip"])
			if (k == "plinth-zstd")
				ratio = sprintf("%.2fx zstd -T2", t[k] / t["zstd"])
			printf "%-22s %9.2f %12d %+8.2f%% %7.1f MB  %s\n", label[k], t[k], s[k],
			       (s[k] / s["gzip"] - 1) * 100, m[k] / 1024, ratio
		}
	}' "$RESULTS"
