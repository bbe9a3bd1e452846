# 64-bit ARM (Android's arm64-v8a): scripts/arm-test.sh, docs/android.md.
set(NOI_CROSS_TRIPLE aarch64-linux-gnu)
set(NOI_CROSS_PROCESSOR aarch64)
set(NOI_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
