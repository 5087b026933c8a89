/*
 * scan internals shared by the files of builder/lib/scan/: small string
 * helpers. Private to the module.
 */
#ifndef PL_SCAN_INTERNAL_H
#define PL_SCAN_INTERNAL_H

#include <stddef.h>

#include "lib/scan.h"

/* strdup that accepts NULL (and returns NULL for it). */
char *sc_strdup(const char *s);
char *sc_strndup(const char *s, size_t n);

/* Recompute r's counts by severity and state (ignored findings apart). */
void sc_report_count(struct pl_report *r);

#endif
