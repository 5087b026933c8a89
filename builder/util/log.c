#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static enum pl_log_level level = PL_LOG_WARN;

void pl_log_set_level(enum pl_log_level l)
{
	level = l;
}

enum pl_log_level pl_log_get_level(void)
{
	return level;
}

static void vlog(enum pl_log_level l, const char *prefix, const char *fmt, va_list ap)
{
	if (level < l)
		return;
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pl_log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PL_LOG_WARN, "plinth: warning: ", fmt, ap);
	va_end(ap);
}

void pl_log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PL_LOG_INFO, "plinth: ", fmt, ap);
	va_end(ap);
}

void pl_log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PL_LOG_DEBUG, "plinth: debug: ", fmt, ap);
	va_end(ap);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void draw(struct pl_progress *p)
{
	if (p->total)
		fprintf(stderr, "\r\033[K%s %3u%%", p->label,
			(unsigned)(p->done * 100 / (p->total ? p->total : 1)));
	else
		fprintf(stderr, "\r\033[K%s %llu", p->label, (unsigned long long)p->done);
	fflush(stderr);
}

void pl_progress_start(struct pl_progress *p, const char *label, uint64_t total)
{
	p->label = label;
	p->total = total;
	p->done = 0;
	p->last_ms = 0;
	p->active = level >= PL_LOG_WARN && isatty(STDERR_FILENO);
}

void pl_progress_add(struct pl_progress *p, uint64_t n)
{
	int64_t t;

	p->done += n;
	if (!p->active)
		return;
	t = now_ms();
	if (t - p->last_ms < 100)
		return;
	p->last_ms = t;
	draw(p);
}

void pl_progress_end(struct pl_progress *p)
{
	if (p->active)
		fputs("\r\033[K", stderr);
	p->active = 0;
}
