/* fp_data.h - opening models and GPU specs by path or by shipped name.
 *
 * An argument names a file when one exists at that path; otherwise a shipped
 * (embedded) file whose stem matches ("mobilenet_v2", "h100_sxm") or whose
 * source-tree path matches ("models/mobilenet_v2.json"). The embedded text is
 * byte-identical to the file, so hashes agree either way. */
#ifndef FUSEPLAN_FP_DATA_H
#define FUSEPLAN_FP_DATA_H

#include "fp_gpu.h"
#include "fp_model.h"

fp_status fp_open_model(const char *arg, fp_model *m, char *err, size_t err_len);
fp_status fp_open_gpu(const char *arg, fp_gpu_spec *g, char *err, size_t err_len);

/* Iterates the shipped files of one folder ("models" or "gpu_specs"): returns
 * the i-th one's source-tree path, or NULL past the end. */
const char *fp_shipped(const char *folder, int i, const char **text, size_t *len);

#endif
