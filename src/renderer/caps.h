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
} RendererCaps;

// The GPU dialects' figures (CUDA: 1024 threads a block, 48 KiB of static shared memory).
static inline RendererCaps caps_gpu(void) {
  return (RendererCaps){ .has_transcendental = true, .max_upcast = 1, .has_local = true, .local_max = 1024, .shared_max = 48 * 1024 };
}
#endif
