# The target board: QEMU mps2-an385 (Cortex-M3), included at the end of the
# top-level Makefile.  Everything lands in $(BUILD)/arm (never committed):
#   make arm-libs   cross-builds lwIP, Mbed TLS 2.28, libjpeg-turbo, libtiff and
#                   zlib from Debian's source packages into arm/lib, arm/include
#   make arm-image  links arm/mfp-board.elf (+ .map) from the firmware's own
#                   sources, unchanged, and the board's (sources.mk)
#   make size       text/data/bss per library and per folder, against budgets
#   make qemu       boots the image in the lab (tools/qemu-run.sh)
# The same firmware sources as the host build ($(FW_SRC)): only hal/ backends
# and firmware/board_* differ.

BOARD_DIR  := firmware/board_mps2_an385
ARM        := $(BUILD)/arm
ARM_CC     := arm-none-eabi-gcc
ARM_AR     := arm-none-eabi-ar
# Newlib 3.3 in Debian leaves PRIu64 & co. undefined unless this is set.
ARM_CFLAGS := -mcpu=cortex-m3 -mthumb --specs=nano.specs -Os -g \
              -ffunction-sections -fdata-sections -D__int64_t_defined=1
ARM_LDFLAGS = -mcpu=cortex-m3 -mthumb --specs=nano.specs --specs=nosys.specs \
              -Wl,--gc-sections -Wl,-Map=$(ARM_MAP) -Wl,--print-memory-usage

# The board's own sources (BOARD_SRC, BOARD_CFLAGS) and linker script.
-include $(BOARD_DIR)/sources.mk
BOARD_LD   ?= $(BOARD_DIR)/mps2_an385.ld

# ---- Sources from Debian (apt-get source), beside the host's lwIP ---------
ARM_PKGS   := mbedtls libjpeg-turbo tiff zlib
ARM_STAMP  := $(ARM)/stamp
MBEDTLS_DIR = $(BUILD)/src/mbedtls
JPEG_DIR    = $(BUILD)/src/libjpeg-turbo
TIFF_DIR    = $(BUILD)/src/tiff
ZLIB_DIR    = $(BUILD)/src/zlib

# lwIP's rule in the Makefile fetches $(LWIP_DIR); the others come the same way.
$(addprefix $(BUILD)/src/,$(addsuffix /.fetched,$(ARM_PKGS))): $(BUILD)/src/%/.fetched:
	@mkdir -p $(BUILD)/src
	cd $(BUILD)/src && rm -rf $* $*-[0-9]* && apt-get source -q $* >apt-source-$*.log 2>&1 \
	  && mv $*-[0-9]* $*
	@touch $@

# The compiler flags as a file that changes only when they do: the libraries
# rebuild when board.mk changes a flag, and not otherwise.
ARM_FLAGS_FILE := $(ARM_STAMP)/cflags
ARM_FLAGS_NOW  := $(ARM_CC) $(ARM_CFLAGS)
$(ARM_FLAGS_FILE): FORCE_ARM_FLAGS
	@mkdir -p $(dir $@)
	@[ "$$(cat $@ 2>/dev/null)" = '$(ARM_FLAGS_NOW)' ] || echo '$(ARM_FLAGS_NOW)' >$@
.PHONY: FORCE_ARM_FLAGS

# ---- Mbed TLS 2.28: its own Makefile, on a copy whose config.h is ours ------
# Our trimmed config replaces include/mbedtls/config.h in the copy and in
# arm/include, so nothing built against these headers can see another one.
ARM_MBEDTLS := $(ARM)/lib/libmbedtls.a $(ARM)/lib/libmbedx509.a $(ARM)/lib/libmbedcrypto.a
$(ARM_STAMP)/mbedtls: $(MBEDTLS_DIR)/.fetched $(BOARD_DIR)/mbedtls_config.h $(ARM_FLAGS_FILE) \
                      $(BOARD_DIR)/board.mk
	@echo '  ARM   Mbed TLS'
	@rm -rf $(ARM)/build/mbedtls $(ARM)/include/mbedtls $(ARM)/include/psa
	@mkdir -p $(ARM)/build/mbedtls $(ARM)/lib $(ARM)/include
	@cp -R $(MBEDTLS_DIR)/include $(MBEDTLS_DIR)/library $(MBEDTLS_DIR)/3rdparty $(ARM)/build/mbedtls/
	@cp $(BOARD_DIR)/mbedtls_config.h $(ARM)/build/mbedtls/include/mbedtls/config.h
	@$(MAKE) --no-print-directory -s -C $(ARM)/build/mbedtls/library CC=$(ARM_CC) AR=$(ARM_AR) \
	  CFLAGS='$(ARM_CFLAGS)' $(notdir $(ARM_MBEDTLS)) >$(ARM)/build/mbedtls.log 2>&1 \
	  || { tail -20 $(ARM)/build/mbedtls.log; exit 1; }
	@cp $(addprefix $(ARM)/build/mbedtls/library/,$(notdir $(ARM_MBEDTLS))) $(ARM)/lib/
	@cp -R $(ARM)/build/mbedtls/include/mbedtls $(ARM)/build/mbedtls/include/psa $(ARM)/include/
	@touch $@

# ---- zlib: the deflate/inflate core (no gz* file IO) ----------------------
ZLIB_FILES := adler32 crc32 deflate infback inffast inflate inftrees trees zutil compress uncompr
ZLIB_OBJ   := $(ZLIB_FILES:%=$(ARM)/build/zlib/%.o)
$(ARM)/build/zlib/%.o: $(ZLIB_DIR)/.fetched $(ARM_FLAGS_FILE)
	@mkdir -p $(dir $@)
	@$(ARM_CC) $(ARM_CFLAGS) -w -c $(ZLIB_DIR)/$*.c -o $@
$(ARM_STAMP)/zlib: $(ZLIB_OBJ)
	@echo '  ARM   zlib'
	@mkdir -p $(ARM)/lib $(ARM)/include
	@rm -f $(ARM)/lib/libz.a && $(ARM_AR) rcs $(ARM)/lib/libz.a $^
	@cp $(ZLIB_DIR)/zlib.h $(ZLIB_DIR)/zconf.h $(ARM)/include/
	@touch $@

# ---- CMake-built libraries: libjpeg-turbo, then libtiff on it and zlib ------
ARM_CMAKE = cmake -Wno-dev -DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/tools/arm/toolchain.cmake \
  -DARM_PREFIX=$(abspath $(ARM)) -DCMAKE_BUILD_TYPE=None -DBUILD_SHARED_LIBS=OFF

$(ARM_STAMP)/jpeg: $(JPEG_DIR)/.fetched tools/arm/toolchain.cmake $(ARM_FLAGS_FILE) $(BOARD_DIR)/board.mk
	@echo '  ARM   libjpeg-turbo'
	@rm -rf $(ARM)/build/jpeg && mkdir -p $(ARM)/build/jpeg $(ARM)/lib $(ARM)/include
	@cd $(ARM)/build/jpeg && $(ARM_CMAKE) -DCMAKE_C_FLAGS='$(ARM_CFLAGS)' \
	  -DENABLE_SHARED=OFF -DWITH_SIMD=OFF \
	  -DWITH_TURBOJPEG=OFF -DWITH_ARITH_ENC=OFF -DWITH_ARITH_DEC=OFF \
	  $(abspath $(JPEG_DIR)) >cmake.log 2>&1 || { tail -20 cmake.log; exit 1; }
	@$(MAKE) --no-print-directory -s -C $(ARM)/build/jpeg jpeg-static >$(ARM)/build/jpeg.log 2>&1 \
	  || { tail -20 $(ARM)/build/jpeg.log; exit 1; }
	@cp $(ARM)/build/jpeg/libjpeg.a $(ARM)/lib/
	@cp $(ARM)/build/jpeg/jconfig.h $(addprefix $(JPEG_DIR)/,jpeglib.h jmorecfg.h jerror.h) \
	  $(ARM)/include/
	@touch $@

# libtiff: CCITT (G4), JPEG and Deflate; every other codec, the tools and the
# C++ API off. TIFFOpen's POSIX file IO is compiled but never linked: the
# firmware uses TIFFClientOpen.
$(ARM_STAMP)/tiff: $(TIFF_DIR)/.fetched $(ARM_STAMP)/jpeg $(ARM_STAMP)/zlib tools/arm/toolchain.cmake \
                   $(BOARD_DIR)/board.mk
	@echo '  ARM   libtiff'
	@rm -rf $(ARM)/build/tiff && mkdir -p $(ARM)/build/tiff
	@cd $(ARM)/build/tiff && $(ARM_CMAKE) -DCMAKE_C_FLAGS='$(ARM_CFLAGS)' -Dtiff-tools=OFF -Dtiff-tests=OFF -Dtiff-contrib=OFF \
	  -Dtiff-docs=OFF -Dtiff-install=OFF -Dcxx=OFF -Dld-version-script=OFF \
	  -Dccitt=ON -Djpeg=ON -Dzlib=ON -Dpackbits=OFF -Dlzw=OFF -Dthunder=OFF -Dnext=OFF \
	  -Dlogluv=OFF -Dmdi=OFF -Dold-jpeg=OFF -Djpeg12=OFF -Dpixarlog=OFF -Dlibdeflate=OFF \
	  -Djbig=OFF -Dlerc=OFF -Dlzma=OFF -Dzstd=OFF -Dwebp=OFF -DHAVE_JPEGTURBO_DUAL_MODE_8_12=OFF \
	  -DJPEG_INCLUDE_DIR=$(abspath $(ARM))/include -DJPEG_LIBRARY=$(abspath $(ARM))/lib/libjpeg.a \
	  -DZLIB_INCLUDE_DIR=$(abspath $(ARM))/include -DZLIB_LIBRARY=$(abspath $(ARM))/lib/libz.a \
	  $(abspath $(TIFF_DIR)) >cmake.log 2>&1 || { tail -20 cmake.log; exit 1; }
	@$(MAKE) --no-print-directory -s -C $(ARM)/build/tiff/libtiff tiff >$(ARM)/build/tiff.log 2>&1 \
	  || { tail -20 $(ARM)/build/tiff.log; exit 1; }
	@cp $(ARM)/build/tiff/libtiff/libtiff.a $(ARM)/lib/
	@cp $(ARM)/build/tiff/libtiff/tiffconf.h $(addprefix $(TIFF_DIR)/libtiff/,tiff.h tiffio.h \
	  tiffvers.h) $(ARM)/include/
	@touch $@

# ---- lwIP: the host's file list, our lwipopts.h, TLS on the trimmed config --
# The board's arch/cc.h wins over the unix port's when it provides one.
ARM_LWIP_INC = -Ifirmware -I$(BOARD_DIR) -I$(LWIP_DIR)/src/include -I$(LWIP_DIR)/port/include \
               -I$(ARM)/include
ARM_LWIP_OBJ = $(LWIP_FILES:%.c=$(ARM)/build/lwip/%.o)
$(ARM)/build/lwip/%.o: $(LWIP_OK) $(ARM_STAMP)/mbedtls firmware/lwipopts.h $(ARM_FLAGS_FILE)
	@mkdir -p $(dir $@)
	@$(ARM_CC) -std=gnu99 -w $(DEFS) $(ARM_LWIP_INC) $(ARM_CFLAGS) -MMD -MP \
	  -c $(LWIP_DIR)/src/$*.c -o $@
$(ARM_STAMP)/lwip: $(ARM_LWIP_OBJ)
	@echo '  ARM   lwIP'
	@mkdir -p $(ARM)/lib
	@rm -f $(ARM)/lib/liblwip.a && $(ARM_AR) rcs $(ARM)/lib/liblwip.a $^
	@touch $@

ARM_LIB_STAMPS := $(addprefix $(ARM_STAMP)/,mbedtls zlib jpeg tiff lwip)
# Link order: users before what they use.
ARM_LIBS := $(addprefix $(ARM)/lib/,liblwip.a libmbedtls.a libmbedx509.a libmbedcrypto.a \
            libtiff.a libjpeg.a libz.a)

.PHONY: arm-libs arm-image size qemu
arm-libs: $(ARM_LIB_STAMPS)

# ---- The image: firmware sources unchanged, plus the board's ----------------
ARM_ELF  := $(ARM)/mfp-board.elf
ARM_MAP  := $(ARM)/mfp-board.map
ARM_INC  := $(filter-out -Isim,$(INC)) -I$(BOARD_DIR) -I$(ARM)/include
ARM_FW_CFLAGS = $(WARN) $(DEFS) $(ARM_INC) $(ARM_CFLAGS) $(BOARD_CFLAGS)
ARM_OBJ  := $(ARM)/obj
ARM_FW_OBJ    = $(FW_SRC:%.c=$(ARM_OBJ)/%.o)
ARM_BOARD_OBJ = $(BOARD_SRC:%.c=$(ARM_OBJ)/%.o)

$(ARM_OBJ)/%.o: %.c $(ARM_LIB_STAMPS) $(ARM_FLAGS_FILE)
	@mkdir -p $(dir $@)
	@echo '  ARMCC $@'
	@$(ARM_CC) $(ARM_FW_CFLAGS) -MMD -MP -c $< -o $@

$(ARM_ELF): $(ARM_FW_OBJ) $(ARM_BOARD_OBJ) $(ARM_LIB_STAMPS) $(BOARD_LD)
	@echo '  LINK  $@'
	@$(ARM_CC) $(ARM_LDFLAGS) -T $(BOARD_LD) -o $@ $(ARM_FW_OBJ) $(ARM_BOARD_OBJ) \
	  -Wl,--start-group $(ARM_LIBS) -lc -lm -Wl,--end-group

arm-image: $(ARM_ELF)

size: $(ARM_ELF)
	@python3 tools/arm/size.py --map $(ARM_MAP) --elf $(ARM_ELF) \
	  --board $(BOARD_DIR)

# The lab, the tap and the job: tools/qemu-run.sh (QEMU_ARGS go to it).
qemu: deps
	@$(MAKE) --no-print-directory $(ARM_ELF)
	@sh tools/qemu-run.sh $(ARM_ELF) $(QEMU_ARGS)

-include $(shell find $(ARM)/obj $(ARM)/build/lwip -name '*.d' 2>/dev/null)
# The dependency files are only read: without this, make's built-in `%: %.o`
# chains them into the lwIP object rule above.
$(ARM)/%.d: ;
