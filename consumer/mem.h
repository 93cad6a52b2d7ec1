#ifndef DRGATE_MEM_H
#define DRGATE_MEM_H
/*
 * Allocation wrappers (Redis zmalloc). Out of memory aborts with a message;
 * sizes that come from outside must be capped by the caller before they get
 * here. dg_mem_init() installs the wrappers into cJSON.
 */
#include <stddef.h>

void dg_mem_init(void);
void *dg_malloc(size_t n);
void *dg_calloc(size_t count, size_t n);
void *dg_realloc(void *p, size_t n);
char *dg_strdup(const char *s);            /* NULL in, NULL out */
char *dg_strndup(const char *s, size_t n); /* copies at most n bytes */
void dg_free(void *p);                     /* accepts NULL */
/* Returns a newly allocated printf-formatted string; caller frees. */
char *dg_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
