"""The functions tasks may call: the allow-list that keeps a store record from making the process import or
run anything the application did not allow.

A task names its function as "package.module:qualified.name". At run time the name is resolved only
among callables the application registered (by passing them to add_task, or with register()) and the
top-level callables defined in the modules it allowed (allowed_modules=["myapp.jobs"]; "myapp.*" allows
a package and its submodules). Nothing is ever unpickled: arguments are JSON. Each allowed name is also
registered with libasyncz, which refuses to run a task naming anything else (TASK_ERROR, "function ... is
not registered"), so the check holds even for records written by another process."""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable, Dict, Iterable, Iterator, Optional, Tuple

from ._casyncz import ENOTFOUND
from .errors import FunctionNotAllowedError


def reference_of(fn: Callable[..., Any]) -> Optional[str]:
    """"module:qualname" when importing that gives back fn itself, else None (lambdas, closures, methods
    of instances, callables without a module)."""
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        return None
    try:
        return f"{module}:{qualname}" if _lookup(module, qualname) is fn else None
    except (ImportError, AttributeError):
        return None


def is_coroutine_function(fn: Callable[..., Any]) -> bool:
    """inspect.iscoroutinefunction, seeing through functools.partial and callable objects."""
    while hasattr(fn, "func") and hasattr(fn, "args"):  # functools.partial
        fn = fn.func  # type: ignore[attr-defined]
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))


def _lookup(module: str, qualname: str) -> Any:
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


class FunctionRegistry:
    """Names -> callables, plus the allowed modules. Not thread-safe: used on the scheduler's thread."""

    def __init__(self, allowed_modules: Iterable[str] = ()) -> None:
        self._by_name: Dict[str, Callable[..., Any]] = {}
        self._names: Dict[Any, Optional[str]] = {}  # callable -> reference_of(callable), looked up once
        self._coroutine: Dict[str, bool] = {}  # name -> whether it is a coroutine function
        self._modules = set()
        self._packages = set()
        for name in allowed_modules:
            if name.endswith(".*"):
                self._packages.add(name[:-2])
            else:
                self._modules.add(name)

    def module_allowed(self, module: str) -> bool:
        if module in self._modules:
            return True
        return any(module == p or module.startswith(p + ".") for p in self._packages)

    def name_for(self, fn: Callable[..., Any], persistent: bool) -> str:
        """The name a task stores for fn (registering fn under it). A callable that cannot be imported by
        name gets a name valid in this process only, refused for persistent stores."""
        try:
            ref = self._names.get(fn)
            known = fn in self._names
        except TypeError:  # unhashable callables are looked at every time
            ref, known = None, False
        if not known:
            ref = reference_of(fn)
            try:
                self._names[fn] = ref
            except TypeError:
                pass
        if ref is None:
            if persistent:
                raise ValueError(
                    f"{fn!r} cannot be named in a persistent store: give a function defined at the top level of "
                    "a module (not a lambda, closure or bound method)"
                )
            label = getattr(fn, "__qualname__", type(fn).__name__)
            ref = f"{getattr(fn, '__module__', None) or '?'}:{label}@{id(fn):x}"[:255]
        if self._by_name.get(ref) is not fn:
            self._by_name[ref] = fn
            self._coroutine.pop(ref, None)
        return ref

    def register(self, fn: Callable[..., Any], name: Optional[str] = None) -> str:
        """Allow fn under name (default: its "module:qualname")."""
        if name is None:
            name = reference_of(fn)
            if name is None:
                raise ValueError(f"{fn!r} has no importable name: pass name=")
        self._by_name[name] = fn
        self._coroutine.pop(name, None)
        return name

    def resolve_reference(self, ref: str) -> Callable[..., Any]:
        """The callable for a "module:qualname" given to add_task as text: registered, or in an allowed
        module (imported then). Raises FunctionNotAllowedError otherwise."""
        fn = self._by_name.get(ref)
        if fn is not None:
            return fn
        module, sep, qualname = ref.partition(":")
        if not sep or not module or not qualname:
            raise FunctionNotAllowedError(ENOTFOUND, f"{ref!r} is not a \"package.module:function\" reference")
        if not self.module_allowed(module):
            raise FunctionNotAllowedError(
                ENOTFOUND, f"function {ref!r} is not registered and its module is not in allowed_modules"
            )
        fn = _lookup(module, qualname)
        if not callable(fn):
            raise FunctionNotAllowedError(ENOTFOUND, f"{ref!r} is not callable")
        self._by_name[ref] = fn
        return fn

    def get(self, name: str) -> Optional[Callable[..., Any]]:
        return self._by_name.get(name)

    def is_coroutine(self, name: str, fn: Callable[..., Any]) -> bool:
        """Whether the function registered as name is a coroutine function (worked out once)."""
        known = self._coroutine.get(name)
        if known is None:
            known = self._coroutine[name] = is_coroutine_function(fn)
        return known

    def scan_allowed(self) -> Iterator[Tuple[str, Callable[..., Any]]]:
        """Import the allowed modules (not the packages' submodules: those are imported when named) and
        register every callable defined at their top level; yields (name, callable)."""
        for module_name in sorted(self._modules):
            module = importlib.import_module(module_name)
            for attr, value in vars(module).items():
                if attr.startswith("_") or not callable(value) or inspect.isclass(value):
                    continue
                if getattr(value, "__module__", None) != module_name:
                    continue
                name = f"{module_name}:{attr}"
                self._by_name.setdefault(name, value)
                yield name, self._by_name[name]

    def items(self) -> Iterator[Tuple[str, Callable[..., Any]]]:
        return iter(list(self._by_name.items()))
