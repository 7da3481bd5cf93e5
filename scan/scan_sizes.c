/* Original sizes: one constant table. */
#include "scan_sizes.h"

#include <stddef.h>
#include <strings.h>

static const scan_size_t scan_sizes[SCAN_SIZE_COUNT] = {
    [SCAN_SIZE_LETTER] = {"letter", "Letter", 2159, 2794},
    [SCAN_SIZE_EXECUTIVE] = {"executive", "Executive", 1842, 2667},
    [SCAN_SIZE_A4] = {"a4", "A4", 2100, 2970},
    [SCAN_SIZE_A5] = {"a5", "A5", 1480, 2100},
    [SCAN_SIZE_LEGAL] = {"legal", "Legal", 2159, 3556},
};

const scan_size_t *scan_size_get(enum scan_size_id id)
{
    if ((unsigned)id >= SCAN_SIZE_COUNT)
        return NULL;
    return &scan_sizes[id];
}

const scan_size_t *scan_size_by_name(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < SCAN_SIZE_COUNT; i++)
        if (strcasecmp(name, scan_sizes[i].name) == 0)
            return &scan_sizes[i];
    return NULL;
}

const scan_size_t *scan_size_by_mm10(unsigned width_mm10, unsigned height_mm10)
{
    for (size_t i = 0; i < SCAN_SIZE_COUNT; i++)
        if (scan_sizes[i].width_mm10 == width_mm10 && scan_sizes[i].height_mm10 == height_mm10)
            return &scan_sizes[i];
    return NULL;
}
