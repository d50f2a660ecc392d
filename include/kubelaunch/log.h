/* log.h: the per-run log file and verbosity; modules log, they never print to the user. */
#ifndef KL_LOG_H
#define KL_LOG_H

enum kl_log_level { KL_LOG_ERROR = 0, KL_LOG_WARN = 1, KL_LOG_INFO = 2, KL_LOG_DEBUG = 3 };

/* Messages at or below `stderr_level` also go to stderr (-v=N raises it). */
void kl_log_set_stderr_level(int level);
/* Open the run's log file (append); returns 0 or -1 (logging then stays off). */
int kl_log_open(const char *path);
void kl_log_close(void);
const char *kl_log_path(void);
void kl_log(enum kl_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define kl_debug(...) kl_log(KL_LOG_DEBUG, __VA_ARGS__)
#define kl_info(...) kl_log(KL_LOG_INFO, __VA_ARGS__)
#define kl_warn(...) kl_log(KL_LOG_WARN, __VA_ARGS__)

#endif
