# The mps2-an385 board's own sources, for board.mk's image rule.
#
# The scanner is the simulator's test chart, compiled unchanged: it uses no
# files and no stdio beyond vsnprintf, and its font is the table the host
# build generates at build time ($(BUILD)/gen/sim_font.c, tools/mkfont.c).
# The linker script places both in LABROM, outside the flash budget: a real
# MFP has a scan head instead.
BOARD_SRC := $(addprefix firmware/board_mps2_an385/,startup.c board_sys.c board_rng.c \
               board_storage.c main.c) \
             hal/lan9118/hal_lan9118.c \
             sim/sim_scanner.c $(BUILD)/gen/sim_font.c

# The LAN9118 driver's header (the firmware's own objects get the same flags
# but include none of these), and the board's budgets: the firmware's
# #ifndef options sized for 512 KiB of RAM. fw_job_t holds every e-mail's
# per-recipient results and every page's file state inline; at the host's
# defaults (32 e-mails x 32 recipients, 100 pages) it is 1.3 MiB. Here: up to
# 8 recipients, 4 e-mails and 20 pages a job.
BOARD_CFLAGS := -Ihal/lan9118 -DFW_JOB_RCPT_MAX=8 -DFW_JOB_MAIL_MAX=4 -DSCAN_JOB_MAX_PAGES=20

# Only the board's main and the chart itself see sim/ (board.mk keeps -Isim
# away from the firmware's sources).
$(BUILD)/arm/obj/firmware/board_mps2_an385/main.o $(BUILD)/arm/obj/sim/sim_scanner.o \
$(BUILD)/arm/obj/$(BUILD)/gen/sim_font.o: BOARD_CFLAGS += -Isim
