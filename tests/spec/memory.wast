;; Owned by: spectest. Linear memory: loads and stores of every width and signedness, little-endian
;; layout, static offsets, bounds checks at the exact last byte (and effective addresses that would wrap
;; in 32 bits), memory.size/grow, data segments, and bulk memory (copy with overlap, fill, init,
;; data.drop) with their bounds rules.

(module
  (memory 1 3)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08")
  (data (i32.const 0xfff8) "\aa\bb\cc\dd\ee\ff\11\22")
  (data $passive "hello")

  (func (export "i32.load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "i32.load8_s") (param i32) (result i32) (i32.load8_s (local.get 0)))
  (func (export "i32.load8_u") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "i32.load16_s") (param i32) (result i32) (i32.load16_s (local.get 0)))
  (func (export "i32.load16_u") (param i32) (result i32) (i32.load16_u (local.get 0)))
  (func (export "i64.load") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "i64.load32_s") (param i32) (result i64) (i64.load32_s (local.get 0)))
  (func (export "i64.load32_u") (param i32) (result i64) (i64.load32_u (local.get 0)))
  (func (export "i64.load8_s") (param i32) (result i64) (i64.load8_s (local.get 0)))
  (func (export "f32.load") (param i32) (result f32) (f32.load (local.get 0)))
  (func (export "f64.load") (param i32) (result f64) (f64.load (local.get 0)))
  (func (export "load-offset") (param i32) (result i32) (i32.load offset=4 (local.get 0)))
  (func (export "load-offset-max") (param i32) (result i32) (i32.load8_u offset=0xffffffff (local.get 0)))
  (func (export "load-unaligned") (param i32) (result i64) (i64.load align=1 (local.get 0)))

  (func (export "i32.store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "i32.store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "i32.store16") (param i32 i32) (i32.store16 (local.get 0) (local.get 1)))
  (func (export "i64.store") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "i64.store32") (param i32 i64) (i64.store32 (local.get 0) (local.get 1)))
  (func (export "f32.store") (param i32 f32) (f32.store (local.get 0) (local.get 1)))
  (func (export "f64.store") (param i32 f64) (f64.store (local.get 0) (local.get 1)))
  (func (export "store-offset") (param i32 i32) (i32.store offset=2 (local.get 0) (local.get 1)))

  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))

  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32) (memory.init $passive (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (data.drop $passive))
)

;; little-endian layout and widths
(assert_return (invoke "i32.load" (i32.const 0)) (i32.const 0x04030201))
(assert_return (invoke "i32.load" (i32.const 1)) (i32.const 0x05040302))
(assert_return (invoke "i64.load" (i32.const 0)) (i64.const 0x0807060504030201))
(assert_return (invoke "i32.load8_s" (i32.const 0xfff8)) (i32.const -86))
(assert_return (invoke "i32.load8_u" (i32.const 0xfff8)) (i32.const 0xaa))
(assert_return (invoke "i32.load16_s" (i32.const 0xfff8)) (i32.const 0xffffbbaa))
(assert_return (invoke "i32.load16_u" (i32.const 0xfff8)) (i32.const 0xbbaa))
(assert_return (invoke "i64.load32_s" (i32.const 0xfff8)) (i64.const 0xffffffffddccbbaa))
(assert_return (invoke "i64.load32_u" (i32.const 0xfff8)) (i64.const 0xddccbbaa))
(assert_return (invoke "i64.load8_s" (i32.const 0xfffe)) (i64.const 0x11))
(assert_return (invoke "load-offset" (i32.const 0)) (i32.const 0x08070605))
(assert_return (invoke "load-unaligned" (i32.const 0xfff8)) (i64.const 0x2211ffeeddccbbaa))

;; bounds: the last byte is in, one past it is out; address + offset never wraps at 2^32
(assert_return (invoke "i32.load" (i32.const 0xfffc)) (i32.const 0x2211ffee))
(assert_trap (invoke "i32.load" (i32.const 0xfffd)) "out of bounds memory access")
(assert_trap (invoke "i64.load" (i32.const 0xfff9)) "out of bounds memory access")
(assert_return (invoke "i32.load8_u" (i32.const 0xffff)) (i32.const 0x22))
(assert_trap (invoke "i32.load8_u" (i32.const 0x10000)) "out of bounds memory access")
(assert_trap (invoke "i32.load" (i32.const -1)) "out of bounds memory access")
(assert_trap (invoke "i32.load" (i32.const -4)) "out of bounds memory access")
(assert_trap (invoke "load-offset" (i32.const 0xfffc)) "out of bounds memory access")
(assert_trap (invoke "load-offset" (i32.const -4)) "out of bounds memory access")
(assert_trap (invoke "load-offset-max" (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "load-offset-max" (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "i32.store" (i32.const 0xfffd) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "i64.store" (i32.const -8) (i64.const 0)) "out of bounds memory access")
(assert_trap (invoke "store-offset" (i32.const 0xfffb) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "f64.load" (i32.const 0xfff9)) "out of bounds memory access")
;; a store that traps writes nothing, not even its in-bounds bytes
(assert_return (invoke "i32.load" (i32.const 0xfffc)) (i32.const 0x2211ffee))

;; stores
(invoke "i32.store" (i32.const 16) (i32.const 0xdeadbeef))
(assert_return (invoke "i32.load8_u" (i32.const 16)) (i32.const 0xef))
(assert_return (invoke "i32.load16_u" (i32.const 18)) (i32.const 0xdead))
(invoke "i32.store8" (i32.const 16) (i32.const 0x12345678))
(assert_return (invoke "i32.load" (i32.const 16)) (i32.const 0xdeadbe78))
(invoke "i32.store16" (i32.const 18) (i32.const -1))
(assert_return (invoke "i32.load" (i32.const 16)) (i32.const 0xffffbe78))
(invoke "i64.store" (i32.const 24) (i64.const 0x0102030405060708))
(assert_return (invoke "i32.load" (i32.const 28)) (i32.const 0x01020304))
(invoke "i64.store32" (i32.const 24) (i64.const 0xaaaaaaaa99999999))
(assert_return (invoke "i64.load" (i32.const 24)) (i64.const 0x0102030499999999))
(invoke "store-offset" (i32.const 30) (i32.const 0x55667788))
(assert_return (invoke "i32.load" (i32.const 32)) (i32.const 0x55667788))
;; float stores and loads are bit copies: a signalling NaN stays signalling
(invoke "f32.store" (i32.const 40) (f32.const nan:0x1))
(assert_return (invoke "i32.load" (i32.const 40)) (i32.const 0x7f800001))
(assert_return (invoke "f32.load" (i32.const 40)) (f32.const nan:0x1))
(invoke "f64.store" (i32.const 48) (f64.const -nan:0x1))
(assert_return (invoke "i64.load" (i32.const 48)) (i64.const 0xfff0000000000001))
(assert_return (invoke "f64.load" (i32.const 48)) (f64.const -nan:0x1))

;; memory.size / memory.grow: -1 past the maximum, old size otherwise, new pages zeroed
(assert_return (invoke "size") (i32.const 1))
(assert_return (invoke "grow" (i32.const 0)) (i32.const 1))
(assert_return (invoke "grow" (i32.const 3)) (i32.const -1))
(assert_return (invoke "grow" (i32.const -1)) (i32.const -1))
(assert_return (invoke "size") (i32.const 1))
(assert_return (invoke "grow" (i32.const 1)) (i32.const 1))
(assert_return (invoke "size") (i32.const 2))
(assert_return (invoke "i32.load" (i32.const 0x10000)) (i32.const 0))
(assert_return (invoke "i32.load" (i32.const 0x1fffc)) (i32.const 0))
(assert_trap (invoke "i32.load" (i32.const 0x1fffd)) "out of bounds memory access")
(assert_return (invoke "i32.load" (i32.const 0xfffc)) (i32.const 0x2211ffee))
(assert_return (invoke "grow" (i32.const 1)) (i32.const 2))
(assert_return (invoke "grow" (i32.const 1)) (i32.const -1))
(assert_return (invoke "size") (i32.const 3))

;; memory.copy: overlapping in both directions behaves like memmove
(invoke "copy" (i32.const 2) (i32.const 0) (i32.const 6))
(assert_return (invoke "i64.load" (i32.const 0)) (i64.const 0x0605040302010201))
(invoke "copy" (i32.const 0) (i32.const 2) (i32.const 6))
(assert_return (invoke "i64.load" (i32.const 0)) (i64.const 0x0605060504030201))
;; zero-length copies are fine anywhere up to the end, traps past it (and then write nothing)
(invoke "copy" (i32.const 0x30000) (i32.const 0) (i32.const 0))
(invoke "copy" (i32.const 0) (i32.const 0x30000) (i32.const 0))
(assert_trap (invoke "copy" (i32.const 0x30001) (i32.const 0) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "copy" (i32.const 0) (i32.const 0x30001) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "copy" (i32.const 0x2ffff) (i32.const 0) (i32.const 2)) "out of bounds memory access")
(assert_return (invoke "i32.load8_u" (i32.const 0x2ffff)) (i32.const 0))
(assert_trap (invoke "copy" (i32.const 0) (i32.const 1) (i32.const -1)) "out of bounds memory access")
(assert_return (invoke "i64.load" (i32.const 0)) (i64.const 0x0605060504030201))

;; memory.fill: the value is taken modulo 256
(invoke "fill" (i32.const 100) (i32.const 0x1ab) (i32.const 3))
(assert_return (invoke "i32.load" (i32.const 100)) (i32.const 0x00ababab))
(invoke "fill" (i32.const 0x30000) (i32.const 1) (i32.const 0))
(assert_trap (invoke "fill" (i32.const 0x30001) (i32.const 1) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "fill" (i32.const 0x2fffe) (i32.const 7) (i32.const 3)) "out of bounds memory access")
(assert_return (invoke "i32.load16_u" (i32.const 0x2fffe)) (i32.const 0))

;; memory.init and data.drop
(invoke "init" (i32.const 200) (i32.const 1) (i32.const 4))
(assert_return (invoke "i32.load" (i32.const 200)) (i32.const 0x6f6c6c65))
(invoke "init" (i32.const 0x30000) (i32.const 5) (i32.const 0))
(assert_trap (invoke "init" (i32.const 200) (i32.const 2) (i32.const 4)) "out of bounds memory access")
(assert_trap (invoke "init" (i32.const 0x2fffe) (i32.const 0) (i32.const 3)) "out of bounds memory access")
(assert_trap (invoke "init" (i32.const 0) (i32.const 6) (i32.const 0)) "out of bounds memory access")
(invoke "drop")
(invoke "drop")
;; a dropped segment has length 0: only empty inits at offset 0 still succeed
(invoke "init" (i32.const 200) (i32.const 0) (i32.const 0))
(assert_trap (invoke "init" (i32.const 200) (i32.const 0) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "init" (i32.const 200) (i32.const 1) (i32.const 0)) "out of bounds memory access")

;; Active data segments are dropped after instantiation: memory.init on them sees length 0.
(module
  (memory 1)
  (data $d (i32.const 0) "abc")
  (func (export "init") (param i32) (memory.init $d (i32.const 0) (i32.const 0) (local.get 0)))
)
(invoke "init" (i32.const 0))
(assert_trap (invoke "init" (i32.const 1)) "out of bounds memory access")

;; A memory without a maximum, and one with 0 pages: every access traps.
(module
  (memory 0)
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
)
(assert_trap (invoke "load" (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "grow" (i32.const 1)) (i32.const 0))
(assert_return (invoke "load" (i32.const 0xffff)) (i32.const 0))
(assert_return (invoke "grow" (i32.const 0x10000)) (i32.const -1))

;; Data segments that do not fit make instantiation fail.
(assert_trap
  (module (memory 1) (data (i32.const 0xffff) "ab"))
  "out of bounds memory access")
(assert_trap
  (module (memory 0) (data (i32.const 1) ""))
  "out of bounds memory access")
(module (memory 0) (data (i32.const 0) ""))

;; Validation.
(assert_invalid (module (func (drop (i32.load (i32.const 0))))) "unknown memory")
(assert_invalid (module (memory 1) (func (drop (i32.load align=8 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (drop (i64.load32_u align=8 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (i32.store (i32.const 0) (i64.const 0)))) "type mismatch")
(assert_invalid (module (memory 1) (func (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 0)))) "unknown data segment")
(assert_invalid (module (memory 2 1)) "size minimum must not be greater than maximum")
(assert_invalid (module (memory 65537)) "memory size must be at most 65536 pages (4GiB)")
