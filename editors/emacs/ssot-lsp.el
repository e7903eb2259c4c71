;;; ssot-lsp.el --- ssot-lsp for Emacs through eglot  -*- lexical-binding: t; -*-

;; Load it from your init file:
;;   (load "/path/to/ssot-lsp/editors/emacs/ssot-lsp.el")
;; Loading it changes nothing else: eglot runs one server per major mode,
;; and your Python server (pyright, pylsp, ...) stays eglot's.  Then either
;;   (ssot-lsp-eglot-setup)                            ; ssot-lsp as eglot's Python server
;;   (add-hook 'python-mode-hook #'eglot-ensure)       ; and python-ts-mode-hook
;; when it is the only Python server you want, or run it beside yours
;; (`M-x ssot-lsp-check' into a compilation buffer, lsp-mode's add-on
;; clients, or an LSP multiplexer): see README.md, "Emacs".
;;   (setq ssot-lsp-fix-on-save t)                     ; optional
;; Needs `ssot-lsp' on PATH (`pip install' of the wheel, or `cargo install
;; --locked --path server' in the ssot-lsp repository) or `ssot-lsp-program'
;; set to the binary.  Works with eglot 1.9 (Debian's elpa-eglot, Emacs 28)
;; and later.

;;; Code:

(require 'cl-lib)
(require 'eglot)

(defgroup ssot-lsp nil
  "The ssot-lsp language server through eglot."
  :group 'eglot)

(defcustom ssot-lsp-program (or (getenv "SSOT_LSP_PATH") "ssot-lsp")
  "The ssot-lsp binary."
  :type 'string)

(defcustom ssot-lsp-settings '(:workspaceScan t :unsafeFixes :json-false :logLevel "info")
  "Settings sent as initializationOptions.
Keys: :configPath, :workspaceScan, :unsafeFixes, :logLevel."
  :type 'plist)

(defcustom ssot-lsp-fix-on-save nil
  "When non-nil, apply `source.fixAll.ssot' before saving a buffer eglot manages."
  :type 'boolean)

(defun ssot-lsp--contact (&rest _)
  "How eglot starts ssot-lsp, read when a server starts."
  (list ssot-lsp-program "serve" :initializationOptions ssot-lsp-settings))

(defun ssot-lsp-eglot-setup ()
  "Make ssot-lsp eglot's server for Python buffers.
Eglot runs one server per major mode, so this replaces the Python server
eglot would otherwise start (pyright, pylsp, ...): call it only when
ssot-lsp is the one you want there."
  (add-to-list 'eglot-server-programs '((python-mode python-ts-mode) . ssot-lsp--contact)))

(defun ssot-lsp-check (&optional fix)
  "Run `ssot-lsp check' on the project into a compilation buffer.
With a prefix argument FIX, apply the safe fixes.  Works beside any
language server: `next-error' walks the findings."
  (interactive "P")
  (let ((default-directory (or (and (fboundp 'project-current) (project-current)
                                    (project-root (project-current)))
                               default-directory)))
    (compile (concat (shell-quote-argument ssot-lsp-program)
                     " check --format concise --color never"
                     (if fix " --fix" "")))))

(defun ssot-lsp-fix-all ()
  "Apply every ssot-lsp fix to the buffer (`source.fixAll.ssot')."
  (interactive)
  (eglot-code-actions (point-min) (point-max) "source.fixAll.ssot" t))

(defun ssot-lsp-fix-workspace ()
  "Apply every ssot-lsp fix in the workspace (edited buffers are left unsaved)."
  (interactive)
  (eglot-execute-command (eglot-current-server) 'ssot.fixWorkspace []))

(defun ssot-lsp-report ()
  "Show how many deprecated uses are left, by rule and by file."
  (interactive)
  (let* ((report (jsonrpc-request (eglot-current-server) :ssot/migrationReport (make-hash-table)))
         (buffer (get-buffer-create "*ssot migration report*")))
    (with-current-buffer buffer
      (let ((inhibit-read-only t))
        (erase-buffer)
        (insert (format "%d deprecated uses left.\n\nBy rule:\n" (plist-get report :total)))
        (cl-loop for (rule count) on (plist-get report :byRule) by #'cddr
                 do (insert (format "  %s: %d\n" (substring (symbol-name rule) 1) count)))
        (insert "\nBy file:\n")
        (cl-loop for file across (plist-get report :byFile)
                 do (insert (format "  %s: %d\n"
                                    (eglot--uri-to-path (plist-get file :uri))
                                    (plist-get file :count)))))
      (special-mode))
    (display-buffer buffer)))

(defun ssot-lsp--fix-before-save ()
  (when (and ssot-lsp-fix-on-save (eglot-managed-p))
    (condition-case nil (ssot-lsp-fix-all) (error nil))))

(add-hook 'before-save-hook #'ssot-lsp--fix-before-save)

(provide 'ssot-lsp)
;;; ssot-lsp.el ends here
