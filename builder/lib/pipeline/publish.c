/* Publishing built images to a registry: every tag, the manifest last. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pipeline.h"
#include "util/buf.h"
#include "util/log.h"

int pl_publish(const struct pl_source_opts *so, const char *out_dir, const char *push_to,
	       struct pl_built_image *img, struct pl_err *err)
{
	struct pl_copy_opts co = { .progress = true, .all_platforms = true };
	size_t n = strlen(push_to);
	int rc = 0;

	if (so->reg)
		co.reg = *so->reg;
	co.cache_dir = so->cache_dir;
	while (n > 0 && push_to[n - 1] == '/')
		n--;
	for (size_t i = 0; rc == 0 && i < img->refs.n; i++) {
		struct pl_buf src = PL_BUF_INIT, dst = PL_BUF_INIT;
		struct pl_copy_result res;

		rc = pl_buf_addf(&src, err, "oci:%s:%s", out_dir, img->refs.v[i]);
		if (rc == 0)
			rc = pl_buf_addf(&dst, err, "%.*s/%s", (int)n, push_to, img->refs.v[i]);
		if (rc == 0)
			rc = pl_copy(src.data, dst.data, &co, &res, err);
		if (rc == 0) {
			img->bytes_sent += res.stats.bytes_sent;
			pl_log_info("published %s (%s)", dst.data, res.digest);
			rc = pl_oci_strv_push(&img->published, dst.data, err);
			pl_copy_result_release(&res);
		}
		pl_buf_release(&src);
		pl_buf_release(&dst);
	}
	if (rc < 0)
		pl_err_wrap(err, "publish '%s'", img->name);
	return rc;
}
