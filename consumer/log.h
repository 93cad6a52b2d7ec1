#ifndef DRGATE_LOG_H
#define DRGATE_LOG_H
/*
 * JSON-lines logging on stderr: {"time":..,"level":..,"msg":..,...}.
 * Never pass secrets. Key/value pairs follow the message as a NULL-ended
 * list of const char * pairs, all rendered as JSON strings.
 */
enum dg_log_level { DG_LOG_DEBUG, DG_LOG_INFO, DG_LOG_WARN, DG_LOG_ERROR };

/* "debug", "info", "warn", "error"; returns -1 for anything else. */
int log_level_parse(const char *s);
void log_set_level(enum dg_log_level lvl);
/* log_kv(DG_LOG_INFO, "started", "config", path, NULL) */
void log_kv(enum dg_log_level lvl, const char *msg, ...);

#endif
