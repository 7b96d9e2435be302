"""
Plans saved as JSON (``airbyte-async plan FILE -o PLAN.json``) and read back to be executed.

A saved plan never holds a secret in clear. A configuration value read from the environment
is saved as ``{"env": "NAME", "scrypt": "<salt>:<hash>"}``: reading the plan takes the value
from the environment again and refuses it when its hash differs from the planned one. A
default taken for a variable that was not set is saved as ``{"env": "NAME", "default": ...}``,
and refused when NAME is set by then. A value under a secret-looking key written in the
pipeline file itself (a default too) cannot be saved at all (it would have no other place to
come from). A value from the environment sent as another type than text (``type = "integer"``,
or the type the connector's specification declares) is saved with that type,
``{"env": "PG_PORT", "scrypt": "...", "type": "integer"}``, converted alike when read back,
and hashed as sent (as JSON when not a string). A table of the configuration that would read
as one of these (one with an ``env`` key, or only a ``literal`` one) is saved as
``{"literal": {...}}``. The rest of the format: see :func:`dumps_plan`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Mapping
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .._secrets import SECRET_MASK, is_flagged, is_secret_key, is_secret_path, masked
from .._serde import structure, unstructure
from ..errors import AirbyteError, SpecError, StalePlanError
from ..models import ConnectionSettings
from ._plan import ActorWrite, ConnectionWrite, Plan
from ._types import TYPES, convert, hashed_text

__all__ = ["FORMAT", "READS", "dumps_plan", "is_plan", "load_plan", "loads_plan", "save_plan"]

#: The value of a saved plan's ``format`` key. ``/2`` added the ``{"env", "default"}`` and
#: ``{"literal"}`` forms of a configuration value, which a ``/1`` reader would send as they are;
#: ``/3`` an item's ``uncompared`` secrets, which a ``/2`` reader refuses as unknown keys.
FORMAT = "airbyte-async-plan/3"
#: The formats :func:`loads_plan` reads.
READS = ("airbyte-async-plan/1", "airbyte-async-plan/2", FORMAT)

_converter = cattrs.Converter(forbid_extra_keys=True)
_converter.register_unstructure_hook(ConnectionSettings, unstructure)
_converter.register_structure_hook(ConnectionSettings, lambda v, t: structure(v, t, route="plan"))


def _structure_write(value: Any, _: Any) -> ActorWrite | ConnectionWrite | None:
    if value is None:
        return None
    if isinstance(value, dict) and "definition_id" in value:
        return _converter.structure(value, ActorWrite)
    return _converter.structure(value, ConnectionWrite)


_converter.register_structure_hook(ActorWrite | ConnectionWrite | None, _structure_write)
_converter.register_unstructure_hook(
    ActorWrite,
    lambda write: {"definition_id": write.definition_id, "configuration": write.configuration},
)
# Catalogs of minutes' discoveries, fit for the run that made them only; warnings, shown when
# the plan was made (and which a reader of format 3 would refuse as unknown keys).
_UNSAVED = override(omit=True)
_converter.register_unstructure_hook(
    Plan,
    make_dict_unstructure_fn(Plan, _converter, discovered=_UNSAVED, unlisted_connections=_UNSAVED),
)
_converter.register_structure_hook(
    Plan,
    make_dict_structure_fn(Plan, _converter, discovered=_UNSAVED, unlisted_connections=_UNSAVED),
)


@attrs.frozen(kw_only=True)
class _Saved:
    format: str
    plan: Plan


def dumps_plan(plan: Plan) -> str:
    """
    *plan* as JSON text: ``{"format": FORMAT, "plan": {...}}``, the plan holding
    ``workspace_id``, ``origin`` and ``items``. Each item has ``kind``, ``name``, ``action``
    (``created``, ``updated``, ``unchanged``), ``detail``, ``id``, ``changes`` (as shown),
    ``note``, ``where`` (its key in the spec), ``fingerprint`` (``sha256:...`` of the object as
    planned, or ``absent``), ``uncompared`` (the paths of secret values the server masks) and
    ``write``: None, or for a source or destination its
    ``definition_id`` and ``configuration``, or for a connection its ``source`` and
    ``destination`` names, its ``settings`` (in the API's wire form, as sent) and ``streams``
    (selections made when the source is written, or None).

    Raises :class:`~airbyte_async.errors.SpecError` at each secret written in the pipeline
    file rather than read from the environment.
    """
    problems: list[str] = []
    items = []
    for item in plan.items:
        write = item.write
        if isinstance(write, ActorWrite):
            configuration = _saved(write, item.where, problems)
            write = attrs.evolve(write, configuration=configuration)
        items.append(attrs.evolve(item, write=write))
    if problems:
        raise SpecError(problems, origin=plan.origin)
    saved = _Saved(format=FORMAT, plan=attrs.evolve(plan, items=tuple(items)))
    return json.dumps(_converter.unstructure(saved), indent=2) + "\n"


def save_plan(plan: Plan, path: str | os.PathLike[str]) -> None:
    """Write *plan* to *path* as :func:`dumps_plan` makes it."""
    text = dumps_plan(plan)
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)


def is_plan(text: str) -> bool:
    """True when *text* looks like a saved plan rather than a pipeline file (TOML)."""
    return text.lstrip().startswith("{")


def loads_plan(text: str, *, env: Mapping[str, str] | None = None, origin: str = "") -> Plan:
    """
    The plan saved in *text*, its environment references resolved from *env* (default
    ``os.environ``); *origin* (the plan file) replaces the spec file's name in its messages.

    Raises :class:`~airbyte_async.errors.SpecError` naming each key of a malformed plan or each
    variable not set, or saying which formats (:data:`READS`) this version reads, and
    :class:`~airbyte_async.errors.StalePlanError` when a variable's value is not the one the
    plan was made with.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise SpecError([f"invalid JSON: {e}"], origin=origin) from None
    if not isinstance(data, dict) or "format" not in data:
        raise SpecError([f"format: missing: not a saved plan (expected {FORMAT!r})"], origin=origin)
    if data["format"] not in READS:
        problem = (
            f"format: {data['format']!r} is not a format this version of airbyte-async reads "
            f"({' or '.join(READS)}): apply it with the version that saved it, or plan again"
        )
        raise SpecError([problem], origin=origin)
    try:
        plan = _converter.structure(data, _Saved).plan
    except (cattrs.BaseValidationError, AirbyteError, TypeError, ValueError) as e:
        raise SpecError(_validation_problems(e), origin=origin) from None
    environment = os.environ if env is None else env
    typed = data["format"] != "airbyte-async-plan/1"
    unset: list[str] = []
    changed: list[str] = []
    items = []
    for item in plan.items:
        write = item.write
        if isinstance(write, ActorWrite):
            resolver = _Resolver(environment, item.where, unset, changed, typed=typed)
            configuration = resolver.resolve(write.configuration, "configuration")
            write = attrs.evolve(
                write,
                configuration=configuration,
                env_names=resolver.names,
                env_defaults=resolver.defaults,
                env_types=resolver.types,
            )
        items.append(attrs.evolve(item, write=write))
    if unset:
        raise SpecError(unset, origin=origin)
    if changed:
        raise StalePlanError(changed, origin=origin)
    return attrs.evolve(plan, items=tuple(items), origin=origin or plan.origin)


def load_plan(path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None) -> Plan:
    """:func:`loads_plan` of the file at *path*."""
    origin = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise SpecError([f"cannot read the file: {reason}"], origin=origin) from None
    return loads_plan(text, env=env, origin=origin)


def _validation_problems(error: Exception) -> list[str]:
    if isinstance(error, cattrs.BaseValidationError):
        return [
            message.replace(" @ $.plan", " @ plan") for message in cattrs.transform_error(error)
        ]
    return [f"plan: {error}"]


def _saved(write: ActorWrite, where: str, problems: list[str]) -> Any:
    """*write*'s configuration with its environment values as references to their variables."""

    def walk(value: Any, path: str) -> Any:
        name = write.env_names.get(path)
        if name is not None:
            saved = {"env": name, "scrypt": _hash(hashed_text(value))}
            kind = write.env_types.get(path, "string")
            return saved if kind == "string" else {**saved, "type": kind}
        unset = write.env_defaults.get(path)
        if unset is not None:
            check(value, path, default_of=unset)
            return {"env": unset, "default": value}
        if isinstance(value, dict):
            table = {k: walk(v, f"{path}.{k}") for k, v in value.items()}
            return {"literal": table} if _looks_like_reference(value) else table
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        check(value, path)
        return value

    def check(value: Any, path: str, default_of: str | None = None) -> None:
        if not _secret_in_clear(path, value, write.secret_fields):
            return
        if default_of is None:
            problems.append(
                f"{where}.{path}: a secret written in the file cannot be saved in a plan; "
                'read it from the environment ({ env = "NAME" })'
            )
        else:
            problems.append(
                f"{where}.{path}: {default_of} is not set, and its default is a secret written "
                f"in the file, which cannot be saved in a plan: set {default_of}, or drop the "
                "default"
            )

    return walk(write.configuration, "configuration")


def _looks_like_reference(table: Mapping[str, Any]) -> bool:
    return "env" in table or list(table) == ["literal"]


#: Keys that choose one of a connector's options (``auth_type = "OAuth"``): not secret, even
#: under a secret-looking key (``credentials``).
_SELECTORS = frozenset(
    {"auth_type", "auth_method", "option_title", "credentials_title", "type", "kind", "method"}
)


def _secret_in_clear(path: str, value: Any, flagged: frozenset[str]) -> bool:
    """
    Whether a value written in the file, at *path*, is one a plan shows masked (see
    :func:`~airbyte_async._secrets.masked`): a field the connector's specification flags
    (*flagged*), under a secret-looking key anywhere on its path (an option selector aside),
    or a URL with a password. Airbyte's mask is no secret.
    """
    if value is None or value == SECRET_MASK or isinstance(value, bool):
        return False
    if is_flagged(path, flagged):
        return True
    key = [part for part in re.split(r"[.\[\]]", path) if part and not part.isdigit()][-1]
    if is_secret_key(key) or (key not in _SELECTORS and is_secret_path(path, ())):
        return True
    return isinstance(value, str) and masked(value, "", ()) != value  # a URL's password


@attrs.define
class _Resolver:
    """Replaces the environment references of one item's configuration, noting problems."""

    env: Mapping[str, str]
    where: str
    unset: list[str]
    changed: list[str]
    #: The paths of the values resolved, and their variables.
    names: dict[str, str] = attrs.field(factory=dict)
    #: The paths of the defaults taken, and their variables (not set).
    defaults: dict[str, str] = attrs.field(factory=dict)
    #: The paths of the values resolved that are sent converted, and their types.
    types: dict[str, str] = attrs.field(factory=dict)
    #: Whether ``{"env", "scrypt", "type"}`` is a reference (not in format ``/1``).
    typed: bool = True

    def resolve(self, value: Any, path: str) -> Any:
        if isinstance(value, dict) and list(value) == ["literal"]:
            table = value["literal"]
            if isinstance(table, dict):
                return {k: self.resolve(v, f"{path}.{k}") for k, v in table.items()}
        if isinstance(value, dict) and set(value) == {"env", "default"}:
            name = str(value["env"])
            self.defaults[path] = name
            if name in self.env:
                self.changed.append(
                    f"{self.where}.{path}: {name} is set now; the plan was made with it unset, "
                    "taking its default"
                )
            return value["default"]
        keys = set(value) if isinstance(value, dict) else set()
        if keys == {"env", "scrypt"} or (self.typed and keys == {"env", "scrypt", "type"}):
            return self.variable(value, path)
        if isinstance(value, dict):
            return {k: self.resolve(v, f"{path}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    def variable(self, saved: Mapping[str, Any], path: str) -> Any:
        """
        The value of the variable *saved* names, converted to its saved type as it was when
        planning, and checked against its saved hash.
        """
        name, kind = str(saved["env"]), saved.get("type", "string")
        self.names[path] = name
        if name not in self.env:
            self.unset.append(f"{self.where}.{path}: environment variable {name} is not set")
            return None
        if kind not in TYPES:
            self.unset.append(f"{self.where}.{path}.type: unknown type {kind!r}")
            return None
        if kind != "string":
            self.types[path] = kind
        try:
            value = convert(self.env[name], kind)
        except ValueError:
            value = None
        if value is None or not _matches(hashed_text(value), str(saved["scrypt"])):
            self.changed.append(
                f"{self.where}.{path}: {name} is not the value the plan was made with"
            )
        return value


# scrypt, salted per value: a slow hash, since secrets such as passwords are often guessable.
def _hash(value: str, salt: bytes | None = None) -> str:
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(value.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"{salt.hex()}:{digest.hex()}"


def _matches(value: str, saved: str) -> bool:
    salt, _, _ = saved.partition(":")
    try:
        expected = _hash(value, bytes.fromhex(salt))
    except ValueError:
        return False
    return hmac.compare_digest(expected, saved)
