"""
SMOTE inside a pipeline, tuned by a grid search
===============================================

Resampling must happen inside the training folds, never before the split.
An :class:`imblearn.pipeline.Pipeline` applies its samplers in ``fit`` only,
so a grid search can tune the sampler and the network together, scored on
balanced accuracy.
"""

import matplotlib.pyplot as plt
import numpy as np
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from skbn import BNMLPClassifier

X, y = make_classification(
    n_samples=1500, n_features=10, n_informative=5, weights=[0.95], class_sep=0.8, random_state=0
)
pipe = Pipeline(
    [
        ("scale", StandardScaler()),
        ("sampler", SMOTE(random_state=0)),
        ("clf", BNMLPClassifier((32,), max_iter=20, random_state=0, backend="numpy")),
    ]
)
grid = [
    {"sampler": ["passthrough"], "clf__batch_norm": [True, False]},
    {
        "sampler": [SMOTE(random_state=0)],
        "sampler__k_neighbors": [3, 5],
        "clf__batch_norm": [True, False],
    },
]
search = GridSearchCV(
    pipe, grid, scoring="balanced_accuracy", cv=StratifiedKFold(3, shuffle=True, random_state=0)
).fit(X, y)
print("best:", search.best_params_, f"balanced accuracy {search.best_score_:.3f}")

labels = [
    f"{'SMOTE k=' + str(p['sampler__k_neighbors']) if 'sampler__k_neighbors' in p else 'no sampler'}"
    f", BN {'on' if p['clf__batch_norm'] else 'off'}"
    for p in search.cv_results_["params"]
]
order = np.argsort(search.cv_results_["mean_test_score"])
fig, ax = plt.subplots(layout="constrained")
ax.barh(
    np.array(labels)[order],
    search.cv_results_["mean_test_score"][order],
    xerr=search.cv_results_["std_test_score"][order],
)
ax.set_xlabel("balanced accuracy (3-fold CV)")
plt.show()
