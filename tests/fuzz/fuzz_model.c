/* fuzz_model.c - libFuzzer harness of the model loader (fp_model_parse): no
 * crash, leak or undefined behaviour; a refusal is one line naming the file;
 * an accepted model with few layers is planned and its plan round-trips. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_text(data, size);
    if (!text) return 0;
    char err[1024] = "";
    fp_model m;
    fp_status st = fp_model_parse("fuzz_model.json", text, size, &m, err, sizeof err);
    if (st != FP_OK) {
        fuzz_check_message("fuzz_model.json", err);
    } else {
        /* plan it on one shipped spec: what the loader accepts, the planner
         * can plan and the plan reader reads back */
        const fuzz_shipped *s = fuzz_shipped_files();
        if (m.n_layers <= 64 && s->n_gpus > 0) {
            fp_plan_options o = fp_plan_default_options();
            fp_plan p;
            if (fp_plan_build(&m, &s->gpus[0], &o, &p, err, sizeof err) == FP_OK) {
                fuzz_plan_round_trip(&p, &m, &s->gpus[0]);
                fp_plan_free(&p);
            }
        }
        fp_model_free(&m);
    }
    free(text);
    return 0;
}
