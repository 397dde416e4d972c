// Arena (bump allocator for short-lived data that is freed all at once)
#include "base/arena.h"
#include "base/error.h"
#include <stdlib.h>
#include <string.h>

struct ArenaBlock { ArenaBlock *next; size_t cap, used; _Alignas(16) unsigned char mem[]; };

void *arena_alloc(Arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (!a->head || a->head->used + n > a->head->cap) {
    size_t cap = n > 65536 ? n : 65536;
    ArenaBlock *b = malloc(sizeof(ArenaBlock) + cap);
    TG_ASSERT(b != NULL, "out of memory: arena block of %zu bytes", cap);
    b->next = a->head; b->cap = cap; b->used = 0;
    a->head = b;
  }
  void *p = a->head->mem + a->head->used;
  a->head->used += n;
  a->used_total += n;
  memset(p, 0, n);
  return p;
}

char *arena_strdup(Arena *a, const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(arena_alloc(a, n), s, n);
}

void arena_reset(Arena *a) {
  for (ArenaBlock *b = a->head, *n; b; b = n) { n = b->next; free(b); }
  a->head = NULL;
  a->used_total = 0;
}
