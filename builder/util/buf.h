/*
 * buf: a growable byte buffer, always NUL-terminated after len. A non-zero
 * max caps how large it may grow (for anything fed by a file or the network);
 * growing past it is PL_ETOOBIG. Appends never leave a half-appended buffer.
 */
#ifndef PL_BUF_H
#define PL_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "err.h"

struct pl_buf {
	char *data;
	size_t len, cap, max;
};

#define PL_BUF_INIT { NULL, 0, 0, 0 }

/* Start an empty buffer with a size cap (0 = no cap). */
void pl_buf_init(struct pl_buf *b, size_t max);

/* Free the storage; the buffer is empty and reusable afterwards. */
void pl_buf_release(struct pl_buf *b);

/* Forget the contents, keep the storage. */
void pl_buf_reset(struct pl_buf *b);

/* Ensure room for extra more bytes (plus the NUL). */
int pl_buf_grow(struct pl_buf *b, size_t extra, struct pl_err *err) PL_WUR;

int pl_buf_add(struct pl_buf *b, const void *data, size_t len, struct pl_err *err) PL_WUR;
int pl_buf_adds(struct pl_buf *b, const char *s, struct pl_err *err) PL_WUR;
int pl_buf_addch(struct pl_buf *b, char c, struct pl_err *err) PL_WUR;
int pl_buf_addf(struct pl_buf *b, struct pl_err *err, const char *fmt, ...) PL_PRINTF(3, 4) PL_WUR;
int pl_buf_vaddf(struct pl_buf *b, struct pl_err *err, const char *fmt, va_list ap) PL_WUR;

/*
 * Hand the storage to the caller (who frees it) and empty the buffer. Never
 * returns NULL for an empty buffer unless allocation fails.
 */
char *pl_buf_detach(struct pl_buf *b, size_t *len);

#endif
