"""
A grid search on a local Dask cluster
=====================================

joblib can send scikit-learn's fits to a Dask cluster. Here a local cluster of
two single-threaded worker processes runs a search over BN and class weights;
the result is the same as a local run. On a real cluster, pass the scheduler's
address to ``Client`` instead.
"""

import matplotlib.pyplot as plt
from distributed import Client, LocalCluster
from joblib import parallel_config
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skbn import BNMLPClassifier

if __name__ == "__main__":  # worker processes re-import this file
    X, y = make_classification(n_samples=600, n_features=8, weights=[0.85], random_state=0)
    search = GridSearchCV(
        BNMLPClassifier((16,), max_iter=15, random_state=0, backend="numpy"),
        {"batch_norm": [True, False], "class_weight": [None, "balanced"]},
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring="balanced_accuracy",
        n_jobs=-1,
    )
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster),
        parallel_config(backend="dask"),
    ):
        search.fit(X, y)
    print("best:", search.best_params_, f"balanced accuracy {search.best_score_:.3f}")

    labels = [
        f"BN {p['batch_norm']}, cw {p['class_weight']}" for p in search.cv_results_["params"]
    ]
    fig, ax = plt.subplots(layout="constrained")
    ax.barh(labels, search.cv_results_["mean_test_score"])
    ax.set_xlabel("balanced accuracy (3-fold CV)")
    plt.show()
