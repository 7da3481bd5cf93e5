#include "fw_settings.h"

#include <stdio.h>
#include <string.h>

void fw_settings_defaults(struct fw_settings *s)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->gateway, sizeof(s->gateway), "mail.example.test");
    s->port = 25;
    snprintf(s->from_addr, sizeof(s->from_addr), "mfp@example.test");
    snprintf(s->from_name, sizeof(s->from_name), "MFP Scanner");
    snprintf(s->subject, sizeof(s->subject), "Scanned document");
    snprintf(s->file_name, sizeof(s->file_name), "scan");
    s->jpeg_quality = 85;
    s->file_type = 1;        /* PDF, as most MFPs default to */
    s->max_attachment = 0;   /* no limit: the gateway's SIZE still splits */
}
