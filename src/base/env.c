// Environment settings: typed getters with scoped overrides (tinygrad's Context)
#include "base/env.h"
#include "base/error.h"
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

enum { MAX_OVERRIDES = 64 };
typedef struct { char name[48]; char value[208]; } Override;
static Override overrides[MAX_OVERRIDES];
static int n_overrides;
int tg_debug_level_;
static bool inited;

static void refresh_debug(void) { inited = true; tg_debug_level_ = (int)env_int("DEBUG", 0); }
void env_init(void) { if (!inited) refresh_debug(); }
__attribute__((constructor)) static void env_ctor(void) { refresh_debug(); }

const char *env_str(const char *name, const char *dflt) {
  for (int i = n_overrides - 1; i >= 0; i--)
    if (strcmp(overrides[i].name, name) == 0) return overrides[i].value;
  const char *v = getenv(name);
  return (v && *v) ? v : dflt;
}

int64_t env_int(const char *name, int64_t dflt) {
  const char *v = env_str(name, NULL);
  if (!v) return dflt;
  char *end;
  long long x = strtoll(v, &end, 0);
  return (end != v) ? (int64_t)x : dflt;
}

double env_float(const char *name, double dflt) {
  const char *v = env_str(name, NULL);
  if (!v) return dflt;
  char *end;
  double x = strtod(v, &end);
  return (end != v) ? x : dflt;
}

int env_push(const char *name, const char *value) {
  TG_ASSERT(n_overrides < MAX_OVERRIDES, "more than %d nested env overrides", MAX_OVERRIDES);
  TG_ASSERT(strlen(name) < sizeof overrides[0].name && strlen(value) < sizeof overrides[0].value,
            "env override %s=%s too long", name, value);
  strcpy(overrides[n_overrides].name, name);
  strcpy(overrides[n_overrides].value, value);
  int token = n_overrides++;
  refresh_debug();
  return token;
}

int env_push_int(const char *name, int64_t value) {
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", (long long)value);
  return env_push(name, buf);
}

void env_pop(int token) {
  TG_ASSERT(token >= 0 && token <= n_overrides, "env_pop(%d) with %d overrides", token, n_overrides);
  n_overrides = token;
  refresh_debug();
}
