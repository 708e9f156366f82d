import numpy as np

import chainrule as cr


def test_square_gradient():
    x = cr.tensor([[1.0, 2.0]], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[2.0, 4.0]])
