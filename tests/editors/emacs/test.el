;;; test.el --- editors/emacs/ssot-lsp.el in real Emacs (batch) with eglot  -*- lexical-binding: t; -*-
;; Run by tests/editors/emacs/run.sh: SSOT_TEST_WS is a demo copy (a git
;; repository, so it is eglot's project), SSOT_TEST_EXPECTED the same copy
;; fixed by `ssot-lsp check --fix'.  Prints "ok"/"not ok" lines and exits 1 on
;; a failure.

(require 'cl-lib)
(require 'python)

(defvar ssot-test-ws (file-name-as-directory (getenv "SSOT_TEST_WS")))
(defvar ssot-test-expected (file-name-as-directory (getenv "SSOT_TEST_EXPECTED")))
(defvar ssot-test-passed 0)
(defvar ssot-test-failed 0)
(defvar ssot-test-label (format "emacs %s eglot" emacs-version))

;; Loading ssot-lsp.el must leave eglot's Python server alone.
(defvar ssot-test-python-server-before-setup (assoc 'python-mode eglot-server-programs
                                                    (lambda (key mode) (if (listp key) (memq mode key) (eq key mode)))))
(ssot-lsp-eglot-setup)

(defun ssot-test-wait (seconds predicate)
  "Process server output until PREDICATE holds or SECONDS pass; PREDICATE's value."
  (let ((deadline (+ (float-time) seconds)) value)
    (while (and (not (setq value (funcall predicate))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    value))

(defun ssot-test-file (root relative)
  (with-temp-buffer
    (insert-file-contents (expand-file-name relative root))
    (buffer-string)))

(defmacro ssot-test-case (name &rest body)
  (declare (indent 1))
  `(condition-case err
       (progn ,@body
              (setq ssot-test-passed (1+ ssot-test-passed))
              (princ (format "ok - %s: %s\n" ssot-test-label ,name)))
     (error
      (setq ssot-test-failed (1+ ssot-test-failed))
      (princ (format "not ok - %s: %s\n    %S\n" ssot-test-label ,name err)))))

(defun ssot-test-open (relative)
  "Visit RELATIVE in the demo copy and connect eglot as `eglot-ensure' would."
  (find-file (expand-file-name relative ssot-test-ws))
  (python-mode)
  (unless (eglot-current-server)
    (apply #'eglot (eglot--guess-contact)))
  (unless (ssot-test-wait 20 (lambda () (eglot-managed-p)))
    (error "eglot does not manage %s" relative))
  (current-buffer))

(defun ssot-test-diagnostics ()
  (flymake-start)
  (ssot-test-wait 0.2 (lambda () nil))
  (sort (mapcar (lambda (diagnostic)
                  (let ((beg (flymake-diagnostic-beg diagnostic)))
                    (format "%d:%d %s"
                            (1- (line-number-at-pos beg))
                            (save-excursion (goto-char beg) (current-column))
                            (flymake-diagnostic-text diagnostic))))
                (flymake-diagnostics))
        #'string<))

(ssot-test-case "loading ssot-lsp.el does not replace eglot's Python server"
  (when (and ssot-test-python-server-before-setup
             (eq (cdr ssot-test-python-server-before-setup) 'ssot-lsp--contact))
    (error "ssot-lsp.el registered itself for python-mode on load: %S" ssot-test-python-server-before-setup)))

(ssot-test-case "diagnostics on agent_route.py"
  (ssot-test-open "netra_backend/app/routes/agent_route.py")
  (let ((found (ssot-test-wait 20 (lambda () (let ((d (ssot-test-diagnostics))) (and (= (length d) 2) d))))))
    (unless found (error "diagnostics: %S" (ssot-test-diagnostics)))
    (unless (and (string-match-p "\\`7:45 .*SSOT002" (nth 0 found))
                 (string-match-p "\\`8:59 .*SSOT004" (nth 1 found)))
      (error "diagnostics at the wrong places: %S" found))))

(ssot-test-case "ssot-lsp-fix-all applies every safe fix"
  (let ((relative "tests/test_websocket_isolation.py"))
    (ssot-test-open relative)
    (ssot-test-wait 20 (lambda () (ssot-test-diagnostics)))
    (ssot-lsp-fix-all)
    (let ((want (ssot-test-file ssot-test-expected relative)))
      (unless (ssot-test-wait 5 (lambda () (equal (buffer-string) want)))
        (error "buffer after fix-all:\n%s" (buffer-string))))))

(ssot-test-case "fix on save writes the fixed file"
  (let ((relative "netra_backend/app/routes/websocket_route.py")
        (ssot-lsp-fix-on-save t))
    (ssot-test-open relative)
    (ssot-test-wait 20 (lambda () (ssot-test-diagnostics)))
    (set-buffer-modified-p t)
    (save-buffer)
    (unless (equal (ssot-test-file ssot-test-ws relative) (ssot-test-file ssot-test-expected relative))
      (error "on disk after save:\n%s" (ssot-test-file ssot-test-ws relative)))))

(ssot-test-case "ssot-lsp-report counts what is left"
  (ssot-lsp-report)
  (let ((text (with-current-buffer "*ssot migration report*" (buffer-string))))
    (unless (string-match "^\\([0-9]+\\) deprecated uses left" text)
      (error "report: %s" text))
    (unless (> (string-to-number (match-string 1 text)) 0)
      (error "report: %s" text))))

(princ (format "%s: %d passed, %d failed\n" ssot-test-label ssot-test-passed ssot-test-failed))
(ignore-errors (eglot-shutdown-all))
(kill-emacs (if (> ssot-test-failed 0) 1 0))
