# Run at build time (cmake -P): the ofbridge(1) man page from the binary's own help.
# help2man turns `ofbridge --help` and `--version` into the page; every subcommand's --help
# (found by walking the "Subcommands:" lists) goes into a COMMANDS section, so the page says
# exactly what the CLI accepts. Writes OUTPUT and OUTPUT.gz (gzip -9n, as Debian installs it).
#   -DBINARY=path/to/ofbridge -DHELP2MAN=/usr/bin/help2man -DOUTPUT=ofbridge.1
get_filename_component(program ${BINARY} NAME)

function(roff_block text out)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "${BINARY}" "${program}" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

set(commands "")
function(walk path)
  string(REPLACE " " ";" args "${path}")
  execute_process(COMMAND ${BINARY} ${args} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${BINARY} ${path} --help failed (${rc})")
  endif()
  if(NOT path STREQUAL "")
    roff_block("${help}" block)
    set(commands "${commands}.SS \"${program} ${path}\"\n.nf\n${block}.fi\n")
  endif()
  string(FIND "${help}" "Subcommands:" at)
  if(at EQUAL -1)
    set(commands "${commands}" PARENT_SCOPE)
    return()
  endif()
  string(SUBSTRING "${help}" ${at} -1 list)
  string(REGEX MATCHALL "\n  [a-z][a-z-]*" names "${list}")
  foreach(name IN LISTS names)
    string(STRIP "${name}" name)
    if(path STREQUAL "")
      walk("${name}")
    else()
      walk("${path} ${name}")
    endif()
  endforeach()
  set(commands "${commands}" PARENT_SCOPE)
endfunction()
walk("")

set(include_file ${OUTPUT}.include)
file(WRITE ${include_file} "[COMMANDS]\n${commands}\n[FILES]\n.TP\n.I /etc/ofbridge/ofbridge.toml\nThe configuration (every key documented, with its default).\n.TP\n.I /var/lib/ofbridge/ofbridge.db\nThe durable store (SQLite, with its \\-wal and \\-shm files).\n")
execute_process(COMMAND ${BINARY} --version OUTPUT_VARIABLE version)
string(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" version "${version}")
execute_process(
  COMMAND ${HELP2MAN} --no-info --version-string=${version} --section=1 --include=${include_file}
          "--name=OrderFlow WMS <-> Magento message broker" --output=${OUTPUT} ${BINARY}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man failed (${rc})")
endif()
execute_process(COMMAND gzip -9n -c ${OUTPUT} OUTPUT_FILE ${OUTPUT}.gz RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip failed (${rc})")
endif()
