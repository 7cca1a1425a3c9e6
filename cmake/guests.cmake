# Helpers that build guest programs as part of the build: C -> wasm32-wasi with Debian's clang and
# wasi-libc, and .wat/.wast -> binary/JSON with wabt. Outputs land in the current binary dir.
find_program(WASM_CLANG NAMES clang-14 clang REQUIRED)
find_program(WAT2WASM wat2wasm REQUIRED)
find_program(WAST2JSON wast2json REQUIRED)
# Debian's wasi-libc installs into /usr (include/wasm32-wasi, lib/wasm32-wasi); upstream SDKs use
# /usr/share/wasi-sysroot. Pick whichever exists.
if(EXISTS /usr/share/wasi-sysroot)
  set(_wasipool_default_sysroot /usr/share/wasi-sysroot)
else()
  set(_wasipool_default_sysroot /usr)
endif()
set(WASI_SYSROOT ${_wasipool_default_sysroot} CACHE PATH "wasi-libc sysroot")

# wasipool_add_guest(<name> <source.c> [FLAGS ...]) -> ${CMAKE_CURRENT_BINARY_DIR}/<name>.wasm, target guest_<name>
function(wasipool_add_guest name src)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.wasm)
  get_filename_component(abs ${src} ABSOLUTE)
  add_custom_command(OUTPUT ${out}
    COMMAND ${WASM_CLANG} --target=wasm32-wasi --sysroot=${WASI_SYSROOT} -O2 ${ARGN} -o ${out} ${abs}
    DEPENDS ${abs} VERBATIM COMMENT "guest ${name}.wasm")
  add_custom_target(guest_${name} ALL DEPENDS ${out})
endfunction()

# wasipool_add_native(<name> <source.c> [FLAGS ...]) -> native build of the same C source (bench baselines)
function(wasipool_add_native name src)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name})
  get_filename_component(abs ${src} ABSOLUTE)
  add_custom_command(OUTPUT ${out}
    COMMAND ${WASM_CLANG} -O2 ${ARGN} -o ${out} ${abs} -lm
    DEPENDS ${abs} VERBATIM COMMENT "native ${name}")
  add_custom_target(native_${name} ALL DEPENDS ${out})
endfunction()

# wasipool_add_wat(<name> <file.wat>) -> <name>.wasm
function(wasipool_add_wat name src)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.wasm)
  get_filename_component(abs ${src} ABSOLUTE)
  add_custom_command(OUTPUT ${out} COMMAND ${WAT2WASM} --enable-all -o ${out} ${abs}
    DEPENDS ${abs} VERBATIM COMMENT "wat ${name}.wasm")
  add_custom_target(wat_${name} ALL DEPENDS ${out})
endfunction()

# wasipool_add_wast(<name> <file.wast>) -> <name>/<name>.json (+ the modules it references)
function(wasipool_add_wast name src)
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/${name})
  set(out ${dir}/${name}.json)
  get_filename_component(abs ${src} ABSOLUTE)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${WAST2JSON} -o ${out} ${abs}
    DEPENDS ${abs} VERBATIM COMMENT "wast ${name}.json")
  add_custom_target(wast_${name} ALL DEPENDS ${out})
endfunction()
