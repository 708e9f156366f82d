"""A character-level LSTM on Tiny Shakespeare, trained for a time budget.

Prints the validation loss in nats per character and a sample of generated text.

    python examples/char_lstm.py --data-dir ../shared/datasets --minutes 10
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

import chainrule as cr
import chainrule.optim as optim
from chainrule import nn
from chainrule.data import load_char_corpus
from chainrule.train import Callback, GradientClipping, fit
from chainrule.train.progress import format_logs


class CharLSTM(nn.Module):
    """Embedding -> LSTM -> linear scores over the vocabulary, at every position."""

    def __init__(self, vocab_size: int, embedding_dim: int = 64, hidden_size: int = 256,
                 num_layers: int = 1) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def step(self, x, state=None):
        """Scores (N, T, vocab) for ids ``x`` (N, T), and the LSTM state after them."""
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state

    def forward(self, x):
        return self.step(x)[0]


class SequenceLoss(nn.Module):
    """Mean cross-entropy (nats per character) of scores (N, T, V) against ids (N, T)."""

    def __init__(self):
        super().__init__()
        self.ce = nn.CrossEntropyLoss()

    def forward(self, scores, target):
        return self.ce(scores.reshape(-1, scores.shape[-1]), target.reshape(-1))


class RandomWindows:
    """``num_batches`` batches of random text windows per pass, from a seeded generator."""

    def __init__(self, corpus, batch_size: int, seq_len: int, num_batches: int, seed: int):
        self.corpus, self.batch_size, self.seq_len = corpus, batch_size, seq_len
        self.num_batches = num_batches
        self.generator = cr.Generator(seed)  # fit saves its state in checkpoints

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self):
        return self.corpus.batches(self.batch_size, self.seq_len, generator=self.generator,
                                   num_batches=self.num_batches)


class TimeLimit(Callback):
    """Stop training once ``seconds`` have passed (checked after every step), and print each
    epoch's logs against the time budget (the run has no fixed number of epochs)."""

    def __init__(self, seconds: float, verbose: int = 1):
        super().__init__()
        self.seconds = seconds
        self.verbose = verbose

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() - self.start > self.seconds:
            self.loop.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.verbose:
            spent = time.perf_counter() - self.start
            of = f" of {self.seconds / 60:.1f}" if math.isfinite(self.seconds) else ""
            print(f"epoch {epoch + 1} ({spent / 60:.1f}{of} min) - "
                  f"{format_logs(logs or {})}", flush=True)


def sample(model: CharLSTM, corpus, prompt: str, length: int, temperature: float,
           seed: int) -> str:
    """``length`` characters drawn one at a time after ``prompt``."""
    g = np.random.default_rng(seed)
    model.eval()
    ids = list(corpus.encode(prompt))
    with cr.no_grad():
        scores, state = model.step(cr.tensor([ids]))
        for _ in range(length):
            z = scores.numpy()[0, -1].astype(np.float64) / temperature
            p = np.exp(z - z.max())
            ids.append(int(g.choice(len(p), p=p / p.sum())))
            scores, state = model.step(cr.tensor([[ids[-1]]]), state)
    return corpus.decode(ids)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None,
                        help="folder with text/tinyshakespeare.txt (default: $CHAINRULE_DATA)")
    parser.add_argument("--text", default=None, help="train on this UTF-8 file instead")
    parser.add_argument("--minutes", type=float, default=10.0, help="training time budget")
    parser.add_argument("--steps", type=int, default=None,
                        help="train exactly this many steps instead of for --minutes (the "
                             "result then does not depend on the machine's speed)")
    parser.add_argument("--hidden-size", type=int, default=256)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--steps-per-epoch", type=int, default=50)
    parser.add_argument("--val-batches", type=int, default=8,
                        help="batches of validation windows for the final loss")
    parser.add_argument("--sample-length", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2])
    args = parser.parse_args(argv)
    if args.text:
        corpus = load_char_corpus(args.text)
    else:
        root = Path(args.data_dir) if args.data_dir else None
        path = None
        if root is not None:
            path = next((p for p in (root / "tinyshakespeare.txt",
                                     root / "text" / "tinyshakespeare.txt") if p.is_file()),
                        None)
            if path is None:
                raise SystemExit(f"char_lstm.py: no tinyshakespeare.txt in {root} or "
                                 f"{root / 'text'}")
        corpus = load_char_corpus(path)

    cr.manual_seed(args.seed)
    model = CharLSTM(corpus.vocab_size, hidden_size=args.hidden_size)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    train = RandomWindows(corpus, args.batch_size, args.seq_len, args.steps_per_epoch,
                          args.seed)
    val_x, val_y = zip(*(corpus.get_batch(args.batch_size, args.seq_len, split="val",
                                          generator=args.seed + 1 + i) for i in range(2)))
    val_data = (cr.cat(val_x), cr.cat(val_y))
    start = time.perf_counter()
    if args.steps is not None and args.steps < 1:
        parser.error(f"--steps must be >= 1, got {args.steps}")
    epochs = 100_000 if args.steps is None else -(-args.steps // args.steps_per_epoch)
    budget = float("inf") if args.steps is not None else args.minutes * 60
    history = fit(model, SequenceLoss(), opt, train, epochs=epochs,
                  validation_data=val_data, seed=args.seed, verbose=0,
                  callbacks=[GradientClipping(1.0), TimeLimit(budget, args.verbose)])
    seconds = time.perf_counter() - start
    steps = sum(1 for _ in history.epoch) * args.steps_per_epoch

    # the final validation loss, on more windows than the per-epoch check
    model.eval()
    losses = []
    with cr.no_grad():
        for i in range(args.val_batches):
            x, y = corpus.get_batch(args.batch_size, args.seq_len, split="val",
                                    generator=10_000 + i)
            losses.append(float(SequenceLoss()(model(x), y).item()))
    val_loss = float(np.mean(losses))
    text = sample(model, corpus, "ROMEO:\n", args.sample_length, 0.8, args.seed)
    print(f"--- sample (temperature 0.8) ---\n{text}\n---")
    print(f"validation loss {val_loss:.3f} nats/char ({val_loss / math.log(2):.3f} bits/char) "
          f"after about {steps} steps in {seconds / 60:.1f} min; uniform would be "
          f"{math.log(corpus.vocab_size):.3f}")
    return {"val_loss": val_loss, "sample": text, "steps": steps}


if __name__ == "__main__":
    main()
