"""The epoch loop and its stopping rules.

The estimator validates its input and stores the fitted state; a
:class:`Trainer` runs planned epochs on an engine, keeps the bookkeeping
scikit-learn's MLPs expose (``loss_curve_``, ``validation_scores_`` ...) in a
:class:`Progress`, and decides when to stop. Nothing here knows about the
member axis of an ensemble: the plan, the network and the engines carry it.
"""

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Progress", "Trainer"]


@dataclass
class Progress:
    """What training has done so far; carried over by ``partial_fit`` and
    ``warm_start`` and published as the estimator's fitted attributes."""

    n_iter: int = 0
    t: int = 0
    loss_curve: list = field(default_factory=list)
    best_loss: float | None = np.inf
    validation_scores: list | None = None
    validation_recall_per_class: list | None = None
    best_validation_score: float | None = None
    no_improvement_count: int = 0

    def restart(self, early_stopping):
        """Reset the stopping rule's memory for a new ``fit`` (curves are kept,
        as scikit-learn keeps them with ``warm_start``)."""
        self.no_improvement_count = 0
        if early_stopping:
            self.validation_scores = list(self.validation_scores or [])
            self.validation_recall_per_class = list(self.validation_recall_per_class or [])
            self.best_validation_score = -np.inf
        else:
            self.best_loss = np.inf


class Trainer:
    """Runs epochs of ``plan`` on ``engine`` until a stopping rule fires.

    Parameters
    ----------
    engine : skbn.engines.Engine
    plan : skbn._plan.TrainingPlan
    tol, n_iter_no_change : float, int
        Stop after more than ``n_iter_no_change`` consecutive epochs that do not
        improve the best loss (or validation score) by at least ``tol``.
    validate : callable or None
        ``validate(network) -> (score, recall_per_class)``; with it the rule
        watches the validation score and the best epoch's network is kept
        (early stopping), without it the training loss.
    verbose : bool
    divergence_hint : str
        Appended to the error raised when the loss stops being finite.
    """

    def __init__(self, engine, plan, *, tol, n_iter_no_change, validate, verbose, divergence_hint):
        self.engine = engine
        self.plan = plan
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.validate = validate
        self.verbose = verbose
        self.divergence_hint = divergence_hint

    def run(self, codes, progress, n_epochs, stop_early=True):
        """Train at most ``n_epochs`` epochs, updating ``progress`` in place.

        Returns ``(network, adam_state, converged)``: the network of the best
        validation epoch with early stopping, else the last one; ``converged``
        tells whether a stopping rule ended the run (never when
        ``stop_early`` is false, as in ``partial_fit``).
        """
        best_net = None
        for _ in range(n_epochs):
            epoch_plan = self.plan.epoch(progress.n_iter, codes)
            loss = self.engine.run_epoch(epoch_plan)
            if not math.isfinite(loss):
                raise ValueError(
                    f"Training diverged: the loss became {loss} in epoch "
                    f"{progress.n_iter + 1}. {self.divergence_hint} The estimator was "
                    "left as it was before this call."
                )
            progress.n_iter += 1
            progress.t += epoch_plan.order.shape[-1]
            progress.loss_curve.append(loss)
            if self.verbose:
                print(f"Iteration {progress.n_iter}, loss = {loss:.8f}")
            if self.validate is not None:
                current, _ = self.engine.export()
                score, recall = self.validate(current)
                progress.validation_scores.append(score)
                progress.validation_recall_per_class.append(recall)
                if self.verbose:
                    print(f"Validation score: {score:.6f}")
                if score > progress.best_validation_score:
                    best_net = current
                improved = score >= progress.best_validation_score + self.tol
                progress.best_validation_score = max(progress.best_validation_score, score)
            else:
                # None after an early-stopping fit that partial_fit now continues.
                best = np.inf if progress.best_loss is None else progress.best_loss
                improved = loss <= best - self.tol
                progress.best_loss = min(best, loss)
            progress.no_improvement_count = 0 if improved else progress.no_improvement_count + 1
            if stop_early and progress.no_improvement_count > self.n_iter_no_change:
                if self.verbose:
                    print(
                        f"Training stopped: no improvement of at least tol={self.tol} "
                        f"for {self.n_iter_no_change} consecutive epochs."
                    )
                return self._result(best_net, converged=True)
        return self._result(best_net, converged=False)

    def _result(self, best_net, converged):
        net, adam = self.engine.export(final=True)
        return (net if best_net is None else best_net), adam, converged
