/*
 * bench_ledger: generate a large ledger and time the rollout over it.
 *
 *   bench_ledger gen PATH [N]  500 images, 200 patches, N (100,000) builds
 *   bench_ledger rollout PATH  full matrix + JSON; prints one line:
 *     ledger-rollout ms=123.4 cells=100000 patches=200 images=500 json_bytes=N
 *
 * The generator is deterministic (xorshift): patch k appears after build
 * k * 500; every build evaluates every patch known at its time (applicable
 * to an image or not by a fixed hash), 90% succeed, 5% are refused by the
 * gate, 5% error (half of them before patching); 70% of successes publish.
 * All appends go through pl_ledger_append in one batch transaction.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/ledger.h"
#include "util/buf.h"
#include "util/json.h"

#define NIMAGES 500
#define NPATCHES 200
#define NBUILDS 100000
#define T0 1700000000

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const struct pl_err *err)
{
	fprintf(stderr, "bench_ledger: %s: %s\n", what, err ? err->msg : "failed");
	exit(1);
}

static int applies(unsigned image, unsigned patch)
{
	return ((image * 2654435761u) ^ (patch * 40503u)) % 10 < 3;
}

static void gen(const char *path, int nbuilds)
{
	static char names[NIMAGES][32], pids[NPATCHES][32], titles[NPATCHES][64];
	static char cve[NPATCHES][32];
	static const char *cvep[NPATCHES][1];
	static struct pl_ledger_patch_eval evals[NPATCHES];
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger *l = NULL;
	double t = now_ms();

	remove(path);
	for (int i = 0; i < NIMAGES; i++)
		snprintf(names[i], sizeof(names[i]), "image-%03d", i);
	for (int k = 0; k < NPATCHES; k++) {
		snprintf(pids[k], sizeof(pids[k]), "PL-2026-%04d", k + 1);
		snprintf(titles[k], sizeof(titles[k]), "security update %d", k + 1);
		snprintf(cve[k], sizeof(cve[k]), "CVE-2026-%05d", 1000 + k);
		cvep[k][0] = cve[k];
	}
	if (pl_ledger_open(&l, path, &err) < 0)
		die("open", &err);
	if (pl_ledger_batch_begin(l, &err) < 0)
		die("begin", &err);
	for (int j = 0; j < nbuilds; j++) {
		unsigned im = rnd(NIMAGES), known = (unsigned)(j / (nbuilds / NPATCHES)) + 1;
		unsigned roll = rnd(100);
		char digest[80], commit[48], tag[64], where[96];
		const char *tags[1] = {tag}, *pub[1] = {where};
		struct pl_ledger_build b;

		memset(&b, 0, sizeof(b));
		snprintf(digest, sizeof(digest), "sha256:%064x", (unsigned)j);
		snprintf(commit, sizeof(commit), "%040x", (unsigned)(j / 50));
		snprintf(tag, sizeof(tag), "b%d", j);
		snprintf(where, sizeof(where), "registry.example/%s:b%d", names[im], j);
		b.recipe = names[im];
		b.started = T0 + (int64_t)j * 60;
		b.finished = b.started + 30;
		b.builder_version = "bench";
		b.repo_url = "https://git.example/curation";
		b.commit = commit;
		b.inputs_digest = digest;
		b.outcome = roll < 90 ? PL_LEDGER_SUCCESS
				      : (roll < 95 ? PL_LEDGER_GATE_REFUSED : PL_LEDGER_ERROR);
		b.message = b.outcome == PL_LEDGER_SUCCESS ? NULL : "gate: 2 fixable high findings";
		if (b.outcome == PL_LEDGER_SUCCESS) {
			b.image_digest = digest;
			b.tags = tags;
			b.ntags = 1;
			if (rnd(10) < 7) {
				b.published = pub;
				b.npublished = 1;
			}
		}
		b.before.fixable[PL_LEDGER_HIGH] = rnd(5);
		b.before.unfixed[PL_LEDGER_LOW] = rnd(20);
		b.after.unfixed[PL_LEDGER_LOW] = b.before.unfixed[PL_LEDGER_LOW];
		if (!(b.outcome == PL_LEDGER_ERROR && roll >= 98)) {
			for (unsigned k = 0; k < known; k++) {
				evals[k].patch.id = pids[k];
				evals[k].patch.title = titles[k];
				evals[k].patch.severity = k % 3 ? "high" : "critical";
				evals[k].patch.cves = cvep[k];
				evals[k].patch.ncves = 1;
				evals[k].status = applies(im, k) ? PL_LEDGER_APPLIED
								 : PL_LEDGER_NOT_APPLICABLE;
			}
			b.patches = evals;
			b.npatches = known;
		}
		if (pl_ledger_append(l, &b, NULL, &err) < 0)
			die("append", &err);
	}
	if (pl_ledger_batch_end(l, true, &err) < 0)
		die("commit", &err);
	pl_ledger_free(l);
	printf("ledger-gen builds=%d images=%d patches=%d seconds=%.2f\n", nbuilds, NIMAGES,
	       NPATCHES, (now_ms() - t) / 1e3);
}

static void rollout(const char *path)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger *l = NULL;
	struct pl_ledger_rollout *r = NULL;
	struct pl_buf out = PL_BUF_INIT;
	json_t *j = NULL;
	double t0, t1, t2;

	if (pl_ledger_open(&l, path, &err) < 0)
		die("open", &err);
	t0 = now_ms();
	if (pl_ledger_rollout(l, NULL, &r, &err) < 0)
		die("rollout", &err);
	t1 = now_ms();
	if (pl_ledger_rollout_json(r, &j, &err) < 0 || pl_json_dump(j, &out, &err) < 0)
		die("json", &err);
	t2 = now_ms();
	printf("ledger-rollout ms=%.1f query_ms=%.1f json_ms=%.1f cells=%zu patches=%zu "
	       "images=%zu json_bytes=%zu\n",
	       t2 - t0, t1 - t0, t2 - t1, r->npatches * r->nimages, r->npatches, r->nimages,
	       out.len);
	json_decref(j);
	pl_buf_release(&out);
	pl_ledger_rollout_free(r);
	pl_ledger_free(l);
}

int main(int argc, char **argv)
{
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "gen") == 0)
		gen(argv[2], argc == 4 ? (int)strtol(argv[3], NULL, 10) : NBUILDS);
	else if (argc == 3 && strcmp(argv[1], "rollout") == 0)
		rollout(argv[2]);
	else {
		fprintf(stderr, "usage: bench_ledger gen PATH [NBUILDS] | rollout PATH\n");
		return 2;
	}
	return 0;
}
