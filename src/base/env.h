// Environment settings: typed getters with scoped overrides (tinygrad's Context)
#ifndef TG_ENV_H
#define TG_ENV_H
#include <stdint.h>

// A getter returns the innermost override if there is one, else the process environment, else dflt.
int64_t     env_int(const char *name, int64_t dflt);
double      env_float(const char *name, double dflt);
const char *env_str(const char *name, const char *dflt);

// Scoped override, as tinygrad's `with Context(DEBUG=2):`. Overrides nest; pop restores
// everything pushed after the token. Call from the main thread only.
int  env_push(const char *name, const char *value);   // returns a token for env_pop
int  env_push_int(const char *name, int64_t value);
void env_pop(int token);

// DEBUG is read on hot paths, so its value is kept in a variable refreshed on every push/pop.
extern int tg_debug_level_;
static inline int tg_debug(void) { return tg_debug_level_; }
void env_init(void);     // reads DEBUG once; called lazily by the getters
#endif
