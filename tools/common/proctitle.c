/* See proctitle.h. */
#include "proctitle.h"

#if defined(__FreeBSD__)
#include <sys/types.h>
#include <stdio.h>
#include <unistd.h>

void tc_argv_republish(int argc, char *const argv[])
{
	char buf[2048];
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < argc && o + 1 < sizeof(buf); i++) {
		int n = snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? " " : "", argv[i]);

		if (n < 0)
			break;
		o += (size_t)n < sizeof(buf) - o ? (size_t)n : sizeof(buf) - o - 1;
	}
	/* A leading '-': the title as given, without "progname: ". */
	setproctitle("-%s", buf);
}
#else
void tc_argv_republish(int argc, char *const argv[])
{
	(void)argc;
	(void)argv;
}
#endif
