// Linearize: lower a kernel AST (SINK of STOREs with REDUCEs) to the flat list of program.h
#ifndef TG_LINEARIZE_H
#define TG_LINEARIZE_H
#include "codegen/program.h"

// Returns a new Program with lin, nbufs, vars, par_range and name filled in.
Program *cg_linearize(UOp *ast);
#endif
