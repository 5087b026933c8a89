/*
 * Image references for the commands that read images (base import, scan,
 * patch, inspect): a registry reference is pulled into a layout in the
 * cache first, so everything downstream reads an OCI layout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pipeline.h"
#include "util/buf.h"
#include "util/log.h"

/* A ref name for a registry reference: its canonical form, with what the grammar refuses as '-'. */
static int local_name(const struct pl_ref *r, struct pl_buf *out, struct pl_err *err)
{
	int rc = pl_ref_format(r, out, err);

	for (size_t i = 0; rc == 0 && i < out->len; i++) {
		char c = out->data[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '.' || c == '_' || c == '-'))
			out->data[i] = '-';
	}
	return rc;
}

int pl_image_local(const struct pl_source_opts *so, const char *ref, char **local,
		   char digest[PL_DIGEST_SIZE], struct pl_err *err)
{
	struct pl_copy_opts co = { .progress = true, .all_platforms = true };
	struct pl_copy_result res = { 0 };
	struct pl_ref r = { 0 };
	struct pl_buf name = PL_BUF_INIT, dst = PL_BUF_INIT;
	int rc;

	*local = NULL;
	if (digest)
		digest[0] = 0;
	rc = pl_ref_parse(ref, &r, err);
	if (rc < 0)
		goto out;
	if (r.kind != PL_REF_REGISTRY) {
		*local = strdup(ref);
		rc = *local ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if (!so->cache_dir) {
		rc = pl_err_set(err, PL_EINVAL, "'%s': no cache directory to pull into", ref);
		goto out;
	}
	if (so->reg)
		co.reg = *so->reg;
	co.cache_dir = so->cache_dir;
	rc = local_name(&r, &name, err);
	if (rc == 0)
		rc = pl_buf_addf(&dst, err, "oci:%s/images:%s", so->cache_dir, name.data);
	if (rc < 0)
		goto out;
	pl_log_info("pulling %s", ref);
	rc = pl_copy(ref, dst.data, &co, &res, err);
	if (rc < 0)
		goto out;
	if (digest)
		memcpy(digest, res.digest, PL_DIGEST_SIZE);
	*local = pl_buf_detach(&dst, NULL);
out:
	pl_copy_result_release(&res);
	pl_ref_release(&r);
	pl_buf_release(&name);
	pl_buf_release(&dst);
	return rc;
}
