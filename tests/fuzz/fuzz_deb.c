/*
 * Fuzz target: arbitrary bytes as a .deb, read through a memfd (the fd path
 * production uses) and unpacked into a fresh tree with a scratch cas (or,
 * when the last byte is odd, only its control part read). A success must
 * yield a control file and "/..." paths; a failure must say why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/cas.h"
#include "lib/deb.h"
#include "lib/fstree.h"
#include "util/fsutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char scratch[] = "/tmp/plinth-fuzz-deb-XXXXXX";
static struct pl_cas *cas;
static unsigned runs;

static void cleanup(void)
{
	pl_cas_free(cas);
	cas = NULL;
	pl_rm_rf(scratch, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_deb_read_opts o = { "fuzz.deb", true };
	struct pl_err err = PL_ERR_INIT;
	struct pl_fstree *t = NULL;
	struct pl_deb *d = NULL;
	int fd;

	if (!cas) {
		if (!mkdtemp(scratch) || pl_cas_open(&cas, scratch, &err) < 0)
			abort();
		pl_cas_set_sync(cas, false);
		atexit(cleanup);
	}
	if (++runs % 512 == 0) {
		pl_cas_free(cas);
		cas = NULL;
		if (pl_rm_rf(scratch, NULL) < 0 || pl_cas_open(&cas, scratch, &err) < 0)
			abort();
		pl_cas_set_sync(cas, false);
	}
	fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	if (lseek(fd, 0, SEEK_SET) != 0 || pl_fstree_new(&t, &err) < 0)
		abort();
	if (size && (data[size - 1] & 1))
		o.unpack = false;
	if (pl_deb_read(fd, t, cas, &o, &d, &err) == 0) {
		if (!d || !d->control || (!o.unpack && d->npaths) ||
		    (o.unpack && d->npaths && !d->paths[0]))
			abort();
		for (size_t i = 0; i < d->npaths; i++)
			if (d->paths[i][0] != '/')
				abort();
		pl_deb_free(d);
	} else if (d || err.code == 0 || !err.msg[0]) {
		abort();
	}
	pl_fstree_free(t);
	close(fd);
	return 0;
}
