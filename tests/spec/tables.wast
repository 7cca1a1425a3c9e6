;; Owned by: spectest. Tables and reference types: funcref/externref values crossing the host
;; boundary, ref.null/ref.is_null/ref.func, several tables, table.get/set/size/grow/fill/copy/init,
;; elem.drop, element segments (active, passive, declarative), and their bounds traps.

(module
  (table $t0 3 10 funcref)
  (table $t1 2 externref)
  (table $t2 0 funcref)

  (func $f1 (result i32) (i32.const 1))
  (func $f2 (result i32) (i32.const 2))
  (func $f3 (result i32) (i32.const 3))
  (elem (table $t0) (i32.const 1) func $f1 $f2)
  (elem $pass funcref (ref.func $f3) (ref.null func) (ref.func $f1))
  (elem declare func $f3)

  (type $ret-i32 (func (result i32)))

  ;; externref values are opaque to wasm: they come back exactly as given.
  (func (export "extern-id") (param externref) (result externref) (local.get 0))
  (func (export "extern-is-null") (param externref) (result i32) (ref.is_null (local.get 0)))
  (func (export "null-func") (result funcref) (ref.null func))
  (func (export "null-extern") (result externref) (ref.null extern))
  (func (export "func-is-null") (result i32) (ref.is_null (ref.func $f3)))
  (func (export "ref-func") (result funcref) (ref.func $f3))

  (func (export "get0-is-null") (param i32) (result i32) (ref.is_null (table.get $t0 (local.get 0))))
  (func (export "call0") (param i32) (result i32) (call_indirect $t0 (type $ret-i32) (local.get 0)))
  (func (export "set0-f3") (param i32) (table.set $t0 (local.get 0) (ref.func $f3)))
  (func (export "set0-null") (param i32) (table.set $t0 (local.get 0) (ref.null func)))
  (func (export "size0") (result i32) (table.size $t0))
  (func (export "grow0") (param i32) (result i32) (table.grow $t0 (ref.func $f1) (local.get 0)))
  (func (export "fill0") (param i32 i32) (table.fill $t0 (local.get 0) (ref.func $f2) (local.get 1)))
  (func (export "copy0") (param i32 i32 i32) (table.copy $t0 $t0 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init0") (param i32 i32 i32) (table.init $t0 $pass (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop-pass") (elem.drop $pass))

  (func (export "get1") (param i32) (result externref) (table.get $t1 (local.get 0)))
  (func (export "set1") (param i32 externref) (table.set $t1 (local.get 0) (local.get 1)))
  (func (export "size1") (result i32) (table.size $t1))
  (func (export "grow1") (param externref i32) (result i32) (table.grow $t1 (local.get 0) (local.get 1)))
  (func (export "fill1") (param i32 externref i32) (table.fill $t1 (local.get 0) (local.get 1) (local.get 2)))

  (func (export "size2") (result i32) (table.size $t2))
  (func (export "grow2") (param i32) (result i32) (table.grow $t2 (ref.null func) (local.get 0)))
  (func (export "copy2-from0") (param i32 i32 i32) (table.copy $t2 $t0 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "call2") (param i32) (result i32) (call_indirect $t2 (type $ret-i32) (local.get 0)))

  (func (export "select-ref") (param externref externref i32) (result externref)
    (select (result externref) (local.get 0) (local.get 1) (local.get 2)))
)

;; references across the host boundary
(assert_return (invoke "extern-id" (ref.extern 1)) (ref.extern 1))
(assert_return (invoke "extern-id" (ref.extern 0)) (ref.extern 0))
(assert_return (invoke "extern-id" (ref.null extern)) (ref.null extern))
(assert_return (invoke "extern-is-null" (ref.null extern)) (i32.const 0x1))
(assert_return (invoke "extern-is-null" (ref.extern 0)) (i32.const 0))
(assert_return (invoke "null-func") (ref.null func))
(assert_return (invoke "null-extern") (ref.null extern))
(assert_return (invoke "func-is-null") (i32.const 0))
(assert_return (invoke "select-ref" (ref.extern 1) (ref.extern 2) (i32.const 1)) (ref.extern 1))
(assert_return (invoke "select-ref" (ref.extern 1) (ref.null extern) (i32.const 0)) (ref.null extern))

;; active segment placement and call_indirect through the table
(assert_return (invoke "get0-is-null" (i32.const 0)) (i32.const 1))
(assert_return (invoke "get0-is-null" (i32.const 1)) (i32.const 0))
(assert_return (invoke "call0" (i32.const 1)) (i32.const 1))
(assert_return (invoke "call0" (i32.const 2)) (i32.const 2))
(assert_trap (invoke "call0" (i32.const 0)) "uninitialized element")
(assert_trap (invoke "call0" (i32.const 3)) "undefined element")
(assert_trap (invoke "get0-is-null" (i32.const 3)) "out of bounds table access")

;; table.set / table.grow / table.size
(invoke "set0-f3" (i32.const 0))
(assert_return (invoke "call0" (i32.const 0)) (i32.const 3))
(invoke "set0-null" (i32.const 0))
(assert_trap (invoke "call0" (i32.const 0)) "uninitialized element")
(assert_trap (invoke "set0-f3" (i32.const 3)) "out of bounds table access")
(assert_return (invoke "size0") (i32.const 3))
(assert_return (invoke "grow0" (i32.const 2)) (i32.const 3))
(assert_return (invoke "size0") (i32.const 5))
(assert_return (invoke "call0" (i32.const 4)) (i32.const 1))
(assert_return (invoke "grow0" (i32.const 6)) (i32.const -1))
(assert_return (invoke "grow0" (i32.const 5)) (i32.const 5))
(assert_return (invoke "grow0" (i32.const 0)) (i32.const 10))
(assert_return (invoke "grow0" (i32.const 1)) (i32.const -1))
(assert_return (invoke "size0") (i32.const 10))

;; table.fill
(invoke "fill0" (i32.const 7) (i32.const 3))
(assert_return (invoke "call0" (i32.const 9)) (i32.const 2))
(invoke "fill0" (i32.const 10) (i32.const 0))
(assert_trap (invoke "fill0" (i32.const 11) (i32.const 0)) "out of bounds table access")
(assert_trap (invoke "fill0" (i32.const 9) (i32.const 2)) "out of bounds table access")

;; table.copy with overlap: [1]=f1 [2]=f2 -> copy 2 elements from 1 to 2
(invoke "copy0" (i32.const 2) (i32.const 1) (i32.const 2))
(assert_return (invoke "call0" (i32.const 2)) (i32.const 1))
(assert_return (invoke "call0" (i32.const 3)) (i32.const 2))
(invoke "copy0" (i32.const 1) (i32.const 2) (i32.const 2))
(assert_return (invoke "call0" (i32.const 1)) (i32.const 1))
(assert_return (invoke "call0" (i32.const 2)) (i32.const 2))
(invoke "copy0" (i32.const 10) (i32.const 0) (i32.const 0))
(assert_trap (invoke "copy0" (i32.const 11) (i32.const 0) (i32.const 0)) "out of bounds table access")
(assert_trap (invoke "copy0" (i32.const 0) (i32.const 9) (i32.const 2)) "out of bounds table access")

;; table.init from a passive segment, then elem.drop
(invoke "init0" (i32.const 5) (i32.const 0) (i32.const 3))
(assert_return (invoke "call0" (i32.const 5)) (i32.const 3))
(assert_trap (invoke "call0" (i32.const 6)) "uninitialized element")
(assert_return (invoke "call0" (i32.const 7)) (i32.const 1))
(assert_trap (invoke "init0" (i32.const 0) (i32.const 2) (i32.const 2)) "out of bounds table access")
(assert_trap (invoke "init0" (i32.const 9) (i32.const 0) (i32.const 2)) "out of bounds table access")
(invoke "drop-pass")
(invoke "init0" (i32.const 0) (i32.const 0) (i32.const 0))
(assert_trap (invoke "init0" (i32.const 0) (i32.const 0) (i32.const 1)) "out of bounds table access")

;; an externref table
(assert_return (invoke "get1" (i32.const 0)) (ref.null extern))
(invoke "set1" (i32.const 1) (ref.extern 7))
(assert_return (invoke "get1" (i32.const 1)) (ref.extern 7))
(assert_trap (invoke "get1" (i32.const 2)) "out of bounds table access")
(assert_return (invoke "grow1" (ref.extern 9) (i32.const 3)) (i32.const 2))
(assert_return (invoke "size1") (i32.const 5))
(assert_return (invoke "get1" (i32.const 4)) (ref.extern 9))
(invoke "fill1" (i32.const 0) (ref.extern 0) (i32.const 2))
(assert_return (invoke "get1" (i32.const 0)) (ref.extern 0))
(assert_return (invoke "get1" (i32.const 1)) (ref.extern 0))
(assert_return (invoke "get1" (i32.const 2)) (ref.extern 9))

;; copying between two different tables
(assert_return (invoke "size2") (i32.const 0))
(assert_trap (invoke "call2" (i32.const 0)) "undefined element")
(assert_return (invoke "grow2" (i32.const 4)) (i32.const 0))
(invoke "copy2-from0" (i32.const 0) (i32.const 1) (i32.const 4))
(assert_return (invoke "call2" (i32.const 0)) (i32.const 1))
(assert_return (invoke "call2" (i32.const 1)) (i32.const 2))
(assert_trap (invoke "copy2-from0" (i32.const 1) (i32.const 0) (i32.const 4)) "out of bounds table access")

;; An element segment that does not fit makes instantiation fail.
(assert_trap
  (module (table 1 funcref) (func $f) (elem (i32.const 1) $f))
  "out of bounds table access")
(assert_trap
  (module (table 1 funcref) (func $f) (elem (i32.const 0) $f $f))
  "out of bounds table access")

;; Validation.
(assert_invalid (module (func (result funcref) (ref.func 1))) "unknown function")
(assert_invalid (module (func $f (result funcref) (ref.func $f))) "undeclared function reference")
(assert_invalid (module (table 1 externref) (func (table.set 0 (i32.const 0) (ref.null func)))) "type mismatch")
(assert_invalid (module (func (drop (table.size 0)))) "unknown table")
(assert_invalid (module (table 1 funcref) (func (table.init 0 0 (i32.const 0) (i32.const 0) (i32.const 0)))) "unknown elem segment 0")
(assert_invalid
  (module (table 1 externref) (type $t (func)) (func (call_indirect (type $t) (i32.const 0))))
  "type mismatch")
(assert_invalid
  (module (table $a 1 funcref) (table $b 1 externref) (func (table.copy $a $b (i32.const 0) (i32.const 0) (i32.const 0))))
  "type mismatch")
