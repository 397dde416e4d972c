// State dicts: an ordered list of named tensors (not owned) plus string metadata; safetensors internals
#ifndef TG_NN_STATE_H
#define TG_NN_STATE_H
#include "tinygrad.h"

typedef struct { char *name; tg_tensor *t; } StateEntry;
typedef struct { char *key, *val; } StateMeta;

struct tg_state {
  StateEntry *e;             // in insertion order
  int n, cap;
  int *slots;                // open-addressing table of entry indices + 1 (0 = empty), nslots a power of 2
  int nslots;
  StateMeta *meta;           // safetensors "__metadata__" (string -> string), in insertion order
  int nmeta, metacap;
};

int  io_state_find(const tg_state *s, const char *name);       // entry index, or -1
void io_state_meta_push(tg_state *s, const char *key, const char *value);   // append; the caller knows key is new

// safetensors from memory: what tg_safetensors_read does after mapping the file (fuzzers call this).
// `fn` and `what` (the file name) label the error messages.
tg_state *io_safetensors_read_mem(const void *bytes, size_t size, const char *fn, const char *what);
#endif
