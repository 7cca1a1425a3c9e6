;; Owned by: spectest. Structured control flow and multi-value: blocks, loops, if/else, br, br_if,
;; br_table, return, block parameters and results, multi-value functions. Each function isolates one
;; rule so a failure names the rule.

(module
  (type $i32->i32 (func (param i32) (result i32)))
  (type $->i32i32 (func (result i32 i32)))
  (type $i32i32->i32 (func (param i32 i32) (result i32)))

  ;; A block's result is what is on its stack at `end`.
  (func (export "block-value") (result i32)
    (block (result i32) (i32.const 7)))

  ;; br carries the label's arity and discards whatever else is on the stack.
  (func (export "br-discards") (result i32)
    (block (result i32)
      (i32.const 1) (i32.const 2) (i32.const 3)
      (br 0 (i32.const 9))
      (drop) (drop)))

  ;; Branching to a loop label jumps back to its start (the loop has no result at its label).
  (func (export "loop-sum") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $again)))
    (local.get $acc))

  ;; A loop with a result falls through its end with that result.
  (func (export "loop-fallthrough") (result i32)
    (loop (result i32) (i32.const 5)))

  (func (export "if-else") (param i32) (result i32)
    (if (result i32) (local.get 0) (then (i32.const 10)) (else (i32.const 20))))

  ;; An `if` without `else` and without a result; the condition is any non-zero i32.
  (func (export "if-no-else") (param i32) (result i32)
    (local $r i32)
    (local.set $r (i32.const 1))
    (if (local.get 0) (then (local.set $r (i32.const 2))))
    (local.get $r))

  ;; br_if leaves its value on the stack when not taken.
  (func (export "br_if-not-taken") (result i32)
    (block (result i32)
      (drop (br_if 0 (i32.const 3) (i32.const 0)))
      (i32.const 4)))
  (func (export "br_if-taken") (result i32)
    (block (result i32)
      (drop (br_if 0 (i32.const 3) (i32.const 1)))
      (i32.const 4)))

  ;; br_table: in-range indices pick their label; anything else (including huge unsigned values)
  ;; takes the default.
  (func (export "br_table") (param i32) (result i32)
    (block $d
      (block $c
        (block $b
          (block $a
            (br_table $a $b $c $d (local.get 0)))
          (return (i32.const 100)))
        (return (i32.const 101)))
      (return (i32.const 102)))
    (i32.const 103))

  ;; br_table with a value for every target.
  (func (export "br_table-value") (param i32) (result i32)
    (block $outer (result i32)
      (block $inner (result i32)
        (br_table $inner $outer $inner (i32.const 50) (local.get 0)))
      (i32.const 1)
      (i32.add)))

  ;; return from deep inside nested blocks and loops.
  (func (export "return-nested") (param i32) (result i32)
    (block
      (loop
        (block
          (if (local.get 0) (then (return (i32.const 77)))))))
    (i32.const 88))

  ;; Multi-value: a function returning two values, and a call consuming them.
  (func $pair (type $->i32i32) (i32.const 6) (i32.const 7))
  (func (export "pair") (type $->i32i32) (call $pair))
  (func (export "pair-sub") (result i32) (call $pair) (i32.sub))

  ;; Multi-value blocks: parameters come from the enclosing stack, results go back to it.
  (func (export "block-params") (result i32)
    (i32.const 10) (i32.const 3)
    (block (type $i32i32->i32) (i32.sub)))

  ;; A loop with parameters: branching to it passes new parameters.
  (func (export "loop-params") (param $n i32) (result i32)
    ;; computes n! with the accumulator and counter as loop parameters
    (i32.const 1) (local.get $n)
    (loop $l (param i32 i32) (result i32)
      (local.set $n)
      (local.get $n) (i32.mul)
      (local.get $n) (i32.const 1) (i32.sub)
      (local.tee $n)
      (br_if $l (i32.gt_u (local.get $n) (i32.const 1)))
      (drop)))

  ;; An if with parameters, using both arms.
  (func (export "if-params") (param i32) (result i32)
    (i32.const 20) (i32.const 5)
    (if (type $i32i32->i32) (local.get 0)
      (then (i32.add))
      (else (i32.sub))))

  ;; A block returning several values, branched out of with all of them.
  (func (export "block-multi-br") (result i32 i64 f32)
    (block (result i32 i64 f32)
      (br 0 (i32.const 1) (i64.const 2) (f32.const 3))))

  ;; Functions with many results and mixed types keep their order.
  (func (export "swap") (param i64 f64) (result f64 i64) (local.get 1) (local.get 0))

  ;; select, untyped and typed.
  (func (export "select") (param i32) (result i32)
    (select (i32.const 11) (i32.const 22) (local.get 0)))
  (func (export "select-f64") (param i32) (result f64)
    (select (result f64) (f64.const 1.5) (f64.const -2.5) (local.get 0)))

  ;; unreachable code after br/return need not type-check against a real stack.
  (func (export "dead-code") (result i32)
    (block (result i32)
      (br 0 (i32.const 42))
      (f32.add) (drop) (i64.eqz)))

  (func (export "nop") (result i32) (nop) (i32.const 1) (nop))
)

(assert_return (invoke "block-value") (i32.const 7))
(assert_return (invoke "br-discards") (i32.const 9))
(assert_return (invoke "loop-sum" (i32.const 0)) (i32.const 0))
(assert_return (invoke "loop-sum" (i32.const 100)) (i32.const 5050))
(assert_return (invoke "loop-fallthrough") (i32.const 5))
(assert_return (invoke "if-else" (i32.const 1)) (i32.const 10))
(assert_return (invoke "if-else" (i32.const 0)) (i32.const 20))
(assert_return (invoke "if-else" (i32.const -1)) (i32.const 10))
(assert_return (invoke "if-no-else" (i32.const 0)) (i32.const 1))
(assert_return (invoke "if-no-else" (i32.const 0x80000000)) (i32.const 2))
(assert_return (invoke "br_if-not-taken") (i32.const 4))
(assert_return (invoke "br_if-taken") (i32.const 3))
(assert_return (invoke "br_table" (i32.const 0)) (i32.const 100))
(assert_return (invoke "br_table" (i32.const 1)) (i32.const 101))
(assert_return (invoke "br_table" (i32.const 2)) (i32.const 102))
(assert_return (invoke "br_table" (i32.const 3)) (i32.const 103))
(assert_return (invoke "br_table" (i32.const 4)) (i32.const 103))
(assert_return (invoke "br_table" (i32.const -1)) (i32.const 103))
(assert_return (invoke "br_table" (i32.const 0x7fffffff)) (i32.const 103))
(assert_return (invoke "br_table-value" (i32.const 0)) (i32.const 51))
(assert_return (invoke "br_table-value" (i32.const 1)) (i32.const 50))
(assert_return (invoke "br_table-value" (i32.const 2)) (i32.const 51))
(assert_return (invoke "br_table-value" (i32.const 99)) (i32.const 51))
(assert_return (invoke "return-nested" (i32.const 1)) (i32.const 77))
(assert_return (invoke "return-nested" (i32.const 0)) (i32.const 88))
(assert_return (invoke "pair") (i32.const 6) (i32.const 7))
(assert_return (invoke "pair-sub") (i32.const -1))
(assert_return (invoke "block-params") (i32.const 7))
(assert_return (invoke "loop-params" (i32.const 5)) (i32.const 120))
(assert_return (invoke "loop-params" (i32.const 10)) (i32.const 3628800))
(assert_return (invoke "if-params" (i32.const 1)) (i32.const 25))
(assert_return (invoke "if-params" (i32.const 0)) (i32.const 15))
(assert_return (invoke "block-multi-br") (i32.const 1) (i64.const 2) (f32.const 3))
(assert_return (invoke "swap" (i64.const -5) (f64.const 0.25)) (f64.const 0.25) (i64.const -5))
(assert_return (invoke "select" (i32.const 1)) (i32.const 11))
(assert_return (invoke "select" (i32.const 0)) (i32.const 22))
(assert_return (invoke "select-f64" (i32.const 2)) (f64.const 1.5))
(assert_return (invoke "select-f64" (i32.const 0)) (f64.const -2.5))
(assert_return (invoke "dead-code") (i32.const 42))
(assert_return (invoke "nop") (i32.const 1))

;; Validation of control constructs.
(assert_invalid
  (module (func (result i32) (block (result i32) (i64.const 1))))
  "type mismatch")
(assert_invalid
  (module (func (result i32) (block (result i32))))
  "type mismatch")
(assert_invalid
  (module (func (block (i32.const 1))))
  "type mismatch")
(assert_invalid
  (module (func (br 1)))
  "unknown label")
(assert_invalid
  (module (func (result i32) (if (result i32) (i32.const 1) (then (i32.const 1)))))
  "type mismatch")
(assert_invalid
  (module (func (block $a (result i32) (block $b (result i64)
    (br_table $a $b (i32.const 0) (i32.const 0)) (i64.const 0)) (drop) (i32.const 0)) (drop)))
  "type mismatch")
(assert_invalid
  (module (func (param i32) (result i32) (br_if 0 (local.get 0))))
  "type mismatch")
(assert_invalid
  (module (func (result i32 i32) (i32.const 1)))
  "type mismatch")
(assert_invalid
  (module (func (result i32) (select (i32.const 1) (i64.const 2) (i32.const 0))))
  "type mismatch")
(assert_invalid
  (module (func (result funcref) (select (ref.null func) (ref.null func) (i32.const 0))))
  "type mismatch")
