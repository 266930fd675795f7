"""A hyperparameter search spread over Dask workers gives the local result."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skbn import BNMLPClassifier

distributed = pytest.importorskip("distributed", reason="needs the 'dask' extra")


def test_grid_search_on_a_local_dask_cluster_matches_the_local_run():
    from joblib import parallel_config

    X, y = make_classification(n_samples=400, n_features=8, weights=[0.85], random_state=0)
    search = GridSearchCV(
        BNMLPClassifier((16,), max_iter=10, random_state=0, backend="numpy"),
        {"batch_norm": [True, False], "class_weight": [None, "balanced"]},
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring="balanced_accuracy",
        error_score="raise",
        n_jobs=-1,
    )
    local = GridSearchCV(**search.get_params(deep=False) | {"n_jobs": 1}).fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with distributed.get_task_stream(client) as tasks, parallel_config(backend="dask"):
            search.fit(X, y)
    # The fits ran as tasks on the cluster's two worker processes.
    workers = {task["worker"] for task in tasks.data}
    assert len(tasks.data) >= 4 and len(workers) == 2
    assert search.best_params_ == local.best_params_
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )


def test_incremental_training_on_a_dask_array_larger_than_the_workers_memory():
    """dask-ml's Incremental feeds the blocks to partial_fit one after the other
    on the workers; the whole array never exists anywhere."""
    da = pytest.importorskip("dask.array")
    wrappers = pytest.importorskip("dask_ml.wrappers", reason="needs dask-ml (the 'dask' extra)")

    rows, block, features = 3_000_000, 50_000, 200
    X = da.random.RandomState(0).standard_normal((rows, features), chunks=(block, features))
    X = X.astype(np.float32)
    y = (X[:, :5].sum(axis=1) > 0).astype(np.int64)
    limit = 2**30  # a worker process starts at about 350 MiB
    assert X.nbytes > 2 * limit  # 2.4 GB of data, 1 GiB per worker
    model = BNMLPClassifier((8,), batch_size=1024, random_state=0, backend="numpy")
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            memory_limit=limit,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
    ):
        inc = wrappers.Incremental(model, shuffle_blocks=False).fit(X, y, classes=[0, 1])
        fitted = inc.estimator_
        X_test = X[:5000].compute()
        y_test = y[:5000].compute()
    assert fitted.n_iter_ == rows // block  # one partial_fit per block
    assert fitted.t_ == rows
    assert fitted.score(X_test, y_test) > 0.95
