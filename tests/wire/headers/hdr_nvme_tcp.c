/* Self-containedness: <nvmf/nvme_tcp.h> alone, C11, pedantic, no padding warnings. */
#include <nvmf/nvme_tcp.h>
