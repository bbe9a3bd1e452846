# A cross build with Debian's cross compilers (crossbuild-essential-arm64/-armhf) and the target's
# libraries from Debian's own architecture (`dpkg --add-architecture`, then libsqlite3-dev:arm64
# and so on): no sysroot, the libraries are in /usr/lib/<triple>. Included by the files beside it,
# which set NOI_CROSS_TRIPLE, NOI_CROSS_PROCESSOR and NOI_CROSS_QEMU.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${NOI_CROSS_PROCESSOR})
set(CMAKE_C_COMPILER ${NOI_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${NOI_CROSS_TRIPLE}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${NOI_CROSS_TRIPLE})
# find_package and find_library look in the target's multiarch directory; programs (javac, the
# host's tools) are the build machine's.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${NOI_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)
# Test programs run under qemu-user: CTest and gtest_discover_tests go through it.
set(CMAKE_CROSSCOMPILING_EMULATOR ${NOI_CROSS_QEMU})
