# ocib_set_warnings(target): the strict warning set for ocib's own targets,
# never for consumers. -Wnull-dereference stays off: GCC 12 reports false
# positives in libstdc++ (GCC bug 108860).
function(ocib_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
    -Woverloaded-virtual -Wnon-virtual-dtor -Wcast-qual -Wformat=2 -Wimplicit-fallthrough
    -Wmissing-declarations
    $<$<CXX_COMPILER_ID:GNU>:-Wduplicated-cond -Wduplicated-branches -Wlogical-op -Wuseless-cast>)
  if(OCIB_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
