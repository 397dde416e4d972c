// Test support for nn and optimizer tests: values go to tests/nn_ref.py (torch / numpy references) through a
// file of named float64 arrays, and come back the same way; each expectation is checked against its reference
#ifndef TG_NNREF_H
#define TG_NNREF_H
#include "testlib.h"
#include "tinygrad.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* File format (little endian): "TGNN0001", then records: u32 name length, name, u8 ndim, i64 shape[ndim],
 * f64 data[prod(shape)]. The C side writes inputs, tests/nn_ref.py writes the references under the names
 * the C side expects. */
typedef struct { char name[128]; int ndim; int64_t shape[8]; int64_t n; double *v; } RefArr;
typedef struct { char name[128]; int64_t n; double *v, atol, rtol; } RefExpect;
static struct { FILE *f; char path[64]; RefArr *got; int ngot; RefExpect *ex; int nex, cap; } ref_;

static void ref_open(void) {
  strcpy(ref_.path, "/tmp/tg_nn_ref_XXXXXX");
  int fd = mkstemp(ref_.path);
  ref_.f = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!ref_.f) { perror("mkstemp"); exit(1); }
  fwrite("TGNN0001", 1, 8, ref_.f);
}

static void ref_put(const char *name, const double *v, const int64_t *shape, int ndim) {
  uint32_t len = (uint32_t)strlen(name);
  uint8_t nd = (uint8_t)ndim;
  int64_t n = 1;
  fwrite(&len, 4, 1, ref_.f); fwrite(name, 1, len, ref_.f); fwrite(&nd, 1, 1, ref_.f);
  for (int i = 0; i < ndim; i++) { fwrite(&shape[i], 8, 1, ref_.f); n *= shape[i]; }
  fwrite(v, 8, (size_t)n, ref_.f);
}
static void ref_put_v(const char *name, const double *v, int n) { int64_t s = n; ref_put(name, v, &s, 1); }

// a tensor's values as doubles (malloc'd; NULL + a failed check on error)
static double *ref_values(tg_tensor *t) {
  if (!t) { CHECK(0, "tensor is NULL: %s", tg_error()); return NULL; }
  int64_t n = tg_numel(t);
  double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
  int rc;
  switch (tg_get_dtype(t)) {
  case TG_FLOAT64: rc = tg_data(t, v, (size_t)n * 8); break;
  case TG_INT64: { int64_t *b = malloc((size_t)(n ? n : 1) * 8); rc = tg_data(t, b, (size_t)n * 8); for (int64_t i = 0; i < n; i++) v[i] = (double)b[i]; free(b); break; }
  case TG_INT32: { int32_t *b = malloc((size_t)(n ? n : 1) * 4); rc = tg_data(t, b, (size_t)n * 4); for (int64_t i = 0; i < n; i++) v[i] = b[i]; free(b); break; }
  default: {
    tg_tensor *f = tg_get_dtype(t) == TG_FLOAT32 ? t : tg_cast(t, TG_FLOAT32);
    float *b = malloc((size_t)(n ? n : 1) * 4);
    rc = tg_data(f, b, (size_t)n * 4);
    for (int64_t i = 0; i < n; i++) v[i] = b[i];
    free(b);
  }
  }
  if (rc != 0) { CHECK(0, "reading a tensor: %s", tg_error()); free(v); return NULL; }
  return v;
}

static void ref_put_t(const char *name, tg_tensor *t) {
  double *v = ref_values(t);
  if (v) ref_put(name, v, tg_shape(t), tg_ndim(t));
  free(v);
}

// expect: our values, compared with the reference of the same name once ref_run has run
static void ref_expect_v(const char *name, const double *v, int64_t n, double atol, double rtol) {
  if (ref_.nex == ref_.cap) { ref_.cap = ref_.cap ? 2 * ref_.cap : 64; ref_.ex = realloc(ref_.ex, (size_t)ref_.cap * sizeof *ref_.ex); }
  RefExpect *e = &ref_.ex[ref_.nex++];
  snprintf(e->name, sizeof e->name, "%s", name);
  e->n = n; e->atol = atol; e->rtol = rtol;
  e->v = malloc((size_t)(n ? n : 1) * sizeof *e->v);
  memcpy(e->v, v, (size_t)n * sizeof *v);
}
static void ref_expect(const char *name, tg_tensor *t, double atol, double rtol) {
  double *v = ref_values(t);
  if (v) ref_expect_v(name, v, tg_numel(t), atol, rtol);
  free(v);
}

static bool ref_read(FILE *f) {
  char magic[8];
  if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "TGNN0001", 8)) return false;
  uint32_t len;
  while (fread(&len, 4, 1, f) == 1) {
    ref_.got = realloc(ref_.got, (size_t)(ref_.ngot + 1) * sizeof *ref_.got);
    RefArr *a = &ref_.got[ref_.ngot++];
    uint8_t nd;
    if (len >= sizeof a->name || fread(a->name, 1, len, f) != len || fread(&nd, 1, 1, f) != 1 || nd > 8) return false;
    a->name[len] = 0;
    a->ndim = nd;
    a->n = 1;
    for (int i = 0; i < nd; i++) { if (fread(&a->shape[i], 8, 1, f) != 1) return false; a->n *= a->shape[i]; }
    a->v = malloc((size_t)(a->n ? a->n : 1) * 8);
    if (fread(a->v, 8, (size_t)a->n, f) != (size_t)a->n) return false;
  }
  return true;
}

static const RefArr *ref_get(const char *name) {
  for (int i = 0; i < ref_.ngot; i++) if (!strcmp(ref_.got[i].name, name)) return &ref_.got[i];
  return NULL;
}

// run the reference script on what was written, then check every expectation; returns false if it could not run
static bool ref_run(void) {
  fclose(ref_.f);
  char out[80], cmd[512];
  snprintf(out, sizeof out, "%s.out", ref_.path);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/nn_ref.py %s %s", TG_SOURCE_DIR, ref_.path, out);
  int rc = system(cmd);
  bool ok = rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
  CHECK(ok, "%s failed (rc %d)%s", cmd, rc, rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 2 ? ": torch or numpy missing? install python3-torch python3-numpy" : "");
  FILE *f = ok ? fopen(out, "rb") : NULL;
  if (f) { CHECK(ref_read(f), "malformed reference file %s", out); fclose(f); }
  for (int i = 0; i < ref_.nex; i++) {
    RefExpect *e = &ref_.ex[i];
    const RefArr *a = ref_get(e->name);
    if (ok) CHECK(a && a->n == e->n, "reference '%s' missing or of another size", e->name);
    if (ok && a && a->n == e->n) {
      int64_t bad = -1;
      double worst = 0;
      for (int64_t j = 0; j < e->n; j++) {
        double d = fabs(e->v[j] - a->v[j]), tol = e->atol + e->rtol * fabs(a->v[j]);
        bool same_special = (isnan(e->v[j]) && isnan(a->v[j])) || (isinf(e->v[j]) && e->v[j] == a->v[j]);
        if (!same_special && !(d <= tol) && (bad < 0 || d > worst)) { bad = j; worst = d; }
      }
      CHECK(bad < 0, "%s[%lld]: ours %.8g, reference %.8g (atol %g, rtol %g)", e->name, (long long)bad,
            bad >= 0 ? e->v[bad] : 0, bad >= 0 ? a->v[bad] : 0, e->atol, e->rtol);
    }
    free(e->v);
  }
  for (int i = 0; i < ref_.ngot; i++) free(ref_.got[i].v);
  free(ref_.got); free(ref_.ex);
  unlink(ref_.path); unlink(out);
  memset(&ref_, 0, sizeof ref_);
  return ok;
}
#endif
