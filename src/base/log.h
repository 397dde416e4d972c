// DEBUG-level logging to stderr
#ifndef TG_LOG_H
#define TG_LOG_H
#include "base/env.h"
#include <stdio.h>

#define LOG(level, ...) do { if (tg_debug() >= (level)) { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));   // always printed
#endif
