"""Fused recurrent layers: one layer of an RNN, LSTM or GRU over a whole sequence.

A naive recurrent layer costs some 25 small ops per time step; here the recurrence runs in
NumPy with as few, as large, calls as the math allows:

- the input projection of every time step is ONE GEMM: ``xw = x @ W_ih^T + b``;
- each step does one GEMM for all gates (``h @ W_hh^T``) and one ``tanh`` call for all of
  them: sigmoid(a) = 0.5 + 0.5 tanh(a / 2), and the halving is folded into the weights
  of the sigmoid gates once per sequence (scaling by 0.5 is exact in floating point);
- backward through time fills the gate gradients of every step into one array, so the
  weight gradients are one GEMM each at the end.

LSTM goes further (see ``_LSTMRecurrence``): it works gate-major, (4H, N) per step, so that
each gate block is contiguous, folds the input projection and the bias into the step GEMM,
and runs backward through time in chunks of steps that stay in cache, each chunk ending in
one GEMM for its share of all weight gradients. Large scratch arrays are kept between calls
(``_take``/``_give``): fresh memory of that size costs a page fault per page at first touch.

Gate orders and equations are PyTorch's (``*`` is elementwise, ``s`` is sigmoid)::

    RNN   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)        (or relu)
    LSTM  i, f, g, o = s(.), s(.), tanh(.), s(.) of W_ih x + b_ih + W_hh h + b_hh
          c' = f * c + i * g,   h' = o * tanh(c')
    GRU   r, z = s(W_ir x + b_ir + W_hr h + b_hr), s(W_iz x + b_iz + W_hz h + b_hz)
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),   h' = (1 - z) * n + z * h

The backward pass is written in NumPy too, so it is first order only by itself. With
``create_graph=True`` the gradient is returned through ``_RecurrenceGrad``, whose own
backward differentiates a step-by-step composition of chainrule ops (``recurrence``
with ``fused=False``): second derivatives work, third derivatives do not.

The kernels are CPU code (NumPy arrays, NumPy's BLAS); a layer whose tensors live on a
GPU runs that step-by-step composition instead, op by op on CuPy arrays.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function, enable_grad, grad, is_grad_enabled
from ..tensor import Tensor
from . import elementwise as _ew
from . import shape as _shape
from .linalg import matmul, sum_rows

#: Number of gate blocks stacked in the weights of each mode.
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}

# Scratch arrays of the kernels, kept between calls: fresh memory of this size costs a page
# fault per page (or per huge page) at first touch, which is a large share of a step. An
# array enters the pool only when nothing references it any more (the backward pass is
# over, or the node was released), and at most _POOL_KEEP per shape and dtype are kept.
_POOL: dict = {}
_POOL_KEEP = 4


def _take(shape, dtype):
    """An uninitialised array of this shape and dtype, from the pool when it has one."""
    free = _POOL.get((shape, dtype))
    if free:
        try:
            return free.pop()
        except IndexError:  # taken by another thread meanwhile
            pass
    return np.empty(shape, dtype)


def _give(*arrays):
    """Return arrays from ``_take`` that nothing uses any more to the pool."""
    for a in arrays:
        if a is not None:
            free = _POOL.setdefault((a.shape, a.dtype), [])
            if len(free) < _POOL_KEEP:
                free.append(a)


class _Recurrence(Function):
    """One layer, one direction, the whole sequence (time-major).

    Inputs: ``x (T, N, I), h0 (N, H)``, for LSTM ``c0 (N, H)``, then
    ``W_ih (G*H, I), W_hh (G*H, H)`` and, with bias, ``b_ih, b_hh (G*H,)``.
    Outputs: ``y (T, N, H), h_n (N, H)`` and for LSTM ``c_n (N, H)``. ``reverse`` runs
    from the last step to the first (the backward direction of a bidirectional layer);
    ``y`` stays in input order.

    RNN and GRU subclasses hold the per-mode cell: ``_scan`` (forward over the steps,
    saving what backward needs on ``self``) and ``_scan_back`` (backward through time);
    LSTM has a layout of its own and replaces ``forward`` and ``_grads`` whole.
    """

    has_cell = False

    def __init__(self, reverse: bool, has_bias: bool):
        self.reverse, self.has_bias = reverse, has_bias

    def _split(self, xs):
        x, h0 = xs[0], xs[1]
        k = 2
        c0 = None
        if self.has_cell:
            c0, k = xs[2], 3
        W_ih, W_hh = xs[k], xs[k + 1]
        b_ih, b_hh = (xs[k + 2], xs[k + 3]) if self.has_bias else (None, None)
        return x, h0, c0, W_ih, W_hh, b_ih, b_hh

    def forward(self, *xs):
        x, h0, _, W_ih, W_hh, b_ih, b_hh = self._split(xs)
        T, N, _ = x.shape
        H = W_hh.shape[1]
        if b_ih is None:
            b_ih = b_hh = np.zeros(W_hh.shape[0], W_hh.dtype)
        W_in, b_in, WhhT = self._prepare(W_ih, W_hh, b_ih, b_hh)
        self.shape = (T, N, H)
        xw = self._project(x.reshape(T * N, -1), W_in, b_in)
        order = range(T - 1, -1, -1) if self.reverse else range(T)
        outs = self._scan(xw, h0, WhhT, b_hh, order)
        self.order = order
        return outs

    def _project(self, x2, W_in, b_in):
        """One GEMM for the input projection of all time steps: (T, N, G*H), row-major.

        The scan works in it in place."""
        T, N, _ = self.shape
        xw = np.matmul(x2, W_in.T, out=_take((T * N, W_in.shape[0]), x2.dtype))
        xw += b_in
        return xw.reshape(T, N, -1)

    def _prev(self, Y, h0, t):
        """The state that step ``t`` started from."""
        p = t + 1 if self.reverse else t - 1
        return h0 if p < 0 or p >= len(Y) else Y[p]

    def backward(self, *gys):
        # create_graph: go through a differentiable node
        n_out = 3 if self.has_cell else 2
        gs = _RecurrenceGrad(self)(*self.inputs, *gys[:n_out])
        gs = iter((gs,) if isinstance(gs, Tensor) else gs)
        return tuple(next(gs) if need else None for need in self.needs_grad)

    def backward_array(self, *gys):
        return self._grads(list(gys))

    def _grads(self, gys):
        """The gradient of every input (arrays), from the output gradients (arrays)."""
        x, h0, c0, W_ih, W_hh, b_ih, b_hh = self._split([t.array for t in self.inputs])
        T, N, H = self.shape
        gy, ghn = gys[0], gys[1]
        Dx, Dh, gh0 = self._scan_back(gy, ghn, h0, W_hh)
        G = Dx.shape[-1]
        Dx2, Dh2 = Dx.reshape(T * N, G), Dh.reshape(T, N, G)
        need = self.needs_grad
        gx = gW_ih = gW_hh = gb_ih = gb_hh = None
        if need[0]:
            gx = np.matmul(Dx2, W_ih).reshape(x.shape)
        if need[2]:
            gW_ih = np.matmul(Dx2.T, x.reshape(T * N, -1))
        if need[3]:
            # sum_t Dh[t]^T h_prev[t]: the steps whose h_prev is an output are one GEMM.
            Y = self.Y
            if self.reverse:
                rest, first, prev = Dh2[:-1], Dh2[-1], Y[1:]
            else:
                rest, first, prev = Dh2[1:], Dh2[0], Y[:-1]
            gW_hh = np.matmul(first.T, h0)
            if T > 1:
                gW_hh += np.matmul(rest.reshape(-1, G).T, prev.reshape(-1, H))
        if self.has_bias and (need[4] or need[5]):
            gb_ih = sum_rows(Dx2)
            # RNN adds both biases to the same pre-activation: one sum serves both.
            gb_hh = gb_ih.copy() if Dh is Dx else sum_rows(Dh2.reshape(T * N, G))
            gb_ih, gb_hh = (gb_ih if need[4] else None), (gb_hh if need[5] else None)
        out = [gx, gh0 if need[1] else None, gW_ih, gW_hh]
        if self.has_bias:
            out += [gb_ih, gb_hh]
        return out

    def recycle(self, name, a):
        """Back to the pool after backward: G, the gates, taken as (T*N, gates) rows."""
        if name == "G":
            _give(a.reshape(-1, a.shape[-1]))

    # -- per mode --------------------------------------------------------------------

    def _prepare(self, W_ih, W_hh, b_ih, b_hh):
        """(W for the input GEMM, bias added to it, W_hh^T for the step GEMM).

        What ``_project`` and ``_scan`` of the mode take."""
        return W_ih, b_ih + b_hh, np.ascontiguousarray(W_hh.T)

    def _scan(self, xw, h0, WhhT, b_hh, order):
        raise NotImplementedError

    def _scan_back(self, gy, ghn, h0, W_hh):
        raise NotImplementedError


class _RNNRecurrence(_Recurrence):
    """h' = act(W_ih x + b_ih + W_hh h + b_hh) with act tanh or relu."""

    def __init__(self, reverse, has_bias, relu=False):
        super().__init__(reverse, has_bias)
        self.relu = relu

    def _scan(self, xw, h0, WhhT, b_hh, order):
        Y = xw  # each step's pre-activation becomes its output, in place
        s = np.empty_like(h0)
        h = h0
        for t in order:
            a = Y[t]
            a += np.matmul(h, WhhT, out=s)
            if self.relu:
                np.maximum(a, 0, out=a)
            else:
                np.tanh(a, out=a)
            h = a
        self.save(Y=Y)
        return Y, h.copy()

    def _scan_back(self, gy, ghn, h0, W_hh):
        Y = self.Y
        # d act / d a from the outputs, for all steps at once.
        fac = (Y > 0).astype(Y.dtype) if self.relu else 1 - Y * Y
        D = np.empty_like(Y)
        dh = ghn.copy()
        for t in reversed(self.order):
            dh += gy[t]
            np.multiply(dh, fac[t], out=D[t])
            np.matmul(D[t], W_hh, out=dh)
        return D, D, dh


class _LSTMRecurrence(_Recurrence):
    """Gates i, f, g, o; c' = f c + i g; h' = o tanh(c').

    The kernel works gate-major, one (4H, N) block of gates per step, so that every gate
    block is contiguous, with the gates in the order o, i, f, g: the three sigmoid gates
    are one block (one affine pass after the shared tanh), and so are the three gates whose
    gradient is a multiple of the cell's (one pass in backward). The weight rows are
    permuted once per call (the stored parameters keep PyTorch's order i, f, g, o), and the
    input projection and the bias join the step GEMM: ``[W_hh | W_ih | b] @ [h; x_t; 1]``.

    The step inputs ``[h; x_t; 1]`` of all steps live in one array ``HX`` of shape
    (H + I + 1, T + 1, N): column ``s`` is the input of step ``s`` and step ``s`` writes its
    ``h`` straight into column ``s + 1``, so no step copies its input in or its output out.

    Backward through time goes in chunks of ``chunk`` steps (small enough to stay in
    cache). Everything that does not depend on the incoming gradients is computed for the
    whole chunk at once, before its steps: each gate's derivative times the factor that
    multiplies it (``tanh(c) o'`` for o, ``g i'`` for i, ``c_prev f'`` for f,
    ``i g'`` for g) and ``o (1 - tanh(c)^2)``; a step then only scales these by its ``dh``
    or ``dc``. When a chunk is done, its gate gradients become its share of all weight
    gradients, bias included, in one GEMM against the matching columns of ``HX``, and its
    share of the input gradient in another.
    """

    has_cell = True
    chunk = 16  # steps per block in backward

    def __init__(self, reverse: bool, has_bias: bool, batch_major: bool = False):
        super().__init__(reverse, has_bias)
        self.batch_major = batch_major

    @staticmethod
    def _perm(H):
        """Row order o, i, f, g from the stored i, f, g, o."""
        r = np.arange(4 * H).reshape(4, H)
        return r[[3, 0, 1, 2]].reshape(-1)

    def _prepare(self, W_ih, W_hh, b_ih, b_hh):
        H = W_hh.shape[1]
        p = self._perm(H)
        self.save(perm=p)
        # Pre-scale the sigmoid gates by 1/2: then one tanh call gives all four gates.
        s = np.full((4 * H, 1), 0.5, W_hh.dtype)
        s[3 * H :] = 1
        # [W_hh | W_ih | b], rows permuted and scaled.
        I = W_ih.shape[1]
        W = np.empty((4 * H, H + I + 1), W_hh.dtype)
        np.multiply(W_hh[p], s, out=W[:, :H])
        np.multiply(W_ih[p], s, out=W[:, H : H + I])
        np.add(b_ih[p], b_hh[p], out=W[:, -1])
        W[:, -1] *= s[:, 0]
        return W

    def forward(self, *xs):
        x, h0, c0, W_ih, W_hh, b_ih, b_hh = self._split(xs)
        T, N, I = x.shape
        H = W_hh.shape[1]
        dt = x.dtype
        self.shape = (T, N, H)
        if b_ih is None:
            b_ih = b_hh = np.zeros(W_hh.shape[0], W_hh.dtype)
        W = self._prepare(W_ih, W_hh, b_ih, b_hh)
        self.order = range(T - 1, -1, -1) if self.reverse else range(T)
        # Steps are numbered in the order they run: step s handles time order[s].
        HX = _take((H + I + 1, T + 1, N), dt)
        np.copyto(HX[H : H + I, :T], (x[::-1] if self.reverse else x).transpose(2, 0, 1))
        HX[-1] = 1
        HX[:H, 0] = h0.T
        G = _take((T, 4 * H, N), dt)  # the activated gates o, i, f, g, per step
        CT = _take((2, T, H, N), dt)  # c and tanh(c), (H, N) per step
        self.save(HX=HX, G=G, CT=CT)
        C, TC = CT
        if self.batch_major:  # stored (N, T, H): swapping the first two axes is free
            y = np.empty((N, T, H), dt).transpose(1, 0, 2)
        else:
            y = np.empty((T, N, H), dt)
        s1 = np.empty((H, N), dt)
        half = dt.type(0.5)
        H2, H3 = 2 * H, 3 * H
        c = np.ascontiguousarray(c0.T)
        order = self.order
        for s in range(T):
            a = G[s]
            np.matmul(W, HX[:, s], out=a)
            np.tanh(a, out=a)
            sg = a[:H3]
            sg *= half
            sg += half
            ct, tc = C[s], TC[s]
            np.multiply(a[H2:H3], c, out=ct)
            ct += np.multiply(a[H:H2], a[H3:], out=s1)
            np.tanh(ct, out=tc)
            h = HX[:H, s + 1]
            np.multiply(a[:H], tc, out=h)
            np.copyto(y[order[s]], h.T)
            c = ct
        return y, HX[:H, T].T.copy(), c.T.copy()

    def _chunk_factors(self, s0, m, c0T, M, P):
        """What backward needs of steps s0 .. s0 + m - 1 beyond dh and dc (class docstring):
        into ``M`` (m, 4H, N) and ``P`` (m, H, N)."""
        H = self.shape[2]
        H2, H3 = 2 * H, 3 * H
        Ga, C, TC = self.G[s0 : s0 + m], self.CT[0], self.CT[1][s0 : s0 + m]
        np.multiply(Ga, Ga, out=M)
        np.subtract(Ga[:, :H3], M[:, :H3], out=M[:, :H3])  # s (1 - s) for o, i, f
        np.subtract(1, M[:, H3:], out=M[:, H3:])  # 1 - g^2 for g
        M[:, :H] *= TC
        M[:, H:H2] *= Ga[:, H3:]
        if s0 == 0:
            M[0, H2:H3] *= c0T
            if m > 1:
                M[1:, H2:H3] *= C[: m - 1]
        else:
            M[:, H2:H3] *= C[s0 - 1 : s0 + m - 1]
        M[:, H3:] *= Ga[:, H:H2]
        np.multiply(TC, TC, out=P)
        np.subtract(1, P, out=P)
        P *= Ga[:, :H]

    def _grads(self, gys):
        x, h0, c0, W_ih, W_hh, _, _ = self._split([t.array for t in self.inputs])
        T, N, H = self.shape
        I = x.shape[2]
        gy, ghn, gcn = gys
        need = self.needs_grad
        G, HX, p = self.G, self.HX, self.perm
        dt = G.dtype
        H2, H3 = 2 * H, 3 * H
        WT = np.ascontiguousarray(W_hh[p].T)
        Wx = W_ih[p] if need[0] else None
        gxs = np.empty((T, N, I), dt) if need[0] else None  # step order
        gW = np.zeros((4 * H, H + I + 1), dt) if any(need[3:]) else None  # rows o, i, f, g
        k = min(self.chunk, T)
        buf = _take((4 * H, k, N), dt)  # the gate gradients of up to k steps
        M = _take((k, 4 * H, N), dt)
        P = _take((k, H, N), dt)
        s1 = np.empty((H, N), dt)
        dh = ghn.T.copy()
        dc = gcn.T.copy()
        c0T = np.ascontiguousarray(c0.T)
        if self.reverse:
            gy = gy[::-1]  # step order
        # Adding a step's (N, H) gradient to the (H, N) dh reads it across its rows. When
        # those rows lie far apart (y batch-major: N rows T*H apart, all in the same cache
        # sets), the chunk's rows are first copied next to each other.
        GY = None if gy[0].flags.c_contiguous else _take((k, N, H), dt)
        for s in range(T - 1, -1, -1):
            j = s % k
            if s == T - 1 or j == k - 1:  # the first step of a chunk to run
                self._chunk_factors(s - j, j + 1, c0T, M[: j + 1], P[: j + 1])
                if GY is not None:
                    np.copyto(GY[: j + 1], gy[s - j : s + 1])
            d = buf[:, j]
            # h' = o tanh(c'), c' = f c + i g: dh into dc, then each gate from dh or dc.
            dh += gy[s].T if GY is None else GY[j].T
            dc += np.multiply(dh, P[j], out=s1)
            np.multiply(dh, M[j, :H], out=d[:H])
            np.multiply(dc, M[j, H:].reshape(3, H, N), out=d[H:].reshape(3, H, N))
            dc *= G[s, H2:H3]
            if s or need[1]:
                np.matmul(WT, d, out=dh)
            if j == 0:  # the chunk of steps s .. s + m - 1 is complete
                m = min(k, T - s)
                B = buf[:, :m].reshape(4 * H, m * N)
                if gW is not None:
                    gW += np.matmul(B, HX[:, s : s + m].reshape(-1, m * N).T)
                if gxs is not None:
                    np.matmul(B.T, Wx, out=gxs[s : s + m].reshape(m * N, I))
        _give(buf, M, P, GY)
        gx = gW_ih = gW_hh = gb_ih = gb_hh = None
        if gxs is not None:
            gx = np.ascontiguousarray(gxs[::-1]) if self.reverse else gxs
        if gW is not None:  # back to the stored gate order
            q = np.argsort(p)
            gW_hh = np.ascontiguousarray(gW[q, :H]) if need[4] else None
            gW_ih = np.ascontiguousarray(gW[q, H : H + I]) if need[3] else None
            if self.has_bias:
                gb = gW[q, -1]
                gb_ih = gb if need[5] else None
                gb_hh = gb.copy() if need[6] else None
        out = [gx, dh.T.copy() if need[1] else None, dc.T.copy() if need[2] else None,
               gW_ih, gW_hh]
        if self.has_bias:
            out += [gb_ih, gb_hh]
        return out

    def recycle(self, name, a):
        """Back to the pool after backward: the step inputs, gates and cell states."""
        if name in ("G", "CT", "HX"):
            _give(a)


class _GRURecurrence(_Recurrence):
    """Gates r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn)); h' = n + z (h - n)."""

    def _prepare(self, W_ih, W_hh, b_ih, b_hh):
        H = W_hh.shape[1]
        s = np.ones(3 * H, W_hh.dtype)
        s[: 2 * H] = 0.5  # sigmoid through tanh for r and z
        b = b_ih.copy()
        b[: 2 * H] += b_hh[: 2 * H]  # b_hn stays inside r * (...)
        return W_ih * s[:, None], b * s, np.ascontiguousarray((W_hh * s[:, None]).T)

    def _scan(self, xw, h0, WhhT, b_hh, order):
        T, N, H = self.shape
        G = xw  # becomes the gates r, z, n of every step
        HN, Y = np.empty((T, N, H), xw.dtype), np.empty((T, N, H), xw.dtype)
        s3 = np.empty((N, 3 * H), xw.dtype)
        s1 = np.empty((N, H), xw.dtype)
        b_hn = b_hh[2 * H :]
        h = h0
        for t in order:
            a = G[t]
            np.matmul(h, WhhT, out=s3)
            rz = a[:, : 2 * H]
            rz += s3[:, : 2 * H]
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            np.add(s3[:, 2 * H :], b_hn, out=HN[t])
            n = a[:, 2 * H :]
            n += np.multiply(a[:, :H], HN[t], out=s1)
            np.tanh(n, out=n)
            y = Y[t]
            np.subtract(h, n, out=y)
            y *= a[:, H : 2 * H]
            y += n
            h = y
        self.save(G=G, HN=HN, Y=Y)
        return Y, h.copy()

    def _scan_back(self, gy, ghn, h0, W_hh):
        T, N, H = self.shape
        G, HN, Y = self.G, self.HN, self.Y
        fac = 1 - G  # r (1 - r), z (1 - z), and 1 - n^2 for n
        fac *= G
        n = G[..., 2 * H :]
        np.multiply(n, n, out=fac[..., 2 * H :])
        np.subtract(1, fac[..., 2 * H :], out=fac[..., 2 * H :])
        Dx, Dh = np.empty_like(G), np.empty_like(G)
        s1 = np.empty((N, H), G.dtype)
        dh = ghn.copy()
        for t in reversed(self.order):
            dh += gy[t]
            a, dx, dhh = G[t], Dx[t], Dh[t]
            r, z, nt = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
            dn = dx[:, 2 * H :]
            np.multiply(dh, z, out=s1)  # the direct path h -> z * h
            np.subtract(dh, s1, out=dn)
            dn *= fac[t, :, 2 * H :]
            dz = dhh[:, H : 2 * H]
            np.subtract(self._prev(Y, h0, t), nt, out=dz)
            dz *= dh
            dz *= fac[t, :, H : 2 * H]
            np.multiply(dn, r, out=dhh[:, 2 * H :])
            dr = dhh[:, :H]
            np.multiply(dn, HN[t], out=dr)
            dr *= fac[t, :, :H]
            np.matmul(dhh, W_hh, out=dh)
            dh += s1
        Dx[..., : 2 * H] = Dh[..., : 2 * H]
        return Dx, Dh, dh


_KERNELS = {  # (reverse, has_bias, batch_major) -> the node
    "RNN_TANH": lambda r, b, m: _RNNRecurrence(r, b),
    "RNN_RELU": lambda r, b, m: _RNNRecurrence(r, b, relu=True),
    "LSTM": _LSTMRecurrence,
    "GRU": lambda r, b, m: _GRURecurrence(r, b),
}


class _RecurrenceGrad(Function):
    """The gradients of a ``_Recurrence`` node as a node of their own (for create_graph).

    Forward is the fused NumPy backward. Its backward differentiates the step-by-step
    composition of chainrule ops twice, on fresh leaves holding the same values.
    """

    def __init__(self, node: _Recurrence):
        self.node = node
        self.n_in = len(node.inputs)

    def forward(self, *xs):
        grads = self.node._grads(list(xs[self.n_in :]))
        self.present = [g is not None for g in grads]
        return tuple(g for g in grads if g is not None)

    def backward(self, *ggs):
        if is_grad_enabled():
            raise RuntimeError(
                f"{self.node.name}: third derivatives of a recurrent layer are not supported"
            )
        node, n_in = self.node, self.n_in
        leaves = [Tensor(t.array, requires_grad=True) for t in self.inputs]
        xs, gys = leaves[:n_in], leaves[n_in:]
        with enable_grad():
            outs = _composed(node, xs)
            firsts = grad(list(outs), [x for x, p in zip(xs, self.present) if p], gys,
                          create_graph=True, allow_unused=True)
            total = None
            for g, gg in zip(firsts, ggs):
                if g is not None:
                    term = (g * gg).sum()
                    total = term if total is None else total + term
        if total is None or not total.requires_grad:
            return (None,) * len(leaves)
        seconds = grad(total, leaves, allow_unused=True)
        return tuple(None if g is None else g.detach() for g in seconds)


def _composed(node: _Recurrence, xs):
    x, h0, c0, W_ih, W_hh, b_ih, b_hh = node._split(xs)
    mode = {_LSTMRecurrence: "LSTM", _GRURecurrence: "GRU"}.get(type(node))
    if mode is None:
        mode = "RNN_RELU" if node.relu else "RNN_TANH"
    return _recurrence_composed(mode, x, h0, c0, W_ih, W_hh, b_ih, b_hh, node.reverse)


def _cell_composed(mode, xw_t, h, c, W_hh, b_hh):
    """One step from the input projection ``xw_t`` (with b_ih), in chainrule ops."""
    hw = matmul(h, _shape.t(W_hh))
    if b_hh is not None:
        hw = hw + b_hh
    if mode == "LSTM":
        i, f, g, o = _shape.chunk(xw_t + hw, 4, -1)
        c = _ew.sigmoid(f) * c + _ew.sigmoid(i) * _ew.tanh(g)
        return _ew.sigmoid(o) * _ew.tanh(c), c
    if mode == "GRU":
        xr, xz, xn = _shape.chunk(xw_t, 3, -1)
        hr, hz, hn = _shape.chunk(hw, 3, -1)
        r, z = _ew.sigmoid(xr + hr), _ew.sigmoid(xz + hz)
        n = _ew.tanh(xn + r * hn)
        return n + z * (h - n), None
    a = xw_t + hw
    return (_ew.relu(a) if mode == "RNN_RELU" else _ew.tanh(a)), None


def _recurrence_composed(mode, x, h0, c0, W_ih, W_hh, b_ih, b_hh, reverse):
    """The same layer as ``_Recurrence``, step by step in differentiable chainrule ops."""
    xw = matmul(x, _shape.t(W_ih))
    if b_ih is not None:
        xw = xw + b_ih
    T = x.shape[0]
    h, c = h0, c0
    ys = [None] * T
    for t in range(T - 1, -1, -1) if reverse else range(T):
        h, c = _cell_composed(mode, xw[t], h, c, W_hh, b_hh)
        ys[t] = h
    y = _shape.stack(ys, axis=0)
    return (y, h, c) if mode == "LSTM" else (y, h)


def recurrence(mode: str, x: Tensor, h0: Tensor, c0: Tensor | None, W_ih: Tensor,
               W_hh: Tensor, b_ih: Tensor | None = None, b_hh: Tensor | None = None,
               reverse: bool = False, fused: bool = True, batch_major: bool = False) -> tuple:
    """One recurrent layer over a time-major sequence: ``(y, h_n)``, or ``(y, h_n, c_n)``.

    ``mode`` is ``"RNN_TANH"``, ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``; shapes are
    ``x (T, N, I)``, ``h0, c0 (N, H)``, ``W_ih (G*H, I)``, ``W_hh (G*H, H)``,
    ``b_ih, b_hh (G*H,)`` with G gates (1, 1, 4, 3). ``c0`` is for LSTM only. ``fused=False``
    runs the step-by-step composition of chainrule ops instead of the fused kernel (slower;
    any order of derivatives). The fused kernels are NumPy code for the CPU: tensors on a
    GPU always take the composition. ``batch_major`` is a hint about memory only: the fused LSTM
    then stores ``y`` batch-major, so that ``y.swapaxes(0, 1)`` is contiguous (what a
    ``batch_first`` model reshapes next); values and shapes do not change.
    """
    if mode not in GATES:
        raise ValueError(f"recurrence: mode must be one of {sorted(GATES)}, got {mode!r}")
    if not fused or x.xp is not np:
        return _recurrence_composed(mode, x, h0, c0, W_ih, W_hh, b_ih, b_hh, reverse)
    has_bias = b_ih is not None
    args = [x, h0] + ([c0] if mode == "LSTM" else []) + [W_ih, W_hh]
    if has_bias:
        args += [b_ih, b_hh]
    return _KERNELS[mode](reverse, has_bias, batch_major)(*args)
