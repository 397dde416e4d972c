// Progress bar: one tqdm-style line on stderr, redrawn in place
#include "base/progress.h"
#include "base/env.h"
#include <stdio.h>
#include <unistd.h>

static char line[512];

static bool tty(void) {
  static int is = -1;
  if (is < 0) is = isatty(STDERR_FILENO);
  return is;
}

void progress_draw(const char *label, int64_t done, int64_t total, double elapsed_s, const char *extra) {
  enum { W = 24 };
  int filled = total > 0 ? (int)(done * W / total) : W;
  char bar[W + 1];
  for (int i = 0; i < W; i++) bar[i] = i < filled ? '#' : ' ';
  bar[W] = 0;
  snprintf(line, sizeof line, "%s %3d%%|%s| %lld/%lld [%.1fs]%s%s", label, total > 0 ? (int)(100 * done / total) : 100, bar,
           (long long)done, (long long)total, elapsed_s, extra && *extra ? " " : "", extra ? extra : "");
  if (!tty()) return;
  fprintf(stderr, "\r\033[K%s", line);   // \033[K clears what a longer previous line left
  fflush(stderr);
}

void progress_end(void) {
  if (!line[0]) return;
  fprintf(stderr, tty() ? "\n" : "%s\n", line);
  line[0] = 0;
  fflush(stderr);
}

bool progress_wanted(void) { return tg_debug() >= 2 || tty(); }
