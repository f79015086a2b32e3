// Self-containedness: <nvmf/nvme_tcp.h> alone from C++11; the header carries its own extern "C".
#include <nvmf/nvme_tcp.h>
