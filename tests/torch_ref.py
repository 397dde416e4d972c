#!/usr/bin/python3
# Reference side of test_ops_torch: recomputes every case written by tests/test_ops_torch.c with PyTorch
# (numpy for the dtypes torch 1.13 lacks: uint16/32/64) and compares. Exit 0 when every case matches.
#
# Case file (little endian): "TGOPS001", then per case: name, device, params (f64[]), inputs (each a
# tensor plus a JSON list of view ops applied before the op), status (0: an output tensor follows,
# 1: tinygrad reported an error, whose message follows). A tensor is u8 dtype (tg_dtype), u8 ndim,
# i64 shape[ndim], raw row-major bytes.
import json, math, struct, sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:   # the C test reports this as a failure: CI installs python3-torch
    print(f"torch_ref.py: cannot import torch/numpy ({e}); install python3-torch and python3-numpy", file=sys.stderr)
    sys.exit(2)

torch.set_num_threads(1)
NAMES = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float16", "bfloat16", "float32", "float64"]
NP = [np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64, np.float16, np.uint16, np.float32, np.float64]
TORCH = [torch.bool, torch.int8, torch.uint8, torch.int16, None, torch.int32, None, torch.int64, None, torch.float16, torch.bfloat16, torch.float32, torch.float64]
TNAME = {t: NAMES[i] for i, t in enumerate(TORCH) if t is not None}
NONE = 1e300          # "None" in slice parameters

# ---- reading ----
class Reader:
    def __init__(self, b): self.b, self.o = b, 0
    def take(self, n):
        v = self.b[self.o:self.o + n]; self.o += n
        if len(v) != n: raise EOFError
        return v
    def u32(self): return struct.unpack("<I", self.take(4))[0]
    def i32(self): return struct.unpack("<i", self.take(4))[0]
    def str(self): return self.take(self.u32()).decode()
    def tensor(self):
        dt, nd = struct.unpack("<BB", self.take(2))
        shape = struct.unpack(f"<{nd}q", self.take(8 * nd))
        n = math.prod(shape)
        arr = np.frombuffer(self.take(n * np.dtype(NP[dt]).itemsize), dtype=NP[dt]).reshape(shape).copy()
        return dt, arr

def to_torch(dt, arr):
    if TORCH[dt] is None: return arr                  # numpy stands in for uint16/32/64
    if dt == 10: return torch.from_numpy(arr.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(arr)

def as_result(v):
    """(dtype name, numpy array) for a torch tensor or numpy array; bfloat16 becomes float32 values"""
    if isinstance(v, torch.Tensor):
        name = TNAME[v.dtype]
        return name, (v.float() if v.dtype == torch.bfloat16 else v).contiguous().numpy()
    if isinstance(v, np.ndarray): return np.dtype(v.dtype).name, v
    raise TypeError(type(v))

# ---- views applied to inputs before the op (python slicing semantics) ----
def pyslice(x, axis, start, stop, step):
    n = x.shape[axis]
    idx = list(range(n))[slice(None if start == NONE else int(start), None if stop == NONE else int(stop), int(step))]
    return torch.index_select(x, axis, torch.tensor(idx, dtype=torch.long))

def apply_views(x, views):
    for v in views:
        if v[0] == "permute": x = x.permute(*v[1:])
        elif v[0] == "slice": x = pyslice(x, *v[1:])
        elif v[0] == "transpose": x = x.transpose(v[1], v[2])
        elif v[0] == "flip": x = x.flip(v[1:])
        elif v[0] == "expand": x = x.expand(*v[1:])
        else: raise ValueError(v)
    return x

# ---- references: name -> f(xs, p) ----
def I(v): return int(v)
def scalar(v): return int(v) if math.isfinite(v) and v == math.floor(v) else v   # tinygrad.c: integral doubles are ints
def axes_of(p, k):  # p[k] = naxes, then the axes; naxes 0 = all
    n = I(p[k]); return [I(a) for a in p[k + 1:k + 1 + n]]
def red(f, x, p):   # p = keepdim, naxes, axes...
    ax = axes_of(p, 1)
    return f(x, dim=ax, keepdim=bool(p[0])) if ax else f(x, dim=list(range(x.dim())), keepdim=bool(p[0])) if x.dim() else f(x)
def shape_of(p, k): n = I(p[k]); return [I(d) for d in p[k + 1:k + 1 + n]]
def tdt(v): return TORCH[I(v)]

def sign_ref(x):   # tinygrad (and numpy) propagate NaN through sign; torch.sign(nan) is 0 (pytorch#41245)
    s = torch.sign(x)
    return torch.where(torch.isnan(x), x, s) if x.is_floating_point() else s

def cast_ref(x, dt):
    if isinstance(x, torch.Tensor) and TORCH[dt] is not None: return x.to(TORCH[dt])
    a = x.float().numpy() if isinstance(x, torch.Tensor) and x.dtype == torch.bfloat16 else (x.numpy() if isinstance(x, torch.Tensor) else x)
    if dt == 10: return torch.from_numpy(a.astype(np.float32)).to(torch.bfloat16)
    if dt == 0: return a != 0
    return a.astype(NP[dt])

def bitcast_ref(x, dt):
    a = x.view(torch.int16).numpy() if isinstance(x, torch.Tensor) and x.dtype == torch.bfloat16 else (x.numpy() if isinstance(x, torch.Tensor) else x)
    b = a.view(NP[dt])
    return to_torch(dt, b.copy())

def promoted(xs):   # torch 1.13's matmul does not promote; tinygrad does (as elementwise ops)
    dt = torch.result_type(xs[0], xs[1]); return [x.to(dt) for x in xs]
def arange_ref(p):   # a range whose step points away from stop is empty (numpy, tinygrad); torch 1.13 raises
    start, stop, step = scalar(p[0]), scalar(p[1]), scalar(p[2])
    if (stop - start) * step <= 0: return torch.zeros(0, dtype=tdt(p[3]))
    return torch.arange(start, stop, step, dtype=tdt(p[3]))
def floordiv(a, b): return torch.div(a, b, rounding_mode="floor")

def layernorm_ref(x, axis, eps):
    if axis in (-1, x.dim() - 1): return F.layer_norm(x, x.shape[-1:], eps=eps)
    m = x.mean(axis, keepdim=True); v = ((x - m) ** 2).mean(axis, keepdim=True)
    return (x - m) / torch.sqrt(v + eps)

def sdpa_ref(q, k, v, mask, causal):   # torch 1.13 has no F.scaled_dot_product_attention
    s = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if causal: s = s.masked_fill(~torch.ones(s.shape[-2], s.shape[-1], dtype=torch.bool).tril(), -math.inf)
    if mask is not None: s = s.masked_fill(~mask, -math.inf) if mask.dtype == torch.bool else s + mask
    return torch.softmax(s, -1) @ v

def pool_args(p): k = (I(p[0]), I(p[1])); s = (I(p[3]), I(p[4])) if p[2] else None; return k, s, (I(p[5]), I(p[6]))
def pool_ref(f, x, p):
    k, s, pd = pool_args(p)
    return f(x, k, s, pd) if f is F.max_pool2d else f(x, k, s, pd, count_include_pad=True)

def split_ref(x, p): return torch.split(x, I(p[0]), I(p[1]))[I(p[2])]
def chunk_ref(x, p): return torch.chunk(x, I(p[0]), I(p[1]))[I(p[2])]
def linspace_ref(p):
    dt = tdt(p[3])
    if not dt.is_floating_point: return torch.linspace(p[0], p[1], I(p[2]), dtype=torch.float64).to(dt)
    return torch.linspace(p[0], p[1], I(p[2]), dtype=dt if dt != torch.float16 else torch.float32).to(dt)

UNARY = {
    "neg": torch.neg, "reciprocal": torch.reciprocal, "sqrt": torch.sqrt, "rsqrt": torch.rsqrt, "exp": torch.exp,
    "exp2": torch.exp2, "log": torch.log, "log2": torch.log2, "sin": torch.sin, "cos": torch.cos, "tan": torch.tan,
    "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "gelu": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu, "abs": torch.abs, "sign": sign_ref, "floor": torch.floor, "ceil": torch.ceil, "round": torch.round,
    "trunc": torch.trunc, "square": torch.square, "erf": torch.erf, "isnan": torch.isnan, "isinf": torch.isinf,
    "logical_not": torch.logical_not, "softplus": F.softplus, "elu": F.elu, "hardswish": F.hardswish, "mish": F.mish,
    "relu6": F.relu6, "hardsigmoid": F.hardsigmoid, "hardtanh": F.hardtanh,
}
BINARY = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "mod": torch.remainder, "pow": torch.pow,
    "maximum": torch.maximum, "minimum": torch.minimum, "eq": torch.eq, "ne": torch.ne, "lt": torch.lt, "le": torch.le,
    "gt": torch.gt, "ge": torch.ge, "bitwise_and": torch.bitwise_and, "bitwise_or": torch.bitwise_or,
    "bitwise_xor": torch.bitwise_xor, "lshift": lambda a, b: a << b, "rshift": lambda a, b: a >> b, "idiv": floordiv,
}
REF = {}
for n, f in UNARY.items(): REF[n] = (lambda f: lambda x, p: f(x[0]))(f)
for n, f in BINARY.items():
    REF[n] = (lambda f: lambda x, p: f(x[0], x[1]))(f)
    REF[n + "_s"] = (lambda f: lambda x, p: f(x[0], scalar(p[0])))(f)
for n in ("maximum", "minimum"):   # these take no python scalar: a 0-d tensor promotes the same way
    REF[n + "_s"] = (lambda f: lambda x, p: f(x[0], torch.tensor(scalar(p[0]))))(BINARY[n])
REF.update({
    "rsub_s": lambda x, p: scalar(p[0]) - x[0], "rdiv_s": lambda x, p: scalar(p[0]) / x[0],
    "where": lambda x, p: torch.where(x[0], x[1], x[2]), "where_s": lambda x, p: torch.where(x[0], scalar(p[0]), scalar(p[1])),
    "clamp": lambda x, p: torch.clamp(x[0], scalar(p[0]), scalar(p[1])),
    "leaky_relu": lambda x, p: F.leaky_relu(x[0], p[0]),
    "promote_types": lambda x, p: torch.tensor(NAMES.index(TNAME[torch.promote_types(tdt(p[0]), tdt(p[1]))]), dtype=torch.int32),
    "cast": lambda x, p: cast_ref(x[0], I(p[0])), "bitcast": lambda x, p: bitcast_ref(x[0], I(p[0])),
    "from_data": lambda x, p: x[0], "contiguous": lambda x, p: x[0],
    "full": lambda x, p: torch.full(shape_of(p, 2), scalar(p[1]), dtype=tdt(p[0])),
    "zeros": lambda x, p: torch.zeros(shape_of(p, 1), dtype=tdt(p[0])), "ones": lambda x, p: torch.ones(shape_of(p, 1), dtype=tdt(p[0])),
    "full_like": lambda x, p: torch.full_like(x[0], scalar(p[0])), "zeros_like": lambda x, p: torch.zeros_like(x[0]),
    "ones_like": lambda x, p: torch.ones_like(x[0]),
    "arange": lambda x, p: arange_ref(p),
    "linspace": lambda x, p: linspace_ref(p), "eye": lambda x, p: torch.eye(I(p[0]), dtype=tdt(p[1])),
    "reshape": lambda x, p: x[0].reshape(shape_of(p, 0)), "permute": lambda x, p: x[0].permute(*shape_of(p, 0)),
    "expand": lambda x, p: x[0].expand(*shape_of(p, 0)),
    "pad": lambda x, p: F.pad(x[0], [I(v) for pair in reversed(list(zip(p[2::2], p[3::2]))) for v in pair], value=scalar(p[0])),
    "shrink": lambda x, p: x[0][tuple(slice(I(p[1 + 2 * i]), I(p[2 + 2 * i])) for i in range(I(p[0]) // 2))],
    "flip": lambda x, p: x[0].flip(shape_of(p, 0)), "slice": lambda x, p: pyslice(x[0], I(p[0]), p[1], p[2], p[3]),
    "transpose": lambda x, p: x[0].transpose(I(p[0]), I(p[1])), "flatten": lambda x, p: x[0].flatten(I(p[0]), I(p[1])),
    "squeeze": lambda x, p: x[0].squeeze(I(p[0])), "unsqueeze": lambda x, p: x[0].unsqueeze(I(p[0])),
    "cat": lambda x, p: torch.cat(x, I(p[0])), "stack": lambda x, p: torch.stack(x, I(p[0])),
    "split": lambda x, p: split_ref(x[0], p), "chunk": lambda x, p: chunk_ref(x[0], p),
    "repeat": lambda x, p: x[0].repeat(*shape_of(p, 0)), "gather": lambda x, p: torch.gather(x[0], I(p[0]), x[1].long()),
    "one_hot": lambda x, p: F.one_hot(x[0].long(), I(p[0])),
    "sum": lambda x, p: red(torch.sum, x[0], p), "prod": lambda x, p: prod_ref(x[0], p),
    "max": lambda x, p: red(torch.amax, x[0], p), "min": lambda x, p: red(torch.amin, x[0], p),
    "mean": lambda x, p: red(torch.mean, x[0], p), "any": lambda x, p: anyall_ref(torch.any, x[0], p),
    "all": lambda x, p: anyall_ref(torch.all, x[0], p),
    "var": lambda x, p: torch.var(x[0], dim=axes_of(p, 2) or None, correction=I(p[1]), keepdim=bool(p[0])),
    "std": lambda x, p: torch.std(x[0], dim=axes_of(p, 2) or None, correction=I(p[1]), keepdim=bool(p[0])),
    "argmax": lambda x, p: torch.argmax(x[0], I(p[0]), bool(p[1])), "argmin": lambda x, p: torch.argmin(x[0], I(p[0]), bool(p[1])),
    "cumsum": lambda x, p: torch.cumsum(x[0], I(p[0])), "logsumexp": lambda x, p: torch.logsumexp(x[0], I(p[0]), bool(p[1])),
    "softmax": lambda x, p: torch.softmax(x[0], I(p[0])), "log_softmax": lambda x, p: torch.log_softmax(x[0], I(p[0])),
    "matmul": lambda x, p: torch.matmul(*promoted(x)),
    "linear": lambda x, p: F.linear(x[0], x[1], x[2] if len(x) > 2 else None),
    "conv2d": lambda x, p: F.conv2d(x[0], x[1], x[2] if len(x) > 2 else None, (I(p[1]), I(p[2])), (I(p[3]), I(p[4])), (I(p[5]), I(p[6])), I(p[0])),
    "max_pool2d": lambda x, p: pool_ref(F.max_pool2d, x[0], p), "avg_pool2d": lambda x, p: pool_ref(F.avg_pool2d, x[0], p),
    "layernorm": lambda x, p: layernorm_ref(x[0], I(p[0]), p[1]),
    "sdpa": lambda x, p: sdpa_ref(x[0], x[1], x[2], x[3] if len(x) > 3 else None, bool(p[0])),
    "cross_entropy": lambda x, p: F.cross_entropy(x[0], x[1].long(), label_smoothing=p[0]),
})

def iter_red(f, x, p):   # reductions torch only has for one dim at a time (prod, any, all)
    if x.dim() == 0: return f(x)
    ax = sorted({a % x.dim() for a in axes_of(p, 1)}) or list(range(x.dim()))
    for a in reversed(ax): x = f(x, a, keepdim=True)
    return x if p[0] else x.reshape([d for i, d in enumerate(x.shape) if i not in ax])
def prod_ref(x, p): return iter_red(torch.prod, x, p)
def anyall_ref(f, x, p): return iter_red(f, x, p)

# float32 tolerances are tinygrad's (atol 1e-6, rtol 1e-3). Ops built from exp2/log2/sin or long sums get
# atol 1e-5: their results are O(1) sums of terms whose float32 rounding alone is ~1e-7 each, and values
# that should be 0 (e.g. tanh(0), softmax tails, sin(pi)) come out as ~1e-7..1e-6 of absolute error.
TRANSCENDENTAL = {"exp", "exp2", "log", "log2", "sin", "cos", "tan", "tanh", "sigmoid", "gelu", "silu", "erf", "softplus",
                  "elu", "mish", "pow", "pow_s", "logsumexp", "softmax", "log_softmax", "layernorm", "sdpa", "cross_entropy",
                  "var", "std", "mean", "sum", "matmul", "linear", "conv2d", "avg_pool2d", "cumsum", "rsqrt", "sqrt", "div",
                  "rdiv_s", "div_s", "reciprocal", "hardswish", "hardsigmoid", "prod", "linspace"}
def tolerance(op, dtname):
    base = op.split("@")[0]
    if dtname in ("float16", "bfloat16") and base in ("sin", "cos", "tan"):
        # cos(x) = sin(pi/2 - x) and tan = sin/cos round their argument to the storage precision (as tinygrad):
        # |x| ~ 20 in float16 has an ulp of 2^-6, so the result is off by ~1e-2 absolute, more near tan's poles
        return 2e-2, (2.5e-1 if base == "tan" else 2e-2)
    if dtname == "float16": return 1e-3, 5e-3      # 2^-10 eps; intermediates round to half (a few ulps)
    if dtname == "bfloat16": return 1e-2, 3e-2     # 2^-7 eps
    if base == "erf" and dtname in ("float32", "float64"): return 2e-7, 1e-3   # the approximation's own bound: 1.5e-7
    if dtname == "float64": return 1e-9, 1e-6 if base in TRANSCENDENTAL else 1e-9
    return (1e-5 if base in TRANSCENDENTAL else 1e-6), 1e-3

def compute(op, p, xs):
    f = REF[op]
    try:
        return f(xs, p)
    except RuntimeError as e:
        if "Half" not in str(e) and "BFloat16" not in str(e): raise
    # torch 1.13 lacks many float16 (and some bfloat16) CPU kernels: compute in float32, round the result back
    kinds = {x.dtype for x in xs if isinstance(x, torch.Tensor) and x.is_floating_point()}
    up = [x.float() if isinstance(x, torch.Tensor) and x.dtype in (torch.float16, torch.bfloat16) else x for x in xs]
    r = f(up, p)
    if len(kinds) == 1 and kinds <= {torch.float16, torch.bfloat16} and r.dtype == torch.float32: r = r.to(kinds.pop())
    return r

def compare(case):
    op, dev, p, ins, status, out = case
    xs = []
    for (dt, arr), views in ins:
        x = to_torch(dt, arr)
        xs.append(apply_views(x, views) if views else x)
    try:
        want = compute(op.split("@")[0], p, xs)
    except Exception as e:   # torch rejects the input: tinygrad must have reported an error too
        if status == 1: return None
        return f"torch raised {type(e).__name__}: {str(e).splitlines()[0][:150]}, tinygrad returned a value"
    if status == 1: return f"tinygrad error: {out}"
    wname, w = as_result(want)
    gdt, g = out
    gname = NAMES[gdt]
    if gdt == 10: g = torch.from_numpy(g.view(np.int16)).view(torch.bfloat16).float().numpy()
    if gname != wname: return f"dtype {gname}, torch gives {wname}"
    if tuple(g.shape) != tuple(w.shape): return f"shape {tuple(g.shape)}, torch gives {tuple(w.shape)}"
    if g.size == 0: return None
    if gname in ("bool",) or "int" in gname:
        bad = g != w
        if not bad.any(): return None
        i = np.argwhere(bad)[0]
        return f"{int(bad.sum())} of {g.size} differ; first at {tuple(i)}: got {g[tuple(i)]} want {w[tuple(i)]}"
    g64, w64 = g.astype(np.float64), w.astype(np.float64)
    atol, rtol = tolerance(op, gname)
    gn, wn = np.isnan(g64), np.isnan(w64)
    with np.errstate(invalid="ignore"):
        err = np.abs(g64 - w64)
        ok = (gn == wn) & (gn | (g64 == w64) | (err <= atol + rtol * np.abs(w64)))
    if ok.all(): return None
    i = tuple(np.argwhere(~ok)[0])
    maxerr = np.nanmax(np.where(gn != wn, np.inf, err))
    return f"{int((~ok).sum())} of {g.size} mismatch, max err {maxerr:.3g} (atol {atol} rtol {rtol}); first at {i}: got {g64[i]!r} want {w64[i]!r}"

def read_cases(path):
    with open(path, "rb") as f: r = Reader(f.read())
    if r.take(8) != b"TGOPS001": raise ValueError("bad case file")
    while r.o < len(r.b):
        op, dev = r.str(), r.str()
        n = r.u32(); p = list(struct.unpack(f"<{n}d", r.take(8 * n)))
        ins = []
        for _ in range(r.u32()):
            t = r.tensor(); ins.append((t, json.loads(r.str())))
        status = r.i32()
        out = r.tensor() if status == 0 else r.str()
        yield op, dev, p, ins, status, out

def describe(case):
    op, dev, p, ins, status, out = case
    shapes = ", ".join(f"{NAMES[dt]}{list(a.shape)}" + (f" views {v}" if v else "") for (dt, a), v in ins)
    ps = ", ".join(("None" if x == NONE else f"{x:g}") for x in p)
    return f"{op} on {dev} inputs [{shapes}] params [{ps}]"

def main():
    if len(sys.argv) != 2: print("usage: torch_ref.py CASEFILE", file=sys.stderr); return 2
    n = fails = 0
    for case in read_cases(sys.argv[1]):
        n += 1
        try: msg = compare(case)
        except Exception as e: msg = f"reference crashed: {type(e).__name__}: {e}"
        if msg:
            fails += 1
            print(f"FAIL {describe(case)}: {msg}")
    print(f"torch_ref.py: {n} cases, {fails} failed (torch {torch.__version__})")
    return 1 if fails or n == 0 else 0

if __name__ == "__main__":
    sys.exit(main())
