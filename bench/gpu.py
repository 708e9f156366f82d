"""chainrule (CuPy) against PyTorch CUDA at GPU-sized batches, side by side in one run.

    python bench/gpu.py                           # every workload on cuda
    python bench/gpu.py mlp transformer --repeats 20
    python bench/gpu.py --device cpu --tiny       # the same code at toy sizes, on a CPU

Each workload is built in both frameworks with the same weights (chainrule's, copied by
state_dict key: the layer names are PyTorch's) and the same data, warmed up, and timed in
alternating blocks; every timed step ends with a device synchronisation (CuPy's null stream,
``torch.cuda.synchronize``), so the times are of finished work. The table gives the median
step time, the ratio chainrule/PyTorch, and chainrule's achieved TFLOP/s, as a share of
``--peak-tflops`` when given (the GPU's dense peak for the dtype in use).

Workloads (nanoGPT's shakespeare-char configuration for the Transformer):
  mlp          784-256-256-10, batch 4096, Adam
  cnn          2 conv + 2 linear on 28x28, batch 512, Adam
  lstm         embedding 65->64, LSTM 64->256, linear, batch 256 x 64 steps, Adam
  transformer  6 layers, 6 heads, width 384, context 256, batch 64, dropout 0.2, AdamW
  chain        100 elementwise ops on 16x16 (per-op overhead)
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import chainrule as cr  # noqa: E402
import chainrule.nn.functional as F  # noqa: E402
from chainrule import benchmark as B  # noqa: E402
from chainrule import nn  # noqa: E402

SIZES = {  # full (GPU) and tiny (a CPU check of the same code)
    "mlp": {"batch": (4096, 64)},
    "cnn": {"batch": (512, 8)},
    "lstm": {"batch": (256, 4), "seq": (64, 8)},
    "transformer": {"batch": (64, 2), "block": (256, 16), "width": (384, 32),
                    "layers": (6, 1), "heads": (6, 2), "dropout": (0.2, 0.2)},
    "chain": {},
}


def _size(name: str, key: str, tiny: bool):
    return SIZES[name][key][1 if tiny else 0]


def _sync(framework: str, device: str):
    if device == "cpu":
        return lambda: None
    if framework == "chainrule":
        import cupy

        return cupy.cuda.Stream.null.synchronize
    return B.torch.cuda.synchronize


def _gpt(lib, block, width, layers, heads, dropout):
    """The same GPT in chainrule (``lib`` = chainrule.nn) or PyTorch (``torch.nn``)."""

    class Model(lib.Module):
        def __init__(self):
            super().__init__()
            self.tok = lib.Embedding(65, width)
            self.pos = lib.Embedding(block, width)
            self.drop = lib.Dropout(dropout)
            layer = lib.TransformerEncoderLayer(width, heads, 4 * width, dropout,
                                                activation="gelu", batch_first=True,
                                                norm_first=True)
            self.blocks = lib.TransformerEncoder(layer, layers, enable_nested_tensor=False)
            self.norm = lib.LayerNorm(width)
            self.head = lib.Linear(width, 65, bias=False)

        def forward(self, idx, pos, mask):
            x = self.drop(self.tok(idx) + self.pos(pos))
            return self.head(self.norm(self.blocks(x, mask=mask, is_causal=True)))

    return Model()


def transformer(framework, device, tiny):
    n, t = _size("transformer", "batch", tiny), _size("transformer", "block", tiny)
    width, layers = _size("transformer", "width", tiny), _size("transformer", "layers", tiny)
    heads, dropout = _size("transformer", "heads", tiny), _size("transformer", "dropout", tiny)
    g = np.random.default_rng(0)
    x, y = g.integers(0, 65, (n, t)), g.integers(0, 65, (n * t,))
    mask = np.triu(np.ones((t, t), dtype=bool), k=1)
    cr.manual_seed(0)
    model = _gpt(nn, t, width, layers, heads, dropout)
    n_params = sum(int(np.prod(p.shape)) for p in model.parameters())
    # nanoGPT's estimate: 6 N per token for the matrices, 12 L T E for attention
    flops = n * t * (6 * n_params + 12 * layers * t * width)
    if framework == "chainrule":
        model.to(device)
        opt = cr.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99),
                             weight_decay=0.1)
        xb, yb = cr.tensor(x).to(device), cr.tensor(y).to(device)
        pos, m = cr.arange(t).to(device), cr.tensor(mask).to(device)

        def step():
            opt.zero_grad()
            F.cross_entropy(model(xb, pos, m).reshape(-1, 65), yb).backward()
            opt.step()

        return step, flops
    torch = B.torch
    tmodel = _gpt(torch.nn, t, width, layers, heads, dropout)
    B._copy_to_torch(model, tmodel)
    tmodel.to(device)
    opt = torch.optim.AdamW(tmodel.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1)
    xb, yb = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    pos, m = torch.arange(t, device=device), torch.from_numpy(mask).to(device)

    def tstep():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(tmodel(xb, pos, m).reshape(-1, 65), yb).backward()
        opt.step()

    return tstep, flops


def mlp(framework, device, tiny):
    n = _size("mlp", "batch", tiny)
    x, y = B._data((n, 784), 10)
    flops = B.MLP_FLOPS * n // 128
    return B._classifier(framework, B._mlp_cr, B._mlp_torch, "adam", x, y, device), flops


def cnn(framework, device, tiny):
    n = _size("cnn", "batch", tiny)
    x, y = B._data((n, 1, 28, 28), 10)
    flops = B.CNN_FLOPS * n // 64
    return B._classifier(framework, B._cnn_cr, B._cnn_torch, "adam", x, y, device), flops


def lstm(framework, device, tiny):
    cr.manual_seed(0)
    return B.lstm(framework, _size("lstm", "batch", tiny), _size("lstm", "seq", tiny), device)


def chain(framework, device, tiny):
    return B.chain(framework, device)


WORKLOADS = {"mlp": mlp, "cnn": cnn, "lstm": lstm, "transformer": transformer, "chain": chain}


def _timed(step, sync):
    def run():
        step()
        sync()

    return run


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("workloads", nargs="*", help=f"some of: {', '.join(WORKLOADS)}")
    p.add_argument("--device", default="cuda", help="cuda (default) or cpu")
    p.add_argument("--tiny", action="store_true", help="toy sizes: a check of the code")
    p.add_argument("--repeats", type=int, default=20, help="timed steps per framework")
    p.add_argument("--peak-tflops", type=float, default=None,
                   help="the GPU's dense peak for the dtype in use, for the share column")
    args = p.parse_args(argv)
    names = args.workloads or list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        p.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
    B._load_torch()
    have_torch = B.torch is not None
    if args.device != "cpu":
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(0)
        print(f"GPU: {props['name'].decode()}, CuPy {cupy.__version__}, driver "
              f"{cupy.cuda.runtime.driverGetVersion()}"
              + (f", PyTorch {B.torch.__version__} (CUDA {B.torch.version.cuda})"
                 if have_torch else ""))
    header = (f"{'workload':<12} {'chainrule':>11} {'PyTorch':>11} {'ratio':>6} "
              f"{'cr TFLOP/s':>10} {'share':>6}")
    print(header)
    print("-" * len(header))
    results = {}
    for name in names:
        steps, flops = {}, None
        step, flops = WORKLOADS[name]("chainrule", args.device, args.tiny)
        steps["chainrule"] = _timed(step, _sync("chainrule", args.device))
        if have_torch:
            steps["torch"] = _timed(WORKLOADS[name]("torch", args.device, args.tiny)[0],
                                    _sync("torch", args.device))
        t = B.time_interleaved(steps, args.repeats, warmup=3, block=5, settle=0.05)
        tc, tt = t["chainrule"], t.get("torch")
        tflops = flops / tc / 1e12 if flops else None
        share = (f"{100 * tflops / args.peak_tflops:5.1f}%" if tflops and args.peak_tflops
                 else f"{'':>6}")
        ratio = f"{tc / tt:6.2f}" if tt else "     -"
        rate = f"{tflops:10.3f}" if tflops else " " * 10
        print(f"{name:<12} {B._fmt_time(tc):>11} {B._fmt_time(tt):>11} {ratio} {rate} {share}",
              flush=True)
        results[name] = {"chainrule": tc, "torch": tt, "tflops": tflops}
    return results


if __name__ == "__main__":
    main()
    sys.exit(0)
