// Schedule cache: a graph with the structure of one already scheduled reuses its schedule and kernels
#ifndef TG_SCHEDULE_CACHE_H
#define TG_SCHEDULE_CACHE_H
#include "schedule/schedule.h"

/* The key is the graph being realized with every BUFFER leaf replaced by a numbered placeholder (in
 * first-visit order; it carries the buffer's dtype, size, device, and the first earlier placeholder that
 * shares its storage), under a SINK whose arg holds the device and the settings that change a schedule or
 * its kernels (NOOPT, BEAM, TRANSCENDENTAL, NO_MEMORY_PLANNER, SPLIT_REDUCEOP). Hash-consing makes the key one pointer:
 * two graphs that differ only in which buffers they read have the same key.
 * The value is the schedule with each kernel argument and output named as a placeholder or as a fresh
 * buffer (dtype, size, and the planner's storage it lives in), and each kernel's compiled Program. A hit
 * allocates fresh buffers as planned, binds the caller's buffers, and runs no pass at all.
 * SCHEDULE_CACHE=0 turns it off; SCHEDULE_CACHE_SIZE (default 64) bounds it (least recently used goes). */
typedef struct SchedKey {
  UOp *key;               // NULL: not cached (off, or nothing to schedule); pinned until scache_key_free
  Buffer **inputs;        // placeholder i -> the caller's buffer (no reference held)
  int ninputs;
} SchedKey;

// Builds k for sink on dev. On a hit fills s, ready for eng_run (programs set), and returns true.
bool scache_find(SchedKey *k, UOp *sink, Device *dev, Schedule *s);
// Remember s, which sched_create made for k's graph and eng_run ran (so its programs are set).
void scache_add(const SchedKey *k, const Schedule *s);
void scache_key_free(SchedKey *k);
void scache_clear(void);       // drop every entry (the kernel cache calls it: entries point at its programs)

typedef struct SchedCacheStats { int64_t hits, misses, entries; } SchedCacheStats;
extern SchedCacheStats scache_stats;   // for tests and benchmarks
#endif
