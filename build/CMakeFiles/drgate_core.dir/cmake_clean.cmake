file(REMOVE_RECURSE
  "CMakeFiles/drgate_core.dir/consumer/buf.c.o"
  "CMakeFiles/drgate_core.dir/consumer/buf.c.o.d"
  "CMakeFiles/drgate_core.dir/consumer/cli.c.o"
  "CMakeFiles/drgate_core.dir/consumer/cli.c.o.d"
  "CMakeFiles/drgate_core.dir/consumer/digest.c.o"
  "CMakeFiles/drgate_core.dir/consumer/digest.c.o.d"
  "CMakeFiles/drgate_core.dir/consumer/err.c.o"
  "CMakeFiles/drgate_core.dir/consumer/err.c.o.d"
  "CMakeFiles/drgate_core.dir/consumer/json.c.o"
  "CMakeFiles/drgate_core.dir/consumer/json.c.o.d"
  "CMakeFiles/drgate_core.dir/consumer/log.c.o"
  "CMakeFiles/drgate_core.dir/consumer/log.c.o.d"
  "CMakeFiles/drgate_core.dir/consumer/mem.c.o"
  "CMakeFiles/drgate_core.dir/consumer/mem.c.o.d"
  "CMakeFiles/drgate_core.dir/consumer/plan.c.o"
  "CMakeFiles/drgate_core.dir/consumer/plan.c.o.d"
  "CMakeFiles/drgate_core.dir/consumer/runbook.c.o"
  "CMakeFiles/drgate_core.dir/consumer/runbook.c.o.d"
  "CMakeFiles/drgate_core.dir/consumer/store.c.o"
  "CMakeFiles/drgate_core.dir/consumer/store.c.o.d"
  "CMakeFiles/drgate_core.dir/consumer/timefmt.c.o"
  "CMakeFiles/drgate_core.dir/consumer/timefmt.c.o.d"
  "libdrgate_core.a"
  "libdrgate_core.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/drgate_core.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
