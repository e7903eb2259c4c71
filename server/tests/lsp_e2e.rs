#[test]
fn scratch() {
    let rules = ssot_lsp::rules::RuleSet::builtin();
    let text = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\nasync def handler(ctx):\n    return await create_websocket_manager(ctx)\n";
    let scope = ssot_lsp::rules::FileScope::default();
    let findings = ssot_lsp::analysis::check_text(&rules, &scope, text);
    eprintln!("{findings:#?}");
    let out = ssot_lsp::fix::fix_text(&rules, &scope, text, &Default::default());
    eprintln!("{}", out.text);
    eprintln!("triggers {:?}", rules.triggers());
    panic!();
}
