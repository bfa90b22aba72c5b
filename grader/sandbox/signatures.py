"""The signatures the course expects, read from the reference with `inspect` (one truth: the
same signatures the template's stubs carry), for messages about a call that did not fit."""

from __future__ import annotations

import inspect
import re
from functools import lru_cache

from grader.lessons import course
from grader.reference import load_reference

# Python's own words for a call that does not fit a signature start with the callee's
# qualified name: "Neuron.__init__() got an unexpected keyword argument 'act'".
_CALLEE = re.compile(r"([A-Za-z_][\w.]*)\(\) ")


@lru_cache(maxsize=1)
def expected_signatures() -> dict[str, str]:
    """Qualified name as Python prints it -> the call the course expects:
    'Neuron.__init__' and 'Neuron' -> "Neuron(nin, activation='tanh')",
    'numerical_derivative' -> 'numerical_derivative(f, x, h=1e-06)',
    'SGD.step' -> 'SGD.step()'."""
    table = {}
    reference = load_reference()
    for module_name in course().modules:
        module = getattr(reference, module_name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue  # private, or imported from elsewhere
            if inspect.isfunction(obj):
                table[name] = f"{name}{inspect.signature(obj)}"
            elif inspect.isclass(obj):
                table[name] = table[f"{name}.__init__"] = f"{name}{inspect.signature(obj)}"
                table.update(_methods(name, obj))
    return table


def _methods(class_name: str, cls) -> dict[str, str]:
    found = {}
    for name, function in vars(cls).items():
        if inspect.isfunction(function) and (not name.startswith("_") or name == "__call__"):
            parameters = list(inspect.signature(function).parameters.values())[1:]  # no self
            signature = inspect.Signature(parameters)
            found[f"{class_name}.{name}"] = f"{class_name}.{name}{signature}"
    return found


def expected_call(message: str) -> str:
    """The signature the course expects for the callee a TypeError message names, or ''."""
    match = _CALLEE.match(message)
    return expected_signatures().get(match.group(1), "") if match else ""
