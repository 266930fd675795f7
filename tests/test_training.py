"""The epoch loop and its stopping rules, with a scripted engine."""

import numpy as np
import pytest

from skbn._plan import TrainingPlan
from skbn._training import Progress, Trainer


class ScriptedEngine:
    """An engine whose epoch losses (and exported 'networks') are given."""

    def __init__(self, losses):
        self.losses = list(losses)
        self.epoch = 0

    def run_epoch(self, epoch_plan):
        loss = self.losses[self.epoch]
        self.epoch += 1
        return loss

    def export(self):
        return f"net after epoch {self.epoch}", "adam"


def _trainer(losses, validate=None, n_iter_no_change=2):
    plan = TrainingPlan(seed=0, batch_size=2, shuffle=True, merge_singleton=True, dropout=0.0)
    engine = ScriptedEngine(losses)
    trainer = Trainer(
        engine,
        plan,
        tol=0.1,
        n_iter_no_change=n_iter_no_change,
        validate=validate,
        verbose=False,
        divergence_hint="(hint)",
    )
    return trainer, engine


CODES = np.array([0, 1, 0, 1, 0])


def test_stops_after_n_iter_no_change_epochs_without_improvement():
    trainer, engine = _trainer([1.0, 0.5, 0.45, 0.44, 0.43, 0.1])
    progress = Progress()
    net, adam, converged = trainer.run(CODES, progress, n_epochs=6)
    # Epochs 3, 4 and 5 improve by less than tol: the third one stops the run.
    assert converged and engine.epoch == 5 and progress.n_iter == 5
    assert progress.loss_curve == [1.0, 0.5, 0.45, 0.44, 0.43]
    assert progress.best_loss == 0.43 and progress.no_improvement_count == 3
    assert progress.t == 5 * len(CODES) and net == "net after epoch 5"


def test_runs_every_epoch_when_told_not_to_stop():
    trainer, engine = _trainer([1.0, 1.0, 1.0, 1.0])
    _, _, converged = trainer.run(CODES, Progress(), n_epochs=4, stop_early=False)
    assert not converged and engine.epoch == 4


def test_early_stopping_keeps_the_best_validation_epoch():
    scores = iter([0.5, 0.9, 0.7, 0.6, 0.8])
    progress = Progress(validation_scores=[], validation_recall_per_class=[])
    progress.restart(early_stopping=True)
    trainer, _ = _trainer([1.0] * 5, validate=lambda net: (next(scores), np.ones(2)))
    net, _, converged = trainer.run(CODES, progress, n_epochs=5)
    assert converged and progress.validation_scores == [0.5, 0.9, 0.7, 0.6, 0.8]
    assert net == "net after epoch 2" and progress.best_validation_score == 0.9


def test_a_non_finite_loss_stops_with_a_clear_message():
    trainer, _ = _trainer([1.0, float("nan")])
    with pytest.raises(ValueError, match=r"diverged: the loss became nan in epoch 2\. \(hint\)"):
        trainer.run(CODES, Progress(), n_epochs=3)
