"""
Class weights, balanced batches, logit adjustment, balanced members
===================================================================

Four ways to stop a network from ignoring a 1:20 minority. Three are a single
parameter of :class:`~skbn.BNMLPClassifier`: weighting the loss, drawing
class-balanced mini-batches, and adjusting the logits at predict time. The
fourth is an estimator of its own, :class:`~skbn.BalancedBNMLPClassifier`:
members in one network, each trained on its own balanced bootstrap, as the
trees of a balanced random forest are (the setting recommended on real data).
"""

from functools import partial

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score, balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skbn import BalancedBNMLPClassifier, BNMLPClassifier, effective_number_weights

X, y = make_classification(
    n_samples=4200,
    n_features=10,
    n_informative=5,
    weights=[20 / 21],
    class_sep=0.8,
    flip_y=0,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, stratify=y, test_size=0.5, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

plain = dict(max_iter=20, random_state=0, backend="numpy")
remedies = {
    "none": BNMLPClassifier((32,), **plain),
    "class_weight='balanced'": BNMLPClassifier((32,), class_weight="balanced", **plain),
    "effective number": BNMLPClassifier(
        (32,), class_weight=partial(effective_number_weights, beta=0.999), **plain
    ),
    "balanced batches": BNMLPClassifier((32,), batch_sampler="balanced", **plain),
    "logit adjustment": BNMLPClassifier((32,), logit_adjustment=1.0, **plain),
    # Its own step size and stopping rule: the members' subsets are small.
    "BalancedBNMLPClassifier": BalancedBNMLPClassifier((32,), random_state=0, backend="numpy"),
}
scores = {}
for name, model in remedies.items():
    model.fit(X_train, y_train)
    pred, proba = model.predict(X_test), model.predict_proba(X_test)[:, 1]
    scores[name] = [
        recall_score(y_test, pred),
        balanced_accuracy_score(y_test, pred),
        average_precision_score(y_test, proba),
    ]
    print(
        f"{name:26s} recall {scores[name][0]:.3f}  balanced acc {scores[name][1]:.3f}  "
        f"AP {scores[name][2]:.3f}"
    )

fig, ax = plt.subplots(layout="constrained")
width = 0.25
x = np.arange(len(remedies))
for i, metric in enumerate(["minority recall", "balanced accuracy", "average precision"]):
    ax.bar(x + (i - 1) * width, [s[i] for s in scores.values()], width, label=metric)
ax.set_xticks(x, list(remedies), rotation=20)
ax.set_ylim(0, 1.15)
ax.legend(loc="upper center", ncols=3, fontsize="small")
plt.show()
