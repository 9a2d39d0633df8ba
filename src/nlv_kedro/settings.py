"""Project settings: config loader patterns and the project's hooks."""

from kedro.config import OmegaConfigLoader

from nlv_kedro.hooks import ProjectHooks, ProjectMlflowHook
from nlv_kedro.timing import NodeTimingHooks

# NodeTimingHooks: per-node wall time and peak RSS -> data/08_reporting/node_timings.json (read by the report)
# ProjectMlflowHook replaces kedro-mlflow's own hook (flattened typed params, stale-run cleanup, portable
# artifact location, report artifacts); it is listed first so it runs after ProjectHooks' offline defaults.
HOOKS = (ProjectMlflowHook(), ProjectHooks(), NodeTimingHooks())
DISABLE_HOOKS_FOR_PLUGINS = ("kedro-mlflow", "kedro_mlflow")  # the distribution name, as pip spells it or not

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # an environment (conf/local, or conf/mydata written by `python -m nlv_kedro.mydata`) overrides single keys
    # of a parameter section; the rest of the section comes from conf/base
    "merge_strategy": {"parameters": "soft"},
    "config_patterns": {
        # kedro-mlflow reads conf/<env>/mlflow.yml
        "mlflow": ["mlflow*", "mlflow*/**"],
    },
}
