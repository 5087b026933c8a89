/* Secrets the CLI asks for: passphrases from a file, the environment or the terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "util/buf.h"
#include "util/fsutil.h"

char *cli_read_secret(FILE *in, FILE *out, const char *prompt)
{
	struct termios old, quiet;
	bool tty = isatty(fileno(in));
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (tty) {
		fprintf(out, "%s", prompt);
		fflush(out);
		tcgetattr(fileno(in), &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(in), TCSAFLUSH, &quiet);
	}
	n = getline(&line, &cap, in);
	if (tty) {
		tcsetattr(fileno(in), TCSAFLUSH, &old);
		fprintf(out, "\n");
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
	return line;
}

/* A line typed on the terminal without echo, or NULL when there is none. */
static char *prompt(const char *what)
{
	FILE *tty = fopen("/dev/tty", "r+");
	char *line;

	if (!tty)
		return NULL;
	line = cli_read_secret(tty, tty, what);
	fclose(tty);
	return line;
}

/*
 * The passphrase: --password-file (first line), else $PLINTH_PASSWORD, else
 * a prompt on the terminal (twice when confirm). NULL with *none when there
 * is no way to ask.
 */
char *cli_passphrase(const char *file, bool confirm, bool *none)
{
	const char *env = getenv("PLINTH_PASSWORD");
	char *p = NULL, *again;

	*none = false;
	if (file) {
		struct pl_buf b = PL_BUF_INIT;
		struct pl_err err = PL_ERR_INIT;

		if (pl_read_file(file, 4096, &b, &err) < 0) {
			fprintf(stderr, "plinth: %s\n", err.msg);
			return NULL;
		}
		b.len = strcspn(b.data ? b.data : "", "\r\n");
		p = strndup(b.data ? b.data : "", b.len);
		if (b.data)
			OPENSSL_cleanse(b.data, b.cap ? b.cap : b.len);
		pl_buf_release(&b);
		return p;
	}
	if (env)
		return strdup(env);
	p = prompt(confirm ? "Passphrase for the new key: " : "Passphrase: ");
	if (!p) {
		*none = true;
		return NULL;
	}
	if (confirm) {
		again = prompt("Again: ");
		if (!again || strcmp(p, again)) {
			fprintf(stderr, "plinth: the passphrases differ\n");
			OPENSSL_cleanse(p, strlen(p));
			free(p);
			p = NULL;
		}
		if (again) {
			OPENSSL_cleanse(again, strlen(again));
			free(again);
		}
	}
	return p;
}

void cli_wipe(char *p)
{
	if (p) {
		OPENSSL_cleanse(p, strlen(p));
		free(p);
	}
}

