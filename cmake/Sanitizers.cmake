# OFBRIDGE_SANITIZE=ON builds everything with AddressSanitizer + UndefinedBehaviorSanitizer.
# Used by the second half of the test command (see README) so memory errors fail CI.
option(OFBRIDGE_SANITIZE "Build with ASan and UBSan" OFF)
if(OFBRIDGE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
