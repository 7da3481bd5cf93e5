/* Settings: the administrator's E-mail Setup and their defaults. Defaults
 * work out of the box in the lab (gateway mail.example.test:25). */
#ifndef FW_SETTINGS_H
#define FW_SETTINGS_H

#include <stdint.h>


#define FW_SETTINGS_STR_MAX 255

struct fw_settings {
    char gateway[FW_SETTINGS_STR_MAX + 1];   /* IPv4 address or FQDN */
    uint16_t port;
    char from_addr[FW_SETTINGS_STR_MAX + 1]; /* default From */
    char from_name[FW_SETTINGS_STR_MAX + 1]; /* default From display name */
    char subject[FW_SETTINGS_STR_MAX + 1];   /* default subject */
    char file_name[FW_SETTINGS_STR_MAX + 1]; /* default attachment base name */
    unsigned jpeg_quality;
    int file_type;                           /* enum fw_file_type: the default under More Options */
    uint64_t max_attachment;                 /* maximum attachment bytes per e-mail, 0: none */
};

/* Fills s with the factory defaults. */
void fw_settings_defaults(struct fw_settings *s);

#endif
