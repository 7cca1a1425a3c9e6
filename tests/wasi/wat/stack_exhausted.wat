;; Unbounded wasm recursion (no linear-memory stack involved) hits the engine's call-depth limit:
;; trap "call stack exhausted", exit 134, and the backtrace collapses the repeated frames.
;; @exit: 134
;; @stderr: wasipool run: trap: call stack exhausted
;; @stderr: func[1] deeper (repeated
(module
  (func $start (export "_start") (call $deeper (i32.const 0)))
  (func $deeper (param i32) (call $deeper (i32.add (local.get 0) (i32.const 1)))))
