//! Checks what a fix assumes against the workspace: that the target module
//! binds the target name, and that every use of the moved name still works
//! with the new object (calls fit its signature, `await` matches `async`).
//!
//! The rule file's map is a list of candidates; this module turns each
//! candidate into what the workspace supports: the same fix, a less trusted
//! one (with the reason), or none (with the reason). When the target module
//! is not in the workspace (a library), the rule file is trusted, and the
//! fix says it was not checked. It builds no edits and knows no LSP.

use tree_sitter::Node;

use crate::finding::Applicability;
use crate::index::{
    call_misfit, default_change, positional_misfit, same_parameters, Binding, CallShape, Resolved, Signature,
    WorkspaceIndex,
};
use crate::rules::{NameMapping, QualifiedName, Rule, RuleKind};

/// What "safe" means, for `explain` and the docs of every rule with fixes.
pub const FIX_CHECKS_DOC: &str = "\
## How a fix is checked
The name map above lists candidates. Before offering a fix, ssot-lsp checks it
against the code base it runs in (the modules under the import roots of the
checked paths):

- the target module must bind the target name (a definition, an assignment,
  an import or re-export, a star import from a module of the workspace);
  otherwise there is no fix, and the finding says which name is missing where;
- every call of the moved name must fit the new callee: each keyword accepted
  (or `**kwargs`), the positional count within bounds, required parameters
  passed, `await` exactly when the callee is `async def` (or the old callee
  is `async def` as well: `create_task(create_websocket_manager(ctx))` leaves
  both un-awaited; a plain `def` for an `async def` fits no call left
  un-awaited: `asyncio.run(create_websocket_manager(ctx))` would get a result,
  not a coroutine; where every call is awaited, the fix drops the `await`,
  unsafely: the call no longer yields to the event loop there, and not at
  all where another statement of the scope imports the name again), and each positional
  argument bound to a parameter of the same name as in the old callee, when
  the workspace defines it (`create_websocket_manager(ctx, uid)` passes
  `user_id`; `get_websocket_manager(ctx, uid)` would pass `mode`); a call
  that does not fit means no fix (renaming it, or importing `new as old`,
  would break it or change what it does), and so does a call that does not
  fit the old callee (it raises TypeError now, which code may catch; after
  the fix it would run); an awaited call of a plain `def` works only when it
  returns an awaitable: no fix when its return annotation names something
  else, or when the new callee is a plain `def` annotated so (the `await`
  the fix keeps would raise), and unsafe otherwise (what the `await` gets
  cannot be compared with the new callee's);
- a call the new callee's signature cannot vouch for (a decorated function,
  `*args`/`**kwargs` at the call, unless the old and the new callee take the
  very same parameters), a call that leaves a parameter both callees have to
  a default written otherwise (`mode=WebSocketManagerMode.ISOLATED` in the old
  one, `mode=WebSocketManagerMode.UNIFIED` in the new one), a use as a
  value (`Depends(old)`), or an annotation naming another object than before
  (FastAPI's `Depends()`, pydantic and `get_type_hints` read annotations at
  run time) makes the fix unsafe, with the reason in the message;
- calls of a callable that a `call` rule flags (`get_websocket_manager_factory()`)
  are never rewritten, and no fix turns a call into a direct construction of a
  class a `call` rule flags (`UnifiedWebSocketManager(...)`);
- when the old and the new name are the same object (a re-export), the fix keeps
  the rule's applicability; a mapping that keeps the name stands for such a
  re-export, and where the deprecated module defines its own object of that
  name instead, the fix is unsafe (it reaches another object), unless that is
  a function whose text is the canonical one's;
- a name that a `names` rule lists on a package and a `module` rule moves to
  the same target from another module stands for that module's object passed
  on (SSOT002's `websocket_core.create_websocket_manager` for the factory's):
  where the package binds something else (a function of its own, which may
  refuse what the factory's accepted), the fix is unsafe and says so;
- neither of the two above counts for a name the file never uses and no
  other module reads off it (an unused import): which object it is bound to
  cannot be observed, so the move keeps the rule's applicability;
- a name imported in a class body is an attribute of the class: its uses
  through the class or its instances (`self.create_websocket_manager(ctx)`,
  which passes the instance first) are not seen, so moving it to another
  object is unsafe; so is moving a name its module reads by key
  (`globals()[name](…)`, `getattr(sys.modules[__name__], \"…\")`);
- a name the deprecated module does not bind gets no fix: its import raises
  ImportError now (code may catch it), and would work after the fix;
- a call of a moved name is unsafe when the file replaces another name of the
  deprecated module (`patch(\"…factory.get_websocket_manager_factory\")`: the
  old function may use it, the new one does not), or when the old and the new
  function annotate different classes as what they return and the file names
  the old one (`isinstance(manager, IsolatedWebSocketManager)`, an annotation,
  a string; a comment or a docstring does not count), or when the
  file handles an exception class of the deprecated module (`except
  FactoryInitializationError:`, `isinstance(error, …Error)`,
  `pytest.raises(…)`): the old function may raise it, the new one need not;
- a patch target's path (`patch(\"…factory.create_websocket_manager\")`) moved
  to the canonical module is unsafe: the patch then replaces another module's
  attribute, and code that reads the factory's when it runs (an import inside
  a function) is no longer patched; for the same reason, an import inside a
  function of a name that a file of the workspace patches on the deprecated
  module moves only unsafely (the reason names the patchers; a path that a
  file lists but never patches, calling no patcher, is no patch, and a name
  the function never uses reads nothing a patch replaces), and so does
  one from a re-export hub that other files import the name from or patch
  it on (the index does not tell the two apart);
- a name that other modules import from this one (listed in `__all__`, bound
  by a package `__init__`, or imported from this module by another file of the
  workspace: a re-export hub) is moved only to the very same object, and stays
  bound under its old name (`import new as old`); each of
  those importers gets the finding and the fix of importing the deprecated name
  itself, through any number of hubs. A file that patches the name on this
  module, reads it off the module (`route.create_websocket_manager`,
  `getattr(route, \"create_websocket_manager\")`, `sys.modules[\"…\"]…`),
  star-imports the module and names it, names the name on the module in a
  patch target split over adjacent strings, or reads the module's namespace
  (`route.__dict__`, `vars(route)`) and names the deprecated name anywhere
  counts as such an importer. In the server, an editor's buffer checked before
  the first workspace scan is done gets no such move (who imports the name is
  not known yet); it is checked again when the scan ends.

When the target module is not in the workspace (a library), the rule file is
trusted and the fix notes that it was not checked (hover, JSON output). Every fix must also leave
the file parsing as before, import no name twice in one scope, and be
idempotent.
";

/// How the reason of a fix whose target does not exist begins.
pub const NOT_IN_CODE_BASE: &str = "no counterpart in this code base";

/// A mapping as the workspace supports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The mapping to build the fix from: its applicability lowered (or
    /// `None`) and its note set to the reason when the workspace says so;
    /// its target `None` when the target does not exist in this code base.
    pub mapping: NameMapping,
    /// Set when the fix relies on the rule file alone: why it was not checked.
    pub unchecked: Option<String>,
}

/// How one occurrence of a moved name is used.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Use {
    Call(CallShape),
    /// Only tested (`x is None`, `if x:`): the same for any object the
    /// name may stand for.
    Tested,
    /// In a type annotation: code may read it at run time (FastAPI's
    /// `Depends()` builds the annotated class, pydantic validates against
    /// it, `typing.get_type_hints`).
    Annotation,
    /// Passed, stored, compared, its attributes read: anything else.
    Value,
}

/// Whether other modules may use a name through the module that binds it,
/// which the check of that module does not see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exported {
    /// Not as far as the check knows.
    No,
    /// The module says so: a package's `__init__`, or `__all__` lists it.
    Declared,
    /// These modules import it from the module, or patch it on it (as their
    /// checks recorded in the index; sorted, never empty).
    UsedBy(Vec<String>),
    /// The import stands in the body of this class: the name is an
    /// attribute of the class and its instances, read through them
    /// (`self.name(…)`, which passes the instance first) where the check
    /// does not look.
    ClassAttribute(String),
    /// The module reads its own namespace by key (`globals()[name]`,
    /// `getattr(sys.modules[__name__], "…")`): uses the check does not see.
    ReadByKey,
    /// Which modules import it from here is not known yet: an editor's
    /// buffer checked before the server's workspace scan recorded them.
    NotYetKnown,
    /// Which modules import it from here is not known: an editor's buffer
    /// in a workspace the server does not scan (`workspaceScan` off).
    Unscanned,
}

/// What the checks need: the index (when there is a workspace), the call
/// rules, the text.
pub struct Verifier<'a> {
    pub index: Option<&'a WorkspaceIndex>,
    pub call_rules: Vec<&'a Rule>,
    /// The `module` and `names` rules: which names a `names` rule lists as
    /// re-exports of a module another rule deprecates ([`Self::reexport_source`]).
    binding_rules: Vec<&'a Rule>,
    pub text: &'a str,
}

impl<'a> Verifier<'a> {
    pub fn new(index: Option<&'a WorkspaceIndex>, rules: &'a [Rule], text: &'a str) -> Self {
        let call_rules = rules.iter().filter(|rule| rule.kind == RuleKind::Call).collect();
        let binding_rules =
            rules.iter().filter(|rule| matches!(rule.kind, RuleKind::Module | RuleKind::Names)).collect();
        Verifier { index, call_rules, binding_rules, text }
    }

    /// The deprecated path a `names` rule's name `old` (`pkg.create`) stands
    /// for: a `module` rule of another module that moves the same name to the
    /// same target (SSOT001's `…factory.create_websocket_manager` for
    /// SSOT002's package name). The name map's fix is meant for that object
    /// passed on; `None` when no such pair of rules is there.
    fn reexport_source(&self, old: &str, target: &QualifiedName) -> Option<String> {
        let (package, name) = old.rsplit_once('.')?;
        let listed = |rule: &&&Rule| {
            rule.kind == RuleKind::Names && rule.module.as_deref() == Some(package) && rule.names.contains_key(name)
        };
        self.binding_rules.iter().find(listed)?;
        self.binding_rules.iter().find_map(|rule| {
            let module = rule.module.as_deref().filter(|module| rule.kind == RuleKind::Module && *module != package)?;
            let same_move = rule.names.get(name)?.target.as_ref() == Some(target);
            same_move.then(|| format!("{module}.{name}"))
        })
    }

    /// Checks moving `old` (fully qualified) to `mapping`'s target, where
    /// `uses` are the occurrences of the name in the code (identifiers, or
    /// `module.name` attribute nodes) whose meaning the fix changes.
    ///
    /// `exported` says whether other modules may use the name through this
    /// one ([`Exported`]): then the uses that matter are theirs, which this
    /// file does not show, and only a move to the very same object is made.
    pub fn check(&self, old: &str, mut mapping: NameMapping, uses: &[Node<'_>], exported: &Exported) -> Checked {
        // Uses this file does not show read the name off the module: a fix
        // (even to the very same object) keeps it bound there.
        mapping.keep_binding = *exported != Exported::No;
        let (Some(target), Some(_)) = (mapping.target.clone(), mapping.applicability) else {
            return Checked { mapping, unchecked: None };
        };
        let uses: Vec<Use> = uses.iter().map(|node| self.classify_use(*node)).collect();
        let has_call = uses.iter().any(|used| matches!(used, Use::Call(_)));
        let old_name = old.rsplit('.').next().unwrap_or(old);
        if has_call {
            if let Some(rule) = self.call_rules.iter().find(|rule| rule.callables.iter().any(|c| c == old)) {
                let reason = format!("calls of `{old_name}()` are never rewritten ({}: no automatic fix)", rule.code);
                return Checked { mapping: degrade(mapping, None, reason), unchecked: None };
            }
        }
        let resolved = match self.index {
            Some(index) => index.resolve_path(&target.full()),
            None => Resolved::Outside,
        };
        match resolved {
            Resolved::Missing(why) => {
                let reason = format!("{NOT_IN_CODE_BASE}: {why}");
                let mapping = NameMapping { note: Some(reason), ..NameMapping::no_counterpart() };
                Checked { mapping, unchecked: None }
            }
            Resolved::MissingModule(why) => match self.index.map(|index| index.resolve_path(old)) {
                // The deprecated module is here: the code base lacks the target.
                Some(Resolved::Defined { .. } | Resolved::Module(_) | Resolved::Bound) => {
                    let reason = format!("{NOT_IN_CODE_BASE}: {why}");
                    let mapping = NameMapping { note: Some(reason), ..NameMapping::no_counterpart() };
                    Checked { mapping, unchecked: None }
                }
                // Neither is: the workspace holds only part of the package.
                _ => self.trust_rule_file(mapping, &target, (old_name, has_call), exported),
            },
            Resolved::Outside => self.trust_rule_file(mapping, &target, (old_name, has_call), exported),
            resolved => self.check_against(old, mapping, &target, &resolved, &uses, exported),
        }
    }

    /// The rule file's mapping, except that an unsafe rename of a called
    /// name is never made blind (it would rewrite calls it cannot check).
    /// A class attribute, or a name the module reads by key, moved to
    /// another name is not made safely either.
    fn trust_rule_file(
        &self,
        mapping: NameMapping,
        target: &QualifiedName,
        (old_name, has_call): (&str, bool),
        exported: &Exported,
    ) -> Checked {
        let unchecked = self.index.map(|_| format!("not checked: `{}` is not in this workspace", target.module));
        if has_call && target.name != old_name && mapping.applicability == Some(Applicability::Unsafe) {
            let reason = format!("the calls of `{old_name}` cannot be checked against `{}`", target.name);
            return Checked { mapping: degrade(mapping, None, reason), unchecked };
        }
        let unseen = match exported {
            Exported::ClassAttribute(class) => Some(class_attribute_reason(class, old_name, &target.name)),
            Exported::ReadByKey => Some(read_by_key_reason(old_name, &target.name)),
            _ => None,
        };
        if let Some(reason) = unseen.filter(|_| mapping.applicability == Some(Applicability::Safe)) {
            if target.name != old_name {
                return Checked { mapping: degrade(mapping, Some(Applicability::Unsafe), reason), unchecked };
            }
        }
        Checked { mapping, unchecked }
    }

    fn check_against(
        &self,
        old: &str,
        mapping: NameMapping,
        target: &QualifiedName,
        resolved: &Resolved,
        uses: &[Use],
        exported: &Exported,
    ) -> Checked {
        let Some(applicability) = mapping.applicability else { return Checked { mapping, unchecked: None } };
        let Some(index) = self.index else { return Checked { mapping, unchecked: None } };
        let old_resolved = index.resolve_path(old);
        let mut drop_await = false;
        let same_object =
            resolved.definition_path().is_some() && resolved.definition_path() == old_resolved.definition_path();
        if same_object {
            return Checked { mapping, unchecked: None };
        }
        let old_name = old_short(old);
        // `from shim import X` where the shim lacks `X` raises ImportError
        // now (code may catch it: `except ImportError: X = None`); after the
        // fix it would work.
        if let Resolved::Missing(why) = &old_resolved {
            let why = format!("`{old_name}` cannot be imported now ({why}), and would be after the fix");
            return Checked { mapping: degrade(mapping, None, why), unchecked: None };
        }
        let reason = match exported {
            Exported::No | Exported::ClassAttribute(_) | Exported::ReadByKey => None,
            Exported::Declared => Some(format!(
                "`{old_name}` is exported by this module, and the calls of its importers are not checked against `{}`",
                target.name
            )),
            Exported::NotYetKnown => Some(format!(
                "which modules import `{old_name}` from this one, or patch it on it, is not known until the workspace scan is done"
            )),
            // At most unsafe, with the other checks' reasons (below).
            Exported::Unscanned => None,
            Exported::UsedBy(modules) => {
                let (who, _) = first_and_others(modules);
                Some(format!(
                    "`{old_name}` is imported from this module, or patched on it, by {who}, whose uses are not checked against `{}`",
                    target.name
                ))
            }
        };
        if let Some(reason) = reason {
            return Checked { mapping: degrade(mapping, None, reason), unchecked: None };
        }
        // A name this file never uses and no other module reads off it:
        // which object the fix binds cannot be told apart (the developers
        // moved such imports of the package's own creator by hand).
        // A safe mapping's note says why it is the same object ("an alias
        // of `WebSocketManager`"), which it is not here.
        if uses.is_empty() && *exported == Exported::No {
            let note = mapping.note.clone().filter(|_| applicability != Applicability::Safe);
            return Checked { mapping: NameMapping { note, ..mapping }, unchecked: None };
        }
        let mut result = applicability;
        let mut reasons = Vec::new();
        match exported {
            Exported::ClassAttribute(class) => reasons.push(class_attribute_reason(class, old_name, &target.name)),
            Exported::ReadByKey => reasons.push(read_by_key_reason(old_name, &target.name)),
            Exported::Unscanned => reasons.push(format!(
                "which modules import `{old_name}` from this one, or patch it on it, is not known: {SCAN_OFF}"
            )),
            _ => {}
        }
        if !reasons.is_empty() {
            result = Applicability::Unsafe;
        }
        // A package's name listed as the re-export of a deprecated module's
        // (SSOT002's `create_websocket_manager`) that the package binds to
        // something else at this commit (a function of its own, which may
        // refuse what the factory's accepted): the fix is meant for the
        // factory's, and reaches another function.
        let mut not_passed_on = false;
        if let Some(source) = self.reexport_source(old, target) {
            let expected = index.resolve_path(&source);
            let bound_here = old_resolved.definition_path();
            let differs = match (&bound_here, expected.definition_path()) {
                (Some(here), Some(there)) => *here != there,
                (Some(_), None) => matches!(expected, Resolved::Missing(_) | Resolved::MissingModule(_)),
                _ => false,
            };
            if let (true, Some(here)) = (differs, bound_here) {
                not_passed_on = true;
                result = Applicability::Unsafe;
                let (package, _) = old.rsplit_once('.').unwrap_or(("", old));
                let bound = match here == old {
                    true => format!("it defines its own `{old_name}`"),
                    false => format!("its `{old_name}` is `{here}`"),
                };
                reasons.push(format!(
                    "`{package}` does not pass on `{source}` here ({bound}): the fix reaches `{}`, another object",
                    target.name
                ));
            }
        }
        // A mapping that keeps the name stands for a re-export: the
        // deprecated module passing the canonical object on. One that
        // defines its own instead gives the fix another object to reach,
        // whatever its signature says, unless it is a function copied there
        // (its text alike); a class copied is still another class
        // (`isinstance` tells them apart).
        let defined_anew = match (target.name == old_name, &old_resolved, resolved) {
            (
                true,
                Resolved::Defined { module, binding: Binding::Function(_), .. },
                Resolved::Defined { module: new_module, name: new_name, binding: Binding::Function(_) },
            ) => {
                let copy = index.function_text_hash(module, old_name);
                let written_otherwise = copy.is_none() || copy != index.function_text_hash(new_module, new_name);
                written_otherwise.then_some((module, "function, written otherwise"))
            }
            (true, Resolved::Defined { module, binding, .. }, _) => Some((
                module,
                match binding {
                    Binding::Function(_) => "function",
                    Binding::Class(_) => "class",
                    _ => "object",
                },
            )),
            _ => None,
        };
        // The rule file's note for a safe move says why it is the same
        // object ("an alias of `WebSocketManager`"): where the workspace
        // shows another object, the note would contradict the reason.
        let mut another_object = defined_anew.is_some() || not_passed_on;
        if let Some((module, kind)) = defined_anew {
            result = Applicability::Unsafe;
            reasons.push(format!(
                "`{module}` defines its own `{old_name}` rather than passing on `{}`'s: the fix reaches another {kind}",
                target.module
            ));
        }
        let has_call = uses.iter().any(|used| matches!(used, Use::Call(_)));
        let direct = resolved.definition_path().unwrap_or_else(|| target.full());
        if has_call {
            let forbidden = self
                .call_rules
                .iter()
                .find(|rule| rule.callables.iter().any(|callable| *callable == direct || *callable == target.full()));
            if let Some(rule) = forbidden {
                let reason = format!("calls would construct `{}` directly ({})", target.name, rule.code);
                return Checked { mapping: degrade(mapping, None, reason), unchecked: None };
            }
        }
        for used in uses {
            match used {
                Use::Call(shape) => match resolved.signature() {
                    Some(signature) => {
                        let old_signature = old_resolved.signature();
                        // Whether the call awaits is judged against the old
                        // function: a call that leaves an `async def` it
                        // still calls after the fix un-awaited
                        // (`create_task(create(ctx))`) behaves as before.
                        let as_awaited = |callee: &Signature| CallShape { awaited: callee.is_async, ..shape.clone() };
                        let same_async = old_signature.is_some_and(|old| old.is_async == signature.is_async);
                        // `await old(ctx)` of an `async def` becomes
                        // `new(ctx)` of a plain one: the fix drops the
                        // `await` (unsafe: the call no longer yields to the
                        // event loop there).
                        let async_to_plain = old_signature.is_some_and(|old| old.is_async && !signature.is_async);
                        let new_shape = if same_async {
                            as_awaited(signature)
                        } else if async_to_plain && shape.awaited {
                            drop_await = true;
                            CallShape { awaited: false, ..shape.clone() }
                        } else {
                            shape.clone()
                        };
                        // A call the old function rejects raises TypeError
                        // now (code may expect it); after the fix it would run.
                        let old_misfit = old_signature.and_then(|old| call_misfit(old, &as_awaited(old), old_name));
                        if let Some(why) = old_misfit {
                            let why =
                                format!("the call does not fit `{old_name}` now ({why}), and would run after the fix");
                            return Checked { mapping: degrade(mapping, None, why), unchecked: None };
                        }
                        // `await old(ctx)` of a plain `def` works only when
                        // it returns an awaitable: one annotated to return
                        // something else raises TypeError now (code may catch
                        // it); otherwise what the `await` gets cannot be
                        // compared with the new callee's.
                        if let Some(old_signature) = old_signature.filter(|old| shape.awaited && !old.is_async) {
                            // The fix keeps the `await`: a plain new callee
                            // annotated to return something `await` rejects
                            // would raise TypeError at every call.
                            let new_rejects = signature
                                .returns
                                .as_deref()
                                .filter(|returned| !signature.is_async && !is_awaitable_type(returned));
                            if let Some(returned) = new_rejects {
                                let why = format!(
                                    "`{}` is a plain `def` returning `{returned}`: the `await` the fix keeps would raise TypeError",
                                    target.name
                                );
                                return Checked { mapping: degrade(mapping, None, why), unchecked: None };
                            }
                            let class = matches!(old_resolved, Resolved::Defined { binding: Binding::Class(_), .. });
                            let what = if class { "a class" } else { "a plain `def`" };
                            match old_signature.returns.as_deref().filter(|returned| !is_awaitable_type(returned)) {
                                Some(returned) => {
                                    let why = format!(
                                        "`{old_name}` is {what} returning `{returned}`, awaited here: that raises TypeError now, which code may catch"
                                    );
                                    return Checked { mapping: degrade(mapping, None, why), unchecked: None };
                                }
                                None => {
                                    result = Applicability::Unsafe;
                                    push_once(
                                        &mut reasons,
                                        format!(
                                            "`{old_name}` is {what}, awaited here: whether what it returns can be awaited, and gives what `{}` gives, is not known",
                                            target.name
                                        ),
                                    );
                                }
                            }
                        }
                        // `asyncio.run(old(ctx))`, `wait_for(old(ctx), 5)`, or
                        // a coroutine never awaited: a plain `def` would run
                        // at once and hand on its result instead.
                        if async_to_plain && !shape.awaited {
                            let why = format!(
                                "`{old_name}` is `async def` and `{}` is not: this call's coroutine, handed on or never awaited, would become `{}`'s result, run at once",
                                target.name, target.name
                            );
                            return Checked { mapping: degrade(mapping, None, why), unchecked: None };
                        }
                        let misfit = call_misfit(signature, &new_shape, &target.name).or_else(|| {
                            old_signature.and_then(|old_signature| {
                                positional_misfit(old_signature, signature, shape, (old_name, &target.name))
                            })
                        });
                        if let Some(why) = misfit {
                            return Checked { mapping: degrade(mapping, None, why), unchecked: None };
                        }
                        let changed_default = old_signature.and_then(|old_signature| {
                            default_change(old_signature, signature, shape, (old_name, &target.name))
                        });
                        if let Some(why) = changed_default.filter(|_| !shape.has_splat) {
                            result = Applicability::Unsafe;
                            push_once(&mut reasons, why);
                        }
                        if shape.has_splat && !old_signature.is_some_and(|old| same_parameters(old, signature)) {
                            result = Applicability::Unsafe;
                            push_once(
                                &mut reasons,
                                format!(
                                    "the call passes `*args` or `**kwargs`, which cannot be checked against `{}`",
                                    target.name
                                ),
                            );
                        }
                    }
                    None => {
                        result = Applicability::Unsafe;
                        push_once(&mut reasons, format!("the signature of `{}` cannot be read", target.name));
                    }
                },
                Use::Tested => {}
                Use::Annotation => {
                    result = Applicability::Unsafe;
                    another_object = true;
                    push_once(
                        &mut reasons,
                        format!(
                            "`{}` is named in an annotation, which code may read at run time (FastAPI's `Depends()`, pydantic, `get_type_hints`), and `{}` is another object",
                            old_short(old),
                            target.name
                        ),
                    );
                }
                Use::Value => {
                    result = Applicability::Unsafe;
                    another_object = true;
                    push_once(
                        &mut reasons,
                        format!("`{}` is used as a value, and `{}` is another object", old_short(old), target.name),
                    );
                }
            }
        }
        if drop_await {
            result = Applicability::Unsafe;
            push_once(
                &mut reasons,
                format!(
                    "`{old_name}` is `async def` and `{}` is not: the fix drops the `await` of its calls, which then no longer yield to the event loop there",
                    target.name
                ),
            );
        }
        let mapping = NameMapping { drop_await, ..mapping };
        let returned_class_change = || self.returned_class_change(&old_resolved, resolved, old_name, &target.name);
        if let Some(why) = has_call.then(returned_class_change).flatten() {
            result = Applicability::Unsafe;
            push_once(&mut reasons, why);
        }
        if result == applicability {
            return Checked { mapping, unchecked: None };
        }
        let note = mapping.note.clone().filter(|_| !(another_object && applicability == Applicability::Safe));
        Checked { mapping: degrade(NameMapping { note, ..mapping }, Some(result), reasons.join("; ")), unchecked: None }
    }

    /// Why a call's result is another class after the fix, when this file
    /// names the old one (`isinstance(manager, IsolatedWebSocketManager)`,
    /// an annotation, any string but a docstring; not a comment): both
    /// functions annotate what they return, and the annotations are two
    /// classes of the workspace.
    fn returned_class_change(&self, old: &Resolved, new: &Resolved, old_name: &str, new_name: &str) -> Option<String> {
        let index = self.index?;
        let class = |resolved: &Resolved| {
            let Resolved::Defined { module, binding: Binding::Function(Some(signature)), .. } = resolved else {
                return None;
            };
            let returns = signature.returns.as_deref()?;
            match index.resolve_path(&format!("{module}.{returns}")) {
                Resolved::Defined { module, name, binding: Binding::Class(_) } => Some((module, name)),
                _ => None,
            }
        };
        let (old_module, old_class) = class(old)?;
        if !crate::skeleton::names_outside_prose(self.text, &old_class) {
            return None;
        }
        let (new_module, new_class) = class(new)?;
        ((old_module.as_str(), old_class.as_str()) != (new_module.as_str(), new_class.as_str())).then(|| {
            format!(
                "`{old_name}` returns `{old_class}`, which this file names (`isinstance`, annotations), and `{new_name}` returns `{new_class}`"
            )
        })
    }

    /// How the occurrence `node` is used.
    fn classify_use(&self, node: Node<'_>) -> Use {
        let Some(parent) = node.parent() else { return Use::Value };
        if crate::syntax::is_callee(node) {
            return Use::Call(CallShape::of(parent, self.text));
        }
        if is_truth_test(node, parent) {
            return Use::Tested;
        }
        let mut current = Some(parent);
        // Deeper than `syntax::MAX_CLIMB`, a use counts as a value.
        let mut climbed = 0;
        while let Some(ancestor) = current.filter(|_| climbed < crate::syntax::MAX_CLIMB) {
            climbed += 1;
            match ancestor.kind() {
                "type" => return Use::Annotation,
                "call" | "argument_list" | "assignment" | "expression_statement" | "block" | "module" => break,
                _ => current = ancestor.parent(),
            }
        }
        Use::Value
    }
}

/// `x is None`, `x is not None`, `not x`, `if x:`, `a if x else b`: uses
/// that only test whether the name is set.
fn is_truth_test(node: Node<'_>, parent: Node<'_>) -> bool {
    match parent.kind() {
        "not_operator" => true,
        "comparison_operator" => {
            let mut cursor = parent.walk();
            let operands: Vec<Node> = parent.named_children(&mut cursor).collect();
            operands.len() == 2 && operands.iter().any(|operand| operand.kind() == "none" && operand.id() != node.id())
        }
        "if_statement" | "while_statement" | "elif_clause" => {
            parent.child_by_field_name("condition").is_some_and(|condition| condition.id() == node.id())
        }
        "conditional_expression" => parent.named_child(1).is_some_and(|condition| condition.id() == node.id()),
        _ => false,
    }
}

/// Why moving a name a class body imports is unsafe: its uses through the
/// class are not seen, and a call through an instance passes the instance
/// as the first argument, where the two callees may take different
/// parameters.
fn class_attribute_reason(class: &str, old_name: &str, new_name: &str) -> String {
    format!(
        "`{old_name}` is an attribute of class `{class}` here, and its uses through the class or its instances \
         (`self.{old_name}(…)` passes the instance first) are not checked against `{new_name}`"
    )
}

/// Why moving a name its module reads by key is unsafe.
fn read_by_key_reason(old_name: &str, new_name: &str) -> String {
    format!(
        "this module reads its namespace by key (`globals()[…]`, `sys.modules[__name__]`), and those uses of \
         `{old_name}` are not checked against `{new_name}`"
    )
}

fn old_short(old: &str) -> &str {
    old.rsplit('.').next().unwrap_or(old)
}

fn push_once(reasons: &mut Vec<String>, reason: String) {
    if !reasons.contains(&reason) {
        reasons.push(reason);
    }
}

/// A name imported inside a function from `module`, which `patchers` patch
/// there (see `FileAnalysis::patched_read`): the fix is unsafe.
pub fn patched_at_source(checked: Checked, name: &str, module: &str, patchers: &[String]) -> Checked {
    let (who, many) = first_and_others(patchers);
    let verb = if many { "patch" } else { "patches" };
    let reason = format!(
        "{who} {verb} `{name}` on `{module}`, where this import reads it when the function runs: after the fix the patch no longer reaches it"
    );
    made_unsafe(checked, reason)
}

/// An import inside a function of `name` from the hub `hub`, which other
/// modules import from it or patch on it (the index does not tell which):
/// a patch there reaches this import when the function runs, and would not
/// after the fix. Unsafe.
pub fn hub_patched_or_imported(checked: Checked, name: &str, hub: &str, modules: &[String]) -> Checked {
    let (who, many) = first_and_others(modules);
    let verb = if many { "import or patch" } else { "imports or patches" };
    let reason = format!(
        "{who} {verb} `{name}` on `{hub}`, where this import reads it when the function runs: a patch there would no longer reach it after the fix"
    );
    made_unsafe(checked, reason)
}

/// A move that would drop the `await` of calls read off a module
/// (`await m.create_websocket_manager(ctx)`), which the module's fix does
/// not do: no fix.
pub fn await_kept(checked: Checked, old: &str) -> Checked {
    let new = checked.mapping.target.as_ref().map_or_else(String::new, |target| target.name.clone());
    let reason = format!(
        "`{}` is `async def` and `{new}` is not, and the fix of a module's attributes does not drop the `await` of their calls",
        old_short(old)
    );
    // The check's own reason said the fix drops them.
    let mapping = NameMapping { drop_await: false, note: None, ..checked.mapping };
    Checked { mapping: degrade(mapping, None, reason), unchecked: checked.unchecked }
}

/// A move of `name`, called in this file, off `module`, where the
/// file replaces another name of that module (`patch("…factory.helper")`):
/// the deprecated function may call it, so the test reaches the patch
/// through it; the canonical function does not. Unsafe.
pub fn collaborator_patched(checked: Checked, name: &str, module: &str, other: &str) -> Checked {
    let target = checked.mapping.target.as_ref().map_or_else(String::new, |target| target.name.clone());
    let reason = format!(
        "this file replaces `{other}` on `{module}`, which `{name}` may use: its calls reach `{target}` after the fix, which the patch does not"
    );
    made_unsafe(checked, reason)
}

/// A move of `name`, called in this file, off `module`, where the file
/// handles an exception class of that module (`except
/// FactoryInitializationError:`, `isinstance(error, …)`, `pytest.raises(…)`):
/// the old function may raise it, the new one need not, and the handling
/// would no longer run. Unsafe.
pub fn error_handled(checked: Checked, name: &str, module: &str, class: &str) -> Checked {
    // The same name in another module is told apart by its path.
    let target = checked.mapping.target.as_ref().map_or_else(String::new, |target| match target.name == name {
        true => target.full(),
        false => target.name.clone(),
    });
    let reason = format!(
        "this file handles `{class}` of `{module}` (`except`, `isinstance`, `raises`), which `{name}` may raise and `{target}` need not: that handling may no longer run"
    );
    made_unsafe(checked, reason)
}

/// A move that drops the `await` of the calls of a name that another
/// statement of its scope binds again (the same import in a retry branch):
/// which calls this import reaches is not known, and one reaching the other
/// binding would lose its `await`. No fix.
pub fn await_rebound(checked: Checked, old: &str, line: usize) -> Checked {
    let name = old_short(old);
    let reason = format!(
        "`{name}` is bound again on line {line}, and the fix drops the `await` of its calls: which of them this import reaches is not known"
    );
    let mapping = NameMapping { drop_await: false, note: None, ..checked.mapping };
    Checked { mapping: degrade(mapping, None, reason), unchecked: checked.unchecked }
}

/// Why an import in the body of `with pytest.raises(ImportError):` (or
/// `assertRaises`) gets no fix.
pub const EXPECTED_TO_FAIL: &str =
    "the import is expected to fail here, in a `raises(ImportError)` block: a test that \
     the deprecated path is gone, which a rewrite would turn into a test of the canonical one";

/// Why an import in the body of `with pytest.warns(DeprecationWarning):`
/// (or `deprecated_call`, `assertWarns`, `catch_warnings(record=True)`)
/// gets no fix.
pub const EXPECTED_TO_WARN: &str = "the import is expected to warn here, in a `warns(…)` block: a test of the \
     deprecated path's warning, which the canonical one does not give";

/// Why an import only tried (in a `try` with an `except ImportError`,
/// binding nothing used) gets no fix: it asks whether the old module is there.
pub const ONLY_TRIED: &str = "the import is only tried here: an `except ImportError` handles it and nothing uses what \
     it binds, so the rewrite would try the canonical module instead";

/// Why a path given to `find_spec` gets no fix: it asks whether the old
/// module is there.
pub const LOOKED_UP: &str =
    "the module is only looked up here (`find_spec`, `find_loader`), which asks whether the deprecated \
     module is there: the rewrite would ask it of the canonical module";

/// The check of an import only tried: no fix ([`ONLY_TRIED`]).
pub fn only_tried(checked: Checked) -> Checked {
    Checked { mapping: degrade(checked.mapping, None, ONLY_TRIED.to_string()), unchecked: checked.unchecked }
}

/// Why a buffer's fix is unsafe when the server does not scan the workspace.
const SCAN_OFF: &str = "the workspace scan is off (`workspaceScan`)";

/// `patch_not_yet_known` in a workspace the server does not scan: unsafe.
pub fn patch_unscanned(checked: Checked, name: &str, module: &str) -> Checked {
    let reason = format!(
        "whether a test patches `{name}` on `{module}`, where this import reads it when the function runs, is not known: {SCAN_OFF}"
    );
    let to = checked.mapping.applicability.map(|_| Applicability::Unsafe);
    Checked { mapping: degrade(checked.mapping, to, reason), unchecked: checked.unchecked }
}

/// A patched read (`FileAnalysis::patched_read`) checked before the
/// server's workspace scan has recorded the patchers: no fix yet.
pub fn patch_not_yet_known(checked: Checked, name: &str, module: &str) -> Checked {
    let reason = format!(
        "whether a test patches `{name}` on `{module}`, where this import reads it when the function runs, is not known until the workspace scan is done"
    );
    Checked { mapping: degrade(checked.mapping, None, reason), unchecked: checked.unchecked }
}

/// A name patched by object on the deprecated module
/// (`patch.object(m, "name")`) whose fix moves the patch to `target`: at
/// most unsafe, saying why (`moved_patch_reason`, the wording a patch
/// target string's fix gives too).
pub fn patched_here(mapping: NameMapping, old: &str, target: &str) -> NameMapping {
    let to = mapping.applicability.map(|_| Applicability::Unsafe);
    degrade(mapping, to, moved_patch_reason(old, target))
}

/// Whether a return annotation (a plain dotted name) may name something
/// `await` accepts: the awaitable types of `typing`, `collections.abc` and
/// `asyncio`, and the annotations that say nothing (`Any`, `object`).
fn is_awaitable_type(returned: &str) -> bool {
    let last = returned.rsplit('.').next().unwrap_or(returned);
    matches!(last, "Awaitable" | "Coroutine" | "Future" | "Task" | "Generator" | "Any" | "object")
}

/// Why a patch moved from `old` (`module.name`) to `target` may change
/// behaviour.
pub fn moved_patch_reason(old: &str, target: &str) -> String {
    let (module, name) = old.rsplit_once('.').unwrap_or(("", old));
    format!(
        "the patch then replaces `{target}` instead: code that reads `{name}` off `{module}` when it runs (an \
         import in a function, `module.{name}`) is no longer patched"
    )
}

/// Modules named in a reason: "`first`", "`first` and 1 other module" or
/// "`first` and N other modules", and whether that is more than one.
pub(crate) fn first_and_others(modules: &[String]) -> (String, bool) {
    let first = modules.first().map(String::as_str).unwrap_or_default();
    let who = match modules.len() {
        0 | 1 => format!("`{first}`"),
        2 => format!("`{first}` and 1 other module"),
        count => format!("`{first}` and {} other modules", count - 1),
    };
    (who, modules.len() > 1)
}

/// `checked` made unsafe (if it had a fix at all), with `reason` added.
fn made_unsafe(checked: Checked, reason: String) -> Checked {
    let to = checked.mapping.applicability.map(|_| Applicability::Unsafe);
    Checked { mapping: degrade(checked.mapping, to, reason), unchecked: checked.unchecked }
}

/// `mapping` with its applicability lowered to `to` and `reason` added to
/// its note.
fn degrade(mapping: NameMapping, to: Option<Applicability>, reason: String) -> NameMapping {
    let note = match mapping.note {
        Some(note) if !reason.is_empty() => format!("{note}; {reason}"),
        Some(note) => note,
        None => reason,
    };
    NameMapping { applicability: to, note: Some(note), ..mapping }
}
