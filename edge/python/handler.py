"""folio's Lambda@Edge entry point (python3.12 runtime, handler `handler.handler`).

Lambda@Edge runs only the managed Node.js and Python runtimes, so the Rust edge
ships as `bootstrap` beside this module. The runtime client imports this module
before it asks the Runtime API for the first event, so in "exec" mode the import
replaces this process with the Rust binary, which then serves the Runtime API
itself (lambda_runtime). In "pipe" mode, the fallback, the binary runs as a child
process and events go to it over its stdin/stdout, one JSON document per line.
The mode is baked into folio-edge.json by `folio package edge`.
"""

import json
import os
import subprocess
import threading

_HERE = os.path.dirname(os.path.abspath(__file__))
_BOOTSTRAP = os.path.join(_HERE, "bootstrap")

with open(os.path.join(_HERE, "folio-edge.json"), encoding="utf-8") as _config:
    _MODE = json.load(_config).get("mode", "exec")

if _MODE == "exec":
    os.execv(_BOOTSTRAP, [_BOOTSTRAP])

_child = subprocess.Popen(
    [_BOOTSTRAP, "--pipe"],
    stdin=subprocess.PIPE,
    stdout=subprocess.PIPE,
    bufsize=0,
)
_lock = threading.Lock()


def handler(event, context):
    """Sends one event to the binary and returns its answer."""
    line = json.dumps(event, separators=(",", ":")).encode() + b"\n"
    with _lock:
        _child.stdin.write(line)
        _child.stdin.flush()
        reply = _child.stdout.readline()
    if not reply:
        raise RuntimeError("the edge binary exited (code %s)" % _child.poll())
    answer = json.loads(reply)
    if "error" in answer:
        raise RuntimeError(answer["error"])
    return answer["result"]
