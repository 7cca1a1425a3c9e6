;; A start function that never returns is stopped by --timeout like any other guest code: trap
;; "interrupted", exit 134 (not a load error).
;; @run: --timeout 200ms {module}
;; @exit: 134
;; @stderr: wasipool run: trap: interrupted (time limit of 0.2s exceeded in the start function)
;; @timeout: 20
(module
  (func $spin (loop $l (br $l)))
  (start $spin))
