// CUDA libraries loaded at first use: the driver API (libcuda.so.1) and NVRTC, through dlopen
#include "runtime/cuda_api.h"
#include "base/env.h"
#include "base/error.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t load_mu = PTHREAD_MUTEX_INITIALIZER;

// Resolves names[i] (the first of its '|'-separated alternatives that exists) into fns[i].
static const char *resolve(void *lib, const char *const *names, void **fns, int n) {
  for (int i = 0; i < n; i++) {
    char alts[128];
    snprintf(alts, sizeof alts, "%s", names[i]);
    fns[i] = NULL;
    for (char *save = NULL, *s = strtok_r(alts, "|", &save); s && !fns[i]; s = strtok_r(NULL, "|", &save)) fns[i] = dlsym(lib, s);
    if (!fns[i]) return names[i];
  }
  return NULL;
}

// ---- the driver API ----
// The versioned names (_v2) are the ones cuda.h maps the plain names to; order matches CudaApi's fields.
static const char *const cu_names[] = {
  "cuInit", "cuDriverGetVersion", "cuDeviceGetCount", "cuDeviceGet", "cuDeviceGetName", "cuDeviceGetAttribute",
  "cuDevicePrimaryCtxRetain", "cuCtxSetCurrent", "cuStreamCreate", "cuStreamSynchronize", "cuStreamWaitEvent",
  "cuMemAlloc_v2", "cuMemFree_v2", "cuMemGetInfo_v2", "cuMemHostAlloc", "cuMemFreeHost", "cuMemcpyHtoDAsync_v2",
  "cuMemcpyDtoHAsync_v2", "cuMemcpyDtoDAsync_v2", "cuMemcpyPeerAsync", "cuModuleLoadData", "cuModuleUnload", "cuModuleGetFunction",
  "cuLaunchKernel", "cuEventCreate", "cuEventRecord", "cuEventSynchronize", "cuEventQuery",
  "cuEventElapsedTime_v2|cuEventElapsedTime", "cuEventDestroy_v2", "cuGetErrorString", "cuGraphCreate",
  "cuGraphAddKernelNode_v2", "cuGraphInstantiateWithFlags", "cuGraphExecKernelNodeSetParams_v2", "cuGraphLaunch",
  "cuGraphExecDestroy", "cuGraphDestroy" };
_Static_assert(sizeof(CudaApi) == sizeof cu_names / sizeof *cu_names * sizeof(void *), "cu_names matches CudaApi");

static CudaApi cu;
static bool cu_tried;
static char cu_err[512];

static void cu_load(void) {
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) { snprintf(cu_err, sizeof cu_err, "CUDA: no NVIDIA driver (cannot load libcuda.so.1: %s)", dlerror()); return; }
  const char *missing = resolve(lib, cu_names, (void **)&cu, (int)(sizeof cu_names / sizeof *cu_names));
  if (missing) { snprintf(cu_err, sizeof cu_err, "CUDA: libcuda.so.1 lacks %s (driver too old)", missing); cu.Init = NULL; return; }
  CUresult r = cu.Init(0);
  int n = 0;
  if (r == 0) r = cu.DeviceGetCount(&n);
  if (r != 0) {
    const char *s = NULL;
    cu.GetErrorString(r, &s);
    snprintf(cu_err, sizeof cu_err, "CUDA: cuInit failed: %s (error %d)", s ? s : "unknown error", r);
    cu.Init = NULL;
  } else if (n == 0) {
    snprintf(cu_err, sizeof cu_err, "CUDA: the driver found no GPU");
    cu.Init = NULL;
  }
}

const CudaApi *cu_api(void) {
  pthread_mutex_lock(&load_mu);
  if (!cu_tried) { cu_tried = true; cu_load(); }
  pthread_mutex_unlock(&load_mu);
  if (!cu.Init) { tg_set_error("%s", cu_err); return NULL; }
  return &cu;
}

int cu_check(CUresult r, const char *what) {
  if (r == 0) return 0;
  const char *s = NULL;
  if (cu.GetErrorString) cu.GetErrorString(r, &s);
  tg_set_error("CUDA %s failed: %s (error %d)", what, s ? s : "unknown error", r);
  return -1;
}

// ---- NVRTC ----
static const char *const nvrtc_names[] = {
  "nvrtcVersion", "nvrtcCreateProgram", "nvrtcDestroyProgram", "nvrtcCompileProgram", "nvrtcGetProgramLogSize",
  "nvrtcGetProgramLog", "nvrtcGetCUBINSize", "nvrtcGetCUBIN", "nvrtcGetErrorString" };
_Static_assert(sizeof(NvrtcApi) == sizeof nvrtc_names / sizeof *nvrtc_names * sizeof(void *), "nvrtc_names matches NvrtcApi");

static NvrtcApi nv;
static bool nv_tried;
static char nv_err[512], nv_version[16];

static void nv_load(void) {
  const char *env = env_str("NVRTC_PATH", NULL);
  const char *tries[] = { env, "libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "/usr/local/cuda/lib64/libnvrtc.so",
                          "/usr/local/cuda/lib/libnvrtc.so" };
  void *lib = NULL;
  for (size_t i = 0; i < sizeof tries / sizeof *tries && !lib; i++) if (tries[i]) lib = dlopen(tries[i], RTLD_NOW | RTLD_LOCAL);
  if (!lib) { snprintf(nv_err, sizeof nv_err, "CUDA: NVRTC not found (libnvrtc.so; set NVRTC_PATH)"); return; }
  const char *missing = resolve(lib, nvrtc_names, (void **)&nv, (int)(sizeof nvrtc_names / sizeof *nvrtc_names));
  if (missing) { snprintf(nv_err, sizeof nv_err, "CUDA: libnvrtc lacks %s", missing); nv.Version = NULL; return; }
  int major = 0, minor = 0;
  nv.Version(&major, &minor);
  snprintf(nv_version, sizeof nv_version, "%d.%d", major, minor);
}

const NvrtcApi *nvrtc_api(void) {
  pthread_mutex_lock(&load_mu);
  if (!nv_tried) { nv_tried = true; nv_load(); }
  pthread_mutex_unlock(&load_mu);
  if (!nv.Version) { tg_set_error("%s", nv_err); return NULL; }
  return &nv;
}

bool nvrtc_available(void) {
  pthread_mutex_lock(&load_mu);
  if (!nv_tried) { nv_tried = true; nv_load(); }
  pthread_mutex_unlock(&load_mu);
  return nv.Version != NULL;
}

const char *nvrtc_version_str(void) { return nvrtc_api() ? nv_version : ""; }

/* -default-device: the shared C prelude's helpers carry no __device__; --fmad=false: no contraction of a*b+c
 * into fma, as the CPU backend's -ffp-contract=off, so both backends round alike. */
static const char *const fixed_opts[] = { "-default-device", "--fmad=false", "-w" };
const char *nvrtc_options(void) { return "-default-device --fmad=false -w"; }

// The first line of the log that says "error" (or the first line).
static void first_error(const char *log, char *out, size_t n) {
  const char *at = strstr(log, "error");
  if (at) while (at > log && at[-1] != '\n') at--;
  else at = log;
  size_t len = strcspn(at, "\n");
  snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), at);
}

int nvrtc_compile(const char *src, const char *name, const char *arch, char **cubin, size_t *n) {
  const NvrtcApi *api = nvrtc_api();
  if (!api) return -1;
  char archopt[48];
  snprintf(archopt, sizeof archopt, "--gpu-architecture=%s", arch);
  const char *opts[8] = { archopt };
  int nopts = 1;
  for (size_t i = 0; i < sizeof fixed_opts / sizeof *fixed_opts; i++) opts[nopts++] = fixed_opts[i];
  NvrtcProgram prog = NULL;
  *cubin = NULL;
  int r = api->CreateProgram(&prog, src, name, 0, NULL, NULL);
  if (r != 0) { tg_set_error("CUDA compile of %s: nvrtcCreateProgram: %s", name, api->GetErrorString(r)); return -1; }
  int rc = -1;
  r = api->CompileProgram(prog, nopts, opts);
  if (r != 0) {
    size_t ln = 0;
    api->GetProgramLogSize(prog, &ln);
    char *log = calloc(ln + 1, 1), line[400];
    TG_ASSERT(log, "out of memory");
    api->GetProgramLog(prog, log);
    first_error(log, line, sizeof line);
    tg_set_error("CUDA compile of %s failed: %s", name, line[0] ? line : api->GetErrorString(r));
    free(log);
  } else if ((r = api->GetCUBINSize(prog, n)) != 0 || !(*cubin = malloc(*n ? *n : 1)) || (r = api->GetCUBIN(prog, *cubin)) != 0) {
    tg_set_error("CUDA compile of %s: no cubin: %s", name, api->GetErrorString(r));
    free(*cubin);
    *cubin = NULL;
  } else rc = 0;
  api->DestroyProgram(&prog);
  return rc;
}
