//! Properties of the fix loop on generated files made of real import forms:
//! fixes never add a parse error, a second run changes nothing, line endings
//! and a BOM survive, and nothing panics on damaged text.

use proptest::prelude::*;

use ssot_lsp::analysis::{check_text, scan_text};
use ssot_lsp::fix::{fix_text, FixOptions};
use ssot_lsp::rules::{FileScope, RuleSet};
use ssot_lsp::syntax::{count_errors, parse_text};

const FACTORY: &str = "netra_backend.app.websocket_core.websocket_manager_factory";
const CANONICAL: &str = "netra_backend.app.websocket_core.websocket_manager";
const NAMES: &[&str] = &[
    "create_websocket_manager",
    "WebSocketManagerFactory",
    "get_websocket_manager_factory",
    "create_websocket_manager_sync",
    "create_test_user_context",
    "create_defensive_user_execution_context",
    "ManagerMetrics",
    "FactoryMetrics",
    "IsolatedWebSocketManager",
    "_factory_lock",
];

fn statement() -> impl Strategy<Value = String> {
    let name = prop::sample::select(NAMES);
    let names = prop::sample::subsequence(NAMES.to_vec(), 1..4);
    prop_oneof![
        name.clone().prop_map(|n| format!("from {FACTORY} import {n}")),
        names.clone().prop_map(|ns| format!("from {FACTORY} import {}", ns.join(", "))),
        names.clone().prop_map(|ns| format!("from {FACTORY} import (\n    {},\n)", ns.join(",\n    # note\n    "))),
        // Comments after a name that shares its line with another token.
        names.clone().prop_map(|ns| format!("from {FACTORY} import ({},  # note\n    ok)", ns.join(",  # note\n    "))),
        names.clone().prop_map(|ns| format!("from {FACTORY} import (ok,  # note\n    {})", ns.join(", "))),
        // Commented-out names: a run long enough that the parse leaves it out.
        names.clone().prop_map(|ns| format!(
            "from {FACTORY} import (\n{}    {},\n)",
            commented_out(22),
            ns.join(",\n    ")
        )),
        Just(commented_out(25).trim_end().to_string()),
        name.clone().prop_map(|n| format!("from {FACTORY} import {n} as alias_{n}")),
        name.clone().prop_map(|n| format!("from netra_backend.app.websocket_core import {n}")),
        Just(format!("import {FACTORY} as wmf")),
        Just("from netra_backend.app.websocket_core import websocket_manager_factory".to_string()),
        Just("from netra_backend.app.websocket_core.websocket_manager import WebSocketManager".to_string()),
        Just(format!("from {CANONICAL} import (WebSocketManager, get_websocket_manager)")),
        Just(format!("from {CANONICAL} import WebSocketManager, \\\n    get_websocket_manager")),
        name.clone().prop_map(|n| format!("from {FACTORY} import {n}  # noqa: F401")),
        name.clone().prop_map(|n| format!("from {FACTORY} import \\\n    {n}  # keep")),
        Just("from netra_backend.app.websocket_core.manager import WebSocketManager, HeartbeatConfig".to_string()),
        name.clone().prop_map(|n| format!("try:\n    from {FACTORY} import {n}\nexcept ImportError:\n    {n} = None")),
        name.clone().prop_map(|n| format!("def f(ctx):\n    from {FACTORY} import {n}\n    return {n}(ctx)")),
        name.clone().prop_map(|n| format!("async def g(ctx):\n    return await {n}(ctx)")),
        name.clone().prop_map(|n| format!("x = wmf.{n}()")),
        name.clone().prop_map(|n| format!("patch(\"{FACTORY}.{n}\")")),
        name.clone().prop_map(|n| format!("__all__ = [\"{n}\", \"other\"]")),
        name.clone().prop_map(|n| format!("import os; from {FACTORY} import {n}; import sys")),
        Just("get_websocket_manager = 1".to_string()),
        // Imports of the project's other modules, which a skeleton leaves
        // out, and of the packages on the rules' paths, which it keeps.
        Just("from netra_backend.app.logging_config import central_logger".to_string()),
        Just("from netra_backend.app.websocket_core.types import (\n    MessageType,\n    WebSocketMessage,\n)".to_string()),
        Just("from netra_backend . app . core import config".to_string()),
        Just("from netra_backend.app.core \\\n    import config as wmf".to_string()),
        Just("from netra_backend.app.util import wmf".to_string()),
        Just("from netra_backend import app\nmanager = app.websocket_core.websocket_manager_factory.create_websocket_manager(ctx)".to_string()),
        Just("from netra_backend.app import websocket_core\nwebsocket_core.manager.WebSocketManager()".to_string()),
        // Attribute chains into a deprecated module however spaced, and the
        // package's name where no chain follows it.
        Just("from netra_backend.app import websocket_core\nx = (websocket_core\n    .manager.WebSocketManager())".to_string()),
        Just("from netra_backend.app import websocket_core\ny = websocket_core . manager . HeartbeatConfig".to_string()),
        Just("from netra_backend.app import websocket\nz = websocket.connection_manager.ConnectionManager()".to_string()),
        Just("patch(\"netra_backend.app.websocket_core:manager\")".to_string()),
        Just("async def send(websocket, message):\n    await websocket.send_json(message)".to_string()),
        Just("ok = is_websocket_connected(websocket) and websocket_core".to_string()),
        Just("from netra_backend.app.services import user_execution_context as uec".to_string()),
        Just("from netra_backend.app.websocket_core.manager.heartbeat import beat".to_string()),
        Just("from netra_backend.app.services.user_execution_context.sub import x as WebSocketManager".to_string()),
        name.clone().prop_map(|n| format!("from netra_backend.app.other import {n}")),
        // What fixes read and findings do not (a second look keeps it): the
        // canonical and target names and modules, as WebSocket code uses them.
        Just("async def send(ctx, event):\n    websocket_manager = await get_websocket_manager(ctx)\n    await websocket_manager.send_to_user(ctx.user_id, event)".to_string()),
        Just("def get_websocket_manager(ctx):\n    return None".to_string()),
        Just("print(get_websocket_manager, WebSocketManager)".to_string()),
        Just("WebSocketManager = object".to_string()),
        Just("class Notifier:\n    def __init__(self, websocket_manager=None):\n        self.websocket_manager = websocket_manager".to_string()),
        Just("from netra_backend.app.websocket_core import manager\nwebsocket_manager = manager.WebSocketConnectionManager()".to_string()),
        Just("import netra_backend.app.websocket_core.manager as mgr\nx = mgr.WebSocketConnectionManager()".to_string()),
        Just("from netra_backend.app.websocket_core.manager import WebSocketConnectionManager".to_string()),
        Just("from netra_backend.app.websocket.connection_manager import ConnectionManager".to_string()),
        Just("from netra_backend.app.websocket_core import *".to_string()),
        Just("from netra_backend.app.websocket_core.ws_imports import create_websocket_manager".to_string()),
        Just("from netra_backend.app.services.user_execution_context import UserExecutionContext".to_string()),
        Just("from netra_backend.app.services.user_execution_context import (\n    create_defensive_user_execution_context,\n)".to_string()),
        Just("from netra_backend.app.monitoring.websocket_metrics import FactoryMetrics as FM".to_string()),
        Just("from netra_backend.app.monitoring import websocket_metrics".to_string()),
        Just("user_execution_context = create_test_user_context = None".to_string()),
        Just("websocket_metrics = ManagerMetrics()".to_string()),
        // Names a fix reads only as code: in strings and comments they are not.
        Just("manager: Optional[\"WebSocketManager\"] = None  # see get_websocket_manager".to_string()),
        Just("def note():\n    \"\"\"Use get_websocket_manager,\n    not WebSocketManager.\"\"\"".to_string()),
        Just("message = f\"{get_websocket_manager(ctx)} and {WebSocketManager!r}\"".to_string()),
        Just("pair = ('get_websocket_manager', get_websocket_manager)".to_string()),
        Just("call(\"x\", # WebSocketManager\n    WebSocketManager)".to_string()),
        name.prop_map(|n| format!("{n}_ok = get_websocket_manager({n})")),
        // Code with no trigger, which a skeleton blanks.
        Just("value = compute(1,\n    2)  # note".to_string()),
        Just("class Service:\n    \"\"\"Doc.\"\"\"\n\n    def run(self):\n        return 1".to_string()),
        Just("if flag:\n    setup()\nelif other:\n    pass\nelse:\n    teardown()".to_string()),
        Just("import os\nimport json".to_string()),
        Just("note = 'a long \\\n string'".to_string()),
        Just("match command:\n    case [x]:\n        pass\n    case _:\n        other()".to_string()),
        Just("class Model:\n    @property\n    def size(self):\n        return 1".to_string()),
    ]
}

/// `lines` lines of commented-out code at varying indentation.
fn commented_out(lines: usize) -> String {
    (0..lines).map(|line| format!("{}# old_call_{line}(ctx)\n", " ".repeat(4 + line % 3 * 4))).collect()
}

/// The comments of `text` (from a `#` to the end of its line, trimmed; the
/// generated files hold no `#` in a string), each as often as it occurs.
fn comments(text: &str) -> std::collections::BTreeMap<&str, usize> {
    let mut comments = std::collections::BTreeMap::new();
    for comment in text.lines().filter_map(|line| line.find('#').map(|at| line[at..].trim())) {
        *comments.entry(comment).or_default() += 1;
    }
    comments
}

/// A statement, sometimes inside a function or a class body, or under a
/// decorator.
fn nested_statement() -> impl Strategy<Value = String> {
    (statement(), 0..4usize).prop_map(|(statement, wrapper)| {
        let indented = statement.lines().map(|line| format!("    {line}")).collect::<Vec<_>>().join("\n");
        match wrapper {
            1 => format!("def wrapper():\n    x = 1\n{indented}"),
            2 => format!("class Holder:\n{indented}"),
            3 => format!("@decorate\ndef wrapped():\n    '''Doc.'''\n{indented}"),
            _ => statement,
        }
    })
}

fn file() -> impl Strategy<Value = String> {
    (prop::collection::vec(nested_statement(), 1..7), any::<bool>(), any::<bool>()).prop_map(
        |(statements, crlf, bom)| {
            let mut text = statements.join("\n");
            text.push('\n');
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            if bom {
                text.insert(0, '\u{feff}');
            }
            text
        },
    )
}

fn scope() -> FileScope {
    FileScope {
        relative_path: Some("mod.py".into()),
        module: Some("netra_backend.app.some_pkg.mod".into()),
        is_package: false,
        ..FileScope::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn fixes_are_parse_safe_and_idempotent(text in file()) {
        let rules = RuleSet::builtin();
        let options = FixOptions { unsafe_fixes: true, only_codes: Vec::new() };
        let outcome = fix_text(&rules, &scope(), &text, &options);
        prop_assert!(count_errors(&parse_text(&outcome.text)) <= count_errors(&parse_text(&text)), "new parse errors:\n{}", outcome.text);
        let again = fix_text(&rules, &scope(), &outcome.text, &options);
        prop_assert_eq!(&again.text, &outcome.text);
        let (before, after) = (comments(&text), comments(&outcome.text));
        for (line, count) in &before {
            prop_assert!(after.get(line).is_some_and(|kept| kept >= count), "lost {:?}:\n{}\n=>\n{}", line, text, outcome.text);
        }
        prop_assert_eq!(outcome.text.starts_with('\u{feff}'), text.starts_with('\u{feff}'));
        if text.contains("\r\n") {
            prop_assert_eq!(outcome.text.matches('\n').count(), outcome.text.matches("\r\n").count());
        }
    }

    #[test]
    fn the_skeleton_scan_equals_the_full_check(text in file()) {
        let rules = RuleSet::builtin();
        prop_assert_eq!(scan_text(&rules, &scope(), &text), check_text(&rules, &scope(), &text), "{}", text);
    }

    #[test]
    fn damaged_text_never_panics_nor_gains_errors(text in file(), cut in any::<prop::sample::Index>(), junk in "[(),:\\\\ \n\"'a-z]{0,6}") {
        let rules = RuleSet::builtin();
        let at = cut.index(text.len() + 1);
        let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        let mut damaged = text.clone();
        damaged.insert_str(at, &junk);
        let outcome = fix_text(&rules, &scope(), &damaged, &FixOptions { unsafe_fixes: true, only_codes: Vec::new() });
        prop_assert!(count_errors(&parse_text(&outcome.text)) <= count_errors(&parse_text(&damaged)));
    }
}
