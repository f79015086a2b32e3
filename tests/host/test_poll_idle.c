/*
 * Polling mode when idle (nvmf_opts.poll_us, nvmf.h POLLING): an idle
 * controller's I/O thread must go back to sleeping although the library
 * keeps talking to the controller on its own. Neither Keep Alive (sent
 * every kato/2, completed by the controller) nor a timer of the library's
 * (here the queues' lapsed connect deadlines) is the application's work:
 * before the fix each started a new polling window, so with kato 1 s and
 * poll_us 1 s the thread spun forever.
 *
 * Measured as process CPU time (getrusage) over a stretch of idleness,
 * against a bound far from both outcomes: a thread that keeps polling
 * takes about a second of CPU per second, one that sleeps next to none
 * (the fake controller in this process answers a few commands).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <cmocka.h>
#include <uv.h>

#include <nvmf/nvmf.h>
#include "fake/fake_ctrl.h"

#define CPU_BOUND_S 0.3

static double cpu_s(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* The process CPU seconds used while this thread sleeps ms. */
static double idle_cpu(unsigned ms)
{
	double t0 = cpu_s();

	uv_sleep(ms);
	return cpu_s() - t0;
}

/*
 * Connect with poll_us 1 s and the given kato and connect_timeout, read
 * once (the application's work: one window of polling), wait out that
 * window, then measure idle_ms of idleness.
 */
static double measure(const char *name, int kato, int connect_timeout, unsigned skip_ms,
		      unsigned idle_ms, unsigned *keep_alives)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = fake_host_start(FAKE_GOOD, &o);
	struct fake_stats st;
	struct nvmf_ctrl *c;
	uint8_t buf[4096];
	double used;

	assert_non_null(fc);
	o.poll_us = 1000000;
	o.private_thread = true;
	o.kato = kato;
	o.connect_timeout = connect_timeout;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	uv_sleep(skip_ms);	/* the read's window (1 s) passes */
	used = idle_cpu(idle_ms);
	printf("%s: kato %d s, poll_us 1 s: %.3f s of CPU in %.1f s idle (bound %.1f s)\n",
	       name, kato, used, idle_ms / 1000.0, CPU_BOUND_S);
	fflush(stdout);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, &st);
	*keep_alives = st.keep_alives;
	return used;
}

/* Keep Alive every 0.5 s: six of them in the 3 s measured. */
static void test_idle_keep_alive(void **state)
{
	unsigned ka;
	double used = measure("keep alive", 1, 5, 1200, 3000, &ka);

	(void)state;
	assert_true(ka >= 4);	/* the library did talk to the controller */
	assert_true(used < CPU_BOUND_S);
}

/*
 * No Keep Alive; the queues' connect deadlines (connect_timeout 2 s, armed
 * at connect and left to lapse) wake the thread about 2 s after connect,
 * after the read's window ended: that wake-up did nothing for the
 * application and must not start a window.
 */
static void test_idle_timer(void **state)
{
	unsigned ka;
	double used = measure("lapsed timer", 0, 2, 1300, 2200, &ka);

	(void)state;
	assert_int_equal(ka, 0);
	assert_true(used < CPU_BOUND_S);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_keep_alive),
		cmocka_unit_test(test_idle_timer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
