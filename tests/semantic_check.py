#!/usr/bin/env python3
"""Semantic check of fixes: what CPython's parser cannot see (issue 10).

    tests/semantic_check.py demo                       # both modes on a copy of demo/
    tests/semantic_check.py TREE... --bin target/release/ssot-lsp
    tests/semantic_check.py TREE --mode fix            # safe fixes only
    tests/semantic_check.py --self-test                # hand-made before/after pairs

For each tree and each mode (`fix`: `check --fix`; `unsafe`: `check --fix
--unsafe-fixes`) the tree is copied under target/ and fixed there. Every file
the fix changed is compared with the same file before the fix; a problem
counts only when the fixed file has more of it than the original (so the
tree's own faults are not blamed on the fix). Categories:

- `undefined`: pyflakes reports a new undefined name (NameError);
- `redefinition`: pyflakes reports a new redefinition of an unused name, or
  one scope now imports the same name twice (outside alternative branches of
  one `try` or `if`);
- `unused-import`: pyflakes reports a new unused import;
- `import-unbound`: a `from M import X` the fix wrote (the imports of the file
  before and after, compared with `ast`) where M's source is in the tree and
  X is not bound there (top-level def, class, assignment, import, `__all__`,
  a star import of a module in the tree, a submodule; `try`/`if` bodies
  count), or M is missing from a package that is in the tree (ImportError);
- `call-signature`: a call whose callee (resolved through the file's imports
  to a def or class in the tree; a class means its `__init__` or dataclass
  fields) rejects a keyword, takes fewer positional arguments or lacks a
  required one (TypeError); `**kwargs` accepts every keyword;
- `async`: a call of an `async def` that is not awaited (nor handed to
  another call), an awaited call of a plain def, or a call of a plain def
  handed to another call or standing alone where the call before the fix
  made a coroutine (`asyncio.run(…)`, `wait_for(…)`, a coroutine never run);
- `patch-target`: in any file of the tree, a name of a module the fix changed
  that the module no longer binds, given as a patch target
  (`patch("M.X")`, `monkeypatch.setattr("M.X", …)`, `patch.object(m, "X")`,
  `setattr(m, "X", …)`) or read as an attribute (`m.X`, `m` an import of
  M): AttributeError in the tests that patch it;
- `comment-lost`: a comment of the file (Python's tokenizer) that the fixed
  file holds fewer times (a fix moves comments with names, never drops one);
- `call-meaning`: a call whose positional argument binds, after the fix, a
  parameter of another name than before (`make(ctx, uid)` passed `user_id`,
  `get_manager(ctx, uid)` passes `mode`), or that leaves a parameter both
  callees have to a default written otherwise (`mode="isolated"` before,
  `mode=None` after): it fits, and does something else; only positions
  bound by name on both sides count (`*args`, `**kwargs` are not judged);
- `forbidden-call`: a call that ends, through the tree, at a callable of one
  of the active `call` rules (`ssot-lsp rules --json`: SSOT005's factory
  getter, SSOT006's direct `UnifiedWebSocketManager(...)`), under whatever
  name the fix wrote (`WebSocketManager(...)` is the same class).

pyflakes comes from PyPI: when it is not importable, a venv is made at
target/semcheck-venv (once) and the script re-runs itself with it.
Prints counts per tree, mode and category and each violation with file:line.
Exits 1 when a run has a failing violation: any category with `--fix`; with
`--unsafe-fixes` only `undefined`, `redefinition`, `import-unbound` and
`call-signature` (ImportError, NameError, TypeError, a duplicate binding; the
others are listed as notes), every category with `--strict`. Exits 2 on a
setup error.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tokenize
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from fixrun import ROOT, copy_files, python_files, run_ssot

VENV = ROOT / "target" / "semcheck-venv"
CATEGORIES = ("undefined", "redefinition", "unused-import", "import-unbound", "call-signature", "call-meaning", "async", "forbidden-call", "patch-target", "comment-lost")
MODES = {"fix": ["--fix"], "unsafe": ["--fix", "--unsafe-fixes"]}
# What fails a run, by mode (issue 10's goal): nothing at all with safe fixes;
# with unsafe ones, no ImportError, NameError, TypeError or duplicate binding
# (an unsafe fix may change behaviour otherwise: the other categories are
# counted and listed, and fail only with --strict).
FAILING = {
    "fix": set(CATEGORIES),
    "unsafe": {"undefined", "redefinition", "import-unbound", "call-signature", "patch-target", "comment-lost"},
}
PYFLAKES_CATEGORY = {
    "UndefinedName": "undefined",
    "UndefinedLocal": "undefined",
    "UndefinedExport": "undefined",
    "RedefinedWhileUnused": "redefinition",
    "ImportShadowedByLoopVar": "redefinition",
    "UnusedImport": "unused-import",
}
# How many re-exports or aliases are followed to find a def.
MAX_HOPS = 8


def ensure_pyflakes() -> None:
    """Re-runs this script with the venv's Python when pyflakes is missing."""
    if importlib.util.find_spec("pyflakes") is None:
        python = VENV / "bin" / "python"
        if os.environ.get("SEMANTIC_CHECK_REEXEC"):
            sys.exit(f"semantic_check: pyflakes is not importable with {sys.executable}")
        if not python.exists():
            print(f"[semantic_check] creating {VENV}", flush=True)
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        probe = subprocess.run([str(python), "-c", "import pyflakes"], capture_output=True)
        if probe.returncode != 0:
            print("[semantic_check] installing pyflakes", flush=True)
            subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "pyflakes"], check=True)
        os.environ["SEMANTIC_CHECK_REEXEC"] = "1"
        os.execv(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])


# ------------------------------------------------------------------ the tree


def module_name(root: Path, path: Path) -> str | None:
    """Dotted module name of `path`: its package folders (those holding an
    `__init__.py`) up to the first folder that is not one."""
    rel = path.relative_to(root)
    parts = list(rel.parts[:-1])
    stem = path.stem
    names = [] if stem == "__init__" else [stem]
    folder = path.parent
    while parts and (folder / "__init__.py").is_file():
        names.insert(0, folder.name)
        parts.pop()
        folder = folder.parent
    name = ".".join(names)
    return name if name and all(part.isidentifier() for part in names) else None


def parse(data: bytes) -> ast.Module | None:
    try:
        return ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@dataclass
class ModuleInfo:
    """What a module binds at top level (bodies of `if`, `try`, `with`, `for`
    and `while` included, function and class bodies not)."""

    bindings: set[str] = field(default_factory=set)
    exported: list[str] | None = None
    defs: dict[str, ast.AST] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    from_imports: dict[str, tuple[str, str]] = field(default_factory=dict)
    module_imports: dict[str, str] = field(default_factory=dict)
    stars: list[str] = field(default_factory=list)
    has_getattr: bool = False


class Tree:
    """The modules of a folder, parsed on demand; `forbidden` holds the
    callables of the active `call` rules (dotted paths)."""

    def __init__(self, root: Path, forbidden: tuple[str, ...] = ()):
        self.root = root
        self.forbidden = forbidden
        self._forbidden_nodes: set[int] | None = None
        self.modules: dict[str, Path] = {}
        for path in python_files(root):
            name = module_name(root, path)
            if name:
                self.modules.setdefault(name, path)
        self._infos: dict[str, ModuleInfo | None] = {}

    def info(self, module: str) -> ModuleInfo | None:
        if module not in self._infos:
            path = self.modules.get(module)
            tree = parse(path.read_bytes()) if path else None
            self._infos[module] = None if tree is None else module_info(tree, module, path.name == "__init__.py")
        return self._infos[module]

    def is_bound(self, module: str, name: str, seen: frozenset[str] = frozenset()) -> bool | None:
        """Whether `module` binds `name`; None when its source is not here."""
        info = self.info(module)
        if info is None:
            return None
        if name in info.bindings or name in (info.exported or ()) or info.has_getattr:
            return True
        if f"{module}.{name}" in self.modules:
            return True
        for star in info.stars:
            if star in seen:
                continue
            if star not in self.modules:
                return True  # unknown: a star import of a library
            if name in self.star_names(star, seen | {module}):
                return True
        return False

    def star_names(self, module: str, seen: frozenset[str]) -> set[str]:
        info = self.info(module)
        if info is None:
            return set()
        if info.exported is not None:
            return set(info.exported)
        names = {n for n in info.bindings if not n.startswith("_")}
        for star in info.stars:
            if star not in seen and star in self.modules:
                names |= self.star_names(star, seen | {module})
        return names

    def is_forbidden(self, qualname: str, target: ast.AST) -> bool:
        """Whether a call ending at `target` calls a forbidden callable."""
        if self._forbidden_nodes is None:
            self._forbidden_nodes = set()
            for callable_path in self.forbidden:
                module, _, name = callable_path.rpartition(".")
                found = self.resolve(module, name) if module else None
                if found:
                    self._forbidden_nodes.add(id(found[1]))
        return qualname in self.forbidden or id(target) in self._forbidden_nodes

    def resolve(self, module: str, name: str, hops: int = 0) -> tuple[str, ast.AST] | None:
        """The def or class that `module.name` ends at, through re-exports,
        plain aliases (`A = B`) and star imports of modules in the tree."""
        info = self.info(module)
        if info is None or hops > MAX_HOPS:
            return None
        if name in info.defs:
            return f"{module}.{name}", info.defs[name]
        if name in info.aliases:
            return self.resolve(module, info.aliases[name], hops + 1)
        if name in info.from_imports:
            origin, original = info.from_imports[name]
            return self.resolve(origin, original, hops + 1)
        for star in info.stars:
            found = self.resolve(star, name, hops + 1)
            if found:
                return found
        return None


def absolute_module(module: str | None, level: int, current: str, is_package: bool) -> str | None:
    """The absolute module of `from <level dots><module> import …` in `current`."""
    if level == 0:
        return module
    parts = current.split(".")
    if not is_package:
        parts = parts[:-1]
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    if module:
        base = base + module.split(".")
    return ".".join(base) or None


def top_level_statements(body: list[ast.stmt]):
    """Statements of a module body, descending into compound statements
    other than def and class."""
    for node in body:
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for attr in ("body", "orelse", "finalbody"):
            yield from top_level_statements(getattr(node, attr, None) or [])
        for handler in getattr(node, "handlers", None) or []:
            yield from top_level_statements(handler.body)
        for case in getattr(node, "cases", None) or []:
            yield from top_level_statements(case.body)


def target_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in target_names(elt)]
    if isinstance(target, ast.Starred):
        return target_names(target.value)
    return []


def string_list(node: ast.AST | None) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return [e.value for e in node.elts]
    return None


def module_info(tree: ast.Module, module: str, is_package: bool) -> ModuleInfo:
    info = ModuleInfo()
    for node in top_level_statements(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            info.bindings.add(node.name)
            info.defs[node.name] = node
            info.aliases.pop(node.name, None)
            info.from_imports.pop(node.name, None)
            info.has_getattr |= node.name == "__getattr__"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                info.bindings.add(bound)
                info.module_imports[bound] = alias.name if alias.asname else bound
        elif isinstance(node, ast.ImportFrom):
            origin = absolute_module(node.module, node.level, module, is_package)
            for alias in node.names:
                if alias.name == "*":
                    if origin:
                        info.stars.append(origin)
                    continue
                bound = alias.asname or alias.name
                info.bindings.add(bound)
                if origin:
                    info.from_imports[bound] = (origin, alias.name)
                info.defs.pop(bound, None)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if isinstance(node, ast.AnnAssign) and node.value is None:
                continue
            for target in targets:
                for name in target_names(target):
                    info.bindings.add(name)
                    if name == "__all__":
                        entries = string_list(node.value) or []
                        info.exported = (info.exported or []) + entries if isinstance(node, ast.AugAssign) else entries
                    elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and len(node.targets) == 1:
                        # `X = X` (a shim keeping an imported name) binds the same object again.
                        if node.value.id != name:
                            info.aliases[name] = node.value.id
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            info.bindings.update(target_names(node.target))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    info.bindings.update(target_names(item.optional_vars))
    return info


# ------------------------------------------------------------------ one file


@dataclass(frozen=True)
class Violation:
    category: str
    path: str
    line: int
    text: str
    key: tuple = ()

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.category}: {self.text}"


def pyflakes_problems(tree: ast.Module, path: str) -> list[Violation]:
    from pyflakes import checker

    out = []
    for message in checker.Checker(tree, filename=path).messages:
        category = PYFLAKES_CATEGORY.get(type(message).__name__)
        if category is None:
            continue
        # Undefined names are told apart by name. Unused and redefined
        # imports are counted: a fix that renames an import that was unused
        # before leaves as many unused imports as there were.
        key = (type(message).__name__,)
        if category == "undefined":
            key += tuple(a for a in message.message_args if not isinstance(a, int))
        text = message.message % message.message_args
        out.append(Violation(category, path, message.lineno, f"pyflakes: {text}", key))
    return out


class Scopes:
    """The parent of every node of a file, and the scopes around a node."""

    def __init__(self, tree: ast.Module):
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent

    def scope_chain(self, node: ast.AST) -> list[ast.AST]:
        """The function scopes around `node` (innermost first), then the module."""
        chain = []
        current = self.parents.get(node)
        while current is not None:
            if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.Module)):
                chain.append(current)
            current = self.parents.get(current)
        return chain

    def scope_name(self, node: ast.AST) -> str:
        names = []
        current = self.parents.get(node)
        while current is not None:
            if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(current.name)
            current = self.parents.get(current)
        return ".".join(reversed(names)) or "<module>"


def scope_body_nodes(scope: ast.AST):
    """Nodes that belong to `scope` itself (not to nested defs or lambdas)."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))


@dataclass
class ScopeBindings:
    imports: dict[str, list[tuple[int, tuple]]] = field(default_factory=dict)
    others: set[str] = field(default_factory=set)


def scope_bindings(scope: ast.AST, module: str, is_package: bool) -> ScopeBindings:
    found = ScopeBindings()
    for node in scope_body_nodes(scope):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    origin = ("module", alias.name)
                    bound = alias.asname
                else:
                    bound = alias.name.split(".")[0]
                    origin = ("module", bound)
                found.imports.setdefault(bound, []).append((node.lineno, origin))
        elif isinstance(node, ast.ImportFrom):
            source = absolute_module(node.module, node.level, module, is_package)
            for alias in node.names:
                if alias.name == "*" or source is None:
                    continue
                found.imports.setdefault(alias.asname or alias.name, []).append((node.lineno, ("attr", source, alias.name)))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.others.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.others.add(node.name)
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        arguments = scope.args
        for arg in arguments.posonlyargs + arguments.args + arguments.kwonlyargs + [a for a in (arguments.vararg, arguments.kwarg) if a]:
            found.others.add(arg.arg)
    return found


class FileCalls:
    """Resolves the calls of one file through its imports to defs in a tree."""

    def __init__(self, tree: ast.Module, module: str, is_package: bool, workspace: Tree):
        self.tree = tree
        self.module = module
        self.is_package = is_package
        self.workspace = workspace
        self.scopes = Scopes(tree)
        self._bindings: dict[ast.AST, ScopeBindings] = {}

    def bindings(self, scope: ast.AST) -> ScopeBindings:
        if scope not in self._bindings:
            self._bindings[scope] = scope_bindings(scope, self.module, self.is_package)
        return self._bindings[scope]

    def origin(self, node: ast.AST, name: str) -> tuple | None:
        """What the import binding `name` at `node` refers to, if an import."""
        for scope in self.scopes.scope_chain(node):
            found = self.bindings(scope)
            if name in found.imports:
                return max(found.imports[name])[1]  # the last import wins
            if name in found.others:
                return None
        return None

    def resolve_call(self, call: ast.Call) -> tuple[str, ast.AST] | None:
        chain = []
        func = call.func
        while isinstance(func, ast.Attribute):
            chain.insert(0, func.attr)
            func = func.value
        if not isinstance(func, ast.Name):
            return None
        origin = self.origin(call, func.id)
        if origin is None:
            return None
        if origin[0] == "attr":
            _, source, name = origin
            if f"{source}.{name}" in self.workspace.modules:
                module = f"{source}.{name}"
            elif not chain:
                return self.workspace.resolve(source, name)
            else:
                return None
        else:
            module = origin[1]
        # `module.a.b.f`: the longest module prefix, then one name.
        while len(chain) > 1 and f"{module}.{chain[0]}" in self.workspace.modules:
            module = f"{module}.{chain.pop(0)}"
        if len(chain) != 1:
            return None
        return self.workspace.resolve(module, chain[0])


@dataclass
class Signature:
    positional: list[str]
    positional_only: int
    keyword_only: list[str]
    required: set[str]
    varargs: bool
    varkw: bool


def function_signature(node: ast.FunctionDef | ast.AsyncFunctionDef, bound: bool) -> Signature:
    args = node.args
    positional = [a.arg for a in args.posonlyargs + args.args]
    posonly = len(args.posonlyargs)
    if bound and positional:
        positional = positional[1:]
        posonly = max(0, posonly - 1)
    with_default = len(args.defaults)
    required = set(positional[: len(positional) - with_default] if with_default else positional)
    required |= {a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None}
    return Signature(positional, posonly, [a.arg for a in args.kwonlyargs], required, args.vararg is not None, args.kwarg is not None)


def is_dataclass(node: ast.ClassDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "dataclass":
            return True
    return False


def class_signature(workspace: Tree, qualname: str, node: ast.ClassDef, hops: int = 0) -> Signature | None:
    """The signature of calling the class: its `__init__`, its dataclass
    fields, or a base's in the tree; None when it cannot be told."""
    if hops > MAX_HOPS or node.keywords:
        return None
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == "__new__":
            return None
        if isinstance(stmt, ast.FunctionDef) and stmt.name == "__init__":
            return None if stmt.decorator_list else function_signature(stmt, bound=True)
    if is_dataclass(node):
        if node.bases:
            return None
        fields, required = [], set()
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and "ClassVar" not in ast.unparse(stmt.annotation):
                fields.append(stmt.target.id)
                if stmt.value is None:
                    required.add(stmt.target.id)
        return Signature(fields, 0, [], required, False, False)
    if not node.bases:
        return Signature([], 0, [], set(), False, False)
    if len(node.bases) == 1 and isinstance(node.bases[0], ast.Name):
        module = qualname.rsplit(".", 1)[0]
        found = workspace.resolve(module, node.bases[0].id)
        if found and isinstance(found[1], ast.ClassDef):
            return class_signature(workspace, found[0], found[1], hops + 1)
    return None


def callee_signature(workspace: Tree, qualname: str, target: ast.AST) -> Signature | None:
    """The signature of calling `target` (a def or a class); None when a
    decorator may change it or it cannot be told."""
    if isinstance(target, ast.ClassDef):
        return class_signature(workspace, qualname, target)
    return None if target.decorator_list else function_signature(target, bound=False)


def call_problems(call: ast.Call, signature: Signature) -> list[str]:
    problems = []
    starred = any(isinstance(a, ast.Starred) for a in call.args)
    double_star = any(k.arg is None for k in call.keywords)
    given = len(call.args)
    if not starred and not signature.varargs and given > len(signature.positional):
        problems.append(f"{given} positional arguments, the callee takes at most {len(signature.positional)}")
    accepted = set(signature.positional[signature.positional_only :]) | set(signature.keyword_only)
    keywords = [k.arg for k in call.keywords if k.arg is not None]
    if not signature.varkw:
        problems += [f"keyword `{k}` is not accepted" for k in keywords if k not in accepted]
    if not starred and not double_star:
        filled = set(signature.positional[:given]) | set(keywords)
        missing = sorted(signature.required - filled)
        if missing:
            problems.append("missing required argument(s) " + ", ".join(f"`{m}`" for m in missing))
    return problems


def call_violations(tree: ast.Module, module: str, is_package: bool, workspace: Tree, path: str) -> list[Violation]:
    """Calls that do not fit their callee, and async misuse, in one file."""
    calls = FileCalls(tree, module, is_package, workspace)
    out = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        found = calls.resolve_call(call)
        if found is None:
            continue
        qualname, target = found
        scope = calls.scopes.scope_name(call)
        shape = ast.unparse(ast.Call(func=ast.Name("f"), args=call.args, keywords=call.keywords))
        written = ast.unparse(call.func)
        signature = callee_signature(workspace, qualname, target)
        if signature is not None:
            for problem in call_problems(call, signature):
                out.append(Violation("call-signature", path, call.lineno, f"`{written}(…)` calls `{qualname}`: {problem}", (scope, problem, shape)))
        parent = calls.scopes.parents.get(call)
        awaited = isinstance(parent, ast.Await)
        handed_on = isinstance(parent, (ast.Call, ast.keyword, ast.Lambda))
        if isinstance(target, ast.AsyncFunctionDef) and not awaited and not handed_on:
            out.append(Violation("async", path, call.lineno, f"`{written}(…)` calls `async def {qualname}` without `await`: the coroutine never runs", (scope, "unawaited", shape)))
        if isinstance(target, ast.FunctionDef) and awaited and not target.decorator_list:
            out.append(Violation("async", path, call.lineno, f"`await {written}(…)` awaits plain `def {qualname}`", (scope, "awaited-sync", shape)))
        # Counted before and after like every key: more of them after the
        # fix means a call that made a coroutine (handed to `asyncio.run`,
        # `wait_for`, or a statement of its own, never run) now runs a plain
        # def at once. (A result returned or assigned is not counted: a fix
        # that drops an `await` leaves such calls.)
        bare = isinstance(parent, ast.Expr)
        if isinstance(target, ast.FunctionDef) and (handed_on or bare) and not target.decorator_list:
            out.append(Violation("async", path, call.lineno, f"`{written}(…)` runs plain `def {qualname}` at once, where the call before the fix made a coroutine", (scope, "plain-not-awaited", shape)))
        if workspace.is_forbidden(qualname, target):
            out.append(Violation("forbidden-call", path, call.lineno, f"`{written}(…)` calls `{qualname}`, which a `call` rule forbids", (scope, "forbidden", shape)))
    return out


def default_texts(workspace: Tree, target: ast.AST) -> dict[str, str]:
    """The defaults of a def's parameters (a class's `__init__`'s), as
    source text; empty when there is no def to read."""
    if isinstance(target, ast.ClassDef):
        init = [s for s in target.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "__init__"]
        if not init:
            return {}
        target = init[0]
    if not isinstance(target, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return {}
    args = target.args
    positional = args.posonlyargs + args.args
    texts = {a.arg: ast.unparse(d) for a, d in zip(positional[len(positional) - len(args.defaults):], args.defaults)}
    texts.update({a.arg: ast.unparse(d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    return texts


def call_bindings(tree: ast.Module, module: str, is_package: bool, workspace: Tree) -> list[tuple]:
    """Each call without starred arguments whose callee and signature are
    known: (scope, arguments, the parameter each positional argument binds
    or None past the named ones, the defaults of the parameters it leaves
    out, line, callee as written, callee's qualified name)."""
    calls = FileCalls(tree, module, is_package, workspace)
    out = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call) or any(isinstance(a, ast.Starred) for a in call.args):
            continue
        if any(k.arg is None for k in call.keywords):
            continue
        found = calls.resolve_call(call)
        if found is None:
            continue
        qualname, target = found
        signature = callee_signature(workspace, qualname, target)
        if signature is None:
            continue
        names = tuple(signature.positional[i] if i < len(signature.positional) else None for i in range(len(call.args)))
        given = set(names) | {k.arg for k in call.keywords}
        left_out = {name: text for name, text in default_texts(workspace, target).items() if name not in given}
        shape = ast.unparse(ast.Call(func=ast.Name("f"), args=call.args, keywords=call.keywords))
        out.append((calls.scopes.scope_name(call), shape, names, left_out, call.lineno, ast.unparse(call.func), qualname))
    return out


def meaning_violations(before: list[tuple], after: list[tuple], path: str) -> list[Violation]:
    """Calls of `after` (the same scope and arguments as a call of `before`)
    whose positional arguments bind parameters of other names than that
    call's did, or that leave a parameter to a default written otherwise
    than the one that call left it to."""
    was: dict[tuple, list[tuple]] = {}
    for scope, shape, names, left_out, *_ in before:
        was.setdefault((scope, shape), []).append((names, left_out))
    out = []
    for scope, shape, names, left_out, line, written, qualname in after:
        options = was.get((scope, shape), [])
        if not options or (names, left_out) in options:
            continue
        changes = []
        for old_names, old_left_out in options:
            moved = [(i, o, n) for i, (o, n) in enumerate(zip(old_names, names)) if o is not None and n is not None and o != n]
            defaults = [(p, old_left_out[p], t) for p, t in sorted(left_out.items()) if p in old_left_out and old_left_out[p] != t]
            if not moved and not defaults:
                break
            changes.append((moved, defaults))
        else:
            moved, defaults = changes[0]
            if moved:
                index, old_name, new_name = moved[0]
                text = f"`{written}(…)` calls `{qualname}`: its argument {index + 1} was `{old_name}` before the fix and is `{new_name}`"
                out.append(Violation("call-meaning", path, line, text, (scope, shape, index)))
            else:
                name, old_text, new_text = defaults[0]
                text = f"`{written}(…)` calls `{qualname}`: it leaves `{name}` to its default, `{old_text}` before the fix and `{new_text}` after"
                out.append(Violation("call-meaning", path, line, text, (scope, shape, name)))
    return out


def branch_path(node: ast.AST, scopes: Scopes, scope: ast.AST) -> list[tuple[int, str]]:
    """(compound statement, branch) pairs from `scope` down to `node`."""
    path = []
    child, current = node, scopes.parents.get(node)
    while current is not None and current is not scope:
        if isinstance(current, (ast.If, ast.Try, getattr(ast, "TryStar", ast.Try))):
            for attr in ("body", "orelse", "finalbody", "handlers"):
                if child in (getattr(current, attr, None) or []):
                    path.insert(0, (id(current), attr))
        elif isinstance(current, ast.ExceptHandler):
            path.insert(0, (id(current), "handler"))
        child, current = current, scopes.parents.get(current)
    return path


def exclusive(a: list[tuple[int, str]], b: list[tuple[int, str]]) -> bool:
    """Whether two branch paths go different ways at one `if` or `try`."""
    for (node_a, branch_a), (node_b, branch_b) in zip(a, b):
        if node_a != node_b:
            return False
        if branch_a != branch_b:
            return {branch_a, branch_b} != {"body", "finalbody"} and "finalbody" not in (branch_a, branch_b)
    return False


def duplicate_imports(tree: ast.Module, path: str) -> list[Violation]:
    """One scope importing the same name twice (not in alternative branches)."""
    scopes = Scopes(tree)
    by_scope: dict[tuple[int, str], list[tuple[ast.stmt, list]]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        scope = scopes.scope_chain(node)[0]
        for alias in node.names:
            if alias.name == "*":
                continue
            bound = alias.asname or alias.name.split(".")[0]
            by_scope.setdefault((id(scope), bound), []).append((node, branch_path(node, scopes, scope)))
    out = []
    for (_, name), imports in by_scope.items():
        for index, (node, branches) in enumerate(imports):
            if any(not exclusive(branches, other) for _, other in imports[:index]):
                scope_name = scopes.scope_name(node)
                out.append(Violation("redefinition", path, node.lineno, f"`{name}` is imported twice in `{scope_name}`", ("duplicate-import", scope_name)))
                break
    return out


def written_imports(tree: ast.Module, module: str, is_package: bool) -> Counter:
    """(module, name, line) of every `from M import X` and (module, None) of
    every `import M`, counted without lines."""
    found = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = absolute_module(node.module, node.level, module, is_package)
            for alias in node.names:
                if source and alias.name != "*":
                    found[(source, alias.name)] += 1
        elif isinstance(node, ast.Import):
            for alias in node.names:
                found[(alias.name, None)] += 1
    return found


def import_violations(before: ast.Module, after: ast.Module, module: str, is_package: bool, workspace: Tree, path: str) -> list[Violation]:
    old = written_imports(before, module, is_package)
    new = written_imports(after, module, is_package) - old
    # Packages whose modules the file imported before without them being in
    # the tree: the tree is partial there (a benchmark corpus with injected
    # imports), so a missing module of theirs says nothing about the fix.
    partial = {source.split(".")[0] for source, _ in old if source not in workspace.modules}
    out = []
    for node in ast.walk(after):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.ImportFrom):
            source = absolute_module(node.module, node.level, module, is_package)
            pairs = [(source, a.name) for a in node.names if a.name != "*" and source]
        else:
            pairs = [(a.name, None) for a in node.names]
        for source, name in pairs:
            if new[(source, name)] <= 0:
                continue
            new[(source, name)] -= 1
            problem = None if source.split(".")[0] in partial and source not in workspace.modules else unbound_problem(workspace, source, name)
            if problem:
                out.append(Violation("import-unbound", path, node.lineno, problem, (source, name)))
    return out


def unbound_problem(workspace: Tree, source: str, name: str | None) -> str | None:
    if source not in workspace.modules:
        # A missing module of a package in the tree; a package that is not
        # there at all is a library (or a partial tree) and is not judged.
        if "." in source and source.rsplit(".", 1)[0] in workspace.modules:
            return f"module `{source}` is not in the tree (ImportError)"
        return None
    if name is None:
        return None
    if workspace.is_bound(source, name) is False:
        return f"`{source}` binds no `{name}` (ImportError)"
    return None


def differential(before: list[Violation], after: list[Violation]) -> list[Violation]:
    """The violations of `after` beyond the same-keyed ones of `before`."""
    left = Counter((v.category, v.key) for v in before)
    out = []
    for violation in after:
        token = (violation.category, violation.key)
        if left[token] > 0:
            left[token] -= 1
            continue
        out.append(violation)
    return out


def check_file(before_tree: Tree, after_tree: Tree, rel: Path, old: bytes, new: bytes) -> list[Violation]:
    """The violations a fix brought into one file (path relative to the trees)."""
    before, after = parse(old), parse(new)
    if before is None or after is None:
        return []  # tests/fix_safety.py judges parse errors
    path = str(rel)
    module = module_name(after_tree.root, after_tree.root / rel) or rel.stem
    is_package = rel.name == "__init__.py"
    found = differential(pyflakes_problems(before, path), pyflakes_problems(after, path))
    found += differential(duplicate_imports(before, path), duplicate_imports(after, path))
    found += differential(call_violations(before, module, is_package, before_tree, path), call_violations(after, module, is_package, after_tree, path))
    found += meaning_violations(call_bindings(before, module, is_package, before_tree), call_bindings(after, module, is_package, after_tree), path)
    found += import_violations(before, after, module, is_package, after_tree, path)
    found += lost_comments(old, new, path)
    return sorted(found, key=lambda v: (v.path, v.line, v.category, v.text))


def comments(data: bytes) -> Counter:
    """The comments of a file as Python's tokenizer finds them, trimmed."""
    tokens = tokenize.tokenize(io.BytesIO(data).readline)
    return Counter((token.string.strip(), token.start[0]) for token in tokens if token.type == tokenize.COMMENT)


def lost_comments(old: bytes, new: bytes, path: str) -> list[Violation]:
    """A violation for each comment `new` holds fewer times than `old`."""
    try:
        before, after = comments(old), comments(new)
    except (tokenize.TokenError, SyntaxError):
        return []  # tests/fix_safety.py judges files that do not tokenize
    held = Counter(text for text, _ in after.elements())
    lost = []
    for (text, line), count in sorted(before.items(), key=lambda item: item[0][1]):
        kept = min(count, held[text])
        held[text] -= kept
        if kept < count:
            lost.append(Violation("comment-lost", path, line, f"the comment `{text}` is gone after the fix", (text,)))
    return lost


def check_dependent(before_tree: Tree, after_tree: Tree, rel: Path, data: bytes, changed_modules: set[str]) -> list[Violation]:
    """A file the fix left alone that imports a module the fix changed (a
    re-export hub, say): its calls may now reach another callee, and a name
    it imports may be gone."""
    tree = parse(data)
    if tree is None:
        return []
    path = str(rel)
    module = module_name(after_tree.root, after_tree.root / rel) or rel.stem
    is_package = rel.name == "__init__.py"
    imported = written_imports(tree, module, is_package)
    if not any(source in changed_modules for source, _ in imported):
        return []
    found = differential(call_violations(tree, module, is_package, before_tree, path), call_violations(tree, module, is_package, after_tree, path))
    found += meaning_violations(call_bindings(tree, module, is_package, before_tree), call_bindings(tree, module, is_package, after_tree), path)
    found += lost_imports(tree, module, is_package, before_tree, after_tree, changed_modules, path, Counter())
    return [Violation(v.category, v.path, v.line, v.text + " (in a file the fix did not change)", v.key) for v in found]


def lost_imports(tree: ast.Module, module: str, is_package: bool, before_tree: Tree, after_tree: Tree, changed_modules: set[str], path: str, skip: Counter) -> list[Violation]:
    """`from M import X` in `tree` where the fix changed M and M no longer
    binds X (a hub that lost a name its importers still import), except the
    (M, X) pairs in `skip`."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        source = absolute_module(node.module, node.level, module, is_package)
        if source not in changed_modules:
            continue
        for alias in node.names:
            if (source, alias.name) in skip or alias.name == "*":
                continue
            if before_tree.is_bound(source, alias.name) and after_tree.is_bound(source, alias.name) is False:
                found.append(Violation("import-unbound", path, node.lineno, f"`{source}` no longer binds `{alias.name}` after the fix (ImportError)", (source, alias.name)))
    return found


def module_references(tree: ast.Module, module: str, is_package: bool) -> list[tuple[int, str, str]]:
    """(line, M, X) for each name X of a module M that `tree` patches or reads
    as an attribute of M: `patch("M.X")` and the other path-taking calls,
    `patch.object(m, "X")`, `setattr(m, "X", …)`, `m.X`, where `m` is bound
    by an import of M (M may be no module: the caller checks)."""
    local: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            source = absolute_module(node.module, node.level, module, is_package)
            for alias in node.names:
                if source and alias.name != "*":
                    local[alias.asname or alias.name] = f"{source}.{alias.name}"

    def dotted(node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return local.get(node.id)
        if isinstance(node, ast.Attribute):
            base = dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def last_name(node: ast.AST) -> str | None:
        return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = node.func
            last = last_name(callee)
            strings = [a.value for a in node.args[:1] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            strings += [k.value.value for k in node.keywords if k.arg == "target" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)]
            if last in ("patch", "setattr", "delattr"):
                for target in strings:
                    if "." in target:
                        owner, name = target.replace(":", ".").rsplit(".", 1)
                        found.append((node.lineno, owner, name))
            is_object_patch = last == "object" and isinstance(callee, ast.Attribute) and last_name(callee.value) == "patch"
            if (is_object_patch or last in ("setattr", "delattr")) and len(node.args) >= 2:
                owner, name = dotted(node.args[0]), node.args[1]
                if owner and isinstance(name, ast.Constant) and isinstance(name.value, str):
                    found.append((node.lineno, owner, name.value))
        elif isinstance(node, ast.Attribute):
            owner = dotted(node.value)
            if owner:
                found.append((node.lineno, owner, node.attr))
    return found


def lost_patch_targets(tree: ast.Module, module: str, is_package: bool, before_tree: Tree, after_tree: Tree, changed_modules: set[str], path: str) -> list[Violation]:
    """The names of changed modules `tree` patches or reads as attributes
    that the fix unbound (`module_references`)."""
    found = []
    for line, owner, name in module_references(tree, module, is_package):
        if owner in changed_modules and before_tree.is_bound(owner, name) and after_tree.is_bound(owner, name) is False:
            found.append(Violation("patch-target", path, line, f"`{owner}.{name}` no longer exists after the fix (AttributeError where it is patched or read)", (owner, name)))
    return found


# ------------------------------------------------------------------ runs


@dataclass
class RunResult:
    changed: int = 0
    violations: list[Violation] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Where the fixed copy was kept (`--keep`, or something to look at).
    kept: Path | None = None


def run_mode(tree_root: Path, binary: Path, mode: str, keep: bool) -> RunResult:
    result = RunResult()
    work = Path(tempfile.mkdtemp(prefix=f"semantic-{mode}-", dir=ROOT / "target"))
    copy = work / tree_root.name
    files = [p.relative_to(tree_root) for p in python_files(tree_root)]
    copy_files(tree_root, files, copy)
    for extra in ("ssot.toml", ".ssot.toml", "pyproject.toml"):
        if (tree_root / extra).is_file():
            shutil.copy2(tree_root / extra, copy / extra)
    before = {rel: (tree_root / rel).read_bytes() for rel in files}
    forbidden = call_rule_callables(binary, copy, result.errors)
    warnings: list[str] = []
    run_ssot(binary, [*MODES[mode], "--exit-zero", "--no-color", "--format", "concise", str(copy)], result.errors, warnings, f"check {' '.join(MODES[mode])}")
    before_tree, after_tree = Tree(tree_root, forbidden), Tree(copy, forbidden)
    unchanged = []
    changed_modules = set()
    for rel in files:
        new = (copy / rel).read_bytes()
        if new == before[rel]:
            unchanged.append(rel)
            continue
        result.changed += 1
        changed_modules.add(module_name(copy, copy / rel))
        result.violations += check_file(before_tree, after_tree, rel, before[rel], new)
    changed_modules.discard(None)
    # A file the fix changed may still import a name from a hub the fix
    # changed too (a caller whose own finding had no fix): that name must
    # still be bound there. The imports the fix wrote are judged above.
    for rel in files:
        new = (copy / rel).read_bytes()
        tree, old_tree = parse(new), parse(before[rel])
        if new == before[rel] or tree is None or old_tree is None:
            continue
        module = module_name(copy, copy / rel) or rel.stem
        written = written_imports(tree, module, rel.name == "__init__.py") - written_imports(old_tree, module, rel.name == "__init__.py")
        result.violations += lost_imports(tree, module, rel.name == "__init__.py", before_tree, after_tree, changed_modules, str(rel), written)
    # Files that name a changed module (by its last part, then by their imports).
    needles = {m.rsplit(".", 1)[-1].encode() for m in changed_modules}
    for rel in files:
        if not any(needle in before[rel] for needle in needles):
            continue
        tree = parse((copy / rel).read_bytes())
        if tree is not None:
            module = module_name(copy, copy / rel) or rel.stem
            result.violations += lost_patch_targets(tree, module, rel.name == "__init__.py", before_tree, after_tree, changed_modules, str(rel))
    for rel in unchanged:
        if any(needle in before[rel] for needle in needles):
            result.violations += check_dependent(before_tree, after_tree, rel, before[rel], changed_modules)
    if keep or result.violations or result.errors:
        result.kept = copy
    else:
        shutil.rmtree(work)
    return result


def call_rule_callables(binary: Path, tree: Path, errors: list[str]) -> tuple[str, ...]:
    """The callables of the active `call` rules, as `ssot-lsp rules --json`
    lists them for `tree` (its config, if any, is discovered from there)."""
    process = subprocess.run([str(binary), "rules", "--json"], capture_output=True, cwd=tree)
    try:
        rules = json.loads(process.stdout)
    except json.JSONDecodeError:
        errors.append(f"rules --json: exit {process.returncode}: {process.stderr.decode('utf-8', 'replace')[:500]}")
        return ()
    return tuple(c for rule in rules if rule.get("kind") == "call" for c in rule.get("callables") or [])


def print_result(tree: Path, mode: str, result: RunResult, failing: set[str]) -> None:
    counts = Counter(v.category for v in result.violations)
    print(f"{tree} --{'fix' if mode == 'fix' else 'fix --unsafe-fixes'}: {result.changed} files changed")
    print("  " + ", ".join(f"{c} {counts[c]}" + ("" if c in failing else " (note)") for c in CATEGORIES))
    for error in result.errors:
        print(f"  ERROR {error}")
    for violation in result.violations:
        print(f"  {'' if violation.category in failing else 'note: '}{violation}")
    if result.kept is not None:
        print(f"[semantic_check] the fixed copy is in {result.kept}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="*", type=Path, help="folders of Python files to fix on a copy")
    parser.add_argument("--bin", type=Path, default=ROOT / "target" / "debug" / "ssot-lsp", help="ssot-lsp binary (default: target/debug/ssot-lsp)")
    parser.add_argument("--mode", choices=[*MODES, "both"], default="both", help="fix: safe fixes; unsafe: with --unsafe-fixes; both (default)")
    parser.add_argument("--keep", action="store_true", help="keep the fixed copies")
    parser.add_argument("--strict", action="store_true", help="every category fails in both modes")
    parser.add_argument("--self-test", action="store_true", help="check the checker on hand-made before/after pairs")
    args = parser.parse_args()
    ensure_pyflakes()
    if args.self_test:
        from semantic_check_selftest import run_self_test

        return run_self_test()
    if not args.trees:
        parser.error("name at least one tree (or --self-test)")
    if not args.bin.is_file():
        print(f"semantic_check: no ssot-lsp binary ({args.bin}); run `cargo build` or pass --bin", file=sys.stderr)
        return 2
    binary = args.bin.resolve()
    (ROOT / "target").mkdir(exist_ok=True)
    modes = list(MODES) if args.mode == "both" else [args.mode]
    for tree in args.trees:
        if not tree.is_dir():
            print(f"semantic_check: {tree} is not a folder", file=sys.stderr)
            return 2
    failed = False
    totals: Counter = Counter()
    # Each tree and mode is checked on its own copy, so the runs go side by
    # side, one process per core (the checks are CPU-bound Python); results
    # are printed in the order asked.
    jobs = [(tree, mode) for tree in args.trees for mode in modes]
    with ProcessPoolExecutor(max_workers=max(1, min(len(jobs), os.cpu_count() or 1))) as pool:
        runs = [pool.submit(run_mode, tree.resolve(), binary, mode, args.keep) for tree, mode in jobs]
        for (tree, mode), run in zip(jobs, runs):
            result = run.result()
            failing = set(CATEGORIES) if args.strict else FAILING[mode]
            print_result(tree, mode, result, failing)
            sys.stdout.flush()
            totals.update(v.category for v in result.violations)
            failed |= bool(result.errors) or any(v.category in failing for v in result.violations)
    print("total: " + ", ".join(f"{c} {totals[c]}" for c in CATEGORIES))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
