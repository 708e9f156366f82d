"""A character-level Transformer on Tiny Shakespeare: nanoGPT's shakespeare-char recipe.

nanoGPT (Karpathy) trains a 6-layer, 6-head, 384-wide decoder-only Transformer with a
context of 256 characters, batch 64, dropout 0.2, AdamW (lr 1e-3, betas 0.9/0.99, weight
decay 0.1 on the matrices), 100 warm-up steps and cosine decay to 1e-4 over 5,000 steps,
gradient clipping at 1.0, on the character vocabulary of Tiny Shakespeare with a 90/10
split; it reports a validation loss of 1.4697. This script builds the same model from
chainrule layers (pre-LayerNorm blocks, GELU, a causal mask, the output layer tied to the
token embedding) and trains it with the same schedule. The full recipe needs a GPU
(``--device cuda``, CuPy); ``--preset tiny`` runs a small version on a CPU in seconds.

    python examples/char_transformer.py --data-dir ../shared/datasets --device cuda
    python examples/char_transformer.py --data-dir ../shared/datasets --preset tiny
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn, optim
from chainrule.data import load_char_corpus

# nanoGPT's config/train_shakespeare_char.py, and a configuration small enough for a CPU
PRESETS = {
    "nanogpt": {"layers": 6, "heads": 6, "width": 384, "block": 256, "batch": 64,
                "dropout": 0.2, "steps": 5000, "warmup": 100, "eval_interval": 250,
                "eval_iters": 200},
    "tiny": {"layers": 2, "heads": 2, "width": 64, "block": 32, "batch": 16, "dropout": 0.0,
             "steps": 300, "warmup": 20, "eval_interval": 100, "eval_iters": 10},
}


class CharTransformer(nn.Module):
    """A decoder-only Transformer over characters (GPT-2's block: pre-LayerNorm, GELU)."""

    def __init__(self, vocab_size: int, block: int, width: int, layers: int, heads: int,
                 dropout: float) -> None:
        super().__init__()
        self.block = block
        self.tok = nn.Embedding(vocab_size, width)
        self.pos = nn.Embedding(block, width)
        self.drop = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(width, heads, 4 * width, dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab_size, bias=False)
        self.head.weight = self.tok.weight  # weight tying, as nanoGPT
        # GPT-2's initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2L)
        for name, p in self.named_parameters():
            if p.ndim == 2:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith(("out_proj.weight",
                                                                     "linear2.weight")) else 0.02
                nn.init.normal_(p, std=std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx):
        n, t = idx.shape
        if t > self.block:
            raise ValueError(f"CharTransformer: sequence of {t} characters is longer than the "
                             f"context of {self.block}")
        pos = cr.arange(t, device=idx.device)
        x = self.drop(self.tok(idx) + self.pos(pos))
        # True above the diagonal: a character may not attend to the ones after it
        mask = cr.tensor(np.triu(np.ones((t, t), dtype=bool), k=1))
        x = self.blocks(x, mask=mask, is_causal=True)
        return self.head(self.norm(x))


def lr_at(step: int, lr: float, min_lr: float, warmup: int, steps: int) -> float:
    """Linear warm-up, then cosine decay from lr to min_lr at ``steps`` (nanoGPT's)."""
    if step < warmup:
        return lr * (step + 1) / (warmup + 1)
    t = min((step - warmup) / max(steps - warmup, 1), 1.0)
    return min_lr + 0.5 * (1 + math.cos(math.pi * t)) * (lr - min_lr)


def estimate_loss(model, corpus, batch, block, iters, device, seed) -> dict:
    """Mean loss over ``iters`` random batches of each split (model in eval mode)."""
    model.eval()
    out = {}
    with cr.no_grad():
        for split in ("train", "val"):
            losses = []
            for i in range(iters):
                x, y = corpus.get_batch(batch, block, split=split, generator=seed + i)
                logits = model(x.to(device))
                losses.append(float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                    y.to(device).reshape(-1)).item()))
            out[split] = float(np.mean(losses))
    model.train()
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None,
                        help="folder with text/tinyshakespeare.txt (default: $CHAINRULE_DATA)")
    parser.add_argument("--preset", choices=list(PRESETS), default="nanogpt")
    for key in ("layers", "heads", "width", "block", "batch", "steps", "warmup",
                "eval_interval", "eval_iters"):
        parser.add_argument(f"--{key.replace('_', '-')}", type=int, default=None)
    parser.add_argument("--dropout", type=float, default=None)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--min-lr", type=float, default=1e-4)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--verbose", type=int, default=1, choices=[0, 1])
    args = parser.parse_args(argv)
    cfg = dict(PRESETS[args.preset])
    cfg.update({k: v for k, v in vars(args).items() if k in cfg and v is not None})
    if cfg["width"] % cfg["heads"]:
        parser.error(f"--width {cfg['width']} must be a multiple of --heads {cfg['heads']}")

    root = Path(args.data_dir) if args.data_dir else None
    path = None
    if root is not None:
        path = next((p for p in (root / "tinyshakespeare.txt",
                                 root / "text" / "tinyshakespeare.txt") if p.is_file()), None)
        if path is None:
            raise SystemExit(f"char_transformer.py: no tinyshakespeare.txt in {root}")
    corpus = load_char_corpus(path, val_fraction=0.1)

    cr.manual_seed(args.seed)
    model = CharTransformer(corpus.vocab_size, cfg["block"], cfg["width"], cfg["layers"],
                            cfg["heads"], cfg["dropout"]).to(args.device)
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    opt = optim.AdamW([{"params": decay, "weight_decay": 0.1},
                       {"params": no_decay, "weight_decay": 0.0}],
                      lr=args.lr, betas=(0.9, 0.99))
    n_params = sum(int(np.prod(p.shape)) for p in model.parameters())
    if args.verbose:
        print(f"{n_params / 1e6:.2f} M parameters, vocabulary {corpus.vocab_size}, "
              f"{cfg}", flush=True)
    start = time.perf_counter()
    history = []
    for step in range(cfg["steps"] + 1):
        if step % cfg["eval_interval"] == 0 or step == cfg["steps"]:
            losses = estimate_loss(model, corpus, cfg["batch"], cfg["block"],
                                   cfg["eval_iters"], args.device, seed=10_000)
            history.append({"step": step, **losses})
            if args.verbose:
                print(f"step {step}: train loss {losses['train']:.4f}, val loss "
                      f"{losses['val']:.4f} ({time.perf_counter() - start:.0f} s)", flush=True)
        if step == cfg["steps"]:
            break
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args.lr, args.min_lr, cfg["warmup"], cfg["steps"])
        x, y = corpus.get_batch(cfg["batch"], cfg["block"], generator=args.seed + step)
        logits = model(x.to(args.device))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                               y.to(args.device).reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    seconds = time.perf_counter() - start
    if args.verbose:
        print(f"validation loss {history[-1]['val']:.4f} after {cfg['steps']} steps in "
              f"{seconds / 60:.1f} min (nanoGPT reports 1.4697 with the full recipe)")
    return {"val_loss": history[-1]["val"], "history": history, "seconds": seconds}


if __name__ == "__main__":
    main()
