/*
 * driver.h: the command line (contract section 2).
 *
 * driver_main parses the arguments, chooses the entries inference
 * specialises (the exports, `myc run`'s FUNC, the --grad= gradients) and
 * what to do with the result (print a stage's IR, write an object, run
 * FUNC), and runs the pipeline (src/pipeline.h) to get there.
 */
#ifndef MYC_DRIVER_H
#define MYC_DRIVER_H

/* Runs myc with these arguments; returns the process exit status:
   0 success, 1 errors in the source, 2 bad usage, 3 runtime error (run). */
int driver_main(int argc, char **argv);

#endif
