#!/usr/bin/env python3
"""PyTorch reference for `torus bench tensor`: the same measurements, on 1 thread, as JSON lines.

`torus bench tensor` runs this with Debian's python3-torch (scripts/install-bench-reference.sh)
and compares. It also runs on its own:

    OMP_NUM_THREADS=1 /usr/bin/python3 scripts/bench/torch_reference.py --sgemm 256,1024 --conv-batch 64
    OMP_NUM_THREADS=1 /usr/bin/python3 scripts/bench/torch_reference.py --train-mlp 64,256 --train-cnn 64

Every line on stdout is one flat JSON object with a "kind":
  env         torch version, OpenBLAS core name/config/threads, OPENBLAS_CORETYPE, threads
  sgemm       n, median seconds per torch.mm(a, b) of two n x n float32 matrices, GFLOP/s; the same
              for torch.mm(a, b, out=c) into an existing c (seconds_out, gflops_out)
  elementwise op (add, add_ in place, mul, sum), numel, bytes moved per call, median seconds, GB/s
  conv        LeNet layers 1-2 forward + backward on a batch: median ms per iteration
  autograd    a chain of tiny ops, forward + backward: median microseconds per op
  train       one training step of a model (mlp: 784-256-128-10, cnn: LeNet-5) at a batch size:
              median seconds per step and samples/s
  error       message (then exit status 3)

Timing is the Java side's: one untimed call, then untimed calls for a tenth of --min-sample-ms to
size the sample (enough calls to last --min-sample-ms),
--warmup samples, then the median of --reps timed samples, time.perf_counter_ns.
"""
import argparse
import ctypes
import json
import os
import statistics
import sys
import time

# Threads are fixed before torch (and its OpenMP runtime and OpenBLAS) load.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def emit(kind, **fields):
    fields = dict(kind=kind, **fields)
    print(json.dumps(fields, separators=(", ", ": ")), flush=True)


def fail(message):
    emit("error", message=message)
    sys.exit(3)


try:
    import torch
    import torch.nn.functional as F
except Exception as e:  # noqa: BLE001 - any import failure means "no reference"
    fail("cannot import torch with %s: %s" % (sys.executable, e))


def measure(op, warmup, reps, min_sample_ns):
    """Median nanoseconds per call of op (see the module docstring)."""
    return measure_interleaved([op], warmup, reps, min_sample_ns)[0]


def measure_interleaved(ops, warmup, reps, min_sample_ns):
    """measure() for ops that will be compared, their samples taken in turn (as Timing.measureInterleaved)."""
    inner = []
    for op in ops:
        op()  # the first call may pay one-time costs: size samples on the calls after it (as Timing)
        calls, t0 = 0, time.perf_counter_ns()
        while True:
            op()
            calls += 1
            dt = time.perf_counter_ns() - t0
            if dt >= min_sample_ns // 10 or calls >= 1_000_000:
                break
        per_call = max(1, dt // calls)
        inner.append(max(1, min(1_000_000, -(-min_sample_ns // per_call))))
    samples = [[] for _ in ops]
    for i in range(warmup + reps):
        for o, op in enumerate(ops):
            t0 = time.perf_counter_ns()
            for _ in range(inner[o]):
                op()
            dt = time.perf_counter_ns() - t0
            if i >= warmup:
                samples[o].append(dt / inner[o])
    return [(statistics.median(x), min(x), max(x), k) for x, k in zip(samples, inner)]


def openblas():
    """The OpenBLAS this torch calls (found in the process's mappings), or None."""
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))  # make sure the BLAS is loaded
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line and line.split()[-1].startswith("/")})
    except OSError:
        paths = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return path, lib
        except (OSError, AttributeError):
            continue
    return None, None


def env_line():
    torch.set_num_threads(1)
    path, lib = openblas()
    fields = dict(torch=torch.__version__, python=sys.executable, torch_threads=torch.get_num_threads(),
                  openblas_coretype=os.environ.get("OPENBLAS_CORETYPE", ""),
                  omp_num_threads=os.environ.get("OMP_NUM_THREADS", ""),
                  cpu_capability=torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else "",
                  mkldnn=bool(torch.backends.mkldnn.is_available()))
    if lib is not None:
        lib.openblas_set_num_threads(1)
        fields.update(openblas_path=path, openblas_core=lib.openblas_get_corename().decode(),
                      openblas_config=lib.openblas_get_config().decode().strip(),
                      openblas_threads=lib.openblas_get_num_threads())
    else:
        fields.update(openblas_path="", openblas_core="", openblas_config="not OpenBLAS (reference BLAS or MKL?)",
                      openblas_threads=0)
    emit("env", **fields)


def bench_sgemm(sizes, timing):
    for n in sizes:
        g = torch.Generator().manual_seed(n)
        a = torch.randn(n, n, generator=g)
        b = torch.randn(n, n, generator=g)
        c = torch.empty(n, n)
        (med, lo, hi, inner), (med_out, _, _, _) = measure_interleaved(
            [lambda: torch.mm(a, b), lambda: torch.mm(a, b, out=c)], *timing)
        emit("sgemm", n=n, seconds=med / 1e9, min_seconds=lo / 1e9, max_seconds=hi / 1e9, inner=inner,
             gflops=2.0 * n ** 3 / med, seconds_out=med_out / 1e9, gflops_out=2.0 * n ** 3 / med_out)


def bench_elementwise(numel, timing):
    g = torch.Generator().manual_seed(7)
    a = torch.rand(numel, generator=g) + 1
    b = torch.rand(numel, generator=g) + 1
    acc = a.clone()
    ops = [("add", lambda: torch.add(a, b), 12), ("add_", lambda: acc.add_(b), 12), ("mul", lambda: torch.mul(a, b), 12),
           ("sum", lambda: torch.sum(a), 4)]
    for name, op, bytes_per_element in ops:
        moved = bytes_per_element * numel + (0 if name != "sum" else 4)
        med, lo, hi, inner = measure(op, *timing)
        emit("elementwise", op=name, numel=numel, bytes=moved, seconds=med / 1e9, min_seconds=lo / 1e9,
             max_seconds=hi / 1e9, inner=inner, gbps=moved / med)


def bench_conv(batch, timing):
    """LeNet's first two layers: conv 1->6 5x5, relu, maxpool 2, conv 6->16 5x5, relu, maxpool 2; sum; backward."""
    g = torch.Generator().manual_seed(5)
    x = torch.randn(batch, 1, 28, 28, generator=g)
    w1 = (torch.randn(6, 1, 5, 5, generator=g) * 0.2).requires_grad_()
    b1 = torch.zeros(6).requires_grad_()
    w2 = (torch.randn(16, 6, 5, 5, generator=g) * 0.08).requires_grad_()
    b2 = torch.zeros(16).requires_grad_()
    params = (w1, b1, w2, b2)

    def step():
        for p in params:
            p.grad = None
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
        h.sum().backward()

    med, lo, hi, inner = measure(step, *timing)
    emit("conv", batch=batch, ms=med / 1e6, min_ms=lo / 1e6, max_ms=hi / 1e6, inner=inner)


def bench_autograd_chain(length, timing):
    """A chain of `length` ops (mul by a constant, add the leaf, alternately) on a 4-element
    tensor that requires grad, summed, then backward: the per-op cost of recording and replaying
    the graph, which tiny tensors make pure overhead."""
    x = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    w = torch.full((4,), 0.5)

    def step():
        x.grad = None
        y = x
        for _ in range(length // 2):
            y = y.mul(w).add(x)
        y.sum().backward()

    med, lo, hi, inner = measure(step, *timing)
    ops = 2 * (length // 2) + 1
    emit("autograd", ops=ops, us_per_op=med / 1e3 / ops, min_us_per_op=lo / 1e3 / ops,
         max_us_per_op=hi / 1e3 / ops, inner=inner)


class LeNet(torch.nn.Module):
    """LeNet-5 for 28x28 digits, as io.torus.launcher.jobs.LeNet: conv 1->6 5x5 (padding 2), relu, max-pool 2,
    conv 6->16 5x5, relu, max-pool 2, linear 400->120, relu, 84, relu, 10."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = torch.nn.Conv2d(6, 16, 5)
        self.fc1 = torch.nn.Linear(400, 120)
        self.fc2 = torch.nn.Linear(120, 84)
        self.fc3 = torch.nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2).flatten(1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


TRAIN_BATCHES = 16  # distinct batches kept in memory, used in turn


def bench_train(model_name, batch, timing):
    """One training step per call, as io.torus.launcher.bench.TrainBench: zero the gradients, forward,
    cross-entropy, backward, SGD step (lr 0.01, momentum 0.9), on the next of TRAIN_BATCHES synthetic
    batches (standard normal inputs, uniform labels) resident in memory."""
    torch.manual_seed(1)
    if model_name == "mlp":
        model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                    torch.nn.Linear(128, 10))
        shape = (batch, 784)
    else:
        model = LeNet()
        shape = (batch, 1, 28, 28)
    data = [(torch.randn(*shape), torch.randint(0, 10, (batch,))) for _ in range(TRAIN_BATCHES)]
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    state = {"i": 0}

    def step():
        x, y = data[state["i"] % TRAIN_BATCHES]
        state["i"] += 1
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    med, lo, hi, inner = measure(step, *timing)
    emit("train", model=model_name, batch=batch, seconds=med / 1e9, min_seconds=lo / 1e9, max_seconds=hi / 1e9,
         inner=inner, samples_per_s=batch / (med / 1e9))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sgemm", default="", help="comma-separated n for n x n sgemm (torch.mm)")
    p.add_argument("--elementwise-numel", type=int, default=0, help="elements per operand for add/mul/sum")
    p.add_argument("--conv-batch", type=int, default=0, help="batch size of the LeNet conv fwd+bwd (0: skip)")
    p.add_argument("--autograd-chain", type=int, default=0, help="ops in the autograd chain benchmark (0: skip)")
    p.add_argument("--train-mlp", default="", help="comma-separated batch sizes for the MLP training step (784-256-128-10)")
    p.add_argument("--train-cnn", default="", help="comma-separated batch sizes for the LeNet-5 training step")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--min-sample-ms", type=float, default=50.0)
    args = p.parse_args()
    timing = (args.warmup, args.reps, int(args.min_sample_ms * 1e6))

    env_line()
    sizes = [int(s) for s in args.sgemm.split(",") if s.strip()]
    with torch.no_grad():
        if sizes:
            bench_sgemm(sizes, timing)
        if args.elementwise_numel > 0:
            bench_elementwise(args.elementwise_numel, timing)
    if args.conv_batch > 0:
        bench_conv(args.conv_batch, timing)
    if args.autograd_chain > 0:
        bench_autograd_chain(args.autograd_chain, timing)
    for name, batches in (("mlp", args.train_mlp), ("cnn", args.train_cnn)):
        for b in [int(s) for s in batches.split(",") if s.strip()]:
            bench_train(name, b, timing)


if __name__ == "__main__":
    main()
