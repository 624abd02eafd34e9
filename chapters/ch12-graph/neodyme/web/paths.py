"""Path segments the routers accept: ``/{user_id:digits}`` and ``/{todo_id:digits}``.

Registered here, where both routers find it, since the todos' ``/todos/next`` needs it too.
"""

from starlette.convertors import StringConvertor, register_url_convertor


class DigitsConvertor(StringConvertor):
    """A path segment of digits, passed on as text for the id's type to parse and bound.

    Starlette's own ``:int`` calls ``int()`` on the segment, and Python refuses to parse more
    than 4300 digits: a path of 4301 nines was a 500. Left as text, it is a 422 like 2**31.
    Only digits reach an id route, so ``/users/me`` and ``/todos/next`` are never taken for
    an id: ``DELETE /users/me`` and ``PATCH /todos/next`` are 405s, not 422s about the id.
    """

    regex = "[0-9]+"


register_url_convertor("digits", DigitsConvertor())
