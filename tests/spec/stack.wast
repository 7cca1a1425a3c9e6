;; Owned by: spectest. Operand-stack and frame bookkeeping: branches that carry several values out of
;; deep stacks, br_table with values, deep expression trees, functions with many parameters and locals
;; of every type (zero-initialised), local.tee, and left-to-right evaluation of operands with side
;; effects. These catch a wrong stack height or slot assignment in the interpreter's internal form.

(module
  (memory 1)
  (global $log (mut i64) (i64.const 0))

  ;; Appends a digit to $log and returns its argument: records evaluation order.
  (func $note (param $d i32) (result i32)
    (global.set $log (i64.add (i64.mul (global.get $log) (i64.const 10)) (i64.extend_i32_u (local.get $d))))
    (local.get $d))
  (func (export "reset") (global.set $log (i64.const 0)))
  (func (export "log") (result i64) (global.get $log))

  (func (export "order-binary") (result i32)
    (i32.sub (call $note (i32.const 1)) (call $note (i32.const 2))))
  (func (export "order-store")
    (i32.store (call $note (i32.const 3)) (call $note (i32.const 4))))
  (func (export "order-select") (result i32)
    (select (call $note (i32.const 5)) (call $note (i32.const 6)) (call $note (i32.const 7))))
  (func (export "order-call") (result i32)
    (call $three-args (call $note (i32.const 1)) (call $note (i32.const 2)) (call $note (i32.const 3))))
  (func $three-args (param i32 i32 i32) (result i32)
    (i32.add (i32.mul (local.get 0) (i32.const 100)) (i32.add (i32.mul (local.get 1) (i32.const 10)) (local.get 2))))
  (func (export "order-br_if") (result i32)
    (block (result i32)
      (br_if 0 (call $note (i32.const 8)) (call $note (i32.const 9)))))

  ;; Leaving several nested blocks with values while extra values sit below on the stack.
  (func (export "br-deep") (param i32) (result i32 i32)
    (i32.const 1000)
    (block (result i32 i32)
      (i32.const 1) (i32.const 2) (i32.const 3)
      (block (result i32 i32)
        (i32.const 4) (i32.const 5)
        (block
          (br_if 2 (i32.const 6) (i32.const 7) (local.get 0))
          (drop) (drop))
        (i32.const 8) (i32.const 9)
        (br 0))
      (br 0))
    (i32.add))

  ;; br_table carrying two values; every target gets both.
  (func (export "br_table-pair") (param i32) (result i32)
    (local $a i32) (local $b i32)
    (block $x (result i32 i32)
      (block $y (result i32 i32)
        (br_table $x $y $x (i32.const 3) (i32.const 4) (local.get 0)))
      (local.set $b) (local.set $a)
      (return (i32.add (i32.mul (local.get $a) (i32.const 100)) (local.get $b))))
    (local.set $b) (local.set $a)
    (i32.add (i32.mul (local.get $a) (i32.const 10)) (local.get $b)))

  ;; A loop whose body leaves a value below the branch each iteration: the branch must discard it.
  (func (export "loop-discard") (result i32)
    (local $i i32)
    (loop $l
      (i32.const 99)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1000)))
      (drop))
    (local.get $i))

  ;; A deep expression tree (needs a deep operand stack at one point).
  (func (export "deep-expr") (param $x i32) (result i32)
    (i32.add (local.get $x) (i32.add (local.get $x) (i32.add (local.get $x) (i32.add (local.get $x)
    (i32.add (local.get $x) (i32.add (local.get $x) (i32.add (local.get $x) (i32.add (local.get $x)
    (i32.add (local.get $x) (i32.add (local.get $x) (i32.add (local.get $x) (i32.add (local.get $x)
    (i32.add (local.get $x) (i32.add (local.get $x) (i32.add (local.get $x) (i32.add (local.get $x)
    (i32.add (local.get $x) (i32.add (local.get $x) (i32.add (local.get $x) (i32.add (local.get $x)
    (i32.add (local.get $x) (i32.add (local.get $x) (i32.add (local.get $x) (i32.add (local.get $x)
    (i32.add (local.get $x) (i32.add (local.get $x) (i32.add (local.get $x) (i32.add (local.get $x)
    (i32.add (local.get $x) (i32.add (local.get $x) (i32.add (local.get $x) (local.get $x)
    ))))))))))))))))))))))))))))))))

  ;; Many parameters of mixed types; the result reads the last ones.
  (func $many (param i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64 i32) (result i64)
    (i64.add (i64.add (local.get 13) (i64.extend_i32_s (local.get 16)))
             (i64.trunc_f64_s (f64.add (local.get 15) (f64.promote_f32 (local.get 14))))))
  (func (export "many-params") (result i64)
    (call $many (i32.const 1) (i64.const 2) (f32.const 3) (f64.const 4) (i32.const 5) (i64.const 6)
                (f32.const 7) (f64.const 8) (i32.const 9) (i64.const 10) (f32.const 11) (f64.const 12)
                (i32.const 13) (i64.const 1400) (f32.const 0.5) (f64.const 16.5) (i32.const -17)))

  ;; Locals of every type start at zero / null, after the parameters.
  (func (export "locals-zero") (param i32) (result i32)
    (local i32 i64 f32 f64 funcref externref)
    (i32.and
      (i32.and (i32.eqz (local.get 1)) (i64.eqz (local.get 2)))
      (i32.and
        (i32.and (i32.eq (i32.reinterpret_f32 (local.get 3)) (i32.const 0))
                 (i64.eq (i64.reinterpret_f64 (local.get 4)) (i64.const 0)))
        (i32.and (ref.is_null (local.get 5)) (ref.is_null (local.get 6))))))
  (func (export "many-locals") (result i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
           i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local.set 0 (i64.const 1))
    (local.set 39 (i64.const 2))
    (local.set 20 (i64.add (local.get 0) (local.get 39)))
    (i64.add (local.get 20) (local.get 38)))

  (func (export "tee") (param i32) (result i32)
    (local $t i32)
    (i32.add (local.tee $t (i32.mul (local.get 0) (i32.const 3))) (local.get $t)))

  ;; if/else producing values from inside loops and blocks.
  (func (export "collatz-steps") (param $n i64) (result i32)
    (local $steps i32)
    (block $done
      (loop $l
        (br_if $done (i64.le_u (local.get $n) (i64.const 1)))
        (local.set $n
          (if (result i64) (i64.eqz (i64.rem_u (local.get $n) (i64.const 2)))
            (then (i64.shr_u (local.get $n) (i64.const 1)))
            (else (i64.add (i64.mul (local.get $n) (i64.const 3)) (i64.const 1)))))
        (local.set $steps (i32.add (local.get $steps) (i32.const 1)))
        (br $l)))
    (local.get $steps))
)

(invoke "reset")
(assert_return (invoke "order-binary") (i32.const -1))
(assert_return (invoke "log") (i64.const 12))
(invoke "reset")
(invoke "order-store")
(assert_return (invoke "log") (i64.const 34))
(invoke "reset")
(assert_return (invoke "order-select") (i32.const 5))
(assert_return (invoke "log") (i64.const 567))
(invoke "reset")
(assert_return (invoke "order-call") (i32.const 123))
(assert_return (invoke "log") (i64.const 123))
(invoke "reset")
(assert_return (invoke "order-br_if") (i32.const 8))
(assert_return (invoke "log") (i64.const 89))

(assert_return (invoke "br-deep" (i32.const 1)) (i32.const 1000) (i32.const 13))
(assert_return (invoke "br-deep" (i32.const 0)) (i32.const 1000) (i32.const 17))
(assert_return (invoke "br_table-pair" (i32.const 0)) (i32.const 34))
(assert_return (invoke "br_table-pair" (i32.const 1)) (i32.const 304))
(assert_return (invoke "br_table-pair" (i32.const 2)) (i32.const 34))
(assert_return (invoke "br_table-pair" (i32.const 7)) (i32.const 34))
(assert_return (invoke "loop-discard") (i32.const 1000))
(assert_return (invoke "deep-expr" (i32.const 3)) (i32.const 96))
(assert_return (invoke "many-params") (i64.const 1400))
(assert_return (invoke "locals-zero" (i32.const 5)) (i32.const 1))
(assert_return (invoke "many-locals") (i64.const 3))
(assert_return (invoke "tee" (i32.const 7)) (i32.const 42))
(assert_return (invoke "collatz-steps" (i64.const 27)) (i32.const 111))
(assert_return (invoke "collatz-steps" (i64.const 1)) (i32.const 0))
