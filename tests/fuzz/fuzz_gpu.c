/* fuzz_gpu.c - libFuzzer harness of the GPU-spec loader (fp_gpu_parse): no
 * crash or undefined behaviour; a refusal is one line naming the file; an
 * accepted spec written back (fp_gpu_to_json) loads again with the same
 * values, and plans the small models (fuzz_models.h). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_text(data, size);
    if (!text) return 0;
    char err[1024] = "";
    fp_gpu_spec g;
    fp_status st = fp_gpu_parse("fuzz_gpu.json", text, size, &g, err, sizeof err);
    if (st != FP_OK) {
        fuzz_check_message("fuzz_gpu.json", err);
    } else {
        char *back = fp_gpu_to_json(&g);
        FUZZ_REQUIRE(back != NULL, "fp_gpu_to_json");
        fp_gpu_spec g2;
        st = fp_gpu_parse("back.json", back, strlen(back), &g2, err, sizeof err);
        FUZZ_REQUIRE(st == FP_OK, "a written spec does not load: %s", err);
        FUZZ_REQUIRE(memcmp(g.values, g2.values, sizeof g.values) == 0, "values changed");
        free(back);
        const fuzz_shipped *s = fuzz_shipped_files();
        for (int i = 0; i < s->n_small; i++) {
            fp_plan_options o = fp_plan_default_options();
            fp_plan p;
            if (fp_plan_build(&s->small[i], &g, &o, &p, err, sizeof err) == FP_OK) {
                fuzz_plan_round_trip(&p, &s->small[i], &g);
                fp_plan_free(&p);
            }
        }
    }
    free(text);
    return 0;
}
