// CPU device: C kernels compiled by the system compiler, cached on disk, run on the thread pool
#ifndef TG_CPU_H
#define TG_CPU_H
#include <stdint.h>

/* Compile statistics since start (or the last rt_cpu_stats_reset), for benchmarks and tests.
 * A "cold" compile ran the C compiler; a "hit" loaded a cached shared object from disk.
 * Times cover render + compile/load + dlopen. */
typedef struct RtCpuStats {
  int64_t cold, hits, rebuilt;       // rebuilt: corrupt or unloadable cache entries replaced
  double cold_s, hit_s;              // total seconds
} RtCpuStats;
RtCpuStats rt_cpu_stats(void);
void       rt_cpu_stats_reset(void);
// Where compiled kernels are cached: CACHE_DIR, else $XDG_CACHE_HOME/tinygrad.c, else ~/.cache/tinygrad.c.
// NULL when CACHELEVEL=0. The string is malloc'd.
char      *rt_cpu_cache_dir(void);
int        rt_cpu_mkdirs(const char *path);   // mkdir -p: 0, or -1 with errno
#endif
