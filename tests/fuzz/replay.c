/*
 * Corpus replay for the fuzz targets without libFuzzer: `make check` runs
 * every file under tests/fuzz/corpus/<target>/ through the target once, so
 * past crashes stay fixed. With libFuzzer (make fuzz) this file is unused.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/fsutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	int n = 0;

	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *de;

		if (!d) {
			fprintf(stderr, "replay: no corpus at '%s'\n", argv[i]);
			return 1;
		}
		while ((de = readdir(d)) != NULL) {
			struct pl_buf b = PL_BUF_INIT;
			char *p;

			if (de->d_name[0] == '.')
				continue;
			if (asprintf(&p, "%s/%s", argv[i], de->d_name) < 0)
				return 1;
			if (pl_read_file(p, 0, &b, NULL) < 0) {
				fprintf(stderr, "replay: cannot read '%s'\n", p);
				return 1;
			}
			LLVMFuzzerTestOneInput((const uint8_t *)(b.data ? b.data : ""), b.len);
			pl_buf_release(&b);
			free(p);
			n++;
		}
		closedir(d);
	}
	printf("replayed %d inputs\n", n);
	return 0;
}
