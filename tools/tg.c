// tg: the command line (tg version | tg help; train, llm, serve, onnx, bench and viz arrive with their issues)
#include "tinygrad.h"
#include <stdio.h>
#include <string.h>

static int usage(FILE *f) {
  fprintf(f, "usage: tg <command>\n"
             "  version    print the version\n"
             "  help       this text\n");
  return f == stderr ? 2 : 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage(stderr);
  if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) { printf("tinygrad.c %s\n", TG_VERSION); return 0; }
  if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) return usage(stdout);
  fprintf(stderr, "tg: unknown command '%s'\n", argv[1]);
  return usage(stderr);
}
