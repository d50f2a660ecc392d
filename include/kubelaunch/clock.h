/* clock.h: monotonic milliseconds, for deadlines and timings. */
#ifndef KL_CLOCK_H
#define KL_CLOCK_H

long long kl_now_ms(void);
/* Sleep; returns early once a SIGINT/SIGTERM has arrived (kl_interrupted). */
void kl_sleep_ms(long long ms);

#endif
