-- Real Neovim, headless, against the real ssot-lsp binary, on a copy of demo/.
-- Run by tests/editors/nvim/run.sh, which prepares the environment:
--   SSOT_TEST_WS        the demo copy the editor works on (with an ssot.toml)
--   SSOT_TEST_EXPECTED  another copy, fixed by `ssot-lsp check --fix` (safe fixes)
--   SSOT_TEST_START     'enable' (0.11: vim.lsp.enable) or 'setup' (require'ssot_lsp'.setup{})
--   SSOT_TEST_SCENARIO  'full' (every command) or 'basic'
--   SSOT_LSP_PATH       the binary under test
-- Prints one line per case ("ok"/"not ok") and a closing "N passed, N failed";
-- exits 1 (cquit) when a case fails.

local ws = assert(vim.env.SSOT_TEST_WS, 'SSOT_TEST_WS')
local expected_root = assert(vim.env.SSOT_TEST_EXPECTED, 'SSOT_TEST_EXPECTED')
local start_mode = vim.env.SSOT_TEST_START or 'enable'
local scenario = vim.env.SSOT_TEST_SCENARIO or 'full'
local version = vim.version()
local label = string.format('nvim %d.%d.%d %s', version.major, version.minor, version.patch, start_mode)

local passed, failed = 0, 0
-- Set when the client never attached: every later case fails at once.
local blocked = nil
local function out(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end

local function case(name, body)
  local started = vim.loop.hrtime()
  local success, err
  if blocked then
    success, err = false, blocked
  else
    success, err = xpcall(body, debug.traceback)
  end
  local ms = math.floor((vim.loop.hrtime() - started) / 1e6)
  if success then
    passed = passed + 1
    out(string.format('ok - %s: %s (%d ms)', label, name, ms))
  else
    failed = failed + 1
    out(string.format('not ok - %s: %s (%d ms)\n    %s', label, name, ms, tostring(err):gsub('\n', '\n    ')))
  end
end

local function check(condition, message, ...)
  if not condition then
    error(string.format(message, ...), 2)
  end
end

local function wait_for(ms, what, predicate)
  local ok = vim.wait(ms, predicate, 50)
  check(ok, 'timed out after %d ms waiting for %s', ms, what)
end

local function path(relative)
  return ws .. '/' .. relative
end

local function expected_lines(relative)
  return vim.fn.readfile(expected_root .. '/' .. relative)
end

local function same_lines(actual, expected, what)
  if vim.deep_equal(actual, expected) then
    return
  end
  for index = 1, math.max(#actual, #expected) do
    if actual[index] ~= expected[index] then
      error(string.format('%s differs from the expected text at line %d:\n      got:      %s\n      expected: %s',
        what, index, vim.inspect(actual[index]), vim.inspect(expected[index])), 2)
    end
  end
end

local plugin = require('ssot_lsp')

local function open(relative)
  vim.cmd('edit ' .. vim.fn.fnameescape(path(relative)))
  local bufnr = vim.api.nvim_get_current_buf()
  if vim.bo[bufnr].filetype ~= 'python' then
    vim.bo[bufnr].filetype = 'python'
  end
  wait_for(15000, 'ssot-lsp to attach to ' .. relative, function()
    return #plugin.clients(bufnr) > 0
  end)
  return bufnr
end

local function diagnostics(bufnr)
  local found = {}
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
    if diagnostic.source == 'ssot' then
      table.insert(found, diagnostic)
    end
  end
  table.sort(found, function(a, b)
    return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col)
  end)
  return found
end

local function wait_diagnostics(bufnr, what, predicate)
  wait_for(20000, what, function()
    return predicate(diagnostics(bufnr))
  end)
  return diagnostics(bufnr)
end

--- The LSP form of a diagnostic (0.7 keeps no range in user_data.lsp: rebuild it).
local function lsp_diagnostic(diagnostic)
  local lsp = vim.deepcopy(((diagnostic.user_data or {}).lsp) or {})
  lsp.range = lsp.range or {
    start = { line = diagnostic.lnum, character = diagnostic.col },
    ['end'] = { line = diagnostic.end_lnum, character = diagnostic.end_col },
  }
  lsp.message = lsp.message or diagnostic.message
  lsp.code = lsp.code or diagnostic.code
  lsp.severity = lsp.severity or diagnostic.severity
  lsp.source = lsp.source or diagnostic.source
  return lsp
end

local function code_of(diagnostic)
  return diagnostic.code or ((diagnostic.user_data or {}).lsp or {}).code
end

local function client_of(bufnr)
  return plugin.clients(bufnr)[1]
end

local function buffer_lines(bufnr)
  return vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
end

-- ---------------------------------------------------------------- start

vim.cmd('filetype on')
vim.o.swapfile = false
vim.o.hidden = true
if start_mode == 'setup' then
  plugin.setup({})
else
  vim.lsp.enable('ssot_lsp')
end

local agent_route = 'netra_backend/app/routes/agent_route.py'
local agent_buf

case('attaches to a Python file', function()
  agent_buf = open(agent_route)
  local client = client_of(agent_buf)
  check(client.config.root_dir == ws or client.config.root_dir == vim.fn.resolve(ws),
    'root_dir is %s, expected %s', tostring(client.config.root_dir), ws)
end)
if agent_buf == nil or #plugin.clients() == 0 then
  blocked = 'skipped: ssot-lsp never attached (see the first failure)'
end

case('findings in files never opened show up in vim.diagnostic', function()
  local relative = 'netra_backend/app/agents/supervisor.py'
  local bufnr = vim.fn.bufadd(path(relative))
  wait_for(15000, 'diagnostics of ' .. relative .. ' (never opened)', function()
    return #vim.diagnostic.get(bufnr) > 0
  end)
  check(not vim.api.nvim_buf_is_loaded(bufnr), '%s was loaded', relative)
  check(code_of(vim.diagnostic.get(bufnr)[1]) == 'SSOT001', 'code %s', tostring(code_of(vim.diagnostic.get(bufnr)[1])))
end)

local agent_diagnostics = {}
case('diagnostics have the right codes, ranges, source and tags', function()
  -- Until the workspace scan is done, the server withholds fixes that move
  -- a module-level name and says so: wait for the settled findings.
  agent_diagnostics = wait_diagnostics(agent_buf, 'two settled diagnostics in agent_route.py', function(found)
    for _, diagnostic in ipairs(found) do
      if diagnostic.message:find('until the workspace scan is done', 1, true) then
        return false
      end
    end
    return #found >= 2
  end)
  local got = {}
  for _, diagnostic in ipairs(agent_diagnostics) do
    table.insert(got, string.format('%s %d:%d-%d:%d', code_of(diagnostic), diagnostic.lnum, diagnostic.col, diagnostic.end_lnum, diagnostic.end_col))
  end
  local want = { 'SSOT002 7:45-7:69', 'SSOT004 8:59-8:76' }
  check(vim.deep_equal(got, want), 'diagnostics %s, expected %s', vim.inspect(got), vim.inspect(want))
  check(agent_diagnostics[1].message:find('create_websocket_manager', 1, true), 'message: %s', agent_diagnostics[1].message)
  local tags = ((agent_diagnostics[1].user_data or {}).lsp or {}).tags
  if tags ~= nil then
    check(vim.tbl_contains(tags, 2), 'tags %s lack Deprecated (2)', vim.inspect(tags))
  end
end)

case('hover on a finding shows the rule docs', function()
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(agent_buf) },
    position = { line = 7, character = 50 },
  }
  local responses = vim.lsp.buf_request_sync(agent_buf, 'textDocument/hover', params, 5000) or {}
  local text
  for _, response in pairs(responses) do
    local result = response.result
    if result and result.contents then
      text = type(result.contents) == 'string' and result.contents or result.contents.value
    end
  end
  check(text ~= nil, 'no hover: %s', vim.inspect(responses))
  check(text:find('SSOT002', 1, true), 'hover lacks the code: %s', text)
  check(text:find('websocket_manager import get_websocket_manager', 1, true), 'hover lacks the SSOT pattern: %s', text)
end)

case('the preferred quick fix leaves the buffer equal to the expected text', function()
  local target = agent_diagnostics[1]
  check(target and code_of(target) == 'SSOT002', 'no SSOT002 diagnostic to fix')
  local lsp = lsp_diagnostic(target)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(agent_buf) },
    range = lsp.range,
    context = { diagnostics = { lsp }, only = { 'quickfix' } },
  }
  local responses = vim.lsp.buf_request_sync(agent_buf, 'textDocument/codeAction', params, 5000) or {}
  local client = client_of(agent_buf)
  local action
  for _, response in pairs(responses) do
    for _, candidate in ipairs(response.result or {}) do
      if candidate.kind == 'quickfix' and candidate.isPreferred then
        action = action or candidate
      end
    end
  end
  check(action ~= nil, 'no preferred quick fix: %s', vim.inspect(responses))
  if action.edit == nil and action.data ~= nil then
    local resolved = vim.lsp.buf_request_sync(agent_buf, 'codeAction/resolve', action, 5000) or {}
    for _, response in pairs(resolved) do
      action = response.result or action
    end
  end
  check(action.edit ~= nil, 'the quick fix has no edit: %s', vim.inspect(action))
  vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  same_lines(buffer_lines(agent_buf), expected_lines(agent_route), agent_route)
  wait_diagnostics(agent_buf, 'SSOT002 to go away after the fix', function(found)
    return #found == 1 and code_of(found[1]) == 'SSOT004'
  end)
end)

local websocket_route = 'netra_backend/app/routes/websocket_route.py'
case('fix on save writes the fixed file', function()
  local bufnr = open(websocket_route)
  wait_diagnostics(bufnr, 'diagnostics in websocket_route.py', function(found)
    return #found >= 4
  end)
  vim.g.ssot_lsp_fix_on_save = true
  vim.cmd('silent write')
  vim.g.ssot_lsp_fix_on_save = false
  same_lines(vim.fn.readfile(path(websocket_route)), expected_lines(websocket_route), websocket_route .. ' on disk')
  check(not vim.bo[bufnr].modified, 'the buffer is still modified after :write')
end)

case('fix on save is off by default', function()
  local relative = 'netra_backend/app/services/notifier.py'
  local before = vim.fn.readfile(path(relative))
  local bufnr = open(relative)
  wait_diagnostics(bufnr, 'diagnostics in notifier.py', function(found)
    return #found > 0
  end)
  vim.cmd('silent write')
  same_lines(vim.fn.readfile(path(relative)), before, relative .. ' on disk')
end)

if scenario == 'full' then
  local isolation = 'tests/test_websocket_isolation.py'
  case(':SsotFixAll applies every safe fix to the buffer', function()
    local bufnr = open(isolation)
    wait_diagnostics(bufnr, 'diagnostics in the isolation test', function(found)
      return #found > 0
    end)
    vim.cmd('SsotFixAll')
    local want = expected_lines(isolation)
    vim.wait(5000, function()
      return vim.deep_equal(buffer_lines(bufnr), want)
    end, 50)
    same_lines(buffer_lines(bufnr), want, isolation .. ' after :SsotFixAll')
  end)

  case(':SsotReport shows the report and fills the quickfix list', function()
    local before = vim.api.nvim_get_current_win()
    vim.cmd('SsotReport')
    local report_buf
    wait_for(5000, 'the report buffer', function()
      for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
        local first = vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1]
        if first == '# SSOT migration report' then
          report_buf = bufnr
          return true
        end
      end
      return false
    end)
    local lines = buffer_lines(report_buf)
    local total = tonumber((lines[3] or ''):match('^(%d+) deprecated uses left'))
    check(total ~= nil and total > 0, 'report says %s', vim.inspect(lines[3]))
    check(vim.tbl_contains(lines, '## By rule'), 'report lacks the per-rule counts: %s', vim.inspect(lines))
    local quickfix = vim.fn.getqflist({ title = 1, items = 1 })
    check(quickfix.title == 'SSOT migration report' and #quickfix.items > 0, 'quickfix: %s', vim.inspect(quickfix))
    vim.cmd('close')
    if vim.api.nvim_win_is_valid(before) then
      vim.api.nvim_set_current_win(before)
    end
  end)

  case(':SsotFixWorkspace fixes files that are not open', function()
    local relative = 'netra_backend/app/services/broadcast.py'
    vim.cmd('SsotFixWorkspace')
    local want = expected_lines(relative)
    local bufnr
    wait_for(15000, relative .. ' to be fixed', function()
      bufnr = vim.fn.bufnr(path(relative))
      return bufnr > 0 and vim.api.nvim_buf_is_loaded(bufnr) and vim.deep_equal(buffer_lines(bufnr), want)
    end)
    same_lines(buffer_lines(bufnr), want, relative .. ' after :SsotFixWorkspace')
  end)

  -- Runs :SsotRestart, then waits for a client other than `old` on the
  -- agent buffer and for that server's SSOT004 there.
  local function restart_and_wait(old, timeout)
    vim.cmd('SsotRestart')
    wait_for(timeout, 'a new client', function()
      local new = client_of(agent_buf)
      return new ~= nil and new.id ~= old.id
    end)
    wait_diagnostics(agent_buf, 'diagnostics from the new server', function(found)
      return #found == 1 and code_of(found[1]) == 'SSOT004'
    end)
  end

  case(':SsotRestart starts a new server that diagnoses again', function()
    vim.cmd('buffer ' .. agent_buf)
    restart_and_wait(client_of(agent_buf), 15000)
  end)

  case(':SsotRestart replaces a server that no longer answers', function()
    vim.cmd('buffer ' .. agent_buf)
    local old = client_of(agent_buf)
    local servers = {}
    for _, pid in ipairs(vim.api.nvim_get_proc_children(vim.fn.getpid())) do
      local proc = vim.api.nvim_get_proc(pid)
      if proc and proc.name and proc.name:find('ssot') then
        table.insert(servers, pid)
      end
    end
    check(#servers == 1, 'expected one ssot-lsp child of Neovim, found %d', #servers)
    -- A server that does not answer `shutdown` within the restart's wait
    -- (5 s) must be killed, not handed the buffer again. Stopped now, it is
    -- let go on after 6 s, when only a signal sent meanwhile ends it.
    local uv = vim.uv or vim.loop
    uv.kill(servers[1], 'sigstop')
    vim.defer_fn(function()
      uv.kill(servers[1], 'sigcont')
    end, 6000)
    local ok, err = pcall(restart_and_wait, old, 20000)
    uv.kill(servers[1], 'sigcont')
    check(ok, '%s', tostring(err))
  end)
end

blocked = nil
case('the project root: .git first, then the nearest project file', function()
  local config = require('ssot_lsp.config')
  local tree = vim.fn.tempname()
  for _, folder in ipairs({ '/repo/.git', '/repo/pkg/sub', '/plain/pkg' }) do
    vim.fn.mkdir(tree .. folder, 'p')
  end
  for _, file in ipairs({ '/repo/setup.cfg', '/repo/pkg/setup.py', '/plain/ssot.toml', '/plain/pkg/pyproject.toml' }) do
    vim.fn.writefile({}, tree .. file)
  end
  local file = tree .. '/repo/pkg/sub/mod.py'
  check(config.find_root(file) == tree .. '/repo', 'root of a repository file: %s', tostring(config.find_root(file)))
  check(config.find_root(tree .. '/plain/pkg/m.py') == tree .. '/plain/pkg', 'nearest project file without .git')
  check(config.find_root('/') == nil, 'no marker: no root')
  if vim.fn.has('nvim-0.11.3') == 1 then
    check(vim.deep_equal(config.lsp_root_markers(), config.root_markers), 'nested markers on 0.11.3+')
    check(vim.fs.root(file, config.root_markers) == tree .. '/repo', 'vim.fs.root agrees: %s', tostring(vim.fs.root(file, config.root_markers)))
  end
  local lsp_config = dofile(vim.api.nvim_get_runtime_file('lsp/ssot_lsp.lua', false)[1])
  check(lsp_config.root_markers[1] == '.git', 'lsp/ssot_lsp.lua puts .git first: %s', vim.inspect(lsp_config.root_markers))
end)

case(':help ssot_lsp works with the shipped tags', function()
  vim.cmd('help ssot_lsp')
  check(vim.bo.filetype == 'help' and vim.fn.expand('%:t') == 'ssot_lsp.txt', 'help opened %s', vim.fn.expand('%'))
  vim.cmd('close')
end)

case('the help file has valid, unique tags', function()
  local folder = vim.fn.tempname()
  vim.fn.mkdir(folder, 'p')
  local doc = vim.api.nvim_get_runtime_file('doc/ssot_lsp.txt', false)[1]
  check(doc ~= nil, 'doc/ssot_lsp.txt is not on the runtimepath')
  vim.fn.writefile(vim.fn.readfile(doc), folder .. '/ssot_lsp.txt')
  vim.cmd('helptags ' .. vim.fn.fnameescape(folder))
  local tags = table.concat(vim.fn.readfile(folder .. '/tags'), '\n')
  for _, tag in ipairs({ ':SsotFixAll', ':SsotFixWorkspace', ':SsotReport', ':SsotRestart', 'ssot_lsp-fix-on-save' }) do
    check(tags:find(tag, 1, true), 'tag %s missing', tag)
  end
  local shipped = vim.api.nvim_get_runtime_file('doc/tags', true)
  local ours
  for _, candidate in ipairs(shipped) do
    if candidate:find('editors/nvim/doc/tags', 1, true) then
      ours = candidate
    end
  end
  check(ours ~= nil, 'doc/tags is not shipped: %s', vim.inspect(shipped))
  check(table.concat(vim.fn.readfile(ours), '\n') == tags, 'doc/tags is stale: run :helptags editors/nvim/doc')
end)

case(':checkhealth ssot_lsp passes', function()
  if agent_buf ~= nil then
    vim.cmd('buffer ' .. agent_buf)
  end
  vim.cmd('silent checkhealth ssot_lsp')
  local lines = buffer_lines(vim.api.nvim_get_current_buf())
  local text = table.concat(lines, '\n')
  local oks = select(2, text:gsub('OK', ''))
  check(not text:find('ERROR', 1, true), 'checkhealth reports an error:\n%s', text)
  check(oks >= 4, 'checkhealth has %d OK lines:\n%s', oks, text)
  check(text:find('valid: ' .. ws .. '/ssot.toml', 1, true) or text:find('valid: ' .. vim.fn.resolve(ws) .. '/ssot.toml', 1, true),
    'checkhealth did not validate the workspace ssot.toml:\n%s', text)
end)

case(':checkhealth ssot_lsp warns when there is no project root', function()
  local folder = vim.fn.tempname()
  vim.fn.mkdir(folder, 'p')
  vim.fn.writefile({ 'notes' }, folder .. '/notes.txt')
  vim.cmd('edit ' .. vim.fn.fnameescape(folder .. '/notes.txt'))
  vim.cmd('cd ' .. vim.fn.fnameescape(folder))
  vim.cmd('silent checkhealth ssot_lsp')
  local text = table.concat(buffer_lines(vim.api.nvim_get_current_buf()), '\n')
  vim.cmd('cd ' .. vim.fn.fnameescape(ws))
  check(text:find('WARNING', 1, true) and text:find('no project root above', 1, true), 'no warning about the root:\n%s', text)
end)

out(string.format('%s: %d passed, %d failed', label, passed, failed))
for _, client in ipairs(plugin.clients()) do
  if vim.fn.has('nvim-0.11') == 1 then
    client:stop(true)
  else
    client.stop(true)
  end
end
if failed > 0 then
  vim.cmd('cquit 1')
end
vim.cmd('qall!')
