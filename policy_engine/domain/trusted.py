"""Output models built from values the engine computed, without pydantic's validation (the hot path)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

_M = TypeVar("_M", bound=BaseModel)
_set = object.__setattr__


def trusted(cls: type[_M], **values: Any) -> _M:
    """Build an output model from values the engine computed, skipping validation.

    Decisions are assembled from already-validated inputs on the hot path; pydantic's
    model_construct costs ~5 µs an object, this about a third of that. Missing fields take their defaults.
    tests/unit/test_evaluator.py checks that such objects validate to themselves.
    """
    template, mutable = _TEMPLATES.get(cls) or _remember(cls)
    data = template.copy()  # field order (kept by update), so JSON reads like a validated model's
    data.update(values)
    if len(data) != len(template):
        raise TypeError(f"{cls.__name__} has no field {sorted(data.keys() - template.keys())}")
    for name in mutable:
        if name not in values:
            data[name] = type(data[name])()  # a fresh list or dict per object, never the shared default
    obj = cls.__new__(cls)
    _set(obj, "__dict__", data)
    _set(obj, "__pydantic_fields_set__", set(values))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


_Template = tuple[dict[str, Any], tuple[str, ...]]
_TEMPLATES: dict[type[BaseModel], _Template] = {}
"""Each model's template, made at its first `trusted` call: this module cannot import the models (models.py
re-exports `trusted`), and a template made twice by two threads at once is the same template."""


def _remember(cls: type[BaseModel]) -> _Template:
    """Every field with its default (None when required), and the fields whose default is mutable."""
    defaults = {name: None if f.is_required() else f.get_default(call_default_factory=True)
                for name, f in cls.model_fields.items()}
    _TEMPLATES[cls] = defaults, tuple(name for name, value in defaults.items() if isinstance(value, list | dict))
    return _TEMPLATES[cls]
