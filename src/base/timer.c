// Monotonic timer
#include "base/timer.h"
#include <time.h>

uint64_t time_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
double time_s(void) { return (double)time_ns() * 1e-9; }
