;; Owned by: interpreter. Instruction shapes the interpreter fuses into one internal instruction
;; (docs/interpreter.md): a binary op feeding the next binary op, a load feeding a store of the same
;; width (a memory copy), runs of local copies. Each result must equal what the unfused wasm computes,
;; including trap order (the load's bounds check before the store's) and float operand order (NaN).

(module
  (memory 1)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08\f0\f1\f2\f3\f4\f5\f6\f7")

  ;; i32 chains: the intermediate result feeds the second op as its left or right operand.
  (func (export "add_xor") (param i32 i32 i32) (result i32)
    (i32.xor (i32.add (local.get 0) (local.get 1)) (local.get 2)))
  (func (export "xor_into_sub_rhs") (param i32 i32 i32) (result i32)
    (i32.sub (local.get 2) (i32.xor (local.get 0) (local.get 1))))
  (func (export "rotl_add") (param i32 i32) (result i32)
    (i32.add (i32.rotl (local.get 0) (i32.const 7)) (local.get 1)))
  (func (export "shr_and_const") (param i32) (result i32)
    (i32.and (i32.shr_u (local.get 0) (i32.const 28)) (i32.const 0x5)))
  (func (export "chain4") (param i32 i32) (result i32)
    (i32.or (i32.shl (i32.sub (i32.mul (local.get 0) (local.get 1)) (i32.const 3)) (i32.const 2))
            (i32.const 1)))
  (func (export "div_after_add") (param i32 i32) (result i32)
    (i32.div_s (i32.add (local.get 0) (i32.const 1)) (local.get 1)))

  ;; f64 chains: operand order must be kept (sub/div are not commutative; NaN payload propagation).
  (func (export "f64_mul_sub") (param f64 f64 f64) (result f64)
    (f64.sub (local.get 2) (f64.mul (local.get 0) (local.get 1))))
  (func (export "f64_div_add") (param f64 f64 f64) (result f64)
    (f64.add (f64.div (local.get 0) (local.get 1)) (local.get 2)))

  ;; load -> store of the same width: a copy; the source is checked first, a trapping copy writes nothing.
  (func (export "copy32") (param $dst i32) (param $src i32)
    (i32.store (local.get $dst) (i32.load (local.get $src))))
  (func (export "copy8") (param $dst i32) (param $src i32)
    (i32.store8 (local.get $dst) (i32.load8_u (local.get $src))))
  (func (export "copy8_sext") (param $dst i32) (param $src i32)
    (i32.store8 (local.get $dst) (i32.load8_s (local.get $src))))
  (func (export "copy64_off") (param $dst i32) (param $src i32)
    (i64.store offset=8 (local.get $dst) (i64.load offset=4 (local.get $src))))
  (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.load (local.get 0)))

  ;; a copy loop, as libc's byte loop compiles: dst[i] = src[i] for i < n.
  (func (export "copy_loop") (param $dst i32) (param $src i32) (param $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (i32.store8 (local.get $dst) (i32.load8_u (local.get $src)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
        (local.set $src (i32.add (local.get $src) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next))))

  ;; a run of local copies (a rotation): each copy must read the value before this run changed it.
  (func (export "rotate") (param $a i32) (param $b i32) (param $c i32) (result i32)
    (local $t i32)
    (local.set $t (local.get $a))
    (local.set $a (local.get $b))
    (local.set $b (local.get $c))
    (local.set $c (local.get $t))
    (i32.or (i32.or (i32.shl (local.get $a) (i32.const 16)) (i32.shl (local.get $b) (i32.const 8)))
            (local.get $c)))
)

(assert_return (invoke "add_xor" (i32.const 0x7fffffff) (i32.const 1) (i32.const 0xff)) (i32.const 0x800000ff))
(assert_return (invoke "xor_into_sub_rhs" (i32.const 6) (i32.const 3) (i32.const 10)) (i32.const 5))
(assert_return (invoke "rotl_add" (i32.const 0x80000001) (i32.const 1)) (i32.const 0xc1))
(assert_return (invoke "shr_and_const" (i32.const 0xf0000000)) (i32.const 5))
(assert_return (invoke "chain4" (i32.const 3) (i32.const 5)) (i32.const 49))
(assert_return (invoke "div_after_add" (i32.const 9) (i32.const -2)) (i32.const -5))
(assert_trap (invoke "div_after_add" (i32.const 9) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div_after_add" (i32.const 0x7fffffff) (i32.const -1)) "integer overflow")
(assert_return (invoke "div_after_add" (i32.const 0x80000000) (i32.const -1)) (i32.const 0x7fffffff))

(assert_return (invoke "f64_mul_sub" (f64.const 2) (f64.const 3) (f64.const 1)) (f64.const -5))
(assert_return (invoke "f64_div_add" (f64.const 1) (f64.const 4) (f64.const 0.5)) (f64.const 0.75))
(assert_return (invoke "f64_div_add" (f64.const 1) (f64.const 0) (f64.const -inf)) (f64.const nan:canonical))
(assert_return (invoke "f64_mul_sub" (f64.const inf) (f64.const 0) (f64.const 1)) (f64.const nan:canonical))

(assert_return (invoke "copy32" (i32.const 100) (i32.const 0)))
(assert_return (invoke "load32" (i32.const 100)) (i32.const 0x04030201))
(assert_return (invoke "copy8_sext" (i32.const 200) (i32.const 8)))
(assert_return (invoke "load32" (i32.const 200)) (i32.const 0xf0))
(assert_return (invoke "copy64_off" (i32.const 300) (i32.const 4)))
(assert_return (invoke "load64" (i32.const 308)) (i64.const 0xf7f6f5f4f3f2f1f0))
;; source out of bounds: trap, destination untouched
(assert_trap (invoke "copy32" (i32.const 100) (i32.const 65533)) "out of bounds memory access")
(assert_return (invoke "load32" (i32.const 100)) (i32.const 0x04030201))
;; destination out of bounds: trap after a valid load
(assert_trap (invoke "copy32" (i32.const 65533) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "copy8" (i32.const 65536) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "copy64_off" (i32.const 65528) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "copy64_off" (i32.const 0) (i32.const 65528)) "out of bounds memory access")
;; the loop copies exactly n bytes, then a copy that runs off the end traps with the bytes before it copied
(assert_return (invoke "copy_loop" (i32.const 400) (i32.const 8) (i32.const 5)))
(assert_return (invoke "load64" (i32.const 400)) (i64.const 0x000000f4f3f2f1f0))
(assert_trap (invoke "copy_loop" (i32.const 65534) (i32.const 0) (i32.const 4)) "out of bounds memory access")
(assert_return (invoke "load32" (i32.const 65532)) (i32.const 0x02010000))

(assert_return (invoke "rotate" (i32.const 1) (i32.const 2) (i32.const 3)) (i32.const 0x020301))
