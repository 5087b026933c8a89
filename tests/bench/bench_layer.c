/*
 * bench_layer: time pl_layer_write on a host directory.
 *
 *   bench_layer DIR [THREADS [gzip|zstd|none ...]]
 *
 * DIR is imported into an fstree + cas (not timed: lstat walk, contents
 * copied into a cas under $BENCH_CONTENT_DIR, else /dev/shm when writable, so
 * the import's per-blob fsyncs cost nothing), then each compression is timed
 * in a forked child so that its peak RSS is its own; its output cas is under
 * $TMPDIR (a disk, like the reference pipelines' output). One line per compression:
 *   plinth-gzip seconds=2.4 cpu=4.6 size=71676914 tar_size=193034240 maxrss_kib=20364 digest=...
 * A compression may be named several times (repeated runs).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/cas.h"
#include "lib/fstree.h"
#include "lib/layer.h"
#include "util/fsutil.h"

struct link {
	dev_t dev;
	ino_t ino;
	char *path;
};

static struct {
	struct pl_fstree *t;
	struct pl_cas *cas;
	size_t rootlen;
	struct link *links;
	size_t nlinks, caplinks;
	unsigned char buf[1 << 18];
	uint64_t bytes;
} g;

static int import_file(const char *host, struct pl_fsmeta *m, struct pl_err *err)
{
	struct pl_cas_writer *w = NULL;
	int fd = open(host, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return pl_err_errno(err, PL_EIO, "open '%s'", host);
	rc = pl_cas_writer_new(g.cas, &w, err);
	while (rc == 0) {
		ssize_t n = read(fd, g.buf, sizeof(g.buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = pl_err_errno(err, PL_EIO, "read '%s'", host);
			break;
		}
		if (n == 0)
			break;
		rc = pl_cas_writer_write(w, g.buf, (size_t)n, err);
	}
	if (rc == 0) {
		rc = pl_cas_writer_commit(w, NULL, m->digest, &m->size, err);
		w = NULL;
	}
	if (w)
		pl_cas_writer_abort(w);
	close(fd);
	g.bytes += m->size;
	return rc;
}

static const char *hardlink_of(const char *rel, const struct stat *st, struct pl_err *err)
{
	size_t i;

	if (st->st_nlink < 2)
		return NULL;
	for (i = 0; i < g.nlinks; i++)
		if (g.links[i].dev == st->st_dev && g.links[i].ino == st->st_ino)
			return g.links[i].path;
	if (g.nlinks == g.caplinks) {
		size_t cap = g.caplinks ? 2 * g.caplinks : 64;
		struct link *l = realloc(g.links, cap * sizeof(*l));

		if (!l) {
			pl_err_set(err, PL_ENOMEM, "out of memory");
			return NULL;
		}
		g.links = l;
		g.caplinks = cap;
	}
	g.links[g.nlinks].dev = st->st_dev;
	g.links[g.nlinks].ino = st->st_ino;
	g.links[g.nlinks].path = strdup(rel);
	g.nlinks++;
	return NULL;
}

static int visit(const char *host, const struct stat *st, int flag, struct FTW *ftw)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_fsmeta m;
	const char *rel = host + g.rootlen;
	const char *target;
	char link[4096];
	ssize_t n;
	int rc = 0;

	(void)ftw;
	while (*rel == '/')
		rel++;
	if (!*rel)
		return 0;
	memset(&m, 0, sizeof(m));
	m.mode = st->st_mode & 07777;
	m.uid = st->st_uid;
	m.gid = st->st_gid;
	m.mtime = st->st_mtime;
	if (flag == FTW_D || flag == FTW_DP) {
		m.type = PL_FT_DIR;
	} else if (flag == FTW_SL) {
		m.type = PL_FT_SYMLINK;
		n = readlink(host, link, sizeof(link) - 1);
		if (n < 0)
			return 0;
		link[n] = '\0';
		m.link = link;
	} else if (S_ISREG(st->st_mode)) {
		target = hardlink_of(rel, st, &err);
		if (target) {
			rc = pl_fstree_link(g.t, rel, target, &err);
			goto out;
		}
		m.type = PL_FT_REG;
		rc = import_file(host, &m, &err);
		if (rc < 0)
			goto out;
	} else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		m.type = S_ISCHR(st->st_mode) ? PL_FT_CHR : PL_FT_BLK;
		m.devmajor = major(st->st_rdev);
		m.devminor = minor(st->st_rdev);
	} else if (S_ISFIFO(st->st_mode)) {
		m.type = PL_FT_FIFO;
	} else {
		return 0; /* sockets, unreadable entries */
	}
	rc = pl_fstree_put(g.t, rel, &m, &err);
out:
	if (rc < 0)
		fprintf(stderr, "bench_layer: import '%s': %s\n", rel, err.msg);
	return rc < 0 ? -1 : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_one(const char *name, int threads, const char *outdir)
{
	struct pl_layer_write_opts o = { PL_COMP_GZIP, 0, threads, 0 };
	struct pl_layer_result res;
	struct pl_err err = PL_ERR_INIT;
	struct pl_cas *out = NULL;
	struct rusage ru;
	double t0, t1;

	if (strcmp(name, "zstd") == 0)
		o.comp = PL_COMP_ZSTD;
	else if (strcmp(name, "none") == 0)
		o.comp = PL_COMP_NONE;
	else if (strcmp(name, "gzip") != 0)
		return fprintf(stderr, "bench_layer: unknown compression '%s'\n", name), 2;
	if (pl_cas_open(&out, outdir, &err) < 0)
		return fprintf(stderr, "bench_layer: %s\n", err.msg), 1;
	t0 = now();
	if (pl_layer_write(g.t, g.cas, out, &o, &res, &err) < 0)
		return fprintf(stderr, "bench_layer: %s\n", err.msg), 1;
	t1 = now();
	getrusage(RUSAGE_SELF, &ru);
	printf("plinth-%s seconds=%.3f cpu=%.3f size=%llu tar_size=%llu maxrss_kib=%ld digest=%s\n",
	       name, t1 - t0,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
	       (unsigned long long)res.size, (unsigned long long)res.tar_size, ru.ru_maxrss,
	       res.digest);
	fflush(stdout);
	pl_cas_free(out);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *defaults[] = { "gzip", "zstd" };
	struct pl_err err = PL_ERR_INIT;
	const char *tmp = getenv("TMPDIR");
	char work[4096], cwork[4096] = "", path[4200];
	const char *ctmp;
	const char **comps = defaults;
	int ncomps = 2, threads = 0, status = 0, i;
	double t0;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_layer DIR [THREADS [gzip|zstd|none ...]]\n");
		return 2;
	}
	if (argc > 2)
		threads = (int)strtol(argv[2], NULL, 10);
	if (argc > 3) {
		comps = (const char **)argv + 3;
		ncomps = argc - 3;
	}
	snprintf(work, sizeof(work), "%s/plinth-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(work))
		return perror("mkdtemp"), 1;
	ctmp = getenv("BENCH_CONTENT_DIR");
	if (!ctmp || !*ctmp)
		ctmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : work;
	snprintf(cwork, sizeof(cwork), "%.3000s/plinth-bench-content-XXXXXX", ctmp);
	if (!mkdtemp(cwork)) {
		perror("mkdtemp");
		status = 1;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/content", cwork);
	if (pl_fstree_new(&g.t, &err) < 0 || pl_cas_open(&g.cas, path, &err) < 0) {
		fprintf(stderr, "bench_layer: %s\n", err.msg);
		status = 1;
		goto out;
	}
	g.rootlen = strlen(argv[1]);
	t0 = now();
	if (nftw(argv[1], visit, 64, FTW_PHYS) != 0) {
		status = 1;
		goto out;
	}
	fprintf(stderr, "bench_layer: imported %zu entries, %llu bytes in %.1fs\n",
		pl_fstree_count(g.t), (unsigned long long)g.bytes, now() - t0);
	for (i = 0; i < ncomps && status == 0; i++) {
		pid_t pid;
		int ws;

		snprintf(path, sizeof(path), "%s/out-%s", work, comps[i]);
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			status = 1;
			break;
		}
		if (pid == 0)
			_exit(run_one(comps[i], threads, path));
		if (waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
			status = 1;
	}
out:
	pl_fstree_free(g.t);
	pl_cas_free(g.cas);
	for (i = 0; i < (int)g.nlinks; i++)
		free(g.links[i].path);
	free(g.links);
	pl_rm_rf(work, NULL);
	if (*cwork)
		pl_rm_rf(cwork, NULL);
	return status;
}
