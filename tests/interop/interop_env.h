/*
 * What an interop test knows of its target: the target.env file that the
 * fixture (tests/interop/nvmet start) wrote, named by NVMF_TEST_ENV.
 *
 * The file holds one KEY=value per line (values single-quoted when they
 * contain shell metacharacters, so that sh can source it); see
 * tests/interop/README.md for the keys. These helpers load it, connect to
 * the forwarded target with the retries its user-mode network needs, and
 * run control-channel commands.
 */
#ifndef NVMF_TESTS_INTEROP_ENV_H
#define NVMF_TESTS_INTEROP_ENV_H

#include <stddef.h>
#include <stdint.h>

#define INTEROP_ENV_MAX 64

struct interop_env {
	int  count;
	char path[512];
	char *key[INTEROP_ENV_MAX];
	char *val[INTEROP_ENV_MAX];
};

/*
 * Loads the file named by NVMF_TEST_ENV (path NULL) or by path. Returns 0,
 * or -errno with a message in err that says what is missing: a test must
 * FAIL with that message, never skip, when the target did not start.
 */
int interop_env_load(struct interop_env *env, const char *path, char *err, size_t errlen);
void interop_env_free(struct interop_env *env);

/* Prints the last lines of the guest's console log (NVMF_TEST_CONSOLE_LOG)
 * to stderr: call it before failing, it often says why the target refused. */
void interop_env_dump_console(const struct interop_env *env, int lines);

/* Value of KEY, or NULL when the file does not have it. */
const char *interop_env_get(const struct interop_env *env, const char *key);

/* NVMF_TEST_TRSVCID (or another port key) as a number; 0 if absent or bad. */
uint16_t interop_env_port(const struct interop_env *env, const char *key);

/*
 * TCP connection to 127.0.0.1:port with receive/send timeouts of
 * timeout_ms. QEMU's forwarded port has a listen backlog of 1, so a refused
 * or reset connection is retried for up to retry_ms. Returns a socket or
 * -errno.
 */
int interop_connect(uint16_t port, int timeout_ms, int retry_ms);

/* Reads exactly len bytes (or fails: -ETIMEDOUT, -ECONNRESET on EOF). */
int interop_read_full(int fd, void *buf, size_t len);
int interop_write_full(int fd, const void *buf, size_t len);

/*
 * Runs NVMF_TEST_CTL with the given arguments (NULL-terminated), e.g.
 * ("state", NULL), ("ns-add", nqn, "5", "--size", "8M", NULL), or one
 * guest shell command ("cat /sys/kernel/config/...", NULL). Its standard
 * output goes to out (NUL-terminated, truncated to outlen). Returns the
 * command's exit status, or -errno if it could not be run.
 */
int interop_ctl(const struct interop_env *env, char *out, size_t outlen, const char *arg, ...);

#endif /* NVMF_TESTS_INTEROP_ENV_H */
