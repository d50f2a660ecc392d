/* interrupt.c: the first SIGINT/SIGTERM is a request to stop; the second ends us. */
#include <signal.h>
#include <string.h>

#include "kubelaunch/interrupt.h"

static volatile sig_atomic_t first_signal;

static void
on_signal(int sig)
{
	if (first_signal == 0)
		first_signal = sig;
}

void
kl_interrupt_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking wait returns EINTR. The handler is reset on entry,
	 * so the second signal takes the default action. */
	sa.sa_flags = (int)SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int
kl_interrupted(void)
{
	return first_signal;
}

int
kl_interrupt_err(struct kl_err *err, const char *what)
{
	return kl_err_set(err, KL_R_INTERRUPTED, "interrupted by signal %d while %s", (int)first_signal, what);
}
