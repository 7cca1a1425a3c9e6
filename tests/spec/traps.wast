;; Owned by: spectest. Traps are values: every trap kind surfaces with the spec's text, unwinds any
;; number of frames (including through host calls), leaves the instance usable, and deep or infinite
;; recursion ends in "call stack exhausted" rather than a crash of the host.

(module
  (import "spectest" "print_i32" (func $print (param i32)))
  (memory 1)
  (global $counter (mut i32) (i32.const 0))

  (func (export "unreachable") (unreachable))
  (func (export "unreachable-typed") (result i64) (unreachable))
  (func $deep (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (unreachable))
      (else (i32.add (call $deep (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  (func (export "trap-deep") (param i32) (result i32) (call $deep (local.get 0)))

  ;; State written before a trap stays written (no rollback), and the instance keeps working.
  (func (export "count-then-trap")
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (i32.store (i32.const 0) (global.get $counter))
    (call $print (global.get $counter))
    (drop (i32.div_u (i32.const 1) (i32.const 0))))
  (func (export "counter") (result i32) (global.get $counter))
  (func (export "stored") (result i32) (i32.load (i32.const 0)))

  ;; Traps from within block/loop/if nesting with values on the operand stack.
  (func (export "trap-in-loop") (param i32) (result i32)
    (local $i i32)
    (i32.const 100)
    (loop $l (result i32)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (if (i32.eq (local.get $i) (local.get 0))
        (then (drop (i32.load (i32.const 0x10000)))))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 10)))
      (local.get $i))
    (i32.add))

  (func $runaway (call $runaway))
  (func (export "runaway") (call $runaway))
  (func $mutual-a (param i64) (result i64) (call $mutual-b (i64.add (local.get 0) (i64.const 1))))
  (func $mutual-b (param i64) (result i64) (call $mutual-a (i64.mul (local.get 0) (i64.const 1))))
  (func (export "mutual") (result i64) (call $mutual-a (i64.const 0)))
  ;; Each frame here has many locals, so exhaustion must be counted in frames or bytes, not trusted
  ;; to the host's native stack.
  (func $fat (param i32) (result f64)
    (local f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64
           f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64)
    (f64.add (call $fat (local.get 0)) (local.get 1)))
  (func (export "fat") (result f64) (call $fat (i32.const 0)))

  ;; Moderate recursion depth is fine.
  (func $sum (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (local.get 0) (call $sum (i32.sub (local.get 0) (i32.const 1)))))))
  (func (export "sum") (param i32) (result i32) (call $sum (local.get 0)))
)

(assert_trap (invoke "unreachable") "unreachable")
(assert_trap (invoke "unreachable-typed") "unreachable")
(assert_trap (invoke "trap-deep" (i32.const 0)) "unreachable")
(assert_trap (invoke "trap-deep" (i32.const 500)) "unreachable")

(assert_trap (invoke "count-then-trap") "integer divide by zero")
(assert_return (invoke "counter") (i32.const 1))
(assert_return (invoke "stored") (i32.const 1))
(assert_trap (invoke "count-then-trap") "integer divide by zero")
(assert_return (invoke "counter") (i32.const 2))

(assert_return (invoke "trap-in-loop" (i32.const 0)) (i32.const 110))
(assert_trap (invoke "trap-in-loop" (i32.const 5)) "out of bounds memory access")
(assert_return (invoke "trap-in-loop" (i32.const 11)) (i32.const 110))

(assert_exhaustion (invoke "runaway") "call stack exhausted")
(assert_exhaustion (invoke "mutual") "call stack exhausted")
(assert_exhaustion (invoke "fat") "call stack exhausted")
;; after exhaustion the store is usable again, at full depth
(assert_return (invoke "sum" (i32.const 1000)) (i32.const 500500))
(assert_exhaustion (invoke "runaway") "call stack exhausted")
(assert_return (invoke "sum" (i32.const 100)) (i32.const 5050))

;; Traps in a module's start function surface at instantiation (see linking.wast for effects).
(assert_trap (module (memory 0) (func $s (drop (i32.load (i32.const 0)))) (start $s)) "out of bounds memory access")
(assert_trap (module (func $s (call $s)) (start $s)) "call stack exhausted")
