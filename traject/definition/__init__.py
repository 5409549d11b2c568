"""The trajectory definition language: YAML → `Definition` → `CompiledDefinition`."""

from traject.definition.compiled import CompiledDefinition, CState, CTask, CTimer, CTransition
from traject.definition.compiler import compile_file, compile_loaded, compile_text
from traject.definition.errors import DefinitionError, Problem
from traject.definition.forms import validate_form
from traject.definition.loader import load_definition, load_text

__all__ = [
    "CState",
    "CTask",
    "CTimer",
    "CTransition",
    "CompiledDefinition",
    "DefinitionError",
    "Problem",
    "compile_file",
    "compile_loaded",
    "compile_text",
    "load_definition",
    "load_text",
    "validate_form",
]
