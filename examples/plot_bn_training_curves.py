"""
BN vs no BN: training curves of a deep sigmoid network
=======================================================

A deep network of sigmoid units trains slowly: the gradients shrink through
the saturating layers. Batch normalization keeps each layer's pre-activations
centred and scaled, and the same network trains much faster.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

from skbn import BNMLPClassifier

X, y = make_classification(n_samples=2000, n_features=20, n_informative=10, random_state=0)
X = StandardScaler().fit_transform(X)

fig, ax = plt.subplots()
for batch_norm in (True, False):
    model = BNMLPClassifier(
        (64,) * 4,
        activation="logistic",
        batch_norm=batch_norm,
        max_iter=30,
        tol=0.0,
        batch_size=64,
        random_state=0,
        backend="numpy",
    ).fit(X, y)
    ax.plot(model.loss_curve_, label=f"BN {'on' if batch_norm else 'off'}")
    print(f"BN {'on' if batch_norm else 'off'}: final training loss {model.loss_curve_[-1]:.3f}")
ax.set(xlabel="epoch", ylabel="training loss", yscale="log", title="4 x 64 sigmoid MLP")
ax.legend()
plt.show()
