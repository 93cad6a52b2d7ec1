file(REMOVE_RECURSE
  "CMakeFiles/drgate_testsupport.dir/support/testsupport.c.o"
  "CMakeFiles/drgate_testsupport.dir/support/testsupport.c.o.d"
  "libdrgate_testsupport.a"
  "libdrgate_testsupport.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/drgate_testsupport.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
