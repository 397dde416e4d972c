#!/usr/bin/python3
# Reference side of test_autograd's torch comparison: reads the inputs (whitespace-separated float64 values,
# in the order below) from the file named by argv[1], computes the same losses with PyTorch and prints every
# gradient, one value per line, in the order test_autograd.c reads them.
import math, sys

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print(f"autograd_ref.py: cannot import torch ({e}); install python3-torch", file=sys.stderr)
    sys.exit(2)

torch.set_num_threads(1)
vals = [float(v) for v in open(sys.argv[1]).read().split()]
pos = 0
def take(*shape):
    global pos
    n = math.prod(shape)
    t = torch.tensor(vals[pos:pos + n], dtype=torch.float64).reshape(shape).requires_grad_(True)
    pos += n
    return t
def out(*ts):
    for t in ts:
        for v in t.grad.reshape(-1).tolist(): print(repr(v))

# conv2d with stride, padding, dilation and groups
x, w, b = take(1, 4, 5, 4), take(4, 2, 2, 3), take(4)
F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2).sin().sum().backward()
out(x, w, b)
# cross entropy with label smoothing
lg = take(4, 5)
F.cross_entropy(lg, torch.tensor([1, 4, 0, 1]), label_smoothing=0.1).backward()
out(lg)
# max_pool2d with padding, and avg_pool2d (count_include_pad)
p = take(1, 2, 5, 6)
(F.max_pool2d(p, (3, 2), (1, 2), (1, 1)).sin().sum() + F.avg_pool2d(p, (2, 3), (2, 1), (1, 1)).cos().sum()).backward()
out(p)
# maximum with ties (half each) and amax with ties (split evenly)
a, c, m = take(6), take(6), take(2, 4)
(torch.maximum(a, c) * torch.arange(1, 7)).sum().backward()
(torch.amax(m, 1) * torch.tensor([1.0, 2.0])).sum().backward()
out(a, c, m)
# causal attention, then layernorm
q, k, v = take(2, 3, 4), take(2, 3, 4), take(2, 3, 2)
s = q @ k.transpose(-1, -2) / math.sqrt(4)
s = s.masked_fill(torch.ones(3, 3, dtype=torch.bool).tril().logical_not(), float("-inf"))
F.layer_norm(torch.softmax(s, -1) @ v, (2,), eps=1e-5).sin().sum().backward()
out(q, k, v)
# convolutions (test_autograd's conv_losses): stride remainder, non-square, dilation, groups; padding wider than
# the kernel; depthwise; transposed; second order
x, w, b = take(2, 4, 8, 8), take(6, 2, 3, 2), take(6)
F.conv2d(x, w, b, stride=(2, 3), padding=(1, 2), dilation=(2, 1), groups=2).sin().sum().backward()
out(x, w, b)
x, w = take(1, 3, 10, 9), take(2, 3, 3, 3)
F.conv2d(x, w, stride=2, padding=4).sin().sum().backward()
out(x, w)
x, w = take(2, 4, 6, 7), take(4, 1, 2, 3)
F.conv2d(x, w, stride=(1, 2), padding=(0, 1), dilation=2, groups=4).sin().sum().backward()
out(x, w)
x, w, b = take(1, 4, 3, 4), take(4, 3, 3, 2), take(6)
F.conv_transpose2d(x, w, b, stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2, dilation=(1, 2)).sin().sum().backward()
out(x, w, b)
x, w = take(1, 4, 6, 6), take(4, 2, 3, 2)
gx, gw = torch.autograd.grad(F.conv2d(x, w, stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2).sin().sum(), (x, w), create_graph=True)
((gx * gx).sum() + gw.sin().sum()).backward()
out(x, w)
