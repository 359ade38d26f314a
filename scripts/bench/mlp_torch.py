# PyTorch reference for io.torus.nn.MlpBench: the MLP 784-256-128-10, SGD momentum 0.9, 1 thread, random data.
# usage: /usr/bin/python3 scripts/bench/mlp_torch.py [seconds per run] [rounds] [batch sizes...]
import sys, time, torch, os
torch.set_num_threads(1)
secs = float(sys.argv[1]) if len(sys.argv) > 1 else 2
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
batches = [int(b) for b in sys.argv[3:]] or [64, 256]
n = 16384
torch.manual_seed(1)
X = torch.rand(n, 784); Y = torch.randint(0, 10, (n,))
print("torch", torch.__version__, "OPENBLAS_CORETYPE=", os.environ.get("OPENBLAS_CORETYPE"), torch.__config__.show().count("BLAS"))
for r in range(rounds):
    for b in batches:
        model = torch.nn.Sequential(torch.nn.Linear(784,256), torch.nn.ReLU(), torch.nn.Linear(256,128), torch.nn.ReLU(), torch.nn.Linear(128,10))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        steps = n // b
        start = time.perf_counter(); warm = start + secs*0.3; end = start + secs
        i = 0; counting = False; samples = 0; per = []; ph = []
        while True:
            t = time.perf_counter()
            if not counting and t >= warm:
                counting = True; t0 = t; c0 = time.process_time(); samples = 0
            if t >= end: break
            idx = torch.arange((i % steps)*b, (i % steps)*b + b)
            x = X.index_select(0, idx); y = Y.index_select(0, idx)
            t1 = time.perf_counter()
            out = model(x)
            t2 = time.perf_counter()
            loss = torch.nn.functional.cross_entropy(out, y)
            t3 = time.perf_counter()
            opt.zero_grad(); loss.backward()
            t4 = time.perf_counter()
            opt.step()
            t5 = time.perf_counter()
            if counting: ph.append((t1-t, t2-t1, t3-t2, t4-t3, t5-t4))
            i += 1; samples += b
            if counting: per.append(time.perf_counter() - t)
        el = time.perf_counter() - t0; cel = time.process_time() - c0
        per.sort(); med = per[len(per)//2]*1e6; p10 = per[len(per)//10]*1e6
        import statistics
        meds = [statistics.median(v[j] for v in ph)*1e6 for j in range(5)]
        print("   median us: batch %.0f fwd %.0f loss %.0f bwd %.0f step %.0f" % tuple(meds))
        print(f"   median step {med:.0f} us ({b/med*1e6:.0f} samples/s), p10 step {p10:.0f} us ({b/p10*1e6:.0f} samples/s)")
        print(f"batch {b:4d}: {samples/el:8.0f} samples/s {samples/cel:8.0f} per cpu-s  ({el/(samples/b)*1e6:.0f} us/step)")
