/* tool_opts.h - internal: the one option table and parser of the fuseplan
 * commands (curl's tool_getparam is the model): every option is a row with
 * its name, value kind (flag, integer with range, batch list, dtype, string,
 * output file), help text and the commands that take it; argv is parsed into
 * one tool_options struct, and `fuseplan CMD --help` is generated from the
 * rows. Usage errors read "fuseplan CMD: --batch: "x" is not an integer in
 * 1..65536 (see fuseplan CMD --help)" and exit 2. */
#ifndef FUSEPLAN_TOOL_OPTS_H
#define FUSEPLAN_TOOL_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "costmodel.h"
#include "fp_plan.h"

/* The commands, as bits of a row's command set. */
enum {
    TOOL_PLAN = 1u << 0,
    TOOL_ESTIMATE = 1u << 1,
    TOOL_SHOW = 1u << 2,
    TOOL_CHECK = 1u << 3,
    TOOL_MODELS = 1u << 4,
    TOOL_GPUS = 1u << 5,
    TOOL_RUN = 1u << 6,
    TOOL_PROBE = 1u << 7,
    TOOL_VALIDATE = 1u << 8,
    TOOL_REPORT = 1u << 9,
    TOOL_IMPORT = 1u << 10,
};

/* Most positional arguments (check FILE...) and batch sizes (validate --batch). */
#define TOOL_MAX_POS 256
#define TOOL_MAX_BATCHES 8

/* Everything a command line can say; each command reads its own members. */
typedef struct tool_options {
    const char *cmd;                /* the command's name, for messages */
    const char *pos[TOOL_MAX_POS];  /* positional arguments, in order */
    int n_pos;
    const char *gpu;                /* --gpu, NULL when not given */
    int batch;                      /* --batch N (default 1) */
    bool batch_set;
    int batches[TOOL_MAX_BATCHES];  /* validate --batch N[,N...] (default 1) */
    int n_batches;
    cm_dtype dtype;                 /* --dtype (default fp32) */
    bool dtype_set;
    bool math_set;                  /* --math given (else fp16/bf16 plans use tc, fp32 simt) */
    bool math_tf32;                 /* --math tf32 (fp32 only) */
    fp_plan_options plan;           /* --objective, --no-fuse, --allow, --tile; batch, dtype copied */
    const char *out;                /* -o FILE */
    const char *layers;             /* estimate --layers */
    const char *report;             /* --report FILE */
    const char *save_plan;          /* run --save-plan FILE */
    const char *input;              /* run --input FILE: float32 NCHW input tensor (NULL: random) */
    const char *output;             /* run --output FILE: the model's first output, float32 */
    const char *id;                 /* probe --id */
    int iters, tune, tiles;
    bool measuring_set;             /* validate --iters or --tiles given: they measure (not with --from) */
    bool no_counters, calibrate;
    bool no_energy;                 /* run --no-energy: no NVML energy windows */
    bool quiet;                     /* run, validate: no progress line */
    const char *from;               /* validate --from REPORT: re-analyse measured reports */
    const char *summary;            /* validate --summary FILE: the headline figures */
    const char *holdout_models;     /* validate --holdout-models A,B (NULL: the default) */
    bool no_fuse_set, allow_set;    /* both given: refused */
    const char *tile_args[CM_KIND_COUNT]; /* --tile as written, resolved after --dtype/--math */
    int n_tiles;
} tool_options;

/* A command: its name, positional arguments and help, and what runs it. */
typedef struct tool_command {
    const char *name;
    unsigned bit;               /* TOOL_PLAN, ... */
    const char *synopsis;       /* positional arguments, e.g. "[MODEL]" */
    int min_pos, max_pos;       /* how many positional arguments it takes */
    const char *pos_name;       /* named in "missing MODEL" */
    const char *summary;        /* one line for `fuseplan --help` */
    const char *help;           /* what it does, for `fuseplan CMD --help` */
    int (*run)(const tool_options *o); /* returns the exit code */
} tool_command;

/* Parses argv (argv[0] is the command's name) into *o, with every option's
 * default first. Returns -1 to go on, 0 after printing the help (--help,
 * -h) or the version (--version), 2 after printing a usage error. Integers
 * are plain decimal (no '+', spaces or empty entries); --tile must name a
 * compiled variant of the final --dtype and --math; --no-fuse with --allow
 * is refused. */
int tool_parse(const tool_command *c, int argc, char **argv, tool_options *o);

/* `fuseplan CMD --help`: usage, what it does, then its options from the table. */
void tool_help(const tool_command *c, FILE *f);

/* Prints "fuseplan CMD: MESSAGE (see fuseplan CMD --help)" and returns 2. */
int tool_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
