#!/usr/bin/env python3
"""PyTorch on the CPU beside the core's native benchmark (examples/bench_native.rs): the same two
networks, data, batch size, optimiser and timing rule, so the ratio between them means something.

  VAE 784-400(ReLU)-(mu 20, logvar 20) / 20-400(ReLU)-784 sigmoid, BCE + KL summed per image
  DAE 784-400-64-400-784, ReLU hidden, sigmoid out, input + 0.5 N(0, 1) clipped, BCE

Batch 128, Adam 1e-3, the 8,000 training digits of data/mnist.bin (image i is a test image when
i % 5 == 4), `runs` fresh models x `epochs` epochs, the first epoch of each run excluded; the
median over runs of the steady samples/s. Inference: encode + decode of 256 test digits.
Usage: python3 bench/native/torch_cpu.py [--threads 2] [--epochs 3] [--runs 3] [--out reports/bench-native.json]
"""
import argparse
import os
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from rows import merge_rows

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def load_split():
    raw = open(os.path.join(ROOT, "data", "mnist.bin"), "rb").read()
    assert raw[:8] == b"AEMNIST\0", "data/mnist.bin: run `npm run data`"
    count, rows, cols = np.frombuffer(raw[12:24], dtype="<u4")
    pixels = np.frombuffer(raw[24:24 + count * rows * cols], dtype=np.uint8).reshape(count, rows * cols)
    x = torch.from_numpy(pixels.astype(np.float32) / 255.0)
    test = np.arange(count) % 5 == 4
    return x[~test].contiguous(), x[test].contiguous()


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.mu, self.logvar = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def loss(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        bce = F.binary_cross_entropy(self.decode(z), x, reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return (bce + kl) / len(x)

    def reconstruct(self, x):
        return self.decode(self.encode(x)[0])


class DAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 64), nn.ReLU())
        self.dec = nn.Sequential(nn.Linear(64, 400), nn.ReLU(), nn.Linear(400, 784))

    def loss(self, x):
        noisy = (x + 0.5 * torch.randn_like(x)).clamp(0.0, 1.0)
        return F.binary_cross_entropy(torch.sigmoid(self.dec(self.enc(noisy))), x, reduction="sum") / len(x)

    def reconstruct(self, x):
        return torch.sigmoid(self.dec(self.enc(x)))


def epoch(model, opt, train, gen):
    order = torch.randperm(len(train), generator=gen)
    total = 0.0
    for i in range(0, len(train), 128):
        x = train[order[i:i + 128]]
        opt.zero_grad(set_to_none=True)
        loss = model.loss(x)
        loss.backward()
        opt.step()
        total += loss.item() * len(x)  # one readback per step, as the core does
    return total / len(train)


def train_rate(make, train, epochs, runs):
    rates, last = [], float("nan")
    for run in range(runs):
        torch.manual_seed(run)
        model = make()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        gen = torch.Generator().manual_seed(run)
        steady = 0.0
        for e in range(epochs):
            start = time.perf_counter()
            last = epoch(model, opt, train, gen)
            if e > 0:
                steady += time.perf_counter() - start
        rates.append(len(train) * (epochs - 1) / steady)
    return statistics.median(rates), last


@torch.no_grad()
def infer_rate(model, test):
    x = test[:256]
    model.reconstruct(x)
    times = []
    for _ in range(20):
        start = time.perf_counter()
        model.reconstruct(x)
        times.append(time.perf_counter() - start)
    return 256 / statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "reports", "bench-native.json"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    train, test = load_split()
    note = f"PyTorch {torch.__version__} CPU, {args.threads} threads, batch 128, {args.runs} runs x {args.epochs} epochs (first excluded)"
    rows = []
    for name, make in [("vae-784-400-20", VAE), ("dae-784-400-64-400-784", DAE)]:
        rate, loss = train_rate(make, train, args.epochs, args.runs)
        infer = infer_rate(make().eval(), test)
        print(f"{name}: train {rate:.0f} samples/s (last epoch loss {loss:.1f}), infer {infer:.0f} images/s")
        rows += [
            {"name": f"pytorch-cpu {name} train", "value": round(rate), "unit": "samples/s", "note": note},
            {"name": f"pytorch-cpu {name} loss after training", "value": round(loss, 1), "unit": "per image", "note": note},
            {"name": f"pytorch-cpu {name} infer b256", "value": round(infer), "unit": "images/s", "note": "encode + decode of 256 digits, no_grad"},
        ]
    merge_rows(args.out, rows)


if __name__ == "__main__":
    main()
