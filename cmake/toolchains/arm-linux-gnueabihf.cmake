# 32-bit ARM with hardware floating point (Android's armeabi-v7a): scripts/arm-test.sh,
# docs/android.md.
set(NOI_CROSS_TRIPLE arm-linux-gnueabihf)
set(NOI_CROSS_PROCESSOR armv7l)
set(NOI_CROSS_QEMU qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
