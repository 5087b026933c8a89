/*
 * fsutil: host file helpers for Plinth's own outputs and inputs (never for
 * paths taken from archive content). Writes go to a temporary name in the
 * same directory and are renamed into place, so a reader never sees half a
 * file and a failure leaves nothing behind.
 */
#ifndef PL_FSUTIL_H
#define PL_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

/* mkdir -p with mode for the directories it creates. */
int pl_mkdir_p(const char *path, mode_t mode, struct pl_err *err);

/* Write len bytes to path atomically (temp + fsync + rename), with mode. */
int pl_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 struct pl_err *err);

/* Read a whole file into out (appending); fails with PL_ETOOBIG past max. */
int pl_read_file(const char *path, size_t max, struct pl_buf *out, struct pl_err *err);

/* Remove a directory tree (like rm -rf); missing is fine. */
int pl_rm_rf(const char *path, struct pl_err *err);

/*
 * Open a new temporary file next to final_path ("<final>.tmp-XXXXXX"); the
 * caller writes to the fd, then pl_tmp_commit() or pl_tmp_abort().
 */
struct pl_tmpfile {
	int fd;
	char *tmp_path;
	char *final_path;
};
int pl_tmp_open(struct pl_tmpfile *t, const char *final_path, struct pl_err *err);
int pl_tmp_commit(struct pl_tmpfile *t, mode_t mode, struct pl_err *err);
void pl_tmp_abort(struct pl_tmpfile *t);

/* write(2) all of it, retrying on EINTR; what names the file in errors. */
int pl_write_all(int fd, const void *data, size_t len, const char *what, struct pl_err *err);

#endif
