
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/consumer/buf.c" "CMakeFiles/drgate_core.dir/consumer/buf.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/buf.c.o.d"
  "/work/main/consumer/cli.c" "CMakeFiles/drgate_core.dir/consumer/cli.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/cli.c.o.d"
  "/work/main/consumer/digest.c" "CMakeFiles/drgate_core.dir/consumer/digest.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/digest.c.o.d"
  "/work/main/consumer/err.c" "CMakeFiles/drgate_core.dir/consumer/err.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/err.c.o.d"
  "/work/main/consumer/json.c" "CMakeFiles/drgate_core.dir/consumer/json.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/json.c.o.d"
  "/work/main/consumer/log.c" "CMakeFiles/drgate_core.dir/consumer/log.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/log.c.o.d"
  "/work/main/consumer/mem.c" "CMakeFiles/drgate_core.dir/consumer/mem.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/mem.c.o.d"
  "/work/main/consumer/plan.c" "CMakeFiles/drgate_core.dir/consumer/plan.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/plan.c.o.d"
  "/work/main/consumer/runbook.c" "CMakeFiles/drgate_core.dir/consumer/runbook.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/runbook.c.o.d"
  "/work/main/consumer/store.c" "CMakeFiles/drgate_core.dir/consumer/store.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/store.c.o.d"
  "/work/main/consumer/timefmt.c" "CMakeFiles/drgate_core.dir/consumer/timefmt.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/timefmt.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
