file(REMOVE_RECURSE
  "libdrgate_config.a"
)
