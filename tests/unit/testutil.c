#include "testutil.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/cas.h"
#include "lib/fstree.h"
#include "util/buf.h"
#include "util/fsutil.h"

char *tu_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *p;

	if (asprintf(&p, "%s/plinth-test-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		abort();
	if (!mkdtemp(p))
		abort();
	return p;
}

void tu_rmtree(char *dir)
{
	if (dir)
		pl_rm_rf(dir, NULL);
	free(dir);
}

char *tu_path(const char *dir, const char *rel)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, rel) < 0)
		abort();
	return p;
}

void tu_write(const char *dir, const char *rel, const void *data, size_t len)
{
	char *p = tu_path(dir, rel);
	size_t cut = strlen(p);
	char *parent;
	int rc;

	while (cut > 0 && p[cut - 1] != '/')
		cut--;
	parent = strndup(p, cut ? cut - 1 : 0);
	FILE *f;

	assert_non_null(parent);
	rc = pl_mkdir_p(parent, 0755, NULL);
	free(parent);
	assert_int_equal(rc, 0);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(p);
}

int tu_sh(const char *dir, const char *fmt, ...)
{
	struct pl_buf cmd = PL_BUF_INIT;
	va_list ap;
	int rc;

	if (pl_buf_addf(&cmd, NULL, "cd '%s' && ", dir) < 0)
		abort();
	va_start(ap, fmt);
	if (pl_buf_vaddf(&cmd, NULL, fmt, ap) < 0)
		abort();
	va_end(ap);
	rc = system(cmd.data);
	pl_buf_release(&cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

struct export_ctx {
	const char *root;
	const struct pl_cas *cas;
};

/* One entry on the host: files from the cas, directories, links. */
static int export_one(const struct pl_fsentry *e, void *vctx, struct pl_err *err)
{
	struct export_ctx *c = vctx;
	char *p = tu_path(c->root, e->path);
	int rc = 0;

	if (e->hardlink_to) {
		char *to = tu_path(c->root, e->hardlink_to);

		rc = link(to, p);
		free(to);
	} else if (e->meta->type == PL_FT_DIR) {
		rc = mkdir(p, 0755);
		if (rc == 0)
			rc = chmod(p, e->meta->mode);
	} else if (e->meta->type == PL_FT_SYMLINK) {
		rc = symlink(e->meta->link, p);
	} else if (e->meta->type == PL_FT_REG) {
		char *data = NULL;
		size_t len = 0;

		rc = pl_cas_read(c->cas, e->meta->digest, 0, &data, &len, err);
		if (rc == 0)
			rc = pl_write_file_atomic(p, data, len, e->meta->mode, err);
		free(data);
	}
	free(p);
	if (rc != 0)
		return pl_err_set(err, PL_EIO, "export '%s' failed", e->path);
	return 0;
}

char *tu_export_tree(const struct pl_fstree *t, const struct pl_cas *cas, const char *dir,
		     const char *name)
{
	struct pl_err err = PL_ERR_INIT;
	char *root = tu_path(dir, name);
	struct export_ctx c = { root, cas };

	assert_int_equal(mkdir(root, 0755), 0);
	if (pl_fstree_walk(t, export_one, &c, &err) < 0)
		fail_msg("%s", err.msg);
	return root;
}
