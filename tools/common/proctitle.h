/*
 * What ps shows of a tool's command line, after it wiped the keys given
 * there (connopts.c's, nvmf-target's --dhchap-secret and
 * --dhchap-ctrl-secret; nvmf-target's --tls-key is used as given, so it
 * stays).
 */
#ifndef NVMF_TOOLS_PROCTITLE_H
#define NVMF_TOOLS_PROCTITLE_H

/*
 * Linux's ps reads the process's own argv, which the wiping changed; FreeBSD
 * keeps a copy of short argument lists in the kernel, which it does not:
 * there the wiped argv is handed to setproctitle(). Call once the options
 * are parsed; elsewhere it does nothing.
 */
void tc_argv_republish(int argc, char *const argv[]);

#endif
