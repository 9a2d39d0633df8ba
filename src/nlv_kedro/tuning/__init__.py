"""Optuna studies over pretraining recipes: search space, trial objective, study storage, MLflow, plots."""
