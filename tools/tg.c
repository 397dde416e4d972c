// tg: the command line (tg train | eval | version; llm, serve, onnx, bench and viz arrive with their issues)
#include "tools.h"
#include "tinygrad.h"
#include <stdio.h>
#include <string.h>

static int usage(FILE *f) {
  fprintf(f, "usage: tg <command>\n"
             "  train fashion-mnist [--steps N] [--batch B] [--out ckpt]   train the beautiful_mnist CNN (Adam)\n"
             "        [--lr 2e-3] [--schedule cosine|constant] [--eval-every N] [--min-accuracy A]\n"
             "  eval <ckpt.safetensors>                                    test accuracy of a checkpoint\n"
             "  version                                                    print the version\n"
             "  help                                                       this text\n");
  return f == stderr ? 2 : 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage(stderr);
  const char *cmd = argv[1];
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) { printf("tinygrad.c %s\n", TG_VERSION); return 0; }
  if (!strcmp(cmd, "help") || !strcmp(cmd, "--help")) return usage(stdout);
  if (!strcmp(cmd, "train")) {
    if (argc < 3 || strcmp(argv[2], "fashion-mnist")) { fprintf(stderr, "tg train: only 'fashion-mnist' is known\n"); return 2; }
    return tg_cmd_train(argc - 2, argv + 2);
  }
  if (!strcmp(cmd, "eval")) return tg_cmd_eval(argc - 2, argv + 2);
  fprintf(stderr, "tg: unknown command '%s'\n", cmd);
  return usage(stderr);
}
