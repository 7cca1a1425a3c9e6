;; A WASI import with the wrong signature is a link error, not a crash: exit 1, one line.
;; @exit: 1
;; @stderr: cannot instantiate
;; @stderr-lines: 1
(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i64)))
  (func (export "_start")))
