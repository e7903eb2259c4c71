--- The Neovim client of ssot-lsp. On Neovim 0.11+ `vim.lsp.enable('ssot_lsp')`
--- starts it through `lsp/ssot_lsp.lua`; on 0.7-0.10 `require('ssot_lsp').setup{}`
--- starts it on FileType python. Either way `on_attach` adds the commands
--- (:SsotFixAll, :SsotFixWorkspace, :SsotReport, :SsotRestart) and the opt-in
--- fix on save. Every feature lives in the server; this file only asks it.

local config = require('ssot_lsp.config')

local M = {}

--- Options of `setup{}`; `fix_on_save` is also read by the 0.11 path.
M.options = {
  cmd = nil, -- default: config.cmd()
  extra_args = {},
  settings = {},
  fix_on_save = false,
  root_markers = config.root_markers,
  filetypes = { 'python' },
}

local FIX_ALL_KIND = 'source.fixAll.ssot'
local has_0_11 = vim.fn.has('nvim-0.11') == 1

--- Calls a client method across the 0.11 `client:method()` and older `client.method()` styles.
local function call(client, method, ...)
  if has_0_11 then
    return client[method](client, ...)
  end
  return client[method](...)
end

local function notify(message, level)
  vim.notify('ssot-lsp: ' .. message, level or vim.log.levels.INFO)
end

--- The ssot-lsp clients, those attached to `bufnr` when given.
function M.clients(bufnr)
  local found = {}
  local all = vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
  for _, client in ipairs(all) do
    if client.name == config.name and (bufnr == nil or vim.lsp.buf_is_attached(bufnr, client.id)) then
      table.insert(found, client)
    end
  end
  return found
end

local function current_client(bufnr)
  local client = M.clients(bufnr)[1] or M.clients()[1]
  if client == nil then
    notify('no ssot-lsp client is running', vim.log.levels.WARN)
  end
  return client
end

--- Whether fix on save is on for this buffer (`setup{fix_on_save}`, `g:` or `b:ssot_lsp_fix_on_save`).
function M.fix_on_save_enabled(bufnr)
  local buffer_value = vim.b[bufnr].ssot_lsp_fix_on_save
  if buffer_value ~= nil then
    return buffer_value == true or buffer_value == 1
  end
  return M.options.fix_on_save == true or vim.g.ssot_lsp_fix_on_save == true or vim.g.ssot_lsp_fix_on_save == 1
end

--- Applies one code action: its edit, else its command, after resolving it if needed.
local function apply_action(client, action, bufnr, timeout)
  if action.edit == nil and action.command == nil and action.data ~= nil then
    local resolved = call(client, 'request_sync', 'codeAction/resolve', action, timeout, bufnr)
    if resolved and resolved.result then
      action = resolved.result
    end
  end
  if action.edit then
    vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  end
  local command = type(action.command) == 'table' and action.command or (type(action.command) == 'string' and action or nil)
  if command then
    call(client, 'request_sync', 'workspace/executeCommand', { command = command.command, arguments = command.arguments }, timeout, bufnr)
  end
end

--- Applies `source.fixAll.ssot` to the buffer synchronously (what fix on save runs).
---@return boolean applied whether the server returned a fix
function M.fix_all_sync(bufnr, timeout)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  timeout = timeout or 3000
  local client = M.clients(bufnr)[1]
  if client == nil then
    return false
  end
  local last = vim.api.nvim_buf_line_count(bufnr) - 1
  local last_line = vim.api.nvim_buf_get_lines(bufnr, last, last + 1, false)[1] or ''
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = 0, character = 0 }, ['end'] = { line = last, character = #last_line } },
    context = { only = { FIX_ALL_KIND }, diagnostics = {} },
  }
  local response = call(client, 'request_sync', 'textDocument/codeAction', params, timeout, bufnr)
  if response == nil or response.err or type(response.result) ~= 'table' then
    return false
  end
  local applied = false
  for _, action in ipairs(response.result) do
    if action.kind == FIX_ALL_KIND then
      apply_action(client, action, bufnr, timeout)
      applied = true
    end
  end
  return applied
end

local function execute(client, bufnr, command, arguments)
  call(client, 'request', 'workspace/executeCommand', { command = command, arguments = arguments }, function(err)
    if err then
      notify(command .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    end
  end, bufnr)
end

--- :SsotFixAll: every fix of the buffer (safe ones; unsafe too with `unsafeFixes`).
function M.fix_all(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local client = current_client(bufnr)
  if client then
    execute(client, bufnr, 'ssot.fixAll', { vim.uri_from_bufnr(bufnr) })
  end
end

--- :SsotFixWorkspace: every fix in every Python file of the workspace (edited buffers are left unsaved).
function M.fix_workspace()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = current_client(bufnr)
  if client then
    execute(client, bufnr, 'ssot.fixWorkspace', {})
  end
end

--- The report as lines of Markdown.
function M.report_lines(report)
  local lines = { '# SSOT migration report', '', string.format('%d deprecated uses left.', report.total or 0) }
  local function section(title, counts)
    local keys = vim.tbl_keys(counts or {})
    table.sort(keys, function(a, b)
      return counts[a] > counts[b] or (counts[a] == counts[b] and a < b)
    end)
    if #keys > 0 then
      vim.list_extend(lines, { '', '## ' .. title })
      for _, key in ipairs(keys) do
        table.insert(lines, string.format('- %s: %d', key, counts[key]))
      end
    end
  end
  section('By rule', report.byRule)
  section('By name', report.byName)
  if report.byFile and #report.byFile > 0 then
    vim.list_extend(lines, { '', '## By file' })
    for _, file in ipairs(report.byFile) do
      table.insert(lines, string.format('- %s: %d', vim.fn.fnamemodify(vim.uri_to_fname(file.uri), ':.'), file.count))
    end
  end
  return lines
end

--- :SsotReport: the migration report in a scratch buffer, files in the quickfix list.
--- `on_report(report)`, when given, is called with the server's answer.
function M.report(on_report)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = current_client(bufnr)
  if client == nil then
    return
  end
  call(client, 'request', 'ssot/migrationReport', vim.empty_dict(), function(err, report)
    if err or report == nil then
      notify('ssot/migrationReport failed: ' .. vim.inspect(err), vim.log.levels.ERROR)
      return
    end
    local items = {}
    for _, file in ipairs(report.byFile or {}) do
      table.insert(items, { filename = vim.uri_to_fname(file.uri), lnum = 1, text = string.format('%d deprecated uses', file.count) })
    end
    vim.fn.setqflist({}, ' ', { title = 'SSOT migration report', items = items })
    vim.cmd('botright new')
    local report_buf = vim.api.nvim_get_current_buf()
    vim.api.nvim_buf_set_lines(report_buf, 0, -1, false, M.report_lines(report))
    vim.bo[report_buf].buftype = 'nofile'
    vim.bo[report_buf].bufhidden = 'wipe'
    vim.bo[report_buf].modifiable = false
    vim.bo[report_buf].filetype = 'markdown'
    if on_report then
      on_report(report)
    end
  end, bufnr)
end

--- :SsotRestart: stops the ssot-lsp clients and starts them again on the same buffers.
function M.restart()
  for _, client in ipairs(M.clients()) do
    local buffers = vim.tbl_keys(client.attached_buffers or {})
    local client_config = client.config
    -- Gone, not only stopped: Neovim detaches an exited client from its
    -- buffers in a scheduled callback, and one that runs after the new
    -- client attached leaves the old client's pulled diagnostics behind.
    local function stopped()
      return vim.lsp.get_client_by_id(client.id) == nil
    end
    call(client, 'stop')
    -- A server too busy to answer `shutdown` in time (a long workspace fix,
    -- a loaded machine) is killed: a restart must never hand the buffers
    -- back to the old process.
    if not vim.wait(5000, stopped, 20) then
      call(client, 'stop', true)
      vim.wait(5000, stopped, 20)
    end
    M._start_with(client_config, buffers)
  end
end

--- Starts (or reuses) a client with `client_config` and attaches it to `buffers`.
function M._start_with(client_config, buffers)
  if vim.lsp.start then
    for _, bufnr in ipairs(buffers) do
      if vim.api.nvim_buf_is_loaded(bufnr) then
        vim.lsp.start(client_config, { bufnr = bufnr })
      end
    end
    return
  end
  -- Neovim 0.7: one client per root, attached by hand.
  local client_id = vim.lsp.start_client(client_config)
  if client_id == nil then
    notify('could not start ' .. tostring(client_config.cmd[1]), vim.log.levels.ERROR)
    return
  end
  M._clients_by_root = M._clients_by_root or {}
  M._clients_by_root[client_config.root_dir] = client_id
  for _, bufnr in ipairs(buffers) do
    vim.lsp.buf_attach_client(bufnr, client_id)
  end
end

--- Whether this Neovim pulls diagnostics (0.10+): the server then never
--- pushes, and findings in files that are not open need asking for.
local function client_pulls()
  local capabilities = vim.lsp.protocol.make_client_capabilities()
  return (capabilities.textDocument or {}).diagnostic ~= nil
end

--- Shows the findings of files that are not loaded: Neovim pulls the
--- diagnostics of open buffers only and never sends `workspace/diagnostic`,
--- so this sends it and hands each report to Neovim's own
--- publishDiagnostics handler (for buffers not loaded; loaded ones are
--- pulled). Off with `vim.g.ssot_lsp_workspace_diagnostics = false`.
function M.pull_workspace_diagnostics(client)
  if vim.g.ssot_lsp_workspace_diagnostics == false or not client_pulls() then
    return
  end
  call(client, 'request', 'workspace/diagnostic', { previousResultIds = {} }, function(err, result)
    if err ~= nil or result == nil then
      return
    end
    for _, report in ipairs(result.items or {}) do
      local bufnr = vim.uri_to_bufnr(report.uri)
      if report.kind == 'full' and not vim.api.nvim_buf_is_loaded(bufnr) then
        vim.lsp.diagnostic.on_publish_diagnostics(nil, { uri = report.uri, diagnostics = report.items or {} }, {
          client_id = client.id,
          method = 'textDocument/publishDiagnostics',
        })
      end
    end
  end)
end

--- Pulls workspace diagnostics now and whenever the server's workspace scan
--- ends (`LspProgress`, Neovim 0.10+); once per client.
local function watch_workspace_diagnostics(client)
  M._watched_clients = M._watched_clients or {}
  if M._watched_clients[client.id] then
    return
  end
  M._watched_clients[client.id] = true
  M.pull_workspace_diagnostics(client)
  if vim.fn.exists('##LspProgress') == 1 then
    vim.api.nvim_create_autocmd('LspProgress', {
      group = vim.api.nvim_create_augroup('ssot_lsp_workspace_diagnostics_' .. client.id, { clear = true }),
      pattern = 'end',
      callback = function(event)
        if event.data and event.data.client_id == client.id then
          M.pull_workspace_diagnostics(client)
        end
      end,
    })
  end
end

--- Adds the buffer's commands and the fix-on-save hook; `on_attach` of both start paths.
function M.on_attach(client, bufnr)
  if client ~= nil and client_pulls() and vim.lsp.diagnostic.get_namespace then
    -- The buffer is pulled from now on: drop what the workspace pull put there.
    vim.diagnostic.reset(vim.lsp.diagnostic.get_namespace(client.id, false), bufnr)
    watch_workspace_diagnostics(client)
  end
  local commands = {
    SsotFixAll = { function() M.fix_all(bufnr) end, 'Apply every ssot-lsp fix to this file' },
    SsotFixWorkspace = { M.fix_workspace, 'Apply every ssot-lsp fix in the workspace' },
    SsotReport = { function() M.report() end, 'Show the SSOT migration report' },
    SsotRestart = { M.restart, 'Restart the ssot-lsp server' },
  }
  for name, command in pairs(commands) do
    vim.api.nvim_buf_create_user_command(bufnr, name, command[1], { desc = command[2] })
  end
  local group = vim.api.nvim_create_augroup('ssot_lsp_fix_on_save_' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd('BufWritePre', {
    group = group,
    buffer = bufnr,
    desc = 'ssot-lsp: apply source.fixAll.ssot before writing (opt-in)',
    callback = function(event)
      if M.fix_on_save_enabled(event.buf) then
        M.fix_all_sync(event.buf)
      end
    end,
  })
end

--- The client configuration for a buffer (what `setup{}` starts).
function M.client_config(bufnr)
  local file = vim.api.nvim_buf_get_name(bufnr)
  local settings = config.server_settings(M.options.settings)
  return {
    name = config.name,
    cmd = M.options.cmd or config.cmd(M.options.extra_args),
    root_dir = config.find_root(file ~= '' and file or vim.fn.getcwd(), M.options.root_markers) or vim.fn.getcwd(),
    init_options = settings,
    settings = { ssot = settings },
    on_attach = M.on_attach,
  }
end

--- Starts ssot-lsp for a buffer (or reuses the running client of its root).
function M.start(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local client_config = M.client_config(bufnr)
  if vim.fn.executable(client_config.cmd[1]) == 0 then
    notify(client_config.cmd[1] .. ' not found: install it (pip install the wheel into .venv, or cargo install --locked --path server) or set $SSOT_LSP_PATH; see :checkhealth ssot_lsp', vim.log.levels.ERROR)
    return
  end
  local existing = M._clients_by_root and M._clients_by_root[client_config.root_dir]
  if not vim.lsp.start and existing and vim.lsp.get_client_by_id(existing) then
    vim.lsp.buf_attach_client(bufnr, existing)
    return
  end
  M._start_with(client_config, { bufnr })
end

--- For Neovim 0.7-0.10 (works on 0.11 too): start ssot-lsp on every Python buffer.
--- Options: `cmd`, `extra_args`, `settings` (`configPath`, `workspaceScan`,
--- `unsafeFixes`, `logLevel`), `fix_on_save`, `root_markers`, `filetypes`.
function M.setup(options)
  M.options = vim.tbl_deep_extend('force', M.options, options or {})
  local group = vim.api.nvim_create_augroup('ssot_lsp', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.options.filetypes,
    callback = function(event)
      M.start(event.buf)
    end,
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(M.options.filetypes, vim.bo[bufnr].filetype) then
      M.start(bufnr)
    end
  end
end

return M
