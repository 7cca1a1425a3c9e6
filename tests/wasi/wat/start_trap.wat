;; A start function that traps makes the module uninstantiable: an error line, non-zero exit.
;; @exit: 1
;; @stderr: wasipool run: error: cannot instantiate
;; @stderr: unreachable
(module
  (func $boom unreachable)
  (start $boom))
