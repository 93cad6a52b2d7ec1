
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/wt/config/consumer/main.c" "CMakeFiles/drgate.dir/consumer/main.c.o" "gcc" "CMakeFiles/drgate.dir/consumer/main.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/wt/config/build/CMakeFiles/drgate_core.dir/DependInfo.cmake"
  "/work/wt/config/build/CMakeFiles/drgate_config.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
