# CMake toolchain for the board's libraries: arm-none-eabi-gcc, no OS.
# Compiler flags (CPU, newlib-nano, -Os, sections) come from board.mk through
# CMAKE_C_FLAGS, so the CMake-built libraries and the make-built ones share
# one definition.  ARM_PREFIX (board.mk passes $(BUILD)/arm) is the only place
# find_package/find_library may look: the host's /usr/lib must never leak in.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar CACHE FILEPATH "")
set(CMAKE_RANLIB arm-none-eabi-ranlib CACHE FILEPATH "")
# A bare-metal test program cannot link without the board's start-up code.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_FIND_ROOT_PATH ${ARM_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
