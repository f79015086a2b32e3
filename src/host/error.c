/*
 * Thread-local error state and the library's log.
 *
 * Each thread keeps the message, errno and NVMe status of its last failure
 * (libnbd's model): a synchronous call fails on the caller's thread, so the
 * caller reads the reason there without any shared state.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>

#include "host/host.h"

#define HOST_ERR_MAX 512

static _Thread_local char     tl_msg[HOST_ERR_MAX];
static _Thread_local int      tl_errno;
static _Thread_local uint16_t tl_status;

/* Below every level: nothing is printed. */
#define LOG_OFF (-1)

/* The callback and its argument change together under log_mu; log_cb is
 * also read without the lock, only to know whether there is one. */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(nvmf_log_cb) log_cb;
static void *log_user;
static int log_level = LOG_OFF;	/* set once from LIBNVMF_DEBUG by log_init() */
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

/* The CMake project version (CMakeLists.txt), the one the shared library
 * and pkg-config carry too. */
const char *nvmf_version(void)
{
	return NVMF_VERSION_STRING;
}

void nvmf_free(void *p)
{
	free(p);
}

const char *nvmf_get_error(void)
{
	return tl_msg;
}

int nvmf_get_errno(void)
{
	return tl_errno;
}

uint16_t nvmf_get_status(void)
{
	return tl_status;
}

void host_err_clear(void)
{
	tl_msg[0] = '\0';
	tl_errno = 0;
	tl_status = 0;
}

static int host_verr(int err, uint16_t status, const char *fmt, va_list ap)
{
	if (err < 0)
		err = -err;
	if (err == 0)
		err = EIO;
	vsnprintf(tl_msg, sizeof(tl_msg), fmt, ap);
	tl_errno = err;
	tl_status = status;
	host_log(NVMF_LOG_DEBUG, "error: %s (%s)", tl_msg, strerror(err));
	return -err;
}

int host_err(int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = host_verr(err, 0, fmt, ap);
	va_end(ap);
	return r;
}

int host_err_status(int err, uint16_t status, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = host_verr(err, status, fmt, ap);
	va_end(ap);
	return r;
}

int host_err_set(int err, uint16_t status, const char *msg)
{
	return host_err_status(err, status, "%s", msg);
}

/*
 * Quiet unless asked. Every failure already reaches the caller (a negative
 * return with nvmf_get_error(), or a completion with its text): printing it
 * as well made applications and the tools show each connect error twice,
 * and a library must not write to a stderr that may belong to a terminal
 * user interface or be closed. LIBNVMF_DEBUG turns the whole log on.
 */
static void log_init(void)
{
	const char *e = getenv("LIBNVMF_DEBUG");

	log_level = (e && *e && strcmp(e, "0") != 0) ? NVMF_LOG_DEBUG : LOG_OFF;
}

void nvmf_set_log_callback(nvmf_log_cb cb, void *user)
{
	pthread_once(&log_once, log_init);
	pthread_mutex_lock(&log_mu);
	log_user = user;
	atomic_store(&log_cb, cb);
	pthread_mutex_unlock(&log_mu);
}

bool host_log_enabled(enum nvmf_log_level lvl)
{
	pthread_once(&log_once, log_init);
	/* With a callback everything is passed on: the callback filters. */
	return atomic_load(&log_cb) != NULL || (int)lvl <= log_level;
}

/*
 * The application's log callback, once per message: a libnvmf call it makes
 * that fails logs its own error, which is not passed to it again (that
 * recursed until the stack ran out). The thread's last error is the
 * caller's again when it returns: a message comes with the error being set
 * (host_verr), and the callback's own calls must not replace it. It counts
 * as a callback of every loop: a synchronous call from it is refused
 * (-EDEADLK) where it would run a loop that may be the one logging.
 */
static _Thread_local bool tl_in_log_cb;

static void call_log_cb(nvmf_log_cb cb, void *user, enum nvmf_log_level lvl, const char *msg)
{
	char saved_msg[HOST_ERR_MAX];
	int saved_errno = tl_errno;
	uint16_t saved_status = tl_status;

	if (tl_in_log_cb)
		return;
	memcpy(saved_msg, tl_msg, sizeof(saved_msg));
	tl_in_log_cb = true;
	host_cb_enter_all();
	cb(user, lvl, msg);
	host_cb_exit();
	tl_in_log_cb = false;
	memcpy(tl_msg, saved_msg, sizeof(tl_msg));
	tl_errno = saved_errno;
	tl_status = saved_status;
}

void host_log(enum nvmf_log_level lvl, const char *fmt, ...)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	char buf[512];
	nvmf_log_cb cb;
	void *user;
	va_list ap;

	if (!host_log_enabled(lvl))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One consistent pair, even if another thread changes it meanwhile. */
	pthread_mutex_lock(&log_mu);
	cb = atomic_load(&log_cb);
	user = log_user;
	pthread_mutex_unlock(&log_mu);
	if (cb)
		call_log_cb(cb, user, lvl, buf);
	else if ((int)lvl <= log_level)
		fprintf(stderr, "libnvmf: %s: %s\n", names[lvl & 3], buf);
}
