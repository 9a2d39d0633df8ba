"""The search space: one distribution per pretrain parameter, addressed by a dotted key such as
``objective.mask_ratio`` (relative to `pretrain`). Checked before any trial runs, so a typo or an
impossible range fails in a second instead of after an hour of trials."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from nlv_kedro.config import Strict

if TYPE_CHECKING:
    import optuna

# Sections of the pretrain params that hold recipe choices; the rest (registry, paths) is not a recipe.
TUNABLE_SECTIONS = ("model", "objective", "optim", "trainer")
# Hardware, logging and structured fields: tuning them either changes nothing or cannot be sampled.
NOT_TUNABLE = frozenset({
    "model.input_dim", "model.max_chunks", "objective.loss_weights", "optim.betas", "trainer.accelerator",
    "trainer.devices", "trainer.strategy", "trainer.num_nodes", "trainer.precision", "trainer.num_workers",
    "trainer.log_every_n_steps", "trainer.early_stopping_patience", "trainer.seed", "trainer.checkpoint_dir",
    "trainer.resume", "trainer.fast_dev_run", "trainer.enable_progress_bar",
})
_ENUMERATE_INT_UP_TO = 256  # int ranges this small are checked value by value (e.g. d_model % n_heads)


class SearchSpaceError(ValueError):
    """A search-space entry that names an unknown key or a range the pretrain params reject."""


class FloatDistribution(Strict):
    type: Literal["float"]
    low: float
    high: float
    log: bool = False
    step: float | None = Field(None, gt=0)


class IntDistribution(Strict):
    type: Literal["int"]
    low: int
    high: int
    log: bool = False
    step: int = Field(1, ge=1)


class CategoricalDistribution(Strict):
    type: Literal["categorical"]
    choices: list[bool | int | float | str] = Field(min_length=1)


Distribution = Annotated[FloatDistribution | IntDistribution | CategoricalDistribution, Field(discriminator="type")]


def tunable_fields(params_model: type[BaseModel]) -> dict[str, FieldInfo]:
    """Dotted key -> pydantic field of every tunable leaf of ``params_model`` (PretrainParams)."""
    fields: dict[str, FieldInfo] = {}
    for section in TUNABLE_SECTIONS:
        sub = params_model.model_fields[section].annotation
        for name, info in sub.model_fields.items():  # type: ignore[union-attr]
            if f"{section}.{name}" not in NOT_TUNABLE:
                fields[f"{section}.{name}"] = info
    return fields


def _allowed_types(info: FieldInfo) -> tuple[str, ...]:
    if info.annotation is int:
        return ("int", "categorical")
    if info.annotation is float:
        return ("float", "categorical")
    return ("categorical",)  # Literal, bool, str


def _probe_values(dist: FloatDistribution | IntDistribution | CategoricalDistribution) -> list[Any]:
    """The values a check must accept: bounds, every choice, every int of a small range."""
    if isinstance(dist, CategoricalDistribution):
        return list(dist.choices)
    if isinstance(dist, IntDistribution) and (dist.high - dist.low) // dist.step < _ENUMERATE_INT_UP_TO:
        return list(range(dist.low, dist.high + 1, dist.step))
    return [dist.low, dist.high]


def _check_shape(key: str, dist: FloatDistribution | IntDistribution | CategoricalDistribution) -> None:
    if isinstance(dist, CategoricalDistribution):
        return
    if dist.low > dist.high:
        raise SearchSpaceError(f"tune.search_space.{key}: low={dist.low} is above high={dist.high}")
    if dist.log and dist.low <= 0:
        raise SearchSpaceError(f"tune.search_space.{key}: log=true needs low > 0, got low={dist.low}")
    if dist.log and isinstance(dist, FloatDistribution) and dist.step is not None:
        raise SearchSpaceError(f"tune.search_space.{key}: a float distribution takes either log or step, not both")
    if dist.log and isinstance(dist, IntDistribution) and dist.step != 1:
        raise SearchSpaceError(f"tune.search_space.{key}: an int distribution with log=true needs step=1")


def check_space(space: Mapping[str, Any], params_model: type[BaseModel]) -> None:
    """Keys, distribution types and ranges against the field constraints of ``params_model`` alone
    (e.g. mask_ratio in (0, 1), lr > 0). Raises :class:`SearchSpaceError` naming the key."""
    if not space:
        raise SearchSpaceError("tune.search_space is empty: declare at least one distribution")
    fields = tunable_fields(params_model)
    for key, dist in space.items():
        if key not in fields:
            raise SearchSpaceError(f"tune.search_space: unknown key {key!r}; tunable keys (relative to `pretrain`) "
                                   f"are {sorted(fields)}")
        info = fields[key]
        if dist.type not in _allowed_types(info):
            raise SearchSpaceError(f"tune.search_space.{key}: type {dist.type!r} does not fit pretrain.{key} "
                                   f"({info.annotation}); use one of {list(_allowed_types(info))}")
        _check_shape(key, dist)
        adapter = TypeAdapter(Annotated[info.annotation, info])
        for value in _probe_values(dist):
            if isinstance(value, bool) and info.annotation is not bool:
                raise SearchSpaceError(f"tune.search_space.{key}: value {value!r} is a boolean but pretrain.{key} "
                                       f"is {info.annotation}")
            try:
                adapter.validate_python(value)
            except ValidationError as exc:
                message = exc.errors()[0]["msg"]
                raise SearchSpaceError(f"tune.search_space.{key}: value {value!r} is not allowed for "
                                       f"pretrain.{key}: {message}") from None


def check_against(space: Mapping[str, Any], base: Any) -> None:
    """Every probe value of every key merged into ``base`` (PretrainParams, via ``merged``) must pass the
    full validation, cross-field rules included (d_model divisible by n_heads)."""
    for key, dist in space.items():
        for value in _probe_values(dist):
            try:
                base.merged(nest({key: value}))
            except ValidationError as exc:
                message = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                raise SearchSpaceError(f"tune.search_space.{key}: value {value!r} fails the pretrain params "
                                       f"validation ({message})") from None


def suggest(trial: optuna.Trial, space: Mapping[str, Any]) -> dict[str, Any]:
    """Sample one value per key; Optuna's parameter names are the dotted keys themselves."""
    values: dict[str, Any] = {}
    for key, dist in space.items():
        if isinstance(dist, FloatDistribution):
            values[key] = trial.suggest_float(key, dist.low, dist.high, log=dist.log, step=dist.step)
        elif isinstance(dist, IntDistribution):
            values[key] = trial.suggest_int(key, dist.low, dist.high, log=dist.log, step=dist.step)
        else:
            values[key] = trial.suggest_categorical(key, dist.choices)
    return values


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"optim.lr": 1e-3}`` -> ``{"optim": {"lr": 1e-3}}`` (the shape `best_params` and ``merged`` use)."""
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        node = nested
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested
