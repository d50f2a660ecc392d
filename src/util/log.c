/* log.c: the run's log file, and stderr at high verbosity. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
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

struct old_log {
	time_t mtime;
	char *path;
};

static int
by_mtime(const void *a, const void *b)
{
	const struct old_log *x = a, *y = b;

	return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

/* Keep the newest `keep` run logs in the log's directory. */
static void
prune(const char *path, size_t keep)
{
	char *dir = kl_xstrdup(path), *slash = strrchr(dir, '/');
	struct old_log *logs = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	if (slash)
		*slash = '\0';
	d = slash ? opendir(dir) : NULL;
	while (d && (de = readdir(d)) != NULL) {
		struct stat st;
		char *p;

		if (strstr(de->d_name, ".log") == NULL)
			continue;
		p = kl_xasprintf("%s/%s", dir, de->d_name);
		if (stat(p, &st) != 0) {
			free(p);
			continue;
		}
		logs = kl_xrealloc(logs, (n + 1) * sizeof(*logs));
		logs[n].mtime = st.st_mtime;
		logs[n++].path = p;
	}
	if (d)
		closedir(d);
	qsort(logs, n, sizeof(*logs), by_mtime);
	for (size_t i = 0; i < n; i++) {
		if (i + keep < n)
			unlink(logs[i].path);
		free(logs[i].path);
	}
	free(logs);
	free(dir);
}

/* The file is created on the first message, so read-only runs leave none. */
int
kl_log_open(const char *path)
{
	kl_log_close();
	log_file = kl_xstrdup(path);
	return 0;
}

static FILE *
log_stream(void)
{
	if (log_fp == NULL && log_file != NULL) {
		log_fp = fopen(log_file, "ae");
		if (log_fp == NULL) {
			free(log_file);
			log_file = NULL;
		} else {
			prune(log_file, 100);
		}
	}
	return log_fp;
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

	if (log_stream() == NULL && (int)level > stderr_level)
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
