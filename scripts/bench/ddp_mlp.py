#!/usr/bin/env python3
"""Reference for `torus bench ddp`: PyTorch DDP (gloo, 127.0.0.1) training of the MLP 784-256-128-10.

Same work as io.torus.launcher.bench.DdpBench: ReLU MLP, cross-entropy, SGD lr 0.01 momentum 0.9,
16 resident random batches per rank, 1 thread per process. Three modes, each in fresh processes:
  single  one process, the plain model, batch B
  ddp     WORLD processes, DistributedDataParallel (default buckets), batch B per rank
  nosync  as ddp, every backward inside model.no_sync(): the same processes without all-reduce
After WARMUP untimed steps and a barrier, STEPS steps are timed; the slowest rank's time counts.
Prints one line per mode:  TORCH mode=M ranks=N batch=B steps=S seconds=T cpu_seconds=C
(C: the CPU time of all the mode's processes over the timed steps, every thread included).

usage: ddp_mlp.py WORLD BATCH WARMUP STEPS
"""
import os
import sys
import time

BATCHES = 16


def train(rank, world, mode, batch, warmup, steps, port):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(1)
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    dist = None
    if mode != "single":
        import torch.distributed as dist
        import datetime
        # A bounded timeout: a rendezvous or a collective that stalls fails the attempt (main retries
        # it once on a new port) instead of hanging the benchmark.
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world,
                                timeout=datetime.timedelta(seconds=60))
        model = nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    torch.manual_seed(100 + rank)
    xs = [torch.randn(batch, 784) for _ in range(BATCHES)]
    ys = [torch.randint(0, 10, (batch,)) for _ in range(BATCHES)]

    def run(n, start):
        for k in range(n):
            i = (start + k) % BATCHES
            opt.zero_grad()
            if mode == "nosync":
                with model.no_sync():
                    F.cross_entropy(model(xs[i]), ys[i]).backward()
            else:
                F.cross_entropy(model(xs[i]), ys[i]).backward()
            opt.step()

    run(warmup, 0)
    if dist is not None:
        dist.barrier()
    c0 = time.process_time()
    t0 = time.perf_counter()
    run(steps, warmup)
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    if dist is not None:
        t = torch.tensor([elapsed], dtype=torch.float64)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        elapsed = t.item()
        c = torch.tensor([cpu], dtype=torch.float64)
        dist.all_reduce(c, op=dist.ReduceOp.SUM)
        cpu = c.item()
    if rank == 0:
        print(f"TORCH mode={mode} ranks={world if mode != 'single' else 1} batch={batch} steps={steps} "
              f"seconds={elapsed:.6f} cpu_seconds={cpu:.6f}", flush=True)
    if dist is not None:
        # No destroy_process_group(): with torch 1.13's gloo it sometimes never returned here (one rank
        # spinning for minutes after its peer had exited), hanging the benchmark after its result was
        # known. Both ranks have finished every collective, so leaving at once loses nothing.
        os._exit(0)


def main():
    world, batch, warmup, steps = (int(a) for a in sys.argv[1:5])
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[v] = "1"
    import socket
    import torch.multiprocessing as mp
    mp.spawn(train, args=(1, "single", batch, warmup, steps, 0), nprocs=1, join=True)
    for mode in ("ddp", "nosync"):
        for attempt in (1, 2):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            try:
                mp.spawn(train, args=(world, mode, batch, warmup, steps, port), nprocs=world, join=True)
                break
            except Exception as e:  # a rank failed or timed out: once more, then give up on this mode
                print(f"ddp_mlp.py: {mode} attempt {attempt} failed: {e}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
