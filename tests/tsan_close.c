/*
 * ThreadSanitizer builds only (-DNVMF_TSAN=ON; tests/CMakeLists.txt links
 * this into every program the TSan step runs): lets TSan see libuv close
 * its file descriptors.
 *
 * On Linux libuv closes descriptors with syscall(SYS_close, fd) rather
 * than close(), which is a thread cancellation point (uv__close_nocancel).
 * TSan intercepts close() but not syscall(), so for it a descriptor libuv
 * closed stays open: when another thread later gets the same number (a
 * second controller's loop, a socket, an fopen()), the two creations look
 * like a data race on the descriptor (google/sanitizers issue 1376; libuv
 * added the sanitizer hooks in its own source for instrumented builds,
 * which Debian's libuv is not). A suppression cannot name libuv's side
 * without hiding every race of our code run from uv_run(), so instead this
 * wrapper, defined in the executable and so found before libc's by libuv's
 * calls, tells TSan about each close through its system call hooks and
 * passes everything through.
 */
#if defined(__linux__)
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>

/* TSan's system call hooks (sanitizer/linux_syscall_hooks.h, which gcc's
 * headers lack). */
void __sanitizer_syscall_pre_impl_close(long fd);
void __sanitizer_syscall_post_impl_close(long res, long fd);

typedef long (*syscall_fn)(long, ...);

long syscall(long n, ...);

long syscall(long n, ...)
{
	static syscall_fn real;
	syscall_fn fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
	long a[6], r;
	va_list ap;
	int e;

	if (!fn) {
		fn = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
		__atomic_store_n(&real, fn, __ATOMIC_RELEASE);
	}
	/* Six argument registers, as libc's own syscall() passes them: the
	 * callee reads only those its system call takes. */
	va_start(ap, n);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (n != SYS_close)
		return fn(n, a[0], a[1], a[2], a[3], a[4], a[5]);
	__sanitizer_syscall_pre_impl_close(a[0]);
	r = fn(n, a[0]);
	e = errno;
	__sanitizer_syscall_post_impl_close(r, a[0]);
	errno = e;
	return r;
}
#else
/* Elsewhere libuv closes with close() (or close$NOCANCEL on macOS). */
typedef int nvmf_tsan_close_unused;
#endif
