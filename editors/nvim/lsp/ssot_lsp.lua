--- ssot-lsp for Neovim 0.11+: with this plugin on 'runtimepath',
---   vim.lsp.enable('ssot_lsp')
--- starts the server on Python files. Override any field with
---   vim.lsp.config('ssot_lsp', { settings = { ssot = { unsafeFixes = true } } })
--- and turn fix on save on with `vim.g.ssot_lsp_fix_on_save = true`.
--- The binary is $SSOT_LSP_PATH, else g:ssot_lsp_path, else `ssot-lsp` from
--- the project's `.venv`/`venv` or $VIRTUAL_ENV, else on PATH.
--- The root is the git work tree, else the nearest project file's folder.

local config = require('ssot_lsp.config')
local settings = config.server_settings(vim.g.ssot_lsp_settings)

---@type vim.lsp.Config
return {
  cmd = config.cmd(),
  filetypes = { 'python' },
  root_markers = config.lsp_root_markers(),
  init_options = settings,
  settings = { ssot = settings },
  on_attach = function(client, bufnr)
    require('ssot_lsp').on_attach(client, bufnr)
  end,
}
