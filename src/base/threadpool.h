// Thread pool: persistent pthread workers that split [0, n) into contiguous chunks
#ifndef TG_THREADPOOL_H
#define TG_THREADPOOL_H
#include <stdint.h>

typedef void (*TpFn)(void *ctx, int64_t start, int64_t end);

// Runs fn over [0, n) split into at most tp_threads() contiguous chunks, one per worker, the caller
// being one of them; returns when every chunk is done. Runs inline when n <= 1, when THREADS=1,
// or when called from inside a pool worker (no nested parallelism). Calls from several threads
// are serialized.
void tp_run(int64_t n, TpFn fn, void *ctx);
void tp_run_max(int64_t n, int max_threads, TpFn fn, void *ctx);   // at most max_threads chunks (a THREAD opt)
int  tp_threads(void);     // env THREADS, default: online CPUs (read once)
#endif
