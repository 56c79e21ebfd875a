/* main.c - the fuseplan command line. Only this file exits; everything below
 * returns statuses. Exit codes: 0 ok, 1 runtime failure, 2 bad input/usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} COMMANDS[] = {
    {"plan", cmd_plan, "choose fusions and tiles for a model on a GPU; write the plan"},
    {"estimate", cmd_estimate, "cost-model estimates of every layer and fusable chain"},
#ifdef FUSEPLAN_HAVE_CUDA
    {"run", cmd_run, "execute a plan on the GPU, check it against cuDNN, report speedups"},
    {"probe", cmd_probe, "measure the local GPU into a GPU spec (table; -o writes the JSON)"},
    {"validate", cmd_validate, "cost model vs hardware counters and timings; --calibrate fits it"},
#endif
    {"show", cmd_show, "print a model's layers, shapes, parameters, MACs and minimum bytes"},
    {"check", cmd_check, "validate model and GPU-spec files"},
    {"models", cmd_models, "list the shipped models"},
    {"gpus", cmd_gpus, "list the shipped GPU specs"},
};
#define N_COMMANDS (int)(sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *f) {
    fprintf(f, "usage: fuseplan [--help] [--version] COMMAND [ARGS]\n\n"
               "Plans the fusion of depthwise and pointwise convolutions on NVIDIA GPUs.\n\n"
               "commands:\n");
    for (int i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-9s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "\n`fuseplan COMMAND --help` describes a command. MODEL and SPEC arguments are\n"
               "file paths or the names of shipped files (`fuseplan models`, `fuseplan gpus`).\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("fuseplan %s\n", FUSEPLAN_VERSION);
        return 0;
    }
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0) return COMMANDS[i].run(argc - 1, argv + 1);
#ifndef FUSEPLAN_HAVE_CUDA
    if (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "probe") == 0 ||
        strcmp(argv[1], "validate") == 0) {
        fprintf(stderr, "fuseplan %s: this fuseplan was built without the CUDA backend (no nvcc "
                        "found, or -Dcuda=disabled); rebuild with the CUDA toolkit\n", argv[1]);
        return 1;
    }
#endif
    fprintf(stderr, "fuseplan: unknown command \"%s\" (see fuseplan --help)\n", argv[1]);
    return 2;
}
