/*
 * Signature checks with gpgv, as apt runs it: a private temporary home, the
 * keyring written to a file (dearmoured when it is an .asc key), the verdict
 * read from --status-fd rather than from the exit status alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/apt.h"
#include "util/fsutil.h"

#define STATUS_MAX (1024 * 1024)

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decode every "-----BEGIN PGP PUBLIC KEY BLOCK-----" block of an armoured
 * key file into out (binary keyrings are concatenated packets, so several
 * blocks simply follow each other).
 */
static int dearmour(const char *data, size_t len, struct pl_buf *out, struct pl_err *err)
{
	size_t pos = 0;
	int blocks = 0, rc;

	while (pos < len) {
		size_t e = pos;
		while (e < len && data[e] != '\n')
			e++;
		const char *line = data + pos;
		size_t ll = e - pos;
		pos = e < len ? e + 1 : e;
		while (ll && (line[ll - 1] == '\r' || line[ll - 1] == ' '))
			ll--;
		if (ll != 36 || memcmp(line, "-----BEGIN PGP PUBLIC KEY BLOCK-----", 36) != 0)
			continue;
		/* armour headers up to the first empty line */
		int in_body = 0, done = 0;
		unsigned acc = 0;
		int nbits = 0;
		while (pos < len && !done) {
			e = pos;
			while (e < len && data[e] != '\n')
				e++;
			line = data + pos;
			ll = e - pos;
			pos = e < len ? e + 1 : e;
			while (ll && (line[ll - 1] == '\r' || line[ll - 1] == ' ' ||
				      line[ll - 1] == '\t'))
				ll--;
			if (!in_body) {
				if (ll == 0)
					in_body = 1;
				else if (!memchr(line, ':', ll)) {
					/* no armour headers at all: this line is data */
					in_body = 1;
					goto body;
				}
				continue;
			}
		body:
			if (ll >= 5 && !memcmp(line, "-----", 5)) {
				done = 1;
				break;
			}
			if (ll > 0 && line[0] == '=')
				continue; /* CRC-24 line */
			for (size_t i = 0; i < ll; i++) {
				int v;
				if (line[i] == '=')
					break;
				v = b64val((unsigned char)line[i]);
				if (v < 0)
					return pl_err_set(err, PL_EINVAL,
							  "armoured key: bad base64 character");
				acc = (acc << 6) | (unsigned)v;
				nbits += 6;
				if (nbits >= 8) {
					nbits -= 8;
					rc = pl_buf_addch(out, (char)((acc >> nbits) & 0xff), err);
					if (rc < 0)
						return rc;
				}
			}
		}
		if (!done)
			return pl_err_set(err, PL_EINVAL, "armoured key: no END line");
		blocks++;
	}
	if (!blocks)
		return pl_err_set(err, PL_EINVAL, "armoured key file holds no public key block");
	return 0;
}

static int is_armoured(const char *data, size_t len)
{
	size_t i = 0;

	while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
		i++;
	return len - i >= 14 && !memcmp(data + i, "-----BEGIN PGP", 14);
}

/* The first line of s with at most n bytes, for messages. */
static void first_words(const char *s, char *out, size_t n)
{
	size_t i = 0;

	while (*s == ' ' || *s == '\n')
		s++;
	while (s[i] && s[i] != '\n' && i + 1 < n) {
		out[i] = s[i];
		i++;
	}
	out[i] = '\0';
}

struct verdict {
	int good, validsig, badsig, weak, nopubkey, expired, revoked, nodata;
	char bad[200], missing[200], weakalg[20];
};

static const char *hash_name(int algo)
{
	switch (algo) {
	case 1:
		return "MD5";
	case 2:
		return "SHA1";
	case 3:
		return "RIPEMD160";
	default:
		return NULL;
	}
}

static void parse_status(const char *s, struct verdict *v)
{
	while (*s) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		char line[512];

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, s, n);
		line[n] = '\0';
		s += e ? (size_t)(e - s) + 1 : strlen(s);
		if (strncmp(line, "[GNUPG:] ", 9) != 0)
			continue;
		const char *kw = line + 9;
		const char *arg = strchr(kw, ' ');
		size_t kl = arg ? (size_t)(arg - kw) : strlen(kw);
		arg = arg ? arg + 1 : "";
#define IS(k) (kl == strlen(k) && !strncmp(kw, k, kl))
		if (IS("GOODSIG")) {
			v->good++;
		} else if (IS("VALIDSIG")) {
			/* fpr date ts expire ver reserved pkalgo hashalgo ... */
			const char *p = arg;
			int field = 0;
			while (*p && field < 7) {
				if (*p == ' ')
					field++;
				p++;
			}
			int algo = field == 7 ? (int)strtol(p, NULL, 10) : 0;
			if (hash_name(algo)) {
				v->weak++;
				snprintf(v->weakalg, sizeof(v->weakalg), "%s", hash_name(algo));
			} else {
				v->validsig++;
			}
		} else if (IS("BADSIG")) {
			v->badsig++;
			snprintf(v->bad, sizeof(v->bad), "%s", arg);
		} else if (IS("NO_PUBKEY") || (IS("ERRSIG") && strstr(arg, " 9 "))) {
			char key[40];
			v->nopubkey++;
			first_words(arg, key, 17);
			if (!strchr(key, ' ') && !v->missing[0])
				snprintf(v->missing, sizeof(v->missing), "%s", key);
		} else if (IS("EXPKEYSIG") || IS("EXPSIG")) {
			v->expired++;
			if (!v->bad[0])
				snprintf(v->bad, sizeof(v->bad), "%s", arg);
		} else if (IS("REVKEYSIG")) {
			v->revoked++;
			if (!v->bad[0])
				snprintf(v->bad, sizeof(v->bad), "%s", arg);
		} else if (IS("NODATA")) {
			v->nodata++;
		}
#undef IS
	}
}

/* Read both pipes to their end without blocking on either. */
static int drain(int sfd, int efd, struct pl_buf *status, struct pl_buf *errs, struct pl_err *err)
{
	struct pollfd p[2] = {{sfd, POLLIN, 0}, {efd, POLLIN, 0}};
	struct pl_buf *dst[2] = {status, errs};
	int open_ = 2;
	char buf[4096];

	while (open_ > 0) {
		int n = poll(p, 2, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return pl_err_errno(err, PL_EIO, "gpgv: poll");
		}
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			ssize_t r = read(p[i].fd, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				p[i].fd = -1;
				open_--;
				continue;
			}
			if (dst[i]->len + (size_t)r <= STATUS_MAX &&
			    pl_buf_add(dst[i], buf, (size_t)r, err) < 0)
				return err ? err->code : PL_ENOMEM;
		}
	}
	return 0;
}

int pl_apt_gpgv_verify(const char *gpgv, const void *keyring, size_t keyring_len, const char *data,
		       size_t len, const char *sig, size_t sig_len, struct pl_err *err)
{
	struct pl_buf kr = PL_BUF_INIT, status = PL_BUF_INIT, errs = PL_BUF_INIT;
	struct pl_buf dirb = PL_BUF_INIT;
	char *dir = NULL, *kpath = NULL, *dpath = NULL, *spath = NULL;
	const char *tmp = getenv("TMPDIR");
	int sp[2] = {-1, -1}, ep[2] = {-1, -1};
	pid_t pid = -1;
	int rc, wst = 0;
	struct verdict v = {0};

	if (!gpgv)
		gpgv = "gpgv";
	if (!keyring || keyring_len == 0)
		return pl_err_set(err, PL_EVERIFY, "empty keyring");
	rc = pl_buf_addf(&dirb, err, "%s/plinth-gpgv-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (rc < 0)
		goto out;
	if (!mkdtemp(dirb.data)) {
		rc = pl_err_errno(err, PL_EIO, "gpgv: temporary directory");
		goto out;
	}
	dir = pl_buf_detach(&dirb, NULL);
	if (is_armoured(keyring, keyring_len)) {
		rc = dearmour(keyring, keyring_len, &kr, err);
		if (rc < 0) {
			rc = pl_err_set(err, PL_EVERIFY, "keyring is not a usable key");
			goto out;
		}
		keyring = kr.data;
		keyring_len = kr.len;
	}
	if (asprintf(&kpath, "%s/keyring.gpg", dir) < 0 || asprintf(&dpath, "%s/data", dir) < 0 ||
	    asprintf(&spath, "%s/data.sig", dir) < 0) {
		kpath = dpath = spath = NULL;
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = pl_write_file_atomic(kpath, keyring, keyring_len, 0600, err)) < 0 ||
	    (rc = pl_write_file_atomic(dpath, data, len, 0600, err)) < 0 ||
	    (sig && (rc = pl_write_file_atomic(spath, sig, sig_len, 0600, err)) < 0))
		goto out;
	if (pipe2(sp, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		rc = pl_err_errno(err, PL_EIO, "gpgv: pipe");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = pl_err_errno(err, PL_EIO, "gpgv: fork");
		goto out;
	}
	if (pid == 0) {
		const char *argv[12];
		int i = 0, nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		/* fd 3 must be the status pipe, without close-on-exec */
		if (sp[1] == 3) {
			if (fcntl(3, F_SETFD, 0) < 0)
				_exit(127);
		} else {
			if (ep[1] == 3) {
				int moved = fcntl(3, F_DUPFD_CLOEXEC, 4);
				if (moved < 0)
					_exit(127);
				ep[1] = moved;
			}
			if (dup2(sp[1], 3) < 0)
				_exit(127);
		}
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(ep[1], 2) < 0)
			_exit(127);
		argv[i++] = gpgv;
		argv[i++] = "--homedir";
		argv[i++] = dir;
		argv[i++] = "--status-fd";
		argv[i++] = "3";
		argv[i++] = "--keyring";
		argv[i++] = kpath;
		if (sig)
			argv[i++] = spath;
		argv[i++] = dpath;
		argv[i] = NULL;
		execvp(gpgv, (char *const *)argv);
		_exit(127);
	}
	close(sp[1]);
	close(ep[1]);
	sp[1] = ep[1] = -1;
	rc = drain(sp[0], ep[0], &status, &errs, err);
	while (waitpid(pid, &wst, 0) < 0) {
		if (errno != EINTR) {
			rc = pl_err_errno(err, PL_EIO, "gpgv: wait");
			goto out;
		}
	}
	pid = -1;
	if (rc < 0)
		goto out;
	if (WIFEXITED(wst) && WEXITSTATUS(wst) == 127 && status.len == 0) {
		rc = pl_err_set(err, PL_EIO, "cannot run '%s' (is gpgv installed?)", gpgv);
		goto out;
	}
	if (status.data)
		parse_status(status.data, &v);
	if (v.badsig) {
		rc = pl_err_set(err, PL_EVERIFY, "BADSIG %s", v.bad);
	} else if (v.good && v.validsig) {
		rc = 0;
	} else if (v.weak) {
		rc = pl_err_set(err, PL_EVERIFY, "signature uses the weak digest algorithm %s",
				v.weakalg);
	} else if (v.expired || v.revoked) {
		rc = pl_err_set(err, PL_EVERIFY, "%s %s", v.revoked ? "REVKEYSIG" : "EXPKEYSIG",
				v.bad);
	} else if (v.nopubkey) {
		rc = pl_err_set(err, PL_EVERIFY,
				"NO_PUBKEY %s (the signing key is not in the keyring)", v.missing);
	} else if (v.nodata) {
		rc = pl_err_set(err, PL_EVERIFY, "no signature found (NODATA)");
	} else {
		char line[200];
		first_words(errs.data ? errs.data : "", line, sizeof(line));
		rc = pl_err_set(err, PL_EVERIFY, "gpgv %s %d%s%s",
				WIFEXITED(wst) ? "exited with status" : "killed by signal",
				WIFEXITED(wst) ? WEXITSTATUS(wst) : WTERMSIG(wst),
				line[0] ? ": " : "", line);
	}
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < 2; i++) {
		if (sp[i] >= 0)
			close(sp[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	if (dir)
		pl_rm_rf(dir, NULL);
	free(dir);
	free(kpath);
	free(dpath);
	free(spath);
	pl_buf_release(&kr);
	pl_buf_release(&status);
	pl_buf_release(&errs);
	pl_buf_release(&dirb);
	return rc;
}
