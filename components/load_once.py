"""Within one run (``python -m deploy plan``), each stack's config is validated and resolved once.

The plan loads every stack, and code it runs loads some stacks again to read one value: the
non-production stacks' identity accounts (components/production_accounts.py, for the policy config,
the production program and the production check) and the production stacks' opt-outs
(deploy/policy_config.py). Inside :func:`once`, ``components.config.load`` hands back the config it
already built for the same stack, source and values. A load depends on those and on the policy files,
which do not change during a run; outside :func:`once` nothing is kept.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

_loaded: dict[Hashable, Any] | None = None  # key -> config, while a run is inside `once()`


@contextmanager
def once() -> Iterator[None]:
    """Remember every config loaded inside this block (nested blocks share the outermost one)."""
    global _loaded
    outer = _loaded
    _loaded = {} if outer is None else outer
    try:
        yield
    finally:
        _loaded = outer


def key(stack: str, source: str, raw: Mapping[str, Any]) -> Hashable:
    return stack, source, _frozen(raw)


def recall(load_key: Hashable) -> Any | None:
    return None if _loaded is None else _loaded.get(load_key)


def remember(load_key: Hashable, config: Any) -> None:
    if _loaded is not None:
        _loaded[load_key] = config


def _frozen(value: Any) -> Hashable:
    """A hashable copy that keeps types apart (1, "1" and True stay distinct keys)."""
    if isinstance(value, Mapping):
        return ("map", tuple((_frozen(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("list", tuple(_frozen(item) for item in value))
    return (type(value).__name__, value if isinstance(value, Hashable) else repr(value))
