// Steady memory: over 10,000 realize calls no graph node or buffer leaks, and peak resident memory
// after the first 2,000 steps (several collection cycles) stays within 10% at the end (malloc arenas wobble by a few percent; node and buffer counts are checked exactly)
#include "testlib.h"
#include "tinygrad.h"
#include "runtime/buffer.h"
#include "uop/uop.h"
#include <stdlib.h>

static int run(int n);
#if defined(__SANITIZE_ADDRESS__)
enum { UNDER_ASAN = 1 };   // ASan quarantines freed memory: resident size says nothing there
#else
enum { UNDER_ASAN = 0 };
#endif
int main(void) { return run((int)env_or("MEM_STEPS", UNDER_ASAN ? 3000 : 10000)); }

static int run(int n) {
  float host[256], out[256];
  for (int i = 0; i < 256; i++) host[i] = (float)i;
  tg_tensor *w = tg_keep(tg_from_data(host, TG_FLOAT32, TG_SHAPE(16, 16)));
  size_t rss100 = 0, live100 = 0, bytes100 = 0, peak1000 = 0;
  double sum = 0;
  for (int step = 1; step <= n; step++) {
    tg_scope_begin();
    host[0] = (float)step;
    tg_tensor *x = tg_from_data(host, TG_FLOAT32, TG_SHAPE(16, 16));
    tg_tensor *y = tg_softmax(tg_add_s(tg_matmul(x, w), 1), -1);
    if (tg_data(y, out, sizeof out) != 0) { fprintf(stderr, "step %d: %s\n", step, tg_error()); return 1; }
    sum += out[0];
    tg_scope_end();
    if (step == 2000) peak1000 = peak_rss_bytes();
    if (getenv("MEM_TRACE") && step % 1000 == 0) printf("step %d peak %zu KiB\n", step, peak_rss_bytes() >> 10);
    if (step == 100) { rss100 = rss_bytes(); tg_gc(); live100 = uop_live_count(); bytes100 = buf_bytes_live(); }
  }
  size_t rss_end = rss_bytes();
  tg_gc();
  CHECK(uop_live_count() == live100, "graph nodes leak: %zu live after step 100, %zu at the end", live100, uop_live_count());
  CHECK(buf_bytes_live() == bytes100, "buffers leak: %zu bytes after step 100, %zu at the end", bytes100, buf_bytes_live());
  printf("rss after step 100: %zu KiB, after step %d: %zu KiB (checksum %g)\n", rss100 >> 10, n, rss_end >> 10, sum);
  size_t peak_end = peak_rss_bytes();
  printf("peak rss after step 2000: %zu KiB, at the end: %zu KiB\n", peak1000 >> 10, peak_end >> 10);
  CHECK(UNDER_ASAN || peak_end <= peak1000 + peak1000 / 10, "peak resident memory grew from %zu to %zu KiB", peak1000 >> 10, peak_end >> 10);
  return test_finish("test_memory");
}
