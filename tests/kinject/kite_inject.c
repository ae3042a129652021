// SPDX-License-Identifier: GPL-2.0
/*
 * kite_inject: a test-only module that commits one kernel bug on purpose, so
 * tests/guest-inject.sh can show that the debug guest kernel (KASAN, lockdep,
 * atomic-sleep checking, the hung-task detector) and the guests' log check
 * catch each kind. Never built for, or loaded on, a real host.
 */
#include <linux/compiler.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static char *bug = "none";
module_param(bug, charp, 0444);
MODULE_PARM_DESC(bug, "the bug to commit at load: none, oob, inversion, sleep or hang");

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);
static DEFINE_SPINLOCK(spin);

/* one byte past a 32-byte allocation: KASAN's slab-out-of-bounds */
static noinline void inject_oob(void)
{
	size_t past_end = 32;
	char *buf = kmalloc(32, GFP_KERNEL);

	if (!buf)
		return;
	OPTIMIZER_HIDE_VAR(past_end);	/* no compile-time bounds warning */
	buf[past_end] = 1;
	kfree(buf);
}

/* A then B, later B then A: lockdep's circular dependency, no real deadlock */
static noinline void inject_inversion(void)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_b);
	mutex_unlock(&lock_b);
	mutex_unlock(&lock_a);
	mutex_lock(&lock_b);
	mutex_lock(&lock_a);
	mutex_unlock(&lock_a);
	mutex_unlock(&lock_b);
}

/* a function that may sleep, called under a spinlock */
static noinline void inject_sleep(void)
{
	spin_lock(&spin);
	might_sleep();
	spin_unlock(&spin);
}

static int __init kite_inject_init(void)
{
	if (!strcmp(bug, "oob"))
		inject_oob();
	else if (!strcmp(bug, "inversion"))
		inject_inversion();
	else if (!strcmp(bug, "sleep"))
		inject_sleep();
	else if (!strcmp(bug, "hang"))
		msleep(15000);	/* insmod in D state past hung_task_timeout_secs */
	else if (strcmp(bug, "none"))
		return -EINVAL;
	return 0;
}

static void __exit kite_inject_exit(void)
{
}

module_init(kite_inject_init);
module_exit(kite_inject_exit);
MODULE_DESCRIPTION("kite test-only bug injection for the debug guest kernel");
MODULE_LICENSE("GPL");
