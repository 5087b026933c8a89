#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void pl_err_init(struct pl_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

static int vset(struct pl_err *err, int code, const char *fmt, va_list ap)
{
	if (!err || err->code != 0)
		return code;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return code;
}

int pl_err_set(struct pl_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int pl_err_errno(struct pl_err *err, int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t len;

	if (!err || err->code != 0)
		return code;
	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(saved));
	return code;
}

int pl_err_wrap(struct pl_err *err, const char *fmt, ...)
{
	char prefix[PL_ERR_MSG_MAX];
	char old[PL_ERR_MSG_MAX];
	size_t n, m;
	va_list ap;

	if (!err)
		return PL_EIO;
	if (err->code == 0)
		err->code = PL_EIO;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	n = strlen(prefix);
	if (old[0] && n + 2 < sizeof(err->msg)) {
		memcpy(prefix + n, ": ", 3);
		n += 2;
		m = strlen(old);
		if (m > sizeof(err->msg) - 1 - n)
			m = sizeof(err->msg) - 1 - n;
		memcpy(prefix + n, old, m);
		prefix[n + m] = '\0';
	}
	memcpy(err->msg, prefix, sizeof(err->msg));
	return err->code;
}

const char *pl_err_name(int code)
{
	switch (code) {
	case 0: return "success";
	case PL_EINVAL: return "invalid input";
	case PL_ENOMEM: return "out of memory";
	case PL_EIO: return "i/o error";
	case PL_ENOTFOUND: return "not found";
	case PL_ENET: return "network error";
	case PL_EVERIFY: return "verification failed";
	case PL_ETOOBIG: return "too big";
	case PL_EPOLICY: return "refused by policy";
	case PL_EEXIST: return "already exists";
	case PL_EUSAGE: return "usage error";
	case PL_EAUTH: return "authentication failed";
	default: return "error";
	}
}
