// CUDA libraries loaded at first use: the driver API (libcuda.so.1) and NVRTC, through dlopen
#ifndef TG_CUDA_API_H
#define TG_CUDA_API_H
#include <stdbool.h>
#include <stddef.h>

/* No CUDA header or library is needed to build: the few types and entry points used are declared here
 * (ABI-compatible with cuda.h / nvrtc.h) and resolved with dlsym. The library runs where CUDA is absent;
 * asking for the CUDA device there fails with a one-line error. */
typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct CUevent_st *CUevent;
typedef struct CUgraph_st *CUgraph;
typedef struct CUgraphNode_st *CUgraphNode;
typedef struct CUgraphExec_st *CUgraphExec;
// CUDA_KERNEL_NODE_PARAMS_v2 (what cuGraphAddKernelNode_v2 and cuGraphExecKernelNodeSetParams_v2 take)
typedef struct CuKernelNodeParams {
  CUfunction func;
  unsigned grid[3], block[3], shared_bytes;
  void **params, **extra;
  void *kern;                 // CUkernel (unused: func is set)
  CUcontext ctx;
} CuKernelNodeParams;

enum {
  CU_ATTR_MAX_THREADS_PER_BLOCK = 1, CU_ATTR_MAX_SHARED_PER_BLOCK = 8, CU_ATTR_SM_COUNT = 16,
  CU_ATTR_CC_MAJOR = 75, CU_ATTR_CC_MINOR = 76,
  CU_STREAM_NON_BLOCKING_ = 1, CU_EVENT_DISABLE_TIMING_ = 2,
};

typedef struct CudaApi {
  CUresult (*Init)(unsigned flags);
  CUresult (*DriverGetVersion)(int *v);
  CUresult (*DeviceGetCount)(int *n);
  CUresult (*DeviceGet)(CUdevice *d, int ordinal);
  CUresult (*DeviceGetName)(char *name, int len, CUdevice d);
  CUresult (*DeviceGetAttribute)(int *v, int attr, CUdevice d);
  CUresult (*DevicePrimaryCtxRetain)(CUcontext *c, CUdevice d);
  CUresult (*CtxSetCurrent)(CUcontext c);
  CUresult (*StreamCreate)(CUstream *s, unsigned flags);
  CUresult (*StreamSynchronize)(CUstream s);
  CUresult (*StreamWaitEvent)(CUstream s, CUevent e, unsigned flags);
  CUresult (*MemAlloc)(CUdeviceptr *p, size_t n);
  CUresult (*MemFree)(CUdeviceptr p);
  CUresult (*MemGetInfo)(size_t *free_b, size_t *total_b);
  CUresult (*MemHostAlloc)(void **p, size_t n, unsigned flags);
  CUresult (*MemFreeHost)(void *p);
  CUresult (*MemcpyHtoDAsync)(CUdeviceptr dst, const void *src, size_t n, CUstream s);
  CUresult (*MemcpyDtoHAsync)(void *dst, CUdeviceptr src, size_t n, CUstream s);
  CUresult (*MemcpyDtoDAsync)(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s);
  CUresult (*MemcpyPeerAsync)(CUdeviceptr dst, CUcontext dst_ctx, CUdeviceptr src, CUcontext src_ctx, size_t n, CUstream s);
  CUresult (*ModuleLoadData)(CUmodule *m, const void *image);
  CUresult (*ModuleUnload)(CUmodule m);
  CUresult (*ModuleGetFunction)(CUfunction *f, CUmodule m, const char *name);
  CUresult (*LaunchKernel)(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                           unsigned smem, CUstream s, void **params, void **extra);
  CUresult (*EventCreate)(CUevent *e, unsigned flags);
  CUresult (*EventRecord)(CUevent e, CUstream s);
  CUresult (*EventSynchronize)(CUevent e);
  CUresult (*EventQuery)(CUevent e);
  CUresult (*EventElapsedTime)(float *ms, CUevent a, CUevent b);
  CUresult (*EventDestroy)(CUevent e);
  CUresult (*GetErrorString)(CUresult r, const char **s);
  CUresult (*GraphCreate)(CUgraph *g, unsigned flags);
  CUresult (*GraphAddKernelNode)(CUgraphNode *n, CUgraph g, const CUgraphNode *deps, size_t ndeps, const CuKernelNodeParams *p);
  CUresult (*GraphInstantiate)(CUgraphExec *e, CUgraph g, unsigned long long flags);
  CUresult (*GraphExecKernelNodeSetParams)(CUgraphExec e, CUgraphNode n, const CuKernelNodeParams *p);
  CUresult (*GraphLaunch)(CUgraphExec e, CUstream s);
  CUresult (*GraphExecDestroy)(CUgraphExec e);
  CUresult (*GraphDestroy)(CUgraph g);
} CudaApi;

typedef struct NvrtcProgram_ *NvrtcProgram;
typedef struct NvrtcApi {
  int (*Version)(int *major, int *minor);
  int (*CreateProgram)(NvrtcProgram *p, const char *src, const char *name, int nheaders, const char *const *headers,
                       const char *const *include_names);
  int (*DestroyProgram)(NvrtcProgram *p);
  int (*CompileProgram)(NvrtcProgram p, int nopts, const char *const *opts);
  int (*GetProgramLogSize)(NvrtcProgram p, size_t *n);
  int (*GetProgramLog)(NvrtcProgram p, char *log);
  int (*GetCUBINSize)(NvrtcProgram p, size_t *n);
  int (*GetCUBIN)(NvrtcProgram p, char *cubin);
  const char *(*GetErrorString)(int r);
} NvrtcApi;

// The driver API, loaded and cuInit'ed once; NULL with tg_set_error when there is no driver or no GPU.
const CudaApi *cu_api(void);
// NVRTC, loaded once (NVRTC_PATH, else libnvrtc.so[.13|.12], else /usr/local/cuda/lib64); NULL with tg_set_error.
const NvrtcApi *nvrtc_api(void);
bool nvrtc_available(void);               // nvrtc_api() would succeed (sets no error)
// 0 when r is CUDA_SUCCESS, else -1 with tg_set_error("CUDA <what> failed: <error string>").
int cu_check(CUresult r, const char *what);

/* Compiles CUDA C++ with NVRTC for arch (e.g. "sm_90") into a cubin (malloc'd, *n bytes): 0, or -1 with
 * tg_set_error holding the first error line of the compiler log. The options are fixed (nvrtc_options()):
 * they and NVRTC's version belong in any cache key. */
int nvrtc_compile(const char *src, const char *name, const char *arch, char **cubin, size_t *n);
const char *nvrtc_options(void);          // the fixed options, one string (for cache keys and logs)
const char *nvrtc_version_str(void);      // "13.0", or "" when NVRTC is absent
#endif
