"""ONNX export and import: ``export(model, example_input, path)`` and ``load(path)``.

Export walks the model and converts each module with the converter registered for its
type (``register_converter``); import runs an ONNX graph with chainrule ops as an
``nn.Module``, so an imported model can be fine-tuned by backprop. Needs the ``onnx``
package (``pip install 'chainrule[onnx]'``, which also installs onnxruntime).

>>> import chainrule.onnx
>>> chainrule.onnx.export(model, cr.randn(1, 784), "mlp.onnx", opset=17)
>>> net = chainrule.onnx.load("mlp.onnx")
>>> net(cr.randn(32, 784)).shape
(32, 10)
"""

from .converters import CONVERTERS, UnsupportedModuleError, register_converter
from .export import export
from .load import OnnxModule, UnsupportedOperatorError, load

__all__ = ["CONVERTERS", "OnnxModule", "UnsupportedModuleError", "UnsupportedOperatorError",
           "export", "load", "register_converter"]
