#!/usr/bin/env python3
"""PyTorch CUDA reference for scripts/bench/gpu-bench.sh (issue 9): the same measurements as
io.torus.launcher.bench.GpuBench, as JSON lines, on the same GPU.

    python3 scripts/bench/torch_gpu_reference.py --sgemm 1024,4096,8192 --train-mlp 64,256,1024 --train-cnn 64,256

Lines (one flat JSON object each, "kind" first):
  env     side "torch", torch version, CUDA version, device name, whether TF32 is allowed
  sgemm   n, median seconds per torch.mm(a, b) of two n x n float32 CUDA matrices, TFLOP/s
  train   model (mlp: 784-256-128-10 ReLU; cnn: LeNet-5), batch, median seconds per step, samples/s
  error   message (then exit status 3)

Same model, batch, optimiser (SGD lr 0.01, momentum 0.9), loss (cross-entropy) and synthetic data
(8 batches of standard normal inputs and uniform labels, resident on the GPU) as GpuBench. TF32 is
off for matmul and cuDNN, because Torus computes in full FP32. Timing as GpuBench's Timing: one call
sizes a sample to at least --min-sample-ms, --warmup untimed samples, then the median of --reps
samples; every call ends with torch.cuda.synchronize(), as every Torus call ends by reading a value back.
"""
import argparse
import json
import statistics
import sys
import time


def emit(kind, **fields):
    print(json.dumps(dict(kind=kind, **fields), separators=(", ", ": ")), flush=True)


def fail(message):
    emit("error", message=message)
    sys.exit(3)


try:
    import torch
except Exception as e:  # noqa: BLE001 - any import failure means "no reference"
    fail("cannot import torch with %s: %s" % (sys.executable, e))


def measure(op, warmup, reps, min_sample_ns):
    t0 = time.perf_counter_ns()
    op()
    first = max(1, time.perf_counter_ns() - t0)
    inner = max(1, -(-min_sample_ns // first))
    samples = []
    for i in range(warmup + reps):
        t0 = time.perf_counter_ns()
        for _ in range(inner):
            op()
        dt = time.perf_counter_ns() - t0
        if i >= warmup:
            samples.append(dt / inner)
    return statistics.median(samples)


class LeNet(torch.nn.Module):
    """LeNet-5 for 28x28 digits, as io.torus.launcher.jobs.LeNet (and torch_reference.py)."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = torch.nn.Conv2d(6, 16, 5)
        self.fc1 = torch.nn.Linear(400, 120)
        self.fc2 = torch.nn.Linear(120, 84)
        self.fc3 = torch.nn.Linear(84, 10)

    def forward(self, x):
        f = torch.nn.functional
        h = f.max_pool2d(f.relu(self.conv1(x)), 2)
        h = f.max_pool2d(f.relu(self.conv2(h)), 2).flatten(1)
        return self.fc3(f.relu(self.fc2(f.relu(self.fc1(h)))))


def bench_sgemm(dev, n, timing):
    g = torch.Generator(device=dev).manual_seed(n)
    a = torch.randn(n, n, device=dev, generator=g)
    b = torch.randn(n, n, device=dev, generator=g)

    def op():
        torch.mm(a, b)
        torch.cuda.synchronize(dev)

    sec = measure(op, *timing) / 1e9
    emit("sgemm", n=n, seconds=sec, tflops=2.0 * n ** 3 / sec / 1e12)


def bench_train(dev, name, batch, timing):
    torch.manual_seed(1)
    if name == "mlp":
        model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                    torch.nn.ReLU(), torch.nn.Linear(128, 10))
        shape = (batch, 784)
    else:
        model = LeNet()
        shape = (batch, 1, 28, 28)
    model = model.to(dev)
    data = [(torch.randn(*shape, device=dev), torch.randint(0, 10, (batch,), device=dev)) for _ in range(8)]
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    state = {"i": 0}

    def step():
        x, y = data[state["i"] % len(data)]
        state["i"] += 1
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        loss.item()  # as GpuBench: the step's result read back, which synchronises

    sec = measure(step, *timing) / 1e9
    emit("train", model=name, batch=batch, seconds=sec, samples_per_s=batch / sec)


def ints(csv):
    return [int(s) for s in csv.split(",") if s.strip()]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda:0")
    p.add_argument("--sgemm", default="1024,4096,8192")
    p.add_argument("--train-mlp", default="64,256,1024")
    p.add_argument("--train-cnn", default="64,256")
    p.add_argument("--quick", action="store_true", help="1 warm-up and 3 timed samples of >= 100 ms")
    a = p.parse_args()
    if not torch.cuda.is_available():
        fail("torch %s sees no CUDA device (torch.cuda.is_available() is False)" % torch.__version__)
    dev = torch.device(a.device)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    timing = (1, 3, 100_000_000) if a.quick else (2, 7, 200_000_000)
    emit("env", side="torch", torch=torch.__version__, cuda=torch.version.cuda, device=str(dev),
         name=torch.cuda.get_device_name(dev), tf32=False)
    for n in ints(a.sgemm):
        bench_sgemm(dev, n, timing)
    for b in ints(a.train_mlp):
        bench_train(dev, "mlp", b, timing)
    for b in ints(a.train_cnn):
        bench_train(dev, "cnn", b, timing)


if __name__ == "__main__":
    main()
