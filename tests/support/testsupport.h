#ifndef DRGATE_TESTSUPPORT_H
#define DRGATE_TESTSUPPORT_H
/*
 * Shared helpers for the Check suites: data paths and file reading.
 */
#include <stddef.h>

#include <check.h>

/* Returns DRGATE_TEST_DATA "/" rel in a static buffer. */
const char *ts_data(const char *rel);
/* Reads a whole file; caller frees with free(). NULL when missing. */
char *ts_read_file(const char *path, size_t *len);
/* Runs the suite with CK_NORMAL output; returns the process exit status. */
int ts_run(Suite *s);

#endif
