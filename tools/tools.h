// The tg command line's subcommands
#ifndef TG_TOOLS_H
#define TG_TOOLS_H
int tg_cmd_train(int argc, char **argv);   // tg train fashion-mnist [--steps N] [--batch B] [--out file]
int tg_cmd_eval(int argc, char **argv);    // tg eval <checkpoint>
#endif
