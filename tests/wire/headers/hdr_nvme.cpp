// Self-containedness: <nvmf/nvme.h> alone from C++11; the header carries its own extern "C".
#include <nvmf/nvme.h>
