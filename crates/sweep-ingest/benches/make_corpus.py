#!/usr/bin/env python3
"""Writes a tracking benchmark corpus: RUNS JSONL logs of STEPS records with 5 metrics each.

    python3 make_corpus.py OUT_DIR [RUNS] [STEPS]

Each run is one file `OUT_DIR/exp/run_<i>.jsonl`: a first line `{"config": {...}}` (model,
lr, seed: 10 models x 10 learning rates x the rest seeds), then STEPS lines
`{"step": k, "train/loss": .., "val/loss": .., "val/acc": .., "val/f1": .., "lr": ..}`.
Deterministic (seeded), so every run of the benchmark reads the same bytes.
"""
import json
import os
import random
import sys

out = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000
rng = random.Random(0)
os.makedirs(os.path.join(out, "exp"), exist_ok=True)
for i in range(runs):
    model = f"m{i % 10}"
    lr = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0, 3.0][(i // 10) % 10]
    seed = i // 100
    base = 0.5 + 0.04 * (i % 10) + rng.random() * 0.01
    lines = [json.dumps({"config": {"model": model, "optim": {"lr": lr}, "seed": seed}})]
    for k in range(steps):
        f = 1.0 - 1.0 / (1 + k / 50)
        lines.append(
            '{"step": %d, "train/loss": %.5f, "val/loss": %.5f, "val/acc": %.5f, "val/f1": %.5f, "lr": %.6g}'
            % (k, 2.0 * (1 - f) + 0.01, 2.1 * (1 - f) + 0.05, base * f, base * f * 0.98, lr)
        )
    with open(os.path.join(out, "exp", f"run_{i:05d}.jsonl"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
