/* tool_gpu.c - what `fuseplan run` and `fuseplan validate` share (see
 * tool_gpu.h). */
#include "tool_gpu.h"

#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fp_data.h"
#include "fp_json.h"
#include "fp_onnx.h"

int tool_prepare(const char *cmd, const tool_input *a, fp_model *m, fp_gpu_spec *g,
                   fp_plan *p) {
    char err[1024];
    const char *in = a->input ? a->input : "mobilenet_v2";
    char *text = NULL;
    size_t len = 0;
    struct stat st_in;
    bool is_stdin = strcmp(in, "-") == 0;
    fp_status st = FP_OK;
    memset(m, 0, sizeof *m);
    memset(p, 0, sizeof *p);
    /* an existing path (or -) is read once: a plan is opened from its text,
     * a read failure is the answer (named reason), and anything else is a
     * model; a name that is no file is a shipped model; an ONNX file is
     * binary and goes to the model loader directly (fp_open_model imports it) */
    const bool is_onnx = !is_stdin && fp_onnx_is_onnx_path(in);
    if (is_stdin || (!is_onnx && stat(in, &st_in) == 0)) {
        st = fpj_read_file(in, 64u << 20, &text, &len, err, sizeof err);
        if (st != FP_OK) {
            fprintf(stderr, "%s\n", err);
            return fp_status_exit_code(st);
        }
        if (fp_text_is_plan(text, len)) {
            st = fp_plan_open_text(fpj_label(in), text, len, a->gpu, m, g, p, err, sizeof err);
            free(text);
            if (st != FP_OK) {
                fprintf(stderr, "%s\n", err);
                return fp_status_exit_code(st);
            }
            if (a->batch_set || a->dtype_set || a->math_set) {
                fprintf(stderr, "fuseplan %s: --batch/--dtype/--math come from the plan %s; plan again to "
                        "change them\n", cmd, fpj_label(in));
                fp_plan_free(p);
                fp_model_free(m);
                return 2;
            }
            return 0;
        }
    }
    if (is_stdin) st = fp_model_parse(fpj_label(in), text, len, m, err, sizeof err);
    else st = fp_open_model(in, m, err, sizeof err);
    free(text);
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        return fp_status_exit_code(st);
    }
    st = fp_open_gpu(a->gpu ? a->gpu : "h100_sxm", g, err, sizeof err);
    if (st == FP_OK) {
        fp_plan_options o = fp_plan_default_options();
        o.batch = a->batch;
        o.dtype = a->dtype;
        o.math = a->math;
        st = fp_plan_build(m, g, &o, p, err, sizeof err);
    }
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        fp_model_free(m);
        return fp_status_exit_code(st);
    }
    return 0;
}

int tool_need_device(const char *cmd) {
    int ndev = 0;
    cudaError_t ce = cudaGetDeviceCount(&ndev);
    if (ce == cudaSuccess && ndev > 0) return 0;
    int driver = 0;
    /* without an NVIDIA driver the runtime answers "insufficient driver";
     * say what is missing instead */
    if (ce == cudaErrorInsufficientDriver && cudaDriverGetVersion(&driver) == cudaSuccess &&
        driver == 0)
        fprintf(stderr, "fuseplan %s: no CUDA device: no NVIDIA driver is installed (this command "
                "needs a GPU; `fuseplan plan` does not)\n", cmd);
    else if (ce == cudaErrorNoDevice || (ce == cudaSuccess && ndev == 0))
        fprintf(stderr, "fuseplan %s: no CUDA device: the driver sees no GPU\n", cmd);
    else
        fprintf(stderr, "fuseplan %s: no CUDA device: %s\n", cmd, cudaGetErrorString(ce));
    return 1;
}
