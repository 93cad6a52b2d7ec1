# Warning flags, probed per compiler (STYLE.md "Tests and tools").
include(CheckCCompilerFlag)
set(DRGATE_WARNING_FLAGS "")
foreach(flag -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
             -Wmissing-prototypes -Wformat=2 -Wvla -Wimplicit-fallthrough
             -Wno-format-nonliteral)
  string(MAKE_C_IDENTIFIER "HAS${flag}" var)
  check_c_compiler_flag(${flag} ${var})
  if(${var})
    list(APPEND DRGATE_WARNING_FLAGS ${flag})
  endif()
endforeach()
if(DRGATE_WERROR)
  list(APPEND DRGATE_WARNING_FLAGS -Werror)
endif()

function(drgate_warnings target)
  target_compile_options(${target} PRIVATE ${DRGATE_WARNING_FLAGS})
endfunction()
