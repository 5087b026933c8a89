/* Helpers shared by the cmocka unit tests: temp dirs and small files. */
#ifndef PL_TESTUTIL_H
#define PL_TESTUTIL_H

#include <stddef.h>

/* Make a fresh directory under $TMPDIR (or /tmp); returns a malloc'd path. */
char *tu_mkdtemp(void);
/* Remove a directory tree made by tu_mkdtemp and free the path. */
void tu_rmtree(char *dir);
/* Write a file (creating parent dirs); aborts the test on failure. */
void tu_write(const char *dir, const char *rel, const void *data, size_t len);
/* Join dir and rel into a malloc'd path. */
char *tu_path(const char *dir, const char *rel);
struct pl_fstree;
struct pl_cas;
/*
 * Write tree t (contents in cas) under dir/name on the host, for the real
 * tools (dpkg-query, update-alternatives, openssl) to look at; returns the
 * malloc'd root. Aborts the test on failure.
 */
char *tu_export_tree(const struct pl_fstree *t, const struct pl_cas *cas, const char *dir,
		     const char *name);

/* Run a shell command with cwd dir; returns its exit status. */
int tu_sh(const char *dir, const char *fmt, ...);

#endif
