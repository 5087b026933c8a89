/*
 * deb/debfile: the .deb reader. The outer ar archive and control.tar are
 * read with libarchive straight from the member stream; data.tar is handed
 * to the layer reader (dpkg path mode) through a read callback, so nothing
 * is buffered whole, written to a temporary file, or unpacked on the host.
 */
#include "lib/deb.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/layer.h"
#include "util/buf.h"

#define CHUNK 65536
#define PEEK 512
#define MAX_DEBIAN_BINARY 64
#define MAX_CONTROL (4u << 20)
#define MAX_MD5SUMS (64u << 20)
#define MAX_CONFFILES (1u << 20)
#define MAX_SCRIPT (4u << 20)
#define MAX_OTHER (16u << 20)
#define MAX_CONTROL_TOTAL (128u << 20)
#define MAX_CONTROL_ENTRIES 10000

/* An ar member as a byte stream, with its first bytes peeked for the magic. */
struct msrc {
	struct archive *ar;
	const char *what, *member;
	unsigned char peek[PEEK];
	size_t peek_len, peek_off;
	char *buf; /* for libarchive's callback */
	struct pl_err err;
};

static const char *aerr(struct archive *a, const char *dflt)
{
	const char *m = archive_error_string(a);

	return m && m[0] ? m : dflt;
}

static ssize_t msrc_read(void *ctx, void *buf, size_t n, struct pl_err *err)
{
	struct msrc *s = ctx;
	la_ssize_t r;

	if (s->peek_off < s->peek_len) {
		size_t k = s->peek_len - s->peek_off;

		if (k > n)
			k = n;
		memcpy(buf, s->peek + s->peek_off, k);
		s->peek_off += k;
		return (ssize_t)k;
	}
	r = archive_read_data(s->ar, buf, n);
	if (r < 0)
		return pl_err_set(err, PL_EINVAL, "%s: member '%s': %s", s->what, s->member,
				  aerr(s->ar, "read error"));
	return r;
}

static int msrc_peek(struct msrc *s, struct pl_err *err)
{
	while (s->peek_len < PEEK) {
		la_ssize_t r = archive_read_data(s->ar, s->peek + s->peek_len, PEEK - s->peek_len);

		if (r < 0)
			return pl_err_set(err, PL_EINVAL, "%s: member '%s': %s", s->what, s->member,
					  aerr(s->ar, "read error"));
		if (r == 0)
			break;
		s->peek_len += (size_t)r;
	}
	return 0;
}

static la_ssize_t msrc_cb(struct archive *a, void *ctx, const void **buff)
{
	struct msrc *s = ctx;
	ssize_t n;

	pl_err_init(&s->err);
	n = msrc_read(s, s->buf, CHUNK, &s->err);
	if (n < 0) {
		archive_set_error(a, -1, "%s", s->err.msg);
		return ARCHIVE_FATAL;
	}
	*buff = s->buf;
	return n;
}

enum comp { C_NONE, C_GZ, C_XZ, C_ZST, C_BZ2, C_LZMA, C_BAD };

/* The compression a member's name announces ("control.tar.xz" -> C_XZ). */
static enum comp member_comp(const char *name, const char *stem, bool data)
{
	size_t n = strlen(stem);

	if (strncmp(name, stem, n) != 0)
		return C_BAD;
	name += n;
	if (!name[0])
		return C_NONE;
	if (strcmp(name, ".gz") == 0)
		return C_GZ;
	if (strcmp(name, ".xz") == 0)
		return C_XZ;
	if (strcmp(name, ".zst") == 0)
		return C_ZST;
	if (data && strcmp(name, ".bz2") == 0)
		return C_BZ2;
	if (data && strcmp(name, ".lzma") == 0)
		return C_LZMA;
	return C_BAD;
}

/* The first bytes must be what the name says, so no other decoder ever runs. */
static int check_magic(const struct msrc *s, enum comp c, struct pl_err *err)
{
	const unsigned char *p = s->peek;
	size_t n = s->peek_len;
	bool ok;

	switch (c) {
	case C_GZ:
		ok = n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
		break;
	case C_XZ:
		ok = n >= 6 && memcmp(p,
				      "\xfd"
				      "7zXZ\0",
				      6) == 0;
		break;
	case C_ZST:
		ok = n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0;
		break;
	case C_BZ2:
		ok = n >= 3 && memcmp(p, "BZh", 3) == 0;
		break;
	case C_LZMA:
		ok = n >= 13 && p[0] == 0x5d && p[1] == 0 && p[2] == 0;
		break;
	case C_NONE:
		ok = n >= 262 && memcmp(p + 257, "ustar", 5) == 0;
		break;
	default:
		ok = false;
	}
	if (!ok)
		return pl_err_set(err, PL_EINVAL,
				  "%s: member '%s' is not what its name says "
				  "(%s)",
				  s->what, s->member, n == 0 ? "empty" : "bad magic bytes");
	return 0;
}

static int read_debian_binary(struct archive *ar, const char *what, struct pl_err *err)
{
	char buf[MAX_DEBIAN_BINARY + 1];
	size_t len = 0;
	const char *p;

	for (;;) {
		la_ssize_t r = archive_read_data(ar, buf + len, sizeof(buf) - 1 - len);

		if (r < 0)
			return pl_err_set(err, PL_EINVAL, "%s: member 'debian-binary': %s", what,
					  aerr(ar, "read error"));
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == sizeof(buf) - 1) {
			char c;

			if (archive_read_data(ar, &c, 1) != 0)
				return pl_err_set(err, PL_EINVAL,
						  "%s: member 'debian-binary' is too large", what);
			break;
		}
	}
	buf[len] = '\0';
	/* dpkg reads "<major>.<minor>" and accepts any 2.x format */
	p = buf;
	if (len < 4 || p[0] != '2' || p[1] != '.' || p[2] < '0' || p[2] > '9')
		goto bad;
	for (p += 2; *p >= '0' && *p <= '9'; p++)
		;
	if (*p != '\n' || memchr(buf, '\0', len))
		goto bad;
	return 0;
bad:
	return pl_err_set(err, PL_EINVAL,
			  "%s: member 'debian-binary' is not \"2.0\\n\" (not a format 2.x .deb)",
			  what);
}

/*
 * Append the current control.tar entry to d->members (NUL-terminated), at
 * most max bytes, and at most MAX_CONTROL_TOTAL for all members together.
 */
static int read_member(struct archive *ctl, const char *what, const char *name, uint32_t mode,
		       size_t max, size_t *total, struct pl_deb *d, struct pl_err *err)
{
	struct pl_deb_member *m;
	struct pl_buf b;
	char chunk[8192];
	int rc = 0;

	for (size_t i = 0; i < d->nmembers; i++)
		if (strcmp(d->members[i].name, name) == 0)
			return pl_err_set(err, PL_EINVAL, "%s: control.tar has '%s' twice", what,
					  name);
	if (max > MAX_CONTROL_TOTAL - *total)
		max = MAX_CONTROL_TOTAL - *total;
	pl_buf_init(&b, 0); /* the cap is checked above, with a better message */
	for (;;) {
		la_ssize_t r = archive_read_data(ctl, chunk, sizeof(chunk));

		if (r < 0) {
			rc = pl_err_set(err, PL_EINVAL, "%s: control.tar: '%s': %s", what, name,
					aerr(ctl, "read error"));
			goto out;
		}
		if (r == 0)
			break;
		if ((size_t)r > max - b.len) {
			rc = pl_err_set(err, PL_ETOOBIG,
					"%s: control.tar: '%s' is larger than %zu bytes", what,
					name, max);
			goto out;
		}
		rc = pl_buf_add(&b, chunk, (size_t)r, err);
		if (rc < 0)
			goto out;
	}
	rc = pl_buf_grow(&b, 1, err); /* storage even when empty */
	if (rc < 0)
		goto out;
	m = realloc(d->members, (d->nmembers + 1) * sizeof(*m));
	if (!m) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	d->members = m;
	m = &d->members[d->nmembers];
	m->name = strdup(name);
	if (!m->name) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	m->mode = mode;
	*total += b.len;
	m->data = pl_buf_detach(&b, &m->len);
	d->nmembers++;
out:
	pl_buf_release(&b);
	return rc;
}

static int count_para(const struct pl_deb822_para *p, void *ctx, struct pl_err *err)
{
	int *n = ctx;

	if (++*n == 1 && !pl_deb822_get(p, "Package"))
		return pl_err_set(err, PL_EINVAL, "control file has no 'Package' field");
	return 0;
}

static int read_control(struct msrc *s, struct pl_deb *d, struct pl_err *err)
{
	struct archive *ctl = archive_read_new();
	struct archive_entry *e;
	size_t entries = 0, total = 0;
	int rc = 0, ar, paras = 0;

	if (!ctl)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	archive_read_support_filter_gzip(ctl);
	archive_read_support_filter_xz(ctl);
	archive_read_support_filter_zstd(ctl);
	archive_read_support_format_tar(ctl);
	if (archive_read_open(ctl, s, NULL, msrc_cb, NULL) != ARCHIVE_OK) {
		rc = pl_err_set(err, PL_EINVAL, "%s: member '%s': %s", s->what, s->member,
				aerr(ctl, "cannot open"));
		goto out;
	}
	for (;;) {
		const char *name;
		char **slot = NULL;
		size_t *lenp = NULL, max;

		ar = archive_read_next_header(ctl, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			rc = pl_err_set(err, PL_EINVAL, "%s: member '%s': %s", s->what, s->member,
					aerr(ctl, "corrupt archive"));
			goto out;
		}
		if (++entries > MAX_CONTROL_ENTRIES) {
			rc = pl_err_set(err, PL_ETOOBIG, "%s: member '%s': more than %d entries",
					s->what, s->member, MAX_CONTROL_ENTRIES);
			goto out;
		}
		name = archive_entry_pathname(e);
		if (!name)
			continue;
		if (strncmp(name, "./", 2) == 0)
			name += 2;
		/* dpkg only knows plain files at the top of control.tar */
		if (archive_entry_filetype(e) != AE_IFREG || !name[0] || strchr(name, '/') ||
		    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		max = MAX_OTHER;
		if (strcmp(name, "control") == 0) {
			slot = &d->control;
			lenp = &d->control_len;
			max = MAX_CONTROL;
		} else if (strcmp(name, "md5sums") == 0) {
			slot = &d->md5sums;
			lenp = &d->md5sums_len;
			max = MAX_MD5SUMS;
		} else if (strcmp(name, "conffiles") == 0) {
			slot = &d->conffiles;
			lenp = &d->conffiles_len;
			max = MAX_CONFFILES;
		} else if (strcmp(name, "postinst") == 0) {
			slot = &d->postinst;
			max = MAX_SCRIPT;
		} else if (strcmp(name, "preinst") == 0) {
			slot = &d->preinst;
			max = MAX_SCRIPT;
		}
		if (archive_entry_size_is_set(e) && archive_entry_size(e) > (la_int64_t)max) {
			rc = pl_err_set(err, PL_ETOOBIG,
					"%s: control.tar: '%s' is larger than %zu bytes", s->what,
					name, max);
			goto out;
		}
		rc = read_member(ctl, s->what, name, (uint32_t)archive_entry_perm(e) & 07777, max,
				 &total, d, err);
		if (rc < 0)
			goto out;
		if (slot) {
			const struct pl_deb_member *m = &d->members[d->nmembers - 1];

			if (*slot) {
				rc = pl_err_set(err, PL_EINVAL, "%s: control.tar has '%s' twice",
						s->what, name);
				goto out;
			}
			if (slot == &d->control) {
				/* control is the package's status entry, not an info file */
				*slot = m->data;
				free(m->name);
				d->nmembers--;
			} else {
				*slot = malloc(m->len + 1);
				if (!*slot) {
					rc = pl_err_set(err, PL_ENOMEM, "out of memory");
					goto out;
				}
				memcpy(*slot, m->data, m->len + 1);
			}
			if (lenp)
				*lenp = m->len;
		}
	}
	if (!d->control) {
		rc = pl_err_set(err, PL_EINVAL, "%s: member '%s' has no 'control' file", s->what,
				s->member);
		goto out;
	}
	rc = pl_deb822_parse(d->control, d->control_len, "control", count_para, &paras, err);
	if (rc == 0 && paras != 1)
		rc = pl_err_set(err, PL_EINVAL, "control: expected one paragraph, found %d", paras);
	if (rc < 0)
		pl_err_wrap(err, "%s", s->what);
out:
	archive_read_free(ctl);
	return rc;
}

struct paths {
	char **v;
	size_t n, cap;
};

static int add_path(const char *path, void *ctx, struct pl_err *err)
{
	struct paths *p = ctx;

	if (p->n + 1 >= p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		char **v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n] = strdup(path);
	if (!p->v[p->n])
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	p->v[++p->n] = NULL;
	return 0;
}

static int read_data(struct msrc *s, struct pl_fstree *t, struct pl_cas *cas, struct pl_deb *d,
		     struct pl_err *err)
{
	struct pl_layer_read_opts lo;
	struct paths p = {NULL, 0, 0};
	char *what = NULL;
	int rc;

	if (asprintf(&what, "%s: member '%s'", s->what, s->member) < 0)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	memset(&lo, 0, sizeof(lo));
	lo.what = what;
	lo.allow_devices = true;
	lo.uid = lo.gid = -1;
	lo.dpkg_paths = true;
	lo.on_path = add_path;
	lo.on_path_ctx = &p;
	rc = pl_layer_read_from(t, cas, msrc_read, s, &lo, err);
	d->paths = p.v;
	d->npaths = p.n;
	free(what);
	return rc;
}

int pl_deb_read(int fd, struct pl_fstree *t, struct pl_cas *cas, const struct pl_deb_read_opts *o,
		struct pl_deb **out, struct pl_err *err)
{
	const char *what = o && o->what ? o->what : "package";
	bool unpack = o && o->unpack;
	struct archive *ar = NULL;
	struct archive_entry *e;
	struct pl_deb *d = NULL;
	struct msrc s;
	int rc = 0, state = 0; /* 0: debian-binary, 1: control.tar, 2: data.tar, 3: done */

	*out = NULL;
	memset(&s, 0, sizeof(s));
	if (unpack && (!t || !cas))
		return pl_err_set(err, PL_EINVAL, "%s: unpacking needs a tree and a store", what);
	d = calloc(1, sizeof(*d));
	s.buf = malloc(CHUNK);
	ar = archive_read_new();
	if (!d || !s.buf || !ar) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	s.ar = ar;
	s.what = what;
	archive_read_support_format_ar(ar);
	if (archive_read_open_fd(ar, fd, CHUNK) != ARCHIVE_OK) {
		rc = pl_err_set(err, PL_EINVAL, "%s: not a .deb (ar) archive: %s", what,
				aerr(ar, "cannot open"));
		goto out;
	}
	while (state < 3) {
		const char *name;
		enum comp c;
		int hr = archive_read_next_header(ar, &e);

		if (hr == ARCHIVE_EOF) {
			rc = pl_err_set(err, PL_EINVAL, "%s: missing member '%s'", what,
					state == 0   ? "debian-binary"
					: state == 1 ? "control.tar"
						     : "data.tar");
			goto out;
		}
		if (hr < ARCHIVE_WARN) {
			rc = pl_err_set(err, PL_EINVAL, "%s: %s: %s", what,
					state == 0 ? "not a .deb (ar) archive"
						   : "corrupt ar archive",
					aerr(ar, "bad header"));
			goto out;
		}
		name = archive_entry_pathname(e);
		if (!name)
			name = "";
		s.member = name;
		s.peek_len = s.peek_off = 0;
		if (state == 0) {
			if (strcmp(name, "debian-binary") != 0) {
				rc = pl_err_set(err, PL_EINVAL,
						"%s: first member is '%.64s', not 'debian-binary'",
						what, name);
				goto out;
			}
			rc = read_debian_binary(ar, what, err);
			if (rc < 0)
				goto out;
			state = 1;
			continue;
		}
		if (name[0] == '_')
			continue; /* reserved for local additions; dpkg skips them */
		c = member_comp(name, state == 1 ? "control.tar" : "data.tar", state == 2);
		if (c == C_BAD) {
			rc = pl_err_set(err, PL_EINVAL,
					"%s: unexpected member '%.64s' where '%s' "
					"belongs",
					what, name, state == 1 ? "control.tar" : "data.tar");
			goto out;
		}
		if (state == 2 && !unpack) {
			state = 3;
			break;
		}
		rc = msrc_peek(&s, err);
		if (rc == 0)
			rc = check_magic(&s, c, err);
		if (rc < 0)
			goto out;
		if (state == 1)
			rc = read_control(&s, d, err);
		else
			rc = read_data(&s, t, cas, d, err);
		if (rc < 0)
			goto out;
		state++;
	}
	*out = d;
	d = NULL;
out:
	if (ar)
		archive_read_free(ar);
	free(s.buf);
	pl_deb_free(d);
	return rc;
}

void pl_deb_free(struct pl_deb *d)
{
	if (!d)
		return;
	free(d->control);
	free(d->md5sums);
	free(d->conffiles);
	free(d->postinst);
	free(d->preinst);
	for (size_t i = 0; i < d->nmembers; i++) {
		free(d->members[i].name);
		free(d->members[i].data);
	}
	free(d->members);
	for (size_t i = 0; i < d->npaths; i++)
		free(d->paths[i]);
	free(d->paths);
	free(d);
}
