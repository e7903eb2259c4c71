--- How the ssot-lsp client is configured: the server's command line, the
--- settings it is sent and the files that mark a project root. Pure functions
--- of the environment and the user's options, shared by `lsp/ssot_lsp.lua`
--- (Neovim 0.11+), `setup{}` (0.7-0.10) and the health check. Nothing here
--- starts a client or touches a buffer.

local M = {}

--- The client's name, as `vim.lsp.enable('ssot_lsp')` knows it.
M.name = 'ssot_lsp'

--- What marks the project root, by priority: the git work tree first (so a
--- `setup.py` or `pyproject.toml` in a subfolder does not start a second
--- server), else the nearest folder holding any of the project files (a
--- nested list: equal priority, nearest wins). Neovim 0.11.3+ reads nested
--- `root_markers`; `M.flat_root_markers` is the same order for older ones.
M.project_markers = { 'ssot.toml', '.ssot.toml', 'pyproject.toml', 'setup.py', 'setup.cfg' }
M.root_markers = { '.git', M.project_markers }

--- `M.root_markers` flattened, for Neovim 0.11.0-0.11.2 (`.git` still first).
M.flat_root_markers = { '.git', (table.unpack or unpack)(M.project_markers) }

--- The markers to give `vim.lsp.config` on this Neovim.
---@return table
function M.lsp_root_markers()
  if vim.fn.has('nvim-0.11.3') == 1 then
    return M.root_markers
  end
  return M.flat_root_markers
end

--- The server's defaults, the same as the server's own.
M.default_settings = { workspaceScan = true, unsafeFixes = false, logLevel = 'info' }

--- Where a Python environment of the project may hold `ssot-lsp` (the
--- wheel installs it there): `$VIRTUAL_ENV`, then `.venv` and `venv` in the
--- current folder.
---@return string[]
function M.python_env_binaries()
  local scripts, exe = 'bin', 'ssot-lsp'
  if vim.fn.has('win32') == 1 then
    scripts, exe = 'Scripts', 'ssot-lsp.exe'
  end
  local candidates = {}
  if vim.env.VIRTUAL_ENV ~= nil and vim.env.VIRTUAL_ENV ~= '' then
    table.insert(candidates, vim.env.VIRTUAL_ENV .. '/' .. scripts .. '/' .. exe)
  end
  for _, venv in ipairs({ '.venv', 'venv' }) do
    table.insert(candidates, vim.fn.getcwd() .. '/' .. venv .. '/' .. scripts .. '/' .. exe)
  end
  return candidates
end

--- The binary: `$SSOT_LSP_PATH`, else `g:ssot_lsp_path`, else `ssot-lsp` from
--- the project's Python environment, else from `PATH`.
---@return string
function M.binary()
  local from_env = vim.env.SSOT_LSP_PATH
  if from_env ~= nil and from_env ~= '' then
    return vim.fn.expand(from_env)
  end
  if type(vim.g.ssot_lsp_path) == 'string' and vim.g.ssot_lsp_path ~= '' then
    return vim.fn.expand(vim.g.ssot_lsp_path)
  end
  for _, candidate in ipairs(M.python_env_binaries()) do
    if vim.fn.executable(candidate) == 1 then
      return candidate
    end
  end
  return 'ssot-lsp'
end

--- The server's command line.
---@param extra_args string[]|nil
---@return string[]
function M.cmd(extra_args)
  local cmd = { M.binary(), 'serve' }
  for _, arg in ipairs(extra_args or {}) do
    table.insert(cmd, arg)
  end
  return cmd
end

--- The settings sent as `initializationOptions` and under `settings.ssot`:
--- the defaults overridden by `overrides` (keys `configPath`, `workspaceScan`,
--- `unsafeFixes`, `logLevel`), with `configPath` expanded (`~`, `$VAR`).
---@param overrides table|nil
---@return table
function M.server_settings(overrides)
  local settings = vim.deepcopy(M.default_settings)
  for key, value in pairs(overrides or {}) do
    settings[key] = value
  end
  if type(settings.configPath) == 'string' then
    if settings.configPath == '' then
      settings.configPath = nil
    else
      settings.configPath = vim.fn.expand(settings.configPath)
    end
  end
  return settings
end

--- The absolute folder of a file, or the folder itself, without a trailing slash.
---@param start string
---@return string
function M.folder_of(start)
  local folder = vim.fn.fnamemodify(start, ':p')
  if vim.fn.isdirectory(folder) == 0 then
    folder = vim.fn.fnamemodify(folder, ':h')
  end
  if #folder > 1 then
    folder = folder:gsub('/+$', '')
  end
  return folder
end

--- The nearest folder at or above `folder` that holds one of `names`
--- (a file or a folder such as `.git`), or nil.
---@param folder string
---@param names string[]
---@return string|nil
local function nearest_holding(folder, names)
  while true do
    for _, name in ipairs(names) do
      local candidate = folder .. '/' .. name
      if vim.fn.filereadable(candidate) == 1 or vim.fn.isdirectory(candidate) == 1 then
        return folder
      end
    end
    local parent = vim.fn.fnamemodify(folder, ':h')
    if parent == folder then
      return nil
    end
    folder = parent
  end
end

--- Walks up from `start` (a file or folder) for each entry of `markers` in
--- turn (a name, or a list of names of equal priority) and returns the
--- first folder found, as Neovim 0.11.3's `vim.fs.root` does.
---@param start string
---@param markers (string|string[])[]|nil
---@return string|nil
function M.find_root(start, markers)
  local folder = M.folder_of(start)
  for _, marker in ipairs(markers or M.root_markers) do
    local names = type(marker) == 'table' and marker or { marker }
    local root = nearest_holding(folder, names)
    if root ~= nil then
      return root
    end
  end
  return nil
end

--- The rule file the server would pick for a project root: `ssot.toml`,
--- `.ssot.toml`, or a `pyproject.toml` with a `[tool.ssot-lsp]` table, looking
--- upwards from `start`. Returns the path and whether it is a pyproject.toml.
---@param start string
---@return string|nil, boolean
function M.find_config(start)
  local folder = M.folder_of(start)
  while true do
    for _, name in ipairs({ 'ssot.toml', '.ssot.toml' }) do
      local candidate = folder .. '/' .. name
      if vim.fn.filereadable(candidate) == 1 then
        return candidate, false
      end
    end
    local pyproject = folder .. '/pyproject.toml'
    if vim.fn.filereadable(pyproject) == 1 then
      for _, line in ipairs(vim.fn.readfile(pyproject)) do
        if line:match('^%s*%[tool%.ssot%-lsp%]') then
          return pyproject, true
        end
      end
    end
    local parent = vim.fn.fnamemodify(folder, ':h')
    if parent == folder then
      return nil, false
    end
    folder = parent
  end
end

return M
