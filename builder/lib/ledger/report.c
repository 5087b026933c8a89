/*
 * ledger/report: the release manager's views of a rollout and a patch's
 * advisory as terminal tables, Markdown and one self-contained HTML page
 * (inline CSS and JS, a CSP that forbids every fetch). Every string read
 * from the ledger is untrusted: escaped for HTML, for Markdown, for the
 * JSON embedded in a <script> element, quoted for the shell in the pull and
 * verify commands, and stripped of control characters on a terminal.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/ledger.h"
#include "util/buf.h"
#include "util/json.h"

#define NSTATES 5

/* Writes into a buffer, remembering the first failure (checked once at the end). */
struct w {
	struct pl_buf *b;
	struct pl_err *err;
	int rc;
};

static void wn(struct w *w, const char *s, size_t n)
{
	if (w->rc == 0 && n)
		w->rc = pl_buf_add(w->b, s, n, w->err);
}

static void ws(struct w *w, const char *s)
{
	wn(w, s, strlen(s));
}

static void wf(struct w *w, const char *fmt, ...) PL_PRINTF(2, 3);
static void wf(struct w *w, const char *fmt, ...)
{
	va_list ap;

	if (w->rc)
		return;
	va_start(ap, fmt);
	w->rc = pl_buf_vaddf(w->b, w->err, fmt, ap);
	va_end(ap);
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* ---- escaping ---- */

/* HTML text and attribute values alike; C0 controls other than tab and newline become spaces. */
static void w_html(struct w *w, const char *s)
{
	const char *run = s;

	for (s = nz(s), run = s; *s; s++) {
		const char *rep = NULL;
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:
			if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
				rep = " ";
		}
		if (rep) {
			wn(w, run, (size_t)(s - run));
			ws(w, rep);
			run = s + 1;
		}
	}
	wn(w, run, (size_t)(s - run));
}

/*
 * Markdown inline text (also inside a table cell): HTML's specials as
 * entities, Markdown's with a backslash, line breaks as spaces.
 */
static void w_md(struct w *w, const char *s)
{
	for (s = nz(s); *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '&')
			ws(w, "&amp;");
		else if (c == '<')
			ws(w, "&lt;");
		else if (c == '>')
			ws(w, "&gt;");
		else if (c < 0x20 || c == 0x7f)
			ws(w, " ");
		else if (strchr("\\`*_[]|#", c)) {
			char e[3] = {'\\', (char)c, 0};

			ws(w, e);
		} else
			wn(w, s, 1);
	}
}

/* An inline code span when s can be one (in a table too), else escaped text. */
static void w_md_code(struct w *w, const char *s)
{
	const char *p;

	for (p = nz(s); *p; p++)
		if (*p == '`' || *p == '|' || (unsigned char)*p < 0x20 || *p == 0x7f)
			break;
	if (*p || !*nz(s)) {
		w_md(w, s);
		return;
	}
	ws(w, "`");
	ws(w, s);
	ws(w, "`");
}

/* A shell word: bare when plainly safe, else single-quoted; controls become '?'. */
static void w_sh(struct w *w, const char *s)
{
	const char *p;

	for (p = nz(s); *p; p++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
			    "._:/@+=,-",
			    *p))
			break;
	if (!*p && *nz(s)) {
		ws(w, s);
		return;
	}
	ws(w, "'");
	for (p = nz(s); *p; p++) {
		if (*p == '\'')
			ws(w, "'\\''");
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			ws(w, "?");
		else
			wn(w, p, 1);
	}
	ws(w, "'");
}

/* Terminal text: C0, DEL and UTF-8-encoded C1 controls become '?' (no escape sequences). */
static void w_txt(struct w *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)nz(s);

	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			ws(w, "?");
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			ws(w, "?");
			p++;
		} else
			wn(w, (const char *)p, 1);
	}
}

/* JSON inside <script>: '<', '>' and '&' as \u escapes, so no markup can close it. */
static void w_script_json(struct w *w, const json_t *j)
{
	struct pl_buf tmp = PL_BUF_INIT;
	const char *s, *run;

	if (w->rc)
		return;
	w->rc = pl_json_dump(j, &tmp, w->err);
	for (s = run = tmp.data; w->rc == 0 && s && *s; s++) {
		const char *rep = *s == '<' ? "\\u003c" : *s == '>' ? "\\u003e"
					: *s == '&' ? "\\u0026" : NULL;

		if (rep) {
			wn(w, run, (size_t)(s - run));
			ws(w, rep);
			run = s + 1;
		}
	}
	if (s)
		wn(w, run, (size_t)(s - run));
	pl_buf_release(&tmp);
}

/* ---- small formatting helpers ---- */

static void fmt_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm))
		snprintf(out, 32, "-");
}

/* "sha256:" and 12 hex digits, for tables; the full digest elsewhere. */
static void short_digest(const char *d, char out[24])
{
	if (!d)
		snprintf(out, 24, "-");
	else
		snprintf(out, 24, "%.19s", d);
}

static void short_commit(const char *c, char out[16])
{
	snprintf(out, 16, "%.12s", c ? c : "-");
}

static bool is_http_url(const char *s)
{
	return s && (!strncmp(s, "https://", 8) || !strncmp(s, "http://", 7)) &&
	       !strpbrk(s, " \t\r\n\"'<>`");
}

/*
 * The registry repository of a published location ("host/repo:tag",
 * "docker://host/repo@sha256:..") without tag or digest, malloc'd; NULL
 * for OCI layouts and anything else that is not a registry reference.
 */
static char *repo_of(const char *loc)
{
	const char *slash, *colon, *at;
	size_t n;
	char *r;

	if (!loc || !strncmp(loc, "oci:", 4) || !strncmp(loc, "rootfs:", 7))
		return NULL;
	if (!strncmp(loc, "docker://", 9))
		loc += 9;
	slash = strchr(loc, '/');
	if (!slash)
		return NULL;
	at = strchr(loc, '@');
	n = at ? (size_t)(at - loc) : strlen(loc);
	colon = memchr(slash, ':', n - (size_t)(slash - loc));
	if (colon) {
		const char *last = colon, *c;

		while ((c = memchr(last + 1, ':', n - (size_t)(last + 1 - loc))))
			last = c;
		if (!memchr(last, '/', n - (size_t)(last - loc)))
			n = (size_t)(last - loc);
	}
	r = malloc(n + 1);
	if (r) {
		memcpy(r, loc, n);
		r[n] = 0;
	}
	return r;
}

static void count_states(const struct pl_ledger_rollout *r, size_t p, size_t counts[NSTATES])
{
	memset(counts, 0, NSTATES * sizeof(counts[0]));
	for (size_t i = 0; i < r->nimages; i++)
		counts[r->cells[p * r->nimages + i].state]++;
}

/* State letters in the matrix, state order as enum pl_ledger_state. */
static const char *const state_abbr[NSTATES] = {"\xe2\x80\xa6", "B", "P", "F", "\xe2\x80\x93"};

static const struct pl_ledger_report_opts no_opts;

/* ---- terminal tables ---- */

/* Columns padded to their widest cell; the last column is not padded. */
struct tbl {
	size_t ncols, nrows, cap;
	char **cells; /* nrows * ncols, owned */
	int oom;
};

static void tbl_row(struct tbl *t, const char *const *cols)
{
	if (t->oom)
		return;
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, cap * t->ncols * sizeof(*c));

		if (!c) {
			t->oom = 1;
			return;
		}
		t->cells = c;
		t->cap = cap;
	}
	for (size_t k = 0; k < t->ncols; k++) {
		struct pl_buf b = PL_BUF_INIT;
		struct w cw = {&b, NULL, 0};

		w_txt(&cw, cols[k]);
		if (cw.rc == 0 && !b.data)
			cw.rc = pl_buf_adds(&b, "", NULL);
		t->cells[t->nrows * t->ncols + k] = cw.rc ? NULL : pl_buf_detach(&b, NULL);
		if (cw.rc || !t->cells[t->nrows * t->ncols + k])
			t->oom = 1;
		pl_buf_release(&b);
	}
	t->nrows++;
}

static void tbl_render(struct tbl *t, struct w *w, const char *indent)
{
	size_t width[16] = {0};

	assert(t->ncols <= 16);
	if (t->oom) {
		if (w->rc == 0)
			w->rc = pl_err_set(w->err, PL_ENOMEM, "out of memory");
		return;
	}
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t k = 0; k < t->ncols; k++) {
			size_t n = strlen(t->cells[r * t->ncols + k]);

			if (n > width[k])
				width[k] = n;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		ws(w, indent);
		for (size_t k = 0; k < t->ncols; k++) {
			const char *c = t->cells[r * t->ncols + k];

			if (k + 1 == t->ncols) {
				ws(w, c);
				break;
			}
			wf(w, "%-*s  ", (int)width[k], c);
		}
		ws(w, "\n");
	}
}

static void tbl_free(struct tbl *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

static void w_patch_head_txt(struct w *w, const struct pl_ledger_patch *p)
{
	char when[32];

	w_txt(w, p->id);
	ws(w, "  ");
	w_txt(w, p->severity ? p->severity : "unknown severity");
	if (p->title) {
		ws(w, "  ");
		w_txt(w, p->title);
	}
	ws(w, "\n");
	if (p->ncves) {
		ws(w, "  fixes: ");
		for (size_t k = 0; k < p->ncves; k++) {
			ws(w, k ? ", " : "");
			w_txt(w, p->cves[k]);
		}
		ws(w, "\n");
	}
	if (p->advisory) {
		ws(w, "  advisory: ");
		w_txt(w, p->advisory);
		ws(w, "\n");
	}
	fmt_time(p->first_seen, when);
	if (p->known) {
		wf(w, "  first seen: %s", when);
		if (p->first_commit) {
			char c[16];

			short_commit(p->first_commit, c);
			wf(w, " (commit %s)", c);
		}
		ws(w, "\n");
	} else {
		ws(w, "  not yet in the ledger: no build has evaluated it\n");
	}
}

/* Where a cell's build went, or why it failed, for the last column. */
static void cell_note(const struct pl_ledger_cell *c, struct pl_buf *b)
{
	struct w w = {b, NULL, 0};
	const struct pl_ledger_ref *r = c->build;
	char when[32];

	switch (c->state) {
	case PL_LEDGER_PUBLISHED:
		for (size_t k = 0; r && k < r->npublished; k++) {
			ws(&w, k ? ", " : "");
			ws(&w, nz(r->published[k]));
		}
		break;
	case PL_LEDGER_BUILT:
		ws(&w, "not published");
		break;
	case PL_LEDGER_FAILED:
		if (r) {
			ws(&w, pl_ledger_outcome_name(r->outcome));
			ws(&w, ": ");
			ws(&w, r->message ? r->message : "no message");
		}
		break;
	case PL_LEDGER_PENDING:
		ws(&w, r ? "newest build predates the patch" : "never built");
		break;
	case PL_LEDGER_STATE_NA:
		break;
	}
	if (c->latest_failed) {
		fmt_time(c->latest_failed->finished, when);
		wf(&w, "%s[newest build %s %s: %s]", b->len ? " " : "",
		   pl_ledger_outcome_name(c->latest_failed->outcome), when,
		   nz(c->latest_failed->message));
	}
	if (w.rc == 0 && !b->data)
		w.rc = pl_buf_adds(b, "", NULL);
	(void)w.rc;
}

static void rollout_detail_txt(struct w *w, const struct pl_ledger_rollout *r, size_t p)
{
	static const char *const head[] = {"IMAGE", "STATE", "DIGEST", "WHEN", "COMMIT",
					   "WHERE / WHY"};
	struct tbl t = {6, 0, 0, NULL, 0};
	size_t counts[NSTATES];

	w_patch_head_txt(w, &r->patches[p]);
	tbl_row(&t, head);
	for (size_t i = 0; i < r->nimages; i++) {
		const struct pl_ledger_cell *c = &r->cells[p * r->nimages + i];
		const struct pl_ledger_ref *b = c->build;
		struct pl_buf note = PL_BUF_INIT;
		char when[32], dg[24], cm[16], st[32];
		const char *cols[6];

		if (c->state == PL_LEDGER_STATE_NA)
			continue;
		fmt_time(b ? b->finished : 0, when);
		short_digest(b && c->state != PL_LEDGER_FAILED && c->state != PL_LEDGER_PENDING
				 ? b->image_digest : NULL, dg);
		short_commit(b ? b->commit : NULL, cm);
		snprintf(st, sizeof(st), "%s%s", pl_ledger_state_name(c->state),
			 c->latest_failed ? "!" : "");
		cell_note(c, &note);
		cols[0] = r->images[i];
		cols[1] = st;
		cols[2] = dg;
		cols[3] = when;
		cols[4] = cm;
		cols[5] = note.data ? note.data : "";
		tbl_row(&t, cols);
		pl_buf_release(&note);
	}
	if (t.nrows > 1)
		tbl_render(&t, w, "  ");
	tbl_free(&t);
	count_states(r, p, counts);
	wf(w, "  %zu published, %zu built, %zu pending, %zu failed, %zu not applicable",
	   counts[PL_LEDGER_PUBLISHED], counts[PL_LEDGER_BUILT], counts[PL_LEDGER_PENDING],
	   counts[PL_LEDGER_FAILED], counts[PL_LEDGER_STATE_NA]);
	if (counts[PL_LEDGER_STATE_NA]) {
		size_t k = 0;

		ws(w, ": ");
		for (size_t i = 0; i < r->nimages; i++)
			if (r->cells[p * r->nimages + i].state == PL_LEDGER_STATE_NA) {
				ws(w, k++ ? ", " : "");
				w_txt(w, r->images[i]);
			}
	}
	ws(w, "\n");
}

int pl_ledger_rollout_table(const struct pl_ledger_rollout *r, bool detail, struct pl_buf *out,
			    struct pl_err *err)
{
	static const char *const head[] = {"PATCH",	"SEVERITY", "PUBLISHED", "BUILT",
					   "PENDING", "FAILED",	    "N/A",	 "TITLE"};
	struct w w = {out, err, 0};
	struct tbl t = {8, 0, 0, NULL, 0};

	if (r->npatches == 0) {
		ws(&w, "no patches in the ledger yet\n");
		return w.rc;
	}
	if (detail) {
		for (size_t p = 0; p < r->npatches; p++) {
			ws(&w, p ? "\n" : "");
			rollout_detail_txt(&w, r, p);
		}
		ws(&w, "\nstates: published (digest, when, where), built (not yet published),\n"
		       "pending (no build since the patch appeared took it), failed (newest build\n"
		       "failed: why); '!' = a newer build of that image failed\n");
		return w.rc;
	}
	tbl_row(&t, head);
	for (size_t p = 0; p < r->npatches; p++) {
		const struct pl_ledger_patch *pa = &r->patches[p];
		size_t c[NSTATES];
		char n[NSTATES][24];
		const char *cols[8];

		count_states(r, p, c);
		for (int s = 0; s < NSTATES; s++)
			snprintf(n[s], sizeof(n[s]), "%zu", c[s]);
		cols[0] = pa->id;
		cols[1] = pa->severity ? pa->severity : "-";
		cols[2] = n[PL_LEDGER_PUBLISHED];
		cols[3] = n[PL_LEDGER_BUILT];
		cols[4] = n[PL_LEDGER_PENDING];
		cols[5] = n[PL_LEDGER_FAILED];
		cols[6] = n[PL_LEDGER_STATE_NA];
		cols[7] = pa->title ? pa->title : "";
		tbl_row(&t, cols);
	}
	tbl_render(&t, &w, "");
	tbl_free(&t);
	wf(&w, "\n%zu patches, %zu images. 'plinth rollout PATCH-ID...' lists every image's "
	       "state;\n'--format html --out FILE' writes the matrix as a page.\n",
	   r->npatches, r->nimages);
	return w.rc;
}

static void sum_findings(const struct pl_ledger_findings *f, char out[48])
{
	uint32_t v[PL_LEDGER_NSEV];

	for (int s = 0; s < PL_LEDGER_NSEV; s++)
		v[s] = f->fixable[s] + f->unfixed[s];
	snprintf(out, 48, "%u/%u/%u/%u", v[PL_LEDGER_CRITICAL], v[PL_LEDGER_HIGH],
		 v[PL_LEDGER_MEDIUM], v[PL_LEDGER_LOW] + v[PL_LEDGER_UNKNOWN]);
}

int pl_ledger_history_table(const struct pl_ledger_history *h, struct pl_buf *out,
			    struct pl_err *err)
{
	static const char *const head[] = {"BUILD", "FINISHED", "OUTCOME", "DIGEST", "COMMIT",
					   "FINDINGS C/H/M/L", "PATCHES APPLIED"};
	struct w w = {out, err, 0};
	struct tbl t = {7, 0, 0, NULL, 0};

	ws(&w, "image ");
	w_txt(&w, h->recipe);
	wf(&w, ": %zu build%s, newest first\n\n", h->n, h->n == 1 ? "" : "s");
	tbl_row(&t, head);
	for (size_t i = 0; i < h->n; i++) {
		const struct pl_ledger_build *b = &h->builds[i];
		struct pl_buf pb = PL_BUF_INIT;
		struct w pw = {&pb, NULL, 0};
		char id[24], when[32], dg[24], cm[16], f0[48], f1[48], fs[100];
		const char *cols[7];
		size_t napp = 0;

		snprintf(id, sizeof(id), "%lld", (long long)b->id);
		fmt_time(b->finished, when);
		short_digest(b->image_digest, dg);
		short_commit(b->commit, cm);
		sum_findings(&b->before, f0);
		sum_findings(&b->after, f1);
		snprintf(fs, sizeof(fs), "%s -> %s", f0, f1);
		/* a terminal line, not a list of 60 ids: the JSON has them all */
		for (size_t k = 0; k < b->npatches; k++) {
			if (b->patches[k].status != PL_LEDGER_APPLIED)
				continue;
			if (napp++ < 4) {
				ws(&pw, pb.len ? " " : "");
				ws(&pw, nz(b->patches[k].patch.id));
			}
		}
		if (napp > 4)
			wf(&pw, " (+%zu more)", napp - 4);
		cols[0] = id;
		cols[1] = when;
		cols[2] = pl_ledger_outcome_name(b->outcome);
		cols[3] = dg;
		cols[4] = cm;
		cols[5] = fs;
		cols[6] = pw.rc == 0 && pb.data ? pb.data : "-";
		tbl_row(&t, cols);
		pl_buf_release(&pb);
	}
	tbl_render(&t, &w, "");
	tbl_free(&t);
	for (size_t i = 0, shown = 0; i < h->n; i++) {
		const struct pl_ledger_build *b = &h->builds[i];

		if (!b->message && !b->npublished)
			continue;
		wf(&w, "%s%lld:", shown++ ? "" : "\n", (long long)b->id);
		for (size_t k = 0; k < b->npublished; k++) {
			ws(&w, " published to ");
			w_txt(&w, b->published[k]);
			ws(&w, k + 1 < b->npublished ? "," : "");
		}
		if (b->message) {
			ws(&w, b->npublished ? "; " : " ");
			w_txt(&w, b->message);
		}
		ws(&w, "\n");
	}
	return w.rc;
}

/* ---- Markdown ---- */

static void w_md_patch_meta(struct w *w, const struct pl_ledger_patch *p)
{
	char when[32];

	wf(w, "- **Severity:** ");
	w_md(w, p->severity ? p->severity : "unknown");
	ws(w, "\n- **Fixes:** ");
	for (size_t k = 0; k < p->ncves; k++) {
		ws(w, k ? ", " : "");
		w_md(w, p->cves[k]);
	}
	ws(w, p->ncves ? "\n" : "no CVE listed\n");
	if (p->advisory) {
		ws(w, "- **Advisory:** ");
		if (is_http_url(p->advisory)) {
			ws(w, "<");
			ws(w, p->advisory);
			ws(w, ">");
		} else {
			w_md(w, p->advisory);
		}
		ws(w, "\n");
	}
	fmt_time(p->first_seen, when);
	if (p->known) {
		wf(w, "- **First seen:** %s", when);
		if (p->first_commit) {
			ws(w, ", commit ");
			w_md_code(w, p->first_commit);
		}
		ws(w, "\n");
	}
}

static void w_md_list(struct w *w, const char *const *v, size_t n, const char *none)
{
	for (size_t k = 0; k < n; k++) {
		ws(w, k ? ", " : "");
		w_md_code(w, v[k]);
	}
	if (!n)
		ws(w, none);
}

int pl_ledger_rollout_md(const struct pl_ledger_rollout *r, const struct pl_ledger_report_opts *o,
			 struct pl_buf *out, struct pl_err *err)
{
	struct w w = {out, err, 0};
	char when[32];

	o = o ? o : &no_opts;
	ws(&w, "# ");
	w_md(&w, o->title ? o->title : "Security patch rollout");
	wf(&w, "\n\n%zu patches across %zu images", r->npatches, r->nimages);
	if (o->generated) {
		fmt_time(o->generated, when);
		wf(&w, ", as of %s", when);
	}
	if (!r->npatches) {
		ws(&w, ".\n\nNo patches in the ledger yet.\n");
		return w.rc;
	}
	ws(&w, ".\n\n| Patch | Severity | Title | Published | Built | Pending | Failed | "
	       "Not applicable |\n|---|---|---|--:|--:|--:|--:|--:|\n");
	for (size_t p = 0; p < r->npatches; p++) {
		size_t c[NSTATES];

		count_states(r, p, c);
		ws(&w, "| ");
		w_md(&w, r->patches[p].id);
		ws(&w, " | ");
		w_md(&w, r->patches[p].severity ? r->patches[p].severity : "-");
		ws(&w, " | ");
		w_md(&w, r->patches[p].title);
		wf(&w, " | %zu | %zu | %zu | %zu | %zu |\n", c[PL_LEDGER_PUBLISHED],
		   c[PL_LEDGER_BUILT], c[PL_LEDGER_PENDING], c[PL_LEDGER_FAILED],
		   c[PL_LEDGER_STATE_NA]);
	}
	for (size_t p = 0; p < r->npatches; p++) {
		size_t na = 0;

		ws(&w, "\n## ");
		w_md(&w, r->patches[p].id);
		if (r->patches[p].title) {
			ws(&w, ": ");
			w_md(&w, r->patches[p].title);
		}
		ws(&w, "\n\n");
		w_md_patch_meta(&w, &r->patches[p]);
		ws(&w, "\n| Image | State | Digest | Finished | Commit | Where / why |\n"
		       "|---|---|---|---|---|---|\n");
		for (size_t i = 0; i < r->nimages; i++) {
			const struct pl_ledger_cell *c = &r->cells[p * r->nimages + i];
			const struct pl_ledger_ref *b = c->build;
			struct pl_buf note = PL_BUF_INIT;
			char cm[16];

			if (c->state == PL_LEDGER_STATE_NA) {
				na++;
				continue;
			}
			ws(&w, "| ");
			w_md(&w, r->images[i]);
			wf(&w, " | %s%s | ", pl_ledger_state_name(c->state),
			   c->latest_failed ? " (newest build failed)" : "");
			if (b && (c->state == PL_LEDGER_PUBLISHED || c->state == PL_LEDGER_BUILT))
				w_md_code(&w, b->image_digest);
			fmt_time(b ? b->finished : 0, when);
			short_commit(b ? b->commit : NULL, cm);
			wf(&w, " | %s | ", when);
			w_md_code(&w, cm);
			ws(&w, " | ");
			cell_note(c, &note);
			w_md(&w, note.data);
			pl_buf_release(&note);
			ws(&w, " |\n");
		}
		if (na) {
			size_t k = 0;

			wf(&w, "\nNot applicable (%zu): ", na);
			for (size_t i = 0; i < r->nimages; i++)
				if (r->cells[p * r->nimages + i].state == PL_LEDGER_STATE_NA) {
					ws(&w, k++ ? ", " : "");
					w_md(&w, r->images[i]);
				}
			ws(&w, "\n");
		}
	}
	return w.rc;
}

/* The pull and verify commands for one published cell; sh (a shell block) or HTML text. */
static void w_pull_cmds(struct w *w, const char *image, const struct pl_ledger_ref *b,
			const struct pl_ledger_report_opts *o, bool html)
{
	const char *keys = o->keys_dir ? o->keys_dir : "keys/";
	const char *cosign = o->cosign_key ? o->cosign_key : "keys/cosign.pub";
	struct pl_buf tmp = PL_BUF_INIT;
	struct w t = {&tmp, w->err, 0};
	bool any = false;

	ws(&t, "# ");
	w_txt(&t, image);
	ws(&t, "\n");
	for (size_t k = 0; b && k < b->npublished; k++) {
		char *repo = repo_of(b->published[k]);
		struct pl_buf ref = PL_BUF_INIT;
		struct w rw = {&ref, w->err, 0};

		if (!repo) {
			ws(&t, "plinth copy ");
			w_sh(&t, b->published[k]);
			ws(&t, " oci:");
			w_sh(&t, image);
			ws(&t, "    # expect ");
			w_txt(&t, b->image_digest);
			ws(&t, "\n");
			any = true;
			continue;
		}
		wf(&rw, "%s@%s", repo, nz(b->image_digest));
		free(repo);
		if (rw.rc) {
			t.rc = rw.rc;
			break;
		}
		ws(&t, "plinth pull ");
		w_sh(&t, ref.data);
		ws(&t, " oci:");
		w_sh(&t, image);
		ws(&t, "\nplinth verify ");
		w_sh(&t, ref.data);
		ws(&t, " --keys ");
		w_sh(&t, keys);
		ws(&t, "\ncosign verify --key ");
		w_sh(&t, cosign);
		ws(&t, " ");
		w_sh(&t, ref.data);
		ws(&t, "\n");
		pl_buf_release(&ref);
		any = true;
	}
	if (t.rc == 0 && any) {
		if (html)
			w_html(w, tmp.data);
		else
			ws(w, tmp.data);
	}
	if (t.rc && w->rc == 0)
		w->rc = t.rc;
	pl_buf_release(&tmp);
}

struct adv {
	const struct pl_ledger_rollout *r;
	const struct pl_ledger_patch *p;
	size_t counts[NSTATES];
};

static int adv_init(struct adv *a, const struct pl_ledger_rollout *r, struct pl_err *err)
{
	if (r->npatches != 1)
		return pl_err_set(err, PL_EINVAL, "an advisory is about one patch, not %zu",
				  r->npatches);
	a->r = r;
	a->p = &r->patches[0];
	count_states(r, 0, a->counts);
	return 0;
}

static void w_status_sentence(struct w *w, const struct adv *a, bool html)
{
	size_t aff = a->r->nimages - a->counts[PL_LEDGER_STATE_NA];

	wf(w, "%s%zu of %zu affected image%s publish%s the fix%s", html ? "<strong>" : "**",
	   a->counts[PL_LEDGER_PUBLISHED], aff, aff == 1 ? "" : "s",
	   a->counts[PL_LEDGER_PUBLISHED] == 1 ? "es" : "", html ? "</strong>" : "**");
	wf(w, "; %zu built, not yet published; %zu pending; %zu failed. %zu image%s not "
	      "affected.",
	   a->counts[PL_LEDGER_BUILT], a->counts[PL_LEDGER_PENDING], a->counts[PL_LEDGER_FAILED],
	   a->counts[PL_LEDGER_STATE_NA], a->counts[PL_LEDGER_STATE_NA] == 1 ? " is" : "s are");
}

int pl_ledger_advisory_md(const struct pl_ledger_rollout *r, const struct pl_ledger_report_opts *o,
			  struct pl_buf *out, struct pl_err *err)
{
	struct w w = {out, err, 0};
	struct adv a = {NULL, NULL, {0, 0, 0, 0, 0}};
	char when[32], cm[16];
	size_t k;

	o = o ? o : &no_opts;
	if ((w.rc = adv_init(&a, r, err)) < 0)
		return w.rc;
	ws(&w, "# Security advisory ");
	w_md(&w, a.p->id);
	if (a.p->title) {
		ws(&w, ": ");
		w_md(&w, a.p->title);
	}
	ws(&w, "\n\n");
	w_md_patch_meta(&w, a.p);
	ws(&w, "\n");
	w_status_sentence(&w, &a, false);
	if (o->generated) {
		fmt_time(o->generated, when);
		wf(&w, " (as of %s)", when);
	}
	ws(&w, "\n\n## Images carrying the fix\n\n");
	if (!a.counts[PL_LEDGER_PUBLISHED]) {
		ws(&w, "None published yet.\n");
	} else {
		ws(&w, "| Image | Tags | Digest | Published to | Built | Commit |\n"
		       "|---|---|---|---|---|---|\n");
		for (size_t i = 0; i < r->nimages; i++) {
			const struct pl_ledger_cell *c = &r->cells[i];
			const struct pl_ledger_ref *b = c->build;

			if (c->state != PL_LEDGER_PUBLISHED || !b)
				continue;
			ws(&w, "| ");
			w_md(&w, r->images[i]);
			ws(&w, " | ");
			w_md_list(&w, b->tags, b->ntags, "-");
			ws(&w, " | ");
			w_md_code(&w, b->image_digest);
			ws(&w, " | ");
			w_md_list(&w, b->published, b->npublished, "-");
			fmt_time(b->finished, when);
			short_commit(b->commit, cm);
			wf(&w, " | %s | ", when);
			w_md_code(&w, cm);
			ws(&w, " |\n");
		}
		for (size_t i = 0; i < r->nimages; i++) {
			const struct pl_ledger_cell *c = &r->cells[i];

			if (c->state != PL_LEDGER_PUBLISHED || !c->latest_failed)
				continue;
			fmt_time(c->latest_failed->finished, when);
			ws(&w, "\n> **Note:** the newest build of ");
			w_md(&w, r->images[i]);
			wf(&w, " (%s) failed: ", when);
			w_md(&w, c->latest_failed->message ? c->latest_failed->message
							   : pl_ledger_outcome_name(
								 c->latest_failed->outcome));
			ws(&w, ". The digest above is the newest published image carrying the fix.\n");
		}
		ws(&w, "\n## Pull and verify\n\nPull by digest: the digest is what was built, "
		       "scanned, signed and recorded.\n\n```sh\n");
		for (size_t i = 0; i < r->nimages; i++)
			if (r->cells[i].state == PL_LEDGER_PUBLISHED)
				w_pull_cmds(&w, r->images[i], r->cells[i].build, o, false);
		ws(&w, "```\n");
	}
	if (a.counts[PL_LEDGER_BUILT]) {
		ws(&w, "\n## Built, not yet published\n\n| Image | Digest | Built | Commit |\n"
		       "|---|---|---|---|\n");
		for (size_t i = 0; i < r->nimages; i++) {
			const struct pl_ledger_ref *b = r->cells[i].build;

			if (r->cells[i].state != PL_LEDGER_BUILT || !b)
				continue;
			ws(&w, "| ");
			w_md(&w, r->images[i]);
			ws(&w, " | ");
			w_md_code(&w, b->image_digest);
			fmt_time(b->finished, when);
			short_commit(b->commit, cm);
			wf(&w, " | %s | ", when);
			w_md_code(&w, cm);
			ws(&w, " |\n");
		}
	}
	if (a.counts[PL_LEDGER_PENDING] || a.counts[PL_LEDGER_FAILED]) {
		ws(&w, "\n## Not fixed yet\n\n| Image | State | Newest build | Why |\n"
		       "|---|---|---|---|\n");
		for (int s = PL_LEDGER_FAILED; s >= PL_LEDGER_PENDING; s -= PL_LEDGER_FAILED)
			for (size_t i = 0; i < r->nimages; i++) {
				const struct pl_ledger_cell *c = &r->cells[i];
				struct pl_buf note = PL_BUF_INIT;

				if ((int)c->state != s)
					continue;
				fmt_time(c->build ? c->build->finished : 0, when);
				ws(&w, "| ");
				w_md(&w, r->images[i]);
				wf(&w, " | %s | %s | ", pl_ledger_state_name(c->state), when);
				cell_note(c, &note);
				w_md(&w, note.data);
				pl_buf_release(&note);
				ws(&w, " |\n");
			}
	}
	if (a.counts[PL_LEDGER_STATE_NA]) {
		ws(&w, "\n## Not affected\n\n");
		k = 0;
		for (size_t i = 0; i < r->nimages; i++)
			if (r->cells[i].state == PL_LEDGER_STATE_NA) {
				ws(&w, k++ ? ", " : "");
				w_md(&w, r->images[i]);
			}
		ws(&w, "\n");
	}
	return w.rc;
}

/* ---- HTML ---- */

static const char *const html_css[] = {
    ":root{--published:#2e7d32;--built:#1565c0;--pending:#f9a825;--failed:#c62828;",
    "--na:#e6e6e6;--line:#d0d0d0;font-family:system-ui,-apple-system,'DejaVu Sans',",
    "sans-serif;font-size:14px;color:#1d1d1d}\n",
    "body{margin:0;background:#fafafa}\n",
    "header{padding:12px 20px;background:#263238;color:#fff}\n",
    "header h1{margin:0;font-size:20px}header .meta{margin:4px 0 0;color:#cfd8dc}\n",
    "#toolbar{display:flex;flex-wrap:wrap;gap:12px;align-items:center;padding:10px 20px;",
    "background:#fff;border-bottom:1px solid var(--line);position:sticky;top:0;z-index:5}\n",
    "#filter-text{width:260px;padding:5px 8px;font:inherit}\n",
    "#legend{display:flex;flex-wrap:wrap;gap:10px}\n",
    ".legend-item{display:inline-flex;gap:5px;align-items:center;cursor:pointer;",
    "user-select:none}\n",
    ".legend-item .count{color:#666}\n",
    ".swatch{display:inline-block;min-width:18px;height:18px;line-height:18px;text-align:center;",
    "border-radius:3px;color:#fff;font-weight:600;font-size:12px;position:relative}\n",
    "[data-state=published].swatch,td[data-state=published]{background:var(--published);",
    "color:#fff}\n",
    "[data-state=built].swatch,td[data-state=built]{background:var(--built);color:#fff}\n",
    "[data-state=pending].swatch,td[data-state=pending]{background:var(--pending);color:#222}\n",
    "[data-state=failed].swatch,td[data-state=failed]{background:var(--failed);color:#fff}\n",
    "[data-state=not-applicable].swatch,td[data-state=not-applicable]{background:var(--na);",
    "color:#888}\n",
    ".swatch.lf{background:#fff;border:1px solid var(--line);color:#222}\n",
    "td[data-latest-failed]::after,.swatch.lf::after{content:'';position:absolute;top:0;",
    "right:0;border-style:solid;border-width:0 8px 8px 0;border-color:transparent #b71c1c ",
    "transparent transparent;filter:drop-shadow(0 0 1px #fff)}\n",
    "#shown{color:#555;margin-left:auto}\n",
    "main{display:flex;gap:16px;padding:16px 20px;align-items:flex-start}\n",
    "#matrix-wrap{overflow:auto;max-height:calc(100vh - 170px);flex:1 1 auto;",
    "border:1px solid var(--line);background:#fff}\n",
    "table#matrix{border-collapse:separate;border-spacing:0}\n",
    "#matrix th,#matrix td{border-right:1px solid #fff;border-bottom:1px solid #fff}\n",
    "#matrix thead th{position:sticky;top:0;background:#fff;z-index:2;vertical-align:bottom;",
    "padding:4px 2px;border-bottom:1px solid var(--line)}\n",
    "#matrix thead th.img div{writing-mode:vertical-rl;transform:rotate(180deg);",
    "white-space:nowrap;max-height:160px;overflow:hidden;text-overflow:ellipsis;margin:auto}\n",
    "#matrix thead th.corner{left:0;z-index:3;text-align:left;font-weight:normal;color:#666}\n",
    "#matrix th.patch{position:sticky;left:0;background:#fff;z-index:1;text-align:left;",
    "padding:4px 10px 4px 6px;min-width:240px;max-width:340px;cursor:pointer;",
    "border-right:1px solid var(--line);font-weight:normal}\n",
    "#matrix th.patch .pid{font-weight:600;margin-right:6px}\n",
    ".ptitle{display:block;color:#555;font-size:12px;white-space:nowrap;overflow:hidden;",
    "text-overflow:ellipsis}\n",
    ".sev{font-size:11px;padding:0 5px;border-radius:8px;background:#eceff1;color:#37474f}\n",
    ".sev[data-severity=critical]{background:#4a148c;color:#fff}\n",
    ".sev[data-severity=high]{background:#c62828;color:#fff}\n",
    ".sev[data-severity=medium]{background:#ef6c00;color:#fff}\n",
    ".sev[data-severity=low]{background:#9e9d24;color:#fff}\n",
    ".bar{display:flex;height:4px;margin-top:3px;border-radius:2px;overflow:hidden}\n",
    ".bar i{display:block;height:4px}\n",
    "#matrix td{width:22px;min-width:22px;height:24px;text-align:center;font-size:12px;",
    "font-weight:600;cursor:pointer;position:relative;padding:0}\n",
    "#matrix td:hover{outline:2px solid #263238;outline-offset:-2px}\n",
    "#matrix td.selected{outline:3px solid #000;outline-offset:-3px}\n",
    "#matrix td.off{background:#fafafa;color:transparent}\n",
    "#matrix td.off::after{display:none}\n",
    "#matrix .hc,#matrix tr.hr{display:none}\n",
    "#detail{flex:0 0 360px;background:#fff;border:1px solid var(--line);padding:12px 16px;",
    "position:sticky;top:60px;max-height:calc(100vh - 190px);overflow:auto;",
    "overflow-wrap:anywhere}\n",
    "#detail h2{font-size:16px;margin:0 0 8px}#detail h3{font-size:14px;margin:14px 0 6px}\n",
    "#detail dl{display:grid;grid-template-columns:max-content 1fr;gap:3px 10px;margin:0}\n",
    "#detail dt{color:#666}#detail dd{margin:0}\n",
    "#detail .hint{color:#666}\n",
    "code,pre,.mono{font-family:'DejaVu Sans Mono',monospace;font-size:12px}\n",
    "pre{background:#263238;color:#eceff1;padding:10px;overflow:auto;border-radius:4px}\n",
    ".doc{max-width:980px;margin:0 auto;padding:8px 20px 30px}\n",
    ".doc table{border-collapse:collapse;width:100%;margin:6px 0 12px}\n",
    ".doc th,.doc td{border:1px solid var(--line);padding:4px 8px;text-align:left;",
    "vertical-align:top}\n",
    ".doc td.state{color:#fff}\n",
    ".note{border-left:4px solid var(--failed);padding:4px 10px;background:#fff3f3}\n",
    "#empty{padding:20px;color:#666}\n",
    NULL,
};

/*
 * The page's script: the matrix data is parsed from the JSON element, never
 * evaluated; every string reaches the DOM through textContent, and a link
 * only for an http(s) advisory URL. #cell=PATCH/IMAGE selects a cell on
 * load (tests and shared links); body[data-ready] says the script ran.
 */
static const char *const html_js[] = {
    "(function(){'use strict';\n",
    "var data=JSON.parse(document.getElementById('rollout-data').textContent);\n",
    "var table=document.getElementById('matrix'),detail=document.getElementById('detail');\n",
    "var text=document.getElementById('filter-text'),shown=document.getElementById('shown');\n",
    "var boxes=Array.prototype.slice.call(document.querySelectorAll('input.state-filter'));\n",
    "var pidx={},iidx={};\n",
    "data.patches.forEach(function(p,i){pidx[p.id]=i;});\n",
    "data.images.forEach(function(n,i){iidx[n]=i;});\n",
    "function fmt(t){if(t===null||t===undefined)return '-';",
    "return new Date(t*1000).toISOString().replace(/\\.\\d+Z$/,'Z').replace('T',' ');}\n",
    "function el(tag,cls,txt){var e=document.createElement(tag);if(cls)e.className=cls;",
    "if(txt!==undefined&&txt!==null)e.textContent=String(txt);return e;}\n",
    "function link(u){if(/^https?:\\/\\/[^\\s\"'<>`]+$/i.test(u)){var a=el('a',null,u);",
    "a.href=u;a.rel='noopener noreferrer';a.target='_blank';return a;}return el('span',null,u);}\n",
    "function add(dl,field,label,val){var dt=el('dt',null,label),dd=el('dd');",
    "dd.setAttribute('data-field',field);",
    "if(val instanceof Node)dd.appendChild(val);else if(Array.isArray(val)){",
    "if(!val.length)dd.textContent='-';val.forEach(function(v){dd.appendChild(el('div','mono',v));});}",
    "else dd.textContent=(val===null||val===undefined||val==='')?'-':String(val);",
    "dl.appendChild(dt);dl.appendChild(dd);}\n",
    "function buildDl(b,prefix){var dl=el('dl');",
    "add(dl,prefix+'digest','digest',el('span','mono',b.digest||'-'));",
    "add(dl,prefix+'when','finished',fmt(b.finished));",
    "add(dl,prefix+'outcome','outcome',b.outcome);",
    "if(b.message)add(dl,prefix+'message','message',b.message);",
    "add(dl,prefix+'commit','commit',el('span','mono',b.commit||'-'));",
    "add(dl,prefix+'tags','tags',b.tags||[]);",
    "add(dl,prefix+'published','published to',b.published||[]);",
    "add(dl,prefix+'build','build',b.id);return dl;}\n",
    "function patchDl(p){var dl=el('dl');add(dl,'severity','severity',p.severity);",
    "add(dl,'cves','CVEs',p.cves||[]);",
    "if(p.advisory)add(dl,'advisory','advisory',link(p.advisory));",
    "add(dl,'first-seen','first seen',p.known?fmt(p.first_seen):'not in the ledger yet');",
    "if(p.first_commit)add(dl,'first-commit','first commit',el('span','mono',p.first_commit));",
    "return dl;}\n",
    "var explain={'published':'Published with the patch.','built':'Built with the patch, ",
    "not published yet.','pending':'No build since the patch appeared has taken it.',",
    "'failed':'The newest build failed.','not-applicable':'The patch does not apply to this ",
    "image.'};\n",
    "function clear(){while(detail.firstChild)detail.removeChild(detail.firstChild);}\n",
    "var sel=null;\n",
    "function select(td){if(sel){sel.classList.remove('selected');sel.removeAttribute(",
    "'aria-selected');}sel=td;if(td){td.classList.add('selected');",
    "td.setAttribute('aria-selected','true');}}\n",
    "function showCell(td){var pi=pidx[td.getAttribute('data-patch')],",
    "ii=iidx[td.getAttribute('data-image')];if(pi===undefined||ii===undefined)return;",
    "var p=data.patches[pi],st=p.states[ii],bid=p.builds[ii],lf=p.latest_failed[ii];",
    "select(td);clear();",
    "detail.setAttribute('data-patch',p.id);detail.setAttribute('data-image',data.images[ii]);",
    "detail.setAttribute('data-state',st);",
    "var h=el('h2');h.appendChild(el('span','img-name',data.images[ii]));",
    "h.appendChild(document.createTextNode(' \\u00d7 '));h.appendChild(el('span','pid',p.id));",
    "detail.appendChild(h);",
    "var s=el('p');var sw=el('span','swatch',td.textContent);sw.setAttribute('data-state',st);",
    "s.appendChild(sw);var sn=el('strong','state-name',' '+st);sn.setAttribute('data-field','state');",
    "s.appendChild(sn);s.appendChild(document.createTextNode(' \\u2014 '+explain[st]));",
    "detail.appendChild(s);",
    "if(p.title)detail.appendChild(el('p','ptitle-full',p.title));",
    "if(bid!==null&&data.builds[bid]){detail.appendChild(el('h3',null,st==='pending'?",
    "'Newest build (predates the patch)':'Build'));",
    "detail.appendChild(buildDl(data.builds[bid],''));}",
    "if(lf!==null&&data.builds[lf]){var n=el('div','note');n.setAttribute('data-field',",
    "'latest-failed');n.appendChild(el('h3',null,'Newest build failed'));",
    "n.appendChild(buildDl(data.builds[lf],'lf-'));detail.appendChild(n);}",
    "detail.appendChild(el('h3',null,'Patch'));detail.appendChild(patchDl(p));}\n",
    "function showPatch(pi){var p=data.patches[pi];select(null);clear();",
    "detail.setAttribute('data-patch',p.id);detail.removeAttribute('data-image');",
    "detail.removeAttribute('data-state');",
    "var h=el('h2');h.appendChild(el('span','pid',p.id));detail.appendChild(h);",
    "if(p.title)detail.appendChild(el('p','ptitle-full',p.title));",
    "detail.appendChild(patchDl(p));var dl=el('dl');",
    "Object.keys(p.summary).forEach(function(k){add(dl,'count-'+k,k,p.summary[k]);});",
    "detail.appendChild(el('h3',null,'Images'));detail.appendChild(dl);}\n",
    "function setHash(h){try{history.replaceState(null,'','#'+h);}catch(e){}}\n",
    "table.addEventListener('click',function(ev){var td=ev.target.closest('td[data-state]');",
    "if(td){showCell(td);setHash('cell='+encodeURIComponent(td.getAttribute('data-patch'))+'/'+",
    "encodeURIComponent(td.getAttribute('data-image')));return;}",
    "var th=ev.target.closest('th.patch');if(th&&pidx[th.getAttribute('data-patch')]!==undefined)",
    "{showPatch(pidx[th.getAttribute('data-patch')]);",
    "setHash('patch='+encodeURIComponent(th.getAttribute('data-patch')));}});\n",
    "var rows=table.tBodies.length?table.tBodies[0].rows:[],heads=table.tHead.rows[0].cells;\n",
    "function apply(){var q=text.value.trim().toLowerCase(),on={},np=data.patches.length,",
    "ni=data.images.length,i,p;boxes.forEach(function(b){on[b.value]=b.checked;});",
    "var pm=data.patches.map(function(x){return !q||[x.id,x.title||'',(x.cves||[]).join(' '),",
    "x.severity||''].join(' ').toLowerCase().indexOf(q)>=0;});",
    "var im=data.images.map(function(n){return !q||n.toLowerCase().indexOf(q)>=0;});",
    "if(q){var ap=pm.some(Boolean),ai=im.some(Boolean);",
    "if(ap&&!ai)im=im.map(function(){return true;});",
    "else if(ai&&!ap)pm=pm.map(function(){return true;});}",
    "var colHas=new Array(ni).fill(false),nrow=0,ncol=0;",
    "for(p=0;p<np;p++){var r=rows[p],has=false;for(i=0;i<ni;i++){var td=r.cells[i+1],",
    "v=on[td.getAttribute('data-state')];td.classList.toggle('off',!v);",
    "if(v&&pm[p]&&im[i]){has=true;colHas[i]=true;}}",
    "var hide=!(pm[p]&&has);r.classList.toggle('hr',hide);if(!hide)nrow++;}",
    "for(i=0;i<ni;i++){var hc=!(im[i]&&colHas[i]);if(!hc)ncol++;",
    "heads[i+1].classList.toggle('hc',hc);for(p=0;p<np;p++)rows[p].cells[i+1].",
    "classList.toggle('hc',hc);}",
    "shown.textContent=nrow+' of '+np+' patches \\u00d7 '+ncol+' of '+ni+' images shown';}\n",
    "var timer=null;text.addEventListener('input',function(){clearTimeout(timer);",
    "timer=setTimeout(apply,120);});\n",
    "boxes.forEach(function(b){b.addEventListener('change',apply);});\n",
    "apply();\n",
    "function fromHash(){var h=decodeURIComponent(location.hash.replace(/^#/,'')),k;",
    "if(h.indexOf('cell=')===0){h=location.hash.replace(/^#cell=/,'');k=h.indexOf('/');",
    "if(k<0)return;var pi=pidx[decodeURIComponent(h.slice(0,k))],",
    "ii=iidx[decodeURIComponent(h.slice(k+1))];",
    "if(pi!==undefined&&ii!==undefined){var td=rows[pi].cells[ii+1];showCell(td);",
    "if(td.scrollIntoView)td.scrollIntoView({block:'nearest',inline:'nearest'});}}",
    "else if(h.indexOf('patch=')===0&&pidx[h.slice(6)]!==undefined)showPatch(pidx[h.slice(6)]);}\n",
    "window.addEventListener('hashchange',fromHash);\n",
    "fromHash();\n",
    "document.body.setAttribute('data-ready','1');\n",
    "})();\n",
    NULL,
};

static void w_html_head(struct w *w, const char *title, const char *view)
{
	ws(w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
	      "form-action 'none'; base-uri 'none'\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"plinth\">\n<title>");
	w_html(w, title);
	ws(w, "</title>\n<style>\n");
	for (size_t k = 0; html_css[k]; k++)
		ws(w, html_css[k]);
	wf(w, "</style>\n</head>\n<body data-view=\"%s\" data-ready=\"0\">\n", view);
}

static void w_html_meta(struct w *w, const struct pl_ledger_report_opts *o)
{
	char when[32];

	if (o->generated) {
		fmt_time(o->generated, when);
		wf(w, " &middot; as of %s", when);
	}
	if (o->source) {
		ws(w, " &middot; ledger <span class=\"mono\">");
		w_html(w, o->source);
		ws(w, "</span>");
	}
}

static void w_patch_tooltip(struct w *w, const struct pl_ledger_patch *p, const size_t *c)
{
	w_html(w, p->id);
	if (p->title) {
		ws(w, " \xe2\x80\x94 ");
		w_html(w, p->title);
	}
	ws(w, "&#10;severity: ");
	w_html(w, p->severity ? p->severity : "unknown");
	if (p->ncves) {
		ws(w, "&#10;CVEs: ");
		for (size_t k = 0; k < p->ncves; k++) {
			ws(w, k ? ", " : "");
			w_html(w, p->cves[k]);
		}
	}
	if (p->advisory) {
		ws(w, "&#10;advisory: ");
		w_html(w, p->advisory);
	}
	wf(w, "&#10;%zu published, %zu built, %zu pending, %zu failed, %zu n/a",
	   c[PL_LEDGER_PUBLISHED], c[PL_LEDGER_BUILT], c[PL_LEDGER_PENDING], c[PL_LEDGER_FAILED],
	   c[PL_LEDGER_STATE_NA]);
}

int pl_ledger_rollout_html(const struct pl_ledger_rollout *r,
			   const struct pl_ledger_report_opts *o, struct pl_buf *out,
			   struct pl_err *err)
{
	static const int order[NSTATES] = {PL_LEDGER_PUBLISHED, PL_LEDGER_BUILT, PL_LEDGER_PENDING,
					   PL_LEDGER_FAILED, PL_LEDGER_STATE_NA};
	struct w w = {out, err, 0};
	size_t total[NSTATES] = {0, 0, 0, 0, 0}, nlf = 0;
	const char *title;
	json_t *j = NULL;

	o = o ? o : &no_opts;
	title = o->title ? o->title : "Security patch rollout";
	for (size_t k = 0; k < r->npatches * r->nimages; k++) {
		total[r->cells[k].state]++;
		nlf += r->cells[k].latest_failed != NULL;
	}
	w.rc = pl_ledger_rollout_json(r, &j, err);
	w_html_head(&w, title, "rollout");
	ws(&w, "<header><h1>");
	w_html(&w, title);
	wf(&w, "</h1><p class=\"meta\"><span id=\"dims\">%zu patches &times; %zu images</span>",
	   r->npatches, r->nimages);
	w_html_meta(&w, o);
	ws(&w, "</p></header>\n<div id=\"toolbar\">\n<input id=\"filter-text\" type=\"search\" "
	       "placeholder=\"Filter by patch, CVE or image\" aria-label=\"filter\" "
	       "autocomplete=\"off\">\n<div id=\"legend\" role=\"group\" aria-label=\"states\">\n");
	for (int k = 0; k < NSTATES; k++) {
		const char *n = pl_ledger_state_name((enum pl_ledger_state)order[k]);

		wf(&w, "<label class=\"legend-item\" data-state=\"%s\"><input type=\"checkbox\" "
		       "class=\"state-filter\" value=\"%s\" checked><span class=\"swatch\" "
		       "data-state=\"%s\">%s</span> %s <span class=\"count\">%zu</span></label>\n",
		   n, n, n, state_abbr[order[k]], n, total[order[k]]);
	}
	wf(&w, "<span class=\"legend-item marker\" data-marker=\"latest-failed\"><span "
	       "class=\"swatch lf\">&nbsp;</span> newest build failed <span "
	       "class=\"count\">%zu</span></span>\n</div>\n<span id=\"shown\"></span>\n</div>\n",
	   nlf);
	ws(&w, "<main>\n<div id=\"matrix-wrap\">\n<table id=\"matrix\">\n<thead><tr>"
	       "<th class=\"corner\" scope=\"col\">patch \\ image</th>");
	for (size_t i = 0; i < r->nimages; i++) {
		ws(&w, "<th class=\"img\" scope=\"col\" data-image=\"");
		w_html(&w, r->images[i]);
		ws(&w, "\" title=\"");
		w_html(&w, r->images[i]);
		ws(&w, "\"><div>");
		w_html(&w, r->images[i]);
		ws(&w, "</div></th>");
	}
	ws(&w, "</tr></thead>\n<tbody>\n");
	for (size_t p = 0; p < r->npatches && w.rc == 0; p++) {
		const struct pl_ledger_patch *pa = &r->patches[p];
		size_t c[NSTATES];

		count_states(r, p, c);
		ws(&w, "<tr data-patch=\"");
		w_html(&w, pa->id);
		ws(&w, "\"><th class=\"patch\" scope=\"row\" data-patch=\"");
		w_html(&w, pa->id);
		ws(&w, "\" data-severity=\"");
		w_html(&w, pa->severity ? pa->severity : "unknown");
		ws(&w, "\" title=\"");
		w_patch_tooltip(&w, pa, c);
		ws(&w, "\"><span class=\"pid\">");
		w_html(&w, pa->id);
		ws(&w, "</span><span class=\"sev\" data-severity=\"");
		w_html(&w, pa->severity ? pa->severity : "unknown");
		ws(&w, "\">");
		w_html(&w, pa->severity ? pa->severity : "?");
		ws(&w, "</span><span class=\"ptitle\">");
		w_html(&w, pa->title ? pa->title : "");
		ws(&w, "</span><span class=\"bar\">");
		for (int k = 0; k < NSTATES; k++)
			if (c[order[k]])
				wf(&w, "<i data-state=\"%s\" style=\"flex-grow:%zu;background:var(--%s)\">"
				       "</i>",
				   pl_ledger_state_name((enum pl_ledger_state)order[k]), c[order[k]],
				   order[k] == PL_LEDGER_STATE_NA
				       ? "na"
				       : pl_ledger_state_name((enum pl_ledger_state)order[k]));
		ws(&w, "</span></th>");
		for (size_t i = 0; i < r->nimages; i++) {
			const struct pl_ledger_cell *cl = &r->cells[p * r->nimages + i];

			ws(&w, "<td data-patch=\"");
			w_html(&w, pa->id);
			ws(&w, "\" data-image=\"");
			w_html(&w, r->images[i]);
			wf(&w, "\" data-state=\"%s\"%s>%s</td>", pl_ledger_state_name(cl->state),
			   cl->latest_failed ? " data-latest-failed=\"1\"" : "",
			   state_abbr[cl->state]);
		}
		ws(&w, "</tr>\n");
	}
	ws(&w, "</tbody>\n</table>\n");
	if (!r->npatches)
		ws(&w, "<p id=\"empty\">No patches in the ledger yet.</p>\n");
	ws(&w, "</div>\n<aside id=\"detail\" aria-live=\"polite\"><p class=\"hint\">Click a cell "
	       "for its build (digest, when, where published, tags, commit, outcome) or a patch "
	       "for its metadata. Filter by state with the legend, by name above.</p></aside>\n"
	       "</main>\n<script type=\"application/json\" id=\"rollout-data\">");
	if (j)
		w_script_json(&w, j);
	ws(&w, "</script>\n<script>\n");
	for (size_t k = 0; html_js[k]; k++)
		ws(&w, html_js[k]);
	ws(&w, "</script>\n</body>\n</html>\n");
	json_decref(j);
	return w.rc;
}

static void w_html_list(struct w *w, const char *const *v, size_t n, const char *cls)
{
	for (size_t k = 0; k < n; k++) {
		wf(w, "%s<span class=\"%s\">", k ? ", " : "", cls);
		w_html(w, v[k]);
		ws(w, "</span>");
	}
	if (!n)
		ws(w, "-");
}

int pl_ledger_advisory_html(const struct pl_ledger_rollout *r,
			    const struct pl_ledger_report_opts *o, struct pl_buf *out,
			    struct pl_err *err)
{
	struct w w = {out, err, 0};
	struct pl_buf title = PL_BUF_INIT;
	struct w tw = {&title, err, 0};
	struct adv a = {NULL, NULL, {0, 0, 0, 0, 0}};
	char when[32], cm[16];

	o = o ? o : &no_opts;
	if ((w.rc = adv_init(&a, r, err)) < 0)
		return w.rc;
	wf(&tw, "Security advisory %s%s%s", nz(a.p->id), a.p->title ? ": " : "", nz(a.p->title));
	if (tw.rc) {
		pl_buf_release(&title);
		return tw.rc;
	}
	w_html_head(&w, title.data, "advisory");
	ws(&w, "<header><h1 id=\"title\">");
	w_html(&w, title.data);
	ws(&w, "</h1><p class=\"meta\">");
	ws(&w, "plinth advisory");
	w_html_meta(&w, o);
	ws(&w, "</p></header>\n<div class=\"doc\">\n<section id=\"fixes\"><h2>What it fixes</h2>"
	       "<table><tbody>\n<tr><th>Patch</th><td data-field=\"id\">");
	w_html(&w, a.p->id);
	ws(&w, "</td></tr>\n<tr><th>Severity</th><td><span class=\"sev\" data-field=\"severity\" "
	       "data-severity=\"");
	w_html(&w, a.p->severity ? a.p->severity : "unknown");
	ws(&w, "\">");
	w_html(&w, a.p->severity ? a.p->severity : "unknown");
	ws(&w, "</span></td></tr>\n<tr><th>CVEs</th><td data-field=\"cves\">");
	w_html_list(&w, a.p->cves, a.p->ncves, "cve");
	ws(&w, "</td></tr>\n");
	if (a.p->advisory) {
		ws(&w, "<tr><th>Advisory</th><td data-field=\"advisory\">");
		if (is_http_url(a.p->advisory)) {
			ws(&w, "<a rel=\"noopener noreferrer\" href=\"");
			w_html(&w, a.p->advisory);
			ws(&w, "\">");
			w_html(&w, a.p->advisory);
			ws(&w, "</a>");
		} else {
			w_html(&w, a.p->advisory);
		}
		ws(&w, "</td></tr>\n");
	}
	if (a.p->known) {
		fmt_time(a.p->first_seen, when);
		wf(&w, "<tr><th>First seen</th><td data-field=\"first-seen\">%s", when);
		if (a.p->first_commit) {
			ws(&w, ", commit <span class=\"mono\">");
			w_html(&w, a.p->first_commit);
			ws(&w, "</span>");
		}
		ws(&w, "</td></tr>\n");
	}
	ws(&w, "</tbody></table></section>\n<section id=\"summary\"><p>");
	w_status_sentence(&w, &a, true);
	ws(&w, "</p></section>\n<section id=\"carriers\"><h2>Images carrying the fix</h2>\n");
	if (!a.counts[PL_LEDGER_PUBLISHED]) {
		ws(&w, "<p>None published yet.</p>\n");
	} else {
		ws(&w, "<table><thead><tr><th>Image</th><th>Tags</th><th>Digest</th>"
		       "<th>Published to</th><th>Built</th><th>Commit</th></tr></thead><tbody>\n");
		for (size_t i = 0; i < r->nimages; i++) {
			const struct pl_ledger_cell *c = &r->cells[i];
			const struct pl_ledger_ref *b = c->build;

			if (c->state != PL_LEDGER_PUBLISHED || !b)
				continue;
			ws(&w, "<tr data-image=\"");
			w_html(&w, r->images[i]);
			ws(&w, "\" data-state=\"published\"><td>");
			w_html(&w, r->images[i]);
			ws(&w, "</td><td>");
			w_html_list(&w, b->tags, b->ntags, "mono");
			ws(&w, "</td><td class=\"mono\" data-field=\"digest\">");
			w_html(&w, b->image_digest);
			ws(&w, "</td><td>");
			w_html_list(&w, b->published, b->npublished, "mono");
			fmt_time(b->finished, when);
			short_commit(b->commit, cm);
			wf(&w, "</td><td>%s</td><td class=\"mono\">", when);
			w_html(&w, cm);
			ws(&w, "</td></tr>\n");
		}
		ws(&w, "</tbody></table>\n");
		for (size_t i = 0; i < r->nimages; i++) {
			const struct pl_ledger_cell *c = &r->cells[i];

			if (c->state != PL_LEDGER_PUBLISHED || !c->latest_failed)
				continue;
			fmt_time(c->latest_failed->finished, when);
			ws(&w, "<p class=\"note\" data-latest-failed=\"");
			w_html(&w, r->images[i]);
			ws(&w, "\">The newest build of ");
			w_html(&w, r->images[i]);
			wf(&w, " (%s) failed: ", when);
			w_html(&w, c->latest_failed->message
				       ? c->latest_failed->message
				       : pl_ledger_outcome_name(c->latest_failed->outcome));
			ws(&w, ". The digest above is the newest published image carrying the "
			       "fix.</p>\n");
		}
		ws(&w, "</section>\n<section id=\"pull\"><h2>Pull and verify</h2>\n<p>Pull by "
		       "digest: the digest is what was built, scanned, signed and recorded.</p>\n"
		       "<pre id=\"commands\">");
		for (size_t i = 0; i < r->nimages; i++)
			if (r->cells[i].state == PL_LEDGER_PUBLISHED)
				w_pull_cmds(&w, r->images[i], r->cells[i].build, o, true);
		ws(&w, "</pre>\n");
	}
	ws(&w, "</section>\n");
	if (a.counts[PL_LEDGER_BUILT] || a.counts[PL_LEDGER_PENDING] || a.counts[PL_LEDGER_FAILED]) {
		static const int ord[3] = {PL_LEDGER_FAILED, PL_LEDGER_PENDING, PL_LEDGER_BUILT};

		ws(&w, "<section id=\"outstanding\"><h2>Not published yet</h2>\n<table><thead><tr>"
		       "<th>Image</th><th>State</th><th>Newest build</th><th>Digest</th>"
		       "<th>Why</th></tr></thead><tbody>\n");
		for (int k = 0; k < 3; k++)
			for (size_t i = 0; i < r->nimages; i++) {
				const struct pl_ledger_cell *c = &r->cells[i];
				struct pl_buf note = PL_BUF_INIT;
				const char *sn = pl_ledger_state_name(c->state);

				if ((int)c->state != ord[k])
					continue;
				fmt_time(c->build ? c->build->finished : 0, when);
				ws(&w, "<tr data-image=\"");
				w_html(&w, r->images[i]);
				wf(&w, "\" data-state=\"%s\"><td>", sn);
				w_html(&w, r->images[i]);
				wf(&w, "</td><td class=\"state\" data-state=\"%s\">%s</td><td>%s</td>"
				       "<td class=\"mono\">",
				   sn, sn, when);
				if (c->state == PL_LEDGER_BUILT && c->build)
					w_html(&w, c->build->image_digest);
				ws(&w, "</td><td>");
				cell_note(c, &note);
				w_html(&w, note.data);
				pl_buf_release(&note);
				ws(&w, "</td></tr>\n");
			}
		ws(&w, "</tbody></table></section>\n");
	}
	if (a.counts[PL_LEDGER_STATE_NA]) {
		size_t k = 0;

		ws(&w, "<section id=\"unaffected\"><h2>Not affected</h2><p>");
		for (size_t i = 0; i < r->nimages; i++)
			if (r->cells[i].state == PL_LEDGER_STATE_NA) {
				ws(&w, k++ ? ", " : "");
				w_html(&w, r->images[i]);
			}
		ws(&w, "</p></section>\n");
	}
	ws(&w, "</div>\n<script>document.body.setAttribute('data-ready','1');</script>\n"
	       "</body>\n</html>\n");
	pl_buf_release(&title);
	return w.rc;
}
