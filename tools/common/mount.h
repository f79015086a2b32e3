/*
 * Shared by the tools: nvmf-fuse mounts as the mount table shows them, and
 * the detaching of a dead server's mount. nvmfctl disconnect detaches the
 * mount of a stale record; nvmf-fuse does the same before it takes over the
 * name of a dead server (tc_record_claim()), so that the record, the only
 * handle on such a mount, is never dropped while the mount stays.
 */
#ifndef NVMF_TOOLS_MOUNT_H
#define NVMF_TOOLS_MOUNT_H

#include <stdbool.h>
#include <sys/types.h>

/* What a user types to detach a dead mount by hand (messages). */
#if defined(__FreeBSD__)
#define TC_DETACH_CMD "umount -f"
#else
#define TC_DETACH_CMD "fusermount3 -u -z"
#endif

/* Is an nvmf-fuse file system mounted at path? From the mount table
 * alone: the (possibly dead) file system itself is not touched. */
bool tc_nvmf_mounted(const char *path);

/* How long tc_nvmf_detach() waits for its helper. */
#define TC_DETACH_TIMEOUT_S 10

/*
 * Detach the nvmf-fuse mount at path lazily (fusermount3 -u -z, else
 * umount -l; FreeBSD: umount -f), its output discarded, waiting at most
 * TC_DETACH_TIMEOUT_S. Only for a mount whose server is gone: a live one
 * would be cut off from its users. Flush stdio before: the helper is
 * forked. 0 when path is no longer an nvmf-fuse mount, -EBUSY when it
 * still is; with a wait set (tc_set_detach_wait()) also -ETIMEDOUT or
 * -EINTR, as that wait returned them.
 */
int tc_nvmf_detach(const char *path);

/*
 * How tc_nvmf_detach() waits for its helper, for a tool that must neither
 * leave a helper that overstays running (nor, once it exits, unreaped)
 * nor be deaf to Ctrl-C meanwhile: wait(pid, timeout_s) returns 0 once
 * the helper exited and was reaped, -ETIMEDOUT once it overstayed and was
 * stopped, -EINTR once a stop signal came and the helper was stopped, or
 * another -errno (nvmfctl: nc_wait_child()). Without one (NULL, as
 * nvmf-fuse has it: its stop signals are blocked while it claims a name),
 * the helper is polled for TC_DETACH_TIMEOUT_S and then left to itself.
 */
typedef int (*tc_child_wait_fn)(pid_t pid, int timeout_s);
void tc_set_detach_wait(tc_child_wait_fn wait);

#endif
