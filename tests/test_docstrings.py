"""Every public name has a docstring: the package's exports, and each public module's names."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

import airbyte_async


def public_modules() -> list[ModuleType]:
    """airbyte_async and every module under it whose dotted path has no private part."""
    found = [airbyte_async]
    for info in pkgutil.walk_packages(airbyte_async.__path__, "airbyte_async."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        found.append(importlib.import_module(info.name))
    return found


def public_names(module: ModuleType) -> list[str]:
    """``__all__``, else the names the module defines itself without a leading underscore."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
    ]


def ours(obj: Any) -> bool:
    """True for functions and classes defined in airbyte_async."""
    return str(getattr(obj, "__module__", "") or "").startswith("airbyte_async")


def members(cls: type) -> Iterator[tuple[str, Any]]:
    """The public methods and properties of *cls* defined in airbyte_async (inherited too)."""
    for name in dir(cls):
        if name.startswith("_"):
            continue
        value = inspect.getattr_static(cls, name)
        if isinstance(value, staticmethod | classmethod):
            value = value.__func__
        if isinstance(value, property):
            value = value.fget
        if inspect.isfunction(value) and ours(value):
            yield name, value


def undocumented() -> Iterator[str]:
    """Every public name, method or property without a docstring."""
    for module in public_modules():
        if not (module.__doc__ or "").strip():
            yield module.__name__
        for name in public_names(module):
            value = getattr(module, name)
            if not (inspect.isclass(value) or inspect.isfunction(value)) or not ours(value):
                continue
            if not (inspect.getdoc(value) or "").strip():
                yield f"{module.__name__}.{name}"
            if inspect.isclass(value):
                for member, function in members(value):
                    if not (function.__doc__ or "").strip():
                        yield f"{module.__name__}.{name}.{member}"


def test_the_walk_sees_the_public_surface() -> None:
    """The walk covers the package's exports, the resources and the apply module."""
    names = {m.__name__ for m in public_modules()}

    assert {"airbyte_async", "airbyte_async.apply", "airbyte_async.resources"} <= names
    assert "airbyte_async.testing.pytest_plugin" in names
    assert "AirbyteClient" in public_names(airbyte_async)


@pytest.mark.parametrize("name", sorted(set(airbyte_async.__all__)))
def test_every_export_has_a_docstring(name: str) -> None:
    """Each name in airbyte_async.__all__ says what it is."""
    assert (inspect.getdoc(getattr(airbyte_async, name)) or "").strip()


def test_every_public_name_and_method_has_a_docstring() -> None:
    """No public module, name, method or property is left without a docstring."""
    assert sorted(set(undocumented())) == []


def _constructors() -> list[type]:
    from airbyte_async.testing import Emulator

    return [airbyte_async.AirbyteClient, airbyte_async.Orchestrator, Emulator]


@pytest.mark.parametrize("cls", _constructors(), ids=lambda cls: cls.__name__)
def test_each_setting_of_the_main_classes_is_named_in_its_docstring(cls: type) -> None:
    """Every parameter of AirbyteClient, Orchestrator and Emulator (but the orchestrator's
    client) is named, as *name*, in the class docstring that ``help()`` shows."""
    doc = inspect.getdoc(cls) or ""
    names = [name for name in inspect.signature(cls).parameters if name != "client"]

    assert [name for name in names if f"*{name}*" not in doc] == []


def test_the_fault_docstring_names_every_kind() -> None:
    """``help(Fault)`` lists each fault kind the emulator knows."""
    from airbyte_async.testing import Fault
    from airbyte_async.testing._faults import KINDS

    doc = inspect.getdoc(Fault) or ""

    assert [kind for kind in KINDS if f"``{kind}``" not in doc] == []
