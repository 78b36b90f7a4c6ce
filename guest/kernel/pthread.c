/* pthread.c: the POSIX threads subset of <pthread.h> on pv threads and
 * pv synchronization. pv functions return -errno; these return errno. */
#include <errno.h>
#include <pthread.h>
#include "kernel.h"
#include "thread_internal.h"

int pthread_attr_init(pthread_attr_t *attr)
{
	attr->stacksize = PV_STACK_DEFAULT;
	attr->detachstate = PTHREAD_CREATE_JOINABLE;
	attr->priority = -1;
	attr->name = NULL;
	return 0;
}

int pthread_attr_destroy(pthread_attr_t *attr)
{
	(void)attr;
	return 0;
}

int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size)
{
	if (size < PV_STACK_MIN)
		return EINVAL;
	attr->stacksize = size;
	return 0;
}

int pthread_attr_getstacksize(const pthread_attr_t *attr, size_t *size)
{
	*size = attr->stacksize;
	return 0;
}

int pthread_attr_setdetachstate(pthread_attr_t *attr, int state)
{
	if (state != PTHREAD_CREATE_JOINABLE && state != PTHREAD_CREATE_DETACHED)
		return EINVAL;
	attr->detachstate = state;
	return 0;
}

int pthread_attr_getdetachstate(const pthread_attr_t *attr, int *state)
{
	*state = attr->detachstate;
	return 0;
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
		   void *(*fn)(void *), void *arg)
{
	struct pv_thread_attr a;
	pv_thread_t *t;

	pv_thread_attr_init(&a);
	a.name = "pthread";
	a.priority = current->priority >= PV_PRIO_MIN ? current->priority : PV_PRIO_DEFAULT;
	if (attr) {
		a.stack_size = attr->stacksize;
		a.detached = attr->detachstate == PTHREAD_CREATE_DETACHED;
		if (attr->priority >= 0)
			a.priority = attr->priority;
		if (attr->name)
			a.name = attr->name;
	}
	t = pv_thread_create(fn, arg, &a);
	if (!t)
		return errno;
	*thread = t;
	return 0;
}

int pthread_join(pthread_t thread, void **result)
{
	return -pv_thread_join(thread, result);
}

int pthread_detach(pthread_t thread)
{
	return -pv_thread_detach(thread);
}

void pthread_exit(void *result)
{
	pv_thread_exit(result);
}

pthread_t pthread_self(void)
{
	return pv_thread_self();
}

int pthread_equal(pthread_t a, pthread_t b)
{
	return a == b;
}

int pthread_yield(void)
{
	pv_thread_yield();
	return 0;
}

int pthread_setschedprio(pthread_t thread, int priority)
{
	return -pv_thread_set_priority(thread, priority);
}

int pthread_setname_np(pthread_t thread, const char *name)
{
	unsigned long flags;
	size_t i;

	if (!thread || !name)
		return EINVAL;
	flags = pv_events_disable();
	for (i = 0; i + 1 < sizeof(thread->name) && name[i]; i++)
		thread->name[i] = name[i];
	thread->name[i] = '\0';
	pv_events_restore(flags);
	return 0;
}

/* Serialized by a mutex, so a second caller waits until fn has finished. */
int pthread_once(pthread_once_t *once, void (*fn)(void))
{
	static struct pv_mutex once_lock;

	if (__atomic_load_n(&once->done, __ATOMIC_ACQUIRE))
		return 0;
	pv_mutex_lock(&once_lock);
	if (!once->done) {
		fn();
		__atomic_store_n(&once->done, 1, __ATOMIC_RELEASE);
	}
	pv_mutex_unlock(&once_lock);
	return 0;
}

/* ---- Mutexes: always error-checking ------------------------------------ */

int pthread_mutexattr_init(pthread_mutexattr_t *attr)
{
	attr->type = PTHREAD_MUTEX_DEFAULT;
	return 0;
}

int pthread_mutexattr_destroy(pthread_mutexattr_t *attr)
{
	(void)attr;
	return 0;
}

int pthread_mutexattr_settype(pthread_mutexattr_t *attr, int type)
{
	if (type != PTHREAD_MUTEX_NORMAL && type != PTHREAD_MUTEX_ERRORCHECK)
		return EINVAL;
	attr->type = type;
	return 0;
}

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
	(void)attr;
	pv_mutex_init(&m->m);
	return 0;
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
	return m->m.owner ? EBUSY : 0;
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	return -pv_mutex_lock(&m->m);
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
	return -pv_mutex_trylock(&m->m);
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
	return -pv_mutex_unlock(&m->m);
}

/* ---- Condition variables -------------------------------------------------- */

int pthread_condattr_init(pthread_condattr_t *attr)
{
	attr->clock = CLOCK_REALTIME;
	return 0;
}

int pthread_condattr_destroy(pthread_condattr_t *attr)
{
	(void)attr;
	return 0;
}

int pthread_condattr_setclock(pthread_condattr_t *attr, clockid_t clock)
{
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
		return EINVAL;
	attr->clock = clock;
	return 0;
}

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr)
{
	pv_cond_init(&c->c);
	c->clock = attr ? attr->clock : CLOCK_REALTIME;
	return 0;
}

int pthread_cond_destroy(pthread_cond_t *c)
{
	return c->c.waiters.first ? EBUSY : 0;
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	return -pv_cond_wait(&c->c, &m->m);
}

/* abstime on the condition's clock -> a PV-clock deadline. */
static uint64_t abstime_to_deadline(clockid_t clock, const struct timespec *abstime)
{
	uint64_t now = pv_clock_ns(), target, reference;

	if (abstime->tv_sec < 0)
		return now;
	target = (uint64_t)abstime->tv_sec * PV_NSEC_PER_SEC + (uint64_t)abstime->tv_nsec;
	reference = clock == CLOCK_MONOTONIC ? now : pv_wallclock_ns();
	if (target <= reference)
		return now;
	return now + (target - reference);
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
			   const struct timespec *abstime)
{
	uint64_t deadline;

	if (!abstime || abstime->tv_nsec < 0 || abstime->tv_nsec >= (long)PV_NSEC_PER_SEC)
		return EINVAL;
	deadline = abstime_to_deadline(c->clock, abstime);
	return -pv_cond_timedwait(&c->c, &m->m, deadline ? deadline : 1);
}

int pthread_cond_signal(pthread_cond_t *c)
{
	return -pv_cond_signal(&c->c);
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
	return -pv_cond_broadcast(&c->c);
}
