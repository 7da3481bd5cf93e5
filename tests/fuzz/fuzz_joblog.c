/*
 * libFuzzer target: the job log's entry parser. The input is saved as a
 * valid record (the store's CRC made right) so that fw_joblog_read parses
 * it field by field: every length checked, nothing read past the record.
 */
#include <stdint.h>

#include "fake_storage.h"
#include "fw_joblog.h"
#include "fw_nvstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fw_joblog_entry log[FW_JOBLOG_MAX];
    struct fake_storage fs;
    struct hal_storage st;
    struct fw_nvstore s;
    unsigned n;

    if (size > 4096)
        return 0;
    fake_storage_init(&fs);
    fake_storage_hal(&fs, &st);
    if (fw_nvstore_init(&s, &st, "jlog3", 4096) == 0 && fw_nvstore_scan(&s) == 0)
        fw_nvstore_save(&s, data, size);
    fw_nvstore_free(&s);
    fw_joblog_read(&st, log, &n);
    fake_storage_free(&fs);
    return 0;
}
