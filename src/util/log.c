/* log.c: the run's log file, and stderr at high verbosity. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"

static FILE *log_fp;
static char *log_file;
static int stderr_level = -1;

void
kl_log_set_stderr_level(int level)
{
	stderr_level = level;
}

int
kl_log_open(const char *path)
{
	kl_log_close();
	log_fp = fopen(path, "ae");
	if (log_fp == NULL)
		return -1;
	log_file = kl_xstrdup(path);
	return 0;
}

void
kl_log_close(void)
{
	if (log_fp)
		fclose(log_fp);
	log_fp = NULL;
	free(log_file);
	log_file = NULL;
}

const char *
kl_log_path(void)
{
	return log_file;
}

void
kl_log(enum kl_log_level level, const char *fmt, ...)
{
	static const char tag[] = "EWID";
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (log_fp == NULL && (int)level > stderr_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(stamp, sizeof(stamp), "%02d:%02d:%02d.%03ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 ts.tv_nsec / 1000000);
	if (log_fp) {
		fprintf(log_fp, "%c%s %d] ", tag[level], stamp, (int)getpid());
		va_start(ap, fmt);
		vfprintf(log_fp, fmt, ap);
		va_end(ap);
		fputc('\n', log_fp);
		fflush(log_fp);
	}
	if ((int)level <= stderr_level) {
		fprintf(stderr, "%c%s] ", tag[level], stamp);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
}
