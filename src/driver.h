/*
 * driver.h: the command line and the pipeline.
 *
 * The whole pass order is run_pipeline() in driver.c:
 *   parse -> lower -> infer -> (grad, opt, closure, codegen: later issues)
 * and --dump-ir=STAGE stops after the stage it names.
 */
#ifndef MYC_DRIVER_H
#define MYC_DRIVER_H

/* Runs myc with these arguments; returns the process exit status:
   0 success, 1 errors in the source, 2 bad usage, 3 runtime error (run). */
int driver_main(int argc, char **argv);

#endif
