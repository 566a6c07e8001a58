# find_package calls shared by the build and by ocibConfig.cmake. Every
# dependency comes from Debian 12's -dev packages.
include(CMakeFindDependencyMacro)
find_dependency(Threads)
find_dependency(OpenSSL 3)
find_dependency(ZLIB)
find_dependency(zstd)
find_dependency(LibArchive)
find_dependency(fmt)
find_dependency(CURL)
