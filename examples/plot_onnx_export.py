"""
Export to ONNX and predict with onnxruntime
===========================================

A fitted :class:`skbn.BNMLPClassifier` is, at predict time, a few matrix
products with BN folded in. ``import skbn.onnx`` registers it with skl2onnx,
so a whole pipeline converts with ``skl2onnx.to_onnx``; onnxruntime then
predicts without Python's scientific stack. Here: a pipeline with a
``ColumnTransformer`` (scaling and one-hot encoding), the recommended
setting for imbalanced data (24 members on balanced bootstraps), and a check that
onnxruntime's probabilities match ``predict_proba``.
"""

import numpy as np
import onnxruntime as ort
import pandas as pd
from skl2onnx import to_onnx
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import skbn.onnx  # noqa: F401  (registers the skbn estimators and SmoothClipScaler)
from skbn import BalancedBNMLPClassifier, SmoothClipScaler

X, y = make_classification(n_samples=1500, n_features=6, weights=[0.9], random_state=0)
df = pd.DataFrame(X.astype(np.float32), columns=[f"x{i}" for i in range(6)])
df["region"] = np.array(["north", "south", "east"])[np.arange(len(df)) % 3]
train, test = df.iloc[:1000], df.iloc[1000:]

model = make_pipeline(
    ColumnTransformer(
        [
            ("num", SmoothClipScaler(), [f"x{i}" for i in range(6)]),
            ("cat", OneHotEncoder(sparse_output=False), ["region"]),
        ]
    ),
    BalancedBNMLPClassifier(random_state=0),
).fit(train, y[:1000])

onx = to_onnx(model, train[:1], options={"zipmap": False})
session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
feeds = {
    name: test[[name]].to_numpy().astype(object if name == "region" else np.float32)
    for name in test.columns
}
labels, proba = session.run(None, feeds)

print(f"ONNX graph: {len(onx.graph.node)} nodes, inputs {[i.name for i in onx.graph.input]}")
print("largest |onnxruntime - predict_proba|:", np.abs(proba - model.predict_proba(test)).max())
print("labels identical:", bool((labels == model.predict(test)).all()))
