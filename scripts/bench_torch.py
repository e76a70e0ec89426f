"""PyTorch eager on the same GPU, for scripts/gpu-check's side-by-side ratios.

torchvision resnet50 with random weights, float32, eval mode, cudnn.benchmark on and TF32 off (the settings
gapnet's float32 numbers are compared under), one random input per batch size on the device. Prints one line
per batch size, which gpu-check parses:

    torch resnet50 b32 fp32: 2513.4 images/s, median 12.732 ms, p90 12.801 ms, 20 runs

With --tf32, TF32 tensor cores are allowed in cuBLAS and cuDNN instead (torch.backends.*.allow_tf32), and the
lines say tf32 where they say fp32 (gapnet's -Dgapnet.cuda.tf32=true is the same setting).

usage: python3 scripts/bench_torch.py [--batches 1,32,128,256] [--iters 20] [--warmup 5] [--model resnet50] [--tf32]
"""
import argparse
import statistics
import sys
import time

import torch
import torchvision


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batches", default="1,32,128,256")
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--model", default="resnet50")
    p.add_argument("--tf32", action="store_true")
    a = p.parse_args()
    if not torch.cuda.is_available():
        print("torch: no CUDA device", file=sys.stderr)
        return 2
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.allow_tf32 = a.tf32
    mode = "tf32" if a.tf32 else "fp32"
    dev = torch.device("cuda")
    model = getattr(torchvision.models, a.model)(weights=None).eval().to(dev)
    print(f"torch {torch.__version__}, cuda {torch.version.cuda}, cudnn {torch.backends.cudnn.version()}, "
          f"{torch.cuda.get_device_name(0)}", flush=True)
    for n in [int(b) for b in a.batches.split(",") if b]:
        x = torch.randn(n, 3, 224, 224, device=dev)
        with torch.inference_mode():
            for _ in range(a.warmup):
                model(x)
            torch.cuda.synchronize()
            ms = []
            for _ in range(a.iters):
                t0 = time.perf_counter()
                model(x)
                torch.cuda.synchronize()
                ms.append((time.perf_counter() - t0) * 1e3)
        ms.sort()
        median = statistics.median(ms)
        p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
        print(f"torch {a.model} b{n} {mode}: {n * 1e3 / median:.1f} images/s, median {median:.3f} ms, p90 {p90:.3f} ms, "
              f"{len(ms)} runs", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
