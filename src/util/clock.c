/* clock.c: monotonic milliseconds. */
#include <errno.h>
#include <time.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/interrupt.h"

long long
kl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void
kl_sleep_ms(long long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	/* A first SIGINT/SIGTERM ends the nap: the caller's loop looks at kl_interrupted(). */
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !kl_interrupted())
		;
}
