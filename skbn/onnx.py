"""ONNX export of a fitted :class:`~skbn.BNMLPClassifier` through skl2onnx.

Importing this module registers shape calculators and converters with
skl2onnx for :class:`~skbn.BNMLPClassifier` and :class:`~skbn.SmoothClipScaler`,
after which ``skl2onnx.to_onnx(model, X[:1])`` converts the estimator alone
or inside a scikit-learn ``Pipeline`` (the recommended setting for
imbalanced data included)::

    import skbn.onnx  # noqa: F401  (registers the converter)
    from skl2onnx import to_onnx
    onx = to_onnx(model, X[:1].astype("float32"), options={"zipmap": False})

The graph is the network skbn predicts with: BN folded into the linear
layers (one ``MatMul`` and one ``Add`` per layer, batched over the members
of an ensemble), a softmax, the members' mean probability (weighted by
``member_weights_`` where the model has them) and, with
``prior`` or ``logit_adjustment``, the prior correction as set at export.
Its outputs are those of skl2onnx's classifiers: ``label`` and
``probabilities`` (a ZipMap of the probabilities unless ``zipmap=False``). Needs the ``onnx`` extra
(``pip install -e ".[onnx]"`` from the repository: skl2onnx, onnxruntime).
"""

import numpy as np
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import guess_proto_type
from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
from skl2onnx.proto import onnx_proto
from skl2onnx.shape_calculators.scaler import calculate_sklearn_scaler_output_shapes

from ._balanced import BalancedBNMLPClassifier
from ._classifier import BNMLPClassifier
from ._inspect import folded_layers, member_weights, prior_offset
from ._network import ACTIVATIONS
from .preprocessing import SmoothClipScaler

__all__ = ["convert_bnmlp_classifier", "convert_smooth_clip_scaler", "register"]


def _constant(scope, container, name, array, proto_dtype):
    unique = scope.get_unique_variable_name(name)
    array = np.asarray(array)
    container.add_initializer(unique, proto_dtype, list(array.shape), array.ravel().tolist())
    return unique


def _node(scope, container, op_type, inputs, **attrs):
    out = scope.get_unique_variable_name(op_type.lower())
    container.add_node(op_type, inputs, out, name=scope.get_unique_operator_name(op_type), **attrs)
    return out


def _reduce(scope, container, op_type, x, axis):
    """``op_type`` over one axis, keeping it; the axes became an input in opset 18
    (ReduceSum: 13)."""
    since = 13 if op_type == "ReduceSum" else 18
    if container.target_opset >= since:
        axes = _constant(scope, container, "axes", np.array([axis]), onnx_proto.TensorProto.INT64)
        return _node(scope, container, op_type, [x, axes], keepdims=1)
    return _node(scope, container, op_type, [x], axes=[axis], keepdims=1)


def convert_bnmlp_classifier(scope, operator, container):
    """skl2onnx converter: the folded network, its softmax, the members' mean
    and the prior correction; outputs label and probabilities."""
    model = operator.raw_operator
    proto_dtype = guess_proto_type(operator.inputs[0].type)
    if proto_dtype != onnx_proto.TensorProto.DOUBLE:
        proto_dtype = onnx_proto.TensorProto.FLOAT
    np_dtype = np.float64 if proto_dtype == onnx_proto.TensorProto.DOUBLE else np.float32

    a = _node(scope, container, "Cast", [operator.inputs[0].full_name], to=proto_dtype)
    layers = folded_layers(model)
    for i, (coef, intercept) in enumerate(layers):
        w = _constant(scope, container, "coef", coef.astype(np_dtype), proto_dtype)
        # (..., 1, width): broadcast over the rows of each member
        b = _constant(
            scope, container, "intercept", intercept[..., None, :].astype(np_dtype), proto_dtype
        )
        a = _node(scope, container, "Add", [_node(scope, container, "MatMul", [a, w]), b])
        if i < len(layers) - 1:
            a = _node(scope, container, ACTIVATIONS[model.activation].onnx, [a])
    proba = _node(scope, container, "Softmax", [a], axis=-1)
    if coef.ndim == 3:  # the members' (weighted) mean probability, (n, classes)
        weights = member_weights(model)
        if weights is None:
            mean = _reduce(scope, container, "ReduceMean", proba, axis=0)
        else:
            w = _constant(
                scope,
                container,
                "member_weights",
                weights[:, None, None].astype(np_dtype),
                proto_dtype,
            )
            weighted = _node(scope, container, "Mul", [proba, w])
            mean = _reduce(scope, container, "ReduceSum", weighted, axis=0)
        shape = _constant(
            scope,
            container,
            "shape",
            np.array([-1, len(model.classes_)]),
            onnx_proto.TensorProto.INT64,
        )
        proba = _node(scope, container, "Reshape", [mean, shape])
    offset = prior_offset(model)
    if offset is not None:
        # softmax(log p + offset) = p * exp(offset), renormalised: the prior
        # (or logit adjustment) predict_proba applies.
        factor = np.exp(offset)[None, :]
        f = _constant(scope, container, "prior_factor", factor.astype(np_dtype), proto_dtype)
        scaled = _node(scope, container, "Mul", [proba, f])
        total = _reduce(scope, container, "ReduceSum", scaled, axis=1)
        proba = _node(scope, container, "Div", [scaled, total])
    container.add_node(
        "Identity",
        [proba],
        operator.outputs[1].full_name,
        name=scope.get_unique_operator_name("Identity"),
    )

    index = _node(scope, container, "ArgMax", [proba], axis=1, keepdims=0)
    classes = model.classes_
    if classes.dtype.kind in "iub":
        labels = _constant(
            scope, container, "classes", classes.astype(np.int64), onnx_proto.TensorProto.INT64
        )
    elif classes.dtype.kind in "OUS":
        labels = scope.get_unique_variable_name("classes")
        values = [str(c).encode("utf-8") for c in classes]
        container.add_initializer(labels, onnx_proto.TensorProto.STRING, [len(values)], values)
    else:
        raise NotImplementedError(
            f"ONNX export supports integer and string class labels, not {classes.dtype}."
        )
    container.add_node(
        "Gather",
        [labels, index],
        operator.outputs[0].full_name,
        name=scope.get_unique_operator_name("Gather"),
        axis=0,
    )


def convert_smooth_clip_scaler(scope, operator, container):
    """skl2onnx converter of :class:`~skbn.SmoothClipScaler`: with
    ``r = (x - center) / (scale * clip)``, ``clip * r / sqrt(1 + r ** 2)``."""
    model = operator.raw_operator
    proto_dtype = guess_proto_type(operator.outputs[0].type)
    if proto_dtype != onnx_proto.TensorProto.DOUBLE:
        proto_dtype = onnx_proto.TensorProto.FLOAT
    np_dtype = np.float64 if proto_dtype == onnx_proto.TensorProto.DOUBLE else np.float32
    names = [v.full_name for v in operator.inputs]
    x = names[0] if len(names) == 1 else _node(scope, container, "Concat", names, axis=1)
    x = _node(scope, container, "Cast", [x], to=proto_dtype)

    def const(name, value):
        return _constant(scope, container, name, np.asarray(value, dtype=np_dtype), proto_dtype)

    r = _node(scope, container, "Sub", [x, const("center", model.center_[None])])
    r = _node(scope, container, "Div", [r, const("scale", (model.scale_ * model.clip)[None])])
    # |r| beyond 1e6 gives +-clip to float precision; clipping keeps r * r finite.
    r = _node(scope, container, "Clip", [r, const("low", -1e6), const("high", 1e6)])
    denom = _node(
        scope, container, "Add", [_node(scope, container, "Mul", [r, r]), const("one", [1])]
    )
    scaled = _node(scope, container, "Mul", [r, const("clip", [model.clip])])
    container.add_node(
        "Div",
        [scaled, _node(scope, container, "Sqrt", [denom])],
        operator.outputs[0].full_name,
        name=scope.get_unique_operator_name("Div"),
    )


def register():
    """Register :class:`~skbn.BNMLPClassifier`, :class:`~skbn.BalancedBNMLPClassifier`
    and :class:`~skbn.SmoothClipScaler`
    with skl2onnx (idempotent; done when this module is imported)."""
    update_registered_converter(
        SmoothClipScaler,
        "SkbnSmoothClipScaler",
        calculate_sklearn_scaler_output_shapes,
        convert_smooth_clip_scaler,
    )
    for estimator in (BNMLPClassifier, BalancedBNMLPClassifier):
        update_registered_converter(
            estimator,
            f"Skbn{estimator.__name__}",
            calculate_linear_classifier_output_shapes,
            convert_bnmlp_classifier,
            options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
        )


register()
