# PyTorch CPU peer of `tg train fashion-mnist`: the beautiful_mnist CNN, Adam, batch 512, the same learning-rate
# schedule (cosine from LR to 0 over STEPS, or constant), test accuracy every EVERY steps. Prints the median step
# and the training time (evaluations excluded) at which the test accuracy first reached 90%.
# usage: STEPS=420 LR=2e-3 SCHED=cosine EVERY=30 /usr/bin/python3 bench/peer_torch_fmnist.py
import gzip, math, os, time, numpy as np, torch, torch.nn as nn
D = "/usr/share/datasets/fashion-mnist/"
def idx(f, off): return np.frombuffer(gzip.open(D + f).read(), np.uint8, offset=off)
Xtr = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
Ytr = idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64)
Xte = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
Yte = idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64)
STEPS, LR, SCHED, EVERY = int(os.getenv("STEPS", "420")), float(os.getenv("LR", "2e-3")), os.getenv("SCHED", "cosine"), int(os.getenv("EVERY", "30"))
BS, rng = 512, np.random.default_rng(int(os.getenv("SEED", "0")))
torch.manual_seed(int(os.getenv("SEED", "0"))); torch.set_num_threads(os.cpu_count())
m = nn.Sequential(nn.Conv2d(1, 32, 5), nn.ReLU(), nn.Conv2d(32, 32, 5), nn.ReLU(), nn.BatchNorm2d(32), nn.MaxPool2d(2),
                  nn.Conv2d(32, 64, 3), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.BatchNorm2d(64), nn.MaxPool2d(2),
                  nn.Flatten(), nn.Linear(576, 10))
opt = torch.optim.Adam(m.parameters(), LR)
def lr_at(i): return LR * 0.5 * (1 + math.cos(math.pi * i / STEPS)) if SCHED == "cosine" else LR
def acc():
  m.eval()
  with torch.no_grad(): r = (m(torch.from_numpy(Xte)).argmax(1).numpy() == Yte).mean()
  m.train(); return r
times, reached, train_s = [], None, 0.0
for i in range(STEPS):
  for g in opt.param_groups: g["lr"] = lr_at(i)
  s = rng.integers(0, len(Xtr), BS); t = time.perf_counter()
  opt.zero_grad(); loss = nn.functional.cross_entropy(m(torch.from_numpy(Xtr[s])), torch.from_numpy(Ytr[s])); loss.backward(); opt.step()
  l = loss.item(); times.append(time.perf_counter() - t); train_s += times[-1]
  if EVERY and ((i + 1) % EVERY == 0 or i + 1 == STEPS):
    a = acc(); print(f"step {i+1}: test accuracy {100*a:.2f}% after {train_s:.1f} s of training", flush=True)
    if reached is None and a >= 0.90: reached = train_s
print(f"torch: median step {1e3*np.median(times[3:]):.1f} ms, {STEPS} steps, loss {l:.3f}, test accuracy {100*acc():.2f}%, "
      f"time to 90%: {'%.1f s' % reached if reached is not None else 'not reached'}")
