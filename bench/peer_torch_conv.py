# PyTorch CPU (2 threads) on the training network's convolutions: forward, and backward (forward + dx + dw)
import sys, time, torch
B = int(sys.argv[1]) if len(sys.argv) > 1 else 512
torch.set_num_threads(2)
for cin, cout, hw, k in [(1, 32, 28, 5), (32, 32, 24, 5), (32, 64, 10, 3), (64, 64, 8, 3)]:
  o = hw - k + 1
  x = torch.rand(B, cin, hw, hw, requires_grad=True); w = torch.rand(cout, cin, k, k, requires_grad=True); g = torch.rand(B, cout, o, o)
  flop = 2.0 * B * cout * cin * o * o * k * k
  def fwd():
    with torch.no_grad(): torch.nn.functional.conv2d(x, w)
  def bwd():
    (torch.nn.functional.conv2d(x, w) * g).sum().backward()
  res = []
  for fn in (fwd, bwd):
    best = 1e9
    for _ in range(3):
      t = time.perf_counter(); fn(); best = min(best, time.perf_counter() - t)
    res.append(best)
  print(f"torch conv {cin:2d}->{cout:2d} {k}x{k} on {hw}x{hw}, batch {B}: forward {res[0]*1e3:8.2f} ms {flop/res[0]*1e-9:6.1f} GFLOP/s   backward (forward + dx + dw) {res[1]*1e3:8.2f} ms {3*flop/res[1]*1e-9:6.1f} GFLOP/s")
