"""
BN vs no BN: training curves of a deep sigmoid network
=======================================================

A deep network of sigmoid units trains slowly: the gradients shrink through
the saturating layers. Batch normalization keeps each layer's pre-activations
centred and scaled, and the same network trains much faster.
:class:`skbn.TrainingCurveDisplay` draws each fit's curves; with early
stopping it adds the validation score, the validation recall of each class
and the epoch whose weights were kept.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

from skbn import BNMLPClassifier, TrainingCurveDisplay

X, y = make_classification(
    n_samples=2000, n_features=20, n_informative=10, weights=[0.9], random_state=0
)
X = StandardScaler().fit_transform(X)

fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, batch_norm in zip(axes, (True, False)):
    model = BNMLPClassifier(
        (64,) * 4,
        activation="logistic",
        batch_norm=batch_norm,
        class_weight="balanced",
        max_iter=30,
        tol=0.0,
        n_iter_no_change=30,
        batch_size=64,
        early_stopping=True,
        scoring="balanced_accuracy",
        validation_fraction=0.2,
        random_state=0,
        backend="numpy",
    ).fit(X, y)
    TrainingCurveDisplay.from_estimator(model, ax=ax, name=f"BN {'on' if batch_norm else 'off'}")
    print(
        f"BN {'on' if batch_norm else 'off'}: final training loss {model.loss_curve_[-1]:.3f}, "
        f"best validation balanced accuracy {model.best_validation_score_:.3f}"
    )
fig.suptitle("4 x 64 sigmoid MLP, 1:9 classes, class weights")
fig.tight_layout()
plt.show()
