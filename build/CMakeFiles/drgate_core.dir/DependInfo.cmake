
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/wt/config/consumer/buf.c" "CMakeFiles/drgate_core.dir/consumer/buf.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/buf.c.o.d"
  "/work/wt/config/consumer/cli.c" "CMakeFiles/drgate_core.dir/consumer/cli.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/cli.c.o.d"
  "/work/wt/config/consumer/digest.c" "CMakeFiles/drgate_core.dir/consumer/digest.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/digest.c.o.d"
  "/work/wt/config/consumer/err.c" "CMakeFiles/drgate_core.dir/consumer/err.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/err.c.o.d"
  "/work/wt/config/consumer/json.c" "CMakeFiles/drgate_core.dir/consumer/json.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/json.c.o.d"
  "/work/wt/config/consumer/log.c" "CMakeFiles/drgate_core.dir/consumer/log.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/log.c.o.d"
  "/work/wt/config/consumer/mem.c" "CMakeFiles/drgate_core.dir/consumer/mem.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/mem.c.o.d"
  "/work/wt/config/consumer/timefmt.c" "CMakeFiles/drgate_core.dir/consumer/timefmt.c.o" "gcc" "CMakeFiles/drgate_core.dir/consumer/timefmt.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/wt/config/build/CMakeFiles/drgate_config.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
