;;; ssot-lsp.el --- ssot-lsp for Emacs through eglot  -*- lexical-binding: t; -*-

;; Load it from your init file:
;;   (load "/path/to/ssot-lsp/editors/emacs/ssot-lsp.el")
;;   (add-hook 'python-mode-hook #'eglot-ensure)       ; and python-ts-mode-hook
;;   (setq ssot-lsp-fix-on-save t)                     ; optional
;; Needs `ssot-lsp' on PATH (`cargo install --path server' in the ssot-lsp
;; repository) or `ssot-lsp-program' set to the binary.  Eglot runs one server
;; per major mode: this makes ssot-lsp the Python server of eglot.
;; Works with eglot 1.9 (Debian's elpa-eglot, Emacs 28) and later.

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

(add-to-list 'eglot-server-programs '((python-mode python-ts-mode) . ssot-lsp--contact))

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
