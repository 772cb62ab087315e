# OFBRIDGE_SANITIZE=ON builds everything with AddressSanitizer + UndefinedBehaviorSanitizer.
# Used by the second half of the test command (see README) so memory errors fail CI.
option(OFBRIDGE_SANITIZE "Build with ASan and UBSan" OFF)
if(OFBRIDGE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# OFBRIDGE_FUZZ=ON: coverage instrumentation for libFuzzer in every library (the fuzz targets
# themselves link with -fsanitize=fuzzer, tests/fuzz/CMakeLists.txt). Fuzzing without ASan and
# UBSan finds only crashes, so they are switched on with it.
if(OFBRIDGE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "OFBRIDGE_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(NOT OFBRIDGE_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
