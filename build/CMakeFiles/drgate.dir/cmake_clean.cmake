file(REMOVE_RECURSE
  "CMakeFiles/drgate.dir/consumer/main.c.o"
  "CMakeFiles/drgate.dir/consumer/main.c.o.d"
  "drgate"
  "drgate.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/drgate.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
