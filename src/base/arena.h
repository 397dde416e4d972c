// Arena (bump allocator for short-lived data that is freed all at once)
#ifndef TG_ARENA_H
#define TG_ARENA_H
#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena { ArenaBlock *head; size_t used_total; } Arena;

void *arena_alloc(Arena *a, size_t n);          // 16-byte aligned, zeroed
char *arena_strdup(Arena *a, const char *s);
void  arena_reset(Arena *a);                     // frees every block
#endif
