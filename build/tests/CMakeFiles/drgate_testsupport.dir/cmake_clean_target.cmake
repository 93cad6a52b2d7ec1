file(REMOVE_RECURSE
  "libdrgate_testsupport.a"
)
