// Renderer capabilities: what a backend renders natively (the opts and decompositions read it)
#ifndef TG_CAPS_H
#define TG_CAPS_H
#include <stdbool.h>

typedef struct RendererCaps {
  bool has_transcendental;  // EXP2/LOG2/SIN/SQRT natively (else decomposed to polynomials)
  bool has_half;            // computes float16 natively (else stored 16-bit, computed in float32)
  int max_upcast;           // widest vector
  int vector_bytes;         // SIMD register width the VECTORIZE opt targets (0: none)
  bool has_local;           // threads of a block with shared memory and barriers (LOCAL/GROUP opts: GPU dialects)
  int local_max;            // threads a block may have
  int shared_max;           // bytes of shared memory a block may use
  bool tc;                  // tensor cores: mma.sync m16n8k16 with float16/bfloat16 inputs (sm_80 and later; TC opt)
} RendererCaps;

// The GPU dialects' figures (CUDA: 1024 threads a block, 48 KiB of static shared memory) for a GPU of compute
// capability sm (80 for "sm_80"; tensor cores from 80 on).
static inline RendererCaps caps_gpu_sm(int sm) {
  return (RendererCaps){ .has_transcendental = true, .max_upcast = 1, .has_local = true, .local_max = 1024, .shared_max = 48 * 1024,
                         .tc = sm >= 80 };
}
// The same for an arch name "sm_XY" (CUDA_ARCH, the device's); an unreadable name counts as sm_90 (the default target).
static inline RendererCaps caps_gpu_arch(const char *arch) {
  int sm = 0;
  for (const char *c = arch && arch[0] == 's' && arch[1] == 'm' && arch[2] == '_' ? arch + 3 : ""; *c >= '0' && *c <= '9'; c++) sm = sm * 10 + (*c - '0');
  return caps_gpu_sm(sm ? sm : 90);
}
static inline RendererCaps caps_gpu(void) { return caps_gpu_sm(90); }
#endif
