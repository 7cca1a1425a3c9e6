;; A module importing something wasipool does not provide: one clear error line, exit 1.
;; @exit: 1
;; @stderr: wasipool run: error: cannot instantiate
;; @stderr: unlinkable
;; @stderr-lines: 1
(module
  (import "env" "not_provided" (func (param i32)))
  (func (export "_start")))
