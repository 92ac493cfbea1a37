"""The mock's ASGI middleware, one per module; :func:`~labelf_testkit.mock_server.app.create_app` stacks them,
outermost first: :mod:`.journal` (records every answer, faults included), :mod:`.faults` (the test's planned
faults), :mod:`.server_errors` (any exception becomes the host's 500 body)."""
