/* Self-containedness: <nvmf/nvme.h> alone, C11, pedantic, no padding warnings. */
#include <nvmf/nvme.h>
