"""
Tuning the decision threshold
=============================

With two classes, the decision threshold can be chosen after training.
:class:`sklearn.model_selection.TunedThresholdClassifierCV` picks it by
cross-validation for any scorer, here balanced accuracy; the model's ranking,
hence ROC-AUC, does not change.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV, train_test_split
from sklearn.preprocessing import StandardScaler

from skbn import BNMLPClassifier

X, y = make_classification(
    n_samples=3000, n_features=10, n_informative=5, weights=[0.95], class_sep=0.8, random_state=0
)
X = StandardScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

plain = BNMLPClassifier((32,), max_iter=20, random_state=0, backend="numpy").fit(X_train, y_train)
tuned = TunedThresholdClassifierCV(
    BNMLPClassifier((32,), max_iter=20, random_state=0, backend="numpy"),
    scoring="balanced_accuracy",
    cv=StratifiedKFold(3),
    store_cv_results=True,
    random_state=0,
).fit(X_train, y_train)

for name, model in (("threshold 0.5", plain), (f"tuned {tuned.best_threshold_:.3f}", tuned)):
    print(
        f"{name}: balanced accuracy {balanced_accuracy_score(y_test, model.predict(X_test)):.3f}, "
        f"ROC-AUC {roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]):.3f}"
    )

fig, ax = plt.subplots()
ax.plot(tuned.cv_results_["thresholds"], tuned.cv_results_["scores"])
ax.axvline(tuned.best_threshold_, linestyle="--", color="k", label="chosen")
ax.set(xlabel="decision threshold", ylabel="balanced accuracy (CV)")
ax.legend()
plt.show()
