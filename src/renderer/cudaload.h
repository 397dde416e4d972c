// CUDA: four scalar loads of consecutive 4-byte elements become one 16-byte load (LDG.128)
#ifndef TG_CUDALOAD_H
#define TG_CUDALOAD_H
#include "codegen/program.h"

/* An unrolled or upcast loop reads buf[b], buf[b+1], buf[b+2], buf[b+3] as four LOADs (a matmul's A along the
 * unrolled k, B along a thread's 4 columns). When b is provably a multiple of 4 (device buffers start 256-byte
 * aligned), they are one float4 load: a quarter of the load instructions, which bound the fp32 matmul.
 * For each position i of p->lin: lead[i] = the position of its group's first LOAD (where the vector load is
 * rendered) and lane[i] = its element, or lead[i] = -1 when the load stays scalar. Groups form only from ungated
 * LOADs of a global 4-byte buffer within one straight-line stretch of the list (no RANGE, END, IF, ENDIF, STORE or
 * BARRIER between the first and last member). Returns the number of groups. */
int cuda_load_groups(const Program *p, int *lead, int *lane);
#endif
