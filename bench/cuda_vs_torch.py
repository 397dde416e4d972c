# Peers for bench/cuda.c on the same GPU: PyTorch 4096 matmul (fp32, fp16) and the same bandwidth figures.
import torch

def best(fn, reps=5):
    fn(); torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record(); fn(); e.record(); e.synchronize()
        times.append(s.elapsed_time(e) * 1e-3)
    return min(times)

print(f"torch {torch.__version__}: {torch.cuda.get_device_name()}")
a, b = torch.rand(8192, 8192, device="cuda"), torch.rand(8192, 8192, device="cuda")
out = torch.empty_like(a)
nb = a.numel() * 4
tc = best(lambda: out.copy_(a))
te = best(lambda: torch.add(a * 2, b, out=out))
tr = best(lambda: a.sum(1))
print(f"  device-to-device copy   {tc*1e3:9.3f} ms  {2*nb/tc*1e-9:8.1f} GB/s")
print(f"  elementwise 2*a+b       {te*1e3:9.3f} ms  {3*nb/te*1e-9:8.1f} GB/s (two kernels in eager torch)")
print(f"  reduce sum(a, axis 1)   {tr*1e3:9.3f} ms  {nb/tr*1e-9:8.1f} GB/s")
for dt in (torch.float32, torch.float16):
    x, y = torch.rand(4096, 4096, device="cuda", dtype=dt), torch.rand(4096, 4096, device="cuda", dtype=dt)
    t = best(lambda: x @ y)
    print(f"  matmul 4096 {str(dt):14s} {t*1e3:9.3f} ms  {2*4096**3/t*1e-12:8.2f} TFLOP/s (TF32 {'on' if torch.backends.cuda.matmul.allow_tf32 else 'off'})")
