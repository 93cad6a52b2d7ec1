file(REMOVE_RECURSE
  "CMakeFiles/replay_main.dir/fuzz/fuzz_main.c.o"
  "CMakeFiles/replay_main.dir/fuzz/fuzz_main.c.o.d"
  "replay_main"
  "replay_main.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/replay_main.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
