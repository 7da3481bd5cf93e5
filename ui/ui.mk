# The panel's generated sources, included by the top Makefile before its
# rules: the fonts baked from DejaVu Sans (fonts-dejavu-core) with FreeType.
# Included before the top Makefile's first rule: keep `make` building all.
.DEFAULT_GOAL := all
FW_SRC += $(BUILD)/gen/ui_font.c

$(BUILD)/gen/ui_font.c: tools/mkuifont.c ui/include/ui_font.h
	@mkdir -p $(dir $@)
	@echo '  GEN   $@'
	@$(CC) $(WARN) $(DEFS) -Iui/include $(CFLAGS) $$(pkg-config --cflags freetype2) \
	  -o $(BUILD)/gen/mkuifont tools/mkuifont.c $$(pkg-config --libs freetype2)
	@$(BUILD)/gen/mkuifont $@ $(FONT_DIR)/DejaVuSans.ttf $(FONT_DIR)/DejaVuSans-Bold.ttf
