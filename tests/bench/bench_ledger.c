/*
 * bench_ledger: generate a large ledger and time the rollout over it.
 *
 *   bench_ledger gen PATH [N]  500 images, 200 patches, N (100,000) builds
 *   bench_ledger rollout PATH  full matrix + JSON; prints one line:
 *     ledger-rollout ms=123.4 cells=100000 patches=200 images=500 json_bytes=N
 *   bench_ledger demo PATH     a small deterministic ledger with every rollout
 *     state, for the report tests (see demo() for the expected cells)
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

/* ---- demo: a small ledger with every state ---- */

#define D0 1767322800 /* 2026-01-02 03:00:00 UTC */

static const char *const d_cves1[] = {"CVE-2026-0001", "CVE-2026-0002"};
static const char *const d_cves2[] = {"CVE-2026-1111"};
static const char *const d_cves3[] = {"CVE-2026-3333"};

static const struct pl_ledger_patch d_patches[3] = {
	{"PL-2026-0001", "OpenSSL security update", "high", d_cves1, 2,
	 "https://security.example/PL-2026-0001", 0, NULL, false},
	/* a hostile title: the HTML's embedded JSON must not break out */
	{"PL-2026-0002", "glibc update </script><script>alert(2)</script>", "critical", d_cves2,
	 1, "see the glibc announcement", 0, NULL, false},
	{"PL-2026-0003", "tzdata 2026a", "low", d_cves3, 1, NULL, 0, NULL, false},
};

/* Append a build of image at D0 + t; evals "a"/"n" per patch (applied, n/a), "" none. */
static void demo_add(struct pl_ledger *l, const char *image, int64_t t,
		     enum pl_ledger_outcome outcome, int pub, const char *evals, const char *msg)
{
	static const char *const tags[] = {"12", "bookworm"};
	struct pl_ledger_patch_eval e[3];
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger_build b;
	char digest[80], commit[48], where[128];
	const char *pubs[1] = {where};
	size_t n = 0;

	memset(&b, 0, sizeof(b));
	/* distinct in the first hex digits, as real digests are */
	snprintf(digest, sizeof(digest), "sha256:%08x%08x%048llx", (unsigned)(t + 1) * 2654435761u,
		 (unsigned)(t + 3) * 1259245u, (unsigned long long)t);
	snprintf(commit, sizeof(commit), "%08x%032llx", (unsigned)(t / 100 + 7) * 40503u * 977u,
		 (unsigned long long)t);
	snprintf(where, sizeof(where), "registry.example/curated/%s:12", image);
	for (size_t k = 0; evals[k]; k++) {
		e[n].patch = d_patches[k];
		e[n].status = evals[k] == 'a' ? PL_LEDGER_APPLIED : PL_LEDGER_NOT_APPLICABLE;
		n++;
	}
	b.recipe = image;
	b.started = D0 + t;
	b.finished = D0 + t + 90;
	b.builder_version = "demo";
	b.repo_url = "https://git.example/curation";
	b.commit = commit;
	b.inputs_digest = digest;
	b.outcome = outcome;
	b.message = msg;
	if (outcome == PL_LEDGER_SUCCESS) {
		b.image_digest = digest;
		b.tags = tags;
		b.ntags = 2;
	}
	if (pub) {
		b.published = pubs;
		b.npublished = 1;
	}
	b.before.fixable[PL_LEDGER_HIGH] = (uint32_t)n;
	b.before.unfixed[PL_LEDGER_LOW] = 4;
	b.after.unfixed[PL_LEDGER_LOW] = 4;
	b.patches = e;
	b.npatches = n;
	if (pl_ledger_append(l, &b, NULL, &err) < 0)
		die("append", &err);
}

/*
 * The cells (patch x image):
 *              debian-base  python  nginx              distroless  legacy-app  tools
 *   0001       published    publ.   published + lf     n/a         pending     failed
 *   0002       published    built   failed             n/a         pending     failed
 *   0003       pending      built   pending            published   pending     failed
 */
static void demo(const char *path)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger *l = NULL;

	remove(path);
	if (pl_ledger_open(&l, path, &err) < 0)
		die("open", &err);
	demo_add(l, "legacy-app", 0, PL_LEDGER_SUCCESS, 1, "", NULL);
	if (pl_ledger_upsert_patches(l, &d_patches[0], 1, D0 + 60, "c0000a", &err) < 0)
		die("upsert", &err);
	demo_add(l, "debian-base", 100, PL_LEDGER_SUCCESS, 1, "a", NULL);
	demo_add(l, "python", 200, PL_LEDGER_SUCCESS, 1, "a", NULL);
	demo_add(l, "nginx", 300, PL_LEDGER_SUCCESS, 1, "a", NULL);
	demo_add(l, "distroless-static", 400, PL_LEDGER_SUCCESS, 1, "n", NULL);
	if (pl_ledger_upsert_patches(l, &d_patches[1], 1, D0 + 1000, "c0000b", &err) < 0)
		die("upsert", &err);
	demo_add(l, "debian-base", 2000, PL_LEDGER_SUCCESS, 1, "aa", NULL);
	demo_add(l, "nginx", 3000, PL_LEDGER_GATE_REFUSED, 0, "aa",
		 "gate: CVE-2026-2222 (high, fixable) in libpcre2-8-0");
	if (pl_ledger_upsert_patches(l, &d_patches[2], 1, D0 + 5000, "c0000c", &err) < 0)
		die("upsert", &err);
	demo_add(l, "python", 6000, PL_LEDGER_SUCCESS, 0, "aaa", NULL);
	demo_add(l, "distroless-static", 6100, PL_LEDGER_SUCCESS, 1, "nna", NULL);
	demo_add(l, "tools", 7000, PL_LEDGER_ERROR, 0, "",
		 "fetch: http://deb.example/pool/x.deb: HTTP 503");
	pl_ledger_free(l);
	printf("ledger-demo path=%s images=6 patches=3\n", path);
}

int main(int argc, char **argv)
{
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "gen") == 0)
		gen(argv[2], argc == 4 ? (int)strtol(argv[3], NULL, 10) : NBUILDS);
	else if (argc == 3 && strcmp(argv[1], "rollout") == 0)
		rollout(argv[2]);
	else if (argc == 3 && strcmp(argv[1], "demo") == 0)
		demo(argv[2]);
	else {
		fprintf(stderr, "usage: bench_ledger gen PATH [NBUILDS] | rollout PATH | demo PATH\n");
		return 2;
	}
	return 0;
}
