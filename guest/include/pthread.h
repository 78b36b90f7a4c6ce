/* pthread.h: a POSIX threads subset on the pvisor guest kernel's threads
 * (pv/thread.h, pv/sync.h). Functions return 0 or a positive errno value,
 * as POSIX says. All threads share one vCPU; see pv/thread.h for the
 * scheduling rules. */
#ifndef PVISOR_GUEST_PTHREAD_H
#define PVISOR_GUEST_PTHREAD_H

#include <stddef.h>
#include <time.h>
#include <sched.h>
#include <pv/thread.h>
#include <pv/sync.h>

typedef pv_thread_t *pthread_t;

typedef struct {
	size_t stacksize;
	int detachstate;
	int priority;		/* -1: inherit the creator's */
	const char *name;
} pthread_attr_t;

#define PTHREAD_CREATE_JOINABLE	0
#define PTHREAD_CREATE_DETACHED	1
#define PTHREAD_CANCELED	PV_THREAD_KILLED

typedef struct {
	struct pv_mutex m;
} pthread_mutex_t;

typedef struct {
	int type;
} pthread_mutexattr_t;

#define PTHREAD_MUTEX_NORMAL		0
#define PTHREAD_MUTEX_ERRORCHECK	1
#define PTHREAD_MUTEX_DEFAULT		PTHREAD_MUTEX_ERRORCHECK
#define PTHREAD_MUTEX_INITIALIZER	{ PV_MUTEX_INIT }

typedef struct {
	struct pv_cond c;
	clockid_t clock;	/* for pthread_cond_timedwait's abstime */
} pthread_cond_t;

typedef struct {
	clockid_t clock;
} pthread_condattr_t;

#define PTHREAD_COND_INITIALIZER	{ PV_COND_INIT, CLOCK_REALTIME }

typedef struct {
	int done;
} pthread_once_t;

#define PTHREAD_ONCE_INIT		{ 0 }

int pthread_attr_init(pthread_attr_t *attr);
int pthread_attr_destroy(pthread_attr_t *attr);
int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size);
int pthread_attr_getstacksize(const pthread_attr_t *attr, size_t *size);
int pthread_attr_setdetachstate(pthread_attr_t *attr, int state);
int pthread_attr_getdetachstate(const pthread_attr_t *attr, int *state);

int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
		   void *(*fn)(void *), void *arg);
int pthread_join(pthread_t thread, void **result);
int pthread_detach(pthread_t thread);
__attribute__((__noreturn__)) void pthread_exit(void *result);
pthread_t pthread_self(void);
int pthread_equal(pthread_t a, pthread_t b);
int pthread_yield(void);
int pthread_setschedprio(pthread_t thread, int priority);
int pthread_setname_np(pthread_t thread, const char *name);
int pthread_once(pthread_once_t *once, void (*fn)(void));

int pthread_mutexattr_init(pthread_mutexattr_t *attr);
int pthread_mutexattr_destroy(pthread_mutexattr_t *attr);
int pthread_mutexattr_settype(pthread_mutexattr_t *attr, int type);
int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr);
int pthread_mutex_destroy(pthread_mutex_t *m);
int pthread_mutex_lock(pthread_mutex_t *m);
int pthread_mutex_trylock(pthread_mutex_t *m);
int pthread_mutex_unlock(pthread_mutex_t *m);

int pthread_condattr_init(pthread_condattr_t *attr);
int pthread_condattr_destroy(pthread_condattr_t *attr);
int pthread_condattr_setclock(pthread_condattr_t *attr, clockid_t clock);
int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr);
int pthread_cond_destroy(pthread_cond_t *c);
int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
			   const struct timespec *abstime);
int pthread_cond_signal(pthread_cond_t *c);
int pthread_cond_broadcast(pthread_cond_t *c);

#endif
