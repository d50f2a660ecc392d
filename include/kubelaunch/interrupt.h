/*
 * interrupt.h: the first SIGINT or SIGTERM asks the command to stop cleanly.
 *
 * main installs the handlers once. The first signal is recorded and its handler
 * removed, so a second one ends the process at once. Blocking calls return EINTR
 * (no SA_RESTART), and every wait that can last (downloads, lock waits, commands)
 * checks kl_interrupted() and returns INTERRUPTED (exit 2) after removing what it
 * left half-done.
 */
#ifndef KL_INTERRUPT_H
#define KL_INTERRUPT_H

#include "kubelaunch/err.h"

void kl_interrupt_install(void);
/* The signal that arrived first, or 0. */
int kl_interrupted(void);
/* INTERRUPTED, "interrupted by signal N while WHAT"; returns -1. */
int kl_interrupt_err(struct kl_err *err, const char *what);

#endif
