// Bad input: each error kind returns NULL (or -1) with a one-line message naming the function and inputs
#include "testlib.h"
#include "tinygrad.h"
#include <math.h>
#include <string.h>

int main(void) {
  tg_scope_begin();
  float d[6] = { 1, 2, 3, 4, 5, 6 };
  tg_tensor *a = tg_from_data(d, TG_FLOAT32, TG_SHAPE(2, 3)), *b = tg_from_data(d, TG_FLOAT32, TG_SHAPE(3, 2));
  CHECK(a && b);
  expect_err("broadcast", tg_add(a, b) == NULL, "tg_add: shapes (2, 3) and (3, 2) do not broadcast");
  expect_err("matmul inner", tg_matmul(a, a) == NULL, "tg_matmul: shapes (2, 3) and (2, 3)");
  expect_err("reshape numel", tg_reshape(a, TG_SHAPE(4, 2)) == NULL, "tg_reshape: cannot reshape 6 elements to (4, 2)");
  expect_err("reshape two -1", tg_reshape(a, TG_SHAPE(-1, -1)) == NULL, "only one dimension can be -1");
  expect_err("axis", tg_sum(a, (int[]){ 2 }, 1, false) == NULL, "tg_sum: axis 2 out of range for shape (2, 3)");
  expect_err("softmax axis", tg_softmax(a, -3) == NULL, "tg_softmax: axis -3 out of range");
  expect_err("permute", tg_permute(a, (int[]){ 0, 0 }, 2) == NULL, "tg_permute");
  expect_err("expand", tg_expand(a, TG_SHAPE(4, 3)) == NULL, "tg_expand: can only expand dims of size 1");
  expect_err("shrink", tg_shrink(a, (int64_t[]){ 0, 3, 0, 1 }, 4) == NULL, "tg_shrink: range out of bounds");
  expect_err("slice step", tg_slice(a, 0, 0, 2, 0) == NULL, "slice step cannot be zero");
  expect_err("cast dtype", tg_cast(a, (tg_dtype)99) == NULL, "tg_cast: invalid dtype 99");
  expect_err("from_data dtype", tg_from_data(d, (tg_dtype)-1, TG_SHAPE(2)) == NULL, "tg_from_data: invalid dtype");
  expect_err("negative dim", tg_zeros(TG_SHAPE(2, -1), TG_FLOAT32) == NULL, "negative dimension");
  expect_err("bitwise float", tg_bitwise_and(a, a) == NULL, "tg_bitwise_and: needs integer or bool tensors, got float32");
  expect_err("bitcast size", tg_bitcast(a, TG_INT16) == NULL, "tg_bitcast: float32 and int16 differ in size");
  tg_tensor *u64 = tg_zeros(TG_SHAPE(2), TG_UINT64), *i64 = tg_zeros(TG_SHAPE(2), TG_INT64);
  expect_err("promotion", tg_add(u64, i64) == NULL, "tg_add: no common dtype for uint64 and int64");
  expect_err("unknown device", tg_to(a, "FOO") == NULL, "unknown device 'FOO'");
  expect_err("missing backend", tg_to(a, "CL") == NULL, "CL backend is not built yet");
  float out[4];
  expect_err("data size", tg_data(a, out, sizeof out) != 0, "tg_data: destination has 16 bytes, tensor (2, 3) float32 needs 24");
  expect_err("item", isnan(tg_item(a)), "tg_item: tensor of shape (2, 3) has 6 elements, expected 1");
  tg_tensor *w = tg_zeros(TG_SHAPE(4, 5, 3, 3), TG_FLOAT32), *x = tg_zeros(TG_SHAPE(1, 2, 8, 8), TG_FLOAT32);
  expect_err("conv channels", tg_conv2d(x, w, NULL, 1, NULL, NULL, NULL) == NULL, "tg_conv2d: input (1, 2, 8, 8) and weight (4, 5, 3, 3)");
  expect_err("pool too big", tg_max_pool2d(x, (int[]){ 9, 9 }, NULL, NULL) == NULL, "tg_max_pool2d: input (1, 2, 8, 8) is smaller than the kernel");
  tg_tensor *parts[2] = { a, b };
  expect_err("cat", tg_cat(parts, 2, 0) == NULL, "tg_cat: shapes (2, 3) and (3, 2) differ outside axis 0");
  expect_err("cross entropy", tg_cross_entropy(a, a, 0) == NULL, "tg_cross_entropy: needs logits (N, C) and integer targets");
  // NULL propagation keeps the first message
  tg_tensor *bad = tg_add(a, b);
  tg_tensor *chain = tg_relu(tg_mul_s(tg_exp(bad), 2));
  expect_err("chain", chain == NULL, "tg_add: shapes (2, 3) and (3, 2) do not broadcast");
  expect_err("realize NULL", tg_realize(NULL) == NULL, "NULL");
  // nothing was lost: the inputs still work
  CHECK(tg_data(a, d, sizeof d) == 0 && d[5] == 6, "inputs intact after errors: %s", tg_error() ? tg_error() : "");
  tg_scope_end();
  return test_finish("test_errors");
}
