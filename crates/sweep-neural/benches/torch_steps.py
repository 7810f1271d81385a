"""PyTorch side of `cargo bench -p sweep-neural --bench steps`.

Times one CPU training step (zero_grad -> forward -> cross-entropy ->
backward -> optimizer step) for PyTorch versions of the sweep-neural text
classifiers, on the same shapes as the Rust benchmark. This is a
benchmark-only reference: PyTorch is never a runtime or CI dependency.

Set up the venv once:

    python3 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install torch numpy

Run:

    python torch_steps.py [--threads 1] [--steps 10] [--warmup 3]
                          [--only NAME[,NAME]]

Prints one JSON object per model to stdout; progress goes to stderr.
"""

import argparse
import json
import statistics
import sys
import time

import torch
from torch import nn

BATCH = 64
SEQ_LEN = 64
VOCAB = 20000
CLASSES = 4
EMB = 128


class FastText(nn.Module):
    def __init__(self):
        super().__init__()
        # Sparse gradients, hence plain SGD for this model.
        self.bag = nn.EmbeddingBag(VOCAB, 100, mode="mean", sparse=True,
                                   padding_idx=0)
        self.out = nn.Linear(100, CLASSES)

    def forward(self, x):
        return self.out(self.bag(x))


class TextCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, EMB, padding_idx=0)
        self.convs = nn.ModuleList(nn.Conv1d(EMB, 100, k) for k in (3, 4, 5))
        self.drop = nn.Dropout(0.5)
        self.out = nn.Linear(300, CLASSES)

    def forward(self, x):
        h = self.emb(x).transpose(1, 2)  # [B, EMB, L]
        pooled = [torch.relu(c(h)).amax(dim=2) for c in self.convs]
        return self.out(self.drop(torch.cat(pooled, dim=1)))


class Recurrent(nn.Module):
    """Embedding -> LSTM/GRU -> final hidden state(s) -> linear."""

    def __init__(self, cell, bidirectional=False):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, EMB, padding_idx=0)
        self.rnn = cell(EMB, EMB, batch_first=True,
                        bidirectional=bidirectional)
        self.drop = nn.Dropout(0.5)
        self.out = nn.Linear(EMB * (2 if bidirectional else 1), CLASSES)

    def forward(self, x):
        _, h_n = self.rnn(self.emb(x))
        if isinstance(h_n, tuple):  # LSTM returns (h_n, c_n)
            h_n = h_n[0]
        # h_n: [directions, B, H]; concat forward and backward states.
        h = torch.cat(list(h_n), dim=1)
        return self.out(self.drop(h))


class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, EMB, padding_idx=0)
        self.pos = nn.Embedding(SEQ_LEN, EMB)
        self.drop = nn.Dropout(0.1)
        layer = nn.TransformerEncoderLayer(
            d_model=EMB, nhead=4, dim_feedforward=256, dropout=0.1,
            activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(
            layer, num_layers=2, norm=nn.LayerNorm(EMB),
            enable_nested_tensor=False)
        self.out = nn.Linear(EMB, CLASSES)

    def forward(self, x):
        positions = torch.arange(x.shape[1], device=x.device)
        h = self.drop(self.emb(x) + self.pos(positions))
        mask = x == 0  # all False here, but passed like the real model
        h = self.encoder(h, src_key_padding_mask=mask)
        return self.out(h.mean(dim=1))


class CnnLstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, EMB, padding_idx=0)
        self.conv = nn.Conv1d(EMB, 100, 3, padding=1)
        self.rnn = nn.LSTM(100, EMB, batch_first=True)
        self.drop = nn.Dropout(0.5)
        self.out = nn.Linear(EMB, CLASSES)

    def forward(self, x):
        h = torch.relu(self.conv(self.emb(x).transpose(1, 2)))
        _, (h_n, _) = self.rnn(h.transpose(1, 2))  # back to [B, L, 100]
        return self.out(self.drop(h_n[-1]))


MODELS = {
    "fasttext": FastText,
    "textcnn": TextCNN,
    "lstm": lambda: Recurrent(nn.LSTM),
    "bilstm": lambda: Recurrent(nn.LSTM, bidirectional=True),
    "gru": lambda: Recurrent(nn.GRU),
    "transformer": Transformer,
    "cnn_lstm": CnnLstm,
}


def bench(name, steps, warmup):
    model = MODELS[name]()
    model.train()
    if name == "fasttext":
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3,
                                weight_decay=0.01)
    x = torch.randint(1, VOCAB, (BATCH, SEQ_LEN))
    y = torch.randint(0, CLASSES, (BATCH,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(warmup):
        step()
    wall, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        wall.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return {
        "model": name,
        "median_ms": round(statistics.median(wall), 3),
        "min_ms": round(min(wall), 3),
        "cpu_ms": round(statistics.median(cpu), 3),
        "params": sum(p.numel() for p in model.parameters()),
        "torch": torch.__version__,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--only", default="",
                    help="comma-separated subset of: " + ",".join(MODELS))
    args = ap.parse_args()

    names = [n for n in args.only.split(",") if n] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        ap.error("unknown model(s): " + ",".join(unknown))

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for name in names:
        print(f"[torch_steps] {name} ...", file=sys.stderr, flush=True)
        result = bench(name, args.steps, args.warmup)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
