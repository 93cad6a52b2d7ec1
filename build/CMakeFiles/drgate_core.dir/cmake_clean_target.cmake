file(REMOVE_RECURSE
  "libdrgate_core.a"
)
