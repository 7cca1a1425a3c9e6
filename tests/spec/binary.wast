;; Owned by: spectest. The binary format, byte by byte: what must load (custom sections anywhere,
;; non-minimal LEB128 encodings) and what must be rejected as malformed (header, section framing and
;; order, LEB128 limits, counts, UTF-8 names, opcodes, body framing) or invalid.
;; Written as (module binary ...) so the decoder sees exactly these bytes.

;; The smallest module.
(module binary "\00asm" "\01\00\00\00")

;; One exported function () -> i32 returning 42.
(module binary
  "\00asm" "\01\00\00\00"
  "\01\05\01\60\00\01\7f"            ;; type section: [() -> (i32)]
  "\03\02\01\00"                      ;; function section: [type 0]
  "\07\05\01\01f\00\00"               ;; export section: "f" = func 0
  "\0a\06\01\04\00\41\2a\0b"          ;; code: no locals, i32.const 42, end
)
(assert_return (invoke "f") (i32.const 42))

;; Custom sections may appear anywhere, with any name (even empty) and any contents, and are ignored.
(module binary
  "\00asm" "\01\00\00\00"
  "\00\05\04name"                     ;; custom "name" section with an empty body (a bad name section is ignored)
  "\00\04\00\01\02\03"                ;; custom section with an empty name
  "\01\05\01\60\00\01\7f"
  "\00\08\03abc\ff\fe\fd\fc"          ;; arbitrary bytes
  "\03\02\01\00"
  "\07\05\01\01f\00\00"
  "\0a\06\01\04\00\41\2a\0b"
  "\00\01\00"                         ;; trailing custom section
)
(assert_return (invoke "f") (i32.const 42))

;; Non-minimal LEB128 encodings are valid as long as they fit in the maximum length.
(module binary
  "\00asm" "\01\00\00\00"
  "\01\86\80\80\80\00\81\00\60\00\01\7f"  ;; section size 6 in 5 bytes; count 1 in 2 bytes
  "\03\02\01\00"
  "\07\05\01\01f\00\00"
  "\0a\0a\01\08\00\41\ff\ff\ff\ff\7f\0b"  ;; i32.const -1 in 5 bytes
)
(assert_return (invoke "f") (i32.const -1))

;; Header.
(assert_malformed (module binary "") "unexpected end")
(assert_malformed (module binary "\00asm") "unexpected end")
(assert_malformed (module binary "\00asm\01\00") "unexpected end")
(assert_malformed (module binary "\00asn\01\00\00\00") "magic header not detected")
(assert_malformed (module binary "asm\00\01\00\00\00") "magic header not detected")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_malformed (module binary "\00asm\00\00\00\01") "unknown binary version")

;; Section framing and order.
(assert_malformed (module binary "\00asm\01\00\00\00" "\7f\00") "malformed section id")
(assert_malformed (module binary "\00asm\01\00\00\00" "\01\05\01\60\00\00") "length out of bounds")
(assert_malformed (module binary "\00asm\01\00\00\00" "\01\02\00\00") "section size mismatch")
(assert_malformed (module binary "\00asm\01\00\00\00" "\03\01\00" "\01\01\00") "unexpected content after last section")
(assert_malformed (module binary "\00asm\01\00\00\00" "\01\01\00" "\01\01\00") "unexpected content after last section")
(assert_malformed (module binary "\00asm\01\00\00\00" "\00\04\08abc") "length out of bounds")

;; LEB128: too many bytes, or unused bits set in the last byte.
(assert_malformed (module binary "\00asm\01\00\00\00" "\01\06\80\80\80\80\80\00") "integer representation too long")
(assert_malformed (module binary "\00asm\01\00\00\00" "\01\05\80\80\80\80\10") "integer too large")
(assert_malformed
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\05\01\60\00\01\7f" "\03\02\01\00"
    "\0a\0a\01\08\00\41\80\80\80\80\70\0b")   ;; i32.const whose 5th byte has bits beyond the sign
  "integer too large")

;; Types and counts.
(assert_malformed (module binary "\00asm\01\00\00\00" "\01\05\01\60\01\40\00") "malformed value type")
(assert_malformed (module binary "\00asm\01\00\00\00" "\01\04\01\61\00\00") "malformed functype")
(assert_malformed
  (module binary "\00asm\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00")
  "function and code section have inconsistent lengths")
(assert_malformed
  (module binary "\00asm\01\00\00\00" "\01\04\01\60\00\00" "\0a\04\01\02\00\0b")
  "function and code section have inconsistent lengths")
(assert_malformed
  (module binary
    "\00asm\01\00\00\00"
    "\01\04\01\60\00\00" "\03\02\01\00"
    "\0a\0e\01\0c\02\ff\ff\ff\ff\0f\7f\ff\ff\ff\ff\0f\7e\0b")  ;; 2 * (2^32 - 1) locals
  "too many locals")

;; Names must be UTF-8.
(assert_malformed
  (module binary
    "\00asm\01\00\00\00"
    "\01\04\01\60\00\00" "\03\02\01\00"
    "\07\05\01\01\ff\00\00"
    "\0a\04\01\02\00\0b")
  "malformed UTF-8 encoding")
(assert_malformed
  (module binary "\00asm\01\00\00\00" "\00\03\02\c0\80")   ;; overlong encoding of NUL
  "malformed UTF-8 encoding")

;; Function bodies.
(assert_malformed
  (module binary
    "\00asm\01\00\00\00"
    "\01\04\01\60\00\00" "\03\02\01\00"
    "\0a\05\01\03\00\27\0b")                 ;; 0x27 is no opcode
  "illegal opcode")
(assert_malformed
  (module binary
    "\00asm\01\00\00\00"
    "\01\04\01\60\00\00" "\03\02\01\00"
    "\0a\05\01\03\00\01\01")                 ;; nop nop, then the section ends: no final end
  "unexpected end of section or function")
(assert_malformed
  (module binary
    "\00asm\01\00\00\00"
    "\01\04\01\60\00\00" "\03\02\01\00"
    "\0a\06\01\04\00\0b\01\0b")              ;; bytes after the final end
  "section size mismatch")
(assert_malformed
  (module binary
    "\00asm\01\00\00\00"
    "\01\04\01\60\00\00" "\03\02\01\00" "\05\03\01\00\01"
    "\0a\07\01\05\00\3f\01\1a\0b")           ;; memory.size with a non-zero reserved byte
  "zero byte expected")

;; Data count section.
(assert_malformed
  (module binary "\00asm\01\00\00\00" "\05\03\01\00\01" "\0c\01\01")
  "data count and data section have inconsistent lengths")
(assert_malformed
  (module binary
    "\00asm\01\00\00\00"
    "\01\04\01\60\00\00" "\03\02\01\00" "\05\03\01\00\01"
    "\0a\0e\01\0c\00\41\00\41\00\41\00\fc\08\00\00\0b"
    "\0b\03\01\01\00")                      ;; memory.init without a data count section
  "data count section required")

;; Memory limits flags other than 0 and 1 (2 and 3 are the threads proposal's "shared").
(assert_malformed (module binary "\00asm\01\00\00\00" "\05\03\01\08\00") "integer too large")

;; Well-formed but invalid: the validator, not the decoder, rejects these.
(assert_invalid
  (module binary
    "\00asm\01\00\00\00"
    "\01\05\01\60\00\01\7f" "\03\02\01\00"
    "\0a\06\01\04\00\42\00\0b")              ;; returns an i64 where an i32 is declared
  "type mismatch")
(assert_invalid
  (module binary
    "\00asm\01\00\00\00"
    "\01\04\01\60\00\00" "\03\02\01\01"      ;; function of type 1, which does not exist
    "\0a\04\01\02\00\0b")
  "unknown type")
(assert_invalid
  (module binary
    "\00asm\01\00\00\00"
    "\01\04\01\60\00\00" "\03\02\01\00"
    "\0a\06\01\04\00\20\00\0b")              ;; local.get 0 with no locals
  "unknown local")
