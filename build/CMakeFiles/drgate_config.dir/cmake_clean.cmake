file(REMOVE_RECURSE
  "CMakeFiles/drgate_config.dir/config/config.c.o"
  "CMakeFiles/drgate_config.dir/config/config.c.o.d"
  "CMakeFiles/drgate_config.dir/config/options.c.o"
  "CMakeFiles/drgate_config.dir/config/options.c.o.d"
  "libdrgate_config.a"
  "libdrgate_config.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/drgate_config.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
