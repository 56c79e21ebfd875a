/* main.c - the fuseplan command line. Only this file exits; everything below
 * returns statuses. Exit codes: 0 ok, 1 runtime failure, 2 bad input/usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const tool_command *const COMMANDS[] = {
    &tool_cmd_plan,
    &tool_cmd_estimate,
#ifdef FUSEPLAN_HAVE_CUDA
    &tool_cmd_run,
    &tool_cmd_probe,
#endif
    &tool_cmd_validate, /* without CUDA it re-analyses measured reports (--from) */
    &tool_cmd_show,
    &tool_cmd_check,
    &tool_cmd_models,
    &tool_cmd_gpus,
    &tool_cmd_import,
    &tool_cmd_report,
};
#define N_COMMANDS (int)(sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *f) {
    fprintf(f, "usage: fuseplan [--help] [--version] COMMAND [ARGS]\n\n"
               "Plans the fusion of depthwise and pointwise convolutions on NVIDIA GPUs.\n\n"
               "commands:\n");
    for (int i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-9s %s\n", COMMANDS[i]->name, COMMANDS[i]->summary);
    fprintf(f, "\n`fuseplan COMMAND --help` describes a command. MODEL and SPEC arguments are\n"
               "file paths or the names of shipped files (`fuseplan models`, `fuseplan gpus`).\n");
}

int main(int argc, char **argv) {
    tool_guard_std_fds();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return tool_finish_stdout("", 0);
    }
    if (strcmp(argv[1], "--version") == 0) {
        tool_version(stdout);
        return tool_finish_stdout("", 0);
    }
    for (int i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[1], COMMANDS[i]->name) != 0) continue;
        tool_options o;
        int rc = tool_parse(COMMANDS[i], argc - 1, argv + 1, &o);
        if (rc < 0) rc = COMMANDS[i]->run(&o);
        /* every table and line went to stdout: a failed write is a failure */
        return tool_finish_stdout(COMMANDS[i]->name, rc);
    }
#ifndef FUSEPLAN_HAVE_CUDA
    if (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "probe") == 0) {
        fprintf(stderr, "fuseplan %s: this fuseplan was built without the CUDA backend (no nvcc "
                        "found, or -Dcuda=disabled); rebuild with the CUDA toolkit\n", argv[1]);
        return 1;
    }
#endif
    fprintf(stderr, "fuseplan: unknown command \"%s\" (see fuseplan --help)\n", argv[1]);
    return 2;
}
