;; Sets NONBLOCK on stdin and exits 0 if the call succeeded (errno 0), else exits with the errno.
(module
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $set (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (call $set (i32.const 0) (i32.const 4)))))
