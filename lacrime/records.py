"""Typed results that cross package boundaries, kept as JSON in the model registry.

Evaluations are dataclasses so that pages read attributes (`evaluation.default_model`), not
nested dict keys; the registry stores plain JSON, so a record is turned into JSON values when
a version is written and back into its dataclass when a page reads it. One pair of functions
does that for every record, driven by the dataclass's own type hints.
"""

import dataclasses
import datetime as dt
import json
import math
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

T = TypeVar("T")


def from_json(cls: type[T], data: Any) -> T:
    """The dataclass `cls` from what `to_json` made of one, checking each field's presence."""
    return _build(cls, data)


def _build(hint: Any, data: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if data is None or len(options) > 1:  # None, or a union of plain values
            return data
        return _build(options[0], data)
    if origin is list:
        (inner,) = typing.get_args(hint)
        return [_build(inner, value) for value in data]
    if origin is tuple:
        (inner, _) = typing.get_args(hint)
        return tuple(_build(inner, value) for value in data)
    if origin is dict:
        _, inner = typing.get_args(hint)
        return {key: _build(inner, value) for key, value in data.items()}
    if dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        fields = [f for f in dataclasses.fields(hint) if f.init]
        missing = [f.name for f in fields if f.name not in data and _required(f)]
        if missing:
            raise KeyError(f"{hint.__name__} lacks {', '.join(missing)}")
        given = [f.name for f in fields if f.name in data]
        return hint(**{name: _build(hints[name], data[name]) for name in given})
    return data


def _required(field: dataclasses.Field) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def to_json(value: object) -> Any:
    """Plain JSON values from a record and what training produces: dataclasses, numpy scalars
    and arrays, timestamps, paths; NaN and infinity become None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {_json_key(k): to_json(v) for k, v in value.items()}
    if isinstance(value, np.ndarray | pd.Series | pd.Index | list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(to_json(v) for v in value)
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dt.datetime | np.datetime64):
        return None if pd.isna(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta | np.timedelta64):
        return None if pd.isna(value) else pd.Timedelta(value).isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store a {type(value).__name__} as JSON: {value!r}")


def _json_key(key: object) -> str:
    safe = to_json(key)
    return safe if isinstance(safe, str) else json.dumps(safe)


def dumps(value: object) -> bytes:
    """JSON as stored on disk: indented and with sorted keys, so versions diff cleanly."""
    return (json.dumps(value, indent=2, sort_keys=True, allow_nan=False) + "\n").encode()
