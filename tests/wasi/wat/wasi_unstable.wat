;; The legacy "wasi_unstable" (preview0) import module, with its own layouts: fd_seek's whence
;; numbering (CUR=0, END=1, SET=2) and the 56-byte filestat (u32 nlink at 20, size at 24).
;; @run: --dir {tmp}::/sandbox {module}
;; @setup: file five.txt 12345
;; @exit: 3
(module
  (import "wasi_unstable" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_filestat_get" (func $fd_filestat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; 0..16: iovec and scratch; 64: fd; 72: seek result; 128..184: filestat; 200: number text
  (data (i32.const 1024) "legacy wasi_unstable\n")      ;; 21
  (data (i32.const 1100) "five.txt")                     ;; 8
  (data (i32.const 1200) "path_open: ")                  ;; 11
  (data (i32.const 1300) "seek 0 from END (1): ")        ;; 21
  (data (i32.const 1400) "seek 2 from SET (2): ")        ;; 21
  (data (i32.const 1500) "seek 1 from CUR (0): ")        ;; 21
  (data (i32.const 1600) "filestat: ")                   ;; 10
  (data (i32.const 1700) "filetype ")                    ;; 9
  (data (i32.const 1800) "nlink ")                       ;; 6
  (data (i32.const 1900) "size ")                        ;; 5
  (data (i32.const 2000) "args: ")                       ;; 6

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; Writes the decimal digits of $v followed by $end (a newline or a space).
  (func $number (param $v i64) (param $end i32)
    (local $p i32)
    (local.set $p (i32.const 300))
    (i32.store8 (local.get $p) (local.get $end))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digits (i64.ne (local.get $v) (i64.const 0))))
    (call $write (local.get $p) (i32.sub (i32.const 301) (local.get $p))))

  (func $main (export "_start")
    (call $write (i32.const 1024) (i32.const 21))
    ;; path_open(3, follow, "five.txt", 8, oflags 0, all rights, all rights, fdflags 0, &fd@64)
    (call $write (i32.const 1200) (i32.const 11))
    (call $number
      (i64.extend_i32_u (call $path_open (i32.const 3) (i32.const 1) (i32.const 1100) (i32.const 8)
        (i32.const 0) (i64.const 0x1FFFFFFF) (i64.const 0x1FFFFFFF) (i32.const 0) (i32.const 64)))
      (i32.const 10))
    ;; preview0 whence END is 1
    (drop (call $fd_seek (i32.load (i32.const 64)) (i64.const 0) (i32.const 1) (i32.const 72)))
    (call $write (i32.const 1300) (i32.const 21))
    (call $number (i64.load (i32.const 72)) (i32.const 10))
    ;; preview0 whence SET is 2
    (drop (call $fd_seek (i32.load (i32.const 64)) (i64.const 2) (i32.const 2) (i32.const 72)))
    (call $write (i32.const 1400) (i32.const 21))
    (call $number (i64.load (i32.const 72)) (i32.const 10))
    ;; preview0 whence CUR is 0
    (drop (call $fd_seek (i32.load (i32.const 64)) (i64.const 1) (i32.const 0) (i32.const 72)))
    (call $write (i32.const 1500) (i32.const 21))
    (call $number (i64.load (i32.const 72)) (i32.const 10))
    ;; filestat, preview0 layout
    (drop (call $fd_filestat_get (i32.load (i32.const 64)) (i32.const 128)))
    (call $write (i32.const 1600) (i32.const 10))
    (call $write (i32.const 1700) (i32.const 9))
    (call $number (i64.load8_u (i32.const 144)) (i32.const 32))
    (call $write (i32.const 1800) (i32.const 6))
    (call $number (i64.load32_u (i32.const 148)) (i32.const 32))
    (call $write (i32.const 1900) (i32.const 5))
    (call $number (i64.load (i32.const 152)) (i32.const 10))
    ;; args_sizes_get works the same in both versions
    (drop (call $args_sizes_get (i32.const 80) (i32.const 84)))
    (call $write (i32.const 2000) (i32.const 6))
    (call $number (i64.load32_u (i32.const 80)) (i32.const 10))
    (call $proc_exit (i32.const 3))))
