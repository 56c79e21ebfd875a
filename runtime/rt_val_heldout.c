/* rt_val_heldout.c - the calibration judged on kernels it was not fitted on
 * (rt_val_heldout_run; docs/validation.md §1, "Held out"). Plain C.
 *
 * The calibration has up to 23-25 free constants per GPU (launch, L2
 * budget, fusion margin, two efficiencies per (kind, math)); judged on the kernels
 * it was fitted to, its time error says how well it can fit, not how well
 * it predicts. Each split here fits on some cases (the whole procedure: L2
 * budget, launch and efficiencies, fusion margin) and judges on others:
 *   - leave one model out: per fitted model, fit on every other model's
 *     cases, judge that model's; pooled over the folds;
 *   - never fitted: the --holdout-models cases, judged with a fit on all
 *     the others (they are in no fit of any split);
 *   - cross batch: fit on the smallest batch, judge the largest, and back;
 *   - the same splits with the two-parameter baseline (cm_calibrate_uniform).
 * The fusion decisions held out are the test cases' under the fold's fit
 * and margin; the "majority" decider answers from the training cases'
 * measured outcomes only. */
#include "rt_validate.h"

#include <stdlib.h>
#include <string.h>

#include "fk_util.h"
#include "rt_val_internal.h"

/* Fits on train, applies to the test cases and pools them into each of the
 * accumulators given (NULL ones skipped). */
static fk_status fold(rt_val_case *const *cases, int n, const bool *train, const bool *test, bool counters,
                      bool uniform, rt_val_acc *a, rt_val_acc *b, char *err, size_t err_len) {
    rt_val_params p;
    fk_status st = rt_val_fit(cases, n, train, counters, uniform, &p, err, err_len);
    if (st != FK_OK) return st;
    /* the majority decider of a held-out figure knows the training cases
     * only; in-sample (train NULL) it is tallied from the judged cases */
    rt_val_majority maj;
    rt_val_majority_of(cases, n, train, RT_VAL_REFIT, &maj);
    const rt_val_majority *mp = train ? &maj : NULL;
    for (int i = 0; i < n; i++) {
        if (!test[i]) continue;
        rt_val_apply(cases[i], &p);
        if (a) rt_val_acc_add(a, cases[i], RT_VAL_REFIT, counters, mp);
        if (b) rt_val_acc_add(b, cases[i], RT_VAL_REFIT, counters, mp);
    }
    return FK_OK;
}

static bool is_holdout(const char *name, const char *const *holdout, int n_holdout) {
    for (int i = 0; i < n_holdout; i++)
        if (strcmp(name, holdout[i]) == 0) return true;
    return false;
}

enum { ACC_IN, ACC_LOMO, ACC_NEVER, ACC_POOLED, ACC_CROSS0, ACC_CROSS1, ACC_UNI_IN, ACC_UNI_POOLED, N_ACC };

fk_status rt_val_heldout_run(rt_val_case *const *cases, int n, bool counters, const char *const *holdout,
                             int n_holdout, rt_val_heldout *out, char *err, size_t err_len) {
    memset(out, 0, sizeof *out);
    if (n < 1) return fk_fail(FK_ERR_INVALID, err, err_len, "held out: no case");
    bool *hold = calloc((size_t)n, sizeof *hold), *train = calloc((size_t)n, sizeof *train),
         *test = calloc((size_t)n, sizeof *test);
    const char **models = calloc((size_t)n, sizeof *models);
    rt_val_acc acc[N_ACC];
    for (int i = 0; i < N_ACC; i++) rt_val_acc_init(&acc[i]);
    fk_status st = FK_OK;
    if (!hold || !train || !test || !models) st = fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");

    /* the fitted models (distinct names outside the holdout list) */
    int n_models = 0, n_fitted_cases = 0, n_hold_cases = 0;
    int b_lo = 0, b_hi = 0;
    for (int i = 0; i < n && st == FK_OK; i++) {
        hold[i] = is_holdout(cases[i]->m.name, holdout, n_holdout);
        if (hold[i]) {
            n_hold_cases++;
            continue;
        }
        n_fitted_cases++;
        const int b = cases[i]->p.opt.batch;
        if (!b_lo || b < b_lo) b_lo = b;
        if (b > b_hi) b_hi = b;
        int k = 0;
        while (k < n_models && strcmp(models[k], cases[i]->m.name) != 0) k++;
        if (k == n_models) models[n_models++] = cases[i]->m.name;
    }
    if (st == FK_OK && n_fitted_cases == 0)
        st = fk_fail(FK_ERR_INVALID, err, err_len,
                     "held out: every case's model is in --holdout-models: nothing left to fit on");
    out->cases_fitted = n_fitted_cases;
    out->never_cases = n_hold_cases;

    /* in-sample: fit on every case (the spec --calibrate writes), judged on all */
    if (st == FK_OK) {
        for (int i = 0; i < n; i++) test[i] = true;
        st = fold(cases, n, NULL, test, counters, false, &acc[ACC_IN], NULL, err, err_len);
    }
    if (st == FK_OK) st = fold(cases, n, NULL, test, counters, true, &acc[ACC_UNI_IN], NULL, err, err_len);

    /* leave one model out, over the fitted models */
    if (st == FK_OK && n_models >= 2) {
        out->lomo_folds = n_models;
        for (int k = 0; k < n_models && st == FK_OK; k++) {
            for (int i = 0; i < n; i++) {
                const bool mine = strcmp(cases[i]->m.name, models[k]) == 0;
                train[i] = !hold[i] && !mine;
                test[i] = mine;
            }
            st = fold(cases, n, train, test, counters, false, &acc[ACC_LOMO], &acc[ACC_POOLED], err, err_len);
            if (st == FK_OK)
                st = fold(cases, n, train, test, counters, true, &acc[ACC_UNI_POOLED], NULL, err, err_len);
        }
    }
    /* never fitted: the holdout models, with a fit on all the others */
    if (st == FK_OK && n_hold_cases > 0) {
        for (int i = 0; i < n; i++) {
            train[i] = !hold[i];
            test[i] = hold[i];
        }
        st = fold(cases, n, train, test, counters, false, &acc[ACC_NEVER], &acc[ACC_POOLED], err, err_len);
        if (st == FK_OK) st = fold(cases, n, train, test, counters, true, &acc[ACC_UNI_POOLED], NULL, err, err_len);
    }
    /* cross batch over the fitted models: lo -> hi, then hi -> lo */
    if (st == FK_OK && b_lo != b_hi) {
        out->cross_batch[0] = b_lo;
        out->cross_batch[1] = b_hi;
        for (int dir = 0; dir < 2 && st == FK_OK; dir++) {
            const int from = dir ? b_hi : b_lo, to = dir ? b_lo : b_hi;
            for (int i = 0; i < n; i++) {
                train[i] = !hold[i] && cases[i]->p.opt.batch == from;
                test[i] = !hold[i] && cases[i]->p.opt.batch == to;
            }
            st = fold(cases, n, train, test, counters, false, &acc[ACC_CROSS0 + dir], NULL, err, err_len);
        }
    }
    rt_val_figs *dst[N_ACC] = {&out->in_sample, &out->lomo,     &out->never,           &out->pooled,
                               &out->cross[0],  &out->cross[1], &out->uniform_in_sample, &out->uniform_pooled};
    for (int i = 0; i < N_ACC && st == FK_OK; i++) st = rt_val_acc_finish(&acc[i], dst[i], err, err_len);
    for (int i = 0; i < N_ACC; i++) rt_val_acc_free(&acc[i]);
    free(hold);
    free(train);
    free(test);
    free(models);
    return st;
}
