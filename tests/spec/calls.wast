;; Owned by: spectest. Direct and indirect calls: argument order, locals zero-initialised per call,
;; recursion and mutual recursion, call_indirect type checks (structural type equality, even across
;; type indices), and the three call_indirect traps.

(module
  (type $i32->i32 (func (param i32) (result i32)))
  (type $i32->i32-dup (func (param i32) (result i32)))
  (type $->i64 (func (result i64)))
  (type $many (func (param i32 i64 f32 f64 i32) (result f64)))

  (table funcref (elem $double $fac $wrong-type $null-slot-placeholder $many-args))

  (func $double (type $i32->i32) (i32.mul (local.get 0) (i32.const 2)))
  (func $fac (type $i32->i32)
    (if (result i32) (i32.le_u (local.get 0) (i32.const 1))
      (then (i32.const 1))
      (else (i32.mul (local.get 0) (call $fac (i32.sub (local.get 0) (i32.const 1)))))))
  (func $wrong-type (type $->i64) (i64.const 5))
  (func $null-slot-placeholder (type $->i64) (i64.const 6))
  ;; Arguments arrive in order and keep their types.
  (func $many-args (type $many)
    (f64.add
      (f64.add (f64.convert_i32_s (local.get 0)) (f64.convert_i64_s (local.get 1)))
      (f64.add (f64.promote_f32 (local.get 2))
               (f64.sub (local.get 3) (f64.convert_i32_s (local.get 4))))))

  (func (export "call-many") (result f64)
    (call $many-args (i32.const 1) (i64.const 20) (f32.const 300) (f64.const 4000) (i32.const 50000)))
  (func (export "fac") (param i32) (result i32) (call $fac (local.get 0)))

  ;; Locals start at zero in every activation, even after a previous call set them.
  (func $dirty (param i32) (result i32) (local i32 i64)
    (local.set 1 (i32.add (local.get 1) (local.get 0)))
    (local.get 1))
  (func (export "locals-fresh") (result i32)
    (drop (call $dirty (i32.const 5)))
    (call $dirty (i32.const 7)))

  (func $even (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 0))
      (else (call $even (i64.sub (local.get 0) (i64.const 1))))))
  (func (export "even") (param i64) (result i32) (call $even (local.get 0)))

  (func (export "indirect") (param i32 i32) (result i32)
    (call_indirect (type $i32->i32) (local.get 1) (local.get 0)))
  ;; A different but structurally equal type index matches the same functions.
  (func (export "indirect-dup") (param i32 i32) (result i32)
    (call_indirect (type $i32->i32-dup) (local.get 1) (local.get 0)))
  (func (export "indirect-i64") (param i32) (result i64)
    (call_indirect (type $->i64) (local.get 0)))
  (func (export "indirect-many") (param i32) (result f64)
    (call_indirect (type $many)
      (i32.const 1) (i64.const 2) (f32.const 3) (f64.const 4) (i32.const 5) (local.get 0)))

  (func (export "clear") (param i32) (table.set 0 (local.get 0) (ref.null func)))

  ;; A call's results feed an expression directly (stack discipline around calls).
  (func (export "nested") (result i32)
    (i32.add (call $double (call $double (i32.const 3))) (call $fac (i32.const 4))))
)

(assert_return (invoke "call-many") (f64.const -45679))
(assert_return (invoke "fac" (i32.const 0)) (i32.const 1))
(assert_return (invoke "fac" (i32.const 10)) (i32.const 3628800))
(assert_return (invoke "locals-fresh") (i32.const 7))
(assert_return (invoke "even" (i64.const 1000)) (i32.const 1))
(assert_return (invoke "even" (i64.const 777)) (i32.const 0))
(assert_return (invoke "indirect" (i32.const 0) (i32.const 21)) (i32.const 42))
(assert_return (invoke "indirect" (i32.const 1) (i32.const 5)) (i32.const 120))
(assert_return (invoke "indirect-dup" (i32.const 0) (i32.const 4)) (i32.const 8))
(assert_return (invoke "indirect-i64" (i32.const 2)) (i64.const 5))
(assert_return (invoke "indirect-many" (i32.const 4)) (f64.const 5))
(assert_return (invoke "nested") (i32.const 36))
(assert_trap (invoke "indirect" (i32.const 2) (i32.const 0)) "indirect call type mismatch")
(assert_trap (invoke "indirect-i64" (i32.const 0)) "indirect call type mismatch")
(assert_trap (invoke "indirect-many" (i32.const 0)) "indirect call type mismatch")
(assert_trap (invoke "indirect" (i32.const 5) (i32.const 0)) "undefined element")
(assert_trap (invoke "indirect" (i32.const -1) (i32.const 0)) "undefined element")
(invoke "clear" (i32.const 3))
(assert_trap (invoke "indirect-i64" (i32.const 3)) "uninitialized element")

;; call_indirect across modules: the signature check compares types, not type indices of one module.
(module $A
  (type (func (param i32) (result i32)))
  (table (export "tab") 2 funcref)
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (elem (i32.const 0) $inc)
)
(register "A" $A)
(module
  (type $other (func (param f32)))
  (type $same (func (param i32) (result i32)))
  (import "A" "tab" (table 2 funcref))
  (func (export "call") (param i32) (result i32) (call_indirect (type $same) (local.get 0) (i32.const 0)))
  (func (export "call-wrong") (call_indirect (type $other) (f32.const 0) (i32.const 0)))
)
(assert_return (invoke "call" (i32.const 41)) (i32.const 42))
(assert_trap (invoke "call-wrong") "indirect call type mismatch")

;; Validation.
(assert_invalid (module (func $f (param i32)) (func (call $f))) "type mismatch")
(assert_invalid (module (func (call 5))) "unknown function")
(assert_invalid (module (type (func)) (func (call_indirect (type 0) (i32.const 0)))) "unknown table")
(assert_invalid
  (module (type (func)) (table 1 funcref) (func (call_indirect (type 1) (i32.const 0))))
  "unknown type")
(assert_invalid
  (module (type (func)) (table 1 funcref) (func (call_indirect (type 0) (i64.const 0))))
  "type mismatch")
