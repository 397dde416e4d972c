// CUDA graphs for JIT replay: the captured launches as kernel nodes of one graph, launched with one call
#include "runtime/cuda_internal.h"
#include "base/error.h"
#include <stdlib.h>

/* The nodes form a chain (each depends on the one before), the order the JIT captured them in: the same
 * ordering a stream gives. Launching the instantiated graph costs one driver call however many kernels it
 * holds. When a launch's arguments change (a rebound input buffer, new symbolic variable values) only that
 * node's parameters are set again on the instantiated graph (cuGraphExecKernelNodeSetParams); parameter
 * values are copied by the driver, so nothing here keeps them. */
typedef struct CudaGraph {
  CUgraph graph;
  CUgraphExec exec;
  CUgraphNode *nodes;
  Program **progs;
  int n;
} CudaGraph;

static void node_params(Program *p, const CudaLaunch *l, CuKernelNodeParams *np) {
  *np = (CuKernelNodeParams){ .func = (CUfunction)p->entry, .params = (void **)l->args };
  for (int k = 0; k < 3; k++) { np->grid[k] = l->grid[k]; np->block[k] = l->block[k]; }
}

static void graph_free(Device *d, void *gp) {
  CudaGraph *g = gp;
  const CudaApi *cu = g ? cuda_enter(d) : NULL;
  if (cu && g->exec) cu->GraphExecDestroy(g->exec);
  if (cu && g->graph) cu->GraphDestroy(g->graph);
  if (g) { free(g->nodes); free(g->progs); free(g); }
}

static void *graph_new(Device *d, Program **ps, void ***ptrs, int64_t **vals, int n) {
  const CudaApi *cu = cuda_enter(d);
  if (!cu) return NULL;
  CudaGraph *g = calloc(1, sizeof *g);
  TG_ASSERT(g, "out of memory");
  g->nodes = calloc((size_t)n, sizeof *g->nodes);
  g->progs = malloc((size_t)n * sizeof *g->progs);
  TG_ASSERT(g->nodes && g->progs, "out of memory");
  g->n = n;
  if (cu_check(cu->GraphCreate(&g->graph, 0), "cuGraphCreate") != 0) { graph_free(d, g); return NULL; }
  CudaLaunch *l = malloc(sizeof *l);
  TG_ASSERT(l, "out of memory");
  for (int i = 0; i < n; i++) {
    CuKernelNodeParams np;
    g->progs[i] = ps[i];
    if (cuda_launch_args(d, ps[i], ptrs[i], vals[i], l) != 0) { free(l); graph_free(d, g); return NULL; }
    node_params(ps[i], l, &np);
    if (cu_check(cu->GraphAddKernelNode(&g->nodes[i], g->graph, i ? &g->nodes[i - 1] : NULL, i ? 1 : 0, &np), "cuGraphAddKernelNode") != 0) {
      free(l); graph_free(d, g); return NULL;
    }
  }
  free(l);
  if (cu_check(cu->GraphInstantiate(&g->exec, g->graph, 0), "cuGraphInstantiate") != 0) { graph_free(d, g); return NULL; }
  return g;
}

static int graph_set(Device *d, void *gp, int i, void **ptrs, const int64_t *vals) {
  CudaGraph *g = gp;
  const CudaApi *cu = cuda_enter(d);
  CudaLaunch l;
  if (!cu || i < 0 || i >= g->n || cuda_launch_args(d, g->progs[i], ptrs, vals, &l) != 0) return -1;
  CuKernelNodeParams np;
  node_params(g->progs[i], &l, &np);
  return cu_check(cu->GraphExecKernelNodeSetParams(g->exec, g->nodes[i], &np), "cuGraphExecKernelNodeSetParams");
}

static int graph_run(Device *d, void *gp) {
  const CudaApi *cu = cuda_enter(d);
  return cu ? cu_check(cu->GraphLaunch(((CudaGraph *)gp)->exec, cuda_stream(d)), "cuGraphLaunch") : -1;
}

void cuda_graph_init(Device *d) {
  d->graph_new = graph_new;
  d->graph_set = graph_set;
  d->graph_run = graph_run;
  d->graph_free = graph_free;
}
