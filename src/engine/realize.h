// Realize: run a schedule (codegen + compile with a kernel cache, then launch), and DEBUG reporting
#ifndef TG_REALIZE_H
#define TG_REALIZE_H
#include "schedule/schedule.h"

int eng_run(Schedule *s);                        // 0, or -1 with tg_error set
Program *eng_get_program(Device *dev, UOp *ast); // cached codegen + compile; NULL on error
void eng_cache_clear(void);

// counters for tests and DEBUG (kernels launched, copies, programs compiled)
typedef struct EngStats { int64_t kernels, copies, compiles; double kernel_s; } EngStats;
extern EngStats eng_stats;
extern bool eng_time_kernels;    // sum each kernel's wall time into eng_stats.kernel_s (benchmarks)
#endif
