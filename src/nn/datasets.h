// Datasets: IDX files (MNIST's format, gzip or plain) and Fashion-MNIST from its Debian package
#ifndef TG_NN_DATASETS_H
#define TG_NN_DATASETS_H
#include "tinygrad.h"

#define IO_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"   // Debian's dataset-fashion-mnist
#define IO_IDX_MAX_BYTES (1ull << 36)                               // refuse IDX payloads over 64 GiB

// the four Fashion-MNIST files, in tg_fashion_mnist's output order (each as NAME.gz, or plain NAME)
extern const char *const io_fashion_mnist_files[4];

// tg_idx_load on an open file (gzip or plain) from its current offset; `path` labels the messages
tg_tensor *io_idx_read_fd(int fd, const char *path);
#endif
