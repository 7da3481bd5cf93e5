/* libFuzzer: fw_settings_parse on arbitrary bytes. Whatever the image, the
 * result must pass fw_settings_check (every field refused keeps its valid
 * default), and a parsed image must serialize and parse back to the same
 * settings (the loader and the writer agree). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw_settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fw_settings s, back;
    static uint8_t img[FW_SETTINGS_IMAGE_MAX], img2[FW_SETTINGS_IMAGE_MAX];
    size_t len = 0, len2 = 0;
    int rc = fw_settings_parse(&s, data, size);

    if (fw_settings_check(&s, NULL, 0) != 0)
        abort(); /* a hostile image put an invalid value in */
    if (rc < 0)
        return 0;
    if (fw_settings_serialize(&s, 0, img, sizeof(img), &len) != 0)
        abort();
    /* Images, not structs, are compared: a string field given twice leaves
     * bytes after its NUL that no one reads. */
    if (fw_settings_parse(&back, img, len) != 0 || fw_settings_serialize(&back, 0, img2, sizeof(img2), &len2) != 0 ||
        len2 != len || memcmp(img, img2, len) != 0)
        abort();
    return 0;
}
