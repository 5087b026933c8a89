/*
 * err: Plinth's error value. A struct pl_err lives on the caller's stack and
 * carries a negative PL_E* code plus one message; reporting never allocates.
 * The first message set wins (the root cause); wrapping adds context in front.
 */
#ifndef PL_ERR_H
#define PL_ERR_H

#include <stddef.h>

#define PL_EINVAL -1    /* bad input: syntax, types, unknown keys */
#define PL_ENOMEM -2    /* allocation failed */
#define PL_EIO -3       /* file system or stream failure */
#define PL_ENOTFOUND -4 /* no such file, ref, blob, key */
#define PL_ENET -5      /* network or remote peer failure */
#define PL_EVERIFY -6   /* digest, size or signature mismatch */
#define PL_ETOOBIG -7   /* input exceeds a limit */
#define PL_EPOLICY -8   /* refused by policy (unsafe path, gate) */
#define PL_EEXIST -9    /* already exists */
#define PL_EUSAGE -10   /* command-line misuse (exit code 2) */
#define PL_EAUTH -11    /* credentials refused or missing */

#define PL_ERR_MSG_MAX 512

struct pl_err {
	int code;
	char msg[PL_ERR_MSG_MAX];
};

#define PL_ERR_INIT { 0, { 0 } }

#if defined(__GNUC__)
#define PL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define PL_WUR __attribute__((warn_unused_result))
#else
#define PL_PRINTF(a, b)
#define PL_WUR
#endif

/* Reset err to "no error". */
void pl_err_init(struct pl_err *err);

/*
 * Record an error unless one is already recorded (the first one wins), and
 * return code so callers can write `return pl_err_set(err, PL_EINVAL, ...)`.
 * err may be NULL.
 */
int pl_err_set(struct pl_err *err, int code, const char *fmt, ...) PL_PRINTF(3, 4);

/* Like pl_err_set, appending ": strerror(errno)" (errno read on entry). */
int pl_err_errno(struct pl_err *err, int code, const char *fmt, ...) PL_PRINTF(3, 4);

/*
 * Prefix the recorded message with "context: " and return the recorded code
 * (PL_EIO if nothing was recorded). Truncates rather than allocating.
 */
int pl_err_wrap(struct pl_err *err, const char *fmt, ...) PL_PRINTF(2, 3);

/* A short name for a code ("invalid input", "not found", ...). */
const char *pl_err_name(int code);

#endif
