--- `:checkhealth ssot_lsp`: the binary is found and runs, the rule file the
--- server would use is valid, and whether a client is running.

local config = require('ssot_lsp.config')

local M = {}

local health = vim.health or require('health')
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local error = health.error or health.report_error
local info = health.info or health.report_info
local warn = health.warn or health.report_warn

local function run(args)
  local output = vim.fn.system(args)
  return vim.v.shell_error, vim.trim(output)
end

function M.check()
  start('ssot-lsp binary')
  local binary = (require('ssot_lsp').options.cmd or {})[1] or config.binary()
  local path = vim.fn.exepath(binary)
  if path == '' then
    error(binary .. ' not found or not executable', {
      'Install it: `pip install ssot_lsp-*.whl` in the project\'s .venv, or `cargo install --locked --path server` in the ssot-lsp repository.',
      'Without it `vim.lsp.enable("ssot_lsp")` starts nothing and says nothing.',
      'Or point $SSOT_LSP_PATH (or g:ssot_lsp_path) at the binary.',
    })
    return
  end
  ok('found: ' .. path)
  local code, version = run({ path, '--version' })
  if code ~= 0 then
    error('`' .. path .. ' --version` failed: ' .. version)
    return
  end
  ok('version: ' .. version)

  start('ssot-lsp configuration')
  local file = vim.api.nvim_buf_get_name(0)
  local from = (file ~= '' and vim.fn.filereadable(file) == 1) and file or vim.fn.getcwd()
  local root = config.find_root(from, require('ssot_lsp').options.root_markers)
  if root == nil then
    warn('no project root above ' .. from .. ': none of .git, ' .. table.concat(config.project_markers, ', ') .. ' found', {
      'Neovim 0.11 then starts the client without a root: no workspace scan, no findings in closed files.',
      'Open the file from inside a git work tree, or add an ssot.toml at the project root.',
    })
  else
    ok('project root: ' .. root)
  end
  local config_file = config.find_config(from)
  if config_file == nil then
    ok('no ssot.toml, .ssot.toml or [tool.ssot-lsp] above ' .. from .. ': the built-in rules are active')
  else
    local rules_code, rules_output = run({ path, 'rules', '--config', config_file })
    if rules_code == 0 then
      ok('valid: ' .. config_file)
    else
      error('invalid: ' .. rules_output, { 'Fix the file; until then the server keeps its last good rules.' })
    end
  end

  start('ssot-lsp clients')
  if vim.fn.has('nvim-0.8') == 0 and vim.fn.has('nvim-0.7') == 1 then
    info('Neovim 0.7: supported through require("ssot_lsp").setup{}')
  end
  local clients = require('ssot_lsp').clients()
  if #clients == 0 then
    info('no ssot-lsp client is running (open a Python file)')
  end
  for _, client in ipairs(clients) do
    local buffers = vim.tbl_count(client.attached_buffers or {})
    ok(string.format('client %d running, root %s, %d buffer(s) attached', client.id, tostring(client.config.root_dir), buffers))
  end
end

return M
