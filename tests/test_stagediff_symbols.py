"""Symbol classification: every category, on small stage trees built for each test."""

from pathlib import Path
from textwrap import dedent

from shared.stagediff import compare
from shared.stagediff.describe import describe_symbol
from shared.stagediff.symbols import SymbolCategory, module_symbols

MOVED = SymbolCategory.MOVED
MOVED_AND_CHANGED = SymbolCategory.MOVED_AND_CHANGED
RENAMED = SymbolCategory.RENAMED
CHANGED = SymbolCategory.CHANGED
ADDED = SymbolCategory.ADDED
REMOVED = SymbolCategory.REMOVED


def write_stage(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dedent(text).lstrip("\n"))
    return root


def classify(tmp_path: Path, old: dict[str, str], new: dict[str, str]) -> set[tuple]:
    """(category, old path:qualname, new path:qualname, detail) of every symbol change."""
    diff = compare(write_stage(tmp_path / "old", old), write_stage(tmp_path / "new", new))
    return {
        (
            change.category,
            f"{change.old.path}:{change.old.qualname}" if change.old else None,
            f"{change.new.path}:{change.new.qualname}" if change.new else None,
            change.detail,
        )
        for change in diff.symbols
    }


GREET = """
def greet(name: str) -> str:
    '''Say hello.'''
    message = f"Hello, {name}"
    return message.upper()
"""


def test_identical_stages_have_no_symbol_changes(tmp_path):
    assert classify(tmp_path, {"app.py": GREET}, {"app.py": GREET}) == set()


def test_formatting_and_comments_never_count(tmp_path):
    reformatted = """
    def greet(
        name: str,
    ) -> str:
        '''Say hello.'''
        # Build the message first.
        message = f'Hello, {name}'   # single quotes now


        return (message.upper())
    """

    assert classify(tmp_path, {"app.py": GREET}, {"app.py": reformatted}) == set()


def test_added_and_removed(tmp_path):
    old = {"app.py": GREET + "\n\ndef old_helper():\n    return 1\n"}
    new = {"app.py": GREET + "\n\nclass Fresh:\n    size = 3\n"}

    assert classify(tmp_path, old, new) == {
        (REMOVED, "app.py:old_helper", None, ""),
        (ADDED, None, "app.py:Fresh", ""),
    }


def test_a_changed_body(tmp_path):
    new = GREET.replace("message.upper()", "message.lower()")

    assert classify(tmp_path, {"app.py": GREET}, {"app.py": new}) == {
        (CHANGED, "app.py:greet", "app.py:greet", "body")
    }


def test_a_changed_signature(tmp_path):
    new = GREET.replace("name: str)", "name: str, loud: bool = True)")

    assert classify(tmp_path, {"app.py": GREET}, {"app.py": new}) == {
        (CHANGED, "app.py:greet", "app.py:greet", "signature")
    }


def test_a_new_decorator_is_a_signature_change(tmp_path):
    new = "import functools\n\n\n@functools.cache\n" + dedent(GREET).lstrip()

    assert classify(tmp_path, {"app.py": GREET}, {"app.py": new}) == {
        (CHANGED, "app.py:greet", "app.py:greet", "signature")
    }


def test_a_docstring_change_counts_and_says_so(tmp_path):
    new = GREET.replace("Say hello.", "Say hello, loudly.")

    assert classify(tmp_path, {"app.py": GREET}, {"app.py": new}) == {
        (CHANGED, "app.py:greet", "app.py:greet", "docstring only")
    }


def test_moved_unchanged_to_another_module(tmp_path):
    old = {"app.py": GREET + "\n\ndef stay():\n    return 2\n"}
    new = {"app.py": "def stay():\n    return 2\n", "text/greetings.py": GREET}

    assert classify(tmp_path, old, new) == {(MOVED, "app.py:greet", "text/greetings.py:greet", "")}


def test_moved_and_changed(tmp_path):
    old = {"app.py": GREET}
    new = {"app.py": "", "greetings.py": GREET.replace("upper", "title")}

    assert classify(tmp_path, old, new) == {
        (MOVED_AND_CHANGED, "app.py:greet", "greetings.py:greet", "body")
    }


def test_renamed_in_the_same_module(tmp_path):
    new = GREET.replace("def greet", "def welcome")

    assert classify(tmp_path, {"app.py": GREET}, {"app.py": new}) == {
        (RENAMED, "app.py:greet", "app.py:welcome", "")
    }


def test_renamed_into_another_module(tmp_path):
    new = {"app.py": "", "welcome.py": GREET.replace("def greet", "def welcome")}

    assert classify(tmp_path, {"app.py": GREET}, new) == {
        (RENAMED, "app.py:greet", "welcome.py:welcome", "")
    }


def test_a_symbol_in_a_renamed_module_has_moved(tmp_path):
    body = GREET + "\n\ndef farewell(name: str) -> str:\n    return 'Bye, ' + name\n"
    changed = body.replace("'Bye, '", "'Goodbye, '")

    assert classify(tmp_path, {"old_name.py": body}, {"new_name.py": changed}) == {
        (MOVED, "old_name.py:greet", "new_name.py:greet", ""),
        (MOVED_AND_CHANGED, "old_name.py:farewell", "new_name.py:farewell", "body"),
    }


def test_methods_are_symbols_with_qualified_names(tmp_path):
    old = """
    class Repository:
        '''Stores things.'''

        def get(self, key):
            return self.items[key]

        def put(self, key, value):
            self.items[key] = value
    """
    new = old.replace("= value", "= value\n            return value")

    assert classify(tmp_path, {"repo.py": old}, {"repo.py": new}) == {
        (CHANGED, "repo.py:Repository.put", "repo.py:Repository.put", "body")
    }


def test_a_class_is_not_changed_by_its_methods_but_by_its_own_code(tmp_path):
    old = "class Settings:\n    debug = False\n\n    def load(self):\n        return 1\n"
    new = "class Settings:\n    debug = True\n\n    def load(self):\n        return 2\n"

    assert classify(tmp_path, {"s.py": old}, {"s.py": new}) == {
        (CHANGED, "s.py:Settings", "s.py:Settings", "body"),
        (CHANGED, "s.py:Settings.load", "s.py:Settings.load", "body"),
    }


def test_a_method_moved_to_another_class_unchanged(tmp_path):
    method = "    def total(self):\n        return sum(self.values)\n"
    old = {"a.py": "class Cart:\n    name = 'cart'\n\n" + method + "\n\nclass Bill:\n    pass\n"}
    new = {"a.py": "class Cart:\n    name = 'cart'\n\n\nclass Bill:\n    pass\n\n" + method}

    assert classify(tmp_path, old, new) == {(MOVED, "a.py:Cart.total", "a.py:Bill.total", "")}


def test_a_function_nested_in_a_factory_that_moves_to_module_level(tmp_path):
    old = {
        "main.py": """
        def create_app():
            app = App()

            @app.get("/users")
            def list_users():
                return db.all()

            return app
        """
    }
    new = {
        "main.py": "def create_app():\n    app = App()\n    app.include(users)\n    return app\n",
        "routes/users.py": "@router.get('')\ndef list_users():\n    return db.all()\n",
    }

    assert classify(tmp_path, old, new) == {
        (CHANGED, "main.py:create_app", "main.py:create_app", "body"),
        (
            MOVED_AND_CHANGED,
            "main.py:create_app.<locals>.list_users",
            "routes/users.py:list_users",
            "signature",
        ),
    }


def test_same_named_methods_of_unrelated_classes_are_not_paired(tmp_path):
    old = {"a.py": "class Engine:\n    def __init__(self):\n        self.rpm = 0\n"}
    new = {"b.py": "class Ledger:\n    def __init__(self):\n        self.entries = []\n"}

    assert classify(tmp_path, old, new) == {
        (REMOVED, "a.py:Engine", None, ""),
        (REMOVED, "a.py:Engine.__init__", None, ""),
        (ADDED, None, "b.py:Ledger", ""),
        (ADDED, None, "b.py:Ledger.__init__", ""),
    }


def test_trivial_bodies_are_never_called_renames(tmp_path):
    old = {"errors.py": "class NotFound(Exception):\n    pass\n"}
    new = {"errors.py": "class Conflict(Exception):\n    pass\n"}

    assert classify(tmp_path, old, new) == {
        (REMOVED, "errors.py:NotFound", None, ""),
        (ADDED, None, "errors.py:Conflict", ""),
    }


def test_files_that_do_not_parse_are_reported_not_fatal(tmp_path):
    old = write_stage(tmp_path / "old", {"ok.py": GREET, "broken.py": "def broken(:\n"})
    new = write_stage(tmp_path / "new", {"ok.py": GREET, "broken.py": "def broken(:\n  pass\n"})

    diff = compare(old, new)

    assert diff.symbols == []
    assert diff.unparsable == ["new: broken.py", "old: broken.py"]


def test_module_symbols_names_what_python_names():
    source = dedent(
        """
        import sys

        if sys.version_info >= (3, 12):
            def modern():
                pass

        class Outer:
            class Inner:
                def method(self):
                    def helper():
                        pass

        def factory():
            async def handler():
                pass
        """
    )

    assert [symbol.qualname for symbol in module_symbols("m.py", source)] == [
        "modern",
        "Outer",
        "Outer.Inner",
        "Outer.Inner.method",
        "Outer.Inner.method.<locals>.helper",
        "factory",
        "factory.<locals>.handler",
    ]


def test_a_property_and_its_setter_are_one_symbol():
    source = dedent(
        """
        class Box:
            @property
            def size(self):
                return self._size

            @size.setter
            def size(self, value):
                self._size = value
        """
    )

    symbols = module_symbols("box.py", source)

    assert [(symbol.qualname, symbol.kind.value) for symbol in symbols] == [
        ("Box", "class"),
        ("Box.size", "method"),
    ]


def test_a_documented_class_renamed_with_its_docstring_is_renamed(tmp_path):
    old = {"errors.py": "class EmailTaken(Exception):\n    '''The address is in use.'''\n"}
    new = {"errors.py": "class EmailConflict(Exception):\n    '''The address is in use.'''\n"}

    assert classify(tmp_path, old, new) == {
        (RENAMED, "errors.py:EmailTaken", "errors.py:EmailConflict", "")
    }


# Moments found by likeness ----------------------------------------------------------------------

RENAMED_AND_CHANGED = SymbolCategory.RENAMED_AND_CHANGED
EXTRACTED = SymbolCategory.EXTRACTED


def changes_of(tmp_path: Path, old: dict[str, str], new: dict[str, str]):
    return compare(write_stage(tmp_path / "old", old), write_stage(tmp_path / "new", new)).symbols


def test_an_extraction_names_the_function_it_came_from(tmp_path):
    old = """
    def create_user(session, data):
        user = User.model_validate(data)
        user.email = user.email.strip().lower()
        session.add(user)
        session.commit()
        return user
    """
    new = """
    def create_user(session, data):
        user = build_user(data)
        session.add(user)
        session.commit()
        return user


    def build_user(data):
        user = User.model_validate(data)
        user.email = user.email.strip().lower()
        return user
    """

    assert classify(tmp_path, {"app.py": old}, {"app.py": new}) == {
        (CHANGED, "app.py:create_user", "app.py:create_user", "body"),
        (EXTRACTED, "app.py:create_user", "app.py:build_user", ""),
    }


COMMIT_OR_409 = """
async def commit_or_409(session):
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise HTTPException(409, "taken") from None
"""
REPOSITORY = """
class UserRepository:
    def __init__(self, session):
        self.session = session

    async def _commit(self):
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            raise EmailTaken from None
"""


def test_a_function_moved_renamed_and_made_a_method_is_one_change(tmp_path):
    old = {"routes.py": COMMIT_OR_409}
    new = {"routes.py": "", "repository.py": REPOSITORY}

    changes = changes_of(tmp_path, old, new)

    assert {(c.category, c.old and c.old.qualname, c.new and c.new.qualname) for c in changes} == {
        (RENAMED_AND_CHANGED, "commit_or_409", "UserRepository._commit"),
        (ADDED, None, "UserRepository"),
        (ADDED, None, "UserRepository.__init__"),
    }
    [moment] = [c for c in changes if c.category is RENAMED_AND_CHANGED]
    assert 0.6 < (moment.similarity or 0) < 1
    line = describe_symbol(moment)
    assert (line.kind, line.name, line.where) == (
        "function → method",
        "commit_or_409 → UserRepository._commit",
        "routes.py → repository.py",
    )
    assert line.detail.endswith("% similar")


def test_a_method_that_becomes_a_function_keeps_its_name_and_says_so(tmp_path):
    old = """
    class Cart:
        items = []

        def total(self):
            amount = 0
            for item in self.items:
                amount += item.price * item.quantity
            return amount
    """
    new = """
    class Cart:
        items = []


    def total(items):
        amount = 0
        for item in items:
            amount += item.price * item.quantity
        return amount
    """

    [change] = changes_of(tmp_path, {"cart.py": old}, {"cart.py": new})

    assert change.category is MOVED_AND_CHANGED
    assert (change.old.qualname, change.new.qualname) == ("Cart.total", "total")
    assert describe_symbol(change).kind == "method → function"


def test_small_look_alikes_are_not_paired(tmp_path):
    old = {"a.py": "def first(x):\n    return x + 1\n"}
    new = {"a.py": "def second(x):\n    return x + 2\n"}

    assert {change.category for change in changes_of(tmp_path, old, new)} == {ADDED, REMOVED}


def test_tests_and_application_are_never_paired_by_likeness(tmp_path):
    old = {"neodyme/db.py": COMMIT_OR_409}
    elsewhere = COMMIT_OR_409.replace("commit_or_409", "commit").replace("taken", "gone")
    new = {"neodyme/db.py": "", "tests/test_db.py": elsewhere}

    assert {change.category for change in changes_of(tmp_path, old, new)} == {ADDED, REMOVED}


SETTINGS = """
class Settings:
    '''Where the app reads its configuration.'''

    def load(self):
        return read(self.path)

    def save(self, values):
        write(self.path, values)

    def reset(self):
        self.values = {}
        self.save({})
"""


def test_a_renamed_class_takes_its_methods_along(tmp_path):
    new = SETTINGS.replace("class Settings", "class AppSettings").replace("{})", "{}, now=True)")

    changes = changes_of(tmp_path, {"main.py": SETTINGS}, {"main.py": new})

    assert {(c.category, c.old.qualname, c.new.qualname) for c in changes} == {
        (RENAMED, "Settings", "AppSettings"),
        (CHANGED, "Settings.reset", "AppSettings.reset"),
    }
    renamed = next(c for c in changes if c.category is RENAMED)
    assert renamed.members == 2
    assert describe_symbol(renamed).detail == "with its 2 unchanged methods"
    changed = describe_symbol(next(c for c in changes if c.category is CHANGED))
    assert (changed.name, changed.where) == ("AppSettings.reset", "main.py")


def test_a_class_renamed_and_changed_is_recognised_by_its_methods(tmp_path):
    new = SETTINGS.replace("class Settings", "class AppSettings").replace(
        "Where the app", "Where the application"
    )

    changes = changes_of(tmp_path, {"main.py": SETTINGS}, {"main.py": new})

    assert [(c.category, c.old.qualname, c.new.qualname, c.members) for c in changes] == [
        (RENAMED_AND_CHANGED, "Settings", "AppSettings", 3)
    ]


def test_look_alike_methods_of_unrelated_classes_are_not_one_renamed(tmp_path):
    old = """
    class TodoService:
        async def add_todo_for(self, owner_id, data):
            owner = await self.get_owner(owner_id)
            return await self.todos.create(owner.id, data)

        async def list_todos_of(self, owner_id, offset, limit, completed=None):
            owner = await self.get_owner(owner_id)
            return await self.todos.list(owner.id, offset, limit, completed)
    """
    new = """
    class UserService:
        async def sign_up(self, data, is_superuser=False):
            hashed_password = await self.hasher.hash(data.password)
            return await self.users.create(data, hashed_password, is_superuser)

        async def remove(self, user, actor):
            if actor.id != user.id and not actor.is_superuser:
                raise ForbiddenError("You may only delete your own account.")
            await self.users.delete(user)
    """

    changes = changes_of(tmp_path, {"todos.py": old}, {"users.py": new})

    assert {change.category for change in changes} == {ADDED, REMOVED}
