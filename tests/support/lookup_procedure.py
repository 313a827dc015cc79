"""A kernel procedure for tests of ``ctx.kernel.call_procedure``: run in the
kernel, stdlib only. ``lookup(namespace, request_json)`` answers what the
request names, as JSON text."""

import json
import threading


def lookup(namespace, request_json):
    request = json.loads(request_json)
    name = request["name"]
    found = name in namespace
    return json.dumps(
        {
            "name": name,
            "found": found,
            "repr": repr(namespace[name])[:100] if found else None,
            "thread": threading.current_thread().name,
        }
    )
