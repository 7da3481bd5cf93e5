# The panel's generated sources, included by the top Makefile before its
# rules: the fonts baked from DejaVu Sans (fonts-dejavu-core) with FreeType.
# Included before the top Makefile's first rule: keep `make` building all.
.DEFAULT_GOAL := all
FW_SRC += $(BUILD)/gen/ui_font.c

# Both bakers share tools/fontbake.h; the simulator's font has its rule in
# the Makefile, this adds the shared header to what it is made from.
$(BUILD)/gen/sim_font.c: tools/fontbake.h

$(BUILD)/gen/ui_font.c: tools/mkuifont.c tools/fontbake.h ui/include/ui_font.h
	@mkdir -p $(dir $@)
	@echo '  GEN   $@'
	@$(CC) $(WARN) $(DEFS) -Iui/include $(CFLAGS) $$(pkg-config --cflags freetype2) \
	  -o $(BUILD)/gen/mkuifont tools/mkuifont.c $$(pkg-config --libs freetype2)
	@$(BUILD)/gen/mkuifont $@ $(FONT_DIR)/DejaVuSans.ttf $(FONT_DIR)/DejaVuSans-Bold.ttf
