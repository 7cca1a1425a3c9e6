;; The backtrace names functions from the name section (here the wat $names), innermost first.
;; @exit: 134
;; @stderr: wasipool run: trap: integer divide by zero
;; @stderr: func[2] inner_divides
;; @stderr: func[1] outer_calls
;; @stderr: func[0] _start_entry
(module
  (func $_start_entry (export "_start") (drop (call $outer_calls (i32.const 0))))
  (func $outer_calls (param i32) (result i32) (call $inner_divides (local.get 0)))
  (func $inner_divides (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0))))
