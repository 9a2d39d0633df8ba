"""Third-party warning filters: exact text and calling module, so our own warnings still show."""

from __future__ import annotations

import warnings

from nlv_kedro.log import ignore_third_party_warnings


def _shown(message: str, category: type[Warning], module: str) -> bool:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ignore_third_party_warnings()
        warnings.warn_explicit(message, category, filename=f"{module.replace('.', '/')}.py", lineno=1, module=module)
    return bool(caught)


def test_kedro_omegaconf_deprecation_is_ignored_but_ours_is_not() -> None:
    text = "register_new_resolver() is deprecated and will be removed in a future release."
    assert not _shown(text, UserWarning, "kedro.config.omegaconf_config")
    assert not _shown(text, UserWarning, "kedro_mlflow.framework.hooks.mlflow_hook")
    assert _shown(text, UserWarning, "nlv_kedro.something")


def test_lightning_leafspec_deprecation_is_ignored_only_from_lightning() -> None:
    text = "`isinstance(treespec, LeafSpec)` is deprecated, use `isinstance(treespec, TreeSpec)` instead."
    assert not _shown(text, FutureWarning, "lightning.pytorch.utilities._pytree")
    assert _shown(text, FutureWarning, "nlv_kedro.training.fit")
    assert _shown("something else", FutureWarning, "lightning.pytorch.utilities._pytree")
