/*
 * timer.h: a monotonic clock for -ftime-report (CLOCK_MONOTONIC: wall
 * time that never jumps back).  No state.
 */
#ifndef MYC_TIMER_H
#define MYC_TIMER_H

/* Seconds since an arbitrary fixed point. */
double timer_now(void);

#endif
