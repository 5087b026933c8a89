/*
 * Fuzz target: arbitrary bytes as a layer (any compression) applied to a
 * fresh tree with OCI whiteouts on, contents into a scratch cas. The input
 * reaches pl_layer_read through a memfd, the same fd path production uses.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/cas.h"
#include "lib/fstree.h"
#include "lib/layer.h"
#include "util/fsutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char scratch[] = "/tmp/plinth-fuzz-tar-XXXXXX";
static struct pl_cas *cas;
static unsigned runs;

static void cleanup(void)
{
	pl_cas_free(cas);
	cas = NULL;
	pl_rm_rf(scratch, NULL);
}

static int count_entry(const struct pl_fsentry *e, void *ctx, struct pl_err *err)
{
	(void)e;
	(void)err;
	(*(size_t *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_layer_read_opts o = {
		.what = "fuzz input", .whiteouts = true, .uid = -1, .gid = -1, .max_entries = 10000
	};
	struct pl_err err = PL_ERR_INIT;
	struct pl_fstree *t = NULL;
	size_t n = 0;
	int fd;

	if (!cas) {
		if (!mkdtemp(scratch) || pl_cas_open(&cas, scratch, &err) < 0)
			abort();
		atexit(cleanup);
	}
	/* keep the scratch store small over long runs */
	if (++runs % 512 == 0) {
		pl_cas_free(cas);
		cas = NULL;
		if (pl_rm_rf(scratch, NULL) < 0 || pl_cas_open(&cas, scratch, &err) < 0)
			abort();
	}
	fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	if (lseek(fd, 0, SEEK_SET) != 0 || pl_fstree_new(&t, &err) < 0)
		abort();
	if (size && (data[0] & 1))
		o.prefix = "opt/fuzz";
	if (pl_layer_read(t, cas, fd, &o, &err) == 0) {
		if (pl_fstree_walk(t, count_entry, &n, &err) < 0 || n != pl_fstree_count(t))
			abort();
	} else if (err.code == 0 || !err.msg[0]) {
		abort(); /* every failure says why */
	}
	pl_fstree_free(t);
	close(fd);
	return 0;
}
