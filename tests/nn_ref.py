#!/usr/bin/python3
# Reference side of test_nn and test_optim: reads the named float64 arrays written by tests/nnref.h, computes
# each case with torch (numpy for what torch 1.13 lacks: RMSNorm, LAMB, Muon), writes the results by name.
# Usage: nn_ref.py IN OUT. A case runs when its inputs are present; exit 0 unless something failed.
import struct, sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print(f"nn_ref.py: cannot import torch/numpy ({e}); install python3-torch and python3-numpy", file=sys.stderr)
    sys.exit(2)
torch.set_num_threads(1)

def read(path):
    d, b = {}, open(path, "rb").read()
    assert b[:8] == b"TGNN0001", "bad magic"
    o = 8
    while o < len(b):
        (n,) = struct.unpack_from("<I", b, o); o += 4
        name = b[o:o + n].decode(); o += n
        nd = b[o]; o += 1
        shape = struct.unpack_from(f"<{nd}q", b, o); o += 8 * nd
        cnt = int(np.prod(shape)) if nd else 1
        d[name] = np.frombuffer(b, dtype="<f8", count=cnt, offset=o).reshape(shape).copy(); o += 8 * cnt
    return d

def write(path, out):
    with open(path, "wb") as f:
        f.write(b"TGNN0001")
        for name, v in out.items():
            v = np.asarray(v.detach().double().numpy() if isinstance(v, torch.Tensor) else v, dtype=np.float64)
            nb = name.encode()
            f.write(struct.pack("<I", len(nb)) + nb + struct.pack("<B", v.ndim) + struct.pack(f"<{v.ndim}q", *v.shape))
            f.write(np.ascontiguousarray(v).astype("<f8").tobytes())

d = read(sys.argv[1])
out = {}
def T(k, dt=torch.float32): return torch.tensor(d[k], dtype=dt)
def has(p): return any(k.startswith(p + ".") for k in d)
def opt(k): return T(k) if k in d else None
def cfg(p): return [float(v) for v in d[p + ".cfg"].reshape(-1)]

# ---- layers ----
for p in ["linear", "linear3"]:
    if has(p): out[p + ".out"] = F.linear(T(p + ".x"), T(p + ".w"), opt(p + ".b"))
def conv_case(p, f):
    """f(x, w, b) -> y; with <p>.r present, also the gradients of sum(y * r) as <p>.gx, <p>.gw, <p>.gb"""
    x, w, b = T(p + ".x").requires_grad_(), T(p + ".w").requires_grad_(), opt(p + ".b")
    if b is not None: b.requires_grad_()
    y = f(x, w, b)
    out[p + ".out"] = y
    if p + ".r" in d:
        (y * T(p + ".r")).sum().backward()
        out[p + ".gx"], out[p + ".gw"] = x.grad, w.grad
        if b is not None: out[p + ".gb"] = b.grad
for p in ["conv1d"]:
    if has(p):
        s, pad, dil, g = map(int, cfg(p))
        conv_case(p, lambda x, w, b: F.conv1d(x, w, b, s, pad, dil, g))
for p in ["conv2d", "conv2d_b"]:
    if has(p):
        c = list(map(int, cfg(p)))
        conv_case(p, lambda x, w, b: F.conv2d(x, w, b, c[0:2], c[2:4], c[4:6], c[6]))
for p in ["convt", "convt_b", "convt_c"]:
    if has(p):
        c = list(map(int, cfg(p)))
        conv_case(p, lambda x, w, b: F.conv_transpose2d(x, w, b, c[0:2], c[2:4], c[6:8], c[8], c[4:6]))
for p in ["bn", "bn1d"]:
    if has(p):
        eps, mom = cfg(p)
        C = d[p + ".w"].shape[0]
        rm, rv = torch.zeros(C), torch.ones(C)
        w, b = T(p + ".w"), T(p + ".b")
        out[p + ".y1"] = F.batch_norm(T(p + ".x1"), rm, rv, w, b, True, mom, eps)
        out[p + ".y2"] = F.batch_norm(T(p + ".x2"), rm, rv, w, b, True, mom, eps)
        out[p + ".rm"], out[p + ".rv"] = rm.clone(), rv.clone()
        out[p + ".y3"] = F.batch_norm(T(p + ".x3"), rm, rv, w, b, False, mom, eps)
if has("ln"):
    w = T("ln.w")
    out["ln.out"] = F.layer_norm(T("ln.x"), w.shape, w, T("ln.b"), cfg("ln")[0])
if has("gn"):
    G, eps = cfg("gn")
    out["gn.out"] = F.group_norm(T("gn.x"), int(G), T("gn.w"), T("gn.b"), eps)
if has("rms"):
    x, w, eps = d["rms.x"], d["rms.w"], cfg("rms")[0]
    out["rms.out"] = x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w
if has("emb"): out["emb.out"] = F.embedding(T("emb.idx", torch.long), T("emb.w"))
if has("lstm"):
    cell = torch.nn.LSTMCell(d["lstm.wih"].shape[1], d["lstm.whh"].shape[1])
    with torch.no_grad():
        for n in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]: getattr(cell, n).copy_(T("lstm." + n.replace("weight_", "w").replace("bias_", "b")))
        h, c = cell(T("lstm.x"), (T("lstm.h"), T("lstm.c")))
        out["lstm.h1"], out["lstm.c1"] = h, c
        h, c = cell(T("lstm.x"))
        out["lstm.h0"], out["lstm.c0"] = h, c

# ---- losses ----
if has("ce"):
    ls = cfg("ce")[0]
    out["ce.out"] = F.cross_entropy(T("ce.x"), T("ce.y", torch.long), label_smoothing=ls)
    out["ce.prob"] = F.cross_entropy(T("ce.x"), T("ce.q"), label_smoothing=ls)
for p in ["scce", "scce_n"]:
    if has(p):
        ii, ls = cfg(p)
        x, y = T(p + ".x"), T(p + ".y", torch.long)
        out[p + ".out"] = F.cross_entropy(x.permute(0, 2, 1), y, ignore_index=int(ii) if ii != -1 else -100, label_smoothing=ls)
if has("nll"):
    ii = int(cfg("nll")[0])
    lp, y = T("nll.x"), T("nll.y", torch.long)
    out["nll.out"] = F.nll_loss(lp, y, ignore_index=ii)
    out["nll.w"] = F.nll_loss(lp, y, weight=T("nll.wt"), ignore_index=ii)
if has("bce"): out["bce.out"] = F.binary_cross_entropy(T("bce.p"), T("bce.y"))
if has("bcel"):
    out["bcel.out"] = F.binary_cross_entropy_with_logits(T("bcel.x"), T("bcel.y"))
    out["bcel.pw"] = F.binary_cross_entropy_with_logits(T("bcel.x"), T("bcel.y"), pos_weight=T("bcel.pwt"))
if has("mse"): out["mse.out"] = F.mse_loss(T("mse.x"), T("mse.y"))
if has("l1"): out["l1.out"] = F.l1_loss(T("l1.x"), T("l1.y"))

# ---- optimizers: kind 0 SGD, 1 Adam, 2 AdamW (torch), 3 LAMB, 4 Muon (numpy, following tinygrad's optim.py) ----
def newton_schulz(G, steps, coef=(3.4445, -4.775, 2.0315), eps=1e-7):
    if G.shape[-2] > G.shape[-1]: return newton_schulz(G.T, steps, coef, eps).T
    G = G / (np.sqrt((G * G).sum()) + eps)
    for _ in range(steps):
        A = G @ G.T
        G = coef[0] * G + coef[1] * (A @ G) + coef[2] * (A @ (A @ G))
    return G

def numpy_opt(kind, hp, ps, gs, lrs):
    ps = [p.copy() for p in ps]
    st = [np.zeros_like(p) for p in ps], [np.zeros_like(p) for p in ps]
    traj = []
    for k, lr in enumerate(lrs):
        t = k + 1
        for i, (p, g) in enumerate(zip(ps, gs)):
            if kind == 3:
                b1, b2, eps, wd = hp
                m, v = st[0][i], st[1][i]
                m[...] = b1 * m + (1 - b1) * g
                v[...] = b2 * v + (1 - b2) * g * g
                up = (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps) + wd * p
                r1, r2 = np.sqrt((p * p).sum()), np.sqrt((up * up).sum())
                r = (r1 / r2 if r2 > 0 else 1.0) if r1 > 0 else 1.0
                ps[i] = p - lr * r * up
            else:
                mom, wd, ns, nesterov = hp
                b = st[0][i]
                b[...] = mom * b + g
                u = g + mom * b if nesterov else b
                u = newton_schulz(u.reshape(u.shape[0] if u.ndim else 1, -1), int(ns)).reshape(p.shape)
                ps[i] = p * (1 - lr * wd) - lr * u
        traj.append([p.copy() for p in ps])
    return traj

names = sorted({k.split(".")[0] for k in d if k.endswith(".kind")})
for name in names:
    kind, hp, lrs = int(d[name + ".kind"].reshape(-1)[0]), [float(v) for v in d[name + ".hp"]], [float(v) for v in d[name + ".lr"]]
    n = sum(1 for k in d if k.startswith(name + ".p"))
    ps0, gs = [d[f"{name}.p{i}"] for i in range(n)], [d[f"{name}.g{i}"] for i in range(n)]
    if kind <= 2:
        ps = [torch.tensor(p, dtype=torch.float32, requires_grad=True) for p in ps0]
        if kind == 0: o = torch.optim.SGD(ps, lr=lrs[0], momentum=hp[0], weight_decay=hp[1], nesterov=bool(hp[2]))
        elif kind == 1: o = torch.optim.Adam(ps, lr=lrs[0], betas=(hp[0], hp[1]), eps=hp[2])
        else: o = torch.optim.AdamW(ps, lr=lrs[0], betas=(hp[0], hp[1]), eps=hp[2], weight_decay=hp[3])
        for k, lr in enumerate(lrs):
            for g in o.param_groups: g["lr"] = lr
            for p, g in zip(ps, gs): p.grad = torch.tensor(g, dtype=torch.float32)
            o.step()
            for i, p in enumerate(ps): out[f"{name}.p{i}.s{k}"] = p.detach().clone()
    else:
        for k, step in enumerate(numpy_opt(kind, hp, ps0, gs, lrs)):
            for i, p in enumerate(step): out[f"{name}.p{i}.s{k}"] = p

write(sys.argv[2], out)
