// Monotonic timer
#ifndef TG_TIMER_H
#define TG_TIMER_H
#include <stdint.h>
uint64_t time_ns(void);    // CLOCK_MONOTONIC nanoseconds
double   time_s(void);     // the same, in seconds
#endif
