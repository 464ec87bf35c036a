"""
PyTorch reference for `npm run bench:diffusion -- --pytorch` (optional; the project never
needs Python). It builds the same conditional U-Net 1-D as src/diffusion/unet.ts (DESIGN
section 5: down dims [24, 24, 32, 32], kernel 5, GroupNorm(8), Mish, FiLM, d = 64, action
dim 1, condition dim 4, T_h = 32) and times, in float32 on the CPU with 2 threads, the same
four things as bench/diffusion.ts at batch 64:

  forward          one forward pass
  diff step        L_Diff (eq. 6: MSE of the predicted tau_0), backward, AdamW step
  sob step vjp     L_Diff + L_Sob in the VJP form (eq. 9): one projection v^T dD/dcond
                   through autograd.grad(create_graph=True), backward, AdamW step
  rollout          115 sequential batch-1 forwards (T = 200, T_a = 9, K = 5) under no_grad

Prints one JSON object {"torch": version, "threads": n, "parameters": n, "ms": {...}}:
medians over `runs` after warm-up. With --serve it prints {"torch", "threads",
"parameters"} and then answers each line "NAME RUNS" on its standard input with
{"name": NAME, "ms": median}, so that bench/diffusion.ts can alternate its own runs with
these and compare the two under the same load. Run with Debian's interpreter and python3-torch, with
OpenBLAS installed (libopenblas0-pthread): Debian's torch takes its matrix products from
whichever BLAS the system provides, and with the reference BLAS it measured 1.4x slower on
the training step here (53 against 38 ms), which would flatter our ratio.

  /usr/bin/python3 bench/pytorch/unet_reference.py [runs | --serve]
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)

B, TH, ACTION, COND, N_IN = 64, 32, 1, 4, 2
DIMS, KERNEL, GROUPS, EMBED = [24, 24, 32, 32], 5, 8, 64


class Block(nn.Module):  # Conv1d -> GroupNorm -> Mish
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, KERNEL, padding=KERNEL // 2)
        self.norm = nn.GroupNorm(GROUPS, cout)

    def forward(self, x):
        return F.mish(self.norm(self.conv(x)))


class ResBlock(nn.Module):  # two blocks with FiLM (scale, bias) between, plus a residual path
    def __init__(self, cin, cout, global_dim):
        super().__init__()
        self.block1, self.block2 = Block(cin, cout), Block(cout, cout)
        self.film = nn.Linear(global_dim, 2 * cout)
        self.residual = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()
        self.cout = cout

    def forward(self, x, film_input):
        h = self.block1(x)
        scale, bias = self.film(film_input).unsqueeze(-1).split(self.cout, dim=1)
        h = self.block2(scale * h + bias)
        return h + self.residual(x)


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        global_dim = EMBED + COND
        self.step1, self.step2 = nn.Linear(EMBED, 4 * EMBED), nn.Linear(4 * EMBED, EMBED)
        dims = [ACTION] + DIMS
        levels = len(DIMS)
        self.down = nn.ModuleList()
        for i in range(levels):
            cin, cout = dims[i], dims[i + 1]
            last = i + 1 == levels
            self.down.append(nn.ModuleList([
                ResBlock(cin, cout, global_dim), ResBlock(cout, cout, global_dim),
                nn.Identity() if last else nn.Conv1d(cout, cout, 3, stride=2, padding=1)]))
        mid = dims[levels]
        self.mid = nn.ModuleList([ResBlock(mid, mid, global_dim), ResBlock(mid, mid, global_dim)])
        self.up = nn.ModuleList()
        for i in range(levels - 1, 0, -1):
            cin, cout = dims[i], dims[i + 1]
            self.up.append(nn.ModuleList([
                ResBlock(2 * cout, cin, global_dim), ResBlock(cin, cin, global_dim),
                nn.ConvTranspose1d(cin, cin, 4, stride=2, padding=1)]))
        self.final_block, self.final_conv = Block(DIMS[0], DIMS[0]), nn.Conv1d(DIMS[0], ACTION, 1)
        half = EMBED // 2
        self.register_buffer("freqs", torch.exp(-math.log(10000) * torch.arange(half) / (half - 1)))

    def forward(self, sample, steps, cond):
        args = steps.float()[:, None] * self.freqs[None, :]
        emb = self.step2(F.mish(self.step1(torch.cat([args.sin(), args.cos()], dim=1))))
        film_input = F.mish(torch.cat([emb, cond], dim=1))
        x = sample.transpose(1, 2)
        skips = []
        for res1, res2, resample in self.down:
            x = res2(res1(x, film_input), film_input)
            skips.append(x)
            x = resample(x)
        for res in self.mid:
            x = res(x, film_input)
        for res1, res2, resample in self.up:
            x = torch.cat([x, skips.pop()], dim=1)
            x = resample(res2(res1(x, film_input), film_input))
        return self.final_conv(self.final_block(x)).transpose(1, 2)


def median_ms(fn, runs, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return sorted(times)[runs // 2]


def cases():
    """The four measured things, each one run of it."""
    net = UNet()
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-4, weight_decay=1e-6)
    tau0 = torch.rand(B, TH, ACTION) * 2 - 1
    cond = torch.rand(B, COND) * 2 - 1
    noise = torch.randn(B, TH, ACTION)
    steps = torch.randint(0, 5, (B,))
    alpha_bar = torch.tensor([0.898706, 0.647478, 0.340810, 0.094046, 9.4044e-5])[steps].view(B, 1, 1)
    tau_k = alpha_bar.sqrt() * tau0 + (1 - alpha_bar).sqrt() * noise
    jacobian = torch.randn(B, TH * ACTION, N_IN)
    cond_jacobian = torch.randn(B, COND, N_IN)
    v = F.normalize(torch.randn(B, TH * ACTION), dim=1)

    def diff_step():
        optimizer.zero_grad(set_to_none=True)
        F.mse_loss(net(tau_k, steps, cond), tau0).backward()
        optimizer.step()

    def sob_step():
        optimizer.zero_grad(set_to_none=True)
        c = cond.clone().requires_grad_(True)
        pred = net(tau_k, steps, c)
        (d_cond,) = torch.autograd.grad(pred, c, grad_outputs=v.view(B, TH, ACTION), create_graph=True)
        projected = torch.bmm(d_cond.unsqueeze(1), cond_jacobian).squeeze(1)
        target = torch.bmm(v.unsqueeze(1), jacobian).squeeze(1)
        (F.mse_loss(pred, tau0) + F.mse_loss(projected, target)).backward()
        optimizer.step()

    def rollout():
        with torch.no_grad():
            x, s, c = tau_k[:1], steps[:1], cond[:1]
            for _ in range(115):
                x = net(x, s, c)

    def forward():
        with torch.no_grad():
            net(tau_k, steps, cond)

    parameters = sum(p.numel() for p in net.parameters())
    return parameters, {"forward": forward, "diff step": diff_step, "sob step vjp": sob_step, "rollout": rollout}


def main(argv):
    parameters, run = cases()
    about = {"torch": torch.__version__, "threads": torch.get_num_threads(), "parameters": parameters}
    if argv[:1] == ["--serve"]:
        print(json.dumps(about), flush=True)
        for line in sys.stdin:
            name, runs = line.rsplit(" ", 1)
            print(json.dumps({"name": name, "ms": median_ms(run[name], int(runs), 1)}), flush=True)
        return
    runs = int(argv[0]) if argv else 7
    ms = {name: median_ms(fn, max(3, runs - 2) if name == "rollout" else runs, 1 if name == "rollout" else 2) for name, fn in run.items()}
    print(json.dumps({**about, "ms": ms}))


if __name__ == "__main__":
    main(sys.argv[1:])
