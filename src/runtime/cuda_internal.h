// Shared between the CUDA device (cuda.c) and its graphs (cuda_graph.c)
#ifndef TG_CUDA_INTERNAL_H
#define TG_CUDA_INTERNAL_H
#include "runtime/cuda_api.h"
#include "runtime/device.h"

enum { CUDA_MAX_ARGS = 256 };
typedef struct CudaLaunch {
  void *ptrs[CUDA_MAX_ARGS];
  long long vals[CUDA_MAX_ARGS];
  void *args[CUDA_MAX_ARGS];      // args[i] points at argument i's value (ptrs[] or vals[])
  unsigned grid[3], block[3];
} CudaLaunch;

// Arguments and launch shape of p with these device pointers and variable values; 0 or -1 with tg_set_error.
int cuda_launch_args(Device *d, Program *p, void **ptrs, const int64_t *vars, CudaLaunch *l);
const CudaApi *cuda_enter(Device *d);     // d's context made current (NULL + error without a driver)
CUstream cuda_stream(Device *d);
void cuda_graph_init(Device *d);          // fills d's graph entries
#endif
