#include "testutil.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

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
