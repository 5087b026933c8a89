/*
 * log: leveled messages to stderr and a progress line that is drawn only
 * when stderr is a terminal and the level is not quiet. The CLI sets the
 * level from -v/-q; the library only calls pl_log_*.
 */
#ifndef PL_LOG_H
#define PL_LOG_H

#include <stdint.h>

#include "err.h"

enum pl_log_level { PL_LOG_QUIET = 0, PL_LOG_WARN = 1, PL_LOG_INFO = 2, PL_LOG_DEBUG = 3 };

void pl_log_set_level(enum pl_log_level level);
enum pl_log_level pl_log_get_level(void);

void pl_log_warn(const char *fmt, ...) PL_PRINTF(1, 2);
void pl_log_info(const char *fmt, ...) PL_PRINTF(1, 2);
void pl_log_debug(const char *fmt, ...) PL_PRINTF(1, 2);

struct pl_progress {
	const char *label;
	uint64_t total, done;
	int64_t last_ms;
	int active;
};

/* Begin a progress line (total 0 = unknown). Draws nothing off a TTY. */
void pl_progress_start(struct pl_progress *p, const char *label, uint64_t total);
/* Add n units; redraws at most ten times a second. */
void pl_progress_add(struct pl_progress *p, uint64_t n);
/* Erase the line. */
void pl_progress_end(struct pl_progress *p);

#endif
