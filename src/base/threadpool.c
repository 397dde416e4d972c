// Thread pool: persistent pthread workers that split [0, n) into contiguous chunks
#include "base/threadpool.h"
#include "base/env.h"
#include "base/error.h"
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

enum { SPIN_ITERS = 20000, MAX_THREADS = 256 };

// One atomic ticket describes the current job: job id << 32 | chunk count << 16 | next chunk.
// A chunk is claimed by a CAS on the whole ticket, so a worker can never claim a chunk of a job
// with another job's count; fn/ctx/n are read only after a claim, while that job cannot finish.
static struct {
  pthread_once_t once;
  pthread_mutex_t mu, run_mu;
  pthread_cond_t cv_work, cv_done;
  int nthreads;
  atomic_uint_fast64_t ticket;
  atomic_int done;
  TpFn fn;
  void *ctx;
  int64_t n;
} P = { .once = PTHREAD_ONCE_INIT, .mu = PTHREAD_MUTEX_INITIALIZER, .run_mu = PTHREAD_MUTEX_INITIALIZER,
        .cv_work = PTHREAD_COND_INITIALIZER, .cv_done = PTHREAD_COND_INITIALIZER };
static _Thread_local bool in_pool;   // true inside a worker and inside the caller's chunks

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static void chunk_bounds(int64_t n, int k, int c, int64_t *s, int64_t *e) {
  int64_t q = n / k, r = n % k;
  *s = c * q + (c < r ? c : r);
  *e = *s + q + (c < r ? 1 : 0);
}

// Claims chunks of the current job until none is left; the thread finishing the last one wakes the caller.
static void do_chunks(void) {
  uint_fast64_t v = atomic_load(&P.ticket);
  for (;;) {
    int k = (int)((v >> 16) & 0xffff), c = (int)(v & 0xffff);
    if (c >= k) return;
    if (!atomic_compare_exchange_weak(&P.ticket, &v, v + 1)) continue;
    int64_t s, e;
    chunk_bounds(P.n, k, c, &s, &e);
    P.fn(P.ctx, s, e);
    if (atomic_fetch_add(&P.done, 1) + 1 == k) {
      pthread_mutex_lock(&P.mu);
      pthread_cond_broadcast(&P.cv_done);
      pthread_mutex_unlock(&P.mu);
    }
    v = atomic_load(&P.ticket);
  }
}

static void *worker(void *arg) {
  (void)arg;
  in_pool = true;
  uint_fast64_t seen = 0, job;
  for (;;) {
    for (int i = 0; (job = atomic_load(&P.ticket) >> 32) == seen && i < SPIN_ITERS; i++) cpu_relax();
    if (job == seen) {
      pthread_mutex_lock(&P.mu);
      while ((job = atomic_load(&P.ticket) >> 32) == seen) pthread_cond_wait(&P.cv_work, &P.mu);
      pthread_mutex_unlock(&P.mu);
    }
    seen = job;
    do_chunks();
  }
  return NULL;
}

static void pool_init(void) {
  int64_t n = env_int("THREADS", 0);
  if (n <= 0) n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  P.nthreads = (int)n;
  for (int i = 1; i < P.nthreads; i++) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, worker, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0) { P.nthreads = i; break; }     // fewer threads is still correct
  }
}

int tp_threads(void) {
  pthread_once(&P.once, pool_init);
  return P.nthreads;
}

void tp_run(int64_t n, TpFn fn, void *ctx) { tp_run_max(n, INT_MAX, fn, ctx); }

void tp_run_max(int64_t n, int max_threads, TpFn fn, void *ctx) {
  if (n <= 0) return;
  if (n == 1 || in_pool || tp_threads() == 1 || max_threads <= 1) { fn(ctx, 0, n); return; }
  pthread_mutex_lock(&P.run_mu);
  int k = (int)(n < P.nthreads ? n : P.nthreads);
  if (k > max_threads) k = max_threads;
  P.fn = fn; P.ctx = ctx; P.n = n;
  atomic_store(&P.done, 0);
  pthread_mutex_lock(&P.mu);
  uint_fast64_t job = (atomic_load(&P.ticket) >> 32) + 1;
  atomic_store(&P.ticket, (job << 32) | ((uint_fast64_t)k << 16));
  pthread_cond_broadcast(&P.cv_work);
  pthread_mutex_unlock(&P.mu);
  in_pool = true;
  do_chunks();
  in_pool = false;
  for (int i = 0; atomic_load(&P.done) < k && i < SPIN_ITERS; i++) cpu_relax();
  if (atomic_load(&P.done) < k) {
    pthread_mutex_lock(&P.mu);
    while (atomic_load(&P.done) < k) pthread_cond_wait(&P.cv_done, &P.mu);
    pthread_mutex_unlock(&P.mu);
  }
  pthread_mutex_unlock(&P.run_mu);
}
