"""Self-test of tests/semantic_check.py (`tests/semantic_check.py --self-test`):
hand-made before/after pairs of one file in a small package, each of which
must be flagged in exactly the expected categories, or not at all.
"""

from __future__ import annotations

import shutil
import tempfile
import textwrap
from collections import Counter
from pathlib import Path

from fixrun import ROOT
from semantic_check import Tree, check_dependent, check_file, lost_imports, lost_patch_targets, parse

# The package the cases import from.
LIBRARY = {
    "pkg/__init__.py": "",
    "pkg/canon.py": """
        from dataclasses import dataclass

        async def get_manager(user_context=None):
            return user_context

        async def get_mode_manager(user_context=None, mode=None):
            return user_context

        def sync_make(user_context, user_id=None):
            return user_context

        async def flexible(*args, **kwargs):
            return args

        class Manager:
            def __init__(self, user_context, *, mode="isolated"):
                self.user_context = user_context

        class Isolated(Manager):
            pass

        @dataclass
        class Metrics:
            user_id: str
            connections: int = 0

        Alias = Manager
        __all__ = ["get_manager", "sync_make", "flexible", "Manager", "Metrics", "Alias"]
    """,
    "pkg/old.py": """
        def make(user_context, user_id=None):
            return user_context

        async def amake(user_context):
            return user_context

        async def amake_for(user_context, user_id=None):
            return user_context

        async def amode(user_context=None, mode="isolated"):
            return user_context

        async def amode_alike(user_context=None, mode = None):
            return user_context
    """,
    "pkg/hub.py": """
        from pkg.canon import *  # noqa: F403
    """,
    "pkg/shim.py": """
        from pkg.canon import Manager

        Manager = Manager
    """,
    "pkg/cond.py": """
        try:
            from fast_json import loads
        except ImportError:
            loads = None
        if loads is None:
            def dumps(value):
                return str(value)
    """,
    "app/__init__.py": "",
}

# (name, before, after, expected categories with counts)
CASES: list[tuple[str, str, str, dict[str, int]]] = [
    (
        "a comment dropped by a merge",
        "from pkg.canon import Manager\nfrom pkg.old import make  # noqa: F401\nprint(Manager)\n",
        "from pkg.canon import Manager, sync_make\nprint(Manager)\n",
        {"comment-lost": 1, "unused-import": 0},
    ),
    (
        "a comment moved with its name",
        "from pkg.canon import Manager\nfrom pkg.old import (\n    make,  # why\n)\nprint(Manager, make)\n",
        "from pkg.canon import (\n    Manager,\n    sync_make as make,  # why\n)\nprint(Manager, make)\n",
        {},
    ),
    (
        "undefined name left by a rename",
        "from pkg.old import make\nmake(1)\n",
        "from pkg.canon import sync_make\nmake(1)\n",
        {"undefined": 1, "unused-import": 1},
    ),
    (
        "two imports of one name",
        "from pkg.canon import Manager\nfrom pkg.old import make\nprint(Manager, make)\n",
        "from pkg.canon import Manager\nfrom pkg.canon import Manager\nprint(Manager)\n",
        {"redefinition": 2},
    ),
    (
        "two imports of one name in a function, used in between",
        "def f():\n    from pkg.canon import Manager\n    print(Manager)\n",
        "def f():\n    from pkg.canon import Manager\n    print(Manager)\n    from pkg.canon import Manager\n    print(Manager)\n",
        {"redefinition": 1},
    ),
    (
        "import left unused",
        "from pkg.old import make\nmake(1)\n",
        "from pkg.old import make\nfrom pkg.canon import Manager\nmake(1)\n",
        {"unused-import": 1},
    ),
    (
        "import of a name the module does not bind",
        "from pkg.old import make\nprint(make)\n",
        "from pkg.canon import create_defensive_context\nprint(create_defensive_context)\n",
        {"import-unbound": 1, "undefined": 0},
    ),
    (
        "import of a module missing from a package in the tree",
        "from pkg.old import make\nprint(make)\n",
        "from pkg.metrics import make\nprint(make)\n",
        {"import-unbound": 1},
    ),
    (
        "renamed call passes a keyword the callee rejects",
        "from pkg.canon import flexible\nasync def f(ctx):\n    return await flexible(ctx, user_id=1)\n",
        "from pkg.canon import get_manager\nasync def f(ctx):\n    return await get_manager(ctx, user_id=1)\n",
        {"call-signature": 1},
    ),
    (
        "renamed call passes too many positionals",
        "from pkg.canon import flexible\nasync def f(a, b):\n    return await flexible(a, b)\n",
        "from pkg.canon import get_manager\nasync def f(a, b):\n    return await get_manager(a, b)\n",
        {"call-signature": 1},
    ),
    (
        "class call checked against __init__ (inherited)",
        "from pkg.old import make\nx = make(1, user_id=2)\n",
        "from pkg.canon import Isolated\nx = Isolated(1, user_id=2)\n",
        {"call-signature": 1},
    ),
    (
        "dataclass call lacks a required field",
        "from pkg import canon\nx = canon.Metrics(user_id='a')\n",
        "from pkg import canon\nx = canon.Metrics(connections=1)\n",
        {"call-signature": 1},
    ),
    (
        "sync call renamed to an async def, not awaited",
        "from pkg.old import make\ndef f(ctx):\n    return make(ctx)\n",
        "from pkg.canon import get_manager\ndef f(ctx):\n    return get_manager(ctx)\n",
        {"async": 1},
    ),
    (
        "awaited call redirected to a plain def",
        "from pkg.old import amake\nasync def f(ctx):\n    return await amake(ctx)\n",
        "from pkg.canon import sync_make\nasync def f(ctx):\n    return await sync_make(ctx)\n",
        {"async": 1},
    ),
    (
        "a coroutine handed to asyncio.run now comes from a plain def",
        "import asyncio\nfrom pkg.old import amake\ndef f(ctx):\n    return asyncio.run(amake(ctx))\n",
        "import asyncio\nfrom pkg.canon import sync_make\ndef f(ctx):\n    return asyncio.run(sync_make(ctx))\n",
        {"async": 1},
    ),
    (
        "an awaited async def replaced by a plain def, the await dropped",
        "from pkg.old import amake\nasync def f(ctx):\n    return await amake(ctx)\n",
        "from pkg.canon import sync_make\nasync def f(ctx):\n    return sync_make(ctx)\n",
        {},
    ),
    (
        "a plain def's result handed on, renamed to another plain def",
        "from pkg.old import make\ndef f(ctx):\n    return print(make(ctx))\n",
        "from pkg.canon import sync_make\ndef f(ctx):\n    return print(sync_make(ctx))\n",
        {},
    ),
    (
        "alias through a module attribute, call through a hub's star import",
        "import pkg.old as m\ndef f(ctx):\n    return m.make(ctx)\n",
        "import pkg.hub as m\ndef f(ctx):\n    return m.get_manager(ctx)\n",
        {"async": 1},
    ),
    (
        "a renamed call passes its second argument as another parameter",
        "from pkg.old import amake_for\nasync def f(ctx, uid):\n    return await amake_for(ctx, uid)\n",
        "from pkg.canon import get_mode_manager\nasync def f(ctx, uid):\n    return await get_mode_manager(ctx, uid)\n",
        {"call-meaning": 1},
    ),
    (
        "a renamed call leaves a parameter to another default",
        "from pkg.old import amode\nasync def f(ctx):\n    return await amode(ctx)\n",
        "from pkg.canon import get_mode_manager\nasync def f(ctx):\n    return await get_mode_manager(ctx)\n",
        {"call-meaning": 1},
    ),
    (
        "a constructor renamed to a direct construction the rules forbid",
        "from pkg.canon import Metrics\nx = Metrics(user_id='a')\n",
        "from pkg.canon import Alias\nx = Alias(1)\n",
        {"forbidden-call": 1},
    ),
    # Not flagged.
    (
        "a renamed call whose arguments keep their parameters",
        "from pkg.old import amake_for\nasync def f(ctx):\n    return await amake_for(ctx)\n",
        "from pkg.canon import get_mode_manager\nasync def f(ctx):\n    return await get_mode_manager(ctx)\n",
        {},
    ),
    (
        "a renamed call whose left-out default is written alike, or that passes it",
        "from pkg.old import amode, amode_alike\nasync def f(ctx):\n    return await amode_alike(ctx), await amode(ctx, mode=1)\n",
        "from pkg.canon import get_mode_manager\nasync def f(ctx):\n    return await get_mode_manager(ctx), await get_mode_manager(ctx, mode=1)\n",
        {},
    ),
    (
        "a correct rename",
        "from pkg.old import amake\nasync def f(ctx):\n    return await amake(ctx)\n",
        "from pkg.canon import get_manager\nasync def f(ctx):\n    return await get_manager(ctx)\n",
        {},
    ),
    (
        "a forbidden call the file made before",
        "from pkg.canon import Manager\nx = Manager(1)\n",
        "from pkg.canon import Alias\nx = Alias(1)\n",
        {},
    ),
    (
        "a forbidden call made before through a shim that keeps the name (`Manager = Manager`)",
        "from pkg.shim import Manager\nx = Manager(1)\n",
        "from pkg.canon import Manager\nx = Manager(1)\n",
        {},
    ),
    (
        "faults the file had before",
        "import os\nfrom pkg.old import amake\nprint(zzz)\namake(1)\n",
        "import os\nfrom pkg.canon import get_manager\nprint(zzz)\nget_manager(1)\n",
        {},
    ),
    (
        "names bound through a star import, try/except and if",
        "from pkg.old import make\nprint(make)\n",
        "from pkg.hub import get_manager, Alias\nfrom pkg.cond import loads, dumps\nfrom pkg import canon\nprint(get_manager, Alias, loads, dumps, canon)\n",
        {},
    ),
    (
        "**kwargs accepts any keyword; a library module is not judged",
        "from pkg.old import amake\nasync def f():\n    return await amake(user_id=1)\n",
        "from pkg.canon import flexible\nfrom requests import get\nasync def f():\n    return await flexible(user_id=1), get\n",
        {},
    ),
    (
        "alternative imports in try/except are not duplicates",
        "from pkg.old import make\nprint(make)\n",
        "try:\n    from pkg.canon import sync_make as make\nexcept ImportError:\n    from pkg.old import make\nprint(make)\n",
        {},
    ),
    (
        "a coroutine handed to another call is not left un-awaited",
        "import asyncio\nfrom pkg.old import amake\ndef f(ctx):\n    return asyncio.run(amake(ctx))\n",
        "import asyncio\nfrom pkg.canon import get_manager\ndef f(ctx):\n    return asyncio.run(get_manager(ctx))\n",
        {},
    ),
    (
        "a partial tree: the module replaced was missing too",
        "from pkg.gone import make\nprint(make)\n",
        "from pkg.elsewhere import make\nprint(make)\n",
        {},
    ),
    (
        "a function-local import shadows the module one",
        "from pkg.old import make\nasync def f(ctx):\n    from pkg.old import amake as make\n    return await make(ctx)\n",
        "from pkg.old import make\nasync def f(ctx):\n    from pkg.canon import get_manager as make\n    return await make(ctx)\n",
        {"unused-import": 0},
    ),
]


def dependent_case(work: Path) -> tuple[str, bool]:
    """A hub the fix rewrote breaks a caller the fix did not touch."""
    before, after = work / "dep-before", work / "dep-after"
    for root, hub in ((before, "from pkg.canon import flexible as make\n"), (after, "from pkg.canon import get_manager as make\n")):
        for rel, text in LIBRARY.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(textwrap.dedent(text).lstrip())
        (root / "pkg/hub2.py").write_text(hub)
    caller = b"from pkg.hub2 import make\n\n\nasync def f():\n    return await make(1, user_id=2)\n"
    found = check_dependent(Tree(before), Tree(after), Path("app/caller.py"), caller, {"pkg.hub2"})
    got = Counter(v.category for v in found)
    return f"a hub rewritten under a caller the fix did not change: {dict(got) or 'nothing'}", got == Counter({"call-signature": 1})


def lost_import_case(work: Path) -> tuple[str, bool]:
    """A hub the fix rewrote loses a name that a caller the fix changed
    (another of its imports) still imports from it; the caller's other
    import, which the fix wrote, is not judged here."""
    before, after = work / "lost-before", work / "lost-after"
    for root, hub in ((before, "from pkg.canon import flexible as make\n"), (after, "from pkg.canon import get_manager\n")):
        for rel, text in LIBRARY.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(textwrap.dedent(text).lstrip())
        (root / "pkg/hub3.py").write_text(hub)
    caller = parse(b"from pkg.hub3 import make\nfrom pkg.canon import get_manager\n")
    found = lost_imports(caller, "app.caller", False, Tree(before), Tree(after), {"pkg.hub3"}, "app/caller.py", Counter())
    skipped = lost_imports(caller, "app.caller", False, Tree(before), Tree(after), {"pkg.hub3"}, "app/caller.py", Counter({("pkg.hub3", "make"): 1}))
    got = Counter(v.category for v in found)
    return f"a changed caller still imports a name its hub lost: {dict(got) or 'nothing'}", got == Counter({"import-unbound": 1}) and not skipped


def patch_target_case(work: Path) -> tuple[str, bool]:
    """A module the fix rewrote no longer binds a name a test patches there,
    as a dotted path, on the module object, or as its attribute; a name it
    still binds, and a module the fix did not change, are not flagged."""
    before, after = work / "patch-before", work / "patch-after"
    for root, route in ((before, "from pkg.old import make\n"), (after, "from pkg.canon import sync_make\n")):
        for rel, text in LIBRARY.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(textwrap.dedent(text).lstrip())
        (root / "pkg/route.py").write_text(route + "import os\n")
    test = parse(
        b"from unittest import mock\nimport pkg.route as route\nfrom pkg import old\n\n\n"
        b"def test(monkeypatch):\n"
        b"    mock.patch('pkg.route.make')\n"
        b"    mock.patch.object(route, 'make')\n"
        b"    monkeypatch.setattr(route, 'make', None)\n"
        b"    route.make = None\n"
        b"    mock.patch('pkg.route.os')\n"
        b"    mock.patch('pkg.old.make')\n"
        b"    old.make = None\n"
    )
    found = lost_patch_targets(test, "tests.test_route", False, Tree(before), Tree(after), {"pkg.route"}, "tests/test_route.py")
    got = Counter(v.category for v in found)
    lines = sorted(v.line for v in found)
    return f"a test patches a name its module lost: {dict(got) or 'nothing'} at lines {lines}", lines == [7, 8, 9, 10]


def run_self_test() -> int:
    (ROOT / "target").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="semantic-selftest-", dir=ROOT / "target"))
    try:
        for rel, text in LIBRARY.items():
            path = work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip())
        # As if a `call` rule forbade `Manager(...)`, named through the hub.
        tree = Tree(work, forbidden=("pkg.hub.Manager",))
        failures = 0
        for name, before, after, expected in CASES:
            violations = check_file(tree, tree, Path("app/case.py"), before.encode(), after.encode())
            got = Counter(v.category for v in violations)
            want = Counter({c: n for c, n in expected.items() if n})
            ok = got == want
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {dict(got) or 'nothing'}")
            if not ok:
                print(f"     expected {dict(want) or 'nothing'}")
                for violation in violations:
                    print(f"     {violation}")
        for case in (dependent_case, lost_import_case, patch_target_case):
            text, ok = case(work)
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {text}")
        total = len(CASES) + 3
        print(f"self-test: {total - failures} of {total} cases as expected")
        return 1 if failures else 0
    finally:
        shutil.rmtree(work)
