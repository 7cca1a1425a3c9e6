;; Owned by: spectest. local.get / local.set / local.tee against values already on the operand stack.
;; A stack machine reads a local at the moment of local.get; an execution tier that defers that read
;; (register code that keeps "still local L" on a virtual stack, or fuses `op; local.set L` into the op's
;; destination, or fuses `compare; br_if`) must give the same answers. Each function below writes a
;; local while an older read of it is still pending, and checks the old value is what gets used.

(module
  (memory 1)

  ;; pending read, then local.set of the same local
  (func (export "get-then-set") (param $a i32) (param $b i32) (result i32)
    (local.get $a)
    (local.set $a (local.get $b))
    (local.get $a)
    (i32.sub))

  ;; pending read, then local.tee of the same local, both used
  (func (export "get-then-tee") (param $a i32) (result i32)
    (local.get $a)
    (local.tee $a (i32.const 100))
    (i32.sub)
    (local.get $a)
    (i32.add))

  ;; `op; local.set L` while two reads of L are pending below
  (func (export "dest-fusion-hazard") (param $x i32) (param $y i32) (result i32)
    (local.get $x)
    (local.get $x)
    (local.set $x (i32.mul (local.get $x) (local.get $y)))
    (i32.add)
    (local.get $x)
    (i32.add))

  ;; `op; local.set L` where the op reads L itself
  (func (export "dest-self") (param $x i64) (result i64)
    (local.set $x (i64.add (local.get $x) (i64.const 1)))
    (local.set $x (i64.mul (local.get $x) (local.get $x)))
    (local.get $x))

  ;; a chain of swaps through a temporary
  (func (export "swap") (param $a i32) (param $b i32) (result i32 i32)
    (local $t i32)
    (local.set $t (local.get $a))
    (local.set $a (local.get $b))
    (local.set $b (local.get $t))
    (local.get $a) (local.get $b))

  ;; swap without a temporary: both reads are pending when the sets happen
  (func (export "swap-stack") (param $a i32) (param $b i32) (result i32 i32)
    (local.get $a) (local.get $b)
    (local.set $a)
    (local.set $b)
    (local.get $a) (local.get $b))

  ;; a pending read crossing a block that writes the local
  (func (export "across-block") (param $a i32) (result i32)
    (local.get $a)
    (block (local.set $a (i32.const 5)))
    (local.get $a)
    (i32.sub))

  ;; tee's value consumed after a nested block rewrote the local
  (func (export "tee-then-block") (result i32)
    (local $l i32)
    (i32.add
      (local.tee $l (i32.const 5))
      (block (result i32) (local.set $l (i32.const 7)) (local.get $l))))

  ;; store address read before the value expression rewrites it
  (func (export "store-addr") (result i32)
    (local $p i32)
    (local.set $p (i32.const 16))
    (i32.store (local.get $p) (local.tee $p (i32.const 32)))
    (i32.add (i32.load (i32.const 16)) (i32.load (i32.const 32))))

  ;; call arguments read before the callee runs; the callee cannot touch the caller's locals
  (func $clobber (param i32 i32) (result i32)
    (local.set 0 (i32.const 1000))
    (local.set 1 (i32.const 2000))
    (i32.add (local.get 0) (local.get 1)))
  (func (export "call-args") (param $a i32) (result i32)
    (local $b i32)
    (local.set $b (i32.const 7))
    (i32.add
      (i32.add (call $clobber (local.get $a) (local.get $b)) (local.get $a))
      (local.get $b)))

  ;; select with operands read before a tee changes their source
  (func (export "select-pending") (param $a i32) (param $c i32) (result i32)
    (select (local.get $a) (local.tee $a (i32.const 9)) (local.get $c)))

  ;; compare + br_if where the compare's value is also kept by a tee
  (func (export "compare-tee-br_if") (param $a i32) (param $b i32) (result i32)
    (local $c i32)
    (block $out (result i32)
      (br_if $out (i32.const 50) (local.tee $c (i32.lt_s (local.get $a) (local.get $b))))
      (drop)
      (i32.add (i32.const 60) (local.get $c))))
  (func (export "compare-tee-result") (param $a i32) (param $b i32) (result i32)
    (local $c i32)
    (drop (block $out (result i32)
      (br_if $out (i32.const 50) (local.tee $c (i32.lt_s (local.get $a) (local.get $b))))))
    (local.get $c))

  ;; compare + if/else over every integer compare, signed and unsigned views of the same bits
  (func (export "cmp-if") (param $a i64) (param $b i64) (result i32)
    (i32.or (i32.or (i32.or
      (if (result i32) (i64.lt_s (local.get $a) (local.get $b)) (then (i32.const 1)) (else (i32.const 0)))
      (if (result i32) (i64.lt_u (local.get $a) (local.get $b)) (then (i32.const 2)) (else (i32.const 0))))
      (i32.or
      (if (result i32) (i64.ge_s (local.get $a) (local.get $b)) (then (i32.const 4)) (else (i32.const 0)))
      (if (result i32) (i64.ge_u (local.get $a) (local.get $b)) (then (i32.const 8)) (else (i32.const 0)))))
      (i32.or
      (if (result i32) (i64.eq (local.get $a) (local.get $b)) (then (i32.const 16)) (else (i32.const 0)))
      (if (result i32) (i64.eqz (local.get $a)) (then (i32.const 32)) (else (i32.const 0))))))

  ;; a loop whose exit compare reads a local updated just before it, and a value pending below
  (func (export "loop-pending") (param $n i32) (result i32)
    (local $i i32)
    (local.get $n)
    (loop $l (param i32) (result i32)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.get $i)
      (i32.add)
      (br_if $l (i32.lt_u (local.get $i) (i32.const 4))))
    (local.get $i)
    (i32.mul))

  ;; the same constant used many times, and a local set from it repeatedly
  (func (export "const-reuse") (result i32)
    (local $x i32)
    (local.set $x (i32.const 3))
    (local.set $x (i32.add (local.get $x) (i32.const 3)))
    (local.set $x (i32.mul (local.get $x) (i32.const 3)))
    (i32.add (local.get $x) (i32.const 3)))

  ;; parameters keep their values when the function writes other locals in between
  (func (export "param-local-mix") (param $p f64) (result f64)
    (local $q f64) (local $r f64)
    (local.set $q (f64.mul (local.get $p) (f64.const 2)))
    (local.set $r (f64.sub (local.get $q) (local.get $p)))
    (local.set $p (f64.add (local.get $r) (local.get $q)))
    (f64.sub (local.get $p) (local.get $r)))

  ;; i32.add feeding a load/store address (a tier may fold it into the access). The add wraps at 2^32
  ;; like any i32.add; only the memarg offset is added without wrapping.
  (data (i32.const 0) "\00\00\00\00\2a\00\00\00")       ;; 42 at address 4
  (data (i32.const 20) "\07\00\00\00")                     ;; 7 at address 20
  (func (export "add-addr-wraps") (param $p i32) (result i32)
    (i32.load (i32.add (local.get $p) (i32.const 5))))
  (func (export "add-addr-wraps-offset") (param $p i32) (result i32)
    (i32.load offset=4 (i32.add (local.get $p) (i32.const 8))))
  (func (export "add-addr-two-locals") (param $p i32) (param $q i32) (result i32)
    (i32.load8_u (i32.add (local.get $p) (local.get $q))))
  (func (export "add-addr-store") (param $p i32) (param $v i32)
    (i32.store (i32.add (local.get $p) (i32.const -4)) (local.get $v)))
  ;; the add's operands are read before the local is overwritten
  (func (export "add-addr-hazard") (result i32)
    (local $p i32)
    (local.set $p (i32.const 16))
    (i32.add (local.get $p) (i32.const 4))
    (local.set $p (i32.const 100))
    (i32.load))
  (func (export "add-addr-tee-value") (result i32)
    (local $p i32) (local $q i32)
    (local.set $p (i32.const 40)) (local.set $q (i32.const 8))
    (i32.store (i32.add (local.get $p) (local.get $q)) (local.tee $q (i32.const 99)))
    (i32.add (i32.load (i32.const 48)) (local.get $q)))
  ;; an add that is not an address: its value used by other operators, calls, globals and branches
  (global $sum (mut i32) (i32.const 0))
  (func $id (param i32) (result i32) (local.get 0))
  (func (export "add-elsewhere") (param $a i32) (param $b i32) (result i32)
    (local $t i32)
    (global.set $sum (i32.add (local.get $a) (local.get $b)))
    (local.set $t (call $id (i32.add (local.get $a) (i32.const 1))))
    (block $b (result i32)
      (br_if $b (i32.add (local.get $t) (local.get $b)) (i32.add (local.get $a) (i32.const 0)))
      (drop)
      (i32.const -1))
    (i32.mul (i32.add (local.get $a) (local.get $b)))
    (i32.add (global.get $sum)))
)

(assert_return (invoke "get-then-set" (i32.const 10) (i32.const 3)) (i32.const 7))
(assert_return (invoke "get-then-tee" (i32.const 1)) (i32.const 1))
(assert_return (invoke "dest-fusion-hazard" (i32.const 5) (i32.const 3)) (i32.const 25))
(assert_return (invoke "dest-self" (i64.const 4)) (i64.const 25))
(assert_return (invoke "swap" (i32.const 1) (i32.const 2)) (i32.const 2) (i32.const 1))
(assert_return (invoke "swap-stack" (i32.const 1) (i32.const 2)) (i32.const 2) (i32.const 1))
(assert_return (invoke "across-block" (i32.const 12)) (i32.const 7))
(assert_return (invoke "tee-then-block") (i32.const 12))
(assert_return (invoke "store-addr") (i32.const 32))
(assert_return (invoke "call-args" (i32.const 5)) (i32.const 3012))
(assert_return (invoke "select-pending" (i32.const 4) (i32.const 1)) (i32.const 4))
(assert_return (invoke "select-pending" (i32.const 4) (i32.const 0)) (i32.const 9))
(assert_return (invoke "compare-tee-br_if" (i32.const 1) (i32.const 2)) (i32.const 50))
(assert_return (invoke "compare-tee-br_if" (i32.const 2) (i32.const 1)) (i32.const 60))
(assert_return (invoke "compare-tee-result" (i32.const -1) (i32.const 0)) (i32.const 1))
(assert_return (invoke "compare-tee-result" (i32.const 0) (i32.const -1)) (i32.const 0))
(assert_return (invoke "cmp-if" (i64.const -1) (i64.const 1)) (i32.const 9))
(assert_return (invoke "cmp-if" (i64.const 1) (i64.const -1)) (i32.const 6))
(assert_return (invoke "cmp-if" (i64.const 0) (i64.const 0)) (i32.const 60))
(assert_return (invoke "cmp-if" (i64.const 7) (i64.const 7)) (i32.const 28))
(assert_return (invoke "loop-pending" (i32.const 100)) (i32.const 440))
(assert_return (invoke "const-reuse") (i32.const 21))
(assert_return (invoke "param-local-mix" (f64.const 1.5)) (f64.const 3))

(assert_return (invoke "add-addr-wraps" (i32.const -1)) (i32.const 42))
(assert_return (invoke "add-addr-wraps" (i32.const -1)) (i32.const 42))
(assert_return (invoke "add-addr-wraps-offset" (i32.const -8)) (i32.const 42))
(assert_trap (invoke "add-addr-wraps" (i32.const 0xfffb)) "out of bounds memory access")
(assert_return (invoke "add-addr-two-locals" (i32.const -16) (i32.const 20)) (i32.const 42))
(invoke "add-addr-store" (i32.const 4) (i32.const 0x11223344))
(assert_return (invoke "add-addr-two-locals" (i32.const 0) (i32.const 0)) (i32.const 0x44))
(assert_trap (invoke "add-addr-store" (i32.const 0x10001) (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "add-addr-hazard") (i32.const 7))
(assert_return (invoke "add-addr-tee-value") (i32.const 198))
(assert_return (invoke "add-elsewhere" (i32.const 2) (i32.const 3)) (i32.const 35))
(assert_return (invoke "add-elsewhere" (i32.const 0) (i32.const 3)) (i32.const 0))
