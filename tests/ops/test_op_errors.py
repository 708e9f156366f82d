"""What a user can get wrong with each op: every error names the op and the shapes or values,
never a bare NumPy traceback."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

A = cr.ones(2, 3)
B = cr.ones(4, 5)

# (id, call, exception type, regex the message must match)
BAD = [
    ("add", lambda: A + B, ValueError, r"add: shapes \(2, 3\) and \(4, 5\) cannot be broadcast"),
    ("sub", lambda: A - B, ValueError, r"sub: shapes \(2, 3\) and \(4, 5\)"),
    ("mul", lambda: A * B, ValueError, r"mul: shapes \(2, 3\) and \(4, 5\)"),
    ("div", lambda: A / B, ValueError, r"div: shapes \(2, 3\) and \(4, 5\)"),
    ("pow", lambda: A**B, ValueError, r"pow: shapes \(2, 3\) and \(4, 5\)"),
    ("radd_array", lambda: np.ones((4, 5)) + A, ValueError, r"add: shapes \(4, 5\) and \(2, 3\)"),
    ("maximum", lambda: cr.maximum(A, B), ValueError, r"maximum: shapes \(2, 3\) and \(4, 5\)"),
    ("minimum", lambda: cr.minimum(A, B), ValueError, r"minimum: shapes \(2, 3\) and \(4, 5\)"),
    ("less", lambda: A < B, ValueError, r"less: shapes \(2, 3\) and \(4, 5\)"),
    ("equal", lambda: A == B, ValueError, r"equal: shapes \(2, 3\) and \(4, 5\)"),
    ("where_shapes", lambda: cr.where(A > 0, A, B), ValueError,
     r"where: condition \(2, 3\), a \(2, 3\) and b \(4, 5\)"),
    ("where_cond_dtype", lambda: cr.where(A, A, A), TypeError,
     r"where: condition must be boolean, got dtype float32"),
    ("matmul", lambda: cr.ones(32, 784) @ cr.ones(128, 10), ValueError,
     r"matmul: shapes \(32, 784\) and \(128, 10\) do not align \(784 != 128\)"),
    ("matmul_vec", lambda: cr.ones(3) @ cr.ones(4), ValueError,
     r"matmul: shapes \(3,\) and \(4,\) do not align"),
    ("matmul_0d", lambda: cr.tensor(1.0) @ A, ValueError,
     r"matmul: operands must have at least one dimension, got shapes \(\) and \(2, 3\)"),
    ("matmul_batch", lambda: cr.ones(2, 3, 4) @ cr.ones(3, 4, 5), ValueError,
     r"matmul: batch dimensions of \(2, 3, 4\) and \(3, 4, 5\)"),
    ("einsum_sizes", lambda: cr.einsum("ij,jk->ik", A, B), ValueError,
     r"einsum: subscript 'j' has size 3 in one operand and 4"),
    ("einsum_count", lambda: cr.einsum("ij,jk->ik", A), ValueError,
     r"einsum: 'ij,jk->ik' names 2 operands but 1 given"),
    ("einsum_rank", lambda: cr.einsum("ijk->i", A), ValueError,
     r"einsum: subscripts 'ijk' do not match an operand of shape \(2, 3\)"),
    ("sum_axis", lambda: A.sum(axis=2), ValueError,
     r"sum: axis 2 is out of range for a tensor with 2 dimensions"),
    ("sum_axis_type", lambda: A.sum(axis=1.0), TypeError, r"sum: axis must be an int"),
    ("mean_repeated", lambda: A.mean(axis=(0, 0)), ValueError, r"mean: repeated axis"),
    ("std_axis", lambda: A.std(axis=9), ValueError, r"std: axis 9 is out of range"),
    ("max_empty", lambda: cr.zeros(0).max(), ValueError, r"max: cannot reduce an empty .*\(0,\)"),
    ("min_axis", lambda: A.min(axis=-3), ValueError, r"min: axis -3 is out of range"),
    ("logsumexp_axis", lambda: A.logsumexp(axis=(0, 5)), ValueError, r"logsumexp: axis 5"),
    ("prod_axis", lambda: A.prod(axis=7), ValueError, r"prod: axis 7"),
    ("argmax_axis", lambda: A.argmax(axis=3), ValueError, r"argmax: axis 3"),
    ("argmin_empty", lambda: cr.zeros(0).argmin(), ValueError, r"argmin: cannot reduce an empty"),
    ("reshape", lambda: A.reshape(4, 2), ValueError,
     r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into shape \(4, 2\)"),
    ("reshape_two_minus_one", lambda: A.reshape(-1, -1), ValueError, r"reshape: .*\(-1, -1\)"),
    ("transpose", lambda: A.transpose((1, 0)), TypeError,
     r"transpose: expects two dims \(ints\), got \(1, 0\)"),
    ("permute", lambda: A.permute(0, 0), ValueError,
     r"permute: dims \(0, 0\) are not a permutation .*\(2, 3\)"),
    ("swapaxes", lambda: A.swapaxes(0, 5), ValueError, r"swapaxes: axis 5 is out of range"),
    ("squeeze", lambda: A.squeeze(0), ValueError,
     r"squeeze: cannot remove axis 0 of length 2 from a tensor of shape \(2, 3\)"),
    ("expand_dims", lambda: A.expand_dims(5), ValueError, r"expand_dims: axis 5"),
    ("broadcast_to", lambda: A.broadcast_to((3, 3)), ValueError,
     r"broadcast_to: cannot broadcast shape \(2, 3\) to \(3, 3\)"),
    ("broadcast_to_fewer_dims", lambda: A.broadcast_to((3,)), ValueError, r"broadcast_to: "),
    ("flatten", lambda: A.flatten(1, 0), ValueError, r"flatten: start_dim 1 comes after end_dim 0"),
    ("concatenate", lambda: cr.concatenate([A, B]), ValueError,
     r"concatenate: shapes \[\(2, 3\), \(4, 5\)\] differ outside axis 0"),
    ("concatenate_empty", lambda: cr.concatenate([]), ValueError, r"concatenate: need at least"),
    ("concatenate_0d", lambda: cr.concatenate([cr.tensor(1.0)]), ValueError,
     r"concatenate: 0-d tensors"),
    ("stack", lambda: cr.stack([A, B]), ValueError,
     r"stack: all tensors must have the same shape, got \[\(2, 3\), \(4, 5\)\]"),
    ("split", lambda: cr.split(A, [1, 1], dim=1), ValueError,
     r"split: sizes \[1, 1\] must be non-negative and add up to 3"),
    ("pad_negative", lambda: cr.pad(A, -1), ValueError, r"pad: invalid pad_width -1 .*\(2, 3\)"),
    ("pad_rank", lambda: cr.pad(A, ((1, 1), (1, 1), (1, 1))), ValueError,
     r"pad: invalid pad_width"),
    ("pad_mode", lambda: cr.pad(A, 1, mode="reflect"), ValueError, r"pad: only mode='constant'"),
    ("getitem_int", lambda: A[5], IndexError,
     r"getitem: index 5 is out of bounds .*\(tensor shape \(2, 3\)\)"),
    ("getitem_array", lambda: A[np.array([0, 7])], IndexError, r"getitem: index 7"),
    ("getitem_mask", lambda: A[np.array([True, False, True])], IndexError,
     r"getitem: .*\(tensor shape \(2, 3\)\)"),
    ("getitem_float", lambda: A[1.5], IndexError, r"getitem: .*\(tensor shape \(2, 3\)\)"),
    ("softmax_axis", lambda: cr.softmax(A, axis=4), ValueError, r"softmax: axis 4"),
    ("log_softmax_axis", lambda: cr.log_softmax(A, axis=-3), ValueError, r"log_softmax: axis -3"),
    ("one_hot_dtype", lambda: cr.one_hot(A), TypeError,
     r"one_hot: indices must be integers, got dtype float32"),
    ("one_hot_range", lambda: cr.one_hot(cr.tensor([0, 5]), 3), ValueError,
     r"one_hot: class indices must be in \[0, 3\), got values from 0 to 5"),
    ("clip_none", lambda: A.clip(), ValueError, r"clip: at least one of min and max"),
    ("clip_order", lambda: A.clip(2, 1), ValueError, r"clip: min \(2\) is greater than max \(1\)"),
    ("exp_list", lambda: cr.exp([1.0]), TypeError, r"exp: input must be a Tensor, got list"),
    ("log_str", lambda: cr.log("x"), TypeError, r"log: input must be a Tensor, got str"),
    ("astype", lambda: A.astype("float7"), TypeError, r"astype: unknown dtype 'float7'"),
    ("pow_int_negative", lambda: cr.tensor([1, 2]) ** cr.tensor([-1, 2]), ValueError,
     r"pow: integer tensors \(dtypes int64 and int64\) cannot be raised to negative"),
    ("rpow_int_negative", lambda: 2 ** cr.tensor([-1, 2]), ValueError, r"pow: integer tensors"),
    ("reshape_float", lambda: A.reshape(3.0, 2), TypeError, r"reshape: shape must be ints"),
    ("transpose_range", lambda: A.transpose(0, 5), ValueError,
     r"transpose: axis 5 is out of range"),
    ("clip_tensor_bound", lambda: A.clip(cr.ones(3)), TypeError,
     r"clip: min must be a number or a one-element tensor, got shape \(3,\)"),
    ("einsum_char", lambda: cr.einsum("i1->i", A), ValueError,
     r"einsum: 'i1->i' has invalid subscripts \['1'\]"),
    ("einsum_output", lambda: cr.einsum("ij->k", A), ValueError,
     r"einsum: output subscripts in 'ij->k' must appear in an input: \['k'\]"),
]


@pytest.mark.parametrize("call, exc, pattern", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises_named_error(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match=r"only floating-point .* got dtype int64"):
        cr.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match=r"requires_grad_: .*int32"):
        cr.tensor([1, 2], dtype="int32").requires_grad_()


def test_errors_do_not_chain_numpy_tracebacks():
    with pytest.raises(ValueError) as info:
        A + B
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_comparisons_and_argmax_carry_no_gradient():
    x = cr.tensor([1.0, -2.0], requires_grad=True)
    for y in (x > 0, x == x, x.argmax(), cr.one_hot(cr.tensor([0, 1]), 2), x.sign()):
        assert not y.requires_grad and y.creator is None


def test_clip_accepts_one_element_tensor_bounds():
    x = cr.tensor([-2.0, 0.2, 3.0])
    np.testing.assert_allclose(x.clip(cr.tensor(-1.0), cr.tensor([1.0])).numpy(), [-1, 0.2, 1])


def test_var_without_degrees_of_freedom_is_nan_with_a_warning():
    # PyTorch: var of one element with correction=1 is NaN and warns (it does not raise).
    with pytest.warns(UserWarning, match=r"var: correction=1 .* 1 element"):
        v = cr.ones(1).var()
    assert np.isnan(v.item())


def test_var_with_a_correction_past_the_count_is_inf_as_pytorch():
    # PyTorch divides by max(0, n - correction): inf where the deviations are not all 0.
    with pytest.warns(UserWarning, match=r"var: correction=6"):
        v = cr.tensor([1.0, 2.0, 3.0]).var(correction=6)
    assert np.isposinf(v.item())
