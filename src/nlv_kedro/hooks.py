"""Kedro hooks of the project."""

from __future__ import annotations

from kedro.framework.hooks import hook_impl

from nlv_kedro.offline import apply_offline_defaults


class ProjectHooks:
    """Offline defaults for every context (`kedro run`, `kedro viz`, notebooks)."""

    @hook_impl
    def after_context_created(self, context) -> None:  # noqa: ANN001 - kedro passes its context
        apply_offline_defaults()
