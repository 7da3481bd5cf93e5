# Scan-to-email firmware: host simulator, tests and lab.
# `make` builds build/mfp-sim; `make run` and `make test` install what they need first.

BUILD    ?= build
CC       ?= cc
LWIP_DIR := $(BUILD)/src/lwip
LWIP_OK  := $(LWIP_DIR)/.fetched

WARN     := -Wall -Wextra -Werror -std=c11
DEFS     := -D_DEFAULT_SOURCE -D_GNU_SOURCE
INC      := -Ifirmware -Ihal/include -Ismtp/include -Iscan/include -Iaddrbook/include -Iui/include -Isim \
            -I$(LWIP_DIR)/src/include -I$(LWIP_DIR)/port/include
CFLAGS   ?= -O2 -g
ALL_CFLAGS = $(WARN) $(DEFS) $(INC) $(CFLAGS)
LIBS     := -lmbedtls -lmbedx509 -lmbedcrypto -ljpeg -ltiff -lz -lslirp -lpng -lSDL2 -lm

# Firmware code: the same sources for every build (host and board).
FW_SRC   := $(wildcard firmware/*.c smtp/*.c scan/*.c addrbook/*.c ui/*.c)
SIM_SRC  := $(filter-out sim/main.c,$(wildcard sim/*.c)) $(BUILD)/gen/sim_font.c
# DejaVu Sans (fonts-dejavu-core) for the simulated scanner's test pages.
FONT_DIR ?= /usr/share/fonts/truetype/dejavu
# The panel's generated sources (baked fonts) and their rules.
-include ui/ui.mk

# lwIP from Debian's source package, built with our firmware/lwipopts.h.
# (Filelists names are resolved after the source is fetched.)
LWIP_SRC = $(addprefix $(LWIP_DIR)/src/,$(LWIP_FILES))
LWIP_FILES := core/init.c core/def.c core/dns.c core/inet_chksum.c core/ip.c core/mem.c \
  core/memp.c core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c core/altcp.c \
  core/altcp_alloc.c core/altcp_tcp.c core/tcp.c core/tcp_in.c core/tcp_out.c \
  core/timeouts.c core/udp.c core/ipv4/autoip.c core/ipv4/dhcp.c core/ipv4/etharp.c \
  core/ipv4/icmp.c core/ipv4/igmp.c core/ipv4/ip4_frag.c core/ipv4/ip4.c \
  core/ipv4/ip4_addr.c netif/ethernet.c \
  apps/altcp_tls/altcp_tls_mbedtls.c apps/altcp_tls/altcp_tls_mbedtls_mem.c
# lwIP's own code is not ours to fix: its warnings are not errors.
LWIP_CFLAGS = -std=gnu99 -w $(DEFS) -Ifirmware -I$(LWIP_DIR)/src/include \
              -I$(LWIP_DIR)/port/include $(CFLAGS)

OBJ      = $(BUILD)/obj
FW_OBJ   = $(FW_SRC:%.c=$(OBJ)/%.o)
SIM_OBJ  = $(SIM_SRC:%.c=$(OBJ)/%.o)
LWIP_OBJ = $(LWIP_FILES:%.c=$(OBJ)/lwip/%.o)

# Unit tests: the same sources with ASan and UBSan.
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
AOBJ     = $(BUILD)/asan
UNIT_SRC := $(wildcard tests/unit/*/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)
FAKE_SRC := $(wildcard tests/fake/*.c)

.SECONDARY:
.PHONY: all deps run test unit integration lab-up lab-down clean fuzz bench
all: $(BUILD)/mfp-sim

deps:
	@sh tools/deps.sh

$(LWIP_OK):
	@mkdir -p $(BUILD)/src
	cd $(BUILD)/src && rm -rf lwip lwip-* && apt-get source -q lwip >apt-source.log 2>&1 \
	  && mv lwip-2.1.3* lwip
	@touch $@

$(OBJ)/lwip/%.o: $(LWIP_OK) firmware/lwipopts.h
	@mkdir -p $(dir $@)
	@echo '  CC    $@'
	@$(CC) $(LWIP_CFLAGS) -c $(LWIP_DIR)/src/$*.c -o $@

$(AOBJ)/lwip/%.o: $(LWIP_OK) firmware/lwipopts.h
	@mkdir -p $(dir $@)
	@echo '  CC    $@'
	@$(CC) $(LWIP_CFLAGS) $(SAN) -c $(LWIP_DIR)/src/$*.c -o $@

$(BUILD)/liblwip.a: $(LWIP_OBJ)
	@$(AR) rcs $@ $^

$(OBJ)/%.o: %.c $(LWIP_OK)
	@mkdir -p $(dir $@)
	@echo '  CC    $@'
	@$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(AOBJ)/%.o: %.c $(LWIP_OK)
	@mkdir -p $(dir $@)
	@echo '  CC    $@'
	@$(CC) $(ALL_CFLAGS) -Itests/fake $(SAN) -MMD -MP -c $< -o $@

# Glyph bitmaps rasterised with FreeType at build time (sim/sim_font.h).
$(BUILD)/gen/sim_font.c: tools/mkfont.c sim/sim_font.h
	@mkdir -p $(dir $@)
	@echo '  GEN   $@'
	@$(CC) $(WARN) $(DEFS) -Isim $(CFLAGS) $$(pkg-config --cflags freetype2) \
	  -o $(BUILD)/gen/mkfont tools/mkfont.c $$(pkg-config --libs freetype2)
	@$(BUILD)/gen/mkfont $@ $(FONT_DIR)/DejaVuSans.ttf $(FONT_DIR)/DejaVuSans-Bold.ttf

$(BUILD)/libfw.a: $(FW_OBJ)
	@$(AR) rcs $@ $^

$(BUILD)/mfp-sim: $(OBJ)/sim/main.o $(SIM_OBJ) $(BUILD)/libfw.a $(BUILD)/liblwip.a
	@echo '  LINK  $@'
	@$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# Each unit test links every firmware and simulator object plus the fakes.
$(BUILD)/unit/%: tests/unit/%.c $(FW_SRC:%.c=$(AOBJ)/%.o) $(SIM_SRC:%.c=$(AOBJ)/%.o) \
                 $(FAKE_SRC:%.c=$(AOBJ)/%.o) $(LWIP_FILES:%.c=$(AOBJ)/lwip/%.o)
	@mkdir -p $(dir $@)
	@echo '  LINK  $@'
	@$(CC) $(ALL_CFLAGS) -Itests/fake $(SAN) -o $@ $^ -lcmocka $(LIBS)

# libFuzzer targets: every tests/fuzz/fuzz_*.c with the sans-IO cores (no lwIP).
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_LIB := smtp/smtp_reply.c smtp/smtp_session.c smtp/smtp_auth.c smtp/mime.c smtp/dns.c sim/sim_pnm.c \
            scan/spool.c firmware/fw_journal.c firmware/fw_nvstore.c firmware/fw_settings.c firmware/fw_joblog.c \
            $(filter-out %_transport.c,$(wildcard addrbook/*.c)) \
            tests/fake/fake_storage.c
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB) $(LWIP_OK)
	@mkdir -p $(dir $@)
	@echo '  FUZZ  $@'
	@clang -g -O1 -fsanitize=fuzzer,address,undefined $(WARN) $(DEFS) $(INC) -Itests/fake -o $@ $(filter %.c,$^) -lmbedcrypto -lz

# Long fuzz runs (FUZZ_SECONDS each); make test runs them for 15 s.
fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do mkdir -p $(BUILD)/corpus/$$(basename $$f); \
	  $$f -max_total_time=$${FUZZ_SECONDS:-600} $(BUILD)/corpus/$$(basename $$f) || exit 1; done

unit: $(UNIT_BIN)
	@SUITES=unit sh tests/run_all.sh

integration: $(BUILD)/mfp-sim
	@SUITES=integration sh tests/run_all.sh

test: deps
	@$(MAKE) --no-print-directory -j2 all $(UNIT_BIN) $(FUZZ_BIN) $(BUILD)/bench/bench_job \
	  $(BUILD)/arm/mfp-board.elf
	@sh tests/run_all.sh

run: deps
	@$(MAKE) --no-print-directory all
	@sh sim/lab/up
	@sh tools/demo.sh

lab-up: ; @sh sim/lab/up
lab-down: ; @sh sim/lab/down

# Benchmarks: the firmware pipeline in one process with a counting allocator
# (plain -O2, no sanitizers, no lwIP). Linked from archives of the normal
# objects, so only what the pipeline uses comes in and new encoders need no
# edit here; libjpeg's, libtiff's and libpng's mallocs are counted too.
$(BUILD)/bench/libsim.a: $(SIM_OBJ)
	@mkdir -p $(dir $@)
	@$(AR) rcs $@ $^

BENCH_SRC := tests/bench/bench_job.c tests/bench/count_alloc.c
$(BUILD)/bench/bench_job: $(BENCH_SRC) $(BUILD)/bench/libsim.a $(BUILD)/libfw.a \
                          $(wildcard tests/bench/*.h scan/include/*.h smtp/include/*.h sim/*.h)
	@mkdir -p $(dir $@)
	@echo '  LINK  $@'
	@$(CC) $(ALL_CFLAGS) -fno-builtin-malloc -o $@ $(BENCH_SRC) -Wl,--start-group \
	  $(BUILD)/bench/libsim.a $(BUILD)/libfw.a -Wl,--end-group $(LIBS)

bench:
	@sh tools/deps.sh --bench
	@$(MAKE) --no-print-directory all $(BUILD)/bench/bench_job
	@BUILD=$(BUILD) sh tests/bench/run.sh

clean:
	rm -rf $(BUILD)/obj $(BUILD)/asan $(BUILD)/unit $(BUILD)/gen $(BUILD)/bench $(BUILD)/*.a $(BUILD)/mfp-sim

-include $(shell find $(BUILD)/obj $(BUILD)/asan -name '*.d' 2>/dev/null)

# The target board (QEMU mps2-an385): cross-built libraries, image, make qemu / size.
-include firmware/board_mps2_an385/board.mk
