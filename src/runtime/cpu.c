// CPU device: C kernels compiled by the system compiler, cached on disk, run on the thread pool
#include "runtime/cpu.h"
#include "base/fnv.h"
#include "runtime/runtime.h"
#include "renderer/cstyle.h"
#include "tinygrad.h"
#include "base/env.h"
#include "base/error.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/threadpool.h"
#include "base/timer.h"
#include <limits.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef void (*KernelFn)(void **bufs, const int64_t *vars, int64_t start, int64_t end);

// Flags the kernels' semantics depend on (see renderer/cstyle.h); CFLAGS can't remove them. Kernels include
// no headers and link no crt files (-nostdlib, ~2x faster to build); -lm is added when they call libm.
static const char FIXED_FLAGS[] = "-shared -fPIC -nostdlib -pipe -ffp-contract=off -fno-math-errno -w";
static const char TRAILER_MAGIC[8] = { 'T', 'G', 'C', 'A', 'C', 'H', 'E', '1' };

static pthread_mutex_t cpu_mu = PTHREAD_MUTEX_INITIALIZER;
static RtCpuStats stats;
static char cc_for_version[256], cc_version[256];
static unsigned tmp_counter;

RtCpuStats rt_cpu_stats(void) {
  pthread_mutex_lock(&cpu_mu);
  RtCpuStats s = stats;
  pthread_mutex_unlock(&cpu_mu);
  return s;
}

void rt_cpu_stats_reset(void) {
  pthread_mutex_lock(&cpu_mu);
  memset(&stats, 0, sizeof stats);
  pthread_mutex_unlock(&cpu_mu);
}

// ---- helpers ----
static void shell_quote(StrBuf *sb, const char *s) {    // 'it'\''s'
  sb_putc(sb, '\'');
  for (; *s; s++) { if (*s == '\'') sb_puts(sb, "'\\''"); else sb_putc(sb, *s); }
  sb_putc(sb, '\'');
}

static char *run_capture(const char *cmd, int *status) {   // stdout+stderr of a shell command
  StrBuf out = { 0 };
  sb_puts(&out, "");
  FILE *f = popen(cmd, "r");
  if (!f) { *status = -1; return sb_take(&out); }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf - 1, f)) > 0) { buf[n] = 0; sb_puts(&out, buf); }
  *status = pclose(f);
  return sb_take(&out);
}

// The first line of text containing `prefer` (or the first line), without its newline.
static void first_line(const char *text, const char *prefer, char *out, size_t n) {
  const char *pick = text;
  for (const char *l = text; prefer && *l;) {
    size_t len = strcspn(l, "\n");
    char buf[1024];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), l);
    if (strstr(buf, prefer)) { pick = l; break; }
    l += len + (l[len] == '\n');
  }
  size_t len = strcspn(pick, "\n");
  if (len >= n) len = n - 1;
  memcpy(out, pick, len);
  out[len] = 0;
}

static const char *compiler(void) { return env_str("CC", "cc"); }
// -fvect-cost-model=dynamic: GCC 12's -O2 model skips loops needing an epilogue. -fno-tree-loop-if-convert: GCC 12.2
// -march=native miscompiled a gated padded copy (a load under a false gate with a negative index, if-converted into a
// masked vector loop) in test_fuzz_graph; our gated loops are rarely worth vectorizing that way anyway.
static const char *cflags(void) {
  return env_str("CFLAGS", "-O2 -march=native -fvect-cost-model=dynamic -fno-tree-loop-if-convert");
}

static const char *compiler_version(void) {   // first line of `cc --version`, once per compiler
  const char *cc = compiler();
  if (strcmp(cc, cc_for_version) != 0 || !cc_version[0]) {
    StrBuf cmd = { 0 };
    sb_printf(&cmd, "%s --version 2>&1", cc);
    int status;
    char *out = run_capture(cmd.s, &status);
    first_line(out, NULL, cc_version, sizeof cc_version);
    snprintf(cc_for_version, sizeof cc_for_version, "%s", cc);
    free(out);
    sb_free(&cmd);
  }
  return cc_version;
}

static int mkdirs(const char *path) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') { *p = 0; if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1; *p = '/'; }
  return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int rt_cpu_mkdirs(const char *path) { return mkdirs(path); }

char *rt_cpu_cache_dir(void) {
  if (env_int("CACHELEVEL", 1) <= 0) return NULL;
  StrBuf sb = { 0 };
  const char *dir = env_str("CACHE_DIR", NULL), *xdg = env_str("XDG_CACHE_HOME", NULL), *home = env_str("HOME", NULL);
  if (dir) sb_puts(&sb, dir);
  else if (xdg) sb_printf(&sb, "%s/tinygrad.c", xdg);
  else if (home) sb_printf(&sb, "%s/.cache/tinygrad.c", home);
  else sb_puts(&sb, "/tmp/tinygrad.c-cache");
  return sb_take(&sb);
}

// ---- the cache file: a shared object followed by a 16-byte trailer (magic, FNV-1a of the bytes before) ----
static bool file_valid(const char *path) {
  size_t n;
  char *b = rt_cache_read(path, TRAILER_MAGIC, &n);
  free(b);
  return b != NULL;
}

static int append_trailer(const char *path) {
  FILE *f = fopen(path, "r+b");
  if (!f) return -1;
  uint64_t h = FNV1A_INIT;
  unsigned char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) h = fnv1a(h, buf, n);
  int rc = fseek(f, 0, SEEK_END) == 0 && fwrite(TRAILER_MAGIC, 1, 8, f) == 8 && fwrite(&h, 1, 8, f) == 8 ? 0 : -1;
  return fclose(f) == 0 ? rc : -1;
}

static int load(Program *p, const char *path, const char *sym) {
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) return -1;
  void *fn = dlsym(lib, sym);
  if (!fn) { dlclose(lib); return -1; }
  p->lib = lib;
  p->entry = fn;
  return 0;
}

static bool needs_libm(const char *src) {
  static const char *libm_fns[] = { "__builtin_exp2", "__builtin_log2", "__builtin_sin", "__builtin_pow", "__builtin_sqrt",
                                    "__builtin_trunc" };
  for (size_t i = 0; i < sizeof libm_fns / sizeof *libm_fns; i++) if (strstr(src, libm_fns[i])) return true;
  return false;
}

// Runs the compiler on src, producing `out` (with its trailer). 0, or -1 with tg_set_error.
static int build(Program *p, const char *src, const char *out) {
  StrBuf cpath = { 0 }, cmd = { 0 };
  sb_printf(&cpath, "%s.c", out);
  FILE *f = fopen(cpath.s, "w");
  int rc = -1;
  if (!f || fputs(src, f) < 0 || fclose(f) != 0) {
    if (f) fclose(f);
    tg_set_error("CPU compile of %s: cannot write %s: %s", p->name, cpath.s, strerror(errno));
    goto done;
  }
  sb_printf(&cmd, "%s %s %s ", compiler(), cflags(), FIXED_FLAGS);
  shell_quote(&cmd, cpath.s);
  sb_puts(&cmd, " -o ");
  shell_quote(&cmd, out);
  sb_puts(&cmd, needs_libm(src) ? " -lm 2>&1" : " 2>&1");
  int status;
  char *msg = run_capture(cmd.s, &status);
  if (status != 0) {
    char line[400];
    first_line(msg, "error", line, sizeof line);
    tg_set_error("CPU compile of %s failed: %s", p->name, line[0] ? line : "the compiler exited with an error");
  } else if (append_trailer(out) != 0) {
    tg_set_error("CPU compile of %s: cannot finish %s: %s", p->name, out, strerror(errno));
  } else rc = 0;
  free(msg);
done:
  unlink(cpath.s);
  sb_free(&cpath);
  sb_free(&cmd);
  return rc;
}

// The host CPU's feature list (x86 "flags", arm "Features"): -march=native output depends on it, and a
// cache directory may be shared between machines.
static const char *cpu_features(void) {
  static char feats[4096];
  static bool done;
  if (done) return feats;
  done = true;
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return feats;
  char line[4096];
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "flags", 5) || !strncmp(line, "Features", 8)) { snprintf(feats, sizeof feats, "%s", line); break; }
  fclose(f);
  return feats;
}

static void key_hex(const char *src, char out[33]) {
  const char *parts[] = { src, compiler(), cflags(), FIXED_FLAGS, compiler_version(), cpu_features() };
  fnv_key_hex(parts, sizeof parts / sizeof *parts, out);
}

// Compiles into the disk cache (or loads a valid cached entry). 0, or -1 with tg_set_error.
static int compile_cached(Program *p, const char *src, const char *dir, const char *sym, bool *hit) {
  char key[33];
  key_hex(src, key);
  StrBuf path = { 0 }, tmp = { 0 };
  sb_printf(&path, "%s/%s.so", dir, key);
  int rc = -1;
  if (access(path.s, F_OK) == 0) {
    if (file_valid(path.s) && load(p, path.s, sym) == 0) { *hit = true; rc = 0; goto done; }
    unlink(path.s);                  // corrupt or unloadable: rebuild it
    stats.rebuilt++;
    LOG(2, "CPU: rebuilding corrupt cache entry %s", path.s);
  }
  if (mkdirs(dir) != 0) { tg_set_error("CPU compile of %s: cannot create cache dir %s: %s", p->name, dir, strerror(errno)); goto done; }
  sb_printf(&tmp, "%s.tmp.%d.%u", path.s, (int)getpid(), tmp_counter++);
  if (build(p, src, tmp.s) == 0) {
    if (rename(tmp.s, path.s) != 0) tg_set_error("CPU compile of %s: cannot rename into %s: %s", p->name, path.s, strerror(errno));
    else if (load(p, path.s, sym) != 0) tg_set_error("CPU compile of %s: dlopen failed: %s", p->name, dlerror());
    else rc = 0;
  }
  unlink(tmp.s);
done:
  sb_free(&path);
  sb_free(&tmp);
  return rc;
}

static int compile_uncached(Program *p, const char *src, const char *sym) {   // CACHELEVEL=0
  const char *tmpdir = env_str("TMPDIR", "/tmp");
  StrBuf dir = { 0 }, out = { 0 };
  sb_printf(&dir, "%s/tinygrad.c-XXXXXX", tmpdir);
  int rc = -1;
  if (!mkdtemp(dir.s)) { tg_set_error("CPU compile of %s: mkdtemp in %s failed: %s", p->name, tmpdir, strerror(errno)); goto done; }
  sb_printf(&out, "%s/kernel.so", dir.s);
  if (build(p, src, out.s) == 0) {
    if (load(p, out.s, sym) != 0) tg_set_error("CPU compile of %s: dlopen failed: %s", p->name, dlerror());
    else rc = 0;
  }
  unlink(out.s);
  rmdir(dir.s);
done:
  sb_free(&dir);
  sb_free(&out);
  return rc;
}

// ---- the device ----
static void cpu_release(Device *d, Program *p) {
  (void)d;
  if (p->lib) dlclose(p->lib);
  p->lib = p->entry = NULL;
}

static int cpu_compile(Device *d, Program *p) {
  char sym[80];
  rt_symbol_name(p, sym, sizeof sym);
  double t0 = time_s();
  char *src = rend_c(p, sym);
  if (!src) return -1;
  rt_take_source(d, p, src);
  pthread_mutex_lock(&cpu_mu);
  char *dir = rt_cpu_cache_dir();
  bool hit = false;
  int rc = dir ? compile_cached(p, src, dir, sym, &hit) : compile_uncached(p, src, sym);
  double dt = time_s() - t0;
  if (rc == 0 && hit) { stats.hits++; stats.hit_s += dt; }
  else if (rc == 0) { stats.cold++; stats.cold_s += dt; }
  pthread_mutex_unlock(&cpu_mu);
  free(dir);
  LOG(4, "CPU: %s %s in %.2f ms", p->name, rc ? "failed" : hit ? "loaded from the disk cache" : "compiled", dt * 1e3);
  return rc;
}

// ---- compiling many programs at once (BEAM candidates): few compiler runs, on every core ----
/* The kernels share translation units, one per thread, whose compilers run at the same time: a compiler run
 * costs ~40 ms before it reads a line, which would dominate a search over small kernels. Each kernel keeps its
 * prelude: its `static inline` helpers get per-kernel names through #define (C11 allows a typedef to repeat).
 * A unit that fails is split into single kernels, so each program gets its own error. Nothing is cached. */
typedef struct Unit { int *idx, n; StrBuf cpath, so; FILE *pipe; char *out; int status; } Unit;
typedef struct Batch { Device *d; Program **ps; char **srcs, **syms, **errs; bool *done; const char *dir; int next_id; } Batch;

// #define (undef == false) or #undef every `static inline` helper of a kernel's prelude, renamed for kernel k
static void rename_helpers(FILE *f, const char *src, int k, bool undef) {
  for (const char *l = strstr(src, "static inline "); l; l = strstr(l + 1, "static inline ")) {
    const char *paren = strchr(l, '('), *e = paren, *b;
    if (!paren) break;
    while (e > l && e[-1] == ' ') e--;
    for (b = e; b > l && (b[-1] == '_' || (b[-1] >= '0' && b[-1] <= '9') || ((b[-1] | 32) >= 'a' && (b[-1] | 32) <= 'z')); b--) {}
    if (b == e) continue;
    if (undef) fprintf(f, "#undef %.*s\n", (int)(e - b), b);
    else fprintf(f, "#define %.*s %.*s_k%d\n", (int)(e - b), b, (int)(e - b), b, k);
  }
}

static bool unit_start(Batch *B, Unit *u) {
  int id = B->next_id++;
  sb_printf(&u->cpath, "%s/u%d.c", B->dir, id);
  sb_printf(&u->so, "%s/u%d.so", B->dir, id);
  FILE *f = fopen(u->cpath.s, "w");
  if (!f) return false;
  bool libm = false;
  for (int i = 0; i < u->n; i++) {
    const char *src = B->srcs[u->idx[i]];
    rename_helpers(f, src, u->idx[i], false);
    fputs(src, f);
    rename_helpers(f, src, u->idx[i], true);
    libm |= needs_libm(src);
  }
  if (fclose(f) != 0) return false;
  StrBuf cmd = { 0 };
  sb_printf(&cmd, "%s %s %s ", compiler(), cflags(), FIXED_FLAGS);
  shell_quote(&cmd, u->cpath.s);
  sb_puts(&cmd, " -o ");
  shell_quote(&cmd, u->so.s);
  sb_puts(&cmd, libm ? " -lm 2>&1" : " 2>&1");
  u->pipe = popen(cmd.s, "r");
  sb_free(&cmd);
  return u->pipe != NULL;
}

static void unit_finish(Unit *u) {
  StrBuf out = { 0 };
  sb_puts(&out, "");
  char buf[4096];
  size_t n;
  while (u->pipe && (n = fread(buf, 1, sizeof buf - 1, u->pipe)) > 0) { buf[n] = 0; sb_puts(&out, buf); }
  u->status = u->pipe ? pclose(u->pipe) : -1;
  u->pipe = NULL;
  u->out = sb_take(&out);
}

// Loads every kernel of a unit that compiled; records the error of a single-kernel unit that did not.
static void unit_load(Batch *B, Unit *u) {
  for (int i = 0; i < u->n && u->status == 0; i++) {
    int k = u->idx[i];
    Program *p = B->ps[k];
    if (p->dev && p->dev->release) p->dev->release(p->dev, p);
    if (load(p, u->so.s, B->syms[k]) != 0) { B->errs[k] = strdup(dlerror()); continue; }
    free(p->src);
    p->src = B->srcs[k];
    B->srcs[k] = NULL;
    p->dev = B->d;
    B->done[k] = true;
  }
  if (u->status != 0 && u->n == 1) {
    char line[400];
    first_line(u->out, "error", line, sizeof line);
    StrBuf e = { 0 };
    sb_printf(&e, "CPU compile of %s failed: %s", B->ps[u->idx[0]]->name, line[0] ? line : "the compiler exited with an error");
    B->errs[u->idx[0]] = sb_take(&e);
  }
  unlink(u->so.s);
  unlink(u->cpath.s);
}

static void unit_free(Unit *u) { free(u->idx); free(u->out); sb_free(&u->cpath); sb_free(&u->so); memset(u, 0, sizeof *u); }

// Compiles idx[0..n) as nu units of consecutive programs, every compiler at once (nu <= 64); loads what compiled.
// The programs of failed multi-kernel units go to retry (when given); returns how many.
static int run_units(Batch *B, const int *idx, int n, int nu, int *retry) {
  Unit us[64] = { { 0 } };
  int nretry = 0;
  TG_ASSERT(nu >= 1 && nu <= 64 && nu <= n, "run_units: %d units for %d programs", nu, n);
  size_t total = 0, acc = 0;
  for (int i = 0; i < n; i++) total += strlen(B->srcs[idx[i]]);
  for (int j = 0, lo = 0, hi; j < nu; j++, lo = hi) {   // units of about equal source size: the compilers end together
    for (hi = lo; hi < n - (nu - 1 - j) && (hi == lo || acc < total / (size_t)nu * (size_t)(j + 1)); hi++) acc += strlen(B->srcs[idx[hi]]);
    if (j == nu - 1) hi = n;
    us[j].n = hi - lo;
    us[j].idx = malloc((size_t)us[j].n * sizeof(int));
    TG_ASSERT(us[j].idx, "out of memory");
    memcpy(us[j].idx, idx + lo, (size_t)us[j].n * sizeof(int));
    if (!unit_start(B, &us[j])) us[j].status = -1;
  }
  for (int j = 0; j < nu; j++) {
    unit_finish(&us[j]);
    unit_load(B, &us[j]);
    if (us[j].status != 0 && us[j].n > 1 && retry)
      for (int i = 0; i < us[j].n; i++) retry[nretry++] = us[j].idx[i];
    unit_free(&us[j]);
  }
  return nretry;
}

static int cpu_compile_many(Device *d, Program **ps, int n, char **errs) {
  Batch B = { .d = d, .ps = ps, .errs = errs };
  B.srcs = calloc((size_t)n + 1, sizeof(char *));
  B.syms = calloc((size_t)n + 1, sizeof(char *));
  B.done = calloc((size_t)n + 1, sizeof(bool));
  int *idx = malloc(((size_t)n + 1) * sizeof(int)), *retry = malloc(((size_t)n + 1) * sizeof(int)), m = 0;
  TG_ASSERT(B.srcs && B.syms && B.done && idx && retry, "out of memory");
  for (int i = 0; i < n; i++) {
    errs[i] = NULL;
    char sym[80], name[96];
    rt_symbol_name(ps[i], sym, sizeof sym);
    snprintf(name, sizeof name, "b%d_%s", i, sym);
    B.syms[i] = strdup(name);
    if (!(B.srcs[i] = rend_c(ps[i], name))) errs[i] = strdup(tg_error() ? tg_error() : "render failed");
    else idx[m++] = i;
  }
  StrBuf dir = { 0 };
  sb_printf(&dir, "%s/tinygrad.c-XXXXXX", env_str("TMPDIR", "/tmp"));
  int jobs = tp_threads() < 1 ? 1 : tp_threads() > 64 ? 64 : tp_threads();
  if (m && mkdtemp(dir.s)) {
    B.dir = dir.s;
    int nretry = run_units(&B, idx, m, m < jobs ? m : jobs, retry);
    if (nretry) LOG(2, "CPU: a unit of %d kernels compiled together failed; compiling them one by one", nretry);
    for (int at = 0; at < nretry; at += jobs) {
      int k = nretry - at < jobs ? nretry - at : jobs;
      run_units(&B, retry + at, k, k, NULL);
    }
    rmdir(dir.s);
  } else if (m) {
    for (int k = 0; k < m; k++) errs[idx[k]] = strdup("CPU compile: cannot create a temporary directory");
  }
  int failed = 0;
  for (int i = 0; i < n; i++) {
    if (!errs[i] && !B.done[i]) errs[i] = strdup("CPU compile: kernel missing from its unit");
    failed += errs[i] != NULL;
    free(B.srcs[i]);
    free(B.syms[i]);
  }
  free(B.srcs); free(B.syms); free(B.done); free(idx); free(retry);
  sb_free(&dir);
  return failed;
}

typedef struct { KernelFn fn; void **bufs; const int64_t *vars; } Job;
static void run_chunk(void *ctx, int64_t start, int64_t end) { Job *j = ctx; j->fn(j->bufs, j->vars, start, end); }

enum { CPU_PAR_MIN_WORK = 1 << 15 };   // estimated ops + bytes below which a kernel runs single-threaded

static int cpu_launch(Device *d, Program *p, void **ptrs, const int64_t *vars) {
  (void)d;
  Job job = { (KernelFn)p->entry, ptrs, vars };
  int64_t n = rt_par_count(p, vars);
  // a kernel too small to pay for waking the other threads runs on this one
  if (p->par_range && n > 1 && (p->par_threads || p->est_flops + p->est_bytes >= CPU_PAR_MIN_WORK))
    tp_run_max(n, p->par_threads ? p->par_threads : INT_MAX, run_chunk, &job);   // a THREAD opt decides itself
  else job.fn(ptrs, vars, 0, p->par_range ? (n > 0 ? n : 0) : 1);
  return 0;
}

static int cpu_exec(Device *d, Program *p, Buffer **bufs, const int64_t *vars) {
  (void)d;
  if (!p->entry || p->dev != d) { tg_set_error("exec(%s): not compiled for CPU", p->name); return -1; }
  if (rt_check_args(p, bufs, vars) < 0) return -1;
  void *stack_ptrs[32], **ptrs = p->nbufs <= 32 ? stack_ptrs : malloc((size_t)p->nbufs * sizeof(void *));
  TG_ASSERT(ptrs, "out of memory");
  for (int i = 0; i < p->nbufs; i++) ptrs[i] = bufs[i] ? bufs[i]->ptr : NULL;
  cpu_launch(d, p, ptrs, vars);
  if (ptrs != stack_ptrs) free(ptrs);
  return 0;
}

// The SIMD width -march=native gives the kernels (VECTOR_BYTES overrides it; 0 turns explicit vectors off).
static int cpu_vector_bytes(void) {
  int dflt = 16;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  dflt = __builtin_cpu_supports("avx512f") ? 64 : __builtin_cpu_supports("avx") ? 32 : 16;
#endif
  return (int)env_int("VECTOR_BYTES", dflt);
}

void rt_cpu_init(Device *d) {
  d->caps = (RendererCaps){ .has_transcendental = true, .has_half = false, .max_upcast = 1, .vector_bytes = cpu_vector_bytes() };
  d->host_memory = d->par_prefix = true;
  d->alloc = rt_host_alloc; d->free = rt_host_free; d->copyin = rt_host_copy; d->copyout = rt_host_copy;
  d->compile = cpu_compile; d->exec = cpu_exec; d->launch = cpu_launch; d->release = cpu_release; d->compile_many = cpu_compile_many;
}
