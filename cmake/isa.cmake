# Per-ISA compile flags. The tree is built for baseline x86-64; only files named
# *_avx512.cpp / *_amx.cpp get wider instruction sets, and the kernel table picks
# them at run time from the CPU features (never -march=native).
# -Wno-maybe-uninitialized: GCC 12 warns falsely inside its own AVX-512 intrinsic headers.
set(DSI_AVX512_FLAGS -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni -mavx512bf16 -mfma -mf16c
    -Wno-maybe-uninitialized)
set(DSI_AMX_FLAGS ${DSI_AVX512_FLAGS} -mamx-tile -mamx-int8 -mamx-bf16)

function(dsi_apply_isa_flags)
  foreach(src IN LISTS ARGN)
    if(src MATCHES "_amx\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${DSI_AMX_FLAGS}")
    elseif(src MATCHES "_avx512\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${DSI_AVX512_FLAGS}")
    endif()
  endforeach()
endfunction()
