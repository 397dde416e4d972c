// Opt lists written on a command line ("LOCAL:0:16 UPCAST:1:4 ..."), for the opt-tuning benchmarks
#ifndef TG_BENCH_OPTLIST_H
#define TG_BENCH_OPTLIST_H
#include "codegen/opt/opt.h"
#include "codegen/opt/beam.h"
#include "runtime/device.h"
#include "base/env.h"
#include <stdio.h>
#include <string.h>

// Parses s into opts (at most 16); tokens that name no opt kind are skipped. Returns the count.
static inline int optlist_parse(const char *s, Opt *opts) {
  int n = 0;
  char buf[512], *save = NULL;
  snprintf(buf, sizeof buf, "%s", s);
  for (char *t = strtok_r(buf, " ", &save); t && n < 16; t = strtok_r(NULL, " ", &save)) {
    char kind[16];
    int a, b;
    if (sscanf(t, "%15[A-Z]:%d:%d", kind, &a, &b) != 3) continue;
    for (int k = 0; k < OPT_NKINDS; k++) if (!strcmp(kind, opt_name((OptKind)k))) opts[n++] = (Opt){ (OptKind)k, a, b };
  }
  return n;
}

/* The compiled kernel for one command-line argument: an opt list, "heuristic" (the device's heuristic) or "beam"
 * (a BEAM=N search, default 2). Its label (the argument, plus the opts chosen) goes to label; NULL after printing why
 * the opts were refused or the kernel failed to compile. */
static inline Program *optlist_program(Device *d, UOp *ast, const char *arg, char *label, size_t len) {
  Opt opts[16];
  char why[200];
  int n = optlist_parse(arg, opts);
  bool heur = !strcmp(arg, "heuristic"), beam = !strcmp(arg, "beam");
  if (beam) n = beam_opts(d, ast, false, (int)env_int("BEAM", 2), opts, 16);
  UOp *k = heur ? opt_heuristic(ast, &d->caps, opts, 16, &n) : opt_apply_list(ast, opts, n, &d->caps, why, sizeof why);
  if (!k) { printf("%-60s refused: %s\n", arg, why); return NULL; }
  int at = snprintf(label, len, "%s", arg);
  for (int i = 0; (heur || beam) && i < n && at < (int)len; i++)
    at += snprintf(label + at, len - (size_t)at, " %s:%d:%d", opt_name(opts[i].kind), opts[i].axis, opts[i].amount);
  Program *p = opt_codegen(k, false);
  if (d->compile(d, p) == 0) return p;
  printf("%-60s compile failed: %s\n", label, tg_error());
  program_free(p);
  return NULL;
}
#endif
