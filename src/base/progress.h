// Progress bar: one tqdm-style line on stderr, redrawn in place (training, loading, BEAM search)
#ifndef TG_PROGRESS_H
#define TG_PROGRESS_H
#include <stdbool.h>
#include <stdint.h>

// Draws "label  42%|##########              | 21/50 [1.3s] extra" over the previous line.
void progress_draw(const char *label, int64_t done, int64_t total, double elapsed_s, const char *extra);
// Ends the line. Off a terminal (a log file) only this last state is written, once.
void progress_end(void);
// Whether to show a bar: stderr is a terminal, or DEBUG >= 2.
bool progress_wanted(void);
#endif
