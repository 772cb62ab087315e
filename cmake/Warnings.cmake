# ofbridge_set_warnings(<target>): the project's warning policy, applied to every target we
# compile ourselves (generated gSOAP code gets ofbridge_set_generated_warnings instead).
function(ofbridge_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
                                           -Wconversion -Wno-sign-conversion -Werror)
endfunction()

# soapcpp2's output is not ours to fix; compile it without -Werror so a newer gSOAP
# cannot break the build on a warning in code we never wrote.
function(ofbridge_set_generated_warnings target)
  target_compile_options(${target} PRIVATE -w)
endfunction()
