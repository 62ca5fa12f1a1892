"""Loaded by the Python that runs Schemathesis (scripts/schemathesis puts this
directory on PYTHONPATH): one `ast.parse` at a time.

CPython 3.11 builds an AST with a recursion-depth counter kept in the
interpreter's AST state, shared by every thread, and checks it at the end:
two threads parsing at once can leave it off and fail a parse with
"SystemError: AST constructor recursion depth mismatch" (python/cpython#106905
and the reports it links). Schemathesis runs two workers as threads, and
Hypothesis parses lambdas' source with `ast.parse` to describe its strategies:
a CI run died of it once, in Schemathesis, with every folio answer passing.
"""

import ast
import threading

_parse = ast.parse
_one_at_a_time = threading.Lock()


def _parse_alone(*args, **kwargs):
    with _one_at_a_time:
        return _parse(*args, **kwargs)


ast.parse = _parse_alone
