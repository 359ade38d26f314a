#!/usr/bin/env python3
"""Reference for `torus bench comm`: PyTorch gloo all-reduce bus bandwidth on 127.0.0.1.

Runs WORLD processes (one thread each), all-reduces float32 tensors of each size and prints one
line per size:  GLOO ranks=N mib=S seconds=T busbw_gbs=B
Bus bandwidth = 2 (N - 1) / N * bytes / time (the nccl-tests convention), the time being the
median over iterations of the slowest rank.

usage: gloo_allreduce.py WORLD SIZES_MIB(comma separated) [ITERS]
"""
import os
import sys
import time


def worker(rank, world, sizes, iters, port):
    import torch
    import torch.distributed as dist
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    for mib in sizes:
        t = torch.ones(mib * (1 << 20) // 4, dtype=torch.float32)
        n_iter = max(3, min(iters, 2048 // mib))
        dist.all_reduce(t)  # warm-up
        times = []
        for _ in range(n_iter):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(t)
            elapsed = torch.tensor([time.perf_counter() - start], dtype=torch.float64)
            dist.all_reduce(elapsed, op=dist.ReduceOp.MAX)
            times.append(elapsed.item())
        times.sort()
        med = times[len(times) // 2]
        if rank == 0:
            busbw = 2 * (world - 1) / world * mib * (1 << 20) / med / 1e9
            print(f"GLOO ranks={world} mib={mib} seconds={med:.6f} busbw_gbs={busbw:.3f}", flush=True)
    dist.destroy_process_group()


def main():
    world = int(sys.argv[1])
    sizes = [int(s) for s in sys.argv[2].split(",")]
    iters = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    import torch.multiprocessing as mp
    mp.spawn(worker, args=(world, sizes, iters, port), nprocs=world, join=True)


if __name__ == "__main__":
    main()
