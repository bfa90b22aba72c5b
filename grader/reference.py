"""The reference solution, loaded in a trusted process under an alias.

The reference and a student's submission are both called `micrograd`; loading the reference as
`micrograd_reference` (its modules import each other relatively) lets trusted code compute
expected values without ever claiming the name a student's package uses.
"""

import importlib
import importlib.util
import sys
from types import ModuleType

from grader.lessons import course
from grader.paths import REFERENCE_PACKAGE

ALIAS = "micrograd_reference"


def load_reference() -> ModuleType:
    """The reference package, with every lesson module imported as an attribute."""
    if ALIAS not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            ALIAS,
            REFERENCE_PACKAGE / "__init__.py",
            submodule_search_locations=[str(REFERENCE_PACKAGE)],
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules[ALIAS] = package
        spec.loader.exec_module(package)
    package = sys.modules[ALIAS]
    for name in course().modules:
        importlib.import_module(f"{ALIAS}.{name}")
    return package
