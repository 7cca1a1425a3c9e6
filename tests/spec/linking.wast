;; Owned by: spectest. Globals, imports, exports and linking: the spectest host module, mutable global
;; import/export shared between instances, memories and tables shared across modules, register,
;; import type checking (unlinkable), start functions, and instantiation failures whose effects on
;; shared state stay visible (the spec's partial-initialisation rule).

;; The spectest host module. Its float globals are 666.6 as in the reference interpreter (wabt's own
;; spectest-interp uses 666.0, so these two assertions fail there, not here).
(module
  (import "spectest" "print_i32" (func $print_i32 (param i32)))
  (import "spectest" "print_f64_f64" (func $print_f64_f64 (param f64 f64)))
  (import "spectest" "global_i32" (global $gi32 i32))
  (import "spectest" "global_i64" (global $gi64 i64))
  (import "spectest" "global_f32" (global $gf32 f32))
  (import "spectest" "global_f64" (global $gf64 f64))
  (import "spectest" "table" (table 10 20 funcref))
  (import "spectest" "memory" (memory 1 2))
  (func (export "print") (call $print_i32 (i32.const 1)) (call $print_f64_f64 (f64.const 1) (f64.const 2)))
  (func (export "gi32") (result i32) (global.get $gi32))
  (func (export "gi64") (result i64) (global.get $gi64))
  (func (export "gf32") (result f32) (global.get $gf32))
  (func (export "gf64") (result f64) (global.get $gf64))
  (func (export "table-size") (result i32) (table.size 0))
  (func (export "memory-size") (result i32) (memory.size))
  (func (export "memory-grow") (param i32) (result i32) (memory.grow (local.get 0)))
)
(invoke "print")
(assert_return (invoke "gi32") (i32.const 666))
(assert_return (invoke "gi64") (i64.const 666))
(assert_return (invoke "gf32") (f32.const 666.6))
(assert_return (invoke "gf64") (f64.const 666.6))
(assert_return (invoke "table-size") (i32.const 10))
(assert_return (invoke "memory-size") (i32.const 1))
(assert_return (invoke "memory-grow" (i32.const 1)) (i32.const 1))
(assert_return (invoke "memory-grow" (i32.const 1)) (i32.const -1))

;; Globals: initialisers from imported globals, mutation, exports read with `get`.
(module $G
  (import "spectest" "global_i32" (global $base i32))
  (global $g (export "g") (mut i32) (i32.const 10))
  (global $derived (export "derived") i32 (global.get $base))
  (global $f (export "f") (mut f64) (f64.const -0))
  (global $r (export "r") (mut externref) (ref.null extern))
  (func (export "set") (param i32) (global.set $g (local.get 0)))
  (func (export "get") (result i32) (global.get $g))
  (func (export "set-r") (param externref) (global.set $r (local.get 0)))
)
(assert_return (get "g") (i32.const 10))
(assert_return (get "derived") (i32.const 666))
(assert_return (get "f") (f64.const -0))
(assert_return (get "r") (ref.null extern))
(invoke "set" (i32.const 99))
(assert_return (get "g") (i32.const 99))
(invoke "set-r" (ref.extern 5))
(assert_return (get "r") (ref.extern 5))
(register "G" $G)

;; A mutable global imported by another module is the same global, not a copy.
(module $H
  (import "G" "g" (global $g (mut i32)))
  (func (export "bump") (global.set $g (i32.add (global.get $g) (i32.const 1))))
  (func (export "read") (result i32) (global.get $g))
)
(invoke $H "bump")
(assert_return (invoke $H "read") (i32.const 100))
(assert_return (invoke $G "get") (i32.const 100))
(invoke $G "set" (i32.const 5))
(assert_return (invoke $H "read") (i32.const 5))

;; Memories and tables shared across modules.
(module $M
  (memory (export "mem") 1 4)
  (table (export "tab") 4 funcref)
  (func $seven (result i32) (i32.const 7))
  (elem (i32.const 0) $seven)
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))
)
(register "M" $M)
(module $N
  (import "M" "mem" (memory 1))
  (import "M" "tab" (table 1 funcref))
  (func $eight (result i32) (i32.const 8))
  (elem (i32.const 1) $eight)
  (data (i32.const 10) "\2a")
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
)
(assert_return (invoke $M "load" (i32.const 10)) (i32.const 42))
(assert_return (invoke $M "call" (i32.const 0)) (i32.const 7))
(assert_return (invoke $M "call" (i32.const 1)) (i32.const 8))
(assert_return (invoke $N "grow") (i32.const 1))

;; Import type checks: every mismatch makes the module unlinkable.
(assert_unlinkable (module (import "M" "nope" (func))) "unknown import")
(assert_unlinkable (module (import "nope" "mem" (memory 1))) "unknown import")
(assert_unlinkable (module (import "M" "mem" (table 1 funcref))) "incompatible import type")
(assert_unlinkable (module (import "M" "mem" (memory 3))) "incompatible import type")
(assert_unlinkable (module (import "M" "mem" (memory 1 3))) "incompatible import type")
(module (import "M" "mem" (memory 2 4)))
(assert_unlinkable (module (import "M" "tab" (table 5 funcref))) "incompatible import type")
(assert_unlinkable (module (import "M" "tab" (table 1 externref))) "incompatible import type")
(assert_unlinkable (module (import "G" "g" (global i32))) "incompatible import type")
(assert_unlinkable (module (import "G" "derived" (global (mut i32)))) "incompatible import type")
(assert_unlinkable (module (import "G" "g" (global (mut i64)))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i64)))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i32) (result i32)))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "global_i32" (func))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "memory" (memory 1 1))) "incompatible import type")

;; Functions re-exported and called through another module keep their identity.
(module $F
  (func (export "f") (result i32) (i32.const 11))
)
(register "F" $F)
(module
  (import "F" "f" (func $f (result i32)))
  (export "f-again" (func $f))
  (table funcref (elem $f))
  (func (export "via-table") (result i32) (call_indirect (result i32) (i32.const 0)))
)
(assert_return (invoke "f-again") (i32.const 11))
(assert_return (invoke "via-table") (i32.const 11))

;; The start function runs at instantiation, after the segments are in place.
(module
  (memory 1)
  (data (i32.const 0) "\05")
  (global $g (mut i32) (i32.const 0))
  (func $start (global.set $g (i32.add (i32.load8_u (i32.const 0)) (i32.const 1))))
  (start $start)
  (func (export "g") (result i32) (global.get $g))
)
(assert_return (invoke "g") (i32.const 6))

;; A trapping start function makes instantiation fail...
(assert_trap (module (func $s (unreachable)) (start $s)) "unreachable")
;; ...but what it wrote into an imported memory before trapping stays written.
(assert_trap
  (module
    (import "M" "mem" (memory 1))
    (func $s (i32.store8 (i32.const 20) (i32.const 99)) (unreachable))
    (start $s))
  "unreachable")
(assert_return (invoke $M "load" (i32.const 20)) (i32.const 99))

;; Segments are applied in order; a segment that does not fit stops instantiation, and the earlier
;; segments' writes to shared memory remain.
(assert_trap
  (module
    (import "M" "mem" (memory 1))
    (data (i32.const 30) "\01")
    (data (i32.const 0x7ffff) "\02\03"))
  "out of bounds memory access")
(assert_return (invoke $M "load" (i32.const 30)) (i32.const 1))

;; Validation of globals and exports.
(assert_invalid (module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1)))) "global is immutable")
(assert_invalid (module (global i32 (i64.const 0))) "type mismatch")
(assert_invalid (module (global i32 (i32.add (i32.const 1) (i32.const 2)))) "constant expression required")
(assert_invalid (module (global $a i32 (i32.const 0)) (global i32 (global.get $a))) "unknown global")
(assert_invalid (module (global i32 (global.get 1)) (global i32 (i32.const 0))) "unknown global")
(assert_invalid (module (func) (export "a" (func 0)) (export "a" (func 0))) "duplicate export name")
(assert_invalid (module (start 0)) "unknown function")
(assert_invalid (module (func (param i32)) (start 0)) "start function")
