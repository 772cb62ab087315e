# ofbridge_set_warnings(<target>): the project's warning policy, applied to every target we
# compile ourselves (generated gSOAP code gets ofbridge_set_generated_warnings instead).
function(ofbridge_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
                                           -Wconversion -Wno-sign-conversion -Werror)
  # GCC 12 reports -Wrestrict false positives inside libstdc++'s std::string operator+ at -O3
  # (GCC bug 105329); the warning says nothing about our code there.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
endfunction()

# soapcpp2's output is not ours to fix; compile it without -Werror so a newer gSOAP
# cannot break the build on a warning in code we never wrote.
function(ofbridge_set_generated_warnings target)
  target_compile_options(${target} PRIVATE -w)
endfunction()
