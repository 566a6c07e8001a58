# find_package calls shared by the build and by ocibConfig.cmake. Every
# dependency comes from Debian 12's -dev packages.
include(CMakeFindDependencyMacro)
find_dependency(Threads)
find_dependency(OpenSSL 3)
find_dependency(ZLIB)
find_dependency(zstd)
find_dependency(fmt)
# Header-only and private: only the build-tree export names it.
find_package(nlohmann_json 3 QUIET)
