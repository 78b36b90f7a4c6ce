/* sched.h: sched_yield() for pvisor guest programs. Priorities are set
 * with pv_thread_set_priority() or pthread_setschedprio() (0..31, higher
 * runs first). */
#ifndef PVISOR_GUEST_SCHED_H
#define PVISOR_GUEST_SCHED_H

int sched_yield(void);
int sched_get_priority_min(int policy);
int sched_get_priority_max(int policy);

#define SCHED_OTHER	0
#define SCHED_FIFO	1
#define SCHED_RR	2

#endif
