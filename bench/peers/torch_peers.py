"""The rows of bench/peers/workloads.ts on PyTorch, one thread, driven by peers.ts.

Reads one JSON request per line on stdin and answers one JSON line on stdout:
  {"row": name, "reps": n}  ->  {"ms": [n timings]}      (time of one step each; with "clock": "cpu",
                                                      the process's CPU time, as peers.ts --clock cpu)
  {"row": name, "check": true}  ->  {"loss": loss after two steps from the shared start}
The numbers are the TypeScript side's `filled` (scale * sin(seed + 0.7 i)), so losses compare.
The Sobolev row takes d/dx sum f with create_graph (reverse over reverse; for a scalar output it
is the JVP's row, dotted with v), as PyTorch 1.13 has no forward mode inside autograd's backward.
"""
import json
import math
import sys
import time

import torch

torch.set_num_threads(1)

N = 256
SIZES = [4, 256, 256, 1]
BATCH = 256
CONV = dict(batch=64, channels=32, length=16, kernel=5, padding=2)


def filled(length, seed, scale=1.0, dtype=torch.float32):
    i = torch.arange(length, dtype=torch.float64)
    return (scale * torch.sin(seed + 0.7 * i)).to(dtype)


def matmul_row(dtype):
    a = filled(N * N, 1, dtype=dtype).reshape(N, N)
    b = filled(N * N, 2, dtype=dtype).reshape(N, N)
    return lambda: torch.matmul(a, b), None


def mlp_row(sobolev):
    x = filled(BATCH * 4, 1).reshape(BATCH, 4)
    y = filled(BATCH, 2, 0.5).reshape(BATCH, 1)
    v = filled(BATCH * 4, 3).reshape(BATCH, 4)
    s = filled(BATCH, 4, 0.5).reshape(BATCH, 1)

    def init():
        layers = []
        for l in range(len(SIZES) - 1):
            fi, fo = SIZES[l], SIZES[l + 1]
            sc = 1 / math.sqrt(fi)
            w = filled(fo * fi, 10 + 2 * l, sc).reshape(fo, fi).requires_grad_()
            bb = filled(fo, 11 + 2 * l, sc).requires_grad_()
            layers.append((w, bb))
        params = [t for layer in layers for t in layer]
        return layers, params, torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)

    def net(layers, h):
        for i, (w, bb) in enumerate(layers):
            h = torch.nn.functional.linear(h, w, bb)
            if i + 1 < len(layers):
                h = torch.relu(h)
        return h

    def step(state):
        layers, _, opt = state
        opt.zero_grad()
        if sobolev:
            xx = x.clone().requires_grad_()
            pred = net(layers, xx)
            (gx,) = torch.autograd.grad(pred.sum(), xx, create_graph=True)
            slope = (gx * v).sum(1, keepdim=True)
            loss = ((pred - y) ** 2).mean() + ((slope - s) ** 2).mean()
        else:
            loss = ((net(layers, x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss.item()

    state = init()

    def check():
        st = init()
        step(st)
        return step(st)

    return (lambda: step(state)), check


def conv_row():
    c = CONV
    x = filled(c["batch"] * c["channels"] * c["length"], 5).reshape(c["batch"], c["channels"], c["length"]).requires_grad_()
    w = filled(c["channels"] ** 2 * c["kernel"], 6, 1 / math.sqrt(c["channels"] * c["kernel"]))
    w = w.reshape(c["channels"], c["channels"], c["kernel"]).requires_grad_()
    ct = filled(c["batch"] * c["channels"] * c["length"], 7).reshape(c["batch"], c["channels"], c["length"])

    def step():
        y = torch.nn.functional.conv1d(x, w, padding=c["padding"])
        return torch.autograd.grad(y, (x, w), ct)

    return step, None


ROWS = {
    "matmulF32": lambda: matmul_row(torch.float32),
    "matmulF64": lambda: matmul_row(torch.float64),
    "mlp": lambda: mlp_row(False),
    "sobolev": lambda: mlp_row(True),
    "conv": conv_row,
}
built = {}

print(json.dumps({"ready": torch.__version__}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    name = req["row"]
    if name not in built:
        built[name] = ROWS[name]()
    step, check = built[name]
    if req.get("check"):
        print(json.dumps({"loss": check() if check else None}), flush=True)
        continue
    clock = time.process_time if req.get("clock") == "cpu" else time.perf_counter
    times = []
    for _ in range(req["reps"]):
        t0 = clock()
        step()
        times.append((clock() - t0) * 1e3)
    print(json.dumps({"ms": times}), flush=True)
