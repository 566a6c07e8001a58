# cmake -DDIR=path -P reset_dir.cmake: DIR becomes an empty directory.
# Run before a test binary's tests (a ctest fixture), so nothing an earlier
# run left there (a cached layer, a lock) can hide a regression.
if(NOT DIR)
  message(FATAL_ERROR "reset_dir.cmake: DIR is not set")
endif()
file(REMOVE_RECURSE "${DIR}")
file(MAKE_DIRECTORY "${DIR}")
